//! Property tests: whatever we encode, we decode to the same records, for every codec.

use bytes::BytesMut;
use proptest::prelude::*;

use super::strategies::{options, record};
use super::*;
use crate::compression::Compression;

fn check_batch(batch: &DecodedBatch, records: &[Record], options: &BatchOptions, base: i64) {
    assert_eq!(batch.base_offset, base);
    assert_eq!(batch.last_offset_delta as usize, records.len() - 1);
    assert_eq!(batch.partition_leader_epoch, options.partition_leader_epoch);
    assert_eq!(batch.producer_id, options.producer_id);
    assert_eq!(batch.producer_epoch, options.producer_epoch);
    assert_eq!(batch.base_sequence, options.base_sequence);
    assert_eq!(batch.transactional, options.transactional);
    assert!(!batch.is_control);
    assert_eq!(batch.control, None);
    assert_eq!(batch.timestamp_type, TimestampType::CreateTime);
    assert_eq!(batch.compression, options.compression);
    assert_eq!(batch.first_timestamp, records[0].timestamp);
    assert_eq!(
        batch.max_timestamp,
        records.iter().map(|r| r.timestamp).max().unwrap()
    );
    assert_eq!(batch.records.len(), records.len());
    for (i, (got, want)) in batch.records.iter().zip(records).enumerate() {
        assert_eq!(got.offset, base + i as i64);
        assert_eq!(got.timestamp, want.timestamp);
        assert_eq!(got.key, want.key);
        assert_eq!(got.value, want.value);
        assert_eq!(got.headers, want.headers);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn encode_then_decode(
        records in prop::collection::vec(record(), 1..40),
        options in options(),
    ) {
        let mut out = BytesMut::new();
        encode_batch(&records, &options, &mut out).unwrap();
        let estimate: usize = records.iter().map(record_size_estimate).sum();
        if options.compression == Compression::None {
            prop_assert!(out.len() <= RECORD_BATCH_OVERHEAD + estimate);
        }
        let decoded = decode_batches(out.freeze(), &DecodeLimits::default()).unwrap();
        prop_assert!(!decoded.truncated_tail);
        prop_assert_eq!(decoded.batches.len(), 1);
        check_batch(&decoded.batches[0], &records, &options, 0);
    }

    #[test]
    fn several_batches_with_assigned_offsets(
        batches in prop::collection::vec(
            (prop::collection::vec(record(), 1..8), options()),
            1..5,
        ),
    ) {
        let mut out = BytesMut::new();
        let mut encoder = BatchEncoder::new();
        let mut bases = Vec::new();
        let mut next = 1000i64;
        for (records, options) in &batches {
            let start = out.len();
            encoder.encode(records, options, &mut out).unwrap();
            prop_assert!(set_base_offset(&mut out[start..], next));
            bases.push(next);
            next += records.len() as i64;
        }
        let decoded = decode_batches(out.clone().freeze(), &DecodeLimits::default()).unwrap();
        prop_assert_eq!(decoded.batches.len(), batches.len());
        prop_assert_eq!(decoded.next_offset(), Some(next));
        prop_assert_eq!(
            decoded.record_count(),
            batches.iter().map(|(r, _)| r.len()).sum::<usize>()
        );
        let bytes = out.freeze();
        let decoded = decode_batches(bytes.clone(), &DecodeLimits::default()).unwrap();
        for ((batch, (records, options)), base) in decoded.batches.iter().zip(&batches).zip(bases) {
            check_batch(batch, records, options, base);
        }
        // The same records, every batch's appended to one vector; and a corrupt batch after
        // them appends nothing.
        let mut all = Vec::new();
        let mut reader = BatchReader::new(bytes.clone(), DecodeLimits::default());
        let mut headers = 0;
        while let Some(b) = reader.next_into(&mut all) {
            prop_assert!(b.unwrap().records.is_empty());
            headers += 1;
        }
        prop_assert_eq!(headers, batches.len());
        let want: Vec<ConsumedRecord> =
            decoded.batches.into_iter().flat_map(|b| b.records).collect();
        prop_assert_eq!(&all, &want);
        let mut corrupt = BytesMut::from(&bytes[..]);
        corrupt.extend_from_slice(&bytes);
        let at = bytes.len() + 20;
        corrupt[at] ^= 0xff;
        let mut reader = BatchReader::new(corrupt.freeze(), DecodeLimits::default());
        let mut got = Vec::new();
        let mut failed = false;
        while let Some(b) = reader.next_into(&mut got) {
            failed |= b.is_err();
        }
        prop_assert!(failed, "the CRC catches the flipped byte");
        prop_assert!(got.len() >= want.len() && got[..want.len()] == want[..]);
        prop_assert!(got.len() < 2 * want.len(), "the corrupt batch added nothing");
    }
}
