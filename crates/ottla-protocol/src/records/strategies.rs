//! proptest strategies for records and batch options, shared by the codec's property tests.

use bytes::Bytes;
use proptest::prelude::*;

use super::{BatchOptions, Header, Record};
use crate::compression::Compression;

pub(super) fn header() -> impl Strategy<Value = Header> {
    // Few distinct keys so that duplicates are common; some non-ASCII.
    (
        prop::sample::select(vec!["", "a", "b", "trace-id", "ключ"]),
        prop::option::of(prop::collection::vec(any::<u8>(), 0..20)),
    )
        .prop_map(|(key, value)| Header::new(key, value.map(Bytes::from)))
}

pub(super) fn record() -> impl Strategy<Value = Record> {
    (
        prop::option::of(prop::collection::vec(any::<u8>(), 0..64)),
        // Mostly small values; some past 1 KiB, which `BatchBuilder` writes another way.
        prop::option::of(prop_oneof![
            4 => prop::collection::vec(any::<u8>(), 0..300),
            1 => prop::collection::vec(any::<u8>(), 1000..3000),
        ]),
        prop::collection::vec(header(), 0..5),
        prop_oneof![
            any::<i64>(),
            Just(i64::MIN),
            Just(i64::MAX),
            Just(-1i64),
            1_600_000_000_000i64..1_800_000_000_000,
        ],
    )
        .prop_map(|(key, value, headers, timestamp)| Record {
            key: key.map(Bytes::from),
            value: value.map(Bytes::from),
            headers,
            timestamp,
        })
}

pub(super) fn options() -> impl Strategy<Value = BatchOptions> {
    (
        prop::sample::select(Compression::ALL.to_vec()),
        any::<i64>(),
        any::<i16>(),
        any::<i32>(),
        any::<bool>(),
        any::<i32>(),
    )
        .prop_map(
            |(compression, producer_id, producer_epoch, base_sequence, transactional, epoch)| {
                BatchOptions {
                    compression,
                    compression_level: None,
                    producer_id,
                    producer_epoch,
                    base_sequence,
                    transactional,
                    partition_leader_epoch: epoch,
                }
            },
        )
}
