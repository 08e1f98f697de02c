//! Record batch v2 encode and decode throughput, per codec: 1 000 records of 100-byte values.
//!
//! `cargo bench -p ottla-benches --bench records`

use std::hint::black_box;

use bytes::{Bytes, BytesMut};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ottla_protocol::compression::Compression;
use ottla_protocol::records::{
    decode_batches, BatchEncoder, BatchOptions, DecodeLimits, Header, Record,
};

const RECORDS: usize = 1_000;
const VALUE_SIZE: usize = 100;

/// Values that look like log lines or JSON: words from a small vocabulary with varying numbers,
/// so compression ratios are realistic rather than trivial.
fn records() -> Vec<Record> {
    ottla_benches::json_like_values(RECORDS, VALUE_SIZE)
        .into_iter()
        .enumerate()
        .map(|(i, value)| Record {
            key: Some(Bytes::from(format!("key-{}", i % 64))),
            value: Some(Bytes::from(value)),
            headers: vec![Header::new("source", Some(Bytes::from_static(b"bench")))],
            timestamp: 1_700_000_000_000 + i as i64,
        })
        .collect()
}

fn encode(c: &mut Criterion) {
    let records = records();
    let mut group = c.benchmark_group("records/encode");
    group.throughput(Throughput::Elements(RECORDS as u64));
    for codec in Compression::ALL {
        let options = BatchOptions {
            compression: codec,
            ..BatchOptions::default()
        };
        let mut encoder = BatchEncoder::new();
        let mut out = BytesMut::with_capacity(256 * 1024);
        group.bench_with_input(
            BenchmarkId::from_parameter(codec),
            &records,
            |b, records| {
                b.iter(|| {
                    out.clear();
                    encoder
                        .encode(black_box(records), &options, &mut out)
                        .expect("encode");
                    black_box(out.len())
                })
            },
        );
    }
    group.finish();
}

fn decode(c: &mut Criterion) {
    let records = records();
    let mut group = c.benchmark_group("records/decode");
    group.throughput(Throughput::Elements(RECORDS as u64));
    for codec in Compression::ALL {
        let options = BatchOptions {
            compression: codec,
            ..BatchOptions::default()
        };
        let mut out = BytesMut::new();
        BatchEncoder::new()
            .encode(&records, &options, &mut out)
            .expect("encode");
        let input = out.freeze();
        let limits = DecodeLimits::default();
        group.bench_with_input(BenchmarkId::from_parameter(codec), &input, |b, input| {
            b.iter(|| {
                let decoded = decode_batches(black_box(input.clone()), &limits).expect("decode");
                black_box(decoded.record_count())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, encode, decode);
criterion_main!(benches);
