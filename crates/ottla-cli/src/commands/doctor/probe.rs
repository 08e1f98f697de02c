//! Raw Kafka requests on one connection, for the checks that must see exactly what the
//! listener answers: ApiVersions (does this port speak Kafka, and in plaintext or TLS?) and
//! SaslHandshake (which mechanisms does it offer?). Nothing here authenticates.

use std::io;
use std::time::Duration;

use bytes::BytesMut;
use ottla_protocol::error_code::ErrorCode;
use ottla_protocol::frame::{FrameDecoder, FrameError};
use ottla_protocol::kafka_protocol::protocol::Request;
use ottla_protocol::messages::{ApiVersionsRequest, SaslHandshakeRequest};
use ottla_protocol::request::encode_request;
use ottla_protocol::response::decode_response;
use ottla_protocol::{ProtocolError, StrBytes};
use ottla_tls::Transport;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The largest response accepted (ApiVersions and SaslHandshake answers are small).
const MAX_RESPONSE: usize = 1 << 20;

/// Why a request on the probe connection got no usable answer.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// No (whole) answer within the deadline.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The listener closed the connection before a whole answer came.
    #[error("the connection was closed after {received} byte(s) of answer")]
    Closed {
        /// Bytes received before the close.
        received: usize,
    },
    /// The answer starts like a TLS record: the listener speaks TLS.
    #[error("the answer is a TLS record, not a Kafka response")]
    TlsRecord,
    /// Reading or writing failed (a TLS failure after the handshake is inside as an
    /// [`ottla_tls::ConnectError`]).
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The answer is not a Kafka frame.
    #[error("the answer is not a Kafka frame: {0}")]
    Frame(#[from] FrameError),
    /// The frame is not the response asked for.
    #[error("{0}")]
    Protocol(#[from] ProtocolError),
}

impl ProbeError {
    /// The TLS failure inside an I/O error, if it is one.
    pub fn tls(&self) -> Option<&ottla_tls::ConnectError> {
        match self {
            ProbeError::Io(e) => tls_failure(e),
            _ => None,
        }
    }
}

/// The TLS failure inside an I/O error from a TLS transport, if there is one.
fn tls_failure(e: &io::Error) -> Option<&ottla_tls::ConnectError> {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<ottla_tls::ConnectError>())
}

/// What ApiVersions said.
#[derive(Debug, Clone)]
pub struct ApiVersionsAnswer {
    /// The broker's error code (NONE normally).
    pub error: ErrorCode,
    /// How many APIs it offers.
    pub api_count: usize,
}

/// What SaslHandshake said.
#[derive(Debug, Clone)]
pub struct HandshakeAnswer {
    /// NONE, or UNSUPPORTED_SASL_MECHANISM, ILLEGAL_SASL_STATE, ….
    pub error: ErrorCode,
    /// The mechanisms the listener offers.
    pub offered: Vec<String>,
}

/// One connection for raw requests.
#[derive(Debug)]
pub struct Probe {
    transport: Transport,
    buf: BytesMut,
    decoder: FrameDecoder,
    next_correlation_id: i32,
    timeout: Duration,
}

impl Probe {
    /// Wraps a fresh connection; every request waits at most `timeout` for its answer.
    pub fn new(transport: Transport, timeout: Duration) -> Self {
        Self {
            transport,
            buf: BytesMut::with_capacity(4096),
            decoder: FrameDecoder::new(MAX_RESPONSE),
            next_correlation_id: 1,
            timeout,
        }
    }

    /// ApiVersions v0 (every broker answers it, before any authentication).
    pub async fn api_versions(&mut self) -> Result<ApiVersionsAnswer, ProbeError> {
        let response = self.round_trip(&ApiVersionsRequest::default(), 0).await?;
        Ok(ApiVersionsAnswer {
            error: ErrorCode(response.error_code),
            api_count: response.api_keys.len(),
        })
    }

    /// SaslHandshake v1 asking for `mechanism`.
    pub async fn sasl_handshake(
        &mut self,
        mechanism: &'static str,
    ) -> Result<HandshakeAnswer, ProbeError> {
        let request =
            SaslHandshakeRequest::default().with_mechanism(StrBytes::from_static_str(mechanism));
        let response = self.round_trip(&request, 1).await?;
        Ok(HandshakeAnswer {
            error: ErrorCode(response.error_code),
            offered: response.mechanisms.iter().map(|m| m.to_string()).collect(),
        })
    }

    async fn round_trip<R: Request>(
        &mut self,
        request: &R,
        version: i16,
    ) -> Result<R::Response, ProbeError> {
        let correlation_id = self.next_correlation_id;
        self.next_correlation_id += 1;
        let mut out = BytesMut::new();
        encode_request(
            request,
            version,
            correlation_id,
            Some("ottla-doctor"),
            &mut out,
        )?;
        let timeout = self.timeout;
        let frame = tokio::time::timeout(timeout, async {
            self.transport.write_all(&out).await?;
            self.transport.flush().await?;
            self.read_frame().await
        })
        .await
        .map_err(|_| ProbeError::Timeout(timeout))??;
        Ok(decode_response::<R>(frame, version, correlation_id)?)
    }

    async fn read_frame(&mut self) -> Result<bytes::Bytes, ProbeError> {
        loop {
            if looks_like_tls(&self.buf) {
                return Err(ProbeError::TlsRecord);
            }
            if let Some(frame) = self.decoder.decode(&mut self.buf)? {
                return Ok(frame);
            }
            match self.transport.read_buf(&mut self.buf).await {
                Ok(0) => {
                    return Err(ProbeError::Closed {
                        received: self.buf.len(),
                    })
                }
                Ok(_) => {}
                // A reset after partial data is a close too, as far as the answer goes.
                Err(e)
                    if e.kind() == io::ErrorKind::ConnectionReset && tls_failure(&e).is_none() =>
                {
                    return Err(ProbeError::Closed {
                        received: self.buf.len(),
                    })
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
}

/// A TLS record header: content type alert (21) or handshake (22), then version 3.x.
pub fn looks_like_tls(buf: &[u8]) -> bool {
    matches!(buf, [21 | 22, 3, ..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_records_are_recognised() {
        assert!(looks_like_tls(&[21, 3, 3, 0, 2, 2, 80]));
        assert!(looks_like_tls(&[22, 3, 1]));
        assert!(!looks_like_tls(&[0, 0, 0, 8]));
        assert!(!looks_like_tls(&[21]));
        assert!(!looks_like_tls(&[]));
    }

    async fn plain(port: u16) -> Probe {
        let t = ottla_tls::connect("127.0.0.1", port, &ottla_tls::ConnectOptions::default())
            .await
            .unwrap();
        Probe::new(t, Duration::from_millis(500))
    }

    /// A listener that answers the first read with `reply` and then closes (or, with
    /// `None`, holds the connection open without a word).
    async fn server(reply: Option<Vec<u8>>) -> u16 {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        tokio::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            let mut b = [0u8; 512];
            let _ = s.read(&mut b).await;
            match reply {
                Some(r) => {
                    let _ = s.write_all(&r).await;
                }
                None => tokio::time::sleep(Duration::from_secs(5)).await,
            }
        });
        port
    }

    #[tokio::test]
    async fn a_tls_alert_is_a_tls_record() {
        let port = server(Some(vec![21, 3, 3, 0, 2, 2, 80])).await;
        let e = plain(port).await.api_versions().await.unwrap_err();
        assert!(matches!(e, ProbeError::TlsRecord), "{e:?}");
    }

    #[tokio::test]
    async fn silence_is_a_timeout_and_a_close_is_closed() {
        let port = server(None).await;
        let e = plain(port).await.api_versions().await.unwrap_err();
        assert!(matches!(e, ProbeError::Timeout(_)), "{e:?}");
        let port = server(Some(Vec::new())).await;
        let e = plain(port).await.api_versions().await.unwrap_err();
        assert!(matches!(e, ProbeError::Closed { received: 0 }), "{e:?}");
    }

    #[tokio::test]
    async fn a_huge_length_is_not_a_kafka_frame() {
        let port = server(Some(b"HTTP/1.1 400 Bad Request\r\n\r\n".to_vec())).await;
        let e = plain(port).await.api_versions().await.unwrap_err();
        assert!(matches!(e, ProbeError::Frame(_)), "{e:?}");
    }
}
