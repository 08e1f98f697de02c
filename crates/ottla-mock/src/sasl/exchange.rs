//! One SASL exchange on a connection, whatever the mechanism: client tokens in, challenges or
//! an outcome out.

use std::time::Duration;

use super::aws_msk_iam::AwsMskIamServer;
use super::config::{SaslMechanism, SaslServer};
use super::msk_iam_token;
use super::nonce::server_nonce;
use super::oauthbearer::{Accepted, OAuthBearerServer};
use super::plain;
use super::scram::ScramServer;

/// Why an exchange failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// Bad credentials or a malformed message: the client gets Kafka's generic "invalid
    /// credentials" message; the detail is only logged (Kafka hides it, as it may reveal
    /// whether a user exists).
    Credentials(String),
    /// A message Kafka sends to the client as it is.
    Message(String),
}

/// The result of one client token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// Send this challenge and wait for the next token.
    Challenge(Vec<u8>),
    /// Authenticated as `principal`; send `response` (possibly empty).
    Done {
        principal: String,
        response: Vec<u8>,
    },
    /// Failed.
    Fail(Failure),
}

/// Validates an OAUTHBEARER token: with IAM configured, a token that is base64url of a
/// presigned URL is checked as MSK does (and only so); any other token goes to the
/// `oauth_validator`, and is refused when there is none.
fn validate_bearer(
    server: &SaslServer,
    token: &str,
    extensions: &[(String, String)],
) -> Result<Accepted, String> {
    if let Some(iam) = &server.iam {
        if server.oauth_validator.is_none() || msk_iam_token::presigned_url(token).is_some() {
            return msk_iam_token::verify_token(iam, token)
                .map(|v| Accepted {
                    principal: v.principal,
                    lifetime: Some(v.lifetime),
                })
                .map_err(|why| format!("MSK IAM: {why}"));
        }
    }
    match &server.oauth_validator {
        Some(validator) => validator(token, extensions).map(|principal| Accepted {
            principal,
            lifetime: None,
        }),
        None => Err("no OAUTHBEARER validator".into()),
    }
}

/// A mechanism's server state.
#[derive(Debug)]
pub(crate) enum Exchange {
    Plain,
    Scram(SaslMechanism, ScramServer),
    OAuthBearer(OAuthBearerServer),
    AwsMskIam(AwsMskIamServer),
}

impl Exchange {
    pub fn new(mechanism: SaslMechanism) -> Self {
        match mechanism {
            SaslMechanism::Plain => Self::Plain,
            SaslMechanism::ScramSha256 | SaslMechanism::ScramSha512 => {
                Self::Scram(mechanism, ScramServer::Start)
            }
            SaslMechanism::OAuthBearer => Self::OAuthBearer(OAuthBearerServer::Start),
            SaslMechanism::AwsMskIam => Self::AwsMskIam(AwsMskIamServer::Start),
        }
    }

    pub fn mechanism(&self) -> SaslMechanism {
        match self {
            Self::Plain => SaslMechanism::Plain,
            Self::Scram(m, _) => *m,
            Self::OAuthBearer(_) => SaslMechanism::OAuthBearer,
            Self::AwsMskIam(_) => SaslMechanism::AwsMskIam,
        }
    }

    /// How long the credentials of a finished exchange stay valid, when the mechanism knows
    /// (MSK IAM: until the signature expires). KIP-368 caps the session at it.
    pub fn credential_lifetime(&self) -> Option<Duration> {
        match self {
            Self::OAuthBearer(oauth) => oauth.credential_lifetime(),
            Self::AwsMskIam(iam) => iam.credential_lifetime(),
            Self::Plain | Self::Scram(..) => None,
        }
    }

    /// One client token; `broker_host` is the host the broker advertises (what an
    /// `AWS_MSK_IAM` payload must be signed for).
    pub fn step(&mut self, token: &[u8], server: &SaslServer, broker_host: &str) -> Step {
        match self {
            Self::Plain => plain::authenticate(token, &server.passwords),
            Self::Scram(mechanism, scram) => {
                let mechanism = *mechanism;
                scram.step(
                    token,
                    |user| server.scram.get(&(mechanism, user.to_owned())).cloned(),
                    &server_nonce(),
                )
            }
            Self::OAuthBearer(oauth) => oauth.step(token, &|token, extensions| {
                validate_bearer(server, token, extensions)
            }),
            Self::AwsMskIam(iam) => iam.step(token, server.iam.as_ref(), broker_host),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use proptest::prelude::*;

    use super::*;
    use crate::sasl::msk_iam::tests::t0;
    use crate::sasl::msk_iam_token::tests::{PERMANENT_TOKEN, SECRET};
    use crate::sasl::oauthbearer::INVALID_TOKEN_JSON;
    use crate::sasl::{IamRejection, MockIam, MockSasl};

    fn gs2(token: &str) -> Vec<u8> {
        format!("n,,\x01auth=Bearer {token}\x01\x01").into_bytes()
    }

    fn iam() -> MockIam {
        let now = t0() + Duration::from_secs(100);
        MockIam::new("us-east-1")
            .key("AKIDEXAMPLE", SECRET)
            .clock(move || now)
    }

    fn bearer(server: &SaslServer, token: &str) -> (Step, Option<Duration>) {
        let mut exchange = Exchange::new(SaslMechanism::OAuthBearer);
        let step = exchange.step(&gs2(token), server, "127.0.0.1");
        (step, exchange.credential_lifetime())
    }

    #[test]
    fn iam_tokens_go_to_iam_and_others_to_the_validator() {
        let iam = iam();
        let both = MockSasl::new()
            .mechanism(SaslMechanism::OAuthBearer)
            .iam(iam.clone())
            .oauth_validator(|token, _| match token {
                "jwt" => Ok("from-validator".to_owned()),
                _ => Err("unknown".to_owned()),
            })
            .into_server()
            .unwrap();
        let done = |principal: &str| Step::Done {
            principal: principal.into(),
            response: Vec::new(),
        };
        assert_eq!(
            bearer(&both, PERMANENT_TOKEN),
            (done("AKIDEXAMPLE"), Some(Duration::from_secs(800)))
        );
        assert_eq!(bearer(&both, "jwt"), (done("from-validator"), None));
        let challenge = Step::Challenge(INVALID_TOKEN_JSON.as_bytes().to_vec());
        assert_eq!(bearer(&both, "other"), (challenge.clone(), None));
        assert_eq!((iam.successes(), iam.failures()), (1, 0));

        // IAM only: anything that is not an IAM token is refused, and recorded.
        let only = MockSasl::msk_iam(iam.clone()).into_server().unwrap();
        assert_eq!(bearer(&only, "jwt"), (challenge.clone(), None));
        assert!(matches!(
            iam.last_failure(),
            Some(IamRejection::Malformed(_))
        ));
        // A failed IAM token is not handed to the validator.
        let wrong = MockSasl::new()
            .mechanism(SaslMechanism::OAuthBearer)
            .iam(MockIam::new("us-east-1").key("AKIDEXAMPLE", "wrong"))
            .oauth_validator(|_, _| Ok("anyone".to_owned()))
            .into_server()
            .unwrap();
        let mut exchange = Exchange::new(SaslMechanism::OAuthBearer);
        assert_eq!(
            exchange.step(&gs2(PERMANENT_TOKEN), &wrong, "127.0.0.1"),
            challenge
        );
        assert_eq!(
            exchange.step(b"\x01", &wrong, "127.0.0.1"),
            Step::Fail(Failure::Message(INVALID_TOKEN_JSON.into()))
        );
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_714_567_000);
            let server = MockSasl::msk_iam(MockIam::new("us-east-1").key("A", "s").clock(move || now))
                .into_server()
                .unwrap();
            for mechanism in [SaslMechanism::OAuthBearer, SaslMechanism::AwsMskIam] {
                let mut exchange = Exchange::new(mechanism);
                let first = exchange.step(&bytes, &server, "127.0.0.1");
                let done = matches!(first, Step::Done { .. });
                prop_assert!(!done);
                let _ = exchange.step(&bytes, &server, "127.0.0.1");
                prop_assert_eq!(exchange.credential_lifetime(), None);
            }
            let mut token = b"n,,\x01auth=Bearer ".to_vec();
            token.extend_from_slice(&bytes);
            token.extend_from_slice(b"\x01\x01");
            let mut exchange = Exchange::new(SaslMechanism::OAuthBearer);
            let done = matches!(exchange.step(&token, &server, "127.0.0.1"), Step::Done { .. });
            prop_assert!(!done);
        }
    }
}
