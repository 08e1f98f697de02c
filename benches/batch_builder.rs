//! The producer's hot path: `BatchBuilder` (append records as they arrive, then build) against
//! `encode_batch` of the same records already collected as `Record`s. 1 000 records of
//! 100-byte values, no key or headers, codecs none and lz4; and the append cost of 100
//! 10 KB values (written without zero-filling first).
//!
//! `cargo bench -p ottla-benches --bench batch_builder`

use std::hint::black_box;

use bytes::{Bytes, BytesMut};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ottla_protocol::compression::Compression;
use ottla_protocol::records::{encode_batch, BatchBuilder, BatchOptions, Record};

const RECORDS: usize = 1_000;
const VALUE_SIZE: usize = 100;
const CODECS: [Compression; 2] = [Compression::None, Compression::Lz4];

fn values() -> Vec<Vec<u8>> {
    ottla_benches::json_like_values(RECORDS, VALUE_SIZE)
}

fn timestamp(i: usize) -> i64 {
    1_700_000_000_000 + i as i64
}

fn options(compression: Compression) -> BatchOptions {
    BatchOptions {
        compression,
        ..BatchOptions::default()
    }
}

/// Room for every record (a 100-byte value takes 108 bytes here), as a producer sizes a
/// builder for `batch.size`: no reallocation while appending.
fn builder_capacity(values: &[Vec<u8>]) -> usize {
    values.iter().map(|v| v.len() + 16).sum()
}

fn batch(c: &mut Criterion) {
    let values = values();
    let capacity = builder_capacity(&values);
    let records: Vec<Record> = values
        .iter()
        .enumerate()
        .map(|(i, v)| Record {
            key: None,
            value: Some(Bytes::copy_from_slice(v)),
            headers: Vec::new(),
            timestamp: timestamp(i),
        })
        .collect();

    let mut group = c.benchmark_group("batch_builder");
    group.throughput(Throughput::Elements(RECORDS as u64));
    for codec in CODECS {
        let options = options(codec);
        group.bench_with_input(BenchmarkId::new("builder", codec), &values, |b, values| {
            b.iter(|| black_box(filled(capacity, values).build(&options).expect("build")))
        });
        group.bench_with_input(
            BenchmarkId::new("encode_batch", codec),
            &records,
            |b, records| {
                b.iter(|| {
                    let mut out = BytesMut::new();
                    encode_batch(black_box(records), &options, &mut out).expect("encode");
                    black_box(out.freeze())
                })
            },
        );
        // What the producer would pay without the builder: copy each value into a `Record`
        // as it arrives, then encode the lot.
        group.bench_with_input(
            BenchmarkId::new("records_then_encode_batch", codec),
            &values,
            |b, values| {
                b.iter(|| {
                    let records: Vec<Record> = values
                        .iter()
                        .enumerate()
                        .map(|(i, v)| Record {
                            key: None,
                            value: Some(Bytes::copy_from_slice(black_box(v))),
                            headers: Vec::new(),
                            timestamp: timestamp(i),
                        })
                        .collect();
                    let mut out = BytesMut::new();
                    encode_batch(&records, &options, &mut out).expect("encode");
                    black_box(out.freeze())
                })
            },
        );
    }
    group.finish();
}

/// `new` and `append` without `build` (no header, CRC or compression): the per-record cost on
/// the producer's send path.
fn append(c: &mut Criterion) {
    let values = values();
    let capacity = builder_capacity(&values);
    let mut group = c.benchmark_group("batch_builder/append");
    group.throughput(Throughput::Elements(RECORDS as u64));
    group.bench_function("1000x100B", |b| {
        b.iter(|| black_box(filled(capacity, &values).size_in_bytes()))
    });
    let large = ottla_benches::json_like_values(100, 10_000);
    let large_capacity = builder_capacity(&large);
    group.throughput(Throughput::Bytes(
        large.iter().map(|v| v.len() as u64).sum(),
    ));
    group.bench_function("100x10KB", |b| {
        b.iter(|| black_box(filled(large_capacity, &large).size_in_bytes()))
    });
    group.finish();
}

criterion_group!(benches, batch, append);
criterion_main!(benches);

/// A builder holding every value, appended one at a time as the producer does.
fn filled(capacity: usize, values: &[Vec<u8>]) -> BatchBuilder {
    let mut builder = BatchBuilder::new(capacity);
    for (i, value) in values.iter().enumerate() {
        builder
            .append(timestamp(i), None, Some(black_box(value)), &[])
            .expect("append");
    }
    builder
}
