//! Connection setup: resolve, try each address in turn, then (if configured) run the TLS
//! handshake, all under one deadline.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::connector::TlsConnector;
use crate::error::ConnectError;
use crate::transport::Transport;

/// How to set up a connection.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// One deadline for resolving, connecting and the TLS handshake
    /// (`socket.connection.setup.timeout.ms`).
    pub setup_timeout: Duration,
    /// TLS settings (`security.protocol=SSL` / `SASL_SSL`); `None` for plain TCP.
    pub tls: Option<TlsConnector>,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        Self {
            setup_timeout: Duration::from_secs(10),
            tls: None,
        }
    }
}

/// Resolves `host` and connects to its addresses in turn (as the resolver orders them, IPv4
/// and IPv6 alike) until one accepts, then runs the TLS handshake if `options.tls` is set,
/// all within `options.setup_timeout`. The socket has `TCP_NODELAY` set: Kafka requests are
/// whole frames, written at once. A failed TLS handshake is returned at once (the next
/// address would present the same certificate).
pub async fn connect(
    host: &str,
    port: u16,
    options: &ConnectOptions,
) -> Result<Transport, ConnectError> {
    let deadline = Instant::now() + options.setup_timeout;
    let timeout = |tried| ConnectError::Timeout {
        host: host.to_owned(),
        port,
        timeout: options.setup_timeout,
        tried,
    };
    let addrs: Vec<SocketAddr> =
        match tokio::time::timeout_at(deadline, tokio::net::lookup_host((host, port))).await {
            Err(_) => return Err(timeout(0)),
            Ok(Err(e)) => {
                return Err(ConnectError::Resolve {
                    host: host.to_owned(),
                    port,
                    source: Arc::new(e),
                })
            }
            Ok(Ok(it)) => it.collect(),
        };
    if addrs.is_empty() {
        return Err(ConnectError::NoAddress {
            host: host.to_owned(),
            port,
        });
    }
    let mut attempts = Vec::new();
    for addr in addrs {
        match tokio::time::timeout_at(deadline, TcpStream::connect(addr)).await {
            Err(_) => return Err(timeout(attempts.len() + 1)),
            Ok(Err(e)) => {
                tracing::debug!(%addr, error = %e, "connect attempt failed");
                attempts.push((addr, Arc::new(e)));
            }
            Ok(Ok(stream)) => {
                if let Err(e) = stream.set_nodelay(true) {
                    attempts.push((addr, Arc::new(e)));
                    continue;
                }
                let Some(tls) = &options.tls else {
                    return Ok(Transport::tcp(stream, addr));
                };
                return match tokio::time::timeout_at(deadline, tls.handshake(stream, host, port))
                    .await
                {
                    Err(_) => Err(ConnectError::TlsTimeout {
                        host: host.to_owned(),
                        port,
                        timeout: options.setup_timeout,
                    }),
                    Ok(Err(e)) => Err(e),
                    Ok(Ok(stream)) => Ok(Transport::tls(
                        stream,
                        addr,
                        host,
                        port,
                        tls.offered_certificate(),
                    )),
                };
            }
        }
    }
    Err(ConnectError::AllAddressesFailed {
        host: host.to_owned(),
        port,
        attempts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn connects_and_sets_nodelay() {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            let mut b = [0u8; 2];
            s.read_exact(&mut b).await.unwrap();
            b
        });
        let mut t = connect("127.0.0.1", port, &ConnectOptions::default())
            .await
            .unwrap();
        assert!(t.nodelay().unwrap());
        t.write_all(b"hi").await.unwrap();
        assert_eq!(&server.await.unwrap(), b"hi");
    }

    #[tokio::test]
    async fn refused_lists_each_address() {
        // Bind then drop to get a port nobody listens on.
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let e = connect("127.0.0.1", port, &ConnectOptions::default())
            .await
            .unwrap_err();
        match e {
            ConnectError::AllAddressesFailed { attempts, .. } => assert_eq!(attempts.len(), 1),
            other => panic!("unexpected {other}"),
        }
    }

    #[tokio::test]
    async fn localhost_tries_every_address() {
        // "localhost" may resolve to ::1 and 127.0.0.1; a listener on 127.0.0.1 only must still
        // be reached after the IPv6 address is refused.
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        let t = connect("localhost", port, &ConnectOptions::default())
            .await
            .unwrap();
        assert_eq!(t.peer_addr().ip().to_string(), "127.0.0.1");
    }

    #[tokio::test]
    async fn unresolvable_host_is_a_resolve_error() {
        let e = connect("no-such-host.invalid", 9092, &ConnectOptions::default())
            .await
            .unwrap_err();
        assert!(
            matches!(
                e,
                ConnectError::Resolve { .. } | ConnectError::NoAddress { .. }
            ),
            "{e}"
        );
    }

    #[tokio::test]
    async fn setup_timeout_applies() {
        // A listener that never accepts, with a backlog of 1: once its queue is full the
        // kernel drops further SYNs, so the next connect hangs until our deadline.
        let sock = tokio::net::TcpSocket::new_v4().unwrap();
        sock.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let listener = sock.listen(1).unwrap();
        let addr = listener.local_addr().unwrap();
        let mut held = Vec::new();
        let opts = ConnectOptions {
            setup_timeout: Duration::from_millis(300),
            tls: None,
        };
        for _ in 0..8 {
            let start = std::time::Instant::now();
            match connect("127.0.0.1", addr.port(), &opts).await {
                Ok(t) => held.push(t),
                Err(ConnectError::Timeout { tried, .. }) => {
                    assert_eq!(tried, 1);
                    let took = start.elapsed();
                    assert!(took >= Duration::from_millis(290), "{took:?}");
                    assert!(took < Duration::from_secs(2), "{took:?}");
                    return;
                }
                Err(e) => panic!("unexpected {e}"),
            }
        }
        panic!("backlog never filled after {} connections", held.len());
    }
}
