//! The SASL factories that sign with AWS credentials: MSK IAM over OAUTHBEARER, AWS_MSK_IAM,
//! and SCRAM with its password read from Secrets Manager.

use std::fmt;
use std::sync::Arc;

use ottla_aws::{
    resolve_region, selected_profile_name, AssumeRoleProvider, AwsEnv, AwsError, CachedCredentials,
    Clock, DefaultCredentialsChain, ProfileFiles, ProvideAwsCredentials, ScramSecret,
    SecretsManagerClient,
};
use ottla_sasl::msk_iam::{AwsMskIam, MskIamSigner, MskIamTokenProvider};
use ottla_sasl::{Authenticator, SaslError, ScramAlgorithm, ScramCache, TokenProvider};
use tokio::sync::Mutex;

use crate::config::{ConfigError, SecuritySettings};
use crate::connection::{BoxFuture, SaslFactory};

/// The AWS side of a configuration, as a client uses it for MSK IAM and Secrets Manager:
/// the resolved region and the credentials (chain, cache, role). `ottla msk-token` uses it
/// too.
pub struct AwsSetup {
    pub(crate) env: AwsEnv,
    /// The region (`aws.region`, else `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's).
    pub region: String,
    /// Where credentials come from.
    pub credentials: Arc<dyn ProvideAwsCredentials>,
}

impl fmt::Debug for AwsSetup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsSetup")
            .field("region", &self.region)
            .field("credentials", &self.credentials)
            .finish_non_exhaustive()
    }
}

impl AwsSetup {
    /// Resolves the region (`aws.region`, `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile)
    /// and sets up the credentials: `injected` if given, else the default chain (cached), then
    /// `aws.role.arn` assumed on top (cached, with a stable session name).
    pub fn new(
        settings: &SecuritySettings,
        injected: Option<&Arc<dyn ProvideAwsCredentials>>,
        env: Option<&AwsEnv>,
    ) -> Result<Self, ConfigError> {
        let aws = &settings.aws;
        let env = env.cloned().unwrap_or_else(AwsEnv::from_process);
        let profile = selected_profile_name(aws.profile.as_deref(), &env);
        let files = ProfileFiles::load(&env).map_err(|e| ConfigError::aws("aws.profile", e))?;
        let region = resolve_region(aws.region.as_deref(), &env, Some(&files), &profile)
            .map_err(|e| ConfigError::aws("aws.region", e))?;
        let mut credentials: Arc<dyn ProvideAwsCredentials> = match injected {
            Some(c) => Arc::clone(c),
            None => Arc::new(CachedCredentials::new(Arc::new(
                DefaultCredentialsChain::new(env.clone(), aws.profile.as_deref(), &region),
            ))),
        };
        if let Some(role) = &aws.role_arn {
            let role_error = |e| ConfigError::aws("aws.role.arn", e);
            let mut builder = AssumeRoleProvider::builder(role, &env)
                .map_err(role_error)?
                .region(region.clone());
            if let Some(r) = &aws.sts_region {
                builder = builder.sts_region(r.clone());
            }
            if let Some(n) = &aws.role_session_name {
                builder = builder.session_name(n.clone());
            }
            if let Some(id) = &aws.role_external_id {
                builder = builder.external_id(id.clone());
            }
            credentials = Arc::new(CachedCredentials::new(Arc::new(
                builder.build(credentials).map_err(role_error)?,
            )));
        }
        Ok(Self {
            env,
            region,
            credentials,
        })
    }

    /// The MSK IAM signer for this client's region (and `aws.msk.host.suffix`).
    pub fn signer(&self, settings: &SecuritySettings) -> Result<MskIamSigner, ConfigError> {
        let signer =
            MskIamSigner::new(&self.region).map_err(|e| ConfigError::aws("aws.region", e))?;
        match &settings.aws.msk_host_suffix {
            Some(suffix) => signer
                .with_host_suffix(suffix)
                .map_err(|e| ConfigError::aws("aws.msk.host.suffix", e)),
            None => Ok(signer),
        }
    }

    /// OAUTHBEARER tokens for MSK IAM: a freshly signed token at every (re-)authentication.
    pub(crate) fn token_provider(
        &self,
        settings: &SecuritySettings,
    ) -> Result<Arc<dyn TokenProvider>, ConfigError> {
        Ok(Arc::new(MskIamTokenProvider::new(
            self.signer(settings)?,
            Arc::clone(&self.credentials),
            Clock::system(),
        )))
    }
}

fn no_credentials(mechanism: &'static str, e: AwsError) -> SaslError {
    SaslError::CredentialsUnavailable {
        mechanism,
        why: e.to_string(),
    }
}

/// AWS_MSK_IAM: a payload signed for the broker's host name at every (re-)authentication.
#[derive(Debug)]
pub(crate) struct AwsMskIamFactory {
    pub signer: MskIamSigner,
    pub credentials: Arc<dyn ProvideAwsCredentials>,
}

impl SaslFactory for AwsMskIamFactory {
    fn mechanism(&self) -> &'static str {
        AwsMskIam::NAME
    }

    fn authenticator<'a>(
        &'a self,
        host: &'a str,
    ) -> BoxFuture<'a, Result<Box<dyn Authenticator>, SaslError>> {
        Box::pin(async move {
            let auth =
                AwsMskIam::for_broker(&self.signer, &*self.credentials, &Clock::system(), host)
                    .await
                    .map_err(|e| no_credentials(AwsMskIam::NAME, e))?;
            Ok(Box::new(auth) as Box<dyn Authenticator>)
        })
    }
}

/// SCRAM whose username and password live in a Secrets Manager secret (MSK's
/// `AmazonMSK_*`): read once, cached, and read again once when the broker rejects them (the
/// secret may have been rotated).
pub(crate) struct ScramSecretFactory {
    algorithm: ScramAlgorithm,
    secret_id: String,
    client: SecretsManagerClient,
    credentials: Arc<dyn ProvideAwsCredentials>,
    cache: Arc<ScramCache>,
    secret: Mutex<Option<ScramSecret>>,
}

impl ScramSecretFactory {
    pub fn new(
        algorithm: ScramAlgorithm,
        secret_id: &str,
        context: &AwsSetup,
    ) -> Result<Self, ConfigError> {
        let client = SecretsManagerClient::new(&context.env, &context.region)
            .map_err(|e| ConfigError::aws("sasl.scram.secret.id", e))?;
        Ok(Self {
            algorithm,
            secret_id: secret_id.to_owned(),
            client,
            credentials: Arc::clone(&context.credentials),
            cache: Arc::new(ScramCache::new()),
            secret: Mutex::new(None),
        })
    }

    async fn fetch(&self) -> Result<ScramSecret, AwsError> {
        let creds = self.credentials.credentials().await?;
        self.client.get_scram_secret(&creds, &self.secret_id).await
    }
}

impl fmt::Debug for ScramSecretFactory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScramSecretFactory")
            .field("algorithm", &self.algorithm)
            .field("secret_id", &self.secret_id)
            .finish_non_exhaustive()
    }
}

impl SaslFactory for ScramSecretFactory {
    fn mechanism(&self) -> &'static str {
        self.algorithm.mechanism()
    }

    fn authenticator<'a>(
        &'a self,
        _host: &'a str,
    ) -> BoxFuture<'a, Result<Box<dyn Authenticator>, SaslError>> {
        Box::pin(async move {
            let secret = {
                let mut cached = self.secret.lock().await;
                match &*cached {
                    Some(s) => s.clone(),
                    None => {
                        let s = self
                            .fetch()
                            .await
                            .map_err(|e| no_credentials(self.algorithm.mechanism(), e))?;
                        *cached = Some(s.clone());
                        s
                    }
                }
            };
            super::scram_authenticator(
                self.algorithm,
                &secret.username,
                secret.password.clone(),
                &self.cache,
            )
        })
    }

    fn refresh_after_rejection(&self) -> BoxFuture<'_, bool> {
        Box::pin(async move {
            let mut cached = self.secret.lock().await;
            match self.fetch().await {
                Ok(fresh) => {
                    let changed = cached.as_ref() != Some(&fresh);
                    if changed {
                        tracing::info!(secret = %self.secret_id, "SCRAM secret changed since it was read (rotated); using the new one");
                    }
                    *cached = Some(fresh);
                    changed
                }
                Err(e) => {
                    tracing::warn!(secret = %self.secret_id, error = %e, "cannot read the SCRAM secret again");
                    false
                }
            }
        })
    }
}
