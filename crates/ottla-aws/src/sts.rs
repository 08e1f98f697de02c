//! A client for the three STS calls ottla makes: AssumeRole (SigV4-signed), AssumeRoleWithWebIdentity
//! (unsigned: the web identity token is the proof) and GetCallerIdentity (to show who a set of
//! credentials is). Query API: `POST /` with a form body, XML answers.

#[cfg(test)]
pub(crate) mod loopback;
mod request;
pub(crate) mod response;
mod role_arn;

use std::time::Duration;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

pub use request::{
    validate_session_name, AssumeRoleRequest, AssumeRoleWithWebIdentityRequest,
    MAX_SESSION_DURATION, MIN_SESSION_DURATION,
};
pub use response::{AssumedRole, CallerIdentity};
pub use role_arn::RoleArn;

use super::endpoints::{sts_endpoint, validate_region};
use super::env::AwsEnv;
use super::error::AwsError;
use super::http::HttpResponse;
use super::service_endpoint::ServiceEndpoint;
use crate::AwsCredentials;

/// The service name in errors.
const SERVICE: &str = "STS";

/// The STS API version of the Query API.
const API_VERSION: &str = "2011-06-15";

/// Form values escape everything but RFC 3986's unreserved characters.
const FORM_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// How long one STS request may take unless told otherwise.
pub const DEFAULT_STS_TIMEOUT: Duration = Duration::from_secs(10);

/// An STS client for one region's endpoint.
#[derive(Clone, Debug)]
pub struct StsClient {
    endpoint: ServiceEndpoint,
}

impl StsClient {
    /// A client for `region`, at the endpoint `env` names (`AWS_ENDPOINT_URL_STS`,
    /// `AWS_ENDPOINT_URL`) or else the regional `https://sts.<region>.amazonaws.com`.
    /// Requests are signed for `region`.
    pub fn new(env: &AwsEnv, region: &str) -> Result<Self, AwsError> {
        validate_region(region)?;
        Ok(Self {
            endpoint: ServiceEndpoint::new(
                sts_endpoint(env, region)?,
                region,
                DEFAULT_STS_TIMEOUT,
                SERVICE,
                "sts",
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

    /// AssumeRole with `source` credentials. The credentials that come back are labelled
    /// `sts:AssumeRole`.
    pub async fn assume_role(
        &self,
        source: &AwsCredentials,
        request: &AssumeRoleRequest,
    ) -> Result<AssumedRole, AwsError> {
        let response = self
            .call("AssumeRole", &request.form_params(), Some(source))
            .await?;
        response::parse_assumed_role(&response.body, "AssumeRole", "sts:AssumeRole")
    }

    /// AssumeRoleWithWebIdentity (not signed). The credentials that come back are labelled
    /// `sts:AssumeRoleWithWebIdentity`.
    pub async fn assume_role_with_web_identity(
        &self,
        request: &AssumeRoleWithWebIdentityRequest,
    ) -> Result<AssumedRole, AwsError> {
        let response = self
            .call("AssumeRoleWithWebIdentity", &request.form_params(), None)
            .await?;
        response::parse_assumed_role(
            &response.body,
            "AssumeRoleWithWebIdentity",
            "sts:AssumeRoleWithWebIdentity",
        )
    }

    /// GetCallerIdentity: who `credentials` are (an assumed role's ARN ends with the session
    /// name).
    pub async fn get_caller_identity(
        &self,
        credentials: &AwsCredentials,
    ) -> Result<CallerIdentity, AwsError> {
        let response = self
            .call("GetCallerIdentity", &[], Some(credentials))
            .await?;
        response::parse_caller_identity(&response.body)
    }

    /// POSTs `Action=<action>&Version=2011-06-15&<params>`, signed when `credentials` are
    /// given; a non-2xx answer becomes [`AwsError::Service`] (STS's error document) or
    /// [`AwsError::HttpStatus`].
    async fn call(
        &self,
        action: &str,
        params: &[(&'static str, String)],
        credentials: Option<&AwsCredentials>,
    ) -> Result<HttpResponse, AwsError> {
        let response = self
            .endpoint
            .post(
                "application/x-www-form-urlencoded; charset=utf-8",
                Vec::new(),
                form_body(action, params).into_bytes(),
                credentials,
            )
            .await?;
        if response.is_success() {
            return Ok(response);
        }
        Err(self
            .endpoint
            .error(&response, response::parse_error(&response.body)))
    }
}

/// `Action=…&Version=…&k=v…`, form-encoded.
fn form_body(action: &str, params: &[(&'static str, String)]) -> String {
    let mut body = format!("Action={action}&Version={API_VERSION}");
    for (name, value) in params {
        body.push('&');
        body.push_str(name);
        body.push('=');
        body.extend(utf8_percent_encode(value, FORM_VALUE));
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Clock;
    use ottla_sasl::Secret;
    use std::time::SystemTime;

    #[test]
    fn form_encoding() {
        let body = form_body(
            "AssumeRole",
            &[
                ("RoleArn", "arn:aws:iam::123456789012:role/a/b".into()),
                ("RoleSessionName", "x+y=z,@.-_~".into()),
            ],
        );
        assert_eq!(
            body,
            "Action=AssumeRole&Version=2011-06-15\
             &RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fa%2Fb\
             &RoleSessionName=x%2By%3Dz%2C%40.-_~"
        );
    }

    async fn serve_once(
        status: &'static str,
        body: &'static str,
    ) -> (String, tokio::task::JoinHandle<String>) {
        let (base, task) = loopback::serve(vec![(status, "text/xml", body.to_owned())]).await;
        let one = tokio::spawn(async move { task.await.unwrap().remove(0) });
        (base, one)
    }

    fn client(base: &str) -> StsClient {
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_705_322_096);
        StsClient::new(
            &AwsEnv::from_vars([("AWS_ENDPOINT_URL_STS", base)]),
            "eu-west-1",
        )
        .unwrap()
        .configure(|e| e.with_clock(Clock::fixed(at)))
    }

    fn creds() -> AwsCredentials {
        AwsCredentials::new("AKIDEXAMPLE", Secret::new("secret"), None, None, "test")
    }

    #[tokio::test]
    async fn assume_role_is_signed_form_post() {
        let (base, server) = serve_once(
            "200 OK",
            "<AssumeRoleResponse><AssumeRoleResult><AssumedRoleUser>\
             <Arn>arn:aws:sts::123456789012:assumed-role/r/ottla-session</Arn></AssumedRoleUser>\
             <Credentials><AccessKeyId>ASIA1</AccessKeyId><SecretAccessKey>sk</SecretAccessKey>\
             <SessionToken>tok</SessionToken><Expiration>2024-01-15T13:34:56Z</Expiration>\
             </Credentials></AssumeRoleResult></AssumeRoleResponse>",
        )
        .await;
        let sts = client(&base);
        let req = AssumeRoleRequest::new(
            RoleArn::parse("arn:aws:iam::123456789012:role/r").unwrap(),
            "ottla-session",
        )
        .unwrap()
        .with_external_id("ext-1")
        .unwrap();
        let role = sts.assume_role(&creds(), &req).await.unwrap();
        assert_eq!(role.credentials().access_key_id(), "ASIA1");
        assert_eq!(role.credentials().source(), "sts:AssumeRole");
        assert_eq!(
            role.arn(),
            Some("arn:aws:sts::123456789012:assumed-role/r/ottla-session")
        );
        let seen = server.await.unwrap();
        let lower = seen.to_ascii_lowercase();
        assert!(seen.starts_with("POST / HTTP/1.1\r\n"), "{seen}");
        assert!(
            lower.contains("authorization: aws4-hmac-sha256 credential=akidexample/20240115/eu-west-1/sts/aws4_request, signedheaders=content-type;host;x-amz-date, signature="),
            "{seen}"
        );
        assert!(lower.contains("x-amz-date: 20240115t123456z\r\n"), "{seen}");
        assert!(seen.ends_with(
            "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fr&RoleSessionName=ottla-session&ExternalId=ext-1"
        ), "{seen}");
    }

    #[tokio::test]
    async fn web_identity_is_unsigned() {
        let (base, server) = serve_once(
            "200 OK",
            "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>\
             <AccessKeyId>ASIA2</AccessKeyId><SecretAccessKey>sk</SecretAccessKey>\
             <SessionToken>tok</SessionToken><Expiration>2024-01-15T13:34:56Z</Expiration>\
             </Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>",
        )
        .await;
        let req = AssumeRoleWithWebIdentityRequest::new(
            RoleArn::parse("arn:aws:iam::123456789012:role/r").unwrap(),
            "s1",
            Secret::new("eyJhbGciOi.x.y"),
        )
        .unwrap();
        let role = client(&base)
            .assume_role_with_web_identity(&req)
            .await
            .unwrap();
        assert_eq!(role.credentials().access_key_id(), "ASIA2");
        let seen = server.await.unwrap();
        assert!(
            !seen.to_ascii_lowercase().contains("authorization:"),
            "{seen}"
        );
        assert!(seen.ends_with("&WebIdentityToken=eyJhbGciOi.x.y"), "{seen}");
    }

    #[tokio::test]
    async fn error_document_becomes_service_error() {
        let (base, _server) = serve_once(
            "403 Forbidden",
            "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>\
             <Message>not authorized to perform: sts:AssumeRole</Message></Error></ErrorResponse>",
        )
        .await;
        let err = client(&base)
            .get_caller_identity(&creds())
            .await
            .unwrap_err();
        assert_eq!(
            err,
            AwsError::Service {
                service: "STS",
                code: "AccessDenied".into(),
                message: "not authorized to perform: sts:AssumeRole".into()
            }
        );
        let (base, _server) = serve_once("503 Service Unavailable", "<html>busy</html>").await;
        let err = client(&base)
            .get_caller_identity(&creds())
            .await
            .unwrap_err();
        assert!(
            matches!(&err, AwsError::HttpStatus { status: 503, body, .. } if body.contains("busy")),
            "{err}"
        );
    }

    #[tokio::test]
    async fn malformed_success_is_bad_response() {
        let (base, _server) = serve_once("200 OK", "<GetCallerIdentityResponse>").await;
        let err = client(&base)
            .get_caller_identity(&creds())
            .await
            .unwrap_err();
        assert!(
            matches!(err, AwsError::BadResponse { service: "STS", .. }),
            "{err}"
        );
    }

    #[test]
    fn regional_endpoint_by_default() {
        let sts = StsClient::new(&AwsEnv::default(), "cn-north-1").unwrap();
        assert_eq!(
            sts.endpoint().url(),
            "https://sts.cn-north-1.amazonaws.com.cn/"
        );
        assert_eq!(sts.endpoint().region(), "cn-north-1");
        assert!(StsClient::new(&AwsEnv::default(), "").is_err());
    }
}
