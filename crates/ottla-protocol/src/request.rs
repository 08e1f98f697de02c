//! Request encoding: length prefix, request header of the right version, body.

use bytes::{BufMut, BytesMut};
use kafka_protocol::messages::{ApiKey, RequestHeader};
use kafka_protocol::protocol::{Encodable, Request, StrBytes};

use crate::error::ProtocolError;
use crate::frame::LENGTH_PREFIX;

/// Encodes `request` at `version` as one whole frame appended to `out`.
///
/// The header version follows the API's flexible-version rules (as kafka-protocol defines them).
/// On error `out` is left as it was.
pub fn encode_request<R: Request>(
    request: &R,
    version: i16,
    correlation_id: i32,
    client_id: Option<&str>,
    out: &mut BytesMut,
) -> Result<(), ProtocolError> {
    let api = api_key_of::<R>();
    if !R::VERSIONS.contains(version) {
        return Err(ProtocolError::Encode {
            api,
            version,
            message: format!(
                "version outside the {}..={} this encoder knows",
                R::VERSIONS.min,
                R::VERSIONS.max
            ),
        });
    }
    let header = RequestHeader::default()
        .with_request_api_key(R::KEY)
        .with_request_api_version(version)
        .with_correlation_id(correlation_id)
        .with_client_id(client_id.map(|c| StrBytes::from_string(c.to_owned())));
    let start = out.len();
    let header_version = R::header_version(version);
    // Room for the whole frame up front: a produce request of megabytes would otherwise grow
    // (and copy) the buffer several times. A size that cannot be computed fails below.
    if let (Ok(h), Ok(b)) = (
        header.compute_size(header_version),
        request.compute_size(version),
    ) {
        out.reserve(LENGTH_PREFIX + h + b);
    }
    out.put_i32(0); // patched below
    let result = header
        .encode(out, header_version)
        .and_then(|()| request.encode(out, version));
    if let Err(e) = result {
        out.truncate(start);
        return Err(ProtocolError::Encode {
            api,
            version,
            message: e.to_string(),
        });
    }
    let body = out.len() - start - LENGTH_PREFIX;
    let Ok(size) = i32::try_from(body) else {
        out.truncate(start);
        return Err(ProtocolError::Encode {
            api,
            version,
            message: format!("request of {body} bytes does not fit a frame"),
        });
    };
    out[start..start + LENGTH_PREFIX].copy_from_slice(&size.to_be_bytes());
    Ok(())
}

/// The [`ApiKey`] of a request type.
pub fn api_key_of<R: Request>() -> ApiKey {
    // Every generated request type's KEY is a known ApiKey.
    ApiKey::try_from(R::KEY).unwrap_or(ApiKey::ApiVersions)
}

trait Contains {
    fn contains(&self, v: i16) -> bool;
}

impl Contains for kafka_protocol::protocol::VersionRange {
    fn contains(&self, v: i16) -> bool {
        self.min <= v && v <= self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Buf;
    use kafka_protocol::messages::{ApiVersionsRequest, MetadataRequest};

    #[test]
    fn header_versions_follow_flexible_rules() {
        // ApiVersions v3 is flexible: header v2 (client id + tagged fields).
        let mut out = BytesMut::new();
        encode_request(&ApiVersionsRequest::default(), 3, 7, Some("c"), &mut out).unwrap();
        let mut b = out.freeze();
        let len = b.get_i32() as usize;
        assert_eq!(len, b.remaining());
        assert_eq!(b.get_i16(), 18);
        assert_eq!(b.get_i16(), 3);
        assert_eq!(b.get_i32(), 7);
        assert_eq!(b.get_i16(), 1); // client id: nullable string, not compact
        assert_eq!(b.get_u8(), b'c');
        assert_eq!(b.get_u8(), 0); // header tagged fields
    }

    #[test]
    fn a_large_request_is_allocated_once() {
        use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
        use kafka_protocol::messages::{ProduceRequest, TopicName};
        let partitions = (0..8)
            .map(|i| {
                PartitionProduceData::default()
                    .with_index(i)
                    .with_records(Some(bytes::Bytes::from(vec![i as u8; 300_000])))
            })
            .collect();
        let request = ProduceRequest::default().with_topic_data(vec![TopicProduceData::default()
            .with_name(TopicName(StrBytes::from_static_str("t")))
            .with_partition_data(partitions)]);
        for version in [3, 9] {
            let mut out = BytesMut::new();
            encode_request(&request, version, 1, Some("c"), &mut out).unwrap();
            assert!(out.len() > 2_400_000);
            // Reserved exactly once: no doubling left spare room behind.
            assert_eq!(out.capacity(), out.len(), "v{version}");
        }
    }

    #[test]
    fn unknown_version_is_an_error_and_leaves_buffer() {
        let mut out = BytesMut::from(&b"xy"[..]);
        let e = encode_request(&MetadataRequest::default(), 99, 1, None, &mut out).unwrap_err();
        assert!(matches!(
            e,
            ProtocolError::Encode {
                api: ApiKey::Metadata,
                version: 99,
                ..
            }
        ));
        assert_eq!(&out[..], b"xy");
    }
}
