//! The AWS SDKs' default credential chain: environment, web identity, shared config and
//! credentials files, ECS container credentials, EC2 IMDSv2 — the first source that is
//! configured wins. A source that is configured but fails stops the chain with its error
//! (as the SDKs do: a broken profile must not silently become the instance role). When no
//! source has credentials, the error lists why each gave nothing.

use std::sync::Arc;
use std::time::Duration;

use super::{
    selected_profile_name, AssumeRoleProvider, AwsCredentials, AwsEnv, AwsError, BaseCredentials,
    BoxFuture, CachedCredentials, CredentialProcess, CredentialSource, EcsCredentials,
    EnvCredentials, HttpClient, ImdsCredentials, ProfileFiles, ProfilePlan, ProvideAwsCredentials,
    SourceFailure, StaticCredentials, StsClient, WebIdentityProvider,
};

/// The default chain for one client. Sources are looked at again on every call; put a
/// [`CachedCredentials`] in front (the client does).
#[derive(Debug, Clone)]
pub struct DefaultCredentialsChain {
    env: AwsEnv,
    profile: Option<String>,
    region: String,
    http: HttpClient,
}

impl DefaultCredentialsChain {
    /// The chain over `env`. `profile` is an explicit profile (`aws.profile`): as in
    /// botocore, it then replaces the environment keys and web identity (only that profile
    /// is used, after which ECS and IMDS are not tried either). `region` is where STS is
    /// asked for roles that set no region of their own.
    pub fn new(env: AwsEnv, profile: Option<&str>, region: &str) -> Self {
        Self {
            env,
            profile: profile.map(str::to_owned),
            region: region.to_owned(),
            http: HttpClient::new(),
        }
    }

    /// This chain sending its HTTP (STS, ECS, IMDS) through `http`.
    pub fn with_http_client(mut self, http: HttpClient) -> Self {
        self.http = http;
        self
    }

    /// Walks the chain once.
    pub async fn resolve(&self) -> Result<AwsCredentials, AwsError> {
        let mut tried = Vec::new();
        if let Some(explicit) = &self.profile {
            return self.profile_credentials(explicit, true).await;
        }

        let env = EnvCredentials::new(self.env.clone());
        if env.is_configured() {
            return env.load();
        }
        tried.push(SourceFailure {
            provider: "environment",
            why: "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY not set".into(),
        });

        match WebIdentityProvider::from_env(&self.env, &self.region)? {
            Some(web) => return web.with_sts(self.sts(&self.region)?).credentials().await,
            None => tried.push(SourceFailure {
                provider: "web identity",
                why: "AWS_WEB_IDENTITY_TOKEN_FILE not set".into(),
            }),
        }

        let name = selected_profile_name(None, &self.env);
        let named = self.env.get("AWS_PROFILE").is_some();
        let files = ProfileFiles::load(&self.env)?;
        if files.profile(&name).is_some() || named {
            return self.plan_credentials(&files, &name).await;
        }
        tried.push(SourceFailure {
            provider: "profile",
            why: format!("no profile `{name}`: {}", files.describe(&name)),
        });

        match EcsCredentials::from_env(&self.env, self.http.clone())? {
            Some(ecs) => return ecs.load().await,
            None => tried.push(SourceFailure {
                provider: "ECS",
                why: "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and _FULL_URI not set".into(),
            }),
        }

        let imds = ImdsCredentials::new(&self.env, self.http.clone());
        if imds.is_disabled() {
            tried.push(SourceFailure {
                provider: "EC2 IMDS",
                why: "disabled by AWS_EC2_METADATA_DISABLED".into(),
            });
        } else {
            match imds.load().await {
                Ok(c) => return Ok(c),
                Err(e) => tried.push(e.into_source_failure("EC2 IMDS")),
            }
        }
        Err(AwsError::NoCredentials { tried })
    }

    async fn profile_credentials(
        &self,
        name: &str,
        explicit: bool,
    ) -> Result<AwsCredentials, AwsError> {
        let files = ProfileFiles::load(&self.env)?;
        if explicit && files.profile(name).is_none() {
            return Err(AwsError::Profile {
                profile: name.to_owned(),
                why: format!("not found ({})", files.describe(name)),
            });
        }
        self.plan_credentials(&files, name).await
    }

    async fn plan_credentials(
        &self,
        files: &ProfileFiles,
        name: &str,
    ) -> Result<AwsCredentials, AwsError> {
        let plan = files.plan(name)?;
        self.plan_provider(&plan)?.credentials().await
    }

    fn sts(&self, region: &str) -> Result<StsClient, AwsError> {
        Ok(StsClient::new(&self.env, region)?.configure(|e| e.with_http_client(self.http.clone())))
    }

    /// The providers a profile plan describes, chained: the base, then one AssumeRole per
    /// role step, each with a cache in front of its source.
    pub fn plan_provider(
        &self,
        plan: &ProfilePlan,
    ) -> Result<Arc<dyn ProvideAwsCredentials>, AwsError> {
        let mut provider: Arc<dyn ProvideAwsCredentials> = match &plan.base {
            BaseCredentials::Static(c) => Arc::new(StaticCredentials::new(c.clone())),
            BaseCredentials::Process { command } => Arc::new(CredentialProcess::new(command)),
            BaseCredentials::WebIdentity {
                token_file,
                role_arn,
                session_name,
                sts_region,
            } => {
                let region = sts_region.as_deref().unwrap_or(&self.region);
                Arc::new(WebIdentityProvider::new(
                    token_file,
                    role_arn,
                    session_name.as_deref(),
                    self.sts(region)?,
                )?)
            }
            BaseCredentials::CredentialSource(CredentialSource::Environment) => {
                Arc::new(EnvCredentials::new(self.env.clone()))
            }
            BaseCredentials::CredentialSource(CredentialSource::Ec2InstanceMetadata) => {
                Arc::new(ImdsCredentials::new(&self.env, self.http.clone()))
            }
            BaseCredentials::CredentialSource(CredentialSource::EcsContainer) => Arc::new(
                EcsCredentials::from_env(&self.env, self.http.clone())?.ok_or_else(|| {
                    AwsError::Profile {
                        profile: plan.profile.clone(),
                        why: "credential_source = EcsContainer, but neither \
                              AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor _FULL_URI is set"
                            .into(),
                    }
                })?,
            ),
        };
        for step in &plan.roles {
            let mut builder = AssumeRoleProvider::builder(&step.role_arn, &self.env)?
                .region(self.region.clone())
                .http_client(self.http.clone());
            if let Some(r) = &step.sts_region {
                builder = builder.sts_region(r.clone());
            }
            if let Some(n) = &step.role_session_name {
                builder = builder.session_name(n.clone());
            }
            if let Some(id) = &step.external_id {
                builder = builder.external_id(id.clone());
            }
            if let Some(s) = step.duration_seconds {
                builder = builder.duration(Duration::from_secs(u64::from(s)));
            }
            let source: Arc<dyn ProvideAwsCredentials> = Arc::new(CachedCredentials::new(provider));
            provider = Arc::new(builder.build(source)?);
        }
        Ok(provider)
    }
}

impl ProvideAwsCredentials for DefaultCredentialsChain {
    fn credentials(&self) -> BoxFuture<'_, Result<AwsCredentials, AwsError>> {
        Box::pin(self.resolve())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_dir::TestDir;
    use crate::test_http_server::{Reply, TestHttpServer};
    use tokio::net::TcpListener;

    const ECS_ANSWER: &str = r#"{"AccessKeyId":"ASIAECS","SecretAccessKey":"s","Token":"t","Expiration":"2099-01-15T12:34:56Z"}"#;

    /// An environment with no AWS sources at all: empty home, IMDS on a closed port.
    async fn bare(dir: &TestDir) -> AwsEnv {
        let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = closed.local_addr().unwrap().port();
        drop(closed);
        AwsEnv::default()
            .with("HOME", dir.path().to_string_lossy())
            .with(
                "AWS_EC2_METADATA_SERVICE_ENDPOINT",
                format!("http://127.0.0.1:{port}"),
            )
    }

    fn with_profiles(env: AwsEnv, dir: &TestDir, config: &str, credentials: &str) -> AwsEnv {
        env.with(
            "AWS_CONFIG_FILE",
            dir.write("config", config).to_string_lossy(),
        )
        .with(
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.write("credentials", credentials).to_string_lossy(),
        )
    }

    #[tokio::test]
    async fn nothing_configured_lists_every_source_in_order() {
        let dir = TestDir::new("chain-none");
        let err = DefaultCredentialsChain::new(bare(&dir).await, None, "us-east-1")
            .resolve()
            .await
            .unwrap_err();
        let AwsError::NoCredentials { tried } = &err else {
            panic!("{err}");
        };
        let order: Vec<_> = tried.iter().map(|f| f.provider).collect();
        assert_eq!(
            order,
            ["environment", "web identity", "profile", "ECS", "EC2 IMDS"]
        );
        assert!(err.to_string().contains("EC2 IMDS"), "{err}");
    }

    #[tokio::test]
    async fn environment_wins_over_profile_and_explicit_profile_wins_over_environment() {
        let dir = TestDir::new("chain-env");
        let env = with_profiles(
            bare(&dir).await,
            &dir,
            "[profile dev]\nregion = eu-west-1\n",
            "[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = d\n\
             [dev]\naws_access_key_id = AKIADEV\naws_secret_access_key = v\n",
        )
        .with("AWS_ACCESS_KEY_ID", "AKIAENV")
        .with("AWS_SECRET_ACCESS_KEY", "e");
        let chain = DefaultCredentialsChain::new(env.clone(), None, "us-east-1");
        assert_eq!(chain.resolve().await.unwrap().access_key_id(), "AKIAENV");
        let chain = DefaultCredentialsChain::new(env.clone(), Some("dev"), "us-east-1");
        assert_eq!(chain.resolve().await.unwrap().access_key_id(), "AKIADEV");
        let err = DefaultCredentialsChain::new(env, Some("nope"), "us-east-1")
            .resolve()
            .await
            .unwrap_err();
        assert!(matches!(err, AwsError::Profile { .. }), "{err}");
    }

    #[tokio::test]
    async fn default_profile_then_aws_profile() {
        let dir = TestDir::new("chain-profile");
        let env = with_profiles(
            bare(&dir).await,
            &dir,
            "",
            "[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = d\n\
             [other]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = o\n",
        );
        let chain = DefaultCredentialsChain::new(env.clone(), None, "us-east-1");
        let c = chain.credentials().await.unwrap();
        assert_eq!((c.access_key_id(), c.source()), ("AKIADEFAULT", "profile"));
        let env = env.with("AWS_PROFILE", "other");
        let chain = DefaultCredentialsChain::new(env.clone(), None, "us-east-1");
        assert_eq!(chain.resolve().await.unwrap().access_key_id(), "AKIAOTHER");
        // A named profile that does not exist is an error, not a fall-through to IMDS.
        let chain =
            DefaultCredentialsChain::new(env.with("AWS_PROFILE", "gone"), None, "us-east-1");
        let err = chain.resolve().await.unwrap_err();
        assert!(!matches!(err, AwsError::NoCredentials { .. }), "{err}");
    }

    #[tokio::test]
    async fn ecs_comes_before_imds_and_after_profiles() {
        let dir = TestDir::new("chain-ecs");
        let server = TestHttpServer::start(vec![Reply::ok(ECS_ANSWER)]).await;
        let env = bare(&dir).await.with(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            format!("{}/creds", server.url()),
        );
        let c = DefaultCredentialsChain::new(env, None, "us-east-1")
            .resolve()
            .await
            .unwrap();
        assert_eq!(c.access_key_id(), "ASIAECS");
        assert_eq!(server.requests().len(), 1);
    }

    #[tokio::test]
    async fn a_configured_but_broken_source_stops_the_chain() {
        let dir = TestDir::new("chain-broken");
        // Half-set environment keys: an error naming the missing variable, no fall-through.
        let env = bare(&dir).await.with("AWS_ACCESS_KEY_ID", "AKIA");
        let err = DefaultCredentialsChain::new(env, None, "us-east-1")
            .resolve()
            .await
            .unwrap_err();
        assert!(err.to_string().contains("AWS_SECRET_ACCESS_KEY"), "{err}");
        // Web identity without a role.
        let env = bare(&dir)
            .await
            .with("AWS_WEB_IDENTITY_TOKEN_FILE", "/nonexistent");
        let err = DefaultCredentialsChain::new(env, None, "us-east-1")
            .resolve()
            .await
            .unwrap_err();
        assert!(err.to_string().contains("AWS_ROLE_ARN"), "{err}");
    }

    #[tokio::test]
    async fn a_role_profile_becomes_an_assume_role_provider() {
        let dir = TestDir::new("chain-plan");
        let chain = DefaultCredentialsChain::new(bare(&dir).await, None, "us-east-1");
        let files = ProfileFiles::from_contents(
            Some((
                dir.path(),
                "[profile p]\nrole_arn = arn:aws:iam::123456789012:role/r\n\
                 credential_source = Environment\nexternal_id = ext-1\n",
            )),
            None,
        )
        .unwrap();
        let plan = files.plan("p").unwrap();
        // The STS endpoint is the regional one; building the provider needs no network.
        let provider = chain.plan_provider(&plan).unwrap();
        assert!(
            format!("{provider:?}").contains("AssumeRole"),
            "{provider:?}"
        );
    }
}
