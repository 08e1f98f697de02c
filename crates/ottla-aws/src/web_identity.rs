//! Web identity credentials (EKS IAM roles for service accounts): an OIDC token from a file
//! exchanged for role credentials with STS AssumeRoleWithWebIdentity.
//!
//! The token file is read again on every call: the kubelet rotates it, and an old token is
//! refused once it expires. The session name is stable (`AWS_ROLE_SESSION_NAME`, else
//! [`DEFAULT_SESSION_NAME`](super::DEFAULT_SESSION_NAME)) so re-authentication presents the
//! same principal.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::assume_role::DEFAULT_SESSION_NAME;
use super::env::AwsEnv;
use super::error::AwsError;
use super::sts::{AssumeRoleWithWebIdentityRequest, RoleArn, StsClient};
use crate::{AwsCredentials, BoxFuture, ProvideAwsCredentials};
use ottla_sasl::Secret;

/// The provider name in errors.
const PROVIDER: &str = "web identity";

/// The largest token file read (STS takes tokens of up to 20 000 characters).
const MAX_TOKEN_FILE: u64 = 64 * 1024;

/// Credentials from STS AssumeRoleWithWebIdentity with the token in a file. Asks STS on
/// every call; wrap it in a [`CachedCredentials`](super::CachedCredentials).
#[derive(Debug, Clone)]
pub struct WebIdentityProvider {
    token_file: PathBuf,
    role_arn: RoleArn,
    session_name: String,
    duration: Option<Duration>,
    sts: StsClient,
}

impl WebIdentityProvider {
    /// The provider the environment describes: `AWS_WEB_IDENTITY_TOKEN_FILE` and
    /// `AWS_ROLE_ARN`, optionally `AWS_ROLE_SESSION_NAME`; STS in `region` (endpoint from
    /// `env` as [`StsClient::new`] resolves it). `Ok(None)` when
    /// `AWS_WEB_IDENTITY_TOKEN_FILE` is unset; an error when it is set without a valid
    /// `AWS_ROLE_ARN` (as the AWS SDKs do).
    pub fn from_env(env: &AwsEnv, region: &str) -> Result<Option<Self>, AwsError> {
        let Some(token_file) = env.get("AWS_WEB_IDENTITY_TOKEN_FILE") else {
            return Ok(None);
        };
        let role_arn = env.get("AWS_ROLE_ARN").ok_or_else(|| AwsError::Provider {
            provider: PROVIDER,
            why: "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not".into(),
        })?;
        let sts = StsClient::new(env, region)?;
        Self::new(token_file, role_arn, env.get("AWS_ROLE_SESSION_NAME"), sts).map(Some)
    }

    /// The provider for a profile's `web_identity_token_file` and `role_arn` (and
    /// `role_session_name`), asking `sts`.
    pub fn new(
        token_file: impl Into<PathBuf>,
        role_arn: &str,
        session_name: Option<&str>,
        sts: StsClient,
    ) -> Result<Self, AwsError> {
        let session_name = session_name.unwrap_or(DEFAULT_SESSION_NAME);
        super::sts::validate_session_name(session_name)?;
        Ok(Self {
            token_file: token_file.into(),
            role_arn: RoleArn::parse(role_arn)?,
            session_name: session_name.to_owned(),
            duration: None,
            sts,
        })
    }

    /// This provider asking for sessions of `duration` (15 min to 12 h).
    pub fn with_duration(mut self, duration: Duration) -> Result<Self, AwsError> {
        // Checked the way the request will check it.
        AssumeRoleWithWebIdentityRequest::new(
            self.role_arn.clone(),
            &self.session_name,
            Secret::new("check"),
        )?
        .with_duration(duration)?;
        self.duration = Some(duration);
        Ok(self)
    }

    /// This provider asking `sts` instead (another HTTP client, timeout or clock).
    pub fn with_sts(mut self, sts: StsClient) -> Self {
        self.sts = sts;
        self
    }

    /// The token file.
    pub fn token_file(&self) -> &Path {
        &self.token_file
    }

    /// The role.
    pub fn role_arn(&self) -> &RoleArn {
        &self.role_arn
    }

    /// The session name.
    pub fn session_name(&self) -> &str {
        &self.session_name
    }

    /// The STS client.
    pub fn sts(&self) -> &StsClient {
        &self.sts
    }

    fn read_token(&self) -> Result<Secret, AwsError> {
        let fail = |why: String| AwsError::Provider {
            provider: PROVIDER,
            why: format!("token file {}: {why}", self.token_file.display()),
        };
        let file = std::fs::File::open(&self.token_file).map_err(|e| fail(e.to_string()))?;
        let mut token = String::new();
        file.take(MAX_TOKEN_FILE + 1)
            .read_to_string(&mut token)
            .map_err(|e| fail(e.to_string()))?;
        if token.len() as u64 > MAX_TOKEN_FILE {
            return Err(fail(format!("larger than {MAX_TOKEN_FILE} bytes")));
        }
        let token = token.trim();
        if token.is_empty() {
            return Err(fail("it is empty".into()));
        }
        Ok(Secret::new(token))
    }
}

impl ProvideAwsCredentials for WebIdentityProvider {
    fn credentials(&self) -> BoxFuture<'_, Result<AwsCredentials, AwsError>> {
        Box::pin(async move {
            let token = self.read_token()?;
            let mut request = AssumeRoleWithWebIdentityRequest::new(
                self.role_arn.clone(),
                &self.session_name,
                token,
            )?;
            if let Some(d) = self.duration {
                request = request.with_duration(d)?;
            }
            let role = self.sts.assume_role_with_web_identity(&request).await?;
            Ok(role.into_credentials())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn temp_file(contents: &str) -> PathBuf {
        static N: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "ottla-web-identity-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&path, contents).unwrap();
        path
    }

    #[test]
    fn from_env() {
        let env = AwsEnv::default();
        assert!(WebIdentityProvider::from_env(&env, "us-east-1")
            .unwrap()
            .is_none());
        let env = env.with("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/token");
        let err = WebIdentityProvider::from_env(&env, "us-east-1").unwrap_err();
        assert!(err.to_string().contains("AWS_ROLE_ARN"), "{err}");
        let env = env.with("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/eks");
        let p = WebIdentityProvider::from_env(&env, "eu-central-1")
            .unwrap()
            .unwrap();
        assert_eq!(p.token_file(), Path::new("/var/run/token"));
        assert_eq!(p.role_arn().role_name(), "eks");
        assert_eq!(p.session_name(), DEFAULT_SESSION_NAME);
        assert_eq!(
            p.sts().endpoint().url(),
            "https://sts.eu-central-1.amazonaws.com/"
        );
        let env = env.with("AWS_ROLE_SESSION_NAME", "pod-a");
        let p = WebIdentityProvider::from_env(&env, "eu-central-1")
            .unwrap()
            .unwrap();
        assert_eq!(p.session_name(), "pod-a");
        let env = env.with("AWS_ROLE_SESSION_NAME", "bad name");
        assert!(WebIdentityProvider::from_env(&env, "eu-central-1").is_err());
        let env = env.with("AWS_ROLE_ARN", "arn:aws:iam::1:role/x");
        assert!(WebIdentityProvider::from_env(&env, "eu-central-1").is_err());
        let p = p.with_duration(Duration::from_secs(900)).unwrap();
        assert!(p.with_duration(Duration::from_secs(5)).is_err());
    }

    #[tokio::test]
    async fn token_problems_are_errors_that_name_the_file() {
        let sts = StsClient::new(
            &AwsEnv::from_vars([("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9")]),
            "us-east-1",
        )
        .unwrap();
        let arn = "arn:aws:iam::123456789012:role/eks";
        let missing = std::env::temp_dir().join("ottla-no-such-token-file");
        let p = WebIdentityProvider::new(&missing, arn, None, sts.clone()).unwrap();
        let err = p.credentials().await.unwrap_err();
        assert!(
            matches!(&err, AwsError::Provider { provider: "web identity", why } if why.contains("ottla-no-such-token-file")),
            "{err}"
        );
        let empty = temp_file("\n");
        let p = WebIdentityProvider::new(&empty, arn, None, sts.clone()).unwrap();
        let err = p.credentials().await.unwrap_err();
        assert!(err.to_string().contains("empty"), "{err}");
        let big = temp_file(&"a".repeat(70_000));
        let p = WebIdentityProvider::new(&big, arn, None, sts).unwrap();
        let err = p.credentials().await.unwrap_err();
        assert!(err.to_string().contains("larger"), "{err}");
        for f in [empty, big] {
            let _ = std::fs::remove_file(f);
        }
    }

    /// The token file is read on every call: a rotated token is the one sent.
    #[tokio::test]
    async fn rereads_the_rotated_token() {
        let ok = "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>\
            <AccessKeyId>ASIA</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken>\
            <Expiration>2030-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleWithWebIdentityResult>\
            </AssumeRoleWithWebIdentityResponse>";
        let (base, server) = crate::sts::loopback::serve(vec![
            ("200 OK", "text/xml", ok.to_owned()),
            ("200 OK", "text/xml", ok.to_owned()),
        ])
        .await;
        let file = temp_file("first-token");
        let sts = StsClient::new(
            &AwsEnv::from_vars([("AWS_ENDPOINT_URL_STS", base)]),
            "us-east-1",
        )
        .unwrap();
        let p = WebIdentityProvider::new(
            &file,
            "arn:aws:iam::123456789012:role/eks",
            Some("pod"),
            sts,
        )
        .unwrap();
        let c = p.credentials().await.unwrap();
        assert_eq!(c.source(), "sts:AssumeRoleWithWebIdentity");
        std::fs::write(&file, "second-token\n").unwrap();
        p.credentials().await.unwrap();
        let bodies = server.await.unwrap();
        assert!(
            bodies[0].ends_with("RoleSessionName=pod&WebIdentityToken=first-token"),
            "{}",
            bodies[0]
        );
        assert!(
            bodies[1].ends_with("RoleSessionName=pod&WebIdentityToken=second-token"),
            "{}",
            bodies[1]
        );
        let _ = std::fs::remove_file(file);
    }
}
