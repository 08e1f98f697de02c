//! What happens on a fresh socket before the connection task takes it: ApiVersions.

use std::time::Duration;

use ottla_protocol::error_code::ErrorCode;
use ottla_protocol::kafka_protocol::protocol::StrBytes;
use ottla_protocol::messages::{ApiKey, ApiVersionsRequest};
use ottla_protocol::response::decode_api_versions_response;
use ottla_protocol::versions::{client_range, BrokerVersions};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;

use super::wire::Wire;
use crate::error::Error;

/// The version of ApiVersions tried first; older brokers answer it with UNSUPPORTED_VERSION
/// at v0 and their own range, and we ask again at the highest version they support.
const FIRST_API_VERSIONS_VERSION: i16 = 3;

/// Sends ApiVersions and reads the broker's ranges.
pub(crate) async fn negotiate_versions<R: AsyncRead + Unpin, W: AsyncWrite + Unpin>(
    wire: &mut Wire<'_, R, W>,
    timeout: Duration,
) -> Result<BrokerVersions, Error> {
    let deadline = Instant::now() + timeout;
    let request = ApiVersionsRequest::default()
        .with_client_software_name(StrBytes::from_static_str("ottla"))
        .with_client_software_version(StrBytes::from_static_str(env!("CARGO_PKG_VERSION")));
    let mut version = FIRST_API_VERSIONS_VERSION;
    let broker = wire.broker.to_owned();
    let kafka_error = |code| Error::Kafka {
        api: ApiKey::ApiVersions,
        code,
        context: broker.clone(),
        message: None,
    };
    for attempt in 0..2 {
        let (frame, correlation_id) = wire
            .round_trip_frame(&request, version, deadline, timeout)
            .await?;
        // A broker that does not speak this version answers at v0; the correlation id is
        // checked and trailing bytes rejected either way.
        let response = decode_api_versions_response(frame, version, correlation_id)
            .map_err(|e| wire.protocol(e))?;
        let code = ErrorCode(response.error_code);
        if code.is_ok() {
            return Ok(BrokerVersions::from_response(&response));
        }
        if code == ErrorCode::UNSUPPORTED_VERSION && attempt == 0 {
            let offered = BrokerVersions::from_response(&response);
            let ours = client_range(ApiKey::ApiVersions).map_or(0, |r| r.max);
            if let Some(r) = offered.offered(ApiKey::ApiVersions) {
                if r.max < version {
                    version = r.max.min(ours).max(0);
                    continue;
                }
            }
        }
        return Err(kafka_error(code));
    }
    Err(kafka_error(ErrorCode::UNSUPPORTED_VERSION))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicI32;

    use bytes::{Buf, BufMut, BytesMut};
    use ottla_protocol::frame::FrameDecoder;
    use ottla_protocol::kafka_protocol::protocol::Encodable;
    use ottla_protocol::messages::api_versions_response::ApiVersion;
    use ottla_protocol::messages::ApiVersionsResponse;
    use ottla_protocol::ProtocolError;
    use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

    use super::*;
    use crate::error::ConnectionError;

    /// One answer of the fake broker.
    struct Answer {
        /// Added to the request's correlation id.
        correlation_shift: i32,
        /// The body's version.
        version: i16,
        response: ApiVersionsResponse,
        /// Bytes after the body.
        trailing: &'static [u8],
    }

    fn offering(api: ApiKey, min: i16, max: i16) -> ApiVersion {
        ApiVersion::default()
            .with_api_key(api as i16)
            .with_min_version(min)
            .with_max_version(max)
    }

    /// "I speak ApiVersions v0..=v2 only", at v0, as an old broker answers a v3 request.
    fn unsupported_at_v0(correlation_shift: i32, trailing: &'static [u8]) -> Answer {
        Answer {
            correlation_shift,
            version: 0,
            response: ApiVersionsResponse::default()
                .with_error_code(ErrorCode::UNSUPPORTED_VERSION.0)
                .with_api_keys(vec![offering(ApiKey::ApiVersions, 0, 2)]),
            trailing,
        }
    }

    /// Answers one request per answer, then closes. Returns the versions asked for.
    async fn broker(mut s: DuplexStream, answers: Vec<Answer>) -> Vec<i16> {
        let mut asked = Vec::new();
        for a in answers {
            let Ok(len) = s.read_i32().await else {
                return asked;
            };
            let mut request = vec![0u8; usize::try_from(len).unwrap()];
            s.read_exact(&mut request).await.unwrap();
            let mut header = &request[..];
            assert_eq!(header.get_i16(), ApiKey::ApiVersions as i16);
            asked.push(header.get_i16());
            let correlation_id = header.get_i32();
            let mut body = BytesMut::new();
            body.put_i32(correlation_id.wrapping_add(a.correlation_shift));
            a.response.encode(&mut body, a.version).unwrap();
            body.put_slice(a.trailing);
            s.write_i32(i32::try_from(body.len()).unwrap())
                .await
                .unwrap();
            s.write_all(&body).await.unwrap();
        }
        asked
    }

    async fn negotiate(answers: Vec<Answer>) -> (Result<BrokerVersions, Error>, Vec<i16>) {
        let (client, server) = tokio::io::duplex(64 * 1024);
        let server = tokio::spawn(broker(server, answers));
        let (mut reader, mut writer) = tokio::io::split(client);
        let mut read_buf = BytesMut::new();
        let next_correlation_id = AtomicI32::new(1);
        let mut wire = Wire {
            reader: &mut reader,
            writer: &mut writer,
            read_buf: &mut read_buf,
            decoder: FrameDecoder::default(),
            client_id: "test",
            broker: "broker:9092 (bootstrap)",
            next_correlation_id: &next_correlation_id,
        };
        let result = negotiate_versions(&mut wire, Duration::from_secs(10)).await;
        drop((reader, writer));
        (result, server.await.unwrap())
    }

    fn protocol_error(result: Result<BrokerVersions, Error>) -> ProtocolError {
        match result {
            Err(Error::Connection { source, .. }) => match &*source {
                ConnectionError::Protocol(e) => e.clone(),
                other => panic!("expected a protocol error, got {other}"),
            },
            Err(other) => panic!("expected a protocol error, got {other}"),
            Ok(v) => panic!("expected a protocol error, got {v:?}"),
        }
    }

    #[tokio::test]
    async fn an_old_broker_is_asked_again_at_its_version() {
        let (result, asked) = negotiate(vec![
            unsupported_at_v0(0, &[]),
            Answer {
                correlation_shift: 0,
                version: 2,
                response: ApiVersionsResponse::default().with_api_keys(vec![offering(
                    ApiKey::Metadata,
                    0,
                    9,
                )]),
                trailing: &[],
            },
        ])
        .await;
        assert_eq!(asked, vec![3, 2]);
        assert_eq!(result.unwrap().negotiate(ApiKey::Metadata), Ok(9));
    }

    #[tokio::test]
    async fn a_v0_fallback_answer_with_a_wrong_correlation_id_is_an_error() {
        let (result, asked) = negotiate(vec![unsupported_at_v0(1, &[])]).await;
        assert_eq!(asked, vec![3]);
        assert!(
            matches!(
                protocol_error(result),
                ProtocolError::CorrelationMismatch {
                    api: ApiKey::ApiVersions,
                    expected: 1,
                    actual: 2
                }
            ),
            "the v0 answer of another request was taken"
        );
    }

    #[tokio::test]
    async fn a_v0_fallback_answer_with_trailing_bytes_is_an_error() {
        let (result, _) = negotiate(vec![unsupported_at_v0(0, &[0, 0, 0])]).await;
        assert!(matches!(
            protocol_error(result),
            ProtocolError::TrailingBytes {
                api: ApiKey::ApiVersions,
                version: 0,
                trailing: 3
            }
        ));
    }

    #[tokio::test]
    async fn a_v3_answer_with_trailing_bytes_is_an_error() {
        let (result, _) = negotiate(vec![Answer {
            correlation_shift: 0,
            version: 3,
            response: ApiVersionsResponse::default().with_api_keys(vec![offering(
                ApiKey::Metadata,
                0,
                12,
            )]),
            trailing: &[7],
        }])
        .await;
        assert!(matches!(
            protocol_error(result),
            ProtocolError::TrailingBytes {
                api: ApiKey::ApiVersions,
                trailing: 1,
                ..
            }
        ));
    }
}
