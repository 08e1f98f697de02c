//! A small HTTP/1.1 client for AWS endpoints (STS, Secrets Manager, EC2 IMDS, ECS), on hyper
//! over ottla-tls: the same tokio + rustls stack (and crypto provider) as the Kafka
//! connections, so no dependency brings C crypto back. One connection per request: these
//! calls are rare (credential refreshes, a secret per client).

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::TokioIo;

use super::error::AwsError;

/// The largest response body read (AWS answers here are a few KiB).
const MAX_BODY: usize = 1 << 20;

/// One request.
#[derive(Clone)]
pub struct HttpRequest {
    /// `GET`, `PUT`, `POST`.
    pub method: http::Method,
    /// `http://…` or `https://…`, with path and query.
    pub url: String,
    /// Extra headers (`Host` is added from the URL).
    pub headers: Vec<(String, String)>,
    /// The body (empty for `GET`).
    pub body: Vec<u8>,
}

impl HttpRequest {
    /// A `GET` of `url`.
    pub fn get(url: impl Into<String>) -> Self {
        Self {
            method: http::Method::GET,
            url: url.into(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// This request with one more header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

impl fmt::Debug for HttpRequest {
    /// Method and URL without its query (presigned URLs carry tokens); header names only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &without_query(&self.url))
            .field(
                "headers",
                &self.headers.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// One response.
#[derive(Clone)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// Header names (lowercase) and values.
    pub headers: Vec<(String, String)>,
    /// The body (at most 1 MiB).
    pub body: Bytes,
}

impl HttpResponse {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as text (lossy), cut to `max` characters, for error messages.
    pub fn body_excerpt(&self, max: usize) -> String {
        let text = String::from_utf8_lossy(&self.body);
        let mut out: String = text.chars().take(max).collect();
        if text.chars().count() > max {
            out.push('…');
        }
        out
    }
}

impl fmt::Debug for HttpResponse {
    /// Status and header names; never the body (it may hold credentials).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field(
                "headers",
                &self.headers.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// Sends [`HttpRequest`]s. Cloning is cheap; clones share the TLS settings.
#[derive(Clone, Default)]
pub struct HttpClient {
    tls: Arc<OnceLock<Result<ottla_tls::TlsConnector, String>>>,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient").finish_non_exhaustive()
    }
}

impl HttpClient {
    /// A client that trusts the system's root certificates for `https://` URLs.
    pub fn new() -> Self {
        Self::default()
    }

    /// A client that uses `tls` for `https://` URLs (a custom CA, say).
    pub fn with_tls(tls: ottla_tls::TlsConnector) -> Self {
        let cell = OnceLock::new();
        let _ = cell.set(Ok(tls));
        Self {
            tls: Arc::new(cell),
        }
    }

    fn tls(&self, service: &'static str, url: &str) -> Result<ottla_tls::TlsConnector, AwsError> {
        self.tls
            .get_or_init(|| {
                ottla_tls::TlsOptions::new()
                    .build()
                    .map_err(|e| e.to_string())
            })
            .clone()
            .map_err(|why| AwsError::Http {
                service,
                url: without_query(url).to_owned(),
                why: format!("TLS setup: {why}"),
            })
    }

    /// Sends `request` and reads the whole response, all within `timeout`. `service` names
    /// the endpoint in errors.
    pub async fn send(
        &self,
        service: &'static str,
        request: HttpRequest,
        timeout: Duration,
    ) -> Result<HttpResponse, AwsError> {
        let url = without_query(&request.url).to_owned();
        match tokio::time::timeout(timeout, self.send_inner(service, request)).await {
            Ok(result) => result,
            Err(_) => Err(AwsError::Timeout {
                service,
                url,
                timeout,
            }),
        }
    }

    async fn send_inner(
        &self,
        service: &'static str,
        request: HttpRequest,
    ) -> Result<HttpResponse, AwsError> {
        let plain_url = without_query(&request.url).to_owned();
        let fail = |why: String| AwsError::Http {
            service,
            url: plain_url.clone(),
            why,
        };
        let uri: http::Uri = request
            .url
            .parse()
            .map_err(|e| fail(format!("invalid URL: {e}")))?;
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            other => return Err(fail(format!("unsupported URL scheme {other:?}"))),
        };
        let host = uri
            .host()
            .ok_or_else(|| fail("the URL has no host".into()))?
            .to_owned();
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        let host_header = match uri.port_u16() {
            Some(p) => format!("{host}:{p}"),
            None => host.clone(),
        };
        // An IPv6 literal comes bracketed in the URL; the resolver wants it bare.
        let connect_host = host.trim_start_matches('[').trim_end_matches(']');
        let options = ottla_tls::ConnectOptions {
            setup_timeout: Duration::from_secs(30),
            tls: if https {
                Some(self.tls(service, &request.url)?)
            } else {
                None
            },
        };
        let transport = ottla_tls::connect(connect_host, port, &options)
            .await
            .map_err(|e| fail(e.to_string()))?;
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(transport))
                .await
                .map_err(|e| fail(e.to_string()))?;
        let driver = tokio::spawn(async move {
            // Ends when the response is read and the sender dropped; its error, if any,
            // also surfaces through `send_request`.
            let _ = connection.await;
        });
        let path = uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/")
            .to_owned();
        let mut builder = http::Request::builder()
            .method(request.method.clone())
            .uri(path)
            .header(http::header::HOST, host_header);
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let req = builder
            .body(Full::new(Bytes::from(request.body)))
            .map_err(|e| fail(format!("invalid request: {e}")))?;
        let result = async {
            let response = sender
                .send_request(req)
                .await
                .map_err(|e| fail(e.to_string()))?;
            let status = response.status().as_u16();
            let headers = response
                .headers()
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            let body = Limited::new(response.into_body(), MAX_BODY)
                .collect()
                .await
                .map_err(|e| fail(format!("reading the body: {e}")))?
                .to_bytes();
            Ok(HttpResponse {
                status,
                headers,
                body,
            })
        }
        .await;
        drop(sender);
        driver.abort();
        result
    }
}

/// `url` without its query string (for messages and logs).
pub(crate) fn without_query(url: &str) -> &str {
    url.split_once('?').map_or(url, |(base, _)| base)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    async fn serve_once(answer: &'static [u8]) -> (String, tokio::task::JoinHandle<Vec<u8>>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut seen = Vec::new();
            let mut buf = [0u8; 4096];
            while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = s.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                seen.extend_from_slice(&buf[..n]);
            }
            s.write_all(answer).await.unwrap();
            seen
        });
        (format!("http://{addr}"), task)
    }

    #[tokio::test]
    async fn get_with_headers() {
        let (base, server) =
            serve_once(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello").await;
        let response = HttpClient::new()
            .send(
                "test",
                HttpRequest::get(format!("{base}/latest/meta-data?x=1")).header("X-Token", "t"),
                Duration::from_secs(5),
            )
            .await
            .unwrap();
        assert_eq!(response.status, 200);
        assert_eq!(&response.body[..], b"hello");
        assert_eq!(response.header("x-a"), Some("b"));
        let seen = String::from_utf8(server.await.unwrap()).unwrap();
        assert!(
            seen.starts_with("GET /latest/meta-data?x=1 HTTP/1.1\r\n"),
            "{seen}"
        );
        assert!(
            seen.to_ascii_lowercase().contains("x-token: t\r\n"),
            "{seen}"
        );
        assert!(
            seen.to_ascii_lowercase()
                .contains(&format!("host: {}\r\n", &base[7..])),
            "{seen}"
        );
    }

    #[tokio::test]
    async fn silent_server_times_out_and_refused_port_fails() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let err = HttpClient::new()
            .send(
                "EC2 IMDS",
                HttpRequest::get(format!("http://{addr}/")),
                Duration::from_millis(200),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, AwsError::Timeout { .. }), "{err}");
        drop(listener);
        let err = HttpClient::new()
            .send(
                "ECS",
                HttpRequest::get(format!("http://{addr}/?secret=1")),
                Duration::from_secs(5),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, AwsError::Http { .. }), "{err}");
        assert!(!err.to_string().contains("secret=1"), "{err}");
    }

    #[tokio::test]
    async fn oversized_body_is_an_error() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf).await;
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
                MAX_BODY + 10
            );
            s.write_all(head.as_bytes()).await.unwrap();
            let chunk = vec![b'a'; 65536];
            for _ in 0..(MAX_BODY / 65536 + 1) {
                if s.write_all(&chunk).await.is_err() {
                    break;
                }
            }
        });
        let err = HttpClient::new()
            .send(
                "test",
                HttpRequest::get(format!("http://{addr}/")),
                Duration::from_secs(5),
            )
            .await
            .unwrap_err();
        assert!(err.to_string().contains("reading the body"), "{err}");
    }
}
