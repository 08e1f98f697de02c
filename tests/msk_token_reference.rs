//! MSK IAM signatures against the official signers, for the same credentials and region:
//!
//! - OAUTHBEARER tokens against the Python signer (`aws-msk-iam-sasl-signer-python`, from
//!   `OTTLA_AWS_PYTHON`): at the same signing time, every query parameter but `User-Agent`
//!   must be equal and in the same order (the signature included), and so must the reported
//!   expiry.
//! - AWS_MSK_IAM payloads against Amazon's Java library (`aws-msk-iam-auth`, through the Java
//!   peer's `msk-iam-payload` from `OTTLA_JAVA_MSK_PEER`): the library signs at the current
//!   time, so ottla signs at the payload's own `x-amz-date`; then every field but `user-agent`
//!   must be equal (the signature included).
//!
//! The Python side runs `generate_auth_token_from_credentials_provider` with a small
//! `CredentialProvider` handing out the case's credentials and botocore's clock
//! (`botocore.auth.get_current_datetime`) frozen at the case's time. Its endpoint template is
//! fixed to `amazonaws.com`; the China case patches `ENDPOINT_URL_TEMPLATE`.
//!
//! ```sh
//! OTTLA_AWS_PYTHON=/work/main/.tools/aws-venv/bin/python \
//! OTTLA_JAVA_MSK_PEER=$(scripts/install-java-peer.sh --msk-iam) \
//!     cargo test -p ottla-tests --test msk_token_reference
//! ```

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ottla_aws::AwsCredentials;
use ottla_sasl::msk_iam::MskIamSigner;
use ottla_sasl::Secret;
use ottla_tests::peer_records::PeerCommand;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// argv: access key id, secret key, session token ('' = none), region, time
/// (`YYYY-MM-DDTHH:MM:SSZ`), endpoint template. Prints the token, then the expiry in ms.
const PYTHON_SIGNER: &str = r#"
import datetime, sys
import botocore.auth
from botocore.credentials import CredentialProvider, Credentials
from aws_msk_iam_sasl_signer import MSKAuthTokenProvider as m
akid, secret, token, region, when, template = sys.argv[1:7]
frozen = datetime.datetime.strptime(when, "%Y-%m-%dT%H:%M:%SZ")
botocore.auth.get_current_datetime = lambda: frozen
m.ENDPOINT_URL_TEMPLATE = template
class Fixed(CredentialProvider):
    METHOD = "ottla-test"
    def load(self):
        return Credentials(akid, secret, token or None)
tok, expiry_ms = m.generate_auth_token_from_credentials_provider(region, Fixed())
print(tok)
print(expiry_ms)
"#;

const PYTHON_USER_AGENT: &str = "aws-msk-iam-sasl-signer-python%2F1.0.2";

struct Case {
    name: &'static str,
    access_key_id: &'static str,
    secret: &'static str,
    session_token: Option<&'static str>,
    region: &'static str,
    host_suffix: &'static str,
    at: &'static str,
}

const CASES: &[Case] = &[
    Case {
        name: "long-term keys, us-east-1, a second before midnight",
        access_key_id: "AKIAIOSFODNN7EXAMPLE",
        secret: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        session_token: None,
        region: "us-east-1",
        host_suffix: "amazonaws.com",
        at: "2024-01-15T23:59:59Z",
    },
    Case {
        name: "session token with / + =, eu-west-1, a second after midnight",
        access_key_id: "ASIAIOSFODNN7EXAMPLE",
        secret: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        session_token: Some(
            "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+abc/def+ghi==",
        ),
        region: "eu-west-1",
        host_suffix: "amazonaws.com",
        at: "2024-01-16T00:00:01Z",
    },
    Case {
        name: "session token ending in =, ap-southeast-2, midnight exactly",
        access_key_id: "ASIA2EXAMPLE7KEYID00",
        secret: "+/+/secretWithLeadingSymbols==",
        session_token: Some("FwoGZXIvYXdzEBYaD+token/with=inner=signs="),
        region: "ap-southeast-2",
        host_suffix: "amazonaws.com",
        at: "2024-01-16T00:00:00Z",
    },
    Case {
        name: "China partition, cn-north-1, before midnight",
        access_key_id: "ASIACNEXAMPLE0000001",
        secret: "cnSecret/Key+With=Symbols",
        session_token: Some("cn/session+token=="),
        region: "cn-north-1",
        host_suffix: "amazonaws.com.cn",
        at: "2024-01-15T23:59:59Z",
    },
    Case {
        name: "long-term keys, us-gov-west-1, leap day",
        access_key_id: "AKIAGOVEXAMPLE000002",
        secret: "govSecretKeyExample0123456789/+abcdefgh",
        session_token: None,
        region: "us-gov-west-1",
        host_suffix: "amazonaws.com",
        at: "2024-02-29T12:34:56Z",
    },
    Case {
        name: "session token, sa-east-1, new year",
        access_key_id: "ASIASAEXAMPLE0000003",
        secret: "sa/East+1=Secret",
        session_token: Some("a+b/c=d+e/f=="),
        region: "sa-east-1",
        host_suffix: "amazonaws.com",
        at: "2025-01-01T00:00:00Z",
    },
];

/// A URL split into its part before `?` and its query parameters in order (still encoded).
fn split(url: &str) -> (String, Vec<(String, String)>) {
    let (base, query) = url
        .split_once('?')
        .unwrap_or_else(|| panic!("no query in {url}"));
    let params = query
        .split('&')
        .map(|pair| {
            let (k, v) = pair
                .split_once('=')
                .unwrap_or_else(|| panic!("{pair} in {url}"));
            (k.to_owned(), v.to_owned())
        })
        .collect();
    (base.to_owned(), params)
}

fn decode(token: &str) -> String {
    let bytes = URL_SAFE_NO_PAD
        .decode(token)
        .unwrap_or_else(|e| panic!("token is not base64url without padding ({e}): {token}"));
    String::from_utf8(bytes).expect("the token is a UTF-8 URL")
}

/// The Python signer's token and expiry (ms) for `case`.
fn python_token(python: &Path, case: &Case) -> (String, i64) {
    let template = format!("https://kafka.{{}}.{}/", case.host_suffix);
    let out = Command::new(python)
        .arg("-c")
        .arg(PYTHON_SIGNER)
        .args([
            case.access_key_id,
            case.secret,
            case.session_token.unwrap_or(""),
            case.region,
            case.at,
            &template,
        ])
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", python.display()));
    assert!(
        out.status.success(),
        "{}: the Python signer failed: {}",
        case.name,
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).expect("UTF-8 output");
    let mut lines = stdout.lines();
    let token = lines.next().expect("a token line").to_owned();
    let expiry = lines
        .next()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("no expiry in {stdout:?}"));
    (token, expiry)
}

/// The case's credentials, as the signer takes them.
fn credentials(case: &Case) -> AwsCredentials {
    AwsCredentials::new(
        case.access_key_id,
        Secret::new(case.secret),
        case.session_token.map(Secret::new),
        None,
        "reference test",
    )
}

fn ours(case: &Case) -> (String, i64) {
    let at = SystemTime::from(OffsetDateTime::parse(case.at, &Rfc3339).expect("RFC 3339 time"));
    let creds = credentials(case);
    let signer = MskIamSigner::new(case.region)
        .unwrap()
        .with_host_suffix(case.host_suffix)
        .unwrap();
    let token = signer.sign_token(&creds, at).unwrap();
    assert_eq!(decode(token.token().expose()), token.url().expose());
    (token.token().expose().to_owned(), token.expires_at_ms())
}

/// Signs `CASES[index]` both ways and compares.
fn check(index: usize) {
    let Some(python) = ottla_tests::aws_python() else {
        return;
    };
    let case = &CASES[index];
    let ottla_ua = format!("ottla%2F{}", env!("CARGO_PKG_VERSION"));
    assert_eq!(
        ottla_ua,
        MskIamSigner::DEFAULT_USER_AGENT.replace('/', "%2F")
    );
    let (py_token, py_expiry) = python_token(&python, case);
    let (our_token, our_expiry) = ours(case);
    let (py_base, mut py_params) = split(&decode(&py_token));
    let (our_base, mut our_params) = split(&decode(&our_token));

    assert_eq!(our_base, py_base, "{}", case.name);
    assert_eq!(
        our_base,
        format!("https://kafka.{}.{}/", case.region, case.host_suffix),
        "{}",
        case.name
    );
    // User-Agent comes last in both, and is the only difference.
    assert_eq!(
        py_params.pop(),
        Some(("User-Agent".to_owned(), PYTHON_USER_AGENT.to_owned())),
        "{}",
        case.name
    );
    assert_eq!(
        our_params.pop(),
        Some(("User-Agent".to_owned(), ottla_ua)),
        "{}",
        case.name
    );
    assert_eq!(our_params, py_params, "{}", case.name);
    assert_eq!(our_expiry, py_expiry, "{}: expiry", case.name);

    let names: Vec<&str> = py_params.iter().map(|(k, _)| k.as_str()).collect();
    let mut expected = vec![
        "Action",
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Date",
        "X-Amz-Expires",
        "X-Amz-SignedHeaders",
    ];
    if case.session_token.is_some() {
        expected.push("X-Amz-Security-Token");
    }
    expected.push("X-Amz-Signature");
    assert_eq!(names, expected, "{}", case.name);
}

#[test]
fn long_term_keys_before_midnight() {
    check(0);
}

#[test]
fn session_token_after_midnight() {
    check(1);
}

#[test]
fn session_token_at_midnight() {
    check(2);
}

#[test]
fn china_partition() {
    check(3);
}

#[test]
fn gov_cloud_leap_day() {
    check(4);
}

#[test]
fn session_token_new_year() {
    check(5);
}

/// The Java peer built against aws-msk-iam-auth (`OTTLA_JAVA_MSK_PEER`).
fn java_msk_peer() -> Option<PathBuf> {
    ottla_tests::peer(
        "OTTLA_JAVA_MSK_PEER",
        "the Java peer with aws-msk-iam-auth (scripts/install-java-peer.sh --msk-iam)",
    )
    .map(PathBuf::from)
}

/// The signing time of an `x-amz-date` (`yyyymmddThhmmssZ`).
fn amz_date_time(date: &str) -> SystemTime {
    let b = date.as_bytes();
    assert!(
        b.len() == 16 && b[8] == b'T' && b[15] == b'Z',
        "x-amz-date {date:?} is not yyyymmddThhmmssZ"
    );
    let rfc3339 = format!(
        "{}-{}-{}T{}:{}:{}Z",
        &date[0..4],
        &date[4..6],
        &date[6..8],
        &date[9..11],
        &date[11..13],
        &date[13..15]
    );
    SystemTime::from(
        OffsetDateTime::parse(&rfc3339, &Rfc3339)
            .unwrap_or_else(|e| panic!("x-amz-date {date:?}: {e}")),
    )
}

/// The fields of a JSON payload, every value a string.
fn payload_fields(what: &str, json: &[u8]) -> std::collections::BTreeMap<String, String> {
    let v: serde_json::Value = serde_json::from_slice(json)
        .unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {}", String::from_utf8_lossy(json)));
    v.as_object()
        .unwrap_or_else(|| panic!("{what}: not a JSON object: {v}"))
        .iter()
        .map(|(k, v)| {
            let s = v
                .as_str()
                .unwrap_or_else(|| panic!("{what}: {k} is not a string: {v}"));
            (k.clone(), s.to_owned())
        })
        .collect()
}

/// Signs an AWS_MSK_IAM payload for `host` with `CASES[index]`'s credentials and region in
/// aws-msk-iam-auth (now) and in ottla (at the library's `x-amz-date`), and compares.
fn check_java(index: usize, host: &str) {
    let Some(peer) = java_msk_peer() else {
        return;
    };
    let case = &CASES[index];
    let what = format!("{host}, credentials of case {:?}", case.name);
    let mut command = PeerCommand::new(&peer, "msk-iam-payload")
        .flag("--host", host)
        .flag("--access-key-id", case.access_key_id)
        .flag("--secret-access-key", case.secret)
        .flag("--region", case.region);
    if let Some(token) = case.session_token {
        command = command.flag("--session-token", token);
    }
    let out = command.run();
    let mut java = payload_fields(&format!("{what}: aws-msk-iam-auth"), out.trim().as_bytes());
    let field = |k: &str| -> String {
        java.get(k)
            .unwrap_or_else(|| panic!("{what}: aws-msk-iam-auth's payload has no {k}: {out}"))
            .clone()
    };
    let date = field("x-amz-date");
    let at = amz_date_time(&date);
    let expires: u64 = field("x-amz-expires")
        .parse()
        .unwrap_or_else(|e| panic!("{what}: x-amz-expires: {e}"));

    let mut signer = MskIamSigner::new(case.region).unwrap();
    // aws-msk-iam-auth's known quirk: it fixes the expiry (Instant.now() + 15 minutes) before
    // the AWS SDK's presigner reads the clock again to sign, and the SDK's X-Amz-Expires is
    // the whole seconds from the signing time to that expiry: 899 when a second boundary falls
    // between the two clock readings. Only then does ottla sign with 899 s (its lifetime is
    // configurable); every other expiry is a difference.
    match expires {
        900 => assert_eq!(signer.lifetime(), Duration::from_secs(900)),
        899 => signer = signer.with_lifetime(Duration::from_secs(899)).unwrap(),
        other => {
            panic!("{what}: aws-msk-iam-auth signed for {other} s, not 900 (or its 899 quirk)")
        }
    }
    let creds = credentials(case);
    let payload = signer
        .sign_payload(&creds, host, at)
        .unwrap_or_else(|e| panic!("{what}: ottla cannot sign for {host}: {e}"));
    let mut ours = payload_fields(&format!("{what}: ottla"), &payload.to_json());

    // The user agents name their own library; nothing else may differ.
    let java_ua = java.remove("user-agent").unwrap_or_default();
    assert!(
        java_ua.starts_with("aws-msk-iam-auth/"),
        "{what}: aws-msk-iam-auth's user-agent {java_ua:?}"
    );
    assert_eq!(
        ours.remove("user-agent").as_deref(),
        Some(MskIamSigner::DEFAULT_USER_AGENT),
        "{what}"
    );
    let java_keys: Vec<&String> = java.keys().collect();
    let our_keys: Vec<&String> = ours.keys().collect();
    assert_eq!(our_keys, java_keys, "{what}: the payload's fields");
    for (k, v) in &java {
        assert_eq!(&ours[k], v, "{what}: {k} (signed at {date})");
    }
    assert_eq!(ours["host"], host, "{what}");
    assert_eq!(
        ours.contains_key("x-amz-security-token"),
        case.session_token.is_some(),
        "{what}"
    );
}

#[test]
fn java_payload_long_term_keys() {
    check_java(0, "b-1.ottla-test.a1b2c3.c2.kafka.us-east-1.amazonaws.com");
}

#[test]
fn java_payload_session_token() {
    check_java(1, "b-2.ottla-test.a1b2c3.c2.kafka.eu-west-1.amazonaws.com");
}

#[test]
fn java_payload_session_token_ending_in_equals() {
    check_java(
        2,
        "b-3.ottla-test.a1b2c3.c4.kafka.ap-southeast-2.amazonaws.com",
    );
}

#[test]
fn java_payload_china_partition() {
    check_java(
        3,
        "b-1.ottla-test.a1b2c3.c2.kafka.cn-north-1.amazonaws.com.cn",
    );
}

#[test]
fn java_payload_gov_cloud() {
    check_java(
        4,
        "b-1.ottla-test.a1b2c3.c3.kafka.us-gov-west-1.amazonaws.com",
    );
}

/// A host that names no region: the library asks its region provider (the peer's --region).
#[test]
fn java_payload_host_without_region() {
    check_java(5, "kafka-1.internal.example");
}
