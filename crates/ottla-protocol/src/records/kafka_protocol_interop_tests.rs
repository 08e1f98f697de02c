//! Interop with kafka-protocol's record codec, through our compression hooks, for every codec:
//! what it encodes we decode, and what we encode it decodes.

use bytes::{Bytes, BytesMut};
use indexmap::IndexMap;
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::records::{
    Record as KpRecord, RecordBatchDecoder, RecordBatchEncoder, RecordEncodeOptions,
    TimestampType as KpTimestampType,
};

use super::*;
use crate::compression::{kafka_protocol_compressor, kafka_protocol_decompressor, Compression};

fn kp_records(base_offset: i64, count: i64) -> Vec<KpRecord> {
    (0..count)
        .map(|i| KpRecord {
            transactional: true,
            control: false,
            delete_horizon: false,
            partition_leader_epoch: 4,
            producer_id: 99,
            producer_epoch: 3,
            timestamp_type: KpTimestampType::Creation,
            offset: base_offset + i,
            sequence: 40 + i as i32,
            // Not monotonic: the batch's base timestamp is the minimum.
            timestamp: 1_700_000_000_000 + (i * 37) % 11,
            key: (i % 4 != 0).then(|| Bytes::from(format!("key-{i}"))),
            value: (i % 6 != 0).then(|| Bytes::from(format!("value {i} ").repeat(i as usize % 9))),
            headers: (0..i % 3)
                .map(|h| {
                    (
                        StrBytes::from_string(format!("h{h}")),
                        (h != 1).then(|| Bytes::from(format!("v{h}"))),
                    )
                })
                .collect::<IndexMap<_, _>>(),
        })
        .collect()
}

#[test]
fn theirs_encoded_ours_decoded() {
    for codec in Compression::ALL {
        let records = kp_records(500, 120);
        let mut buf = BytesMut::new();
        RecordBatchEncoder::encode_with_custom_compression(
            &mut buf,
            &records,
            &RecordEncodeOptions {
                version: 2,
                compression: codec.into(),
            },
            Some(kafka_protocol_compressor(None)),
        )
        .unwrap();
        let decoded = decode_batches(buf.freeze(), &DecodeLimits::default()).unwrap();
        assert!(!decoded.truncated_tail);
        assert_eq!(decoded.batches.len(), 1, "{codec}");
        let batch = &decoded.batches[0];
        assert_eq!(batch.compression, codec);
        assert_eq!(batch.base_offset, 500);
        assert_eq!(batch.last_offset_delta, 119);
        assert_eq!(batch.producer_id, 99);
        assert_eq!(batch.producer_epoch, 3);
        assert_eq!(batch.base_sequence, 40);
        assert_eq!(batch.partition_leader_epoch, 4);
        assert!(batch.transactional);
        assert_eq!(batch.records.len(), records.len());
        for (got, want) in batch.records.iter().zip(&records) {
            assert_eq!(got.offset, want.offset);
            assert_eq!(got.timestamp, want.timestamp);
            assert_eq!(got.key, want.key);
            assert_eq!(got.value, want.value);
            let want_headers: Vec<Header> = want
                .headers
                .iter()
                .map(|(k, v)| Header::new(k.clone(), v.clone()))
                .collect();
            assert_eq!(got.headers, want_headers);
        }
    }
}

#[test]
fn ours_encoded_theirs_decoded() {
    for codec in Compression::ALL {
        let records: Vec<Record> = (0..150i64)
            .map(|i| Record {
                key: (i % 5 != 0).then(|| Bytes::from(format!("k{i}"))),
                value: (i % 7 != 0).then(|| Bytes::from(format!("payload {i} ").repeat(5))),
                // Unique keys: kafka-protocol keeps headers in a map.
                headers: (0..i % 3)
                    .map(|h| Header::new(format!("h{h}"), (h != 0).then(|| Bytes::from("x"))))
                    .collect(),
                timestamp: 1_700_000_000_000 + i,
            })
            .collect();
        let options = BatchOptions {
            compression: codec,
            producer_id: 12,
            producer_epoch: 1,
            base_sequence: 7,
            partition_leader_epoch: 2,
            ..BatchOptions::default()
        };
        let mut out = BytesMut::new();
        encode_batch(&records, &options, &mut out).unwrap();
        set_base_offset(&mut out, 10_000);
        let mut bytes = out.freeze();
        let set = RecordBatchDecoder::decode_with_custom_compression(
            &mut bytes,
            Some(kafka_protocol_decompressor(
                DecodeLimits::DEFAULT_MAX_DECOMPRESSED_BYTES,
            )),
        )
        .unwrap();
        assert!(bytes.is_empty());
        assert_eq!(Compression::from(set.compression), codec);
        assert_eq!(set.records.len(), records.len(), "{codec}");
        for (i, (got, want)) in set.records.iter().zip(&records).enumerate() {
            assert_eq!(got.offset, 10_000 + i as i64);
            assert_eq!(got.sequence, 7 + i as i32);
            assert_eq!(got.producer_id, 12);
            assert_eq!(got.producer_epoch, 1);
            assert_eq!(got.partition_leader_epoch, 2);
            assert!(!got.transactional && !got.control);
            assert_eq!(got.timestamp, want.timestamp);
            assert_eq!(got.key, want.key);
            assert_eq!(got.value, want.value);
            let got_headers: Vec<Header> = got
                .headers
                .iter()
                .map(|(k, v)| Header::new(k.clone(), v.clone()))
                .collect();
            assert_eq!(got_headers, want.headers);
        }
    }
}

#[test]
fn our_control_batch_is_a_control_batch_to_them() {
    let mut out = BytesMut::new();
    let options = BatchOptions {
        producer_id: 5,
        producer_epoch: 0,
        ..BatchOptions::default()
    };
    encode_control_batch(ControlKind::Abort, 3, 1234, &options, &mut out).unwrap();
    let mut bytes = out.freeze();
    let set = RecordBatchDecoder::decode_with_custom_compression(
        &mut bytes,
        Some(kafka_protocol_decompressor(1 << 20)),
    )
    .unwrap();
    assert_eq!(set.records.len(), 1);
    assert!(set.records[0].control && set.records[0].transactional);
    assert_eq!(set.records[0].key.as_deref(), Some(&[0u8, 0, 0, 0][..]));
    assert_eq!(
        set.records[0].value.as_deref(),
        Some(&[0u8, 0, 0, 0, 0, 3][..])
    );
}
