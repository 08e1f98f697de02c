//! A loopback HTTP/1.1 test double: answers requests from a script, in order, and records
//! what it was sent (method, path, headers, body).
// Compiled only for tests (the parent declares it under #[cfg(test)] too).
#![cfg(test)]

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// What to do with the next request.
#[derive(Debug, Clone)]
pub(crate) enum Reply {
    /// Answer with this status, headers and body.
    Respond {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// Read the request and never answer (the connection stays open).
    Silent,
}

impl Reply {
    /// `200 OK` with `body`.
    pub(crate) fn ok(body: impl Into<String>) -> Self {
        Self::status(200, body)
    }

    /// `status` with `body`.
    pub(crate) fn status(status: u16, body: impl Into<String>) -> Self {
        Self::Respond {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }
}

/// One request the server read.
#[derive(Debug, Clone)]
pub(crate) struct RecordedRequest {
    pub method: String,
    /// Path and query.
    pub path: String,
    /// Names lowercased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RecordedRequest {
    /// The first value of header `name` (case-insensitive).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The server; stops (and closes every connection) when dropped.
#[derive(Debug)]
pub(crate) struct TestHttpServer {
    base_url: String,
    requests: Arc<Mutex<Vec<RecordedRequest>>>,
    task: JoinHandle<()>,
}

impl TestHttpServer {
    /// Listens on `127.0.0.1:0` and answers with `script`, one reply per request; past the
    /// end of the script it answers `500 script exhausted`.
    pub(crate) async fn start(script: Vec<Reply>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base_url = format!("http://{}", listener.local_addr().expect("local addr"));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(script.into_iter()));
        let recorded = Arc::clone(&requests);
        let task = tokio::spawn(async move {
            // Dropping the set (when the server is dropped) closes every connection.
            let mut connections = JoinSet::new();
            while let Ok((stream, _)) = listener.accept().await {
                let recorded = Arc::clone(&recorded);
                let script = Arc::clone(&script);
                connections.spawn(serve(stream, recorded, script));
            }
        });
        Self {
            base_url,
            requests,
            task,
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub(crate) fn url(&self) -> &str {
        &self.base_url
    }

    /// `127.0.0.1:<port>`.
    pub(crate) fn authority(&self) -> &str {
        self.base_url.trim_start_matches("http://")
    }

    /// The requests read so far.
    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        self.requests.lock().expect("lock").clone()
    }
}

impl Drop for TestHttpServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(
    mut stream: TcpStream,
    recorded: Arc<Mutex<Vec<RecordedRequest>>>,
    script: Arc<Mutex<std::vec::IntoIter<Reply>>>,
) {
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    recorded.lock().expect("lock").push(request);
    let reply = script
        .lock()
        .expect("lock")
        .next()
        .unwrap_or_else(|| Reply::status(500, "script exhausted"));
    match reply {
        Reply::Silent => {
            // Hold the connection open until the server is dropped.
            std::future::pending::<()>().await;
        }
        Reply::Respond {
            status,
            headers,
            body,
        } => {
            let mut head = format!(
                "HTTP/1.1 {status} Test\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            for (k, v) in headers {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            head.push_str("\r\n");
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(body.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
    }
}

async fn read_request(stream: &mut TcpStream) -> Option<RecordedRequest> {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        seen.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&seen[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_owned();
    let path = first.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = seen[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&buf[..n]);
    }
    Some(RecordedRequest {
        method,
        path,
        headers,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{HttpClient, HttpRequest};
    use std::time::Duration;

    #[tokio::test]
    async fn replies_in_order_and_records() {
        let server =
            TestHttpServer::start(vec![Reply::ok("first"), Reply::status(404, "gone")]).await;
        let http = HttpClient::new();
        let mut put = HttpRequest::get(format!("{}/a", server.url())).header("X-One", "1");
        put.method = http::Method::PUT;
        put.body = b"payload".to_vec();
        let r = http
            .send("test", put, Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!((r.status, &r.body[..]), (200, &b"first"[..]));
        let r = http
            .send(
                "test",
                HttpRequest::get(format!("{}/b?q", server.url())),
                Duration::from_secs(5),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 404);
        let r = http
            .send(
                "test",
                HttpRequest::get(format!("{}/c", server.url())),
                Duration::from_secs(5),
            )
            .await
            .unwrap();
        assert_eq!((r.status, &r.body[..]), (500, &b"script exhausted"[..]));
        let seen = server.requests();
        assert_eq!(seen.len(), 3);
        assert_eq!(
            (seen[0].method.as_str(), seen[0].path.as_str()),
            ("PUT", "/a")
        );
        assert_eq!(seen[0].header("x-one"), Some("1"));
        assert_eq!(seen[0].body, b"payload");
        assert_eq!(seen[1].path, "/b?q");
        assert_eq!(seen[1].header("host"), Some(server.authority()));
    }
}
