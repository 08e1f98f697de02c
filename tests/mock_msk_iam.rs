//! MSK IAM end to end against `ottla-mock`, whose server side verifies SigV4 on its own (hand
//! written, not aws-sigv4): OAUTHBEARER IAM tokens and AWS_MSK_IAM, wrong keys, KIP-368
//! re-authentication across credential rotations, the default credential chain from an
//! environment, the missing-region error, and SCRAM passwords from Secrets Manager (moto for
//! the happy path, a loopback double for a rotated secret).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use ottla::basic::{produce_batch, ProduceOptions};
use ottla::protocol::records::Record;
use ottla::{Client, ConfigError, Error};
use ottla_aws::{
    AwsCredentials, AwsEnv, AwsError, BoxFuture, ProvideAwsCredentials, SecretsManagerClient,
    StaticCredentials,
};
use ottla_mock::{IamRejection, MockCluster, MockIam, MockSasl, SaslCounter, SaslMechanism};
use ottla_sasl::Secret;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const REGION: &str = "us-east-1";

async fn cluster(sasl: MockSasl) -> MockCluster {
    ottla_tests::sasl_mock(sasl).await
}

fn config(bootstrap: &str, pairs: &[(&str, &str)]) -> ottla::ClientConfigBuilder {
    let mut b = ottla_tests::sasl_config(bootstrap, pairs);
    // Nothing from this machine's environment or ~/.aws leaks into these tests.
    b.aws_env(AwsEnv::default().with("HOME", "/nonexistent-ottla-home"));
    b
}

const IAM_OAUTH: &[(&str, &str)] = &[
    ("sasl.mechanism", "OAUTHBEARER"),
    ("sasl.oauthbearer.method", "aws_msk_iam"),
    ("aws.region", REGION),
];
const IAM_JSON: &[(&str, &str)] = &[("sasl.mechanism", "AWS_MSK_IAM"), ("aws.region", REGION)];

fn static_creds(akid: &str, secret: &str, token: Option<&str>) -> Arc<dyn ProvideAwsCredentials> {
    Arc::new(StaticCredentials::new(AwsCredentials::new(
        akid,
        Secret::new(secret),
        token.map(Secret::new),
        None,
        "test",
    )))
}

fn record(v: &str) -> Record {
    ottla_tests::value_record(v)
}

async fn round_trip(client: &Client, value: &str) {
    ottla_tests::round_trip_value(client, value).await;
}

/// The typed error of the first bootstrap attempt.
fn first_error(e: &Error) -> &Error {
    match e {
        Error::Bootstrap { errors, .. } => errors.first().unwrap_or(e),
        other => other,
    }
}

#[tokio::test]
async fn both_mechanisms_authenticate_and_a_wrong_secret_is_rejected() {
    for (mechanism, pairs) in [("OAUTHBEARER", IAM_OAUTH), ("AWS_MSK_IAM", IAM_JSON)] {
        let iam = MockIam::new(REGION)
            .key("AKIDEXAMPLE", "right-secret")
            .temporary_key("ASIATEMP", "temp-secret", "IQoJb3/+token==");
        let c = cluster(MockSasl::msk_iam(iam.clone())).await;

        for (akid, secret, token) in [
            ("AKIDEXAMPLE", "right-secret", None),
            ("ASIATEMP", "temp-secret", Some("IQoJb3/+token==")),
        ] {
            let mut b = config(&c.bootstrap(), pairs);
            b.aws_credentials(static_creds(akid, secret, token));
            let client = Client::connect(b.build().unwrap()).await.unwrap();
            round_trip(&client, mechanism).await;
        }
        assert!(iam.successes() >= 2, "{mechanism}: {}", iam.successes());
        assert_eq!(iam.failures(), 0, "{mechanism}: {:?}", iam.last_failure());

        let mut b = config(&c.bootstrap(), pairs);
        b.aws_credentials(static_creds("AKIDEXAMPLE", "wrong-secret", None));
        let e = Client::connect(b.build().unwrap()).await.unwrap_err();
        let text = e.to_string();
        assert!(
            matches!(first_error(&e), Error::Authentication { .. }),
            "{mechanism}: {e:?}"
        );
        assert!(!text.contains("wrong-secret"), "{text}");
        assert_eq!(iam.last_failure(), Some(IamRejection::WrongSignature));

        let mut b = config(&c.bootstrap(), pairs);
        b.aws_credentials(static_creds("AKIDUNKNOWN", "x", None));
        Client::connect(b.build().unwrap()).await.unwrap_err();
        assert!(
            matches!(iam.last_failure(), Some(IamRejection::UnknownAccessKey(_))),
            "{:?}",
            iam.last_failure()
        );
    }
}

#[tokio::test]
async fn the_token_is_signed_for_the_configured_region() {
    let iam = MockIam::new(REGION).key("AKIDEXAMPLE", "right-secret");
    let c = cluster(MockSasl::msk_iam(iam.clone())).await;
    let mut b = config(
        &c.bootstrap(),
        &[
            ("sasl.mechanism", "AWS_MSK_IAM"),
            ("aws.region", "eu-west-1"),
        ],
    );
    b.aws_credentials(static_creds("AKIDEXAMPLE", "right-secret", None));
    Client::connect(b.build().unwrap()).await.unwrap_err();
    assert!(
        matches!(iam.last_failure(), Some(IamRejection::WrongRegion { .. })),
        "{:?}",
        iam.last_failure()
    );
}

/// Temporary credentials that rotate at every call: a new key each time, all for one role
/// (the mock's principal). The first two are valid for `first`, the rest for `then`: sessions
/// get shorter after the first re-authentication, so a client that kept timing
/// re-authentication from the first session's lifetime would see its session expire.
#[derive(Debug)]
struct Rotating {
    calls: AtomicU64,
    first: Duration,
    then: Duration,
    used: Mutex<Vec<String>>,
}

impl ProvideAwsCredentials for Rotating {
    fn credentials(&self) -> BoxFuture<'_, Result<AwsCredentials, AwsError>> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        let akid = format!("ASIAROTATING{n:04}");
        self.used.lock().unwrap().push(akid.clone());
        let c = AwsCredentials::new(
            akid,
            Secret::new(format!("secret-{n}")),
            Some(Secret::new(format!("token/{n}+="))),
            Some(SystemTime::now() + if n < 2 { self.first } else { self.then }),
            "rotating",
        );
        Box::pin(async move { Ok(c) })
    }
}

#[tokio::test]
async fn sessions_outlive_credential_rotations() {
    for pairs in [IAM_OAUTH, IAM_JSON] {
        let mut iam = MockIam::new(REGION);
        for n in 0..200u32 {
            iam = iam.identity(
                "arn:aws:sts::123456789012:assumed-role/msk/app",
                format!("ASIAROTATING{n:04}"),
                format!("secret-{n}"),
                Some(format!("token/{n}+=")),
            );
        }
        let c = cluster(MockSasl::msk_iam(iam.clone())).await;
        let provider = Arc::new(Rotating {
            calls: AtomicU64::new(0),
            // MSK ends the session when the signature expires: X-Amz-Expires is capped at
            // what the credentials have left, so sessions here last about 5-6 s, then 2-3 s.
            first: Duration::from_secs(6),
            then: Duration::from_secs(3),
            used: Mutex::new(Vec::new()),
        });
        let mut b = config(&c.bootstrap(), pairs);
        b.aws_credentials(provider.clone());
        let client = Client::connect(b.build().unwrap()).await.unwrap();
        let leader = client.leader_of("t", 0).await.unwrap();
        let conn = client.connection(leader).await.unwrap();
        let started = Instant::now();
        let mut sent = 0u64;
        while started.elapsed() < Duration::from_secs(14) {
            let batch: Vec<Record> = (0..10).map(|i| record(&(sent + i).to_string())).collect();
            produce_batch(&client, "t", 0, &batch, &ProduceOptions::default())
                .await
                .expect("produce across credential rotations");
            sent += 10;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let mut received = Vec::new();
        ottla_tests::fetch_values_until(&client, &mut 0, &mut received, sent).await;
        let expected: Vec<String> = (0..sent).map(|i| i.to_string()).collect();
        assert_eq!(received, expected, "every record once, in order");
        assert!(!conn.is_closed(), "the leader connection lived on");
        let reauths = conn.reauthentications();
        let keys = provider.used.lock().unwrap().clone();
        eprintln!(
            "{}: re-authentications on the leader connection {reauths}, keys used {}",
            pairs[0].1,
            keys.len()
        );
        assert!(reauths >= 3, "only {reauths} re-authentications in 14 s");
        assert!(keys.len() as u64 > reauths, "a fresh signature each time");
        assert_eq!(iam.failures(), 0, "{:?}", iam.last_failure());
        assert_eq!(c.sasl_count(SaslCounter::ExpiredSessionCloses), 0);
        assert_eq!(c.sasl_count(SaslCounter::Failures), 0);
        let principals = c.sasl_principals();
        assert!(
            principals
                .iter()
                .all(|(_, p)| p == "arn:aws:sts::123456789012:assumed-role/msk/app"),
            "{principals:?}"
        );
    }
}

#[tokio::test]
async fn the_default_chain_reads_the_given_environment() {
    let iam = MockIam::new(REGION).temporary_key("ASIAENV", "env-secret", "env/token+=");
    let c = cluster(MockSasl::msk_iam(iam.clone())).await;
    let mut b = config(
        &c.bootstrap(),
        &[("sasl.mechanism", "AWS_MSK_IAM")], // region from AWS_REGION below
    );
    b.aws_env(
        AwsEnv::default()
            .with("HOME", "/nonexistent-ottla-home")
            .with("AWS_REGION", REGION)
            .with("AWS_ACCESS_KEY_ID", "ASIAENV")
            .with("AWS_SECRET_ACCESS_KEY", "env-secret")
            .with("AWS_SESSION_TOKEN", "env/token+="),
    );
    let client = Client::connect(b.build().unwrap()).await.unwrap();
    round_trip(&client, "from the environment").await;
    assert_eq!(iam.failures(), 0, "{:?}", iam.last_failure());
}

#[tokio::test]
async fn no_region_says_where_it_looked() {
    let iam = MockIam::new(REGION).key("AKIDEXAMPLE", "s");
    let c = cluster(MockSasl::msk_iam(iam)).await;
    let mut b = config(&c.bootstrap(), &[("sasl.mechanism", "AWS_MSK_IAM")]);
    b.aws_credentials(static_creds("AKIDEXAMPLE", "s", None));
    let e = Client::connect(b.build().unwrap()).await.unwrap_err();
    let Error::Config(ConfigError::Aws { key, source }) = &e else {
        panic!("{e:?}");
    };
    assert_eq!(key, "aws.region");
    let text = source.to_string();
    for place in ["aws.region", "AWS_REGION", "AWS_DEFAULT_REGION"] {
        assert!(text.contains(place), "{text}");
    }
}

#[tokio::test]
async fn scram_password_from_secrets_manager_on_moto() {
    let Some(moto) = ottla_tests::moto_endpoint() else {
        return;
    };
    let creds = AwsCredentials::new("testing", Secret::new("testing"), None, None, "test");
    let env = AwsEnv::default()
        .with("HOME", "/nonexistent-ottla-home")
        .with("AWS_ENDPOINT_URL_SECRETS_MANAGER", moto.as_str())
        .with("AWS_ACCESS_KEY_ID", "testing")
        .with("AWS_SECRET_ACCESS_KEY", "testing");
    let name = ottla_tests::unique_topic("AmazonMSK_ottla");
    SecretsManagerClient::new(&env, REGION)
        .unwrap()
        .call(
            &creds,
            "CreateSecret",
            &serde_json::json!({
                "Name": name,
                "SecretString": r#"{"username":"alice","password":"alice-secret"}"#,
            }),
        )
        .await
        .unwrap();
    let c = cluster(
        MockSasl::new()
            .mechanism(SaslMechanism::ScramSha512)
            .user("alice", "alice-secret"),
    )
    .await;
    let mut b = config(
        &c.bootstrap(),
        &[
            ("sasl.mechanism", "SCRAM-SHA-512"),
            ("sasl.scram.secret.id", &name),
            ("aws.region", REGION),
        ],
    );
    b.aws_env(env.clone());
    let client = Client::connect(b.build().unwrap()).await.unwrap();
    round_trip(&client, "scram from secrets manager").await;

    let mut b = config(
        &c.bootstrap(),
        &[
            ("sasl.mechanism", "SCRAM-SHA-512"),
            ("sasl.scram.secret.id", "AmazonMSK_does_not_exist"),
            ("aws.region", REGION),
        ],
    );
    b.aws_env(env);
    let e = Client::connect(b.build().unwrap()).await.unwrap_err();
    assert!(e.to_string().contains("ResourceNotFoundException"), "{e}");
}

/// A Secrets Manager double that answers GetSecretValue with each password in turn (the last
/// one forever), and counts the calls.
async fn rotating_secret(passwords: &'static [&'static str]) -> (String, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let calls = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&calls);
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else {
                return;
            };
            let counter = Arc::clone(&counter);
            tokio::spawn(async move {
                let mut seen = Vec::new();
                let mut buf = [0u8; 4096];
                // Headers, then the body by Content-Length.
                let body_start = loop {
                    let n = s.read(&mut buf).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    seen.extend_from_slice(&buf[..n]);
                    if let Some(i) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i + 4;
                    }
                };
                let head = String::from_utf8_lossy(&seen[..body_start]).to_ascii_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                while seen.len() < body_start + length {
                    let n = s.read(&mut buf).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    seen.extend_from_slice(&buf[..n]);
                }
                assert!(
                    head.contains("x-amz-target: secretsmanager.getsecretvalue"),
                    "{head}"
                );
                assert!(head.contains("authorization: aws4-hmac-sha256"), "{head}");
                let n = counter.fetch_add(1, Ordering::SeqCst) as usize;
                let password = passwords[n.min(passwords.len() - 1)];
                let secret = serde_json::json!({"username": "alice", "password": password});
                let body = serde_json::json!({
                    "ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:AmazonMSK_alice-AbCdEf",
                    "Name": "AmazonMSK_alice",
                    "VersionId": format!("v{n}"),
                    "SecretString": secret.to_string(),
                })
                .to_string();
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(answer.as_bytes()).await;
            });
        }
    });
    (url, calls)
}

fn secret_config(bootstrap: &str, endpoint: &str) -> ottla::ClientConfigBuilder {
    let mut b = config(
        bootstrap,
        &[
            ("sasl.mechanism", "SCRAM-SHA-512"),
            ("sasl.scram.secret.id", "AmazonMSK_alice"),
            ("aws.region", REGION),
        ],
    );
    b.aws_env(
        AwsEnv::default()
            .with("HOME", "/nonexistent-ottla-home")
            .with("AWS_ENDPOINT_URL_SECRETS_MANAGER", endpoint),
    );
    b.aws_credentials(static_creds("AKIDEXAMPLE", "s", None));
    b
}

#[tokio::test]
async fn a_rotated_secret_is_read_again_once_after_a_rejection() {
    let c = cluster(
        MockSasl::new()
            .mechanism(SaslMechanism::ScramSha512)
            .user("alice", "rotated-password"),
    )
    .await;
    // The first read still has the old password; the broker already has the new one.
    let (endpoint, calls) = rotating_secret(&["old-password", "rotated-password"]).await;
    let client = Client::connect(secret_config(&c.bootstrap(), &endpoint).build().unwrap())
        .await
        .unwrap();
    round_trip(&client, "after rotation").await;
    assert_eq!(calls.load(Ordering::SeqCst), 2, "read once, then once more");
    assert_eq!(c.sasl_count(SaslCounter::Failures), 1);

    // A password that is simply wrong: one more read, then the error (no loop).
    let (endpoint, calls) = rotating_secret(&["wrong-password"]).await;
    let e = Client::connect(secret_config(&c.bootstrap(), &endpoint).build().unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(first_error(&e), Error::Authentication { .. }),
        "{e:?}"
    );
    assert!(!e.to_string().contains("wrong-password"), "{e}");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}
