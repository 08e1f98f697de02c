//! [`MskIamTokenProvider`]: OAUTHBEARER tokens for MSK IAM, signed fresh on every call.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use super::signer::MskIamSigner;
use crate::aws::{AwsError, Clock, ProvideAwsCredentials};
use crate::{OauthToken, SaslError, TokenProvider};

/// A [`TokenProvider`] that signs an MSK IAM token with the current credentials at each call,
/// so every authentication and KIP-368 re-authentication presents a fresh signature. The
/// token's principal is the access key id; its expiry the signature's.
#[derive(Debug, Clone)]
pub struct MskIamTokenProvider {
    signer: MskIamSigner,
    credentials: Arc<dyn ProvideAwsCredentials>,
    clock: Clock,
}

impl MskIamTokenProvider {
    /// Tokens signed by `signer` with credentials from `credentials` at `clock`'s time.
    pub fn new(
        signer: MskIamSigner,
        credentials: Arc<dyn ProvideAwsCredentials>,
        clock: Clock,
    ) -> Self {
        Self {
            signer,
            credentials,
            clock,
        }
    }

    /// The signer.
    pub fn signer(&self) -> &MskIamSigner {
        &self.signer
    }

    async fn sign(&self) -> Result<OauthToken, AwsError> {
        let creds = self.credentials.credentials().await?;
        let signed = self.signer.sign_token(&creds, self.clock.now())?;
        Ok(OauthToken::new(
            signed.token().clone(),
            signed.expires_at_ms(),
            creds.access_key_id(),
        ))
    }
}

impl TokenProvider for MskIamTokenProvider {
    /// Current credentials, signed now. Failures are [`SaslError::TokenUnavailable`] with the
    /// [`AwsError`]'s message (which never holds a secret).
    fn token(&self) -> Pin<Box<dyn Future<Output = Result<OauthToken, SaslError>> + Send + '_>> {
        Box::pin(async move {
            self.sign().await.map_err(|e| SaslError::TokenUnavailable {
                why: format!("MSK IAM: {e}"),
            })
        })
    }
}
