//! Tests of the mechanisms built on the signer: [`AwsMskIam`], [`MskIamTokenProvider`], and
//! that no `Debug` or error shows a secret.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::{AwsMskIam, MskIamSigner, MskIamTokenProvider};
use crate::aws::{AwsCredentials, AwsError, BoxFuture, Clock, ProvideAwsCredentials};
use crate::{Authenticator, OauthBearer, SaslError, Secret, TokenProvider};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const SESSION_TOKEN: &str = "IQoJb3JpZ2luX2Vj/+AbC=dEf+/==";
const BROKER: &str = "b-2.mycluster.abc123.c2.kafka.eu-west-1.amazonaws.com";
const T0: u64 = 1_705_363_201;

fn at(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}

/// Hands out temporary credentials expiring at `expires_at`, or a fixed error; counts calls.
#[derive(Debug)]
struct FakeCredentials {
    expires_at: Option<SystemTime>,
    fail: bool,
    calls: AtomicU64,
}

impl FakeCredentials {
    fn new(expires_at: Option<SystemTime>) -> Self {
        Self {
            expires_at,
            fail: false,
            calls: AtomicU64::new(0),
        }
    }
}

impl ProvideAwsCredentials for FakeCredentials {
    fn credentials(&self) -> BoxFuture<'_, Result<AwsCredentials, AwsError>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let result = if self.fail {
            Err(AwsError::Provider {
                provider: "fake",
                why: "no role".into(),
            })
        } else {
            Ok(AwsCredentials::new(
                "ASIAEXAMPLE",
                Secret::new(SECRET),
                Some(Secret::new(SESSION_TOKEN)),
                self.expires_at,
                "fake",
            ))
        };
        Box::pin(std::future::ready(result))
    }
}

/// A clock that moves one minute per reading.
fn ticking_clock() -> Clock {
    let ticks = Arc::new(AtomicU64::new(0));
    Clock::from_fn(move || at(T0 + 60 * ticks.fetch_add(1, Ordering::SeqCst)))
}

/// Temporary credentials that do not expire.
fn temporary() -> AwsCredentials {
    AwsCredentials::new(
        "ASIAEXAMPLE",
        Secret::new(SECRET),
        Some(Secret::new(SESSION_TOKEN)),
        None,
        "test",
    )
}

fn signer() -> MskIamSigner {
    MskIamSigner::new("eu-west-1").unwrap()
}

fn assert_no_secret(text: &str) {
    for secret in [
        SECRET,
        "wJalr",
        SESSION_TOKEN,
        "IQoJb3",
        "X-Amz-Signature",
        "aHR0cHM6",
    ] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
}

#[test]
fn payload_fields_without_session_token() {
    let creds = AwsCredentials::new("AKIDEXAMPLE", Secret::new(SECRET), None, None, "test");
    let p = signer().sign_payload(&creds, BROKER, at(T0)).unwrap();
    let json: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&p.to_json()).unwrap();
    let mut keys: Vec<&str> = json.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "action",
            "host",
            "user-agent",
            "version",
            "x-amz-algorithm",
            "x-amz-credential",
            "x-amz-date",
            "x-amz-expires",
            "x-amz-signature",
            "x-amz-signedheaders",
        ]
    );
    assert!(json.values().all(serde_json::Value::is_string));
    assert_eq!(json["host"], BROKER);
    assert_eq!(
        json["x-amz-credential"],
        "AKIDEXAMPLE/20240116/eu-west-1/kafka-cluster/aws4_request"
    );
    // The token and the payload for the same host and time carry the same signature.
    let token_signer = signer()
        .with_host_suffix("c2.kafka.eu-west-1.amazonaws.com")
        .unwrap();
    assert_eq!(
        token_signer.token_host(),
        "kafka.eu-west-1.c2.kafka.eu-west-1.amazonaws.com"
    );
    let other = signer()
        .sign_payload(
            &creds,
            "kafka.eu-west-1.c2.kafka.eu-west-1.amazonaws.com",
            at(T0),
        )
        .unwrap();
    let t = token_signer.sign_token(&creds, at(T0)).unwrap();
    let other_json: serde_json::Value = serde_json::from_slice(&other.to_json()).unwrap();
    let sig = other_json["x-amz-signature"].as_str().unwrap();
    assert!(t
        .url()
        .expose()
        .contains(&format!("&X-Amz-Signature={sig}&")));
}

#[test]
fn broker_host_is_validated() {
    let creds = AwsCredentials::new("AKIDEXAMPLE", Secret::new(SECRET), None, None, "test");
    for bad in ["", "b-1.example:9098", "https://b-1.example", "b 1"] {
        let e = signer().sign_payload(&creds, bad, at(T0)).unwrap_err();
        assert!(matches!(e, AwsError::Invalid { .. }), "{bad:?}: {e}");
    }
}

#[test]
fn aws_msk_iam_exchange() {
    let p = signer().sign_payload(&temporary(), BROKER, at(T0)).unwrap();
    let mut a: Box<dyn Authenticator> = Box::new(AwsMskIam::new(&p));
    assert_eq!(a.mechanism(), "AWS_MSK_IAM");
    assert!(matches!(a.step(b"{}"), Err(SaslError::OutOfOrder { .. })));
    let mut a = AwsMskIam::new(&p);
    assert_eq!(a.initial().unwrap(), p.to_json());
    assert!(matches!(a.initial(), Err(SaslError::OutOfOrder { .. })));
    assert_eq!(
        a.step(br#"{"version":"2020_10_22","request-id":"f00d"}"#)
            .unwrap(),
        None
    );
    assert_eq!(a.request_id(), Some("f00d"));
    assert!(a.failure().is_none());
    assert!(matches!(a.step(b""), Err(SaslError::OutOfOrder { .. })));
}

#[test]
fn aws_msk_iam_bad_replies() {
    for (reply, needle) in [
        (&b""[..], "empty reply"),
        (b"not json", "not JSON"),
        (br#"{"version":"1999","request-id":"x"}"#, "1999"),
        (
            br#"{"error":"Access denied to cluster"}"#,
            "Access denied to cluster",
        ),
    ] {
        let mut a = AwsMskIam::from_json(b"{}".to_vec());
        a.initial().unwrap();
        let e = a.step(reply).unwrap_err();
        assert!(
            matches!(
                &e,
                SaslError::UnexpectedServerMessage {
                    mechanism: "AWS_MSK_IAM",
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(e.to_string().contains(needle), "{e}");
        assert!(a.request_id().is_none());
        assert!(matches!(a.step(reply), Err(SaslError::OutOfOrder { .. })));
    }
}

#[tokio::test]
async fn for_broker_signs_with_current_credentials_and_time() {
    let provider = FakeCredentials::new(Some(at(T0 + 120)));
    let clock = Clock::fixed(at(T0));
    let mut a = AwsMskIam::for_broker(&signer(), &provider, &clock, BROKER)
        .await
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&a.initial().unwrap()).unwrap();
    assert_eq!(
        json["x-amz-expires"], "120",
        "capped at the credentials' lifetime"
    );
    assert_eq!(json["x-amz-date"], "20240116T000001Z");
    assert_eq!(json["x-amz-security-token"], SESSION_TOKEN);
    let expected = signer().sign_payload(&temporary(), BROKER, at(T0)).unwrap();
    assert_ne!(json["x-amz-signature"], serde_json::json!(null));
    let unexpired: serde_json::Value = serde_json::from_slice(&expected.to_json()).unwrap();
    assert_eq!(unexpired["x-amz-expires"], "900");
    assert_ne!(json["x-amz-signature"], unexpired["x-amz-signature"]);

    let failing = FakeCredentials {
        fail: true,
        ..FakeCredentials::new(None)
    };
    let e = AwsMskIam::for_broker(&signer(), &failing, &clock, BROKER)
        .await
        .unwrap_err();
    assert!(matches!(e, AwsError::Provider { .. }), "{e}");
}

#[tokio::test]
async fn token_provider_signs_fresh_tokens() {
    let creds = Arc::new(FakeCredentials::new(None));
    let provider = MskIamTokenProvider::new(signer(), creds.clone(), ticking_clock());
    let first = provider.token().await.unwrap();
    let second = provider.token().await.unwrap();
    assert_eq!(
        creds.calls.load(Ordering::SeqCst),
        2,
        "credentials asked every time"
    );
    assert_eq!(first.principal, "ASIAEXAMPLE");
    assert_eq!(first.expires_at_ms, (T0 as i64 + 900) * 1000);
    assert_eq!(second.expires_at_ms, (T0 as i64 + 60 + 900) * 1000);
    assert_ne!(first.token, second.token);
    assert!(first.extensions.is_empty());
    // The token is one OAUTHBEARER accepts.
    let mut bearer = OauthBearer::new(&first).unwrap();
    let initial = bearer.initial().unwrap();
    assert!(initial.starts_with(b"n,,\x01auth=Bearer aHR0cHM6Ly9rYWZrYS5ldS13ZXN0LTEu"));
}

#[tokio::test]
async fn token_provider_errors_are_token_unavailable_without_secrets() {
    let expired = Arc::new(FakeCredentials::new(Some(at(T0))));
    let provider = MskIamTokenProvider::new(signer(), expired, Clock::fixed(at(T0)));
    let e = provider.token().await.unwrap_err();
    assert!(
        matches!(&e, SaslError::TokenUnavailable { why } if why.starts_with("MSK IAM: AWS credentials from fake expire")),
        "{e}"
    );
    assert_no_secret(&e.to_string());
    assert_no_secret(&format!("{e:?}"));

    let failing = Arc::new(FakeCredentials {
        fail: true,
        ..FakeCredentials::new(None)
    });
    let provider = MskIamTokenProvider::new(signer(), failing, Clock::fixed(at(T0)));
    let e = provider.token().await.unwrap_err();
    assert_eq!(
        e,
        SaslError::TokenUnavailable {
            why: "MSK IAM: AWS credentials from fake: no role".into()
        }
    );
}

#[tokio::test]
async fn debug_never_shows_secrets() {
    let creds = temporary();
    let token = signer().sign_token(&creds, at(T0)).unwrap();
    let payload = signer().sign_payload(&creds, BROKER, at(T0)).unwrap();
    let mut mechanism = AwsMskIam::new(&payload);
    mechanism.initial().unwrap();
    let provider = MskIamTokenProvider::new(
        signer(),
        Arc::new(FakeCredentials::new(None)),
        Clock::fixed(at(T0)),
    );
    let oauth = provider.token().await.unwrap();
    for text in [
        format!("{token:?}"),
        format!("{payload:?}"),
        format!("{mechanism:?}"),
        format!("{provider:?}"),
        format!("{oauth:?}"),
        format!("{:?}", signer()),
    ] {
        assert_no_secret(&text);
    }
    assert!(format!("{payload:?}").contains(BROKER));
    // The secrets are there to be sent.
    assert!(token
        .url()
        .expose()
        .contains("X-Amz-Security-Token=IQoJb3JpZ2luX2Vj%2F%2BAbC%3DdEf%2B%2F%3D%3D&"));
    assert!(String::from_utf8(payload.to_json())
        .unwrap()
        .contains(SESSION_TOKEN));
}

/// The check of the fuzz target `aws_msk_iam_server_reply` (fuzz/fuzz_targets/), the same
/// code: `true` if the client accepted the reply.
fn server_reply_check(data: &[u8]) -> bool {
    const PAYLOAD: &[u8] =
        br#"{"version":"2020_10_22","host":"b-1.example","action":"kafka-cluster:Connect"}"#;
    let mut a = AwsMskIam::from_json(PAYLOAD.to_vec());
    assert_eq!(a.initial().expect("initial payload"), PAYLOAD);
    match a.step(data) {
        Ok(None) => {
            let reply = a.server_reply().expect("an accepted reply is kept");
            assert_eq!(reply.version, "2020_10_22");
            assert_eq!(a.request_id(), Some(reply.request_id.as_str()));
            assert_eq!(data.trim_ascii_start().first(), Some(&b'{'));
            assert_eq!(data.trim_ascii_end().last(), Some(&b'}'));
            assert!(a.failure().is_none());
            true
        }
        Ok(Some(next)) => panic!("AWS_MSK_IAM has one client message, got {next:?}"),
        Err(e) => {
            assert!(
                matches!(
                    e,
                    SaslError::UnexpectedServerMessage {
                        mechanism: "AWS_MSK_IAM",
                        ..
                    }
                ),
                "{e:?}"
            );
            assert!(a.request_id().is_none());
            assert!(matches!(a.step(data), Err(SaslError::OutOfOrder { .. })));
            false
        }
    }
}

#[test]
fn server_reply_seeds() {
    assert!(server_reply_check(
        br#"{"version":"2020_10_22","request-id":"2b4ad3e5-4e2f-4c2b-9c0e-6a1d3f1e8b7a"}"#
    ));
    assert!(server_reply_check(
        br#" {"request-id":"r-1","extra":{"nested":[1,2]},"version":"2020_10_22"} "#
    ));
    for rejected in [
        &br#"{"error":"[2b4ad3e5] Access denied"}"#[..],
        br#"{"version":"2021_01_01","request-id":"x"}"#,
        br#"{"version":"2020_10_22""#,
        b"",
    ] {
        assert!(!server_reply_check(rejected));
    }
}

proptest::proptest! {
    #[test]
    fn server_reply_properties(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
        server_reply_check(&data);
    }

    #[test]
    fn server_reply_properties_on_json(
        id in ".{0,20}",
        version in proptest::prop_oneof![proptest::strategy::Just("2020_10_22".to_owned()), "[0-9_]{0,12}"],
        cut in 0usize..80,
    ) {
        let json = serde_json::json!({"version": version, "request-id": id}).to_string();
        let whole = server_reply_check(json.as_bytes());
        proptest::prop_assert_eq!(whole, version == "2020_10_22");
        // Any strict prefix is rejected.
        let cut = cut.min(json.len().saturating_sub(1));
        proptest::prop_assert!(!server_reply_check(&json.as_bytes()[..cut]));
    }
}
