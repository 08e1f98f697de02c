//! [`MockSasl`]: what the mock's SASL listener accepts, and the server-side credentials derived
//! from it at start.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::msk_iam::MockIam;
use super::scram::{ScramCredential, ScramHash};
use crate::error::MockError;

/// Kafka's default (and minimum) SCRAM iteration count.
pub const DEFAULT_SCRAM_ITERATIONS: u32 = 4096;

/// The most SCRAM iterations the mock derives credentials with (a bound on start-up time).
const MAX_SCRAM_ITERATIONS: u32 = 1_000_000;

/// A SASL mechanism the mock can serve.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SaslMechanism {
    /// `PLAIN` (RFC 4616).
    Plain,
    /// `SCRAM-SHA-256` (RFC 5802, RFC 7677).
    ScramSha256,
    /// `SCRAM-SHA-512`.
    ScramSha512,
    /// `OAUTHBEARER` (RFC 7628, KIP-255); with [`MockSasl::iam`] it also takes MSK IAM tokens.
    OAuthBearer,
    /// `AWS_MSK_IAM`, the JSON mechanism of aws-msk-iam-auth (needs [`MockSasl::iam`]).
    AwsMskIam,
}

impl SaslMechanism {
    /// The name used in SaslHandshake.
    pub fn name(self) -> &'static str {
        match self {
            Self::Plain => "PLAIN",
            Self::ScramSha256 => "SCRAM-SHA-256",
            Self::ScramSha512 => "SCRAM-SHA-512",
            Self::OAuthBearer => "OAUTHBEARER",
            Self::AwsMskIam => "AWS_MSK_IAM",
        }
    }

    /// The mechanism with this SaslHandshake name (case-sensitive, as Kafka compares them).
    pub fn from_name(name: &str) -> Option<Self> {
        [
            Self::Plain,
            Self::ScramSha256,
            Self::ScramSha512,
            Self::OAuthBearer,
            Self::AwsMskIam,
        ]
        .into_iter()
        .find(|m| m.name() == name)
    }

    pub(crate) fn scram_hash(self) -> Option<ScramHash> {
        match self {
            Self::ScramSha256 => Some(ScramHash::Sha256),
            Self::ScramSha512 => Some(ScramHash::Sha512),
            _ => None,
        }
    }
}

impl fmt::Display for SaslMechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Validates an OAUTHBEARER token and its SASL extensions: `Ok(principal)` or `Err(reason)`
/// (the reason is logged; the client gets RFC 7628's `{"status":"invalid_token"}`).
pub type OAuthValidator =
    Arc<dyn Fn(&str, &[(String, String)]) -> Result<String, String> + Send + Sync>;

/// Server-side SASL for a mock cluster, set with
/// [`MockClusterBuilder::sasl`](crate::MockClusterBuilder::sasl).
///
/// With it, every connection must authenticate (SaslHandshake v1, then SaslAuthenticate) before
/// any request other than ApiVersions, as on a Kafka `SASL_PLAINTEXT` listener.
///
/// Amazon MSK's IAM authentication comes with [`MockSasl::msk_iam`] (or [`MockSasl::iam`] and
/// the mechanisms of your choice); see [`MockIam`] for what is checked. With IAM, OAUTHBEARER
/// tokens that are base64url of a presigned URL are checked as MSK IAM tokens (and only so);
/// other tokens go to the [`oauth_validator`](Self::oauth_validator) if there is one and are
/// refused otherwise. The session lifetime reported to the client (KIP-368) is then the
/// configured [`session_lifetime`](Self::session_lifetime) or the time until the signature
/// expires, whichever is shorter, as MSK ties a session to its credentials.
///
/// ```
/// use std::time::Duration;
/// use ottla_mock::{MockSasl, SaslMechanism};
///
/// let sasl = MockSasl::new()
///     .mechanism(SaslMechanism::ScramSha512)
///     .mechanism(SaslMechanism::OAuthBearer)
///     .user("alice", "alice-secret")
///     .scram_iterations(8192)
///     .oauth_validator(|token, _extensions| match token {
///         "good-token" => Ok("service-a".to_owned()),
///         _ => Err("unknown token".to_owned()),
///     })
///     .session_lifetime(Duration::from_secs(60));
/// assert_eq!(sasl.mechanisms(), &[SaslMechanism::ScramSha512, SaslMechanism::OAuthBearer]);
/// ```
#[derive(Clone, Default)]
pub struct MockSasl {
    mechanisms: Vec<SaslMechanism>,
    users: BTreeMap<String, String>,
    scram_salt: Option<Vec<u8>>,
    scram_iterations: Option<u32>,
    oauth_validator: Option<OAuthValidator>,
    iam: Option<MockIam>,
    session_lifetime: Option<Duration>,
    hide_session_lifetime: bool,
}

impl fmt::Debug for MockSasl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockSasl")
            .field("mechanisms", &self.mechanisms)
            .field("users", &self.users.keys().collect::<Vec<_>>())
            .field("scram_salt", &self.scram_salt)
            .field("scram_iterations", &self.scram_iterations)
            .field("oauth_validator", &self.oauth_validator.is_some())
            .field("iam", &self.iam)
            .field("session_lifetime", &self.session_lifetime)
            .field("hide_session_lifetime", &self.hide_session_lifetime)
            .finish()
    }
}

impl MockSasl {
    /// No mechanisms, no users; add them with the methods below.
    pub fn new() -> Self {
        Self::default()
    }

    /// Enables a mechanism (SaslHandshake lists them in the order they were enabled).
    pub fn mechanism(mut self, mechanism: SaslMechanism) -> Self {
        if !self.mechanisms.contains(&mechanism) {
            self.mechanisms.push(mechanism);
        }
        self
    }

    /// A user for PLAIN and SCRAM (replaces an earlier password of the same user).
    pub fn user(mut self, name: impl Into<String>, password: impl Into<String>) -> Self {
        self.users.insert(name.into(), password.into());
        self
    }

    /// The salt of every user's SCRAM credentials. Without it each user gets a salt derived
    /// from their name.
    pub fn scram_salt(mut self, salt: impl Into<Vec<u8>>) -> Self {
        self.scram_salt = Some(salt.into());
        self
    }

    /// The SCRAM iteration count; default [`DEFAULT_SCRAM_ITERATIONS`].
    pub fn scram_iterations(mut self, iterations: u32) -> Self {
        self.scram_iterations = Some(iterations);
        self
    }

    /// The OAUTHBEARER token validator (required when OAUTHBEARER is enabled).
    pub fn oauth_validator<F>(mut self, validator: F) -> Self
    where
        F: Fn(&str, &[(String, String)]) -> Result<String, String> + Send + Sync + 'static,
    {
        self.oauth_validator = Some(Arc::new(validator));
        self
    }

    /// An MSK IAM listener: `OAUTHBEARER` (IAM tokens) and `AWS_MSK_IAM`, checked against
    /// `iam` (keep a clone of it to read its results).
    pub fn msk_iam(iam: MockIam) -> Self {
        Self::new()
            .mechanism(SaslMechanism::OAuthBearer)
            .mechanism(SaslMechanism::AwsMskIam)
            .iam(iam)
    }

    /// The IAM identities `OAUTHBEARER` IAM tokens and `AWS_MSK_IAM` are checked against
    /// (enable the mechanisms with [`mechanism`](Self::mechanism)).
    pub fn iam(mut self, iam: MockIam) -> Self {
        self.iam = Some(iam);
        self
    }

    /// KIP-368 `connections.max.reauth.ms`: returned as `session_lifetime_ms` by SaslAuthenticate
    /// v1+; a connection whose session has expired is closed at its next request other than a
    /// re-authentication, and a connection may re-authenticate only when its session has an
    /// expiry (this, or the expiry of its MSK IAM signature).
    pub fn session_lifetime(mut self, lifetime: Duration) -> Self {
        self.session_lifetime = Some(lifetime);
        self
    }

    /// Enforces the [`session_lifetime`](Self::session_lifetime) but answers
    /// `session_lifetime_ms` 0, as SaslAuthenticate v0 must: the client cannot know when to
    /// re-authenticate, so its connection is closed at its first request after the session
    /// ends (what a client that does not re-authenticate sees from Kafka).
    pub fn hide_session_lifetime(mut self) -> Self {
        self.hide_session_lifetime = true;
        self
    }

    /// The enabled mechanisms.
    pub fn mechanisms(&self) -> &[SaslMechanism] {
        &self.mechanisms
    }

    /// Checks the settings and derives the SCRAM credentials.
    pub(crate) fn into_server(self) -> Result<SaslServer, MockError> {
        let config = |reason: String| MockError::Config {
            key: "sasl",
            reason,
        };
        if self.mechanisms.is_empty() {
            return Err(config("no SASL mechanism enabled".to_owned()));
        }
        let oauth_enabled = self.mechanisms.contains(&SaslMechanism::OAuthBearer);
        let iam_enabled = self.mechanisms.contains(&SaslMechanism::AwsMskIam);
        if oauth_enabled && self.oauth_validator.is_none() && self.iam.is_none() {
            return Err(config(
                "OAUTHBEARER is enabled without an oauth_validator or IAM identities".to_owned(),
            ));
        }
        if iam_enabled && self.iam.is_none() {
            return Err(config(
                "AWS_MSK_IAM is enabled without IAM identities".to_owned(),
            ));
        }
        if let Some(iam) = &self.iam {
            if !oauth_enabled && !iam_enabled {
                return Err(config(
                    "IAM identities are set but neither OAUTHBEARER nor AWS_MSK_IAM is enabled"
                        .to_owned(),
                ));
            }
            iam.validate().map_err(config)?;
        }
        let iterations = self.scram_iterations.unwrap_or(DEFAULT_SCRAM_ITERATIONS);
        if !(1..=MAX_SCRAM_ITERATIONS).contains(&iterations) {
            return Err(config(format!(
                "{iterations} SCRAM iterations; 1 to {MAX_SCRAM_ITERATIONS} are allowed"
            )));
        }
        if let Some(d) = self.session_lifetime {
            if d < Duration::from_millis(1) || i64::try_from(d.as_millis()).is_err() {
                return Err(config(format!(
                    "session lifetime {d:?}; at least 1 ms is required"
                )));
            }
        }
        let mut scram = BTreeMap::new();
        for mechanism in &self.mechanisms {
            let Some(hash) = mechanism.scram_hash() else {
                continue;
            };
            for (user, password) in &self.users {
                let salt = self
                    .scram_salt
                    .clone()
                    .unwrap_or_else(|| derived_salt(user));
                let credential = ScramCredential::derive(hash, password, salt, iterations);
                scram.insert((*mechanism, user.clone()), credential);
            }
        }
        Ok(SaslServer {
            mechanisms: self.mechanisms,
            passwords: self.users,
            scram,
            oauth_validator: self.oauth_validator,
            iam: self.iam,
            session_lifetime: self.session_lifetime,
            hide_session_lifetime: self.hide_session_lifetime,
        })
    }
}

/// A per-user salt when none is configured: 16 bytes of SHA-256 over the user name.
fn derived_salt(user: &str) -> Vec<u8> {
    let digest = Sha256::new()
        .chain_update(b"ottla-mock scram salt\0")
        .chain_update(user.as_bytes())
        .finalize();
    digest.iter().take(16).copied().collect()
}

/// The checked SASL settings every connection of the cluster uses.
pub(crate) struct SaslServer {
    pub mechanisms: Vec<SaslMechanism>,
    /// user → password (PLAIN).
    pub passwords: BTreeMap<String, String>,
    /// (SCRAM mechanism, user) → stored credential.
    pub scram: BTreeMap<(SaslMechanism, String), ScramCredential>,
    pub oauth_validator: Option<OAuthValidator>,
    /// MSK IAM identities, for OAUTHBEARER IAM tokens and AWS_MSK_IAM.
    pub iam: Option<MockIam>,
    pub session_lifetime: Option<Duration>,
    /// Answer `session_lifetime_ms` 0 while enforcing the lifetime.
    pub hide_session_lifetime: bool,
}

impl fmt::Debug for SaslServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SaslServer")
            .field("mechanisms", &self.mechanisms)
            .field("users", &self.passwords.keys().collect::<Vec<_>>())
            .field("session_lifetime", &self.session_lifetime)
            .finish_non_exhaustive()
    }
}

impl SaslServer {
    pub fn enabled(&self, mechanism: SaslMechanism) -> bool {
        self.mechanisms.contains(&mechanism)
    }

    pub fn mechanism_names(&self) -> Vec<&'static str> {
        self.mechanisms.iter().map(|m| m.name()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_incomplete_settings() {
        let err = |s: MockSasl| s.into_server().err().map(|e| e.to_string());
        assert!(err(MockSasl::new()).is_some());
        assert!(err(MockSasl::new().mechanism(SaslMechanism::OAuthBearer)).is_some());
        assert!(err(MockSasl::new()
            .mechanism(SaslMechanism::Plain)
            .session_lifetime(Duration::from_micros(10)))
        .is_some());
        assert!(err(MockSasl::new()
            .mechanism(SaslMechanism::ScramSha256)
            .scram_iterations(0))
        .is_some());
        let server = MockSasl::new()
            .mechanism(SaslMechanism::ScramSha256)
            .mechanism(SaslMechanism::Plain)
            .mechanism(SaslMechanism::ScramSha256)
            .user("u", "p")
            .scram_iterations(16)
            .into_server()
            .unwrap();
        assert_eq!(server.mechanism_names(), vec!["SCRAM-SHA-256", "PLAIN"]);
        assert_eq!(server.scram.len(), 1);
        assert_eq!(
            SaslMechanism::from_name("SCRAM-SHA-512"),
            Some(SaslMechanism::ScramSha512)
        );
        assert_eq!(SaslMechanism::from_name("plain"), None);
        assert_eq!(
            SaslMechanism::from_name("AWS_MSK_IAM"),
            Some(SaslMechanism::AwsMskIam)
        );
    }

    #[test]
    fn checks_iam_settings() {
        let err = |s: MockSasl| s.into_server().err().map(|e| e.to_string());
        let iam = || MockIam::new("us-east-1").key("AKID", "s");
        assert!(err(MockSasl::new().mechanism(SaslMechanism::AwsMskIam)).is_some());
        assert!(err(MockSasl::new().mechanism(SaslMechanism::Plain).iam(iam())).is_some());
        assert!(err(MockSasl::msk_iam(MockIam::new("Not A Region"))).is_some());
        let server = MockSasl::msk_iam(iam()).into_server().unwrap();
        assert_eq!(server.mechanism_names(), vec!["OAUTHBEARER", "AWS_MSK_IAM"]);
        assert!(server.iam.is_some());
        let server = MockSasl::new()
            .mechanism(SaslMechanism::OAuthBearer)
            .iam(iam())
            .oauth_validator(|_, _| Ok("p".to_owned()))
            .into_server()
            .unwrap();
        assert!(server.iam.is_some() && server.oauth_validator.is_some());
    }
}
