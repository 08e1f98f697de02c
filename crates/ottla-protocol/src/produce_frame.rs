//! A Produce request as a list of byte segments: the record batches are not copied into the
//! frame but sent as they are, between the small segments around them (the connection writes
//! all segments with one vectored write).
//!
//! Copying every batch into one frame buffer was the largest memory copy left on the
//! producer's path (1 GB for 1 GB produced, into fresh memory each request). The fields
//! around the batches are written here (kafka-protocol keeps its field encoders private), in
//! the order of its generated `ProduceRequest::encode` (versions 3 to 13); a property test
//! checks that the segments join into exactly the bytes of
//! [`encode_request`]. A request carrying unknown tagged
//! fields (ottla sets none) is encoded in one piece.

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::{ProduceRequest, RequestHeader};
use kafka_protocol::protocol::{Encodable, HeaderVersion, Message, Request, StrBytes};

use crate::error::ProtocolError;
use crate::frame::LENGTH_PREFIX;
use crate::records::varint::put_unsigned;
use crate::request::{api_key_of, encode_request};

/// First flexible version (compact strings and arrays, tagged fields).
const FLEXIBLE: i16 = 9;
/// First version naming topics by id.
const TOPIC_IDS: i16 = 13;

/// Encodes `request` as one frame (length prefix, header, body) in segments whose
/// concatenation is what [`encode_request`] writes. Record batches are shared, not copied.
pub fn encode_produce_request(
    request: &ProduceRequest,
    version: i16,
    correlation_id: i32,
    client_id: Option<&str>,
) -> Result<Vec<Bytes>, ProtocolError> {
    let known = ProduceRequest::VERSIONS;
    if has_tagged_fields(request) || version < known.min || version > known.max {
        // Rare or wrong: the one-piece encoder handles (or reports) it.
        let mut out = BytesMut::new();
        encode_request(request, version, correlation_id, client_id, &mut out)?;
        return Ok(vec![out.freeze()]);
    }
    let fail = |message: String| ProtocolError::Encode {
        api: api_key_of::<ProduceRequest>(),
        version,
        message,
    };
    let mut w = Segments::default();
    w.small.put_i32(0); // the length, patched below
    RequestHeader::default()
        .with_request_api_key(ProduceRequest::KEY)
        .with_request_api_version(version)
        .with_correlation_id(correlation_id)
        .with_client_id(client_id.map(|c| StrBytes::from_string(c.to_owned())))
        .encode(&mut w.small, ProduceRequest::header_version(version))
        .map_err(|e| fail(e.to_string()))?;
    encode_body(request, version, &mut w).map_err(fail)?;
    w.finish()
        .ok_or_else(|| fail("request does not fit a frame".into()))
}

/// Small fields gather in `small`; each record batch closes the current segment.
#[derive(Default)]
struct Segments {
    done: Vec<Bytes>,
    small: BytesMut,
    len: usize,
}

impl Segments {
    fn batch(&mut self, records: &Bytes) {
        self.push_small();
        self.len += records.len();
        self.done.push(records.clone());
    }

    fn push_small(&mut self) {
        if !self.small.is_empty() {
            self.len += self.small.len();
            self.done.push(self.small.split().freeze());
        }
    }

    /// The segments, the first starting with the frame's length.
    fn finish(mut self) -> Option<Vec<Bytes>> {
        self.push_small();
        let body = i32::try_from(self.len.checked_sub(LENGTH_PREFIX)?).ok()?;
        let first = self.done.first_mut()?;
        let mut patched = BytesMut::from(&first[..]);
        patched
            .get_mut(..LENGTH_PREFIX)?
            .copy_from_slice(&body.to_be_bytes());
        *first = patched.freeze();
        Some(self.done)
    }
}

fn encode_body(r: &ProduceRequest, version: i16, w: &mut Segments) -> Result<(), String> {
    let flexible = version >= FLEXIBLE;
    let txn = r.transactional_id.as_ref().map(|t| t.0.as_bytes());
    nullable(&mut w.small, txn, flexible, Width::Short)?;
    w.small.put_i16(r.acks);
    w.small.put_i32(r.timeout_ms);
    array_len(&mut w.small, r.topic_data.len(), flexible)?;
    for topic in &r.topic_data {
        encode_topic(topic, version, w)?;
    }
    no_tagged_fields(&mut w.small, flexible);
    Ok(())
}

fn encode_topic(t: &TopicProduceData, version: i16, w: &mut Segments) -> Result<(), String> {
    let flexible = version >= FLEXIBLE;
    if version < TOPIC_IDS {
        nullable(
            &mut w.small,
            Some(t.name.0.as_bytes()),
            flexible,
            Width::Short,
        )?;
    } else {
        w.small.put_slice(t.topic_id.as_bytes());
    }
    array_len(&mut w.small, t.partition_data.len(), flexible)?;
    for p in &t.partition_data {
        encode_partition(p, flexible, w)?;
    }
    no_tagged_fields(&mut w.small, flexible);
    Ok(())
}

fn encode_partition(
    p: &PartitionProduceData,
    flexible: bool,
    w: &mut Segments,
) -> Result<(), String> {
    w.small.put_i32(p.index);
    match &p.records {
        Some(records) if !records.is_empty() => {
            length(&mut w.small, records.len(), flexible, Width::Int)?;
            w.batch(records);
        }
        // Null and empty records are a length field only.
        other => nullable(&mut w.small, other.as_deref(), flexible, Width::Int)?,
    }
    no_tagged_fields(&mut w.small, flexible);
    Ok(())
}

/// The length field of a non-compact string (i16) or byte array (i32).
#[derive(Clone, Copy)]
enum Width {
    Short,
    Int,
}

/// A length as a compact field (unsigned varint of length + 1) or a fixed-width one.
fn length(buf: &mut BytesMut, len: usize, flexible: bool, width: Width) -> Result<(), String> {
    let too_long = || format!("a field of {len} bytes is too long");
    if flexible {
        let n = u32::try_from(len).ok().and_then(|n| n.checked_add(1));
        put_unsigned(buf, u64::from(n.ok_or_else(too_long)?));
    } else {
        match width {
            Width::Short => buf.put_i16(i16::try_from(len).map_err(|_| too_long())?),
            Width::Int => buf.put_i32(i32::try_from(len).map_err(|_| too_long())?),
        }
    }
    Ok(())
}

/// A nullable string or byte array: its length (null: -1, or 0 when compact), then bytes.
fn nullable(
    buf: &mut BytesMut,
    v: Option<&[u8]>,
    flexible: bool,
    width: Width,
) -> Result<(), String> {
    match v {
        Some(bytes) => {
            length(buf, bytes.len(), flexible, width)?;
            buf.put_slice(bytes);
        }
        None if flexible => put_unsigned(buf, 0),
        None => match width {
            Width::Short => buf.put_i16(-1),
            Width::Int => buf.put_i32(-1),
        },
    }
    Ok(())
}

fn array_len(buf: &mut BytesMut, n: usize, flexible: bool) -> Result<(), String> {
    length(buf, n, flexible, Width::Int)
}

fn no_tagged_fields(buf: &mut BytesMut, flexible: bool) {
    if flexible {
        put_unsigned(buf, 0);
    }
}

fn has_tagged_fields(r: &ProduceRequest) -> bool {
    !r.unknown_tagged_fields.is_empty()
        || r.topic_data.iter().any(|t| {
            !t.unknown_tagged_fields.is_empty()
                || t.partition_data
                    .iter()
                    .any(|p| !p.unknown_tagged_fields.is_empty())
        })
}

#[cfg(test)]
mod tests {
    use kafka_protocol::messages::{TopicName, TransactionalId};
    use proptest::prelude::*;

    use super::*;

    fn joined(segments: &[Bytes]) -> Vec<u8> {
        segments.iter().flat_map(|s| s.iter().copied()).collect()
    }

    /// What the one-piece encoder writes.
    fn whole(r: &ProduceRequest, version: i16, id: i32, client: Option<&str>) -> Vec<u8> {
        let mut out = BytesMut::new();
        encode_request(r, version, id, client, &mut out).unwrap();
        out.to_vec()
    }

    fn records() -> impl Strategy<Value = Option<Bytes>> {
        prop_oneof![
            1 => Just(None),
            1 => Just(Some(Bytes::new())),
            4 => prop::collection::vec(any::<u8>(), 1..400).prop_map(|v| Some(Bytes::from(v))),
        ]
    }

    fn request() -> impl Strategy<Value = ProduceRequest> {
        let partition = (any::<i32>(), records()).prop_map(|(i, r)| {
            PartitionProduceData::default()
                .with_index(i)
                .with_records(r)
        });
        let topic = (
            "[a-z.-]{0,12}",
            any::<u128>(),
            prop::collection::vec(partition, 0..4),
        )
            .prop_map(|(name, id, parts)| {
                TopicProduceData::default()
                    .with_name(TopicName(StrBytes::from_string(name)))
                    .with_topic_id(uuid::Uuid::from_u128(id))
                    .with_partition_data(parts)
            });
        (
            prop::option::of("[a-z-]{0,10}"),
            any::<i16>(),
            any::<i32>(),
            prop::collection::vec(topic, 0..4),
        )
            .prop_map(|(txn, acks, timeout, topics)| {
                ProduceRequest::default()
                    .with_transactional_id(txn.map(|t| TransactionalId(StrBytes::from_string(t))))
                    .with_acks(acks)
                    .with_timeout_ms(timeout)
                    .with_topic_data(topics)
            })
    }

    proptest! {
        /// Every version: the segments join into exactly the one-piece frame.
        #[test]
        fn segments_join_into_the_whole_frame(r in request(), version in 3i16..=13) {
            let segments = encode_produce_request(&r, version, 42, Some("ottla-test")).unwrap();
            prop_assert_eq!(joined(&segments), whole(&r, version, 42, Some("ottla-test")));
        }
    }

    #[test]
    fn batches_are_shared_not_copied() {
        let batch = Bytes::from(vec![7u8; 100_000]);
        let r = ProduceRequest::default().with_topic_data(vec![TopicProduceData::default()
            .with_name(TopicName(StrBytes::from_static_str("t")))
            .with_partition_data(vec![
                PartitionProduceData::default()
                    .with_index(0)
                    .with_records(Some(batch.clone())),
                PartitionProduceData::default()
                    .with_index(1)
                    .with_records(Some(batch.clone())),
            ])]);
        for version in [3, 9, 13] {
            let segments = encode_produce_request(&r, version, 1, None).unwrap();
            let shared: Vec<_> = segments
                .iter()
                .filter(|s| s.as_ptr() == batch.as_ptr())
                .collect();
            assert_eq!(shared.len(), 2, "v{version}");
            assert_eq!(joined(&segments), whole(&r, version, 1, None));
        }
    }

    #[test]
    fn tagged_fields_and_bad_versions_take_the_one_piece_path() {
        let tagged = ProduceRequest::default()
            .with_unknown_tagged_field(5, Bytes::from_static(b"x"))
            .with_topic_data(vec![TopicProduceData::default()]);
        let segments = encode_produce_request(&tagged, 9, 3, None).unwrap();
        assert_eq!(segments.len(), 1);
        assert_eq!(joined(&segments), whole(&tagged, 9, 3, None));
        assert!(matches!(
            encode_produce_request(&ProduceRequest::default(), 2, 1, None),
            Err(ProtocolError::Encode { version: 2, .. })
        ));
    }
}
