//! BatchBuilder against encode_batch: same bytes for any records and options, sizes that add
//! up, and stamp_producer.

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;

use super::strategies::{options, record};
use super::*;
use crate::compression::{Compression, CompressionError};

fn append(builder: &mut BatchBuilder, record: &Record) -> Result<(), RecordError> {
    builder.append(
        record.timestamp,
        record.key.as_deref(),
        record.value.as_deref(),
        &record.headers,
    )
}

fn build(records: &[Record], options: &BatchOptions, capacity: usize) -> Bytes {
    let mut builder = BatchBuilder::new(capacity);
    for record in records {
        append(&mut builder, record).unwrap();
    }
    builder.build(options).unwrap()
}

fn encode(records: &[Record], options: &BatchOptions) -> Bytes {
    let mut out = BytesMut::new();
    encode_batch(records, options, &mut out).unwrap();
    out.freeze()
}

fn decode_one(batch: Bytes) -> DecodedBatch {
    let mut decoded = decode_batches(batch, &DecodeLimits::default()).unwrap();
    assert!(!decoded.truncated_tail);
    assert_eq!(decoded.batches.len(), 1);
    decoded.batches.remove(0)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn same_bytes_as_encode_batch(
        records in prop::collection::vec(record(), 1..40),
        options in options(),
        capacity in prop_oneof![Just(0usize), 0..4096usize],
    ) {
        let built = build(&records, &options, capacity);
        // Every codec here is deterministic, so compressed batches are byte-equal too.
        prop_assert_eq!(&built, &encode(&records, &options));

        let batch = decode_one(built);
        prop_assert_eq!(batch.base_offset, 0);
        prop_assert_eq!(batch.last_offset_delta as usize, records.len() - 1);
        prop_assert_eq!(batch.compression, options.compression);
        prop_assert_eq!(batch.transactional, options.transactional);
        prop_assert_eq!(batch.producer_id, options.producer_id);
        prop_assert_eq!(batch.producer_epoch, options.producer_epoch);
        prop_assert_eq!(batch.base_sequence, options.base_sequence);
        prop_assert_eq!(batch.partition_leader_epoch, options.partition_leader_epoch);
        prop_assert_eq!(batch.first_timestamp, records[0].timestamp);
        prop_assert_eq!(
            batch.max_timestamp,
            records.iter().map(|r| r.timestamp).max().unwrap()
        );
        prop_assert_eq!(batch.records.len(), records.len());
        for (i, (got, want)) in batch.records.iter().zip(&records).enumerate() {
            prop_assert_eq!(got.offset, i as i64);
            prop_assert_eq!(got.timestamp, want.timestamp);
            prop_assert_eq!(&got.key, &want.key);
            prop_assert_eq!(&got.value, &want.value);
            prop_assert_eq!(&got.headers, &want.headers);
        }
    }

    #[test]
    fn encoded_size_is_what_append_adds(records in prop::collection::vec(record(), 0..40)) {
        let mut builder = BatchBuilder::new(64);
        prop_assert!(builder.is_empty());
        prop_assert_eq!(builder.size_in_bytes(), RECORD_BATCH_OVERHEAD);
        for (i, record) in records.iter().enumerate() {
            let before = builder.size_in_bytes();
            let size = builder
                .encoded_size(
                    record.timestamp,
                    record.key.as_deref(),
                    record.value.as_deref(),
                    &record.headers,
                )
                .unwrap();
            prop_assert!(size <= record_size_estimate(record));
            append(&mut builder, record).unwrap();
            prop_assert_eq!(builder.size_in_bytes(), before + size);
            prop_assert_eq!(builder.record_count(), i + 1);
            prop_assert!(!builder.is_empty());
        }
        let size = builder.size_in_bytes();
        if !records.is_empty() {
            // The uncompressed batch is exactly what `size_in_bytes` said.
            prop_assert_eq!(builder.build(&BatchOptions::default()).unwrap().len(), size);
        }
    }

    #[test]
    fn stamped_batches_decode_with_the_new_fields(
        records in prop::collection::vec(record(), 1..10),
        options in options(),
        producer_id in any::<i64>(),
        producer_epoch in any::<i16>(),
        base_sequence in any::<i32>(),
        transactional in any::<bool>(),
    ) {
        let original = build(&records, &options, 0);
        let mut stamped = BytesMut::from(&original[..]);
        stamp_producer(&mut stamped, producer_id, producer_epoch, base_sequence, transactional)
            .unwrap();
        // Only the stamped fields (and the CRC) changed; same as encoding with them.
        let restamped_options = BatchOptions {
            producer_id,
            producer_epoch,
            base_sequence,
            transactional,
            ..options.clone()
        };
        prop_assert_eq!(&stamped[..], &encode(&records, &restamped_options)[..]);

        // decode_batches checks the CRC.
        let before = decode_one(original);
        let after = decode_one(stamped.freeze());
        prop_assert_eq!(after.producer_id, producer_id);
        prop_assert_eq!(after.producer_epoch, producer_epoch);
        prop_assert_eq!(after.base_sequence, base_sequence);
        prop_assert_eq!(after.transactional, transactional);
        prop_assert_eq!(after.compression, options.compression);
        prop_assert_eq!(&after.records, &before.records);
    }

    #[test]
    fn stamp_producer_never_panics_on_garbage(mut input in prop::collection::vec(any::<u8>(), 0..200)) {
        let original = input.clone();
        if stamp_producer(&mut input, 1, 2, 3, true).is_err() {
            prop_assert_eq!(input, original);
        }
    }

    #[test]
    fn stamp_producer_rejects_corrupt_or_cut_batches(
        records in prop::collection::vec(record(), 1..5),
        cut in 0usize..1000,
        flip in 0usize..1000,
    ) {
        let batch = build(&records, &BatchOptions::default(), 0);

        let cut = cut % batch.len();
        let mut short = batch[..cut].to_vec();
        prop_assert!(stamp_producer(&mut short, 1, 2, 3, false).is_err());
        prop_assert_eq!(&short[..], &batch[..cut]);

        // Any flipped bit is caught: by the magic, length or CRC check. (Bits of the base
        // offset and the partition leader epoch are outside the CRC, as in Kafka.)
        let flip = flip % (batch.len() * 8);
        let mut corrupt = batch.to_vec();
        corrupt[flip / 8] ^= 1 << (flip % 8);
        let result = stamp_producer(&mut corrupt, 1, 2, 3, false);
        let unchecked = flip / 8 < 8 || (12..16).contains(&(flip / 8));
        prop_assert_eq!(result.is_ok(), unchecked, "{:?}", result);
    }
}

#[test]
fn stamp_producer_errors() {
    let records = [Record {
        value: Some(Bytes::from_static(b"v")),
        ..Record::default()
    }];
    let batch = build(&records, &BatchOptions::default(), 0);

    let mut header_only = batch[..RECORD_BATCH_OVERHEAD - 1].to_vec();
    let err = stamp_producer(&mut header_only, 1, 1, 1, false).unwrap_err();
    assert!(matches!(err, RecordError::Malformed(_)), "{err}");
    assert!(stamp_producer(&mut [], 1, 1, 1, false).is_err());

    let mut v1 = batch.to_vec();
    v1[16] = 1;
    assert_eq!(
        stamp_producer(&mut v1, 1, 1, 1, false),
        Err(RecordError::UnsupportedMagic(1))
    );

    let mut trailing = batch.to_vec();
    trailing.push(0);
    let err = stamp_producer(&mut trailing, 1, 1, 1, false).unwrap_err();
    assert!(matches!(err, RecordError::Malformed(_)), "{err}");

    let mut bad_crc = batch.to_vec();
    let last = bad_crc.len() - 1;
    bad_crc[last] ^= 0xff;
    let err = stamp_producer(&mut bad_crc, 1, 1, 1, false).unwrap_err();
    assert!(matches!(err, RecordError::CrcMismatch { .. }), "{err}");
}

#[test]
fn stamp_producer_clears_the_transactional_bit() {
    let records = [Record::default()];
    let options = BatchOptions {
        compression: Compression::Lz4,
        transactional: true,
        producer_id: 9,
        producer_epoch: 1,
        base_sequence: 0,
        ..BatchOptions::default()
    };
    let mut batch = build(&records, &options, 0).to_vec();
    stamp_producer(&mut batch, 9, 2, 0, false).unwrap();
    let decoded = decode_one(Bytes::from(batch));
    assert!(!decoded.transactional);
    assert_eq!(decoded.producer_epoch, 2);
    assert_eq!(decoded.compression, Compression::Lz4);
}

#[test]
fn build_errors() {
    assert_eq!(
        BatchBuilder::new(100).build(&BatchOptions::default()),
        Err(RecordError::EmptyBatch)
    );
    let mut builder = BatchBuilder::new(0);
    builder.append(0, None, None, &[]).unwrap();
    let options = BatchOptions {
        compression: Compression::Zstd,
        compression_level: Some(23),
        ..BatchOptions::default()
    };
    let err = builder.build(&options).unwrap_err();
    assert!(
        matches!(
            err,
            RecordError::Compression(CompressionError::InvalidLevel { level: 23, .. })
        ),
        "{err}"
    );
}

#[test]
fn compression_levels_match_encode_batch() {
    let records: Vec<Record> = (0..50)
        .map(|i| Record {
            key: Some(Bytes::from(format!("key-{}", i % 5))),
            value: Some(Bytes::from(format!("value {i} value {i} value"))),
            headers: vec![Header::new("h", Some(Bytes::from_static(b"x")))],
            timestamp: 1_700_000_000_000 - i,
        })
        .collect();
    for (compression, level) in [
        (Compression::Gzip, Some(1)),
        (Compression::Gzip, Some(9)),
        (Compression::Lz4, Some(17)),
        (Compression::Zstd, Some(3)),
    ] {
        let options = BatchOptions {
            compression,
            compression_level: level,
            ..BatchOptions::default()
        };
        assert_eq!(
            build(&records, &options, 0),
            encode(&records, &options),
            "{compression:?} {level:?}"
        );
    }
}

#[test]
fn oversized_fields_are_errors_and_append_nothing() {
    // Zeroed allocations are not touched (and `Bytes::from(Vec)` does not copy), so these cost
    // address space, not memory.
    let too_long = Bytes::from(vec![0u8; i32::MAX as usize + 1]);
    let half = Bytes::from(vec![0u8; (i32::MAX / 2) as usize + 1]);
    let mut builder = BatchBuilder::new(0);
    builder.append(1, Some(b"k"), None, &[]).unwrap();
    let size = builder.size_in_bytes();

    let cases = [
        (Some(too_long.clone()), None, vec![], "record key"),
        (None, Some(too_long.clone()), vec![], "record value"),
        (
            None,
            None,
            vec![Header::new("h", None), Header::new("h", Some(too_long))],
            "header value",
        ),
        // Each fits, their sum does not.
        (
            Some(half.clone()),
            Some(half),
            vec![Header::new("h", None)],
            "record",
        ),
    ];
    for (key, value, headers, what) in cases {
        let record = Record {
            key,
            value,
            headers,
            timestamp: 2,
        };
        let (key, value) = (record.key.as_deref(), record.value.as_deref());
        let err = builder
            .encoded_size(2, key, value, &record.headers)
            .unwrap_err();
        assert!(
            matches!(err, RecordError::TooLarge { what: w, .. } if w == what),
            "{what}: {err}"
        );
        assert_eq!(append(&mut builder, &record), Err(err.clone()));
        assert_eq!(builder.size_in_bytes(), size);
        assert_eq!(builder.record_count(), 1);

        // encode_batch reports the same error.
        let mut out = BytesMut::new();
        assert_eq!(
            encode_batch(&[record], &BatchOptions::default(), &mut out),
            Err(err)
        );
    }
    assert_eq!(builder.build(&BatchOptions::default()).unwrap().len(), size);
}
