//! Credentials from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`.

use super::credential_document::parse_rfc3339;
use super::env::AwsEnv;
use super::error::AwsError;
use crate::{AwsCredentials, BoxFuture, ProvideAwsCredentials};
use ottla_sasl::Secret;

const ACCESS_KEY_ID: &str = "AWS_ACCESS_KEY_ID";
const SECRET_ACCESS_KEY: &str = "AWS_SECRET_ACCESS_KEY";
const SESSION_TOKEN: &str = "AWS_SESSION_TOKEN";
const EXPIRATION: &str = "AWS_CREDENTIAL_EXPIRATION";

/// The provider name in errors and in [`AwsCredentials::source`].
const PROVIDER: &str = "environment";

/// Credentials from the environment: `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`, with
/// `AWS_SESSION_TOKEN` for temporary credentials and, as botocore reads it,
/// `AWS_CREDENTIAL_EXPIRATION` (RFC 3339) for when they expire. Empty values count as unset.
///
/// One of the key id and the secret without the other is an error naming the missing
/// variable (the AWS SDKs stop there too, rather than using another identity).
#[derive(Debug, Clone)]
pub struct EnvCredentials {
    env: AwsEnv,
}

impl EnvCredentials {
    /// Reads from `env`.
    pub fn new(env: AwsEnv) -> Self {
        Self { env }
    }

    /// Whether the environment sets either key variable, so this source applies (complete
    /// or not). A chain asks this to tell "not configured" from "configured wrong".
    pub fn is_configured(&self) -> bool {
        self.env.get(ACCESS_KEY_ID).is_some() || self.env.get(SECRET_ACCESS_KEY).is_some()
    }

    /// The credentials now in the snapshot.
    pub fn load(&self) -> Result<AwsCredentials, AwsError> {
        let fail = |why: String| AwsError::Provider {
            provider: PROVIDER,
            why,
        };
        let (key_id, secret) = match (self.env.get(ACCESS_KEY_ID), self.env.get(SECRET_ACCESS_KEY))
        {
            (Some(k), Some(s)) => (k, s),
            (None, None) => {
                return Err(fail(format!(
                    "{ACCESS_KEY_ID} and {SECRET_ACCESS_KEY} are not set"
                )))
            }
            (Some(_), None) => {
                return Err(fail(format!(
                    "{ACCESS_KEY_ID} is set but {SECRET_ACCESS_KEY} is not"
                )))
            }
            (None, Some(_)) => {
                return Err(fail(format!(
                    "{SECRET_ACCESS_KEY} is set but {ACCESS_KEY_ID} is not"
                )))
            }
        };
        let expires_at = match self.env.get(EXPIRATION) {
            Some(text) => Some(
                parse_rfc3339(text)
                    .map_err(|why| fail(format!("{EXPIRATION} is not an RFC 3339 time: {why}")))?,
            ),
            None => None,
        };
        Ok(AwsCredentials::new(
            key_id.trim(),
            Secret::new(secret.trim()),
            self.env.get(SESSION_TOKEN).map(|t| Secret::new(t.trim())),
            expires_at,
            PROVIDER,
        ))
    }
}

impl ProvideAwsCredentials for EnvCredentials {
    fn credentials(&self) -> BoxFuture<'_, Result<AwsCredentials, AwsError>> {
        let result = self.load();
        Box::pin(async move { result })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    #[tokio::test]
    async fn complete_with_token_and_expiry() {
        let env = AwsEnv::from_vars([
            ("AWS_ACCESS_KEY_ID", "ASIAENV"),
            ("AWS_SECRET_ACCESS_KEY", "envsecret"),
            ("AWS_SESSION_TOKEN", "envtoken"),
            ("AWS_CREDENTIAL_EXPIRATION", "2024-01-15T12:34:56Z"),
        ]);
        let provider = EnvCredentials::new(env);
        assert!(provider.is_configured());
        let c = provider.credentials().await.unwrap();
        assert_eq!(c.access_key_id(), "ASIAENV");
        assert_eq!(c.secret_access_key().expose(), "envsecret");
        assert_eq!(c.session_token().map(Secret::expose), Some("envtoken"));
        assert_eq!(
            c.expires_at(),
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_705_322_096))
        );
        assert_eq!(c.source(), "environment");
    }

    #[test]
    fn long_term_keys_without_token() {
        let env = AwsEnv::from_vars([
            ("AWS_ACCESS_KEY_ID", "AKIAENV"),
            ("AWS_SECRET_ACCESS_KEY", "s"),
            ("AWS_SESSION_TOKEN", ""),
        ]);
        let c = EnvCredentials::new(env).load().unwrap();
        assert_eq!(c.session_token(), None);
        assert_eq!(c.expires_at(), None);
    }

    #[test]
    fn partial_names_the_missing_variable() {
        let only_id = AwsEnv::from_vars([("AWS_ACCESS_KEY_ID", "AKIA")]);
        let e = EnvCredentials::new(only_id).load().unwrap_err();
        assert_eq!(
            e.to_string(),
            "AWS credentials from environment: AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"
        );
        let only_secret =
            AwsEnv::from_vars([("AWS_SECRET_ACCESS_KEY", "s"), ("AWS_ACCESS_KEY_ID", "  ")]);
        let provider = EnvCredentials::new(only_secret);
        assert!(provider.is_configured());
        let e = provider.load().unwrap_err();
        assert!(
            e.to_string()
                .ends_with("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not"),
            "{e}"
        );
    }

    #[test]
    fn empty_values_are_unset() {
        let env = AwsEnv::from_vars([("AWS_ACCESS_KEY_ID", ""), ("AWS_SECRET_ACCESS_KEY", "")]);
        let provider = EnvCredentials::new(env);
        assert!(!provider.is_configured());
        let e = provider.load().unwrap_err();
        assert!(e.to_string().contains("are not set"), "{e}");
    }

    #[test]
    fn bad_expiration_is_an_error() {
        let env = AwsEnv::from_vars([
            ("AWS_ACCESS_KEY_ID", "A"),
            ("AWS_SECRET_ACCESS_KEY", "S"),
            ("AWS_CREDENTIAL_EXPIRATION", "soon"),
        ]);
        let e = EnvCredentials::new(env).load().unwrap_err();
        assert!(e.to_string().contains("AWS_CREDENTIAL_EXPIRATION"), "{e}");
    }
}
