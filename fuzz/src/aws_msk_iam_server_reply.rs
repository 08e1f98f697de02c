//! The check of fuzz target `aws_msk_iam_server_reply`: an AWS_MSK_IAM client's handling of the
//! server's reply to its payload.
//!
//! Input: the server's reply. It must never panic; an accepted reply completes the exchange
//! with the server's `request-id` and only a JSON object with `"version":"2020_10_22"` and a
//! string `request-id` is accepted; a rejected one is `UnexpectedServerMessage` and leaves
//! the exchange failed. The same properties are checked on stable by the proptest
//! `msk_iam::mechanism_tests::server_reply_properties` in ottla-sasl.
use ottla_sasl::msk_iam::AwsMskIam;
use ottla_sasl::{Authenticator, SaslError};

/// The payload the target's client sends (its content does not matter to the reply).
const PAYLOAD: &[u8] =
    br#"{"version":"2020_10_22","host":"b-1.example","action":"kafka-cluster:Connect"}"#;

/// Feeds the reply; `true` if the client accepted it.
pub fn check(data: &[u8]) -> bool {
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
