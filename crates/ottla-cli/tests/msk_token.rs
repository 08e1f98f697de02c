//! `ottla msk-token`: the token, URL and AWS_MSK_IAM payload a client would send, from the
//! credential chain of a clean environment, compared with the official Python signer's output
//! for the same credentials and time (the reference URL of
//! crates/ottla-sasl/src/msk_iam/known_answers.rs, Python's User-Agent swapped for ours).

use std::path::PathBuf;
use std::process::{Command, Output};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const SESSION_TOKEN: &str = "IQoJb3JpZ2luX2Vj/+AbC=dEf+/==";
/// aws-msk-iam-sasl-signer-python 1.0.2, ASIAEXAMPLE, eu-west-1, 2024-01-16T00:00:01Z.
const PYTHON_URL: &str = "https://kafka.eu-west-1.amazonaws.com/?Action=kafka-cluster%3AConnect&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAEXAMPLE%2F20240116%2Feu-west-1%2Fkafka-cluster%2Faws4_request&X-Amz-Date=20240116T000001Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Security-Token=IQoJb3JpZ2luX2Vj%2F%2BAbC%3DdEf%2B%2F%3D%3D&X-Amz-Signature=d1e2bb547aff36c3c97e56bb87fa33c2466ed1feb5b0e3f930820f3192b72d5f&User-Agent=aws-msk-iam-sasl-signer-python%2F1.0.2";

fn expected_url() -> String {
    PYTHON_URL.replace(
        "User-Agent=aws-msk-iam-sasl-signer-python%2F1.0.2",
        &format!("User-Agent=ottla%2F{}", env!("CARGO_PKG_VERSION")),
    )
}

/// A home directory of its own for each test.
fn home(label: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ottla-msk-token-{label}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `ottla msk-token ARGS` with only `env` (and PATH) set.
fn msk_token(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ottla"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .arg("msk-token")
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn stdout(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout.clone())
        .unwrap()
        .trim()
        .to_owned()
}

fn env_keys(home: &str) -> Vec<(&'static str, String)> {
    vec![
        ("HOME", home.to_owned()),
        ("AWS_ACCESS_KEY_ID", "ASIAEXAMPLE".into()),
        ("AWS_SECRET_ACCESS_KEY", SECRET.into()),
        ("AWS_SESSION_TOKEN", SESSION_TOKEN.into()),
    ]
}

fn pairs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

const AT: &[&str] = &[
    "--region",
    "eu-west-1",
    "--signing-time",
    "2024-01-16T00:00:01Z",
];

#[test]
fn url_and_token_match_the_reference_signer() {
    let h = home("env");
    let env = env_keys(&h.to_string_lossy());
    let url = stdout(&msk_token(&[AT, &["--decode"]].concat(), &pairs(&env)));
    assert_eq!(url, expected_url());
    let token = stdout(&msk_token(AT, &pairs(&env)));
    assert!(!token.contains('=') && !token.contains('+') && !token.contains('/'));
    let decoded = String::from_utf8(URL_SAFE_NO_PAD.decode(&token).unwrap()).unwrap();
    assert_eq!(decoded, expected_url());
}

#[test]
fn credentials_from_a_profile_and_region_from_the_environment() {
    let h = home("profile");
    let creds = h.join("credentials");
    std::fs::write(
        &creds,
        format!(
            "[msk]\naws_access_key_id = ASIAEXAMPLE\naws_secret_access_key = {SECRET}\n\
             aws_session_token = {SESSION_TOKEN}\n"
        ),
    )
    .unwrap();
    let home = h.to_string_lossy().into_owned();
    let creds = creds.to_string_lossy().into_owned();
    let env = [
        ("HOME", home.as_str()),
        ("AWS_SHARED_CREDENTIALS_FILE", creds.as_str()),
        ("AWS_REGION", "eu-west-1"),
    ];
    let url = stdout(&msk_token(
        &[
            "-X",
            "aws.profile=msk",
            "--signing-time",
            "2024-01-16T00:00:01Z",
            "--decode",
        ],
        &env,
    ));
    assert_eq!(url, expected_url());
}

#[test]
fn json_payload_for_a_broker() {
    let h = home("json");
    let env = env_keys(&h.to_string_lossy());
    let out = stdout(&msk_token(
        &[
            AT,
            &[
                "--json-payload",
                "--broker-host",
                "b-1.mycluster.abc123.c2.kafka.eu-west-1.amazonaws.com",
            ],
        ]
        .concat(),
        &pairs(&env),
    ));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["version"], "2020_10_22");
    assert_eq!(
        v["host"],
        "b-1.mycluster.abc123.c2.kafka.eu-west-1.amazonaws.com"
    );
    assert_eq!(v["action"], "kafka-cluster:Connect");
    assert_eq!(
        v["x-amz-credential"],
        "ASIAEXAMPLE/20240116/eu-west-1/kafka-cluster/aws4_request"
    );
    assert_eq!(v["x-amz-date"], "20240116T000001Z");
    assert_eq!(v["x-amz-security-token"], SESSION_TOKEN);
    assert_eq!(v["x-amz-signature"].as_str().map(str::len), Some(64));
    // --json-payload without --broker-host is refused by the argument parser.
    let o = msk_token(&[AT, &["--json-payload"]].concat(), &pairs(&env));
    assert!(!o.status.success());
}

#[test]
fn missing_region_and_missing_credentials_say_where_they_looked() {
    let h = home("none");
    let home = h.to_string_lossy().into_owned();
    let o = msk_token(&["--decode"], &[("HOME", home.as_str())]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    for place in ["aws.region", "AWS_REGION", "AWS_DEFAULT_REGION"] {
        assert!(err.contains(place), "{err}");
    }
    let o = msk_token(&["--region", "us-east-1"], &[("HOME", home.as_str())]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    for source in ["environment", "web identity", "profile", "ECS", "EC2 IMDS"] {
        assert!(err.contains(source), "{err}");
    }
}
