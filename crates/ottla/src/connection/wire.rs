//! One request, one response, on a connection with nothing else in flight: the handshake
//! (ApiVersions, SASL) at connect time and re-authentication later both run on it.

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use ottla_protocol::frame::FrameDecoder;
use ottla_protocol::kafka_protocol::protocol::Request;
use ottla_protocol::request::{api_key_of, encode_request};
use ottla_protocol::response::decode_response;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::time::Instant;

use crate::error::{ConnectionError, Error};

/// The two halves of a connection and its read buffer, borrowed for sequential exchanges.
/// Generic over the halves so that tests run it over `tokio::io::duplex`.
#[derive(Debug)]
pub(crate) struct Wire<'a, R = ReadHalf<ottla_tls::Transport>, W = WriteHalf<ottla_tls::Transport>>
{
    pub reader: &'a mut R,
    pub writer: &'a mut W,
    pub read_buf: &'a mut BytesMut,
    pub decoder: FrameDecoder,
    pub client_id: &'a str,
    pub broker: &'a str,
    pub next_correlation_id: &'a AtomicI32,
}

impl<R: AsyncRead + Unpin, W: AsyncWrite + Unpin> Wire<'_, R, W> {
    /// Sends `request` at `version` and decodes its response, all before `deadline`.
    pub async fn round_trip<Q: Request>(
        &mut self,
        request: &Q,
        version: i16,
        deadline: Instant,
        timeout: Duration,
    ) -> Result<Q::Response, Error> {
        let (frame, correlation_id) = self
            .round_trip_frame(request, version, deadline, timeout)
            .await?;
        decode_response::<Q>(frame, version, correlation_id).map_err(|e| self.protocol(e))
    }

    /// As [`round_trip`](Self::round_trip), returning the raw response frame and the
    /// correlation id it was sent with.
    pub async fn round_trip_frame<Q: Request>(
        &mut self,
        request: &Q,
        version: i16,
        deadline: Instant,
        timeout: Duration,
    ) -> Result<(Bytes, i32), Error> {
        let correlation_id = self.next_correlation_id.fetch_add(1, Ordering::Relaxed);
        let mut out = BytesMut::new();
        encode_request(
            request,
            version,
            correlation_id,
            Some(self.client_id),
            &mut out,
        )
        .map_err(|e| self.protocol(e))?;
        let decoder = self.decoder;
        let (reader, writer, read_buf) =
            (&mut *self.reader, &mut *self.writer, &mut *self.read_buf);
        let io = async {
            writer.write_all(&out).await?;
            writer.flush().await?;
            loop {
                if let Some(frame) = decoder
                    .decode(read_buf)
                    .map_err(|e| ConnectionError::Protocol(e.into()))?
                {
                    return Ok::<_, ConnectionError>(frame);
                }
                if reader.read_buf(read_buf).await? == 0 {
                    return Err(match decoder.peek_size(read_buf).ok().flatten() {
                        Some(expected) => ConnectionError::TruncatedFrame {
                            expected,
                            received: read_buf.len().saturating_sub(4),
                        },
                        None => ConnectionError::ClosedByPeer { in_flight: 1 },
                    });
                }
            }
        };
        match tokio::time::timeout_at(deadline, io).await {
            Err(_) => Err(Error::Timeout {
                broker: self.broker.to_owned(),
                api: api_key_of::<Q>(),
                timeout,
            }),
            Ok(Err(e)) => Err(Error::Connection {
                broker: self.broker.to_owned(),
                source: Arc::new(e),
            }),
            Ok(Ok(frame)) => Ok((frame, correlation_id)),
        }
    }

    /// A protocol error on this connection.
    pub fn protocol(&self, e: ottla_protocol::ProtocolError) -> Error {
        Error::Connection {
            broker: self.broker.to_owned(),
            source: Arc::new(ConnectionError::Protocol(e)),
        }
    }
}
