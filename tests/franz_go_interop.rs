//! Interop with franz-go (kgo v1.22.3), the Go reference client (`OTTLA_GO_PEER`, built by
//! `scripts/install-go-peer.sh`; see `tests/peers/README.md`), against a real broker
//! (`OTTLA_BOOTSTRAP`):
//!
//! - for every codec, franz-go writes the peer records and ottla reads them byte for byte;
//!   ottla's producer writes them and franz-go reads them byte for byte;
//! - franz-go's transactions (commit, abort, commit): ottla's read_committed fetch sees only
//!   the committed records, read_uncommitted all of them;
//! - franz-go's default partitioner and ottla's put keys on the same partitions, computed and
//!   on the broker;
//! - franz-go's perf-produce writes the perf payload, which ottla and perf-consume read.
//!
//! ```sh
//! OTTLA_BOOTSTRAP=127.0.0.1:39092 OTTLA_GO_PEER=$(scripts/install-go-peer.sh) \
//!     cargo test -p ottla-tests --test franz_go_interop
//! ```

use std::sync::Arc;
use std::time::Duration;

use ottla::basic::FetchOptions;
use ottla::partitioner::partition_for_key;
use ottla::producer::{Producer, ProducerConfig};
use ottla::protocol::compression::Compression;
use ottla_tests::peer_records::{
    assert_partition_holds, assert_same_record, create_peer_topic, fetch_to_end, peer_index,
    peer_record, perf_payload, producer_record, record_of, PeerCommand,
};
use ottla_tests::{bootstrap, client, go_peer};

/// Records per run.
const N: i64 = 500;
/// Partitions of each topic; record `i` goes to partition `i % PARTITIONS`.
const PARTITIONS: i64 = 3;

/// The peer records partition `p` holds when record `i` went to partition `i % PARTITIONS`.
fn records_of_partition(p: i64) -> Vec<i64> {
    (0..N).filter(|i| i % PARTITIONS == p).collect()
}

async fn go_writes_ottla_reads(codec: Compression) {
    let (Some(b), Some(go)) = (bootstrap(), go_peer()) else {
        return;
    };
    let c = client(&b).await;
    let topic = create_peer_topic(&c, &format!("franz-go-write-{codec}"), PARTITIONS as i32).await;
    let sent = PeerCommand::new(&go, "produce")
        .broker(&b, &topic)
        .flag("--count", N)
        .flag("--codec", codec.name())
        .flag("--partitions-explicit", PARTITIONS)
        .run_json();
    assert_eq!(sent, serde_json::json!({ "sent": N }));
    for p in 0..PARTITIONS {
        let got = fetch_to_end(&c, &topic, p as i32, &FetchOptions::default()).await;
        assert_partition_holds(
            &format!("{codec}: franz-go → ottla"),
            p as i32,
            &got,
            &records_of_partition(p),
        );
        let offsets: Vec<i64> = got.iter().map(|r| r.offset).collect();
        let dense: Vec<i64> = (0..got.len() as i64).collect();
        assert_eq!(offsets, dense, "{codec}: partition {p} offsets");
    }
}

async fn ottla_writes_go_reads(codec: Compression) {
    let (Some(b), Some(go)) = (bootstrap(), go_peer()) else {
        return;
    };
    let c = client(&b).await;
    let topic = create_peer_topic(&c, &format!("franz-go-read-{codec}"), PARTITIONS as i32).await;
    let mut config = ProducerConfig::builder();
    config
        .bootstrap_servers(&b)
        .compression(codec)
        .linger(Duration::from_millis(5));
    let producer = Producer::new(config.build().expect("producer config"))
        .await
        .expect("producer");
    let name: Arc<str> = Arc::from(topic.as_str());
    let mut deliveries = Vec::new();
    for i in 0..N {
        let record = producer_record(&name, i, Some((i % PARTITIONS) as i32));
        deliveries.push(producer.send(record).await.expect("send"));
    }
    producer.flush().await.expect("flush");
    for (i, d) in (0..N).zip(deliveries) {
        let m = d.await.expect("delivered");
        assert_eq!(
            (i64::from(m.partition), m.offset),
            (i % PARTITIONS, i / PARTITIONS),
            "{codec}: record {i} landed at"
        );
    }
    producer
        .close(Duration::from_secs(30))
        .await
        .expect("close");

    let lines = PeerCommand::new(&go, "consume")
        .broker(&b, &topic)
        .flag("--count", N)
        .consume();
    assert_eq!(lines.len() as i64, N, "{codec}: franz-go read");
    let mut seen = vec![false; N as usize];
    for l in &lines {
        // Partition p holds records p, p + PARTITIONS, … at offsets 0, 1, …
        let i = i64::from(l.partition) + l.offset * PARTITIONS;
        assert!(
            (0..PARTITIONS).contains(&i64::from(l.partition))
                && (0..N).contains(&i)
                && !seen[i as usize],
            "{codec}: franz-go read an unexpected record at partition {} offset {}",
            l.partition,
            l.offset
        );
        seen[i as usize] = true;
        l.assert_is(i, &format!("{codec}: ottla → franz-go"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn franz_go_transactions_commit_abort_commit() {
    let (Some(b), Some(go)) = (bootstrap(), go_peer()) else {
        return;
    };
    const PER_TXN: i64 = 100;
    let c = client(&b).await;
    let topic = create_peer_topic(&c, "franz-go-txn", 1).await;
    let sent = PeerCommand::new(&go, "produce")
        .broker(&b, &topic)
        .flag("--count", PER_TXN)
        .flag("--codec", "zstd")
        .flag("--transactions", "C,A,C")
        .flag("--transactional-id", format!("{topic}-txn"))
        .run_json();
    assert_eq!(
        sent,
        serde_json::json!({ "sent": 3 * PER_TXN, "committed": 2 * PER_TXN })
    );

    let read_committed = FetchOptions {
        read_committed: true,
        ..FetchOptions::default()
    };
    let committed = fetch_to_end(&c, &topic, 0, &read_committed).await;
    let first_and_third: Vec<i64> = (0..PER_TXN).chain(2 * PER_TXN..3 * PER_TXN).collect();
    assert_partition_holds("read_committed", 0, &committed, &first_and_third);

    let all = fetch_to_end(&c, &topic, 0, &FetchOptions::default()).await;
    let indices: Vec<Option<i64>> = all.iter().map(|r| peer_index(r.timestamp)).collect();
    let want: Vec<Option<i64>> = (0..3 * PER_TXN).map(Some).collect();
    assert_eq!(indices, want, "read_uncommitted: all three transactions");
}

/// The partitions franz-go's default partitioner gives `key-0 … key-{n-1}` over `partitions`.
fn go_partitions(go: &std::path::Path, partitions: i32, n: i64) -> Vec<i32> {
    let got = PeerCommand::new(go, "partition")
        .flag("--partitions", partitions)
        .flag("--keys", n)
        .partitions();
    assert_eq!(got.len() as i64, n, "{partitions} partitions: keys");
    got
}

#[test]
fn franz_go_and_ottla_partition_keys_alike() {
    let Some(go) = go_peer() else {
        return;
    };
    const KEYS: i64 = 10_000;
    for partitions in [3, 8, 13] {
        let go = go_partitions(&go, partitions, KEYS);
        let mut used = vec![0; partitions as usize];
        for (i, &p) in go.iter().enumerate() {
            let key = format!("key-{i}");
            assert_eq!(
                partition_for_key(key.as_bytes(), partitions),
                p,
                "{key} over {partitions} partitions: ottla vs franz-go"
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
    let (Some(b), Some(go)) = (bootstrap(), go_peer()) else {
        return;
    };
    const KEYED_PARTITIONS: i32 = 8;
    let c = client(&b).await;
    let where_go = go_partitions(&go, KEYED_PARTITIONS, N);

    // franz-go's producer, its default partitioner → ottla reads.
    let topic = create_peer_topic(&c, "franz-go-keyed-write", KEYED_PARTITIONS).await;
    let sent = PeerCommand::new(&go, "produce")
        .broker(&b, &topic)
        .flag("--count", N)
        .run_json();
    assert_eq!(sent, serde_json::json!({ "sent": N }));
    let mut seen = 0;
    for p in 0..KEYED_PARTITIONS {
        for r in fetch_to_end(&c, &topic, p, &FetchOptions::default()).await {
            let i = peer_index(r.timestamp).expect("a peer record");
            assert_same_record(
                format!(
                    "franz-go's producer: partition {p} offset {} (record {i})",
                    r.offset
                ),
                &record_of(&r),
                &peer_record(i),
            );
            if i % 10 != 3 {
                assert_eq!(p, where_go[i as usize], "franz-go's producer: key-{i}");
            }
            seen += 1;
        }
    }
    assert_eq!(seen, N, "franz-go's producer: records read");

    // ottla's producer, its default partitioner → franz-go reads.
    let topic = create_peer_topic(&c, "franz-go-keyed-read", KEYED_PARTITIONS).await;
    let mut config = ProducerConfig::builder();
    config
        .bootstrap_servers(&b)
        .linger(Duration::from_millis(5));
    let producer = Producer::new(config.build().expect("producer config"))
        .await
        .expect("producer");
    let name: Arc<str> = Arc::from(topic.as_str());
    let mut deliveries = Vec::new();
    for i in 0..N {
        deliveries.push(
            producer
                .send(producer_record(&name, i, None))
                .await
                .expect("send"),
        );
    }
    producer.flush().await.expect("flush");
    let mut placed = Vec::new();
    for d in deliveries {
        let m = d.await.expect("delivered");
        placed.push((m.partition, m.offset));
    }
    producer
        .close(Duration::from_secs(30))
        .await
        .expect("close");
    let lines = PeerCommand::new(&go, "consume")
        .broker(&b, &topic)
        .flag("--count", N)
        .consume();
    assert_eq!(
        lines.len() as i64,
        N,
        "ottla's producer: records franz-go read"
    );
    for l in &lines {
        let i = l.index().expect("a peer record");
        assert_eq!(
            placed.get(i as usize),
            Some(&(l.partition, l.offset)),
            "record {i}: where ottla's delivery report put it"
        );
        l.assert_is(i, "ottla's partitioner → franz-go");
        if i % 10 != 3 {
            assert_eq!(
                l.partition, where_go[i as usize],
                "key-{i}: ottla's producer vs franz-go's partitioner"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn franz_go_perf_produce_and_consume_the_perf_payload() {
    let (Some(b), Some(go)) = (bootstrap(), go_peer()) else {
        return;
    };
    const RECORDS: i64 = 2_000;
    const SIZE: usize = 100;
    let c = client(&b).await;
    let topic = create_peer_topic(&c, "franz-go-perf", 2).await;
    let out = PeerCommand::new(&go, "perf-produce")
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

    let out = PeerCommand::new(&go, "perf-consume")
        .broker(&b, &topic)
        .flag("--records", RECORDS)
        .run_json();
    assert_eq!(out["records"], RECORDS, "{out}");
    assert!(out["consume_s"].as_f64().is_some_and(|s| s > 0.0), "{out}");
}

/// The consume contract: franz-go's consume fails when more records arrive than asked for,
/// instead of printing a prefix.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn franz_go_consume_fails_on_more_records_than_asked() {
    let (Some(b), Some(go)) = (bootstrap(), go_peer()) else {
        return;
    };
    let c = client(&b).await;
    let topic = create_peer_topic(&c, "franz-go-consume-extra", 1).await;
    PeerCommand::new(&go, "produce")
        .broker(&b, &topic)
        .flag("--count", 20)
        .flag("--partitions-explicit", 1)
        .run_json();
    let consume = PeerCommand::new(&go, "consume")
        .broker(&b, &topic)
        .flag("--count", 10);
    let out = consume.output();
    assert_eq!(out.status.code(), Some(1), "`{consume}`: exit status");
    assert!(out.stdout.is_empty(), "`{consume}`: printed a prefix");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("more than the 10 expected"),
        "`{consume}`: stderr {stderr}"
    );
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
