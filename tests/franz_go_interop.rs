//! Interop with franz-go (kgo v1.22.3), the Go reference client (`OTTLA_GO_PEER`, built by
//! `scripts/install-go-peer.sh`; see `tests/peers/README.md`). For every codec: franz-go writes
//! the peer records and ottla reads them byte for byte; ottla's producer writes them and
//! franz-go reads them byte for byte. franz-go's transactions (commit, abort, commit) show
//! ottla's read_committed fetch only the committed records.

use std::sync::Arc;

use bytes::Bytes;
use ottla::basic::{create_topic, fetch_partition, FetchOptions, NewTopic};
use ottla::producer::{Producer, ProducerConfig, ProducerRecord};
use ottla::protocol::compression::Compression;
use ottla::protocol::records::{ConsumedRecord, Header};
use ottla_tests::{bootstrap, client, unique_topic};

/// Records per run.
const N: i64 = 500;
/// Partitions of each topic; record `i` goes to partition `i % PARTITIONS`.
const PARTITIONS: i64 = 3;

async fn new_topic(c: &ottla::Client, prefix: &str, partitions: i64) -> String {
    let topic = unique_topic(prefix);
    create_topic(
        c,
        &NewTopic {
            name: topic.clone(),
            partitions: partitions as i32,
            replication_factor: -1,
            configs: vec![],
        },
    )
    .await
    .expect("create topic");
    topic
}

/// Fetches `partition` of `topic` from offset 0 until the fetch position reaches the end
/// of the log (the high watermark, or the last stable offset for read_committed), returning
/// what it saw.
async fn read_to_end(
    c: &ottla::Client,
    topic: &str,
    partition: i32,
    options: &FetchOptions,
) -> Vec<ConsumedRecord> {
    let mut got = Vec::new();
    let mut offset = 0;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        assert!(
            std::time::Instant::now() < deadline,
            "{topic}-{partition}: still at offset {offset} after 30 s"
        );
        let f = fetch_partition(c, topic, partition, offset, options)
            .await
            .expect("fetch");
        offset = f.next_offset;
        got.extend(f.records);
        let end = if options.read_committed {
            f.last_stable_offset
        } else {
            f.high_watermark
        };
        if end >= 0 && offset >= end {
            return got;
        }
    }
}

/// Checks that `got` (one partition's records in offset order) is the peer records
/// `p, p + PARTITIONS, …` of `0..N` at offsets 0, 1, …, byte for byte.
fn assert_partition_is_peer_records(what: &str, p: i64, got: &[ConsumedRecord]) {
    let want: Vec<i64> = (0..N).filter(|i| i % PARTITIONS == p).collect();
    assert_eq!(got.len(), want.len(), "{what}: partition {p} record count");
    for (offset, (r, &i)) in got.iter().zip(&want).enumerate() {
        let expected = peer::record(i);
        let context = format!("{what}: partition {p} offset {offset} (record {i})");
        assert_eq!(r.offset, offset as i64, "{context}: offset");
        assert_eq!(r.timestamp, expected.timestamp, "{context}: timestamp");
        assert_eq!(r.key.as_deref(), expected.key.as_deref(), "{context}: key");
        assert_eq!(
            r.value.as_deref(),
            expected.value.as_deref(),
            "{context}: value"
        );
        let headers: Vec<(&str, Option<&[u8]>)> = r
            .headers
            .iter()
            .map(|h| (h.key.as_str(), h.value.as_deref()))
            .collect();
        let want_headers: Vec<(&str, Option<&[u8]>)> = expected
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_deref()))
            .collect();
        assert_eq!(headers, want_headers, "{context}: headers");
    }
}

async fn go_writes_ottla_reads(codec: Compression) {
    let (Some(b), Some(go)) = (bootstrap(), peer::go()) else {
        return;
    };
    let c = client(&b).await;
    let topic = new_topic(&c, &format!("franz-go-write-{codec}"), PARTITIONS).await;
    let out = peer::run(
        &go,
        &[
            "produce",
            "--bootstrap",
            &b,
            "--topic",
            &topic,
            "--count",
            &N.to_string(),
            "--codec",
            codec.name(),
            "--partitions-explicit",
            &PARTITIONS.to_string(),
        ],
    );
    assert_eq!(out.trim(), format!(r#"{{"sent":{N}}}"#));
    for p in 0..PARTITIONS {
        let got = read_to_end(&c, &topic, p as i32, &FetchOptions::default()).await;
        assert_partition_is_peer_records(&format!("{codec}: franz-go → ottla"), p, &got);
    }
}

async fn ottla_writes_go_reads(codec: Compression) {
    let (Some(b), Some(go)) = (bootstrap(), peer::go()) else {
        return;
    };
    let c = client(&b).await;
    let topic = new_topic(&c, &format!("franz-go-read-{codec}"), PARTITIONS).await;
    let mut config = ProducerConfig::builder();
    config
        .bootstrap_servers(&b)
        .compression(codec)
        .linger(std::time::Duration::from_millis(5));
    let producer = Producer::new(config.build().expect("producer config"))
        .await
        .expect("producer");
    let name: Arc<str> = Arc::from(topic.as_str());
    let mut deliveries = Vec::new();
    for i in 0..N {
        let r = peer::record(i);
        let record = ProducerRecord {
            topic: Arc::clone(&name),
            partition: Some((i % PARTITIONS) as i32),
            key: r.key.map(Bytes::from),
            value: r.value.map(Bytes::from),
            headers: r
                .headers
                .into_iter()
                .map(|(k, v)| Header::new(k, v.map(Bytes::from)))
                .collect(),
            timestamp: Some(r.timestamp),
        };
        deliveries.push(producer.send(record).await.expect("send"));
    }
    producer.flush().await.expect("flush");
    for (i, d) in deliveries.into_iter().enumerate() {
        let m = d.await.expect("delivered");
        assert_eq!(i64::from(m.partition), i as i64 % PARTITIONS, "record {i}");
        assert_eq!(m.offset, i as i64 / PARTITIONS, "record {i}");
    }
    producer
        .close(std::time::Duration::from_secs(30))
        .await
        .expect("close");

    let out = peer::run(
        &go,
        &[
            "consume",
            "--bootstrap",
            &b,
            "--topic",
            &topic,
            "--count",
            &N.to_string(),
        ],
    );
    let lines: Vec<peer::Line> = out.lines().map(peer::parse_line).collect();
    assert_eq!(lines.len() as i64, N, "{codec}: franz-go read");
    let mut seen = vec![false; N as usize];
    for l in &lines {
        // Partition p holds records p, p + PARTITIONS, … at offsets 0, 1, …
        let i = l.partition + l.offset * PARTITIONS;
        assert!(
            l.partition < PARTITIONS && (0..N).contains(&i) && !seen[i as usize],
            "{codec}: unexpected {l:?}"
        );
        seen[i as usize] = true;
        assert_eq!(
            *l,
            peer::expected_line(i, l.partition, l.offset),
            "{codec}: record {i}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_transactions_ottla_read_committed_sees_only_committed() {
    let (Some(b), Some(go)) = (bootstrap(), peer::go()) else {
        return;
    };
    const PER_TXN: i64 = 100;
    let c = client(&b).await;
    let topic = new_topic(&c, "franz-go-txn", 1).await;
    let txn_id = format!("{topic}-txn");
    let out = peer::run(
        &go,
        &[
            "produce",
            "--bootstrap",
            &b,
            "--topic",
            &topic,
            "--count",
            &PER_TXN.to_string(),
            "--codec",
            "zstd",
            "--transactions",
            "C,A,C",
            "--transactional-id",
            &txn_id,
        ],
    );
    assert_eq!(out.trim(), r#"{"sent":300,"committed":200}"#);

    let committed = read_to_end(
        &c,
        &topic,
        0,
        &FetchOptions {
            read_committed: true,
            ..FetchOptions::default()
        },
    )
    .await;
    let want: Vec<i64> = (0..PER_TXN).chain(2 * PER_TXN..3 * PER_TXN).collect();
    let got: Vec<i64> = committed
        .iter()
        .map(|r| r.timestamp - peer::TIMESTAMP_BASE)
        .collect();
    assert_eq!(
        got, want,
        "read_committed: the first and third transactions"
    );
    for (r, &i) in committed.iter().zip(&want) {
        let expected = peer::record(i);
        assert_eq!(r.key.as_deref(), expected.key.as_deref(), "record {i}: key");
        assert_eq!(
            r.value.as_deref(),
            expected.value.as_deref(),
            "record {i}: value"
        );
    }

    let all = read_to_end(&c, &topic, 0, &FetchOptions::default()).await;
    let got: Vec<i64> = all
        .iter()
        .map(|r| r.timestamp - peer::TIMESTAMP_BASE)
        .collect();
    let want: Vec<i64> = (0..3 * PER_TXN).collect();
    assert_eq!(got, want, "read_uncommitted: all three transactions");
}

macro_rules! both_ways {
    ($($name:ident: $codec:expr,)*) => {$(
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn franz_go_to_ottla() { go_writes_ottla_reads($codec).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn ottla_to_franz_go() { ottla_writes_go_reads($codec).await }
        }
    )*};
}

both_ways! {
    none: Compression::None,
    gzip: Compression::Gzip,
    snappy: Compression::Snappy,
    lz4: Compression::Lz4,
    zstd: Compression::Zstd,
}

/// The peer contract of `tests/peers/README.md`: the peer records, the consume line and
/// running the franz-go peer.
mod peer {
    use std::path::PathBuf;
    use std::process::Command;

    use base64::Engine as _;

    /// Create time of record 0 (ms).
    pub const TIMESTAMP_BASE: i64 = 1_700_000_000_000;

    /// Record `i` of the peer record set.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct PeerRecord {
        pub key: Option<Vec<u8>>,
        pub value: Option<Vec<u8>>,
        pub headers: Vec<(String, Option<Vec<u8>>)>,
        pub timestamp: i64,
    }

    pub fn record(i: i64) -> PeerRecord {
        let key = (i % 10 != 3).then(|| format!("key-{i}").into_bytes());
        let value = (i % 10 != 7).then(|| {
            let mut v = format!("value-{i}:").into_bytes();
            v.extend(std::iter::repeat_n(
                b'a' + (i % 26) as u8,
                (i % 200) as usize,
            ));
            v
        });
        let mut headers = Vec::new();
        if i % 3 != 0 {
            headers.push(("idx".to_owned(), Some(i.to_string().into_bytes())));
            headers.push(("empty".to_owned(), Some(Vec::new())));
            if i % 3 == 2 {
                headers.push(("nullv".to_owned(), None));
            }
        }
        PeerRecord {
            key,
            value,
            headers,
            timestamp: TIMESTAMP_BASE + i,
        }
    }

    /// One line of the peer's `consume` output.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Line {
        pub partition: i64,
        pub offset: i64,
        pub record: PeerRecord,
    }

    pub fn expected_line(i: i64, partition: i64, offset: i64) -> Line {
        Line {
            partition,
            offset,
            record: record(i),
        }
    }

    fn b64(v: &serde_json::Value, what: &str) -> Option<Vec<u8>> {
        match v {
            serde_json::Value::Null => None,
            serde_json::Value::String(s) => Some(
                base64::engine::general_purpose::STANDARD
                    .decode(s)
                    .unwrap_or_else(|e| panic!("{what}: not base64: {e}")),
            ),
            other => panic!("{what}: expected base64 or null, got {other}"),
        }
    }

    pub fn parse_line(line: &str) -> Line {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        let int = |k: &str| {
            v[k].as_i64()
                .unwrap_or_else(|| panic!("no integer {k} in {line}"))
        };
        let headers = v["headers"]
            .as_array()
            .unwrap_or_else(|| panic!("no headers array in {line}"))
            .iter()
            .map(|h| {
                let name = h[0]
                    .as_str()
                    .unwrap_or_else(|| panic!("header name in {line}"));
                (name.to_owned(), b64(&h[1], "header value"))
            })
            .collect();
        Line {
            partition: int("partition"),
            offset: int("offset"),
            record: PeerRecord {
                key: b64(&v["key"], "key"),
                value: b64(&v["value"], "value"),
                headers,
                timestamp: int("timestamp"),
            },
        }
    }

    /// The franz-go peer (`OTTLA_GO_PEER`).
    pub fn go() -> Option<PathBuf> {
        ottla_tests::peer(
            "OTTLA_GO_PEER",
            "the franz-go peer (scripts/install-go-peer.sh)",
        )
        .map(PathBuf::from)
    }

    /// Runs the peer with `args`, asserts it succeeded and returns its stdout.
    pub fn run(exe: &PathBuf, args: &[&str]) -> String {
        let out = Command::new(exe)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", exe.display()));
        assert!(
            out.status.success(),
            "{} {} failed ({}): {}",
            exe.display(),
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("UTF-8 output")
    }
}
