//! Credentials of an assumed IAM role: source credentials (any provider) sign an STS
//! AssumeRole call for the role.
//!
//! The session name is stable: the configured one, else [`DEFAULT_SESSION_NAME`], on every
//! refresh. The principal a broker sees for an assumed role is
//! `arn:aws:sts::<account>:assumed-role/<role>/<session name>`, and Kafka refuses a
//! re-authentication that presents another principal ("Cannot change principals during
//! re-authentication"), so the name must not carry a time or a process id.

use std::sync::Arc;
use std::time::Duration;

use super::env::AwsEnv;
use super::error::AwsError;
use super::http::HttpClient;
use super::sts::{AssumeRoleRequest, RoleArn, StsClient, DEFAULT_STS_TIMEOUT};
use crate::Clock;
use crate::{AwsCredentials, BoxFuture, ProvideAwsCredentials};

/// The role session name used when none is configured. Fixed, so every refresh (and every
/// process) presents the same principal.
pub const DEFAULT_SESSION_NAME: &str = "ottla-client";

/// Assumes a role with credentials from another provider, on every call. Wrap it in a
/// [`CachedCredentials`](super::CachedCredentials) so STS is asked only when the credentials
/// near their expiry.
#[derive(Debug)]
pub struct AssumeRoleProvider {
    source: Arc<dyn ProvideAwsCredentials>,
    sts: StsClient,
    request: AssumeRoleRequest,
}

impl AssumeRoleProvider {
    /// Assumes `request`'s role through `sts` with credentials from `source`.
    pub fn new(
        source: Arc<dyn ProvideAwsCredentials>,
        sts: StsClient,
        request: AssumeRoleRequest,
    ) -> Self {
        Self {
            source,
            sts,
            request,
        }
    }

    /// A builder for `role_arn` (checked here), resolving the STS endpoint from `env`
    /// (`AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL`, else regional).
    pub fn builder(role_arn: &str, env: &AwsEnv) -> Result<AssumeRoleBuilder, AwsError> {
        Ok(AssumeRoleBuilder {
            role_arn: RoleArn::parse(role_arn)?,
            env: env.clone(),
            session_name: None,
            external_id: None,
            duration: None,
            sts_region: None,
            region: None,
            http: None,
            timeout: DEFAULT_STS_TIMEOUT,
            clock: Clock::system(),
        })
    }

    /// What is asked of STS (role, session name, external id, duration).
    pub fn request(&self) -> &AssumeRoleRequest {
        &self.request
    }

    /// The STS client.
    pub fn sts(&self) -> &StsClient {
        &self.sts
    }
}

impl ProvideAwsCredentials for AssumeRoleProvider {
    fn credentials(&self) -> BoxFuture<'_, Result<AwsCredentials, AwsError>> {
        Box::pin(async move {
            let source = self
                .source
                .credentials()
                .await
                .map_err(|e| AwsError::Provider {
                    provider: "assume role",
                    why: format!(
                        "no source credentials to assume {}: {e}",
                        self.request.role_arn()
                    ),
                })?;
            let role = self.sts.assume_role(&source, &self.request).await?;
            Ok(role.into_credentials())
        })
    }
}

/// Settings of an [`AssumeRoleProvider`].
#[derive(Debug)]
pub struct AssumeRoleBuilder {
    role_arn: RoleArn,
    env: AwsEnv,
    session_name: Option<String>,
    external_id: Option<String>,
    duration: Option<Duration>,
    sts_region: Option<String>,
    region: Option<String>,
    http: Option<HttpClient>,
    timeout: Duration,
    clock: Clock,
}

impl AssumeRoleBuilder {
    /// The role session name (default [`DEFAULT_SESSION_NAME`]); 2 to 64 of
    /// `A-Za-z0-9+=,.@_-`.
    pub fn session_name(mut self, name: impl Into<String>) -> Self {
        self.session_name = Some(name.into());
        self
    }

    /// The external id the role's trust policy demands.
    pub fn external_id(mut self, id: impl Into<String>) -> Self {
        self.external_id = Some(id.into());
        self
    }

    /// How long the sessions should last (15 min to 12 h; STS's default is 1 h).
    pub fn duration(mut self, duration: Duration) -> Self {
        self.duration = Some(duration);
        self
    }

    /// The region of the STS endpoint (`aws.sts.region`); default: [`Self::region`].
    pub fn sts_region(mut self, region: impl Into<String>) -> Self {
        self.sts_region = Some(region.into());
        self
    }

    /// The client's region (`aws.region`), used for STS unless [`Self::sts_region`] is set.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// The HTTP client (a custom CA, say).
    pub fn http_client(mut self, http: HttpClient) -> Self {
        self.http = Some(http);
        self
    }

    /// The time allowed per STS request (default 10 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The clock that times the signatures.
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The provider, assuming the role with credentials from `source`. Fails on an invalid
    /// session name, external id, duration or region, or when no region is set.
    pub fn build(
        self,
        source: Arc<dyn ProvideAwsCredentials>,
    ) -> Result<AssumeRoleProvider, AwsError> {
        let region = self
            .sts_region
            .or(self.region)
            .ok_or_else(|| AwsError::NoRegion {
                looked: vec!["aws.sts.region".into(), "aws.region".into()],
            })?;
        let mut request = AssumeRoleRequest::new(
            self.role_arn,
            self.session_name.as_deref().unwrap_or(DEFAULT_SESSION_NAME),
        )?;
        if let Some(id) = &self.external_id {
            request = request.with_external_id(id)?;
        }
        if let Some(d) = self.duration {
            request = request.with_duration(d)?;
        }
        let mut sts = StsClient::new(&self.env, &region)?
            .configure(|e| e.with_timeout(self.timeout))
            .configure(|e| e.with_clock(self.clock));
        if let Some(http) = self.http {
            sts = sts.configure(|e| e.with_http_client(http));
        }
        Ok(AssumeRoleProvider::new(source, sts, request))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ottla_sasl::Secret;

    #[derive(Debug)]
    struct Failing;

    impl ProvideAwsCredentials for Failing {
        fn credentials(&self) -> BoxFuture<'_, Result<AwsCredentials, AwsError>> {
            Box::pin(async {
                Err(AwsError::Provider {
                    provider: "environment",
                    why: "AWS_ACCESS_KEY_ID not set".into(),
                })
            })
        }
    }

    #[derive(Debug)]
    struct Static;

    impl ProvideAwsCredentials for Static {
        fn credentials(&self) -> BoxFuture<'_, Result<AwsCredentials, AwsError>> {
            Box::pin(async {
                Ok(AwsCredentials::new(
                    "AKID",
                    Secret::new("s"),
                    None,
                    None,
                    "test",
                ))
            })
        }
    }

    #[test]
    fn defaults_and_regions() {
        let env = AwsEnv::default();
        let p = AssumeRoleProvider::builder("arn:aws:iam::123456789012:role/r", &env)
            .unwrap()
            .region("eu-west-1")
            .build(Arc::new(Static))
            .unwrap();
        assert_eq!(p.request().session_name(), DEFAULT_SESSION_NAME);
        assert_eq!(p.request().external_id(), None);
        assert_eq!(
            p.sts().endpoint().url(),
            "https://sts.eu-west-1.amazonaws.com/"
        );
        let p = AssumeRoleProvider::builder("arn:aws-cn:iam::123456789012:role/r", &env)
            .unwrap()
            .region("eu-west-1")
            .sts_region("cn-north-1")
            .session_name("my-app")
            .external_id("ext-123")
            .duration(Duration::from_secs(3600))
            .build(Arc::new(Static))
            .unwrap();
        assert_eq!(p.sts().endpoint().region(), "cn-north-1");
        assert_eq!(
            p.sts().endpoint().url(),
            "https://sts.cn-north-1.amazonaws.com.cn/"
        );
        assert_eq!(p.request().session_name(), "my-app");
        assert_eq!(p.request().external_id(), Some("ext-123"));
        assert_eq!(p.request().duration(), Some(Duration::from_secs(3600)));
    }

    #[test]
    fn invalid_settings_fail_at_build() {
        let env = AwsEnv::default();
        assert!(AssumeRoleProvider::builder("arn:aws:iam::123:role/r", &env).is_err());
        let b = || AssumeRoleProvider::builder("arn:aws:iam::123456789012:role/r", &env).unwrap();
        let err = b().build(Arc::new(Static)).unwrap_err();
        assert!(matches!(err, AwsError::NoRegion { .. }), "{err}");
        for bad in [
            b().region("us-east-1").session_name("x y"),
            b().region("us-east-1").external_id("x"),
            b().region("us-east-1").duration(Duration::from_secs(60)),
            b().region("US EAST"),
        ] {
            assert!(matches!(
                bad.build(Arc::new(Static)),
                Err(AwsError::Invalid { .. })
            ));
        }
    }

    #[tokio::test]
    async fn source_failure_names_the_role() {
        let p = AssumeRoleProvider::builder(
            "arn:aws:iam::123456789012:role/r",
            &AwsEnv::from_vars([("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9")]),
        )
        .unwrap()
        .region("us-east-1")
        .build(Arc::new(Failing))
        .unwrap();
        let err = p.credentials().await.unwrap_err();
        let s = err.to_string();
        assert!(
            s.contains("arn:aws:iam::123456789012:role/r") && s.contains("AWS_ACCESS_KEY_ID"),
            "{s}"
        );
    }
}
