//! What happens on a fresh socket before the connection task takes it: ApiVersions.

use std::time::Duration;

use bytes::{Buf, Bytes};
use ottla_protocol::error_code::ErrorCode;
use ottla_protocol::kafka_protocol::protocol::{Decodable, StrBytes};
use ottla_protocol::messages::{ApiKey, ApiVersionsRequest, ApiVersionsResponse};
use ottla_protocol::response::decode_response;
use ottla_protocol::versions::{client_range, BrokerVersions};
use tokio::time::Instant;

use super::wire::Wire;
use crate::error::Error;

/// The version of ApiVersions tried first; older brokers answer it with UNSUPPORTED_VERSION
/// at v0 and their own range, and we ask again at the highest version they support.
const FIRST_API_VERSIONS_VERSION: i16 = 3;

/// Sends ApiVersions and reads the broker's ranges.
pub(crate) async fn negotiate_versions(
    wire: &mut Wire<'_>,
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
        let response =
            match decode_response::<ApiVersionsRequest>(frame.clone(), version, correlation_id) {
                Ok(r) => r,
                // A broker that does not speak this version answers at v0.
                Err(_) if version > 0 => decode_v0(frame).map_err(|e| wire.protocol(e))?,
                Err(e) => return Err(wire.protocol(e)),
            };
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

fn decode_v0(mut frame: Bytes) -> Result<ApiVersionsResponse, ottla_protocol::ProtocolError> {
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
