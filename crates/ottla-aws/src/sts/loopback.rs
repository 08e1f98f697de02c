//! A loopback HTTP double for the unit tests of the STS and Secrets Manager clients: answers
//! each connection with the next canned response and hands back the requests it saw.
// Compiled only for tests (the parent declares it under #[cfg(test)] too).
#![cfg(test)]

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// Serves `answers` (status line, content type, body), one per connection, on
/// `127.0.0.1:<port>`. Returns `http://127.0.0.1:<port>` and a task that ends with every
/// request received (head and body, as text).
pub(crate) async fn serve(
    answers: Vec<(&'static str, &'static str, String)>,
) -> (String, JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let mut requests = Vec::new();
        for (status, content_type, body) in answers {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut seen = Vec::new();
            let mut buf = [0u8; 4096];
            loop {
                if let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&seen[..end]).to_ascii_lowercase();
                    let len = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    if seen.len() >= end + 4 + len {
                        break;
                    }
                }
                let n = s.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                seen.extend_from_slice(&buf[..n]);
            }
            let answer = format!(
                "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            s.write_all(answer.as_bytes()).await.unwrap();
            requests.push(String::from_utf8_lossy(&seen).into_owned());
        }
        requests
    });
    (format!("http://{addr}"), task)
}
