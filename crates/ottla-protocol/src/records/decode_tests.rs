//! Decoder behaviour on damaged, truncated, hostile and special input, and `filter_aborted`.

use bytes::{BufMut, Bytes, BytesMut};
use proptest::prelude::*;

use super::layout::{ATTRIBUTES_OFFSET, CRC_OFFSET};
use super::*;
use crate::compression::{Compression, CompressionError};

fn sample_records(n: usize) -> Vec<Record> {
    (0..n)
        .map(|i| Record {
            key: Some(Bytes::from(format!("key-{i}"))),
            value: Some(Bytes::from(format!("value-{i}"))),
            headers: vec![
                Header::new("dup", Some(Bytes::from("1"))),
                Header::new("dup", Some(Bytes::from("2"))),
                Header::new("dup", None),
            ],
            timestamp: 1_000 + i as i64,
        })
        .collect()
}

fn batch(records: &[Record], options: &BatchOptions, base_offset: i64) -> BytesMut {
    let mut out = BytesMut::new();
    encode_batch(records, options, &mut out).unwrap();
    set_base_offset(&mut out, base_offset);
    out
}

fn fix_crc(batch: &mut [u8]) {
    let crc = crc32c::crc32c(&batch[ATTRIBUTES_OFFSET..]);
    batch[CRC_OFFSET..CRC_OFFSET + 4].copy_from_slice(&crc.to_be_bytes());
}

fn decode(bytes: &[u8]) -> Result<DecodedBatches, RecordError> {
    decode_batches(Bytes::copy_from_slice(bytes), &DecodeLimits::default())
}

#[test]
fn duplicate_headers_kept_in_order() {
    let records = sample_records(2);
    let decoded = decode(&batch(&records, &BatchOptions::default(), 0)).unwrap();
    assert_eq!(decoded.batches[0].records[1].headers, records[1].headers);
}

#[test]
fn uncompressed_decoding_is_zero_copy() {
    let input = batch(&sample_records(3), &BatchOptions::default(), 0).freeze();
    let range = input.as_ptr() as usize..input.as_ptr() as usize + input.len();
    let decoded = decode_batches(input.clone(), &DecodeLimits::default()).unwrap();
    for record in &decoded.batches[0].records {
        let key = record.key.as_ref().unwrap();
        assert!(range.contains(&(key.as_ptr() as usize)));
        let value = record.value.as_ref().unwrap();
        assert!(range.contains(&(value.as_ptr() as usize)));
    }
}

#[test]
fn every_flipped_byte_under_the_crc_is_detected() {
    for codec in Compression::ALL {
        let options = BatchOptions {
            compression: codec,
            ..BatchOptions::default()
        };
        let good = batch(&sample_records(3), &options, 0);
        for i in ATTRIBUTES_OFFSET..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 0x40;
            match decode(&bad) {
                Err(RecordError::CrcMismatch { base_offset: 0, .. }) => {}
                other => panic!("{codec} byte {i}: {other:?}"),
            }
        }
        // A flipped CRC byte is a mismatch too.
        let mut bad = good.clone();
        bad[CRC_OFFSET] ^= 1;
        assert!(matches!(decode(&bad), Err(RecordError::CrcMismatch { .. })));
    }
}

#[test]
fn truncated_tail_is_reported_not_an_error() {
    let first = batch(&sample_records(2), &BatchOptions::default(), 0);
    let second = batch(&sample_records(3), &BatchOptions::default(), 2);
    let mut all = first.clone();
    all.extend_from_slice(&second);
    for cut in 0..=second.len() {
        let input = &all[..first.len() + cut];
        let decoded = decode(input).unwrap();
        if cut == second.len() {
            assert_eq!(decoded.batches.len(), 2);
            assert!(!decoded.truncated_tail);
            assert_eq!(decoded.next_offset(), Some(5));
        } else {
            assert_eq!(decoded.batches.len(), 1, "cut {cut}");
            assert_eq!(decoded.truncated_tail, cut > 0, "cut {cut}");
            assert_eq!(decoded.next_offset(), Some(2));
        }
    }
    // Only a partial batch: nothing decoded, no error.
    let decoded = decode(&first[..first.len() - 1]).unwrap();
    assert!(decoded.batches.is_empty() && decoded.truncated_tail);
    assert_eq!(decoded.next_offset(), None);
    let decoded = decode(&[]).unwrap();
    assert!(decoded.batches.is_empty() && !decoded.truncated_tail);
}

#[test]
fn batch_reader_yields_batches_before_an_error() {
    let mut all = batch(&sample_records(2), &BatchOptions::default(), 0);
    let mut bad = batch(&sample_records(2), &BatchOptions::default(), 2);
    let last = bad.len() - 1;
    bad[last] ^= 1;
    all.extend_from_slice(&bad);
    all.extend_from_slice(&batch(&sample_records(2), &BatchOptions::default(), 4));
    let mut reader = BatchReader::new(all.freeze(), DecodeLimits::default());
    assert_eq!(reader.next().unwrap().unwrap().base_offset, 0);
    assert!(matches!(
        reader.next(),
        Some(Err(RecordError::CrcMismatch { base_offset: 2, .. }))
    ));
    assert!(reader.next().is_none());
}

#[test]
fn decompression_bomb_is_stopped() {
    let records = vec![Record {
        value: Some(Bytes::from(vec![0u8; 4 << 20])),
        ..Record::default()
    }];
    for codec in [
        Compression::Gzip,
        Compression::Snappy,
        Compression::Lz4,
        Compression::Zstd,
    ] {
        let options = BatchOptions {
            compression: codec,
            ..BatchOptions::default()
        };
        let input = batch(&records, &options, 0);
        assert!(input.len() < 1 << 20, "{codec}: {}", input.len());
        let limits = DecodeLimits {
            max_decompressed_bytes: 1 << 20,
        };
        let err = decode_batches(input.clone().freeze(), &limits).unwrap_err();
        assert_eq!(
            err,
            RecordError::Compression(CompressionError::TooLarge {
                codec,
                limit: 1 << 20
            })
        );
        let decoded = decode_batches(input.freeze(), &DecodeLimits::default()).unwrap();
        assert_eq!(
            decoded.batches[0].records[0].value.as_ref().unwrap().len(),
            4 << 20
        );
    }
}

#[test]
fn control_batch_is_recognised() {
    let options = BatchOptions {
        producer_id: 8,
        producer_epoch: 2,
        ..BatchOptions::default()
    };
    let mut input = batch(&sample_records(1), &options, 0);
    let start = input.len();
    encode_control_batch(ControlKind::Commit, 17, 5_000, &options, &mut input).unwrap();
    set_base_offset(&mut input[start..], 1);
    let decoded = decode(&input).unwrap();
    let control = &decoded.batches[1];
    assert!(control.is_control && control.transactional);
    assert!(control.records.is_empty());
    assert_eq!(
        control.control,
        Some(ControlRecord {
            kind: ControlKind::Commit,
            version: 0,
            coordinator_epoch: 17
        })
    );
    assert_eq!(control.producer_id, 8);
    assert_eq!(decoded.record_count(), 1);
    assert_eq!(decoded.next_offset(), Some(2));
}

#[test]
fn old_magic_is_unsupported() {
    for magic in [0u8, 1, 3, 0xff] {
        let mut input = batch(&sample_records(1), &BatchOptions::default(), 0);
        input[16] = magic;
        assert_eq!(
            decode(&input),
            Err(RecordError::UnsupportedMagic(magic as i8))
        );
        // Even when the batch is cut short, the magic is enough to tell.
        assert_eq!(
            decode(&input[..20]),
            Err(RecordError::UnsupportedMagic(magic as i8))
        );
    }
}

#[test]
fn bad_lengths_and_counts_are_errors() {
    let good = batch(&sample_records(3), &BatchOptions::default(), 0);

    let mut negative = good.clone();
    negative[8..12].copy_from_slice(&(-5i32).to_be_bytes());
    assert!(matches!(decode(&negative), Err(RecordError::Malformed(_))));

    let mut short = BytesMut::new();
    short.put_i64(0);
    short.put_i32(20);
    short.put_i32(0);
    short.put_i8(2);
    short.put_bytes(0, 15);
    assert!(matches!(decode(&short), Err(RecordError::Malformed(_))));

    for count in [0, 2, 4, 1000, i32::MAX] {
        let mut bad = good.clone();
        bad[57..61].copy_from_slice(&count.to_be_bytes());
        fix_crc(&mut bad);
        assert!(
            matches!(decode(&bad), Err(RecordError::RecordCountMismatch { .. })),
            "{count}: {:?}",
            decode(&bad)
        );
    }
    let mut bad = good.clone();
    bad[57..61].copy_from_slice(&(-1i32).to_be_bytes());
    fix_crc(&mut bad);
    assert!(matches!(decode(&bad), Err(RecordError::Malformed(_))));

    // First record's length varint (zig-zag) made larger than the record.
    let mut bad = good.clone();
    bad[61] += 2;
    fix_crc(&mut bad);
    assert!(decode(&bad).is_err());
}

#[test]
fn unknown_codec_is_an_error() {
    for bits in [5i16, 6, 7] {
        let mut bad = batch(&sample_records(1), &BatchOptions::default(), 0);
        bad[21..23].copy_from_slice(&bits.to_be_bytes());
        fix_crc(&mut bad);
        assert_eq!(decode(&bad), Err(RecordError::UnknownCompression(bits)));
    }
}

#[test]
fn log_append_time_uses_the_max_timestamp() {
    let mut input = batch(&sample_records(3), &BatchOptions::default(), 0);
    // A broker with LogAppendTime sets bit 3 and the max timestamp.
    input[22] |= 1 << 3;
    input[35..43].copy_from_slice(&9_999i64.to_be_bytes());
    fix_crc(&mut input);
    let decoded = decode(&input).unwrap();
    let batch = &decoded.batches[0];
    assert_eq!(batch.timestamp_type, TimestampType::LogAppendTime);
    assert!(batch.records.iter().all(|r| r.timestamp == 9_999));
}

#[test]
fn invalid_utf8_header_keys_are_replaced() {
    let mut input = BytesMut::new();
    encode_batch(
        &[Record {
            headers: vec![Header::new("ab", None)],
            ..Record::default()
        }],
        &BatchOptions::default(),
        &mut input,
    )
    .unwrap();
    let at = input.windows(2).position(|w| w == b"ab").unwrap();
    input[at] = 0xff;
    fix_crc(&mut input);
    let decoded = decode(&input).unwrap();
    assert_eq!(&*decoded.batches[0].records[0].headers[0].key, "\u{fffd}b");
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = decode(&data);
    }

    #[test]
    fn mutated_batches_with_fixed_crc_never_panic(
        codec in prop::sample::select(Compression::ALL.to_vec()),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let options = BatchOptions { compression: codec, ..BatchOptions::default() };
        let mut input = batch(&sample_records(4), &options, 0);
        for (index, byte) in edits {
            let i = ATTRIBUTES_OFFSET + index.index(input.len() - ATTRIBUTES_OFFSET);
            input[i] = byte;
        }
        fix_crc(&mut input);
        let _ = decode(&input);
    }
}

// ---- filter_aborted ----

fn txn_batch(producer_id: i64, base_offset: i64, records: usize, transactional: bool) -> BytesMut {
    let options = BatchOptions {
        producer_id,
        producer_epoch: 0,
        base_sequence: 0,
        transactional,
        ..BatchOptions::default()
    };
    batch(&sample_records(records), &options, base_offset)
}

fn marker(producer_id: i64, offset: i64, kind: ControlKind) -> BytesMut {
    let options = BatchOptions {
        producer_id,
        producer_epoch: 0,
        ..BatchOptions::default()
    };
    let mut out = BytesMut::new();
    encode_control_batch(kind, 0, 0, &options, &mut out).unwrap();
    set_base_offset(&mut out, offset);
    out
}

fn fetched(parts: &[BytesMut]) -> Vec<DecodedBatch> {
    let mut all = BytesMut::new();
    for part in parts {
        all.extend_from_slice(part);
    }
    decode(&all).unwrap().batches
}

fn offsets(batches: &[DecodedBatch]) -> Vec<i64> {
    batches.iter().map(|b| b.base_offset).collect()
}

fn aborted(producer_id: i64, first_offset: i64) -> AbortedTransaction {
    AbortedTransaction {
        producer_id,
        first_offset,
    }
}

#[test]
fn aborted_transaction_is_dropped_with_its_marker() {
    let batches = fetched(&[
        txn_batch(1, 0, 2, true),
        txn_batch(2, 2, 1, true),
        txn_batch(1, 3, 2, true),
        marker(1, 5, ControlKind::Abort),
        marker(2, 6, ControlKind::Commit),
        txn_batch(3, 7, 1, false),
    ]);
    let kept = filter_aborted(batches.clone(), &[aborted(1, 0)]);
    assert_eq!(offsets(&kept), vec![2, 7]);
    // Without aborted transactions only the markers go.
    assert_eq!(offsets(&filter_aborted(batches, &[])), vec![0, 2, 3, 7]);
}

#[test]
fn aborted_producer_is_active_only_from_first_offset_until_its_abort_marker() {
    let batches = fetched(&[
        txn_batch(1, 0, 1, true),
        marker(1, 1, ControlKind::Commit),
        txn_batch(1, 2, 1, true),
        txn_batch(1, 3, 1, true),
        marker(1, 4, ControlKind::Abort),
        txn_batch(1, 5, 1, true),
        marker(1, 6, ControlKind::Commit),
    ]);
    let kept = filter_aborted(batches, &[aborted(1, 2)]);
    assert_eq!(offsets(&kept), vec![0, 5]);
}

#[test]
fn aborted_list_order_does_not_matter_and_non_transactional_batches_stay() {
    let batches = fetched(&[
        txn_batch(1, 0, 1, true),
        txn_batch(2, 1, 1, true),
        txn_batch(1, 2, 1, false),
        txn_batch(-1, 3, 1, false),
        marker(2, 4, ControlKind::Abort),
        marker(1, 5, ControlKind::Abort),
        txn_batch(2, 6, 1, true),
    ]);
    let list = [aborted(2, 1), aborted(1, 0)];
    let kept = filter_aborted(batches.clone(), &list);
    assert_eq!(offsets(&kept), vec![2, 3, 6]);
    let reversed = [list[1], list[0]];
    assert_eq!(offsets(&filter_aborted(batches, &reversed)), vec![2, 3, 6]);
}

#[test]
fn aborted_transaction_starting_inside_a_batch_counts_for_that_batch() {
    // The aborted transaction's first offset falls within the batch's range (2..=4).
    let batches = fetched(&[txn_batch(1, 2, 3, true), marker(1, 5, ControlKind::Abort)]);
    assert!(filter_aborted(batches, &[aborted(1, 4)]).is_empty());
}

#[test]
fn aborted_transaction_from_kafka_protocol() {
    let t = kafka_protocol::messages::fetch_response::AbortedTransaction::default()
        .with_producer_id(kafka_protocol::messages::ProducerId(9))
        .with_first_offset(33);
    assert_eq!(AbortedTransaction::from(&t), aborted(9, 33));
}

#[test]
fn empty_batches_decode() {
    // Compaction can leave a batch with no records, compressed bit and all.
    for codec in Compression::ALL {
        let mut input = batch(&sample_records(3), &BatchOptions::default(), 10);
        input.truncate(61);
        let len: i32 = 61 - 12;
        input[8..12].copy_from_slice(&len.to_be_bytes());
        input[57..61].copy_from_slice(&0i32.to_be_bytes());
        input[22] = codec.attribute_bits() as u8;
        fix_crc(&mut input);
        let decoded = decode(&input).unwrap();
        let b = &decoded.batches[0];
        assert!(b.records.is_empty());
        assert_eq!(b.compression, codec);
        assert_eq!(decoded.next_offset(), Some(13), "last offset delta kept");
    }
}
