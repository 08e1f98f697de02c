//! Secrets Manager GetSecretValue (JSON 1.1 protocol, SigV4 service `secretsmanager`), and
//! the SCRAM user name and password in an MSK secret (`AmazonMSK_*`, a SecretString of
//! `{"username": "…", "password": "…"}`).
//!
//! No message ever quotes a secret's text.

use std::fmt;
use std::time::Duration;

use serde_json::Value;

use super::endpoints::{secrets_manager_endpoint, validate_region};
use super::env::AwsEnv;
use super::error::AwsError;
use super::http::HttpResponse;
use super::service_endpoint::ServiceEndpoint;
use crate::AwsCredentials;
use ottla_sasl::Secret;

/// The service name in errors.
const SERVICE: &str = "Secrets Manager";

/// How long one Secrets Manager request may take unless told otherwise.
pub const DEFAULT_SECRETS_MANAGER_TIMEOUT: Duration = Duration::from_secs(10);

/// A Secrets Manager client for one region's endpoint.
#[derive(Clone, Debug)]
pub struct SecretsManagerClient {
    endpoint: ServiceEndpoint,
}

impl SecretsManagerClient {
    /// A client for `region`, at the endpoint `env` names
    /// (`AWS_ENDPOINT_URL_SECRETS_MANAGER`, `AWS_ENDPOINT_URL`) or else the regional
    /// `https://secretsmanager.<region>.amazonaws.com`.
    pub fn new(env: &AwsEnv, region: &str) -> Result<Self, AwsError> {
        validate_region(region)?;
        Ok(Self {
            endpoint: ServiceEndpoint::new(
                secrets_manager_endpoint(env, region)?,
                region,
                DEFAULT_SECRETS_MANAGER_TIMEOUT,
                SERVICE,
                "secretsmanager",
            ),
        })
    }

    /// This client with its endpoint changed by `f` (HTTP client, timeout, clock).
    pub fn configure(mut self, f: impl FnOnce(ServiceEndpoint) -> ServiceEndpoint) -> Self {
        self.endpoint = f(self.endpoint);
        self
    }

    /// Where requests go and the region they are signed for.
    pub fn endpoint(&self) -> &ServiceEndpoint {
        &self.endpoint
    }

    /// Sends one JSON 1.1 call: `X-Amz-Target: secretsmanager.<operation>`, `body` signed
    /// with `credentials`. Returns the parsed JSON of a 2xx answer; an error answer becomes
    /// [`AwsError::Service`] (its `__type` and `message`) or [`AwsError::HttpStatus`].
    pub async fn call(
        &self,
        credentials: &AwsCredentials,
        operation: &str,
        body: &Value,
    ) -> Result<Value, AwsError> {
        let response = self
            .endpoint
            .post(
                "application/x-amz-json-1.1",
                vec![("x-amz-target".into(), format!("secretsmanager.{operation}"))],
                body.to_string().into_bytes(),
                Some(credentials),
            )
            .await?;
        if !response.is_success() {
            return Err(self.error(&response));
        }
        serde_json::from_slice(&response.body).map_err(|e| AwsError::BadResponse {
            service: SERVICE,
            why: format!(
                "{operation}: the answer is not JSON (line {}, column {})",
                e.line(),
                e.column()
            ),
        })
    }

    /// GetSecretValue of `secret_id` (a name or an ARN), current version.
    pub async fn get_secret_value(
        &self,
        credentials: &AwsCredentials,
        secret_id: &str,
    ) -> Result<SecretValue, AwsError> {
        if secret_id.is_empty() {
            return Err(AwsError::Invalid {
                what: "secret id".into(),
                why: "it is empty".into(),
            });
        }
        let answer = self
            .call(
                credentials,
                "GetSecretValue",
                &serde_json::json!({ "SecretId": secret_id }),
            )
            .await?;
        SecretValue::from_json(&answer)
    }

    /// The SCRAM user name and password in secret `secret_id` (MSK's `AmazonMSK_*` secrets).
    pub async fn get_scram_secret(
        &self,
        credentials: &AwsCredentials,
        secret_id: &str,
    ) -> Result<ScramSecret, AwsError> {
        let value = self.get_secret_value(credentials, secret_id).await?;
        let name = value.name().unwrap_or(secret_id).to_owned();
        let text = value.secret_string().ok_or_else(|| AwsError::Invalid {
            what: format!("SCRAM secret `{name}`"),
            why: "it holds binary data, not a SecretString with a username and password".into(),
        })?;
        ScramSecret::parse(text.expose()).map_err(|why| AwsError::Invalid {
            what: format!("SCRAM secret `{name}`"),
            why,
        })
    }

    fn error(&self, response: &HttpResponse) -> AwsError {
        let json: Option<Value> = serde_json::from_slice(&response.body).ok();
        let field = |names: &[&str]| {
            json.as_ref().and_then(|j| {
                names
                    .iter()
                    .find_map(|n| j.get(*n).and_then(Value::as_str).map(str::to_owned))
            })
        };
        let code = field(&["__type", "code", "Code"])
            .or_else(|| response.header("x-amzn-errortype").map(str::to_owned))
            .map(|c| error_code(&c).to_owned())
            .filter(|c| !c.is_empty());
        let message = field(&["message", "Message"]).unwrap_or_default();
        self.endpoint
            .error(response, code.map(|code| (code, message)))
    }
}

/// The bare code of `com.amazonaws.secretsmanager#ResourceNotFoundException` or of the
/// header form `ResourceNotFoundException:http://internal.amazon.com/…`.
fn error_code(raw: &str) -> &str {
    let after_hash = raw.rsplit_once('#').map_or(raw, |(_, c)| c);
    after_hash.split(':').next().unwrap_or(after_hash).trim()
}

/// The current version of a secret. `Debug` hides the secret text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretValue {
    arn: Option<String>,
    name: Option<String>,
    version_id: Option<String>,
    secret_string: Option<Secret>,
}

impl SecretValue {
    pub(crate) fn from_json(answer: &Value) -> Result<Self, AwsError> {
        let text = |key: &str| answer.get(key).and_then(Value::as_str).map(str::to_owned);
        let secret_string = match answer.get("SecretString") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(Secret::new(s.as_str())),
            Some(_) => {
                return Err(AwsError::BadResponse {
                    service: SERVICE,
                    why: "GetSecretValue: SecretString is not a string".into(),
                })
            }
        };
        if secret_string.is_none() && answer.get("SecretBinary").is_none() {
            return Err(AwsError::BadResponse {
                service: SERVICE,
                why: "GetSecretValue: the answer has neither SecretString nor SecretBinary".into(),
            });
        }
        Ok(Self {
            arn: text("ARN"),
            name: text("Name"),
            version_id: text("VersionId"),
            secret_string,
        })
    }

    /// The secret's ARN.
    pub fn arn(&self) -> Option<&str> {
        self.arn.as_deref()
    }

    /// The secret's name.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The version returned.
    pub fn version_id(&self) -> Option<&str> {
        self.version_id.as_deref()
    }

    /// The secret text; `None` for a binary secret.
    pub fn secret_string(&self) -> Option<&Secret> {
        self.secret_string.as_ref()
    }
}

/// A SCRAM user name and password, as MSK keeps them in Secrets Manager. `Debug` shows the
/// user name only.
#[derive(Clone, PartialEq, Eq)]
pub struct ScramSecret {
    /// The SCRAM user name.
    pub username: String,
    /// The password.
    pub password: Secret,
}

impl fmt::Debug for ScramSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScramSecret")
            .field("username", &self.username)
            .field("password", &self.password)
            .finish()
    }
}

impl ScramSecret {
    /// Reads `{"username": "…", "password": "…"}` (other fields are ignored). The error says
    /// what is missing and never quotes the text.
    pub fn from_secret_string(text: &Secret) -> Result<Self, AwsError> {
        Self::parse(text.expose()).map_err(|why| AwsError::Invalid {
            what: "SCRAM secret".into(),
            why,
        })
    }

    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        const SHAPE: &str = r#"MSK SCRAM secrets hold {"username": "…", "password": "…"}"#;
        let json: Value = serde_json::from_str(text).map_err(|e| {
            format!(
                "its SecretString is not JSON (line {}, column {}); {SHAPE}",
                e.line(),
                e.column()
            )
        })?;
        let Value::Object(map) = json else {
            return Err(format!("its SecretString is not a JSON object; {SHAPE}"));
        };
        let field = |name: &str| match map.get(name) {
            Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
            Some(Value::String(_)) => Err(format!("its `{name}` is empty")),
            Some(_) => Err(format!("its `{name}` is not a string; {SHAPE}")),
            None => Err(format!("it has no `{name}` field; {SHAPE}")),
        };
        Ok(Self {
            username: field("username")?,
            password: Secret::new(field("password")?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sts::loopback;
    use crate::Clock;
    use std::time::SystemTime;

    #[test]
    fn scram_secret_json() {
        let s = ScramSecret::from_secret_string(&Secret::new(
            r#"{"username":"alice","password":"p@ss\"w0rd","note":1}"#,
        ))
        .unwrap();
        assert_eq!(s.username, "alice");
        assert_eq!(s.password.expose(), "p@ss\"w0rd");
        let d = format!("{s:?}");
        assert!(d.contains("alice") && !d.contains("p@ss"), "{d}");
        for (text, expect) in [
            (r#"{"username":"alice"}"#, "no `password` field"),
            (r#"{"password":"hunter2"}"#, "no `username` field"),
            (
                r#"{"username":"alice","password":""}"#,
                "`password` is empty",
            ),
            (
                r#"{"username":"alice","password":12345678}"#,
                "`password` is not a string",
            ),
            (r#"["hunter2"]"#, "not a JSON object"),
            ("hunter2", "not JSON"),
            (r#"{"username":"alice","password":"hunter2""#, "not JSON"),
        ] {
            let err = ScramSecret::from_secret_string(&Secret::new(text)).unwrap_err();
            let msg = err.to_string();
            assert!(msg.contains(expect), "{text}: {msg}");
            assert!(
                !msg.contains("hunter2") && !msg.contains("12345678"),
                "{msg}"
            );
        }
    }

    #[test]
    fn secret_value_json() {
        let v = SecretValue::from_json(&serde_json::json!({
            "ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:AmazonMSK_a-AbCdEf",
            "Name": "AmazonMSK_a", "VersionId": "v1", "SecretString": "{}"
        }))
        .unwrap();
        assert_eq!(v.name(), Some("AmazonMSK_a"));
        assert_eq!(v.version_id(), Some("v1"));
        assert!(v.arn().unwrap().ends_with("AmazonMSK_a-AbCdEf"));
        assert_eq!(v.secret_string().map(Secret::expose), Some("{}"));
        assert!(!format!("{v:?}").contains("{}"));
        let binary =
            SecretValue::from_json(&serde_json::json!({"Name": "b", "SecretBinary": "AAEC"}))
                .unwrap();
        assert_eq!(binary.secret_string(), None);
        assert!(SecretValue::from_json(&serde_json::json!({"Name": "x"})).is_err());
        assert!(SecretValue::from_json(&serde_json::json!({"SecretString": 5})).is_err());
    }

    #[test]
    fn error_codes() {
        assert_eq!(
            error_code("ResourceNotFoundException"),
            "ResourceNotFoundException"
        );
        assert_eq!(
            error_code("com.amazonaws.secretsmanager#AccessDeniedException"),
            "AccessDeniedException"
        );
        assert_eq!(
            error_code("ResourceNotFoundException:http://internal.amazon.com/coral/"),
            "ResourceNotFoundException"
        );
    }

    fn client(base: &str) -> SecretsManagerClient {
        SecretsManagerClient::new(
            &AwsEnv::from_vars([("AWS_ENDPOINT_URL_SECRETS_MANAGER", base)]),
            "eu-west-1",
        )
        .unwrap()
        .configure(|e| {
            e.with_clock(Clock::fixed(
                SystemTime::UNIX_EPOCH + Duration::from_secs(1_705_322_096),
            ))
        })
    }

    fn creds() -> AwsCredentials {
        AwsCredentials::new(
            "AKIDEXAMPLE",
            Secret::new("secret"),
            Some(Secret::new("tok")),
            None,
            "test",
        )
    }

    #[tokio::test]
    async fn get_scram_secret_over_http() {
        let (base, server) = loopback::serve(vec![(
            "200 OK",
            "application/x-amz-json-1.1",
            r#"{"ARN":"arn:aws:secretsmanager:eu-west-1:123456789012:secret:AmazonMSK_x-AbCdEf","Name":"AmazonMSK_x","SecretString":"{\"username\":\"bob\",\"password\":\"pw\"}"}"#.to_owned(),
        )])
        .await;
        let s = client(&base)
            .get_scram_secret(&creds(), "AmazonMSK_x")
            .await
            .unwrap();
        assert_eq!((s.username.as_str(), s.password.expose()), ("bob", "pw"));
        let seen = server.await.unwrap().remove(0);
        let lower = seen.to_ascii_lowercase();
        assert!(seen.starts_with("POST / HTTP/1.1\r\n"), "{seen}");
        assert!(
            lower.contains("x-amz-target: secretsmanager.getsecretvalue\r\n"),
            "{seen}"
        );
        assert!(
            lower.contains("content-type: application/x-amz-json-1.1\r\n"),
            "{seen}"
        );
        assert!(lower.contains("x-amz-security-token: tok\r\n"), "{seen}");
        assert!(
            lower.contains("credential=akidexample/20240115/eu-west-1/secretsmanager/aws4_request, signedheaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, signature="),
            "{seen}"
        );
        assert!(seen.ends_with(r#"{"SecretId":"AmazonMSK_x"}"#), "{seen}");
    }

    #[tokio::test]
    async fn error_answers() {
        let (base, _server) = loopback::serve(vec![
            (
                "400 Bad Request",
                "application/x-amz-json-1.1",
                r#"{"__type":"com.amazonaws.secretsmanager#ResourceNotFoundException","message":"Secrets Manager can't find the specified secret."}"#.to_owned(),
            ),
            ("502 Bad Gateway", "text/html", "<html>proxy</html>".to_owned()),
            ("200 OK", "application/json", "not json".to_owned()),
        ])
        .await;
        let sm = client(&base);
        let err = sm
            .get_secret_value(&creds(), "AmazonMSK_missing")
            .await
            .unwrap_err();
        assert_eq!(
            err,
            AwsError::Service {
                service: "Secrets Manager",
                code: "ResourceNotFoundException".into(),
                message: "Secrets Manager can't find the specified secret.".into(),
            }
        );
        let err = sm.get_secret_value(&creds(), "x").await.unwrap_err();
        assert!(
            matches!(err, AwsError::HttpStatus { status: 502, .. }),
            "{err}"
        );
        let err = sm.get_secret_value(&creds(), "x").await.unwrap_err();
        assert!(matches!(err, AwsError::BadResponse { .. }), "{err}");
        assert!(sm.get_secret_value(&creds(), "").await.is_err());
    }
}
