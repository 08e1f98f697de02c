//! Response decoding by (API, version), with the correlation id checked and trailing bytes
//! rejected.

use bytes::{Buf, Bytes};
use kafka_protocol::messages::{ApiKey, ResponseHeader};
use kafka_protocol::protocol::{Decodable, HeaderVersion, Request};

use crate::error::ProtocolError;
use crate::request::api_key_of;

/// Decodes one response frame (length prefix already removed) for request type `R` sent at
/// `version` with `correlation_id`.
pub fn decode_response<R: Request>(
    mut frame: Bytes,
    version: i16,
    correlation_id: i32,
) -> Result<R::Response, ProtocolError> {
    let api = api_key_of::<R>();
    let header_version = <R::Response as HeaderVersion>::header_version(version);
    let header =
        ResponseHeader::decode(&mut frame, header_version).map_err(|e| ProtocolError::Decode {
            api,
            version,
            message: format!("response header: {e}"),
        })?;
    if header.correlation_id != correlation_id {
        return Err(ProtocolError::CorrelationMismatch {
            api,
            expected: correlation_id,
            actual: header.correlation_id,
        });
    }
    decode_body::<R>(frame, version, api)
}

fn decode_body<R: Request>(
    mut body: Bytes,
    version: i16,
    api: ApiKey,
) -> Result<R::Response, ProtocolError> {
    let response = R::Response::decode(&mut body, version).map_err(|e| ProtocolError::Decode {
        api,
        version,
        message: e.to_string(),
    })?;
    if body.has_remaining() {
        return Err(ProtocolError::TrailingBytes {
            api,
            version,
            trailing: body.remaining(),
        });
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::{BufMut, BytesMut};
    use kafka_protocol::messages::{ApiVersionsRequest, ApiVersionsResponse};
    use kafka_protocol::protocol::Encodable;

    fn frame(corr: i32, resp: &ApiVersionsResponse, version: i16, extra: &[u8]) -> Bytes {
        let mut b = BytesMut::new();
        b.put_i32(corr); // ApiVersions responses always use header v0
        resp.encode(&mut b, version).unwrap();
        b.put_slice(extra);
        b.freeze()
    }

    #[test]
    fn decodes_and_checks_correlation() {
        let resp = ApiVersionsResponse::default().with_throttle_time_ms(5);
        let got = decode_response::<ApiVersionsRequest>(frame(9, &resp, 3, &[]), 3, 9).unwrap();
        assert_eq!(got.throttle_time_ms, 5);
        let e = decode_response::<ApiVersionsRequest>(frame(8, &resp, 3, &[]), 3, 9).unwrap_err();
        assert!(matches!(
            e,
            ProtocolError::CorrelationMismatch {
                expected: 9,
                actual: 8,
                ..
            }
        ));
    }

    #[test]
    fn trailing_bytes_rejected() {
        let resp = ApiVersionsResponse::default();
        let e = decode_response::<ApiVersionsRequest>(frame(1, &resp, 2, &[0]), 2, 1).unwrap_err();
        assert!(matches!(
            e,
            ProtocolError::TrailingBytes { trailing: 1, .. }
        ));
    }

    #[test]
    fn truncated_body_is_decode_error() {
        let resp = ApiVersionsResponse::default();
        let f = frame(1, &resp, 2, &[]);
        let short = f.slice(..f.len() - 1);
        let e = decode_response::<ApiVersionsRequest>(short, 2, 1).unwrap_err();
        assert!(matches!(e, ProtocolError::Decode { .. }), "{e}");
    }
}
