//! Turns the security settings into what a connection needs: a SASL factory (fresh
//! authenticator per (re-)authentication) and, once TLS is configured, a TLS connector.

use std::fmt;
use std::sync::Arc;

use ottla_sasl::{
    Authenticator, OauthBearer, Plain, SaslError, Scram, ScramAlgorithm, ScramCache, Secret,
    TokenProvider,
};
use rand::RngCore;

use crate::config::{ClientConfig, ConfigError, OauthMethod, SaslMechanism, SecuritySettings};
use crate::connection::{BoxFuture, SaslFactory};

mod aws;

pub use aws::AwsSetup;
use aws::{AwsMskIamFactory, ScramSecretFactory};

/// The TLS connector for `settings`, if TLS is on: every file is read and checked here, so a
/// bad certificate or key fails `Client::connect` before any broker is contacted.
pub(crate) fn tls_connector(
    settings: &SecuritySettings,
) -> Result<Option<ottla_tls::TlsConnector>, ottla_tls::ConnectError> {
    if !settings.protocol.uses_tls() {
        return Ok(None);
    }
    let t = &settings.tls;
    let mut options = ottla_tls::TlsOptions::new();
    options.ca_location = t.ca_location.clone();
    options.ca_pem = t.ca_pem.clone();
    options.certificate_location = t.certificate_location.clone();
    options.certificate_pem = t.certificate_pem.clone();
    options.key_location = t.key_location.clone();
    options.key_pem = t.key_pem.as_ref().map(|k| k.expose().to_owned());
    options.key_password = t.key_password.as_ref().map(|k| k.expose().to_owned());
    options.endpoint_identification = if t.verify_hostname {
        ottla_tls::EndpointIdentification::Https
    } else {
        ottla_tls::EndpointIdentification::None
    };
    options.build().map(Some)
}

/// The SASL factory for the client's settings, if SASL is on. With MSK IAM or a SCRAM
/// secret, this resolves the AWS region and sets up the credential chain (no network yet).
pub(crate) fn sasl_factory(
    config: &ClientConfig,
) -> Result<Option<Arc<dyn SaslFactory>>, ConfigError> {
    let settings = &config.security;
    if !settings.protocol.uses_sasl() {
        return Ok(None);
    }
    let aws = if settings.uses_aws() {
        Some(AwsSetup::new(
            settings,
            config.aws_credentials.as_ref(),
            config.aws_env.as_ref(),
        )?)
    } else {
        None
    };
    let missing = |key: &str| ConfigError::Missing {
        key: key.to_owned(),
        because: None,
    };
    let mechanism = settings
        .mechanism
        .ok_or_else(|| missing("sasl.mechanism"))?;
    let username = || {
        settings
            .username
            .clone()
            .ok_or_else(|| missing("sasl.username"))
    };
    let password = || {
        settings
            .password
            .clone()
            .ok_or_else(|| missing("sasl.password"))
    };
    let factory: Arc<dyn SaslFactory> = match mechanism {
        SaslMechanism::Plain => {
            let plain = Plain::new(username()?, password()?);
            plain.validate().map_err(|e| {
                ConfigError::invalid("sasl.username", "<credentials>", e.to_string())
            })?;
            Arc::new(PlainFactory(plain))
        }
        SaslMechanism::ScramSha256 | SaslMechanism::ScramSha512 => {
            let algorithm = if mechanism == SaslMechanism::ScramSha256 {
                ScramAlgorithm::Sha256
            } else {
                ScramAlgorithm::Sha512
            };
            match (&settings.scram_secret_id, &aws) {
                (Some(id), Some(context)) => {
                    Arc::new(ScramSecretFactory::new(algorithm, id, context)?)
                }
                _ => Arc::new(ScramFactory {
                    algorithm,
                    username: username()?,
                    password: password()?,
                    cache: Arc::new(ScramCache::new()),
                }),
            }
        }
        SaslMechanism::OAuthBearer => {
            let provider = match (settings.oauth_method, &aws, &config.token_provider) {
                (OauthMethod::AwsMskIam, Some(context), _) => context.token_provider(settings)?,
                (OauthMethod::Default, _, Some(p)) => Arc::clone(p),
                _ => {
                    return Err(ConfigError::invalid(
                        "sasl.mechanism",
                        "OAUTHBEARER",
                        "a token provider set on the builder (ClientConfigBuilder::token_provider) or sasl.oauthbearer.method=aws_msk_iam",
                    ))
                }
            };
            Arc::new(OauthFactory { provider })
        }
        SaslMechanism::AwsMskIam => {
            let context = aws.as_ref().ok_or_else(|| missing("aws.region"))?;
            Arc::new(AwsMskIamFactory {
                signer: context.signer(settings)?,
                credentials: Arc::clone(&context.credentials),
            })
        }
    };
    Ok(Some(factory))
}

#[derive(Debug)]
struct PlainFactory(Plain);

impl SaslFactory for PlainFactory {
    fn mechanism(&self) -> &'static str {
        Plain::NAME
    }

    fn authenticator<'a>(
        &'a self,
        _host: &'a str,
    ) -> BoxFuture<'a, Result<Box<dyn Authenticator>, SaslError>> {
        let plain = self.0.clone();
        Box::pin(async move { Ok(Box::new(plain) as Box<dyn Authenticator>) })
    }
}

/// SCRAM with a salted-password cache shared by every connection of the client, so
/// reconnects and re-authentications skip PBKDF2.
struct ScramFactory {
    algorithm: ScramAlgorithm,
    username: String,
    password: Secret,
    cache: Arc<ScramCache>,
}

impl fmt::Debug for ScramFactory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScramFactory")
            .field("algorithm", &self.algorithm)
            .field("username", &self.username)
            .field("password", &self.password)
            .finish()
    }
}

impl SaslFactory for ScramFactory {
    fn mechanism(&self) -> &'static str {
        self.algorithm.mechanism()
    }

    fn authenticator<'a>(
        &'a self,
        _host: &'a str,
    ) -> BoxFuture<'a, Result<Box<dyn Authenticator>, SaslError>> {
        Box::pin(async move {
            scram_authenticator(
                self.algorithm,
                &self.username,
                self.password.clone(),
                &self.cache,
            )
        })
    }
}

/// A SCRAM exchange with a fresh random nonce, sharing the client's salted-password cache.
pub(crate) fn scram_authenticator(
    algorithm: ScramAlgorithm,
    username: &str,
    password: Secret,
    cache: &Arc<ScramCache>,
) -> Result<Box<dyn Authenticator>, SaslError> {
    let mut nonce = [0u8; 24];
    rand::rng().fill_bytes(&mut nonce);
    let scram =
        Scram::from_random_bytes(algorithm, username, password, &nonce)?.cache(Arc::clone(cache));
    Ok(Box::new(scram))
}

/// OAUTHBEARER: a fresh token from the provider for every (re-)authentication.
#[derive(Debug)]
struct OauthFactory {
    provider: Arc<dyn TokenProvider>,
}

impl SaslFactory for OauthFactory {
    fn mechanism(&self) -> &'static str {
        OauthBearer::NAME
    }

    fn authenticator<'a>(
        &'a self,
        _host: &'a str,
    ) -> BoxFuture<'a, Result<Box<dyn Authenticator>, SaslError>> {
        Box::pin(async move {
            let token = self.provider.token().await?;
            Ok(Box::new(OauthBearer::new(&token)?) as Box<dyn Authenticator>)
        })
    }
}
