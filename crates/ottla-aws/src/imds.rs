//! EC2 instance metadata (IMDSv2): the credentials of the instance profile's role, and the
//! instance's region.
//!
//! 1. `PUT /latest/api/token` with `X-aws-ec2-metadata-token-ttl-seconds: 21600` → a session
//!    token;
//! 2. `GET /latest/meta-data/iam/security-credentials/` with `X-aws-ec2-metadata-token` → the
//!    role name;
//! 3. `GET /latest/meta-data/iam/security-credentials/<role>` → `{"Code": "Success",
//!    "AccessKeyId", "SecretAccessKey", "Token", "Expiration"}`.
//!
//! The endpoint is `AWS_EC2_METADATA_SERVICE_ENDPOINT`, else `http://[fd00:ec2::254]` when
//! `AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6`, else `http://169.254.169.254`;
//! `AWS_EC2_METADATA_DISABLED=true` turns the service off. Each call has 1 s to connect and
//! answer, so off EC2 the failure comes fast and says so. Only IMDSv2 is spoken (no fallback
//! to the token-less IMDSv1).

use std::time::Duration;

use super::credential_document::{
    credentials_from_document, json_object, optional_str, IMDS_FIELDS,
};
use super::env::AwsEnv;
use super::error::AwsError;
use super::http::{HttpClient, HttpRequest, HttpResponse};
use crate::{AwsCredentials, BoxFuture, ProvideAwsCredentials};
use ottla_sasl::Secret;

const ENDPOINT: &str = "AWS_EC2_METADATA_SERVICE_ENDPOINT";
const ENDPOINT_MODE: &str = "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE";
const DISABLED: &str = "AWS_EC2_METADATA_DISABLED";
const DEFAULT_ENDPOINT: &str = "http://169.254.169.254";
const DEFAULT_ENDPOINT_V6: &str = "http://[fd00:ec2::254]";

const TOKEN_PATH: &str = "/latest/api/token";
const CREDENTIALS_PATH: &str = "/latest/meta-data/iam/security-credentials/";
const REGION_PATH: &str = "/latest/meta-data/placement/region";
const TOKEN_TTL_HEADER: &str = "X-aws-ec2-metadata-token-ttl-seconds";
const TOKEN_HEADER: &str = "X-aws-ec2-metadata-token";
/// Six hours, the most IMDS grants.
const TOKEN_TTL_SECONDS: &str = "21600";

/// The service name in errors and the provider name of the credentials.
const SERVICE: &str = "EC2 IMDS";

/// Credentials of the EC2 instance's role, from IMDSv2; also the instance's region.
#[derive(Debug, Clone)]
pub struct ImdsCredentials {
    endpoint: String,
    disabled: bool,
    http: HttpClient,
    timeout: Duration,
}

impl ImdsCredentials {
    /// The time allowed for each call (connect and answer).
    pub const TIMEOUT: Duration = Duration::from_secs(1);

    /// The service as `env` configures it.
    pub fn new(env: &AwsEnv, http: HttpClient) -> Self {
        let endpoint = match env.get(ENDPOINT) {
            Some(endpoint) => endpoint.trim().trim_end_matches('/').to_owned(),
            None if env
                .get(ENDPOINT_MODE)
                .is_some_and(|mode| mode.trim().eq_ignore_ascii_case("ipv6")) =>
            {
                DEFAULT_ENDPOINT_V6.to_owned()
            }
            None => DEFAULT_ENDPOINT.to_owned(),
        };
        let disabled = env
            .get(DISABLED)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
        Self {
            endpoint,
            disabled,
            http,
            timeout: Self::TIMEOUT,
        }
    }

    /// The endpoint (`http://169.254.169.254`).
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Whether `AWS_EC2_METADATA_DISABLED=true` turned the service off.
    pub fn is_disabled(&self) -> bool {
        self.disabled
    }

    /// Fetches the role's credentials (token, role name, credentials: three calls).
    pub async fn load(&self) -> Result<AwsCredentials, AwsError> {
        self.fetch_credentials()
            .await
            .map_err(|why| AwsError::Provider {
                provider: SERVICE,
                why,
            })
    }

    /// The instance's region (`/latest/meta-data/placement/region`).
    pub async fn region(&self) -> Result<String, AwsError> {
        let fail = |why| AwsError::Http {
            service: SERVICE,
            url: format!("{}{REGION_PATH}", self.endpoint),
            why,
        };
        let token = self.token().await.map_err(fail)?;
        let response = self.get(REGION_PATH, &token).await.map_err(fail)?;
        let region = String::from_utf8_lossy(&response.body).trim().to_owned();
        if region.is_empty() {
            return Err(fail("the instance metadata has an empty region".into()));
        }
        Ok(region)
    }

    async fn fetch_credentials(&self) -> Result<AwsCredentials, String> {
        let token = self.token().await?;
        let listing = self.get(CREDENTIALS_PATH, &token).await.map_err(|why| {
            if why.starts_with("HTTP 404") {
                "no IAM role (instance profile) is attached to this EC2 instance".to_owned()
            } else {
                why
            }
        })?;
        let role = parse_role_listing(&listing.body)?;
        let document = self
            .get(&format!("{CREDENTIALS_PATH}{role}"), &token)
            .await?;
        parse_credentials(&role, &document.body)
    }

    /// A session token (step 1).
    async fn token(&self) -> Result<Secret, String> {
        if self.disabled {
            return Err(format!("disabled by {DISABLED}=true"));
        }
        self.check_endpoint()?;
        let mut request = HttpRequest::get(format!("{}{TOKEN_PATH}", self.endpoint))
            .header(TOKEN_TTL_HEADER, TOKEN_TTL_SECONDS);
        request.method = http::Method::PUT;
        let response = self.send(request).await?;
        if !response.is_success() {
            return Err(match response.status {
                403 => format!(
                    "the EC2 instance metadata service at {} refused a session token \
                     (HTTP 403): is it turned off for this instance?",
                    self.host()
                ),
                status => format!(
                    "HTTP {status} from {}{TOKEN_PATH}: {}",
                    self.endpoint,
                    response.body_excerpt(200)
                ),
            });
        }
        parse_token(&response.body)
    }

    /// A `GET` with the session token; non-2xx is an error starting `HTTP <status>`.
    async fn get(&self, path: &str, token: &Secret) -> Result<HttpResponse, String> {
        let request = HttpRequest::get(format!("{}{path}", self.endpoint))
            .header(TOKEN_HEADER, token.expose());
        let response = self.send(request).await?;
        if !response.is_success() {
            return Err(format!(
                "HTTP {} from {}{path}: {}",
                response.status,
                self.endpoint,
                response.body_excerpt(200)
            ));
        }
        Ok(response)
    }

    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, String> {
        self.http
            .send(SERVICE, request, self.timeout)
            .await
            .map_err(|e| match e {
                AwsError::Timeout { timeout, .. } => format!(
                    "no answer from the EC2 instance metadata service at {} within {timeout:?}: \
                     not running on EC2?",
                    self.host()
                ),
                AwsError::Http { why, .. } => format!(
                    "could not reach the EC2 instance metadata service at {} ({why}): not \
                     running on EC2?",
                    self.host()
                ),
                other => other.to_string(),
            })
    }

    fn check_endpoint(&self) -> Result<(), String> {
        let uri: http::Uri = self
            .endpoint
            .parse()
            .map_err(|_| format!("{ENDPOINT} `{}` is not a URL", self.endpoint))?;
        match (uri.scheme_str(), uri.host()) {
            (Some("http" | "https"), Some(_)) => Ok(()),
            _ => Err(format!(
                "{ENDPOINT} `{}` is not an http:// or https:// URL with a host",
                self.endpoint
            )),
        }
    }

    /// `169.254.169.254` (with the port if one is given), for messages.
    fn host(&self) -> &str {
        let rest = self
            .endpoint
            .split_once("://")
            .map_or(self.endpoint.as_str(), |(_, rest)| rest);
        rest.split('/').next().unwrap_or(rest)
    }
}

impl ProvideAwsCredentials for ImdsCredentials {
    fn credentials(&self) -> BoxFuture<'_, Result<AwsCredentials, AwsError>> {
        Box::pin(self.load())
    }
}

/// The session token in the answer to `PUT /latest/api/token`.
pub(crate) fn parse_token(body: &[u8]) -> Result<Secret, String> {
    let token = String::from_utf8_lossy(body).trim().to_owned();
    if token.is_empty() || token.chars().any(char::is_control) {
        return Err("the instance metadata service sent an unusable session token".into());
    }
    Ok(Secret::new(token))
}

/// The role in the listing `GET /latest/meta-data/iam/security-credentials/` answers: its
/// first non-blank line, which must be usable as the last segment of a path.
pub(crate) fn parse_role_listing(body: &[u8]) -> Result<String, String> {
    let text = String::from_utf8_lossy(body);
    let Some(role) = text.lines().map(str::trim).find(|l| !l.is_empty()) else {
        return Err("no IAM role (instance profile) is attached to this EC2 instance".into());
    };
    if role.contains(['/', '?', '#']) || role.contains(char::is_whitespace) {
        return Err(format!(
            "the instance metadata names an invalid role `{role}`"
        ));
    }
    Ok(role.to_owned())
}

/// The credential document of `role`: `Code` other than `Success` is an error.
pub(crate) fn parse_credentials(role: &str, body: &[u8]) -> Result<AwsCredentials, String> {
    let doc =
        json_object(body).map_err(|why| format!("the credentials of role `{role}` are {why}"))?;
    let code = optional_str(&doc, "Code").map_err(|why| format!("role `{role}`: {why}"))?;
    if let Some(code) = code.filter(|c| *c != "Success") {
        let message = optional_str(&doc, "Message").ok().flatten().unwrap_or("");
        return Err(format!(
            "the credentials of role `{role}` are not available: {code} {message}"
        ));
    }
    credentials_from_document(&doc, IMDS_FIELDS, SERVICE)
        .map_err(|why| format!("the credentials of role `{role}` are unusable: {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_http_server::{Reply, TestHttpServer};
    use std::time::{Instant, SystemTime};
    use tokio::net::TcpListener;

    const DOCUMENT: &str = r#"{"Code":"Success","LastUpdated":"2024-01-15T06:34:56Z","Type":"AWS-HMAC",
        "AccessKeyId":"ASIAIMDS","SecretAccessKey":"imdssecret","Token":"imdstoken",
        "Expiration":"2024-01-15T12:34:56Z"}"#;

    fn imds_at(url: &str) -> ImdsCredentials {
        ImdsCredentials::new(&AwsEnv::default().with(ENDPOINT, url), HttpClient::new())
    }

    #[test]
    fn endpoint_from_the_environment() {
        let imds = ImdsCredentials::new(&AwsEnv::default(), HttpClient::new());
        assert_eq!(imds.endpoint(), "http://169.254.169.254");
        assert_eq!(imds.host(), "169.254.169.254");
        assert!(!imds.is_disabled());
        let env = AwsEnv::default().with(ENDPOINT_MODE, "IPv6");
        assert_eq!(
            ImdsCredentials::new(&env, HttpClient::new()).endpoint(),
            "http://[fd00:ec2::254]"
        );
        let env = AwsEnv::default().with(ENDPOINT, "http://127.0.0.1:1338/");
        let imds = ImdsCredentials::new(&env, HttpClient::new());
        assert_eq!(imds.endpoint(), "http://127.0.0.1:1338");
        assert_eq!(imds.host(), "127.0.0.1:1338");
    }

    #[tokio::test]
    async fn token_then_role_then_credentials() {
        let server = TestHttpServer::start(vec![
            Reply::ok("session-token-abc"),
            Reply::ok("ec2-role\n"),
            Reply::ok(DOCUMENT),
        ])
        .await;
        let c = imds_at(server.url()).credentials().await.unwrap();
        assert_eq!(c.access_key_id(), "ASIAIMDS");
        assert_eq!(c.secret_access_key().expose(), "imdssecret");
        assert_eq!(c.session_token().map(Secret::expose), Some("imdstoken"));
        assert_eq!(
            c.expires_at(),
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_705_322_096))
        );
        assert_eq!(c.source(), "EC2 IMDS");

        let seen = server.requests();
        assert_eq!(seen.len(), 3);
        assert_eq!(
            (seen[0].method.as_str(), seen[0].path.as_str()),
            ("PUT", "/latest/api/token")
        );
        assert_eq!(
            seen[0].header("x-aws-ec2-metadata-token-ttl-seconds"),
            Some("21600")
        );
        assert_eq!(seen[0].header("x-aws-ec2-metadata-token"), None);
        assert_eq!(
            (seen[1].method.as_str(), seen[1].path.as_str()),
            ("GET", "/latest/meta-data/iam/security-credentials/")
        );
        assert_eq!(
            (seen[2].method.as_str(), seen[2].path.as_str()),
            ("GET", "/latest/meta-data/iam/security-credentials/ec2-role")
        );
        for request in &seen[1..] {
            assert_eq!(
                request.header("x-aws-ec2-metadata-token"),
                Some("session-token-abc")
            );
        }
    }

    #[tokio::test]
    async fn region_uses_a_token_too() {
        let server = TestHttpServer::start(vec![Reply::ok("tok"), Reply::ok("eu-north-1\n")]).await;
        assert_eq!(imds_at(server.url()).region().await.unwrap(), "eu-north-1");
        let seen = server.requests();
        assert_eq!(seen[0].method, "PUT");
        assert_eq!(seen[1].path, "/latest/meta-data/placement/region");
        assert_eq!(seen[1].header("x-aws-ec2-metadata-token"), Some("tok"));
    }

    #[tokio::test]
    async fn no_role_attached() {
        let server = TestHttpServer::start(vec![Reply::ok("tok"), Reply::status(404, "")]).await;
        let e = imds_at(server.url()).load().await.unwrap_err();
        assert_eq!(
            e.to_string(),
            "AWS credentials from EC2 IMDS: no IAM role (instance profile) is attached to this EC2 instance"
        );
    }

    #[tokio::test]
    async fn failure_code_and_bad_documents() {
        let server = TestHttpServer::start(vec![
            Reply::ok("tok"),
            Reply::ok("role"),
            Reply::ok(r#"{"Code":"AssumeRoleUnauthorizedAccess","Message":"denied"}"#),
            Reply::ok("tok"),
            Reply::ok("role"),
            Reply::ok(r#"{"Code":"Success","AccessKeyId":"A","SecretAccessKey":"S","Token":"T"}"#),
        ])
        .await;
        let imds = imds_at(server.url());
        let e = imds.load().await.unwrap_err();
        assert!(
            e.to_string()
                .ends_with("role `role` are not available: AssumeRoleUnauthorizedAccess denied"),
            "{e}"
        );
        let e = imds.load().await.unwrap_err();
        assert!(
            e.to_string()
                .ends_with("are unusable: `Expiration` is missing"),
            "{e}"
        );
    }

    #[tokio::test]
    async fn token_refused() {
        let server = TestHttpServer::start(vec![Reply::status(403, "Forbidden")]).await;
        let e = imds_at(server.url()).load().await.unwrap_err();
        assert!(
            e.to_string().contains("refused a session token (HTTP 403)"),
            "{e}"
        );
    }

    #[tokio::test]
    async fn off_ec2_a_silent_endpoint_fails_fast_and_clearly() {
        // A listener that accepts (the kernel does) and never answers.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let imds = imds_at(&format!("http://{addr}"));
        let started = Instant::now();
        let e = imds.load().await.unwrap_err();
        let elapsed = started.elapsed();
        assert_eq!(
            e.to_string(),
            format!(
                "AWS credentials from EC2 IMDS: no answer from the EC2 instance metadata service \
                 at {addr} within 1s: not running on EC2?"
            )
        );
        // A bound on the 1 s timeout, not a performance claim.
        assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
        let e = imds.region().await.unwrap_err();
        assert!(
            e.to_string().contains("within 1s: not running on EC2?"),
            "{e}"
        );
        drop(listener);
    }

    #[tokio::test]
    async fn off_ec2_a_closed_port_fails_fast_and_clearly() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let started = Instant::now();
        let e = imds_at(&format!("http://{addr}")).load().await.unwrap_err();
        assert!(
            e.to_string().starts_with(&format!(
                "AWS credentials from EC2 IMDS: could not reach the EC2 instance metadata service at {addr} ("
            )),
            "{e}"
        );
        assert!(e.to_string().ends_with("not running on EC2?"), "{e}");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
    }

    #[tokio::test]
    async fn disabled_sends_nothing() {
        let server = TestHttpServer::start(vec![Reply::ok("tok")]).await;
        let env = AwsEnv::default()
            .with(ENDPOINT, server.url())
            .with(DISABLED, "TRUE");
        let imds = ImdsCredentials::new(&env, HttpClient::new());
        assert!(imds.is_disabled());
        let e = imds.load().await.unwrap_err();
        assert_eq!(
            e.to_string(),
            "AWS credentials from EC2 IMDS: disabled by AWS_EC2_METADATA_DISABLED=true"
        );
        assert!(imds.region().await.is_err());
        assert!(server.requests().is_empty());
        let not_disabled = AwsEnv::default().with(DISABLED, "false");
        assert!(!ImdsCredentials::new(&not_disabled, HttpClient::new()).is_disabled());
    }

    #[tokio::test]
    async fn bad_endpoint() {
        let e = imds_at("169.254.169.254").load().await.unwrap_err();
        assert!(
            e.to_string().contains("is not an http:// or https:// URL"),
            "{e}"
        );
    }
}
