//! `AWS_MSK_IAM` server side (the mechanism of github.com/aws/aws-msk-iam-auth): one
//! SaslAuthenticate whose bytes are a JSON object built by `AWS4SignedPayloadGenerator` from a
//! SigV4-presigned `GET https://<broker host>/?Action=kafka-cluster:Connect`: every query
//! parameter of the presigned request under its lowercased name, `host` (the signed header),
//! `version` `2020_10_22` and `user-agent` (not signed).
//!
//! The signed query is rebuilt from `action` and the `x-amz-*` fields (with
//! `x-amz-security-token` when present); other keys are ignored. `host` must be the host the
//! broker advertises. Success is answered `{"version":"2020_10_22","request-id":"<id>"}`
//! (`AuthenticationResponse`); a failure is SASL_AUTHENTICATION_FAILED with the message
//! `[<request id>]: Access denied: <reason>` (MSK's own message stops after "Access denied").

use std::time::Duration;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::exchange::{Failure, Step};
use super::msk_iam::{IamRejection, MockIam, Verified};
use super::nonce::server_nonce;
use super::sigv4_verify::{lower_hex, PresignedRequest};

/// The payload and response version of aws-msk-iam-auth.
pub(crate) const PAYLOAD_VERSION: &str = "2020_10_22";

/// JSON field → the signed query parameter it stands for.
const SIGNED_FIELDS: [(&str, &str); 7] = [
    ("action", "Action"),
    ("x-amz-algorithm", "X-Amz-Algorithm"),
    ("x-amz-credential", "X-Amz-Credential"),
    ("x-amz-date", "X-Amz-Date"),
    ("x-amz-expires", "X-Amz-Expires"),
    ("x-amz-security-token", "X-Amz-Security-Token"),
    ("x-amz-signedheaders", "X-Amz-SignedHeaders"),
];

/// Reads the presigned request out of a payload.
pub(crate) fn parse_payload(bytes: &[u8]) -> Result<PresignedRequest, IamRejection> {
    let malformed = IamRejection::Malformed;
    let object: Map<String, Value> = serde_json::from_slice(bytes)
        .map_err(|e| malformed(format!("the payload is not a JSON object: {e}")))?;
    let field = |name: &str| -> Result<Option<String>, IamRejection> {
        match object.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(malformed(format!("payload field {name:?} is not a string"))),
        }
    };
    let required = |name: &str| {
        field(name)?.ok_or_else(|| malformed(format!("payload field {name:?} is missing")))
    };
    let version = required("version")?;
    if version != PAYLOAD_VERSION {
        return Err(IamRejection::WrongVersion(version));
    }
    let host = required("host")?;
    let signature = required("x-amz-signature")?;
    let mut params = Vec::new();
    for (json, param) in SIGNED_FIELDS {
        if let Some(value) = field(json)? {
            params.push((param.to_owned(), value));
        }
    }
    Ok(PresignedRequest {
        host,
        params,
        signature,
    })
}

/// Checks a payload sent to the broker advertised as `broker_host`.
fn check_payload(iam: &MockIam, bytes: &[u8], broker_host: &str) -> Result<Verified, IamRejection> {
    let request = parse_payload(bytes)?;
    if request.host != broker_host {
        return Err(IamRejection::WrongHost {
            expected: broker_host.to_owned(),
            got: request.host,
        });
    }
    iam.verify(&request)
}

/// A request id shaped like MSK's (a UUID).
fn request_id() -> String {
    let hex = lower_hex(&Sha256::digest(server_nonce().as_bytes()));
    let part = |from: usize, to: usize| hex.get(from..to).unwrap_or_default();
    format!(
        "{}-{}-{}-{}-{}",
        part(0, 8),
        part(8, 12),
        part(12, 16),
        part(16, 20),
        part(20, 32)
    )
}

/// Where an `AWS_MSK_IAM` exchange is.
#[derive(Debug)]
pub(crate) enum AwsMskIamServer {
    Start,
    /// Authenticated; the signature expires after this long.
    Accepted {
        lifetime: Duration,
    },
    Finished,
}

impl AwsMskIamServer {
    pub fn step(&mut self, token: &[u8], iam: Option<&MockIam>, broker_host: &str) -> Step {
        if !matches!(self, Self::Start) {
            *self = Self::Finished;
            return Step::Fail(Failure::Credentials(
                "AWS_MSK_IAM token after the exchange finished".into(),
            ));
        }
        *self = Self::Finished;
        let Some(iam) = iam else {
            return Step::Fail(Failure::Credentials(
                "AWS_MSK_IAM without IAM identities".into(),
            ));
        };
        let id = request_id();
        match iam.judge(check_payload(iam, token, broker_host)) {
            Ok(verified) => {
                *self = Self::Accepted {
                    lifetime: verified.lifetime,
                };
                let response = serde_json::json!({
                    "version": PAYLOAD_VERSION,
                    "request-id": id,
                });
                Step::Done {
                    principal: verified.principal,
                    response: response.to_string().into_bytes(),
                }
            }
            Err(why) => {
                tracing::debug!("AWS_MSK_IAM authentication {id} refused: {why}");
                Step::Fail(Failure::Message(format!("[{id}]: Access denied: {why}")))
            }
        }
    }

    /// How long the accepted signature stays valid, once accepted.
    pub fn credential_lifetime(&self) -> Option<Duration> {
        match self {
            Self::Accepted { lifetime } => Some(*lifetime),
            _ => None,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::time::{Duration, SystemTime};

    use proptest::prelude::*;

    use super::*;
    use crate::sasl::msk_iam::tests::{connect_params, presign, t0};

    pub(crate) const HOST: &str = "b-1.demo.abc123.c2.kafka.us-east-1.amazonaws.com";
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    pub(crate) const SESSION_TOKEN: &str = "FwoGZXIvYXdzEBYaDHh0b2tlbg==";

    // The payload aws-msk-iam-auth's AWS4SignedPayloadGenerator builds, with the presigning
    // done by botocore (1.44.5) instead of the Java SDK (both SigV4), clock frozen at
    // 2024-05-01T12:34:56Z:
    //
    // /work/main/.tools/aws-venv/bin/python - <<'EOF'
    // import datetime, json; from unittest import mock; from urllib.parse import urlparse, parse_qsl
    // from botocore.auth import SigV4QueryAuth; from botocore.awsrequest import AWSRequest
    // from botocore.credentials import Credentials
    // host = "b-1.demo.abc123.c2.kafka.us-east-1.amazonaws.com"
    // with mock.patch("botocore.auth.get_current_datetime",
    //                 return_value=datetime.datetime(2024, 5, 1, 12, 34, 56)):
    //     req = AWSRequest(method="GET", url=f"https://{host}/",
    //                      params={"Action": "kafka-cluster:Connect"})
    //     SigV4QueryAuth(Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    //                                "FwoGZXIvYXdzEBYaDHh0b2tlbg=="),
    //                    "kafka-cluster", "us-east-1", expires=900).add_auth(req)
    //     p = {k.lower(): v for k, v in parse_qsl(urlparse(req.prepare().url).query)}
    //     p.update({"version": "2020_10_22", "host": host, "user-agent": "aws-msk-iam-auth/2.3.0"})
    //     print(json.dumps(p, sort_keys=True))
    // EOF
    pub(crate) const PAYLOAD: &str = r#"{"action": "kafka-cluster:Connect", "host": "b-1.demo.abc123.c2.kafka.us-east-1.amazonaws.com", "user-agent": "aws-msk-iam-auth/2.3.0", "version": "2020_10_22", "x-amz-algorithm": "AWS4-HMAC-SHA256", "x-amz-credential": "AKIDEXAMPLE/20240501/us-east-1/kafka-cluster/aws4_request", "x-amz-date": "20240501T123456Z", "x-amz-expires": "900", "x-amz-security-token": "FwoGZXIvYXdzEBYaDHh0b2tlbg==", "x-amz-signature": "721684033a2e590d86ef290decf024dff8b3d1bbdca0ad5ccedbb508988016cb", "x-amz-signedheaders": "host"}"#;

    fn iam(secret: &str, now: SystemTime) -> MockIam {
        MockIam::new("us-east-1")
            .identity("role/app", "AKIDEXAMPLE", secret, Some(SESSION_TOKEN))
            .clock(move || now)
    }

    fn edited(edit: impl FnOnce(&mut Map<String, Value>)) -> Vec<u8> {
        let mut object: Map<String, Value> = serde_json::from_str(PAYLOAD).unwrap();
        edit(&mut object);
        serde_json::to_vec(&object).unwrap()
    }

    fn refusal(iam: &MockIam, payload: &[u8], host: &str) -> Option<IamRejection> {
        let mut server = AwsMskIamServer::Start;
        match server.step(payload, Some(iam), host) {
            Step::Fail(Failure::Message(m)) => {
                let why = iam.last_failure();
                let why_text = why.as_ref().map(ToString::to_string).unwrap_or_default();
                assert!(m.starts_with('[') && m.ends_with(&why_text), "{m}");
                assert!(m.contains("]: Access denied: "), "{m}");
                assert_eq!(server.credential_lifetime(), None);
                why
            }
            Step::Done { .. } => None,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn accepts_the_reference_payload_and_answers_like_msk() {
        let now = t0() + Duration::from_secs(300);
        let iam = iam(SECRET, now);
        let mut server = AwsMskIamServer::Start;
        let Step::Done {
            principal,
            response,
        } = server.step(PAYLOAD.as_bytes(), Some(&iam), HOST)
        else {
            panic!("refused: {:?}", iam.last_failure());
        };
        assert_eq!(principal, "role/app");
        assert_eq!(server.credential_lifetime(), Some(Duration::from_secs(600)));
        let reply: Map<String, Value> = serde_json::from_slice(&response).unwrap();
        assert_eq!(reply.len(), 2);
        assert_eq!(reply["version"], "2020_10_22");
        let id = reply["request-id"].as_str().unwrap();
        assert_eq!(id.len(), 36);
        assert_eq!(id.matches('-').count(), 4);
        assert_eq!((iam.successes(), iam.failures()), (1, 0));
        // One round only.
        assert!(matches!(
            server.step(PAYLOAD.as_bytes(), Some(&iam), HOST),
            Step::Fail(Failure::Credentials(_))
        ));
    }

    #[test]
    fn refuses_what_msk_refuses() {
        let now = t0() + Duration::from_secs(300);
        let good = iam(SECRET, now);
        let p = PAYLOAD.as_bytes();
        assert_eq!(refusal(&good, p, HOST), None);
        assert_eq!(
            refusal(&iam("wrong", now), p, HOST),
            Some(IamRejection::WrongSignature)
        );
        assert_eq!(
            refusal(&iam(SECRET, t0() + Duration::from_secs(900)), p, HOST),
            Some(IamRejection::Expired)
        );
        assert_eq!(
            refusal(&good, p, "127.0.0.1"),
            Some(IamRejection::WrongHost {
                expected: "127.0.0.1".into(),
                got: HOST.into()
            })
        );
        let unknown = MockIam::new("us-east-1")
            .key("AKIDOTHER", SECRET)
            .clock(move || now);
        assert_eq!(
            refusal(&unknown, p, HOST),
            Some(IamRejection::UnknownAccessKey("AKIDEXAMPLE".into()))
        );
        let other_region = MockIam::new("eu-west-1")
            .temporary_key("AKIDEXAMPLE", SECRET, SESSION_TOKEN)
            .clock(move || now);
        assert!(matches!(
            refusal(&other_region, p, HOST),
            Some(IamRejection::WrongRegion { .. })
        ));
        let set = |k: &'static str, v: &'static str| {
            edited(|o| {
                o.insert(k.into(), Value::String(v.into()));
            })
        };
        assert_eq!(
            refusal(&good, &set("version", "2021_01_01"), HOST),
            Some(IamRejection::WrongVersion("2021_01_01".into()))
        );
        assert_eq!(
            refusal(&good, &set("x-amz-expires", "899"), HOST),
            Some(IamRejection::WrongSignature)
        );
        assert_eq!(
            refusal(&good, &set("x-amz-expires", "3600"), HOST),
            Some(IamRejection::BadExpires("3600".into()))
        );
        assert_eq!(
            refusal(&good, &set("action", "kafka-cluster:Describe"), HOST),
            Some(IamRejection::WrongAction("kafka-cluster:Describe".into()))
        );
        assert_eq!(
            refusal(&good, &set("x-amz-security-token", "other"), HOST),
            Some(IamRejection::WrongSessionToken)
        );
        // Unsigned fields may change.
        assert_eq!(
            refusal(&good, &set("user-agent", "ottla/0.1.0"), HOST),
            None
        );
        assert_eq!(refusal(&good, &set("extra", "x"), HOST), None);
        let drop = |k: &'static str| {
            edited(|o| {
                o.remove(k);
            })
        };
        assert_eq!(
            refusal(&good, &drop("x-amz-security-token"), HOST),
            Some(IamRejection::MissingSessionToken)
        );
        for k in ["version", "host", "action", "x-amz-signature", "x-amz-date"] {
            assert!(
                matches!(
                    refusal(&good, &drop(k), HOST),
                    Some(IamRejection::Malformed(_))
                ),
                "{k}"
            );
        }
        let number = edited(|o| {
            o.insert("x-amz-expires".into(), Value::from(900));
        });
        assert!(matches!(
            refusal(&good, &number, HOST),
            Some(IamRejection::Malformed(_))
        ));
        for bad in [
            &b""[..],
            b"[]",
            b"{",
            b"null",
            b"\xff\xfe",
            b"{\"version\":1}",
        ] {
            assert!(
                matches!(refusal(&good, bad, HOST), Some(IamRejection::Malformed(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn signs_the_security_token_and_checks_it() {
        // A payload for a long-term key (no token), signed with this crate's test signer.
        let now = t0();
        let credential = "AKIDLONG/20240501/us-east-1/kafka-cluster/aws4_request";
        let req = presign(
            "10.0.0.1",
            "s",
            "us-east-1",
            &connect_params(credential, None),
        );
        let mut object = Map::new();
        for (k, v) in [
            ("version", PAYLOAD_VERSION),
            ("host", "10.0.0.1"),
            ("user-agent", "test"),
            ("x-amz-signature", &req.signature),
        ] {
            object.insert(k.into(), Value::String(v.into()));
        }
        for (name, value) in &req.params {
            object.insert(name.to_ascii_lowercase(), Value::String(value.clone()));
        }
        let payload = serde_json::to_vec(&object).unwrap();
        let iam = MockIam::new("us-east-1")
            .key("AKIDLONG", "s")
            .clock(move || now);
        assert_eq!(refusal(&iam, &payload, "10.0.0.1"), None);
    }

    proptest! {
        #[test]
        fn arbitrary_payloads_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let iam = iam(SECRET, t0());
            let mut server = AwsMskIamServer::Start;
            let out = server.step(&bytes, Some(&iam), HOST);
            prop_assert!(matches!(out, Step::Fail(Failure::Message(_))));
        }

        #[test]
        fn arbitrary_json_fields_never_panic(
            fields in proptest::collection::btree_map(
                prop_oneof![
                    Just("version".to_owned()), Just("host".to_owned()),
                    Just("action".to_owned()), Just("x-amz-date".to_owned()),
                    Just("x-amz-credential".to_owned()), Just("x-amz-expires".to_owned()),
                    Just("x-amz-signature".to_owned()), ".{0,8}",
                ],
                ".{0,40}",
                0..10,
            )
        ) {
            let payload = edited(|o| {
                for (k, v) in fields {
                    o.insert(k, Value::String(v));
                }
            });
            let iam = iam(SECRET, t0() + Duration::from_secs(1));
            let _ = AwsMskIamServer::Start.step(&payload, Some(&iam), HOST);
        }
    }
}
