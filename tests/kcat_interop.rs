//! Interop with the reference client, kcat over librdkafka ≥ 2.16 (`OTTLA_KCAT`): ottla writes
//! and kcat reads, kcat writes and ottla reads, byte for byte, with every codec; ottla's
//! transactions as kcat's read_committed and read_uncommitted readers see them.

use std::io::Write;
use std::process::{Command, Stdio};

use bytes::Bytes;
use ottla::basic::{fetch_partition, produce_batch, FetchOptions, ProduceOptions};
use ottla::protocol::compression::Compression;
use ottla::protocol::records::Record;
use ottla_tests::{bootstrap, client, create_unique_topic, kcat};

const N: usize = 2_000;

/// Keys and values with every byte but the two kcat uses as separators here (`\n`, `\t`),
/// plus multi-byte UTF-8.
fn key(i: usize) -> Vec<u8> {
    format!("k{i}-ключ").into_bytes()
}

fn value(i: usize) -> Vec<u8> {
    let mut v = format!("v{i}-значение-").into_bytes();
    v.extend(
        (0u8..=255)
            .cycle()
            .skip(i % 256)
            .take(i % 300)
            .filter(|b| *b != b'\n' && *b != b'\t'),
    );
    v
}

async fn ottla_writes_kcat_reads(codec: Compression) {
    let (Some(b), Some(kcat)) = (bootstrap(), kcat()) else {
        return;
    };
    let c = client(&b).await;
    let topic = create_unique_topic(&c, &format!("kcat-read-{codec}"), 1, &[]).await;
    let records: Vec<Record> = (0..N)
        .map(|i| Record {
            key: Some(Bytes::from(key(i))),
            value: Some(Bytes::from(value(i))),
            headers: vec![],
            timestamp: 1_700_000_000_000 + i as i64,
        })
        .collect();
    let options = ProduceOptions {
        compression: codec,
        ..ProduceOptions::default()
    };
    for chunk in records.chunks(500) {
        produce_batch(&c, &topic, 0, chunk, &options).await.unwrap();
    }
    let out = kcat_read(&kcat, &b, &topic, &["-f", "%k\t%s\n"]);
    let mut expected = Vec::new();
    for i in 0..N {
        expected.extend(key(i));
        expected.push(b'\t');
        expected.extend(value(i));
        expected.push(b'\n');
    }
    assert_eq!(out.len(), expected.len(), "{codec}: kcat output length");
    assert!(out == expected, "{codec}: kcat read different bytes");
}

async fn kcat_writes_ottla_reads(codec: Compression) {
    let (Some(b), Some(kcat)) = (bootstrap(), kcat()) else {
        return;
    };
    let c = client(&b).await;
    let topic = create_unique_topic(&c, &format!("kcat-write-{codec}"), 1, &[]).await;
    let mut child = Command::new(&kcat)
        .args([
            "-b",
            &b,
            "-P",
            "-t",
            &topic,
            "-p",
            "0",
            "-K",
            "\t",
            "-z",
            codec.name(),
        ])
        .args(["-X", "linger.ms=5"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run kcat");
    {
        let mut stdin = child.stdin.take().unwrap();
        for i in 0..N {
            stdin.write_all(&key(i)).unwrap();
            stdin.write_all(b"\t").unwrap();
            stdin.write_all(&value(i)).unwrap();
            stdin.write_all(b"\n").unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "kcat failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut got = Vec::new();
    let mut offset = 0;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while got.len() < N {
        assert!(
            std::time::Instant::now() < deadline,
            "{codec}: only {} of {N} records",
            got.len()
        );
        let f = fetch_partition(&c, &topic, 0, offset, &FetchOptions::default())
            .await
            .unwrap();
        offset = f.next_offset;
        got.extend(f.records);
    }
    assert_eq!(got.len(), N);
    for (i, r) in got.iter().enumerate() {
        assert_eq!(r.key.as_deref(), Some(&key(i)[..]), "{codec}: key {i}");
        assert_eq!(
            r.value.as_deref(),
            Some(&value(i)[..]),
            "{codec}: value {i}"
        );
    }
}

macro_rules! both_ways {
    ($($name:ident: $codec:expr,)*) => {$(
        mod $name {
            use super::*;
            #[tokio::test]
            async fn ottla_to_kcat() { ottla_writes_kcat_reads($codec).await }
            #[tokio::test]
            async fn kcat_to_ottla() { kcat_writes_ottla_reads($codec).await }
        }
    )*};
}

ottla_tests::for_every_codec!(both_ways);

/// kcat's output for partition 0 of `topic`, from the beginning to its end, with `extra`
/// arguments (`-f` format, `-X` settings); kcat must succeed.
fn kcat_read(kcat: &std::path::Path, b: &str, topic: &str, extra: &[&str]) -> Vec<u8> {
    let out = Command::new(kcat)
        .args([
            "-b",
            b,
            "-C",
            "-t",
            topic,
            "-p",
            "0",
            "-o",
            "beginning",
            "-e",
            "-q",
        ])
        .args(extra)
        .output()
        .expect("run kcat");
    assert!(
        out.status.success(),
        "kcat failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// kcat's values of `topic`, partition 0, from the beginning to the end, at `isolation`.
fn kcat_values(kcat: &std::path::Path, b: &str, topic: &str, isolation: &str) -> Vec<String> {
    let isolation = format!("isolation.level={isolation}");
    String::from_utf8(kcat_read(kcat, b, topic, &["-X", &isolation, "-f", "%s\n"]))
        .expect("utf-8 values")
        .lines()
        .map(str::to_owned)
        .collect()
}

/// ottla's transactional producer commits, aborts and commits 50 records each; kcat with
/// read_committed sees the 100 committed ones in order, with read_uncommitted all 150.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ottla_transactions_read_by_kcat() {
    use ottla::producer::{Producer, ProducerConfig, ProducerRecord};
    let (Some(b), Some(kcat)) = (bootstrap(), kcat()) else {
        return;
    };
    let c = client(&b).await;
    let topic = create_unique_topic(&c, "kcat-txn", 1, &[]).await;
    let mut builder = ProducerConfig::builder();
    builder.bootstrap_servers(&b);
    builder
        .set(
            "transactional.id",
            &ottla_tests::unique_topic("kcat-txn-id"),
        )
        .unwrap();
    let producer = Producer::new(builder.build().unwrap()).await.unwrap();
    producer.init_transactions().await.unwrap();
    for (t, commit) in [(0, true), (1, false), (2, true)] {
        producer.begin_transaction().unwrap();
        for i in 0..50 {
            let _delivery = producer
                .send(ProducerRecord::new(topic.as_str(), format!("t{t}-{i}")))
                .await
                .unwrap();
        }
        producer.flush().await.unwrap();
        if commit {
            producer.commit_transaction().await.unwrap();
        } else {
            producer.abort_transaction().await.unwrap();
        }
    }
    producer
        .close(std::time::Duration::from_secs(10))
        .await
        .unwrap();
    let all = |ts: &[i32]| -> Vec<String> {
        ts.iter()
            .flat_map(|t| (0..50).map(move |i| format!("t{t}-{i}")))
            .collect()
    };
    assert_eq!(
        kcat_values(&kcat, &b, &topic, "read_committed"),
        all(&[0, 2])
    );
    assert_eq!(
        kcat_values(&kcat, &b, &topic, "read_uncommitted"),
        all(&[0, 1, 2])
    );
}
