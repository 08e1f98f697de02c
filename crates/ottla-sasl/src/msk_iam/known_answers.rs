//! Known answers from the official Python signer (aws-msk-iam-sasl-signer-python 1.0.2 on
//! botocore 1.44.5), produced with its clock frozen and its credentials given directly:
//!
//! ```text
//! cat > /tmp/msk_ref.py <<'PY'
//! import base64, datetime, sys
//! import botocore.auth
//! from botocore.credentials import CredentialProvider, Credentials
//! from aws_msk_iam_sasl_signer import MSKAuthTokenProvider as m
//! akid, secret, token, region, when, template, expires = sys.argv[1:8]
//! botocore.auth.get_current_datetime = lambda: datetime.datetime.strptime(when, "%Y-%m-%dT%H:%M:%SZ")
//! m.ENDPOINT_URL_TEMPLATE = template
//! m.DEFAULT_TOKEN_EXPIRY_SECONDS = int(expires)
//! class P(CredentialProvider):
//!     def load(self):
//!         return Credentials(akid, secret, token or None)
//! tok, exp = m.generate_auth_token_from_credentials_provider(region, P())
//! print(tok if len(sys.argv) > 8 else base64.urlsafe_b64decode(tok + "=" * (-len(tok) % 4)).decode(), exp)
//! PY
//! P=.tools/aws-venv/bin/python S='wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' T='IQoJb3JpZ2luX2Vj/+AbC=dEf+/=='
//! $P /tmp/msk_ref.py AKIDEXAMPLE "$S" '' us-east-1 2024-01-15T23:59:59Z 'https://kafka.{}.amazonaws.com/' 900
//! $P /tmp/msk_ref.py ASIAEXAMPLE "$S" "$T" eu-west-1 2024-01-16T00:00:01Z 'https://kafka.{}.amazonaws.com/' 900
//! $P /tmp/msk_ref.py ASIAEXAMPLE "$S" "$T" eu-west-1 2024-01-16T00:00:01Z 'https://kafka.{}.amazonaws.com/' 900 token
//! $P /tmp/msk_ref.py ASIAEXAMPLE "$S" "$T" cn-north-1 2024-01-16T00:00:01Z 'https://kafka.{}.amazonaws.com.cn/' 900
//! $P /tmp/msk_ref.py ASIAEXAMPLE "$S" "$T" eu-west-1 2024-01-16T00:00:01Z 'https://kafka.{}.amazonaws.com/' 300
//! $P /tmp/msk_ref.py ASIAEXAMPLE "$S" "$T" us-east-1 2024-01-16T00:00:01Z 'https://b-1.mycluster.abc123.c2.kafka.{}.amazonaws.com/' 900
//! ```
//!
//! Patching `ENDPOINT_URL_TEMPLATE` gives the China partition's host and a broker's host (the
//! AWS_MSK_IAM signature is the same presigned request's); patching
//! `DEFAULT_TOKEN_EXPIRY_SECONDS` gives a capped `X-Amz-Expires`.
// Compiled only for tests (the parent declares it under #[cfg(test)] too).
#![cfg(test)]

use std::time::{Duration, SystemTime};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use super::MskIamSigner;
use crate::aws::AwsCredentials;
use crate::Secret;

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const SESSION_TOKEN: &str = "IQoJb3JpZ2luX2Vj/+AbC=dEf+/==";
const PYTHON_UA: &str = "User-Agent=aws-msk-iam-sasl-signer-python%2F1.0.2";
/// 2024-01-15T23:59:59Z.
const BEFORE_MIDNIGHT: u64 = 1_705_363_199;
/// 2024-01-16T00:00:01Z.
const AFTER_MIDNIGHT: u64 = 1_705_363_201;

fn at(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}

fn long_term() -> AwsCredentials {
    AwsCredentials::new("AKIDEXAMPLE", Secret::new(SECRET), None, None, "test")
}

fn temporary(expires_at: Option<SystemTime>) -> AwsCredentials {
    AwsCredentials::new(
        "ASIAEXAMPLE",
        Secret::new(SECRET),
        Some(Secret::new(SESSION_TOKEN)),
        expires_at,
        "test",
    )
}

/// The Python signer's URL with ottla's user agent instead of its own.
fn with_ottla_ua(python_url: &str) -> String {
    assert!(python_url.ends_with(PYTHON_UA), "{python_url}");
    python_url.replace(
        PYTHON_UA,
        &format!("User-Agent=ottla%2F{}", env!("CARGO_PKG_VERSION")),
    )
}

fn assert_token(
    signer: &MskIamSigner,
    creds: &AwsCredentials,
    now: u64,
    python_url: &str,
    python_expiry_ms: i64,
) {
    let t = signer.sign_token(creds, at(now)).unwrap();
    assert_eq!(t.url().expose(), with_ottla_ua(python_url));
    assert_eq!(
        URL_SAFE_NO_PAD.decode(t.token().expose()).unwrap(),
        t.url().expose().as_bytes()
    );
    assert!(!t.token().expose().contains('='));
    assert_eq!(t.expires_at_ms(), python_expiry_ms);
    assert_eq!(t.signed_at(), at(now));
}

#[test]
fn long_term_credentials_before_midnight() {
    assert_token(
        &MskIamSigner::new("us-east-1").unwrap(),
        &long_term(),
        BEFORE_MIDNIGHT,
        "https://kafka.us-east-1.amazonaws.com/?Action=kafka-cluster%3AConnect&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20240115%2Fus-east-1%2Fkafka-cluster%2Faws4_request&X-Amz-Date=20240115T235959Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=c3402ed865070e8b4234126be5ff213a0a60a62ec91ad8f4794d5b1d1a4666e3&User-Agent=aws-msk-iam-sasl-signer-python%2F1.0.2",
        1_705_364_099_000,
    );
}

#[test]
fn session_token_with_slash_plus_equals_after_midnight() {
    assert_token(
        &MskIamSigner::new("eu-west-1").unwrap(),
        &temporary(Some(at(AFTER_MIDNIGHT + 3600))),
        AFTER_MIDNIGHT,
        "https://kafka.eu-west-1.amazonaws.com/?Action=kafka-cluster%3AConnect&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAEXAMPLE%2F20240116%2Feu-west-1%2Fkafka-cluster%2Faws4_request&X-Amz-Date=20240116T000001Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Security-Token=IQoJb3JpZ2luX2Vj%2F%2BAbC%3DdEf%2B%2F%3D%3D&X-Amz-Signature=d1e2bb547aff36c3c97e56bb87fa33c2466ed1feb5b0e3f930820f3192b72d5f&User-Agent=aws-msk-iam-sasl-signer-python%2F1.0.2",
        1_705_364_101_000,
    );
}

#[test]
fn whole_token_equals_python_with_its_user_agent() {
    let signer = MskIamSigner::new("eu-west-1")
        .unwrap()
        .with_user_agent("aws-msk-iam-sasl-signer-python/1.0.2")
        .unwrap();
    let t = signer
        .sign_token(&temporary(None), at(AFTER_MIDNIGHT))
        .unwrap();
    assert_eq!(
        t.token().expose(),
        "aHR0cHM6Ly9rYWZrYS5ldS13ZXN0LTEuYW1hem9uYXdzLmNvbS8_QWN0aW9uPWthZmthLWNsdXN0ZXIlM0FDb25uZWN0JlgtQW16LUFsZ29yaXRobT1BV1M0LUhNQUMtU0hBMjU2JlgtQW16LUNyZWRlbnRpYWw9QVNJQUVYQU1QTEUlMkYyMDI0MDExNiUyRmV1LXdlc3QtMSUyRmthZmthLWNsdXN0ZXIlMkZhd3M0X3JlcXVlc3QmWC1BbXotRGF0ZT0yMDI0MDExNlQwMDAwMDFaJlgtQW16LUV4cGlyZXM9OTAwJlgtQW16LVNpZ25lZEhlYWRlcnM9aG9zdCZYLUFtei1TZWN1cml0eS1Ub2tlbj1JUW9KYjNKcFoybHVYMlZqJTJGJTJCQWJDJTNEZEVmJTJCJTJGJTNEJTNEJlgtQW16LVNpZ25hdHVyZT1kMWUyYmI1NDdhZmYzNmMzYzk3ZTU2YmI4N2ZhMzNjMjQ2NmVkMWZlYjViMGUzZjkzMDgyMGYzMTkyYjcyZDVmJlVzZXItQWdlbnQ9YXdzLW1zay1pYW0tc2FzbC1zaWduZXItcHl0aG9uJTJGMS4wLjI"
    );
}

#[test]
fn china_partition_host() {
    let url = "https://kafka.cn-north-1.amazonaws.com.cn/?Action=kafka-cluster%3AConnect&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAEXAMPLE%2F20240116%2Fcn-north-1%2Fkafka-cluster%2Faws4_request&X-Amz-Date=20240116T000001Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Security-Token=IQoJb3JpZ2luX2Vj%2F%2BAbC%3DdEf%2B%2F%3D%3D&X-Amz-Signature=2f4be468459e95c8708cc68d7741222b12fdc59203d6303232c361557ee62b75&User-Agent=aws-msk-iam-sasl-signer-python%2F1.0.2";
    // The default for cn-* regions, and the same when configured explicitly.
    let default = MskIamSigner::new("cn-north-1").unwrap();
    let explicit = default
        .clone()
        .with_host_suffix("amazonaws.com.cn")
        .unwrap();
    for signer in [default, explicit] {
        assert_token(
            &signer,
            &temporary(None),
            AFTER_MIDNIGHT,
            url,
            1_705_364_101_000,
        );
    }
    // The wrong partition's host signs differently.
    let wrong = MskIamSigner::new("cn-north-1")
        .unwrap()
        .with_host_suffix("amazonaws.com")
        .unwrap()
        .sign_token(&temporary(None), at(AFTER_MIDNIGHT))
        .unwrap();
    assert!(!wrong.url().expose().contains("2f4be468459e95c8"));
}

#[test]
fn expiry_capped_at_credentials_lifetime() {
    // 300.5 s left: X-Amz-Expires=300, as Python signs with a 300 s expiry.
    let creds = temporary(Some(at(AFTER_MIDNIGHT + 300) + Duration::from_millis(500)));
    assert_token(
        &MskIamSigner::new("eu-west-1").unwrap(),
        &creds,
        AFTER_MIDNIGHT,
        "https://kafka.eu-west-1.amazonaws.com/?Action=kafka-cluster%3AConnect&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAEXAMPLE%2F20240116%2Feu-west-1%2Fkafka-cluster%2Faws4_request&X-Amz-Date=20240116T000001Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Security-Token=IQoJb3JpZ2luX2Vj%2F%2BAbC%3DdEf%2B%2F%3D%3D&X-Amz-Signature=2c7d20e7de031a80c96c468f5f78558fba47206a57653b30aaf06c1fbe19a132&User-Agent=aws-msk-iam-sasl-signer-python%2F1.0.2",
        1_705_363_501_000,
    );
    let t = MskIamSigner::new("eu-west-1")
        .unwrap()
        .sign_token(&creds, at(AFTER_MIDNIGHT))
        .unwrap();
    assert_eq!(t.expires_in(), Duration::from_secs(300));
    assert_eq!(t.expires_at(), at(AFTER_MIDNIGHT + 300));
}

#[test]
fn a_configured_lifetime_is_signed() {
    // The same 300 s signature, from the lifetime rather than the credentials.
    let signer = MskIamSigner::new("eu-west-1")
        .unwrap()
        .with_lifetime(Duration::from_secs(300))
        .unwrap();
    let t = signer
        .sign_token(&temporary(None), at(AFTER_MIDNIGHT))
        .unwrap();
    assert!(t.url().expose().contains(
        "&X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Security-Token=IQoJb3JpZ2luX2Vj%2F%2BAbC%3DdEf%2B%2F%3D%3D&X-Amz-Signature=2c7d20e7de031a80c96c468f5f78558fba47206a57653b30aaf06c1fbe19a132&"
    ));
}

#[test]
fn expired_credentials_cannot_sign() {
    let signer = MskIamSigner::new("eu-west-1").unwrap();
    for left in [Duration::ZERO, Duration::from_millis(999)] {
        let creds = temporary(Some(at(AFTER_MIDNIGHT) + left));
        let e = signer.sign_token(&creds, at(AFTER_MIDNIGHT)).unwrap_err();
        assert!(
            matches!(e, crate::aws::AwsError::ExpiresTooSoon { .. }),
            "{e}"
        );
        assert!(!e.to_string().contains("IQoJ"), "{e}");
    }
}

#[test]
fn sub_second_signing_time_is_truncated() {
    let signer = MskIamSigner::new("us-east-1").unwrap();
    let whole = signer
        .sign_token(&long_term(), at(BEFORE_MIDNIGHT))
        .unwrap();
    let later = signer
        .sign_token(
            &long_term(),
            at(BEFORE_MIDNIGHT) + Duration::from_millis(999),
        )
        .unwrap();
    assert_eq!(whole, later);
}

#[test]
fn aws_msk_iam_payload_signature() {
    let host = "b-1.mycluster.abc123.c2.kafka.us-east-1.amazonaws.com";
    let p = MskIamSigner::new("us-east-1")
        .unwrap()
        .sign_payload(&temporary(None), host, at(AFTER_MIDNIGHT))
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&p.to_json()).unwrap();
    let expected = serde_json::json!({
        "version": "2020_10_22",
        "host": host,
        "user-agent": format!("ottla/{}", env!("CARGO_PKG_VERSION")),
        "action": "kafka-cluster:Connect",
        "x-amz-algorithm": "AWS4-HMAC-SHA256",
        "x-amz-credential": "ASIAEXAMPLE/20240116/us-east-1/kafka-cluster/aws4_request",
        "x-amz-date": "20240116T000001Z",
        "x-amz-signedheaders": "host",
        "x-amz-expires": "900",
        "x-amz-signature": "de046c6552328a21293f246bad81e85f488db6f8486d7cbfa68a07032615616b",
        "x-amz-security-token": SESSION_TOKEN,
    });
    assert_eq!(json, expected);
    assert_eq!(p.host(), host);
    assert_eq!(p.expires_at(), at(AFTER_MIDNIGHT + 900));
}
