//! What the STS and Secrets Manager clients share: the endpoint URL, the region requests are
//! signed for, the HTTP client, the per-request timeout and the clock, and one signed POST.

use std::time::Duration;

use super::{sign_request, AwsCredentials, AwsError, Clock, HttpClient, HttpRequest, HttpResponse};

/// The `User-Agent` of ottla's AWS service calls.
const USER_AGENT: &str = concat!("ottla/", env!("CARGO_PKG_VERSION"));

/// One AWS service endpoint.
#[derive(Clone, Debug)]
pub struct ServiceEndpoint {
    http: HttpClient,
    url: String,
    region: String,
    timeout: Duration,
    clock: Clock,
    /// The service's name in errors (`"STS"`).
    service: &'static str,
    /// The SigV4 signing name (`"sts"`).
    signing_name: &'static str,
}

impl ServiceEndpoint {
    pub(crate) fn new(
        url: String,
        region: &str,
        timeout: Duration,
        service: &'static str,
        signing_name: &'static str,
    ) -> Self {
        Self {
            http: HttpClient::new(),
            url,
            region: region.to_owned(),
            timeout,
            clock: Clock::system(),
            service,
            signing_name,
        }
    }

    /// This endpoint sending through `http` (a custom CA, say).
    pub fn with_http_client(mut self, http: HttpClient) -> Self {
        self.http = http;
        self
    }

    /// This endpoint allowing `timeout` per request.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// This endpoint taking the signing time from `clock`.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The URL requests go to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The region requests are signed for.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// POSTs `body` with `content_type` and `headers` (plus ottla's `User-Agent`), SigV4-signed
    /// when `credentials` are given, and returns the answer whatever its status.
    pub(crate) async fn post(
        &self,
        content_type: &str,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        credentials: Option<&AwsCredentials>,
    ) -> Result<HttpResponse, AwsError> {
        let mut all = vec![
            ("content-type".to_owned(), content_type.to_owned()),
            ("user-agent".to_owned(), USER_AGENT.to_owned()),
        ];
        all.extend(headers);
        let mut request = HttpRequest {
            method: http::Method::POST,
            url: self.url.clone(),
            headers: all,
            body,
        };
        if let Some(credentials) = credentials {
            sign_request(
                &mut request,
                credentials,
                self.signing_name,
                &self.region,
                self.clock.now(),
            )?;
        }
        self.http.send(self.service, request, self.timeout).await
    }

    /// The error for a non-2xx `response`: the service's error (`code`, `message`) when its
    /// document had one, else the HTTP status and the start of the body.
    pub(crate) fn error(
        &self,
        response: &HttpResponse,
        parsed: Option<(String, String)>,
    ) -> AwsError {
        match parsed {
            Some((code, message)) => AwsError::Service {
                service: self.service,
                code,
                message,
            },
            None => AwsError::HttpStatus {
                service: self.service,
                url: self.url.clone(),
                status: response.status,
                body: response.body_excerpt(200),
            },
        }
    }
}
