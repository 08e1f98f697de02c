//! Interop with Apache Kafka's Java client (kafka-clients of the broker's version), the
//! reference client (`OTTLA_JAVA_PEER`, built by `scripts/install-java-peer.sh`; see
//! `tests/peers/README.md`), against a real broker (`OTTLA_BOOTSTRAP`):
//!
//! - for every codec, Java writes the peer records idempotently and ottla reads them byte for
//!   byte; ottla's producer writes them and Java reads them byte for byte;
//! - Java's transactions (commit, abort, commit): ottla's read_committed fetch sees only the
//!   committed records, read_uncommitted every data record and no control record;
//! - Java's default partitioner and ottla's put keys on the same partitions, computed and on
//!   the broker;
//! - Java's perf-produce writes the perf payload, which ottla and perf-consume read.
//!
//! ```sh
//! OTTLA_BOOTSTRAP=127.0.0.1:39092 OTTLA_JAVA_PEER=$(scripts/install-java-peer.sh) \
//!     cargo test -p ottla-tests --test java_interop
//! ```

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use ottla::basic::FetchOptions;
use ottla::partitioner::partition_for_key;
use ottla::producer::{Producer, ProducerConfig};
use ottla::protocol::compression::Compression;
use ottla::protocol::records::ConsumedRecord;
use ottla_tests::peer_records::{
    assert_partition_holds, assert_same_record, create_peer_topic, fetch_to_end, peer_index,
    peer_record, perf_payload, producer_record, record_of, PeerCommand, PeerRecord,
};
use ottla_tests::{bootstrap, client, java_peer};

/// Records per round trip.
const N: i64 = 500;
/// Partitions of each round trip's topic; record `i` goes to partition `i % PARTITIONS`.
const PARTITIONS: i32 = 3;

/// The indices of `0..n` that go to partition `p` when record `i` goes to `i % partitions`.
fn spread(n: i64, partitions: i32, p: i32) -> Vec<i64> {
    (0..n)
        .filter(|i| i % i64::from(partitions) == i64::from(p))
        .collect()
}

async fn java_writes_ottla_reads(codec: Compression) {
    let (Some(b), Some(java)) = (bootstrap(), java_peer()) else {
        return;
    };
    let c = client(&b).await;
    let topic = create_peer_topic(&c, &format!("java-write-{codec}"), PARTITIONS).await;
    let sent = PeerCommand::new(&java, "produce")
        .broker(&b, &topic)
        .flag("--count", N)
        .flag("--codec", codec.name())
        .flag("--idempotent", "true")
        .flag("--partitions-explicit", PARTITIONS)
        .run_json();
    assert_eq!(sent, serde_json::json!({ "sent": N }), "{codec}: produce");
    let what = format!("{codec}: Java → ottla");
    for p in 0..PARTITIONS {
        let got = fetch_to_end(&c, &topic, p, &FetchOptions::default()).await;
        assert_partition_holds(&what, p, &got, &spread(N, PARTITIONS, p));
        // One idempotent producer and no transaction: no control batch, so no offset gap.
        let offsets: Vec<i64> = got.iter().map(|r| r.offset).collect();
        let want: Vec<i64> = (0..offsets.len() as i64).collect();
        assert_eq!(offsets, want, "{what}: partition {p} offsets");
    }
}

/// An ottla producer for `b` with `codec` and `pairs` set.
async fn producer(b: &str, codec: Compression, pairs: &[(&str, &str)]) -> Producer {
    let mut config = ProducerConfig::builder();
    config
        .bootstrap_servers(b)
        .compression(codec)
        .linger(Duration::from_millis(5));
    for (k, v) in pairs {
        config.set(k, v).unwrap_or_else(|e| panic!("{k}={v}: {e}"));
    }
    Producer::new(config.build().expect("producer config"))
        .await
        .expect("producer")
}

/// Sends peer records `0..n` with ottla's producer (record `i` to `partition(i)`), and returns
/// where each landed: (partition, offset) by index.
async fn ottla_sends(
    producer: &Producer,
    topic: &str,
    n: i64,
    partition: impl Fn(i64) -> Option<i32>,
) -> Vec<(i32, i64)> {
    let name: Arc<str> = Arc::from(topic);
    let mut deliveries = Vec::new();
    for i in 0..n {
        let d = producer
            .send(producer_record(&name, i, partition(i)))
            .await
            .unwrap_or_else(|e| panic!("send record {i}: {e}"));
        deliveries.push(d);
    }
    producer.flush().await.expect("flush");
    let mut placed = Vec::new();
    for (i, d) in deliveries.into_iter().enumerate() {
        let m = d
            .await
            .unwrap_or_else(|e| panic!("record {i} not delivered: {e}"));
        placed.push((m.partition, m.offset));
    }
    placed
}

async fn ottla_writes_java_reads(codec: Compression) {
    let (Some(b), Some(java)) = (bootstrap(), java_peer()) else {
        return;
    };
    let c = client(&b).await;
    let topic = create_peer_topic(&c, &format!("java-read-{codec}"), PARTITIONS).await;
    let p = producer(&b, codec, &[]).await;
    let placed = ottla_sends(&p, &topic, N, |i| Some((i % i64::from(PARTITIONS)) as i32)).await;
    p.close(Duration::from_secs(30)).await.expect("close");
    for (i, &(partition, offset)) in placed.iter().enumerate() {
        let i = i as i64;
        assert_eq!(
            (partition, offset),
            (
                (i % i64::from(PARTITIONS)) as i32,
                i / i64::from(PARTITIONS)
            ),
            "{codec}: record {i} delivered at"
        );
    }

    let lines = PeerCommand::new(&java, "consume")
        .broker(&b, &topic)
        .flag("--count", N)
        .consume();
    let what = format!("{codec}: ottla → Java");
    assert_eq!(lines.len() as i64, N, "{what}: records read");
    let mut seen = vec![false; N as usize];
    let mut last_offset = BTreeMap::new();
    for l in &lines {
        // Partition p holds records p, p + PARTITIONS, … at offsets 0, 1, …
        let i = i64::from(l.partition) + l.offset * i64::from(PARTITIONS);
        assert!(
            (0..PARTITIONS).contains(&l.partition) && (0..N).contains(&i) && !seen[i as usize],
            "{what}: unexpected partition {} offset {} (record {:?} by timestamp)",
            l.partition,
            l.offset,
            l.index()
        );
        seen[i as usize] = true;
        let previous = last_offset.insert(l.partition, l.offset);
        assert!(
            previous.is_none_or(|o| o < l.offset),
            "{what}: partition {} read out of order: offset {} after {previous:?}",
            l.partition,
            l.offset
        );
        l.assert_is(i, &what);
    }
}

macro_rules! both_ways {
    ($($name:ident: $codec:expr,)*) => {$(
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn java_to_ottla() { java_writes_ottla_reads($codec).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn ottla_to_java() { ottla_writes_java_reads($codec).await }
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn java_transactions_commit_abort_commit() {
    let (Some(b), Some(java)) = (bootstrap(), java_peer()) else {
        return;
    };
    const PER_TXN: i64 = 100;
    let c = client(&b).await;
    let topic = create_peer_topic(&c, "java-txn", PARTITIONS).await;
    let out = PeerCommand::new(&java, "produce")
        .broker(&b, &topic)
        .flag("--count", PER_TXN)
        .flag("--codec", "lz4")
        .flag("--partitions-explicit", PARTITIONS)
        .flag("--transactions", "C,A,C")
        .flag("--transactional-id", format!("{topic}-txn"))
        .run_json();
    assert_eq!(
        out,
        serde_json::json!({ "sent": 3 * PER_TXN, "committed": 2 * PER_TXN })
    );

    let committed: Vec<i64> = (0..PER_TXN).chain(2 * PER_TXN..3 * PER_TXN).collect();
    let read_committed = FetchOptions {
        read_committed: true,
        ..FetchOptions::default()
    };
    let mut total = 0;
    for p in 0..PARTITIONS {
        let want: Vec<i64> = committed
            .iter()
            .copied()
            .filter(|i| i % i64::from(PARTITIONS) == i64::from(p))
            .collect();
        let got = fetch_to_end(&c, &topic, p, &read_committed).await;
        assert_partition_holds("read_committed (C,A,C)", p, &got, &want);
        total += got.len();
    }
    assert_eq!(total as i64, 2 * PER_TXN, "read_committed: records in all");

    let mut total = 0;
    for p in 0..PARTITIONS {
        let got = fetch_to_end(&c, &topic, p, &FetchOptions::default()).await;
        assert_partition_holds(
            "read_uncommitted (C,A,C)",
            p,
            &got,
            &spread(3 * PER_TXN, PARTITIONS, p),
        );
        // Each transaction ends with a control record (a marker) in every partition it wrote:
        // the first two sit between the data records, so the offsets have two gaps that no
        // record fills (the third marker comes after the last record).
        let last = got.last().expect("records").offset;
        assert_eq!(
            last + 1 - got.len() as i64,
            2,
            "partition {p}: gaps for the first two transactions' markers before offset {last}"
        );
        total += got.len();
    }
    assert_eq!(
        total as i64,
        3 * PER_TXN,
        "read_uncommitted: records in all"
    );
}

/// The partitions Java's default partitioner gives `key-0 … key-{n-1}` over `partitions`.
fn java_partitions(java: &std::path::Path, partitions: i32, n: i64) -> Vec<i32> {
    let got = PeerCommand::new(java, "partition")
        .flag("--partitions", partitions)
        .flag("--keys", n)
        .partitions();
    assert_eq!(got.len() as i64, n, "{partitions} partitions: keys");
    got
}

#[test]
fn java_and_ottla_partition_keys_alike() {
    let Some(java) = java_peer() else {
        return;
    };
    const KEYS: i64 = 10_000;
    for partitions in [3, 8, 13] {
        let java = java_partitions(&java, partitions, KEYS);
        let mut used = vec![0; partitions as usize];
        for (i, &p) in java.iter().enumerate() {
            let key = format!("key-{i}");
            assert_eq!(
                partition_for_key(key.as_bytes(), partitions),
                p,
                "{key} over {partitions} partitions: ottla vs Java"
            );
            used[p as usize] += 1;
        }
        // A constant answer would also agree with a broken hash: every partition gets keys.
        assert!(
            used.iter().all(|&n| n > 0),
            "{partitions} partitions: {used:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyed_records_land_alike_on_the_broker() {
    let (Some(b), Some(java)) = (bootstrap(), java_peer()) else {
        return;
    };
    const KEYED_PARTITIONS: i32 = 8;
    let c = client(&b).await;
    let where_java = java_partitions(&java, KEYED_PARTITIONS, N);

    // Java's producer, its default partitioner → ottla reads.
    let topic = create_peer_topic(&c, "java-keyed-write", KEYED_PARTITIONS).await;
    let sent = PeerCommand::new(&java, "produce")
        .broker(&b, &topic)
        .flag("--count", N)
        .run_json();
    assert_eq!(sent, serde_json::json!({ "sent": N }));
    let mut seen = 0;
    for p in 0..KEYED_PARTITIONS {
        for r in fetch_to_end(&c, &topic, p, &FetchOptions::default()).await {
            let i = peer_index(r.timestamp).expect("a peer record");
            check_placement("Java's producer", i, p, &r, &where_java);
            seen += 1;
        }
    }
    assert_eq!(seen, N, "Java's producer: records read");

    // ottla's producer, its default partitioner → Java reads.
    let topic = create_peer_topic(&c, "java-keyed-read", KEYED_PARTITIONS).await;
    let p = producer(&b, Compression::None, &[]).await;
    let placed = ottla_sends(&p, &topic, N, |_| None).await;
    p.close(Duration::from_secs(30)).await.expect("close");
    let lines = PeerCommand::new(&java, "consume")
        .broker(&b, &topic)
        .flag("--count", N)
        .consume();
    assert_eq!(lines.len() as i64, N, "ottla's producer: records Java read");
    for l in &lines {
        let i = l.index().expect("a peer record");
        assert_eq!(
            placed.get(i as usize),
            Some(&(l.partition, l.offset)),
            "record {i}: where ottla's delivery report put it"
        );
        l.assert_is(i, "ottla's partitioner → Java");
        if i % 10 != 3 {
            assert_eq!(
                l.partition, where_java[i as usize],
                "key-{i}: ottla's producer vs Java's partitioner"
            );
        }
    }
}

/// Record `i` read from partition `p` is byte for byte the peer record and, when keyed, sits
/// where Java's partitioner says.
fn check_placement(what: &str, i: i64, p: i32, r: &ConsumedRecord, where_java: &[i32]) {
    assert_same_record(
        format!("{what}: partition {p} offset {} (record {i})", r.offset),
        &record_of(r),
        &peer_record(i),
    );
    if i % 10 != 3 {
        assert_eq!(p, where_java[i as usize], "{what}: key-{i}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn java_perf_produce_and_consume_the_perf_payload() {
    let (Some(b), Some(java)) = (bootstrap(), java_peer()) else {
        return;
    };
    const RECORDS: i64 = 2_000;
    const SIZE: usize = 100;
    let c = client(&b).await;
    let topic = create_peer_topic(&c, "java-perf", 2).await;
    let out = PeerCommand::new(&java, "perf-produce")
        .broker(&b, &topic)
        .flag("--records", RECORDS)
        .flag("--record-size", SIZE)
        .flag("--compression", "lz4")
        .flag("--acks", "all")
        .flag("--linger-ms", 5)
        .flag("--idempotence", "true")
        .flag("--partitions-hint", 2)
        .run_json();
    assert_eq!(out["records"], RECORDS, "{out}");
    assert_eq!(out["delivered"], RECORDS, "{out}");
    assert!(out["produce_s"].as_f64().is_some_and(|s| s > 0.0), "{out}");

    let payload = perf_payload(SIZE);
    let mut read = 0;
    for p in 0..2 {
        for r in fetch_to_end(&c, &topic, p, &FetchOptions::default()).await {
            let context = format!("partition {p} offset {}", r.offset);
            assert_eq!(r.key, None, "{context}: key");
            assert!(r.headers.is_empty(), "{context}: headers");
            assert_eq!(
                r.value.as_deref(),
                Some(payload.as_slice()),
                "{context}: value"
            );
            read += 1;
        }
    }
    assert_eq!(read, RECORDS, "records ottla read");

    let out = PeerCommand::new(&java, "perf-consume")
        .broker(&b, &topic)
        .flag("--records", RECORDS)
        .run_json();
    assert_eq!(out["records"], RECORDS, "{out}");
    assert!(out["consume_s"].as_f64().is_some_and(|s| s > 0.0), "{out}");
}

/// The consume contract: a peer that gets more records than asked for fails instead of
/// printing a prefix.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn java_consume_fails_on_more_records_than_asked() {
    let (Some(b), Some(java)) = (bootstrap(), java_peer()) else {
        return;
    };
    let c = client(&b).await;
    let topic = create_peer_topic(&c, "java-consume-extra", 1).await;
    PeerCommand::new(&java, "produce")
        .broker(&b, &topic)
        .flag("--count", 20)
        .flag("--partitions-explicit", 1)
        .run_json();
    let consume = PeerCommand::new(&java, "consume")
        .broker(&b, &topic)
        .flag("--count", 10);
    let out = consume.output();
    assert_eq!(out.status.code(), Some(1), "`{consume}`: exit status");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("more than the 10 expected"),
        "`{consume}`: stderr {stderr}"
    );
    let lines: Vec<PeerRecord> = PeerCommand::new(&java, "consume")
        .broker(&b, &topic)
        .flag("--count", 20)
        .consume();
    for (i, l) in lines.iter().enumerate() {
        l.assert_is(i as i64, "20 of 20");
    }
}
