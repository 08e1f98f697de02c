//! AWS credentials and the trait every credential source implements.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime};

use super::error::AwsError;
use crate::Secret;

/// A boxed future, as the object-safe traits of this module return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// An access key, its secret, the session token of temporary credentials and when they
/// expire. `Debug` shows the access key id (not secret in AWS's model), the expiry and the
/// source; never the secret key or the session token.
#[derive(Clone, PartialEq, Eq)]
pub struct AwsCredentials {
    access_key_id: String,
    secret_access_key: Secret,
    session_token: Option<Secret>,
    expires_at: Option<SystemTime>,
    source: &'static str,
}

impl AwsCredentials {
    /// Credentials from their parts. `source` names where they came from (`"environment"`,
    /// `"profile"`, `"sts:AssumeRole"`, …) for messages.
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: Secret,
        session_token: Option<Secret>,
        expires_at: Option<SystemTime>,
        source: &'static str,
    ) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            secret_access_key,
            session_token,
            expires_at,
            source,
        }
    }

    /// The access key id (`AKIA…` / `ASIA…`).
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The secret access key.
    pub fn secret_access_key(&self) -> &Secret {
        &self.secret_access_key
    }

    /// The session token of temporary credentials.
    pub fn session_token(&self) -> Option<&Secret> {
        self.session_token.as_ref()
    }

    /// When the credentials stop working; `None` for long-term keys.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.expires_at
    }

    /// Where they came from.
    pub fn source(&self) -> &'static str {
        self.source
    }

    /// How long they still work at `now`: `None` for credentials that do not expire, zero
    /// once expired.
    pub fn remaining(&self, now: SystemTime) -> Option<Duration> {
        self.expires_at
            .map(|at| at.duration_since(now).unwrap_or(Duration::ZERO))
    }
}

impl fmt::Debug for AwsCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &self.secret_access_key)
            .field("session_token", &self.session_token)
            .field("expires_at", &self.expires_at)
            .field("source", &self.source)
            .finish()
    }
}

/// A source of AWS credentials: the environment, a profile, STS, ECS, IMDS, a cache in front
/// of any of them, or the whole chain.
pub trait ProvideAwsCredentials: Send + Sync + fmt::Debug {
    /// Current credentials, or why there are none.
    fn credentials(&self) -> BoxFuture<'_, Result<AwsCredentials, AwsError>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_secrets_and_remaining_saturates() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
        let c = AwsCredentials::new(
            "ASIAEXAMPLE",
            Secret::new("wJalrXUtnFEMI/K7MDENG"),
            Some(Secret::new("IQoJb3JpZ2lu+/=")),
            Some(at),
            "test",
        );
        let d = format!("{c:?}");
        assert!(d.contains("ASIAEXAMPLE"), "{d}");
        assert!(!d.contains("wJalr") && !d.contains("IQoJ"), "{d}");
        assert_eq!(
            c.remaining(at - Duration::from_secs(5)),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            c.remaining(at + Duration::from_secs(5)),
            Some(Duration::ZERO)
        );
        let long = AwsCredentials::new("AKIA", Secret::new("s"), None, None, "test");
        assert_eq!(long.remaining(at), None);
    }
}
