//! Any AWS SDK credentials provider (`aws_credential_types::provider::ProvideCredentials`,
//! e.g. from `aws-config`) as a [`ProvideAwsCredentials`], for applications that already
//! configure the SDK.

use aws_credential_types::provider::ProvideCredentials;

use super::error::{error_chain, AwsError};
use crate::{AwsCredentials, BoxFuture, ProvideAwsCredentials};
use ottla_sasl::Secret;

/// Adapts an AWS SDK credentials provider. The SDK's expiry becomes
/// [`AwsCredentials::expires_at`]; the source is reported as `"aws-sdk"`.
#[derive(Debug, Clone)]
pub struct SdkCredentialsProvider<P> {
    inner: P,
}

impl<P: ProvideCredentials> SdkCredentialsProvider<P> {
    /// Wraps `inner`.
    pub fn new(inner: P) -> Self {
        Self { inner }
    }

    /// The wrapped provider.
    pub fn inner(&self) -> &P {
        &self.inner
    }
}

impl<P: ProvideCredentials> ProvideAwsCredentials for SdkCredentialsProvider<P> {
    fn credentials(&self) -> BoxFuture<'_, Result<AwsCredentials, AwsError>> {
        let future = self.inner.provide_credentials();
        Box::pin(async move {
            let c = future.await.map_err(|e| AwsError::Provider {
                provider: "aws-sdk",
                why: error_chain(&e),
            })?;
            Ok(AwsCredentials::new(
                c.access_key_id(),
                Secret::new(c.secret_access_key()),
                c.session_token().map(Secret::new),
                c.expiry(),
                "aws-sdk",
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_credential_types::credential_fn::provide_credentials_fn;
    use aws_credential_types::provider::error::CredentialsError;
    use aws_credential_types::Credentials;
    use std::time::{Duration, SystemTime};

    #[tokio::test]
    async fn maps_keys_token_and_expiry() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let sdk = Credentials::new("ASIAEXAMPLE", "sk", Some("tok".into()), Some(at), "test");
        let p = SdkCredentialsProvider::new(sdk);
        let c = p.credentials().await.unwrap();
        assert_eq!(c.access_key_id(), "ASIAEXAMPLE");
        assert_eq!(c.secret_access_key().expose(), "sk");
        assert_eq!(c.session_token().map(Secret::expose), Some("tok"));
        assert_eq!(c.expires_at(), Some(at));
        assert_eq!(c.source(), "aws-sdk");
        let long = SdkCredentialsProvider::new(Credentials::new("AKIA", "sk", None, None, "t"));
        let c = long.credentials().await.unwrap();
        assert_eq!((c.session_token(), c.expires_at()), (None, None));
        assert!(!format!("{p:?}").contains("\"sk\""));
    }

    #[tokio::test]
    async fn errors_keep_their_cause() {
        let p = SdkCredentialsProvider::new(provide_credentials_fn(|| async {
            Err(CredentialsError::provider_error("IMDS said no"))
        }));
        let err = p.credentials().await.unwrap_err();
        assert!(
            matches!(&err, AwsError::Provider { provider: "aws-sdk", why } if why.contains("IMDS said no")),
            "{err}"
        );
    }
}
