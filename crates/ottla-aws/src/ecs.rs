//! ECS (and EKS Pod Identity) container credentials: an HTTP endpoint the agent runs for the
//! task or pod.
//!
//! - `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` → `http://169.254.170.2<uri>` (ECS); it wins
//!   over `AWS_CONTAINER_CREDENTIALS_FULL_URI`, which is used as given but only over https, or
//!   over http to a loopback host (`127.0.0.0/8`, `::1`, `localhost`) or the ECS/EKS agent
//!   addresses `169.254.170.2`, `169.254.170.23` and `fd00:ec2::23`, as the AWS SDKs allow.
//!   Host names other than `localhost` are not resolved for this check.
//! - The `Authorization` header comes from the file `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`
//!   (read again on every fetch: EKS rotates it), else `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
//! - The answer is `{"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}`.
//! - Each attempt has 2 s; a failed connection, a timeout or a 5xx is retried once.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::time::Duration;

use super::credential_document::{
    credentials_from_document, json_object, optional_str, ECS_FIELDS,
};
use super::env::AwsEnv;
use super::error::AwsError;
use super::http::{HttpClient, HttpRequest, HttpResponse};
use crate::{AwsCredentials, BoxFuture, ProvideAwsCredentials};
use ottla_sasl::Secret;

const RELATIVE_URI: &str = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI";
const FULL_URI: &str = "AWS_CONTAINER_CREDENTIALS_FULL_URI";
const AUTH_TOKEN: &str = "AWS_CONTAINER_AUTHORIZATION_TOKEN";
const AUTH_TOKEN_FILE: &str = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE";

/// The ECS agent's address for relative URIs.
const ECS_ENDPOINT: &str = "http://169.254.170.2";
/// The service name in errors and the provider name of the credentials.
const SERVICE: &str = "ECS";

/// Where the `Authorization` header comes from.
#[derive(Clone)]
enum Authorization {
    Token(Secret),
    File(PathBuf),
}

impl fmt::Debug for Authorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Token(_) => f.write_str(AUTH_TOKEN),
            Self::File(path) => write!(f, "{AUTH_TOKEN_FILE}={}", path.display()),
        }
    }
}

/// Credentials from the ECS / EKS container credentials endpoint.
#[derive(Debug, Clone)]
pub struct EcsCredentials {
    url: String,
    authorization: Option<Authorization>,
    http: HttpClient,
    timeout: Duration,
}

impl EcsCredentials {
    /// The time allowed for each attempt.
    pub const TIMEOUT: Duration = Duration::from_secs(2);
    /// Attempts per fetch (one retry).
    const ATTEMPTS: usize = 2;

    /// The provider `env` configures: `Ok(None)` when neither URI variable is set; an error
    /// when `AWS_CONTAINER_CREDENTIALS_FULL_URI` is not an allowed URL or
    /// `AWS_CONTAINER_AUTHORIZATION_TOKEN` could not be a header value.
    pub fn from_env(env: &AwsEnv, http: HttpClient) -> Result<Option<Self>, AwsError> {
        let url = if let Some(relative) = env.get(RELATIVE_URI) {
            let relative = relative.trim();
            let slash = if relative.starts_with('/') { "" } else { "/" };
            let url = format!("{ECS_ENDPOINT}{slash}{relative}");
            if url.parse::<http::Uri>().is_err() {
                return Err(invalid(RELATIVE_URI, format!("`{url}` is not a valid URL")));
            }
            url
        } else if let Some(full) = env.get(FULL_URI) {
            let full = full.trim();
            check_full_uri(full).map_err(|why| invalid(FULL_URI, why))?;
            full.to_owned()
        } else {
            return Ok(None);
        };
        let authorization = match (env.get(AUTH_TOKEN_FILE), env.get(AUTH_TOKEN)) {
            (Some(file), _) => Some(Authorization::File(PathBuf::from(file.trim()))),
            (None, Some(token)) => {
                let token = header_value(token).map_err(|why| invalid(AUTH_TOKEN, why))?;
                Some(Authorization::Token(Secret::new(token)))
            }
            (None, None) => None,
        };
        Ok(Some(Self {
            url,
            authorization,
            http,
            timeout: Self::TIMEOUT,
        }))
    }

    /// The endpoint asked.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The `Authorization` header value for this fetch.
    fn authorization(&self) -> Result<Option<Secret>, AwsError> {
        match &self.authorization {
            None => Ok(None),
            Some(Authorization::Token(token)) => Ok(Some(token.clone())),
            Some(Authorization::File(path)) => {
                let text = std::fs::read_to_string(path).map_err(|e| AwsError::Provider {
                    provider: SERVICE,
                    why: format!("cannot read {AUTH_TOKEN_FILE} {}: {e}", path.display()),
                })?;
                let token = header_value(&text).map_err(|why| AwsError::Provider {
                    provider: SERVICE,
                    why: format!("{AUTH_TOKEN_FILE} {}: {why}", path.display()),
                })?;
                Ok(Some(Secret::new(token)))
            }
        }
    }

    /// Fetches credentials.
    pub async fn load(&self) -> Result<AwsCredentials, AwsError> {
        let mut request = HttpRequest::get(&self.url).header("Accept", "application/json");
        if let Some(token) = self.authorization()? {
            request = request.header("Authorization", token.expose());
        }
        let mut last_error = None;
        for _ in 0..Self::ATTEMPTS {
            match self.http.send(SERVICE, request.clone(), self.timeout).await {
                Ok(response) if response.is_success() => return parse_answer(&response),
                Ok(response) if response.status >= 500 => {
                    last_error = Some(status_error(&self.url, &response));
                }
                Ok(response) => return Err(status_error(&self.url, &response)),
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error.unwrap_or_else(|| AwsError::Provider {
            provider: SERVICE,
            why: "no attempt was made".into(),
        }))
    }
}

impl ProvideAwsCredentials for EcsCredentials {
    fn credentials(&self) -> BoxFuture<'_, Result<AwsCredentials, AwsError>> {
        Box::pin(self.load())
    }
}

fn invalid(variable: &str, why: String) -> AwsError {
    AwsError::Invalid {
        what: variable.to_owned(),
        why,
    }
}

/// Whether `uri` may be used: https anywhere, http only to loopback or the agents.
fn check_full_uri(uri: &str) -> Result<(), String> {
    let parsed: http::Uri = uri
        .parse()
        .map_err(|e| format!("`{uri}` is not a valid URL: {e}"))?;
    match parsed.scheme_str() {
        Some("https") => return Ok(()),
        Some("http") => {}
        _ => return Err(format!("`{uri}` is not an http or https URL")),
    }
    let host = parsed
        .host()
        .ok_or_else(|| format!("`{uri}` has no host"))?;
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let allowed = bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(is_allowed_http_address);
    if allowed {
        Ok(())
    } else {
        Err(format!(
            "plain http to `{host}` is not allowed: use https, or a loopback address \
             (127.0.0.0/8, ::1, localhost) or the ECS/EKS agent (169.254.170.2, \
             169.254.170.23, fd00:ec2::23)"
        ))
    }
}

fn is_allowed_http_address(ip: IpAddr) -> bool {
    const ECS: Ipv4Addr = Ipv4Addr::new(169, 254, 170, 2);
    const EKS: Ipv4Addr = Ipv4Addr::new(169, 254, 170, 23);
    const EKS_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x23);
    let ip = ip.to_canonical();
    ip.is_loopback() || ip == IpAddr::V4(ECS) || ip == IpAddr::V4(EKS) || ip == IpAddr::V6(EKS_V6)
}

/// A token as a header value: trimmed, no control characters (a newline would end the
/// header), not empty.
fn header_value(text: &str) -> Result<String, String> {
    let token = text.trim();
    if token.is_empty() {
        return Err("the authorization token is empty".into());
    }
    if token.chars().any(char::is_control) {
        return Err("the authorization token contains control characters (a line break?)".into());
    }
    Ok(token.to_owned())
}

fn status_error(url: &str, response: &HttpResponse) -> AwsError {
    // EKS Pod Identity errors are `{"code": "...", "message": "..."}`.
    if let Ok(doc) = json_object(&response.body) {
        let code = optional_str(&doc, "code").ok().flatten();
        let message = optional_str(&doc, "message").ok().flatten();
        if let (Some(code), Some(message)) = (code, message) {
            return AwsError::Service {
                service: SERVICE,
                code: code.to_owned(),
                message: format!("{message} (HTTP {})", response.status),
            };
        }
    }
    AwsError::HttpStatus {
        service: SERVICE,
        url: super::http::without_query(url).to_owned(),
        status: response.status,
        body: response.body_excerpt(200),
    }
}

pub(crate) fn parse_answer(response: &HttpResponse) -> Result<AwsCredentials, AwsError> {
    json_object(&response.body)
        .and_then(|doc| credentials_from_document(&doc, ECS_FIELDS, SERVICE))
        .map_err(|why| AwsError::BadResponse {
            service: SERVICE,
            why,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_dir::TestDir;
    use crate::test_http_server::{Reply, TestHttpServer};
    use std::time::{Instant, SystemTime};

    const ANSWER: &str = r#"{"AccessKeyId":"ASIAECS","SecretAccessKey":"ecssecret","Token":"ecstoken","Expiration":"2024-01-15T12:34:56Z","RoleArn":"arn:aws:iam::1:role/Task"}"#;

    fn env_full(url: &str) -> AwsEnv {
        AwsEnv::default().with(FULL_URI, url)
    }

    #[test]
    fn no_variables_no_provider() {
        assert!(
            EcsCredentials::from_env(&AwsEnv::default(), HttpClient::new())
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn relative_uri_goes_to_the_agent_and_wins() {
        let env = AwsEnv::default()
            .with(RELATIVE_URI, "/v2/credentials/abc")
            .with(FULL_URI, "http://127.0.0.1:9/x");
        let ecs = EcsCredentials::from_env(&env, HttpClient::new())
            .unwrap()
            .unwrap();
        assert_eq!(ecs.url(), "http://169.254.170.2/v2/credentials/abc");
        let env = AwsEnv::default().with(RELATIVE_URI, "v2/x");
        let ecs = EcsCredentials::from_env(&env, HttpClient::new())
            .unwrap()
            .unwrap();
        assert_eq!(ecs.url(), "http://169.254.170.2/v2/x");
    }

    #[test]
    fn full_uri_hosts() {
        for ok in [
            "https://creds.example.com/x",
            "http://127.0.0.1:8080/creds",
            "http://127.9.8.7/creds",
            "http://localhost/creds",
            "http://[::1]:80/creds",
            "http://169.254.170.2/creds",
            "http://169.254.170.23/v1/credentials",
            "http://[fd00:ec2::23]/v1/credentials",
        ] {
            assert!(
                EcsCredentials::from_env(&env_full(ok), HttpClient::new()).is_ok(),
                "{ok}"
            );
        }
        for bad in [
            "http://example.com/creds",
            "http://10.0.0.1/creds",
            "http://169.254.169.254/latest",
            "http://localhost.example.com/x",
            "ftp://127.0.0.1/x",
            "not a url",
        ] {
            let e = EcsCredentials::from_env(&env_full(bad), HttpClient::new()).unwrap_err();
            assert!(matches!(e, AwsError::Invalid { .. }), "{bad}: {e:?}");
            assert!(e.to_string().contains(FULL_URI), "{e}");
        }
        let e = EcsCredentials::from_env(&env_full("http://10.0.0.1/creds"), HttpClient::new())
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("plain http to `10.0.0.1` is not allowed"),
            "{e}"
        );
    }

    #[tokio::test]
    async fn fetches_with_the_token_from_the_environment() {
        let server = TestHttpServer::start(vec![Reply::ok(ANSWER)]).await;
        let env = env_full(&format!("{}/creds?id=1", server.url())).with(AUTH_TOKEN, "Basic abc==");
        let ecs = EcsCredentials::from_env(&env, HttpClient::new())
            .unwrap()
            .unwrap();
        let c = ecs.credentials().await.unwrap();
        assert_eq!(c.access_key_id(), "ASIAECS");
        assert_eq!(c.secret_access_key().expose(), "ecssecret");
        assert_eq!(c.session_token().map(Secret::expose), Some("ecstoken"));
        assert_eq!(
            c.expires_at(),
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_705_322_096))
        );
        let seen = server.requests();
        assert_eq!(seen.len(), 1);
        assert_eq!(
            (seen[0].method.as_str(), seen[0].path.as_str()),
            ("GET", "/creds?id=1")
        );
        assert_eq!(seen[0].header("authorization"), Some("Basic abc=="));
        assert!(!format!("{ecs:?}").contains("abc=="));
    }

    #[tokio::test]
    async fn token_file_is_read_on_every_fetch_and_wins() {
        let dir = TestDir::new("ecs-token");
        let file = dir.write("token", "first-token\n");
        let server = TestHttpServer::start(vec![Reply::ok(ANSWER), Reply::ok(ANSWER)]).await;
        let env = env_full(&format!("{}/v1/credentials", server.url()))
            .with(AUTH_TOKEN_FILE, file.to_string_lossy())
            .with(AUTH_TOKEN, "ignored");
        let ecs = EcsCredentials::from_env(&env, HttpClient::new())
            .unwrap()
            .unwrap();
        ecs.load().await.unwrap();
        dir.write("token", "second-token");
        ecs.load().await.unwrap();
        let seen = server.requests();
        assert_eq!(seen[0].header("authorization"), Some("first-token"));
        assert_eq!(seen[1].header("authorization"), Some("second-token"));

        dir.write("token", "line\nbreak");
        let e = ecs.load().await.unwrap_err();
        assert!(e.to_string().contains("control characters"), "{e}");
        std::fs::remove_file(&file).unwrap();
        let e = ecs.load().await.unwrap_err();
        assert!(
            e.to_string()
                .contains("cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"),
            "{e}"
        );
    }

    #[tokio::test]
    async fn retries_once_after_a_server_error() {
        let server =
            TestHttpServer::start(vec![Reply::status(503, "busy"), Reply::ok(ANSWER)]).await;
        let env = env_full(&format!("{}/c", server.url()));
        let ecs = EcsCredentials::from_env(&env, HttpClient::new())
            .unwrap()
            .unwrap();
        assert_eq!(ecs.load().await.unwrap().access_key_id(), "ASIAECS");
        assert_eq!(server.requests().len(), 2);

        let server =
            TestHttpServer::start(vec![Reply::status(500, "a"), Reply::status(502, "b")]).await;
        let env = env_full(&format!("{}/c", server.url()));
        let ecs = EcsCredentials::from_env(&env, HttpClient::new())
            .unwrap()
            .unwrap();
        let e = ecs.load().await.unwrap_err();
        assert!(
            matches!(e, AwsError::HttpStatus { status: 502, .. }),
            "{e:?}"
        );
        assert_eq!(server.requests().len(), 2);
    }

    #[tokio::test]
    async fn client_errors_are_not_retried_and_are_explained() {
        let server = TestHttpServer::start(vec![Reply::status(
            400,
            r#"{"code":"InvalidTokenException","message":"token expired"}"#,
        )])
        .await;
        let env = env_full(&format!("{}/c", server.url())).with(AUTH_TOKEN, "t");
        let ecs = EcsCredentials::from_env(&env, HttpClient::new())
            .unwrap()
            .unwrap();
        let e = ecs.load().await.unwrap_err();
        assert_eq!(
            e.to_string(),
            "ECS: InvalidTokenException: token expired (HTTP 400)"
        );
        assert_eq!(server.requests().len(), 1);
    }

    #[tokio::test]
    async fn bad_answers() {
        let server = TestHttpServer::start(vec![
            Reply::ok("<html>"),
            Reply::ok(r#"{"AccessKeyId":"A","SecretAccessKey":"S","Token":"T"}"#),
        ])
        .await;
        let env = env_full(&format!("{}/c", server.url()));
        let ecs = EcsCredentials::from_env(&env, HttpClient::new())
            .unwrap()
            .unwrap();
        let e = ecs.load().await.unwrap_err();
        assert!(
            e.to_string()
                .starts_with("ECS: unexpected response: not valid JSON"),
            "{e}"
        );
        let e = ecs.load().await.unwrap_err();
        assert_eq!(
            e.to_string(),
            "ECS: unexpected response: `Expiration` is missing"
        );
    }

    #[tokio::test]
    async fn silent_endpoint_times_out_twice() {
        let server = TestHttpServer::start(vec![Reply::Silent, Reply::Silent]).await;
        let env = env_full(&format!("{}/c", server.url()));
        let mut ecs = EcsCredentials::from_env(&env, HttpClient::new())
            .unwrap()
            .unwrap();
        ecs.timeout = Duration::from_millis(200);
        let started = Instant::now();
        let e = ecs.load().await.unwrap_err();
        assert!(matches!(e, AwsError::Timeout { .. }), "{e:?}");
        assert_eq!(server.requests().len(), 2);
        // A bound on the two timeouts, not a performance claim.
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
    }
}
