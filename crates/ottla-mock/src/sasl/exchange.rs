//! One SASL exchange on a connection, whatever the mechanism: client tokens in, challenges or
//! an outcome out.

use super::config::{SaslMechanism, SaslServer};
use super::nonce::server_nonce;
use super::oauthbearer::OAuthBearerServer;
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

/// A mechanism's server state.
#[derive(Debug)]
pub(crate) enum Exchange {
    Plain,
    Scram(SaslMechanism, ScramServer),
    OAuthBearer(OAuthBearerServer),
}

impl Exchange {
    pub fn new(mechanism: SaslMechanism) -> Self {
        match mechanism {
            SaslMechanism::Plain => Self::Plain,
            SaslMechanism::ScramSha256 | SaslMechanism::ScramSha512 => {
                Self::Scram(mechanism, ScramServer::Start)
            }
            SaslMechanism::OAuthBearer => Self::OAuthBearer(OAuthBearerServer::Start),
        }
    }

    pub fn mechanism(&self) -> SaslMechanism {
        match self {
            Self::Plain => SaslMechanism::Plain,
            Self::Scram(m, _) => *m,
            Self::OAuthBearer(_) => SaslMechanism::OAuthBearer,
        }
    }

    pub fn step(&mut self, token: &[u8], server: &SaslServer) -> Step {
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
            Self::OAuthBearer(oauth) => match &server.oauth_validator {
                Some(validator) => oauth.step(token, validator.as_ref()),
                None => Step::Fail(Failure::Credentials("no OAUTHBEARER validator".into())),
            },
        }
    }
}
