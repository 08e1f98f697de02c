//! What happens on a fresh socket before the connection task takes it: ApiVersions.

use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use ottla_protocol::error_code::ErrorCode;
use ottla_protocol::frame::FrameDecoder;
use ottla_protocol::kafka_protocol::protocol::{Decodable, StrBytes};
use ottla_protocol::messages::{ApiKey, ApiVersionsRequest, ApiVersionsResponse};
use ottla_protocol::request::encode_request;
use ottla_protocol::response::decode_response;
use ottla_protocol::versions::{client_range, BrokerVersions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;

use crate::error::{ConnectionError, Error};

/// The version of ApiVersions tried first; older brokers answer it with UNSUPPORTED_VERSION
/// at v0 and their own range, and we ask again at the highest version they support.
const FIRST_API_VERSIONS_VERSION: i16 = 3;

/// Sends ApiVersions and reads the broker's ranges.
pub(crate) async fn negotiate_versions(
    transport: &mut ottla_tls::Transport,
    read_buf: &mut BytesMut,
    decoder: FrameDecoder,
    client_id: &str,
    timeout: Duration,
    broker: &str,
) -> Result<BrokerVersions, Error> {
    let deadline = Instant::now() + timeout;
    let request = ApiVersionsRequest::default()
        .with_client_software_name(StrBytes::from_static_str("ottla"))
        .with_client_software_version(StrBytes::from_static_str(env!("CARGO_PKG_VERSION")));
    let mut version = FIRST_API_VERSIONS_VERSION;
    for attempt in 0..2 {
        let correlation_id = attempt + 1;
        let frame = round_trip(
            transport,
            read_buf,
            decoder,
            &request,
            version,
            correlation_id,
            client_id,
            deadline,
            broker,
            timeout,
        )
        .await?;
        let response =
            match decode_response::<ApiVersionsRequest>(frame.clone(), version, correlation_id) {
                Ok(r) => r,
                // A broker that does not speak this version answers at v0.
                Err(_) if version > 0 => decode_v0(frame).map_err(|e| protocol(broker, e))?,
                Err(e) => return Err(protocol(broker, e)),
            };
        let code = ErrorCode(response.error_code);
        if code.is_ok() {
            return Ok(BrokerVersions::from_response(&response));
        }
        if code == ErrorCode::UNSUPPORTED_VERSION && attempt == 0 {
            let offered = BrokerVersions::from_response(&response);
            let ours = client_range(ApiKey::ApiVersions).map_or(0, |r| r.max);
            match offered.offered(ApiKey::ApiVersions) {
                Some(r) if r.max < version => {
                    version = r.max.min(ours).max(0);
                    continue;
                }
                _ => {}
            }
        }
        return Err(Error::Kafka {
            api: ApiKey::ApiVersions,
            code,
            context: broker.to_owned(),
            message: None,
        });
    }
    Err(Error::Kafka {
        api: ApiKey::ApiVersions,
        code: ErrorCode::UNSUPPORTED_VERSION,
        context: broker.to_owned(),
        message: None,
    })
}

fn decode_v0(mut frame: Bytes) -> Result<ApiVersionsResponse, ottla_protocol::ProtocolError> {
    use bytes::Buf;
    if frame.remaining() < 4 {
        return Err(ottla_protocol::frame::FrameError::TooShort {
            size: frame.remaining(),
            what: "response header",
        }
        .into());
    }
    frame.advance(4);
    ApiVersionsResponse::decode(&mut frame, 0).map_err(|e| ottla_protocol::ProtocolError::Decode {
        api: ApiKey::ApiVersions,
        version: 0,
        message: e.to_string(),
    })
}

fn protocol(broker: &str, e: ottla_protocol::ProtocolError) -> Error {
    Error::Connection {
        broker: broker.to_owned(),
        source: Arc::new(ConnectionError::Protocol(e)),
    }
}

/// Writes one request and reads one response frame, before the connection task exists.
#[allow(clippy::too_many_arguments)]
async fn round_trip(
    transport: &mut ottla_tls::Transport,
    read_buf: &mut BytesMut,
    decoder: FrameDecoder,
    request: &ApiVersionsRequest,
    version: i16,
    correlation_id: i32,
    client_id: &str,
    deadline: Instant,
    broker: &str,
    timeout: Duration,
) -> Result<Bytes, Error> {
    let fail = |e: ConnectionError| Error::Connection {
        broker: broker.to_owned(),
        source: Arc::new(e),
    };
    let mut out = BytesMut::new();
    encode_request(request, version, correlation_id, Some(client_id), &mut out)
        .map_err(|e| protocol(broker, e))?;
    let io = async {
        transport.write_all(&out).await?;
        transport.flush().await?;
        loop {
            if let Some(frame) = decoder
                .decode(read_buf)
                .map_err(|e| ConnectionError::Protocol(ottla_protocol::ProtocolError::Frame(e)))?
            {
                return Ok::<_, ConnectionError>(frame);
            }
            if transport.read_buf(read_buf).await? == 0 {
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
            broker: broker.to_owned(),
            api: ApiKey::ApiVersions,
            timeout,
        }),
        Ok(r) => r.map_err(fail),
    }
}
