//! Response decoding by (API, version), with the correlation id checked and trailing bytes
//! rejected.

use bytes::{Buf, Bytes};
use kafka_protocol::messages::{ApiKey, ApiVersionsRequest, ApiVersionsResponse, ResponseHeader};
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

/// Decodes the answer to an ApiVersions request sent at `version`.
///
/// A broker that does not speak `version` answers with a v0 body (UNSUPPORTED_VERSION and the
/// range it does speak), so a body that does not decode at `version` is decoded at v0, as the
/// Java client does. The fallback changes only the body's version: the correlation id is
/// checked first and a wrong one is an error whatever the body, and trailing bytes are
/// rejected at either version.
pub fn decode_api_versions_response(
    frame: Bytes,
    version: i16,
    correlation_id: i32,
) -> Result<ApiVersionsResponse, ProtocolError> {
    // ApiVersions responses always have header v0 (the correlation id, nothing else), so the
    // header reads the same whichever body version follows.
    let first = match decode_response::<ApiVersionsRequest>(frame.clone(), version, correlation_id)
    {
        Ok(response) => return Ok(response),
        Err(e @ (ProtocolError::Decode { .. } | ProtocolError::TrailingBytes { .. })) => e,
        Err(e) => return Err(e),
    };
    if version == 0 {
        return Err(first);
    }
    match decode_response::<ApiVersionsRequest>(frame, 0, correlation_id) {
        Ok(response) => Ok(response),
        // A v0 body with bytes after it: say so rather than why it is not a v`version` body.
        Err(e @ ProtocolError::TrailingBytes { .. }) => Err(e),
        Err(_) => Err(first),
    }
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

    fn v0_answer(corr: i32, extra: &[u8]) -> Bytes {
        use kafka_protocol::messages::api_versions_response::ApiVersion;
        let resp = ApiVersionsResponse::default()
            .with_error_code(35) // UNSUPPORTED_VERSION
            .with_api_keys(vec![ApiVersion::default()
                .with_api_key(ApiKey::ApiVersions as i16)
                .with_min_version(0)
                .with_max_version(2)]);
        frame(corr, &resp, 0, extra)
    }

    #[test]
    fn api_versions_falls_back_to_v0() {
        let got = decode_api_versions_response(v0_answer(4, &[]), 3, 4).unwrap();
        assert_eq!(got.error_code, 35);
        assert_eq!(got.api_keys.len(), 1);
        // A v3 answer decodes at v3.
        let resp = ApiVersionsResponse::default().with_throttle_time_ms(7);
        let got = decode_api_versions_response(frame(4, &resp, 3, &[]), 3, 4).unwrap();
        assert_eq!(got.throttle_time_ms, 7);
    }

    #[test]
    fn api_versions_fallback_checks_the_correlation_id() {
        let e = decode_api_versions_response(v0_answer(5, &[]), 3, 4).unwrap_err();
        assert!(
            matches!(
                e,
                ProtocolError::CorrelationMismatch {
                    api: ApiKey::ApiVersions,
                    expected: 4,
                    actual: 5
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn api_versions_fallback_rejects_trailing_bytes() {
        let e = decode_api_versions_response(v0_answer(4, &[0, 1]), 3, 4).unwrap_err();
        assert!(
            matches!(
                e,
                ProtocolError::TrailingBytes {
                    version: 0,
                    trailing: 2,
                    ..
                }
            ),
            "{e}"
        );
        let e = decode_api_versions_response(v0_answer(4, &[9]), 0, 4).unwrap_err();
        assert!(
            matches!(e, ProtocolError::TrailingBytes { trailing: 1, .. }),
            "{e}"
        );
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
