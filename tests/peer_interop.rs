//! Interop with the reference-client peers (`tests/peers/README.md`), against a real broker
//! (`OTTLA_BOOTSTRAP`): Apache Kafka's Java client, kafka-clients of the broker's version
//! (`OTTLA_JAVA_PEER`, built by `scripts/install-java-peer.sh`), and franz-go, kgo v1.22.3
//! (`OTTLA_GO_PEER`, built by `scripts/install-go-peer.sh`). Each scenario is written once for
//! any peer and runs for each, as `java::…` and `franz_go::…`:
//!
//! - `<codec>::peer_to_ottla`, `<codec>::ottla_to_peer`: for every codec, the peer writes the
//!   peer records idempotently and ottla reads them byte for byte at dense offsets; ottla's
//!   producer writes them and the peer reads them byte for byte, in offset order;
//! - `transactions_commit_abort_commit`: the peer's transactions (commit, abort, commit; with
//!   lz4 and with zstd): ottla's read_committed fetch sees only the committed records,
//!   read_uncommitted every data record and no control record;
//! - `partition_keys_alike`, `keyed_records_land_alike_on_the_broker`: the peer's default
//!   partitioner and ottla's put keys on the same partitions, computed over 3, 8 and 13
//!   partitions, and on the broker both ways;
//! - `perf_produce_and_consume_the_perf_payload`: the peer's perf-produce writes the perf
//!   payload, which ottla and the peer's perf-consume read;
//! - `consume_fails_on_more_records_than_asked`: the consume contract.
//!
//! ```sh
//! OTTLA_BOOTSTRAP=127.0.0.1:39092 OTTLA_JAVA_PEER=$(scripts/install-java-peer.sh) \
//!     OTTLA_GO_PEER=$(scripts/install-go-peer.sh) \
//!     cargo test -p ottla-tests --test peer_interop   # -- java:: or -- franz_go:: for one peer
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ottla::basic::FetchOptions;
use ottla::partitioner::partition_for_key;
use ottla::producer::{Producer, ProducerConfig};
use ottla::protocol::compression::Compression;
use ottla::protocol::records::ConsumedRecord;
use ottla_tests::peer_records::{
    assert_partition_holds, assert_same_record, create_peer_topic, fetch_to_end, peer_index,
    peer_record, perf_payload, producer_record, record_of, PeerCommand,
};
use ottla_tests::{bootstrap, client, go_peer, java_peer};

/// Records per round trip.
const N: i64 = 500;
/// Partitions of each round trip's topic; record `i` goes to partition `i % PARTITIONS`.
const PARTITIONS: i32 = 3;

/// A reference-client peer: its name (in messages and topic names) and its executable.
#[derive(Debug)]
struct Peer {
    name: &'static str,
    exe: PathBuf,
}

impl Peer {
    /// `subcommand` of this peer, no flags yet.
    fn command(&self, subcommand: &str) -> PeerCommand {
        PeerCommand::new(&self.exe, subcommand)
    }

    /// The partitions this peer's default partitioner gives `key-0 … key-{n-1}` over
    /// `partitions`.
    fn partitions_of_keys(&self, partitions: i32, n: i64) -> Vec<i32> {
        let got = self
            .command("partition")
            .flag("--partitions", partitions)
            .flag("--keys", n)
            .partitions();
        assert_eq!(
            got.len() as i64,
            n,
            "{}: {partitions} partitions: keys",
            self.name
        );
        got
    }
}

/// The indices of `0..n` that go to partition `p` when record `i` goes to `i % partitions`.
fn spread(n: i64, partitions: i32, p: i32) -> Vec<i64> {
    (0..n)
        .filter(|i| i % i64::from(partitions) == i64::from(p))
        .collect()
}

/// An ottla producer for `b` with `codec`.
async fn producer(b: &str, codec: Compression) -> Producer {
    let mut config = ProducerConfig::builder();
    config
        .bootstrap_servers(b)
        .compression(codec)
        .linger(Duration::from_millis(5));
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

/// The peer writes the peer records idempotently with `codec`, record `i` to partition
/// `i % PARTITIONS`; ottla reads them byte for byte.
async fn peer_writes_ottla_reads(b: &str, peer: &Peer, codec: Compression) {
    let c = client(b).await;
    let topic = create_peer_topic(&c, &format!("{}-write-{codec}", peer.name), PARTITIONS).await;
    let sent = peer
        .command("produce")
        .broker(b, &topic)
        .flag("--count", N)
        .flag("--codec", codec.name())
        .flag("--idempotent", "true")
        .flag("--partitions-explicit", PARTITIONS)
        .run_json();
    assert_eq!(
        sent,
        serde_json::json!({ "sent": N }),
        "{codec}: {} produce",
        peer.name
    );
    let what = format!("{codec}: {} → ottla", peer.name);
    for p in 0..PARTITIONS {
        let got = fetch_to_end(&c, &topic, p, &FetchOptions::default()).await;
        assert_partition_holds(&what, p, &got, &spread(N, PARTITIONS, p));
        // One idempotent producer and no transaction: no control batch, so no offset gap.
        let offsets: Vec<i64> = got.iter().map(|r| r.offset).collect();
        let want: Vec<i64> = (0..offsets.len() as i64).collect();
        assert_eq!(offsets, want, "{what}: partition {p} offsets");
    }
}

/// ottla's producer writes the peer records with `codec`, record `i` to partition
/// `i % PARTITIONS`; the peer reads them byte for byte, each partition in offset order.
async fn ottla_writes_peer_reads(b: &str, peer: &Peer, codec: Compression) {
    let c = client(b).await;
    let topic = create_peer_topic(&c, &format!("{}-read-{codec}", peer.name), PARTITIONS).await;
    let p = producer(b, codec).await;
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

    let lines = peer
        .command("consume")
        .broker(b, &topic)
        .flag("--count", N)
        .consume();
    let what = format!("{codec}: ottla → {}", peer.name);
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

/// The peer's transactions C,A,C, each of 100 records, with lz4 and with zstd.
async fn transactions_commit_abort_commit(b: &str, peer: &Peer) {
    for codec in [Compression::Lz4, Compression::Zstd] {
        commit_abort_commit(b, peer, codec).await;
    }
}

/// The peer writes three transactions of `PER_TXN` records with `codec` (commit, abort,
/// commit), record `i` to partition `i % PARTITIONS`: ottla's read_committed fetch returns the
/// first and third, read_uncommitted all three with a gap for each of the first two markers.
async fn commit_abort_commit(b: &str, peer: &Peer, codec: Compression) {
    const PER_TXN: i64 = 100;
    let c = client(b).await;
    let topic = create_peer_topic(&c, &format!("{}-txn-{codec}", peer.name), PARTITIONS).await;
    let out = peer
        .command("produce")
        .broker(b, &topic)
        .flag("--count", PER_TXN)
        .flag("--codec", codec.name())
        .flag("--partitions-explicit", PARTITIONS)
        .flag("--transactions", "C,A,C")
        .flag("--transactional-id", format!("{topic}-txn"))
        .run_json();
    assert_eq!(
        out,
        serde_json::json!({ "sent": 3 * PER_TXN, "committed": 2 * PER_TXN }),
        "{codec}: {} produce",
        peer.name
    );

    let committed: Vec<i64> = (0..PER_TXN).chain(2 * PER_TXN..3 * PER_TXN).collect();
    let read_committed = FetchOptions {
        read_committed: true,
        ..FetchOptions::default()
    };
    let what = format!("{codec}: {} read_committed (C,A,C)", peer.name);
    let mut total = 0;
    for p in 0..PARTITIONS {
        let want: Vec<i64> = committed
            .iter()
            .copied()
            .filter(|i| i % i64::from(PARTITIONS) == i64::from(p))
            .collect();
        let got = fetch_to_end(&c, &topic, p, &read_committed).await;
        assert_partition_holds(&what, p, &got, &want);
        total += got.len();
    }
    assert_eq!(total as i64, 2 * PER_TXN, "{what}: records in all");

    let what = format!("{codec}: {} read_uncommitted (C,A,C)", peer.name);
    let mut total = 0;
    for p in 0..PARTITIONS {
        let got = fetch_to_end(&c, &topic, p, &FetchOptions::default()).await;
        assert_partition_holds(&what, p, &got, &spread(3 * PER_TXN, PARTITIONS, p));
        // Each transaction ends with a control record (a marker) in every partition it wrote:
        // the first two sit between the data records, so the offsets have two gaps that no
        // record fills (the third marker comes after the last record).
        let last = got.last().expect("records").offset;
        assert_eq!(
            last + 1 - got.len() as i64,
            2,
            "{what}: partition {p}: gaps for the first two transactions' markers before offset \
             {last}"
        );
        total += got.len();
    }
    assert_eq!(total as i64, 3 * PER_TXN, "{what}: records in all");
}

/// The peer's default partitioner and ottla's give each of 10 000 keys the same partition over
/// 3, 8 and 13 partitions (no broker needed).
fn partition_keys_alike(peer: &Peer) {
    const KEYS: i64 = 10_000;
    for partitions in [3, 8, 13] {
        let theirs = peer.partitions_of_keys(partitions, KEYS);
        let mut used = vec![0; partitions as usize];
        for (i, &p) in theirs.iter().enumerate() {
            let key = format!("key-{i}");
            assert_eq!(
                partition_for_key(key.as_bytes(), partitions),
                p,
                "{key} over {partitions} partitions: ottla vs {}",
                peer.name
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

/// Keyed peer records, placed by each side's default partitioner: the peer's producer → ottla
/// reads, and ottla's producer → the peer reads; each keyed record sits where the peer's
/// partitioner says.
async fn keyed_records_land_alike_on_the_broker(b: &str, peer: &Peer) {
    const KEYED_PARTITIONS: i32 = 8;
    let c = client(b).await;
    let where_peer = peer.partitions_of_keys(KEYED_PARTITIONS, N);

    // The peer's producer, its default partitioner → ottla reads.
    let topic =
        create_peer_topic(&c, &format!("{}-keyed-write", peer.name), KEYED_PARTITIONS).await;
    let sent = peer
        .command("produce")
        .broker(b, &topic)
        .flag("--count", N)
        .run_json();
    assert_eq!(
        sent,
        serde_json::json!({ "sent": N }),
        "{} produce",
        peer.name
    );
    let what = format!("{}'s producer", peer.name);
    let mut seen = 0;
    for p in 0..KEYED_PARTITIONS {
        for r in fetch_to_end(&c, &topic, p, &FetchOptions::default()).await {
            let i = peer_index(r.timestamp).expect("a peer record");
            check_placement(&what, i, p, &r, &where_peer);
            seen += 1;
        }
    }
    assert_eq!(seen, N, "{what}: records read");

    // ottla's producer, its default partitioner → the peer reads.
    let topic = create_peer_topic(&c, &format!("{}-keyed-read", peer.name), KEYED_PARTITIONS).await;
    let p = producer(b, Compression::None).await;
    let placed = ottla_sends(&p, &topic, N, |_| None).await;
    p.close(Duration::from_secs(30)).await.expect("close");
    let lines = peer
        .command("consume")
        .broker(b, &topic)
        .flag("--count", N)
        .consume();
    assert_eq!(
        lines.len() as i64,
        N,
        "ottla's producer: records {} read",
        peer.name
    );
    let what = format!("ottla's partitioner → {}", peer.name);
    for l in &lines {
        let i = l.index().expect("a peer record");
        assert_eq!(
            placed.get(i as usize),
            Some(&(l.partition, l.offset)),
            "record {i}: where ottla's delivery report put it"
        );
        l.assert_is(i, &what);
        if i % 10 != 3 {
            assert_eq!(
                l.partition, where_peer[i as usize],
                "key-{i}: ottla's producer vs {}'s partitioner",
                peer.name
            );
        }
    }
}

/// Record `i` read from partition `p` is byte for byte the peer record and, when keyed, sits
/// where the peer's partitioner says.
fn check_placement(what: &str, i: i64, p: i32, r: &ConsumedRecord, where_peer: &[i32]) {
    assert_same_record(
        format!("{what}: partition {p} offset {} (record {i})", r.offset),
        &record_of(r),
        &peer_record(i),
    );
    if i % 10 != 3 {
        assert_eq!(p, where_peer[i as usize], "{what}: key-{i}");
    }
}

/// The peer's perf-produce writes 2 000 perf payloads, which ottla reads byte for byte and the
/// peer's perf-consume counts.
async fn perf_produce_and_consume_the_perf_payload(b: &str, peer: &Peer) {
    const RECORDS: i64 = 2_000;
    const SIZE: usize = 100;
    let c = client(b).await;
    let topic = create_peer_topic(&c, &format!("{}-perf", peer.name), 2).await;
    let out = peer
        .command("perf-produce")
        .broker(b, &topic)
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

    let out = peer
        .command("perf-consume")
        .broker(b, &topic)
        .flag("--records", RECORDS)
        .run_json();
    assert_eq!(out["records"], RECORDS, "{out}");
    assert!(out["consume_s"].as_f64().is_some_and(|s| s > 0.0), "{out}");
}

/// The consume contract: a peer that gets more records than asked for fails and prints
/// nothing, instead of printing a prefix; asked for all of them, it prints them all.
async fn consume_fails_on_more_records_than_asked(b: &str, peer: &Peer) {
    let c = client(b).await;
    let topic = create_peer_topic(&c, &format!("{}-consume-extra", peer.name), 1).await;
    let sent = peer
        .command("produce")
        .broker(b, &topic)
        .flag("--count", 20)
        .flag("--partitions-explicit", 1)
        .run_json();
    assert_eq!(
        sent,
        serde_json::json!({ "sent": 20 }),
        "{} produce",
        peer.name
    );
    let consume = peer
        .command("consume")
        .broker(b, &topic)
        .flag("--count", 10);
    let out = consume.output();
    assert_eq!(out.status.code(), Some(1), "`{consume}`: exit status");
    assert!(out.stdout.is_empty(), "`{consume}`: printed a prefix");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("more than the 10 expected"),
        "`{consume}`: stderr {stderr}"
    );
    let lines = peer
        .command("consume")
        .broker(b, &topic)
        .flag("--count", 20)
        .consume();
    assert_eq!(lines.len(), 20, "{}: records of 20 read", peer.name);
    for (i, l) in lines.iter().enumerate() {
        l.assert_is(i as i64, "20 of 20");
    }
}

/// One test per scenario `async fn scenario(bootstrap, &Peer)`, for the `peer()` in scope;
/// skipped (failed in CI) when the broker or the peer is missing.
macro_rules! broker_tests {
    ($($scenario:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $scenario() {
            if let (Some(b), Some(peer)) = (bootstrap(), peer()) {
                super::$scenario(&b, &peer).await;
            }
        }
    )*};
}

/// One module per codec (`gzip::peer_to_ottla`, `gzip::ottla_to_peer`), for the `peer()` in
/// scope; called by [`ottla_tests::for_every_codec`].
macro_rules! codec_tests {
    ($($module:ident: $codec:expr,)*) => {$(
        mod $module {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn peer_to_ottla() {
                if let (Some(b), Some(peer)) = (bootstrap(), peer()) {
                    peer_writes_ottla_reads(&b, &peer, $codec).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn ottla_to_peer() {
                if let (Some(b), Some(peer)) = (bootstrap(), peer()) {
                    ottla_writes_peer_reads(&b, &peer, $codec).await;
                }
            }
        }
    )*};
}

/// One module of tests per peer: `$module` is the test path (`java::…`), `$name` the peer's
/// name in messages and topic names, `$find` where its executable is (`Option<PathBuf>`).
macro_rules! peer_tests {
    ($($module:ident: $name:literal, $find:path;)*) => {$(
        mod $module {
            use super::*;

            fn peer() -> Option<Peer> {
                $find().map(|exe| Peer { name: $name, exe })
            }

            broker_tests!(
                transactions_commit_abort_commit,
                keyed_records_land_alike_on_the_broker,
                perf_produce_and_consume_the_perf_payload,
                consume_fails_on_more_records_than_asked,
            );

            ottla_tests::for_every_codec!(codec_tests);

            #[test]
            fn partition_keys_alike() {
                if let Some(peer) = peer() {
                    super::partition_keys_alike(&peer);
                }
            }
        }
    )*};
}

peer_tests! {
    java: "java", java_peer;
    franz_go: "franz-go", go_peer;
}
