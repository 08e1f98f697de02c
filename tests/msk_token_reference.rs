//! MSK IAM OAUTHBEARER tokens against the official Python signer
//! (`aws-msk-iam-sasl-signer-python`, from `OTTLA_AWS_PYTHON`): for the same credentials,
//! region and signing time, every query parameter but `User-Agent` must be equal and in the
//! same order (the signature included), and so must the reported expiry.
//!
//! The Python side runs `generate_auth_token_from_credentials_provider` with a small
//! `CredentialProvider` handing out the case's credentials and botocore's clock
//! (`botocore.auth.get_current_datetime`) frozen at the case's time. Its endpoint template is
//! fixed to `amazonaws.com`; the China case patches `ENDPOINT_URL_TEMPLATE`.
//!
//! ```sh
//! OTTLA_AWS_PYTHON=/work/main/.tools/aws-venv/bin/python \
//!     cargo test -p ottla-tests --test msk_token_reference
//! ```

use std::path::Path;
use std::process::Command;
use std::time::SystemTime;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ottla_sasl::aws::AwsCredentials;
use ottla_sasl::msk_iam::MskIamSigner;
use ottla_sasl::Secret;
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

fn ours(case: &Case) -> (String, i64) {
    let at = SystemTime::from(OffsetDateTime::parse(case.at, &Rfc3339).expect("RFC 3339 time"));
    let creds = AwsCredentials::new(
        case.access_key_id,
        Secret::new(case.secret),
        case.session_token.map(Secret::new),
        None,
        "reference test",
    );
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
