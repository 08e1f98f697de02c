//! The producer against a real broker (`OTTLA_BOOTSTRAP`): a million records over 8 partitions
//! delivered exactly once and in order, read back by ottla and by kcat; keyed records land
//! where the Java client puts them; transactions commit and abort.

use std::collections::HashMap;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use ottla::basic::{fetch_partition, FetchOptions};
use ottla::producer::{GroupMetadata, Producer, ProducerConfig, ProducerRecord};
use ottla_tests::{bootstrap, client, create_unique_topic, kcat, unique_topic};

fn producer_config(b: &str, pairs: &[(&str, &str)]) -> ProducerConfig {
    let mut builder = ProducerConfig::builder();
    builder.bootstrap_servers(b);
    for (k, v) in pairs {
        builder.set(k, v).unwrap_or_else(|e| panic!("{k}={v}: {e}"));
    }
    builder.build().expect("valid producer config")
}

/// Reads `expected` records from each partition (offset order), options as given.
async fn read_partitions(
    c: &ottla::Client,
    topic: &str,
    expected: &[usize],
    options: &FetchOptions,
) -> Vec<Vec<ottla::protocol::records::ConsumedRecord>> {
    let mut out = Vec::new();
    for (p, want) in expected.iter().enumerate() {
        let mut got = Vec::with_capacity(*want);
        let mut offset = 0;
        let mut idle = 0;
        while got.len() < *want && idle < 20 {
            let f = fetch_partition(c, topic, p as i32, offset, options)
                .await
                .expect("fetch");
            if f.next_offset == offset && f.records.is_empty() {
                idle += 1;
            }
            offset = f.next_offset;
            got.extend(f.records);
        }
        out.push(got);
    }
    out
}

/// Each partition's records as (offset, UTF-8 value).
fn offsets_and_values(
    parts: &[Vec<ottla::protocol::records::ConsumedRecord>],
) -> Vec<Vec<(i64, String)>> {
    parts
        .iter()
        .map(|records| {
            records
                .iter()
                .map(|r| {
                    let value = r.value.clone().expect("a value");
                    (r.offset, String::from_utf8(value.to_vec()).unwrap())
                })
                .collect()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn million_records_over_eight_partitions_exactly_once_in_order() {
    let (Some(b), Some(kcat)) = (bootstrap(), kcat()) else {
        return;
    };
    ottla_tests::init_logs();
    const N: usize = 1_000_000;
    const PARTITIONS: usize = 8;
    let c = client(&b).await;
    let topic = create_unique_topic(&c, "producer-million", PARTITIONS as i32, &[]).await;
    // 64 KiB batches: keyless records switch partition every 64 KiB (KIP-794), about 1,900
    // times here, so each partition's share is close to an eighth.
    let producer = Producer::new(producer_config(
        &b,
        &[("acks", "all"), ("linger.ms", "5"), ("batch.size", "65536")],
    ))
    .await
    .expect("producer");
    assert!(producer.config().idempotence());
    let name: Arc<str> = Arc::from(topic.as_str());
    let mut deliveries = Vec::with_capacity(N);
    for i in 0..N {
        let record = ProducerRecord::new(Arc::clone(&name), Bytes::from(format!("{i:07}")));
        deliveries.push(producer.send(record).await.expect("send"));
    }
    producer.flush().await.unwrap();
    // Per partition, records sent later got higher offsets; offsets are dense from 0.
    let mut last: HashMap<i32, i64> = HashMap::new();
    let mut per_partition = vec![0usize; PARTITIONS];
    let mut sent_at: HashMap<(i32, i64), usize> = HashMap::with_capacity(N);
    for (i, d) in deliveries.into_iter().enumerate() {
        let m = d.await.expect("delivered");
        let prev = last.insert(m.partition, m.offset).unwrap_or(-1);
        assert!(
            m.offset > prev,
            "partition {} offset {} after {prev}",
            m.partition,
            m.offset
        );
        per_partition[m.partition as usize] += 1;
        sent_at.insert((m.partition, m.offset), i);
    }
    for (p, n) in per_partition.iter().enumerate() {
        assert_eq!(
            last[&(p as i32)],
            *n as i64 - 1,
            "partition {p} offsets are not dense"
        );
        // Uniform sticky partitioning spreads keyless records over every partition.
        assert!(
            *n > N / PARTITIONS / 4,
            "partition {p} got only {n}: {per_partition:?}"
        );
    }
    producer
        .close(std::time::Duration::from_secs(30))
        .await
        .unwrap();

    // Read back: each value exactly once, at the offset its delivery report gave.
    let parts = read_partitions(&c, &topic, &per_partition, &FetchOptions::default()).await;
    let mut seen = vec![false; N];
    for (p, records) in parts.iter().enumerate() {
        assert_eq!(records.len(), per_partition[p], "partition {p} read back");
        for r in records {
            let v: usize = std::str::from_utf8(r.value.as_deref().unwrap())
                .unwrap()
                .parse()
                .unwrap();
            assert!(!seen[v], "value {v} twice");
            seen[v] = true;
            assert_eq!(
                sent_at[&(p as i32, r.offset)],
                v,
                "value at {p}/{}",
                r.offset
            );
        }
    }
    assert!(seen.iter().all(|s| *s), "a value is missing");

    // kcat (librdkafka) reads the same million values.
    let out = Command::new(&kcat)
        .args([
            "-b",
            &b,
            "-C",
            "-t",
            &topic,
            "-o",
            "beginning",
            "-e",
            "-q",
            "-f",
            "%s\n",
        ])
        .output()
        .expect("run kcat");
    assert!(
        out.status.success(),
        "kcat: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut values: Vec<&[u8]> = out
        .stdout
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(values.len(), N, "kcat read {} records", values.len());
    values.sort_unstable();
    values.dedup();
    assert_eq!(values.len(), N, "kcat saw duplicates");
}

/// Keys from the Java client's `UtilsTest.testMurmur2` with the hashes it publishes: the
/// partition the Java default partitioner picks is `(hash & 0x7fffffff) % partitions`.
const JAVA_VECTORS: &[(&str, i32)] = &[
    ("21", -973932308),
    ("foobar", -790332482),
    ("a-little-bit-long-string", -985981536),
    ("a-little-bit-longer-string", -1486304829),
    (
        "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8",
        -58897971,
    ),
    ("abc", 479470107),
];

#[tokio::test]
async fn keyed_records_land_where_the_java_partitioner_puts_them() {
    let Some(b) = bootstrap() else {
        return;
    };
    let c = client(&b).await;
    for partitions in [3, 8, 13] {
        let topic = create_unique_topic(&c, "producer-keys", partitions, &[]).await;
        let producer = Producer::new(producer_config(&b, &[])).await.unwrap();
        let mut landed = Vec::new();
        for (key, _) in JAVA_VECTORS {
            let d = producer
                .send(ProducerRecord::new(topic.as_str(), *key).with_key(*key))
                .await
                .unwrap();
            landed.push(d.await.unwrap());
        }
        for ((key, hash), m) in JAVA_VECTORS.iter().zip(&landed) {
            let java = (hash & 0x7fff_ffff) % partitions;
            assert_eq!(
                m.partition, java,
                "key {key:?} over {partitions} partitions"
            );
        }
        // And the broker has each record where the delivery report says.
        for ((key, _), m) in JAVA_VECTORS.iter().zip(&landed) {
            let f = fetch_partition(&c, &topic, m.partition, m.offset, &FetchOptions::default())
                .await
                .unwrap();
            assert_eq!(f.records[0].key.as_deref(), Some(key.as_bytes()));
        }
        producer
            .close(std::time::Duration::from_secs(10))
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn explicit_partition_headers_and_timestamp_arrive() {
    let Some(b) = bootstrap() else {
        return;
    };
    let c = client(&b).await;
    let topic = create_unique_topic(&c, "producer-explicit", 4, &[]).await;
    let producer = Producer::new(producer_config(&b, &[("compression.type", "lz4")]))
        .await
        .unwrap();
    let m = producer
        .send(
            ProducerRecord::new(topic.as_str(), "v")
                .with_key("k")
                .with_partition(2)
                .with_header("h", "1")
                .with_header("h", "2")
                .with_timestamp(1_700_000_000_123),
        )
        .await
        .unwrap()
        .await
        .unwrap();
    assert_eq!((m.partition, m.timestamp), (2, 1_700_000_000_123));
    let f = fetch_partition(&c, &topic, 2, m.offset, &FetchOptions::default())
        .await
        .unwrap();
    let r = &f.records[0];
    assert_eq!(r.timestamp, 1_700_000_000_123);
    assert_eq!(r.headers.len(), 2);
    assert_eq!(r.headers[1].value.as_deref(), Some(&b"2"[..]));
    // A partition the topic does not have is refused at once, and the record comes back.
    let refused = producer
        .send(ProducerRecord::new(topic.as_str(), "v").with_partition(9))
        .await
        .unwrap_err();
    assert_eq!(
        refused.record(),
        Some(&ProducerRecord::new(topic.as_str(), "v").with_partition(9))
    );
    let e = refused.error();
    assert!(
        matches!(
            e,
            ottla::Error::UnknownTopicOrPartition {
                partition: Some(9),
                ..
            }
        ),
        "{e}"
    );
    producer
        .close(std::time::Duration::from_secs(10))
        .await
        .unwrap();
}

#[tokio::test]
async fn transactions_commit_and_abort_on_the_broker() {
    let Some(b) = bootstrap() else {
        return;
    };
    let c = client(&b).await;
    let topic = create_unique_topic(&c, "producer-txn", 2, &[]).await;
    let txn_id = unique_topic("txn");
    let producer = Producer::new(producer_config(&b, &[("transactional.id", &txn_id)]))
        .await
        .unwrap();
    producer.init_transactions().await.unwrap();

    producer.begin_transaction().unwrap();
    for i in 0..10 {
        let _sent = producer
            .send(
                ProducerRecord::new(topic.as_str(), format!("committed-{i}")).with_partition(i % 2),
            )
            .await
            .unwrap();
    }
    producer
        .send_offsets_to_transaction(
            &[(topic.clone(), 0, 42)],
            &GroupMetadata::new(unique_topic("g")),
        )
        .await
        .unwrap();
    producer.commit_transaction().await.unwrap();

    producer.begin_transaction().unwrap();
    for i in 0..6 {
        let _sent = producer
            .send(ProducerRecord::new(topic.as_str(), format!("aborted-{i}")).with_partition(i % 2))
            .await
            .unwrap();
    }
    producer.flush().await.unwrap();
    producer.abort_transaction().await.unwrap();

    producer.begin_transaction().unwrap();
    let _sent = producer
        .send(ProducerRecord::new(topic.as_str(), "last").with_partition(0))
        .await
        .unwrap();
    producer.commit_transaction().await.unwrap();

    // Each transaction ended with a control marker: the offsets skip one after it.
    let parts = read_partitions(&c, &topic, &[9, 8], &FetchOptions::default()).await;
    let seen = offsets_and_values(&parts);
    let offsets = |p: usize| seen[p].iter().map(|(o, _)| *o).collect::<Vec<_>>();
    assert_eq!(offsets(0), vec![0, 1, 2, 3, 4, 6, 7, 8, 10], "{seen:?}");
    assert_eq!(offsets(1), vec![0, 1, 2, 3, 4, 6, 7, 8], "{seen:?}");
    assert_eq!(seen[0][8].1, "last");

    // read_committed: the aborted records are hidden (Kafka's aborted-transaction list), and
    // so are the control batches.
    let committed = read_partitions(
        &c,
        &topic,
        &[6, 5],
        &FetchOptions {
            read_committed: true,
            ..FetchOptions::default()
        },
    )
    .await;
    let committed = offsets_and_values(&committed);
    let want = |p: usize| -> Vec<(i64, String)> {
        let mut v: Vec<(i64, String)> = (0..5)
            .map(|k| (k as i64, format!("committed-{}", 2 * k + p)))
            .collect();
        if p == 0 {
            v.push((10, "last".to_owned()));
        }
        v
    };
    assert_eq!(committed, vec![want(0), want(1)]);

    // A second producer with the same transactional.id fences the first.
    let newer = Producer::new(producer_config(&b, &[("transactional.id", &txn_id)]))
        .await
        .unwrap();
    newer.init_transactions().await.unwrap();
    producer.begin_transaction().unwrap();
    let _sent = producer
        .send(ProducerRecord::new(topic.as_str(), "zombie").with_partition(0))
        .await
        .unwrap();
    let e = producer.commit_transaction().await.unwrap_err();
    assert!(
        matches!(e, ottla::Error::ProducerFenced { .. }),
        "expected fencing, got {e}"
    );
    let _ = producer.close(std::time::Duration::from_secs(5)).await;
    newer
        .close(std::time::Duration::from_secs(5))
        .await
        .unwrap();
}

/// An open transaction holds read_committed readers at the last stable offset: its records are
/// not returned (and `last_stable_offset` stays below the high watermark) until it commits.
#[tokio::test]
async fn open_transaction_holds_read_committed_at_the_last_stable_offset() {
    let Some(b) = bootstrap() else {
        return;
    };
    let c = client(&b).await;
    let topic = create_unique_topic(&c, "producer-lso", 1, &[]).await;
    let plain = Producer::new(producer_config(&b, &[])).await.unwrap();
    plain
        .send(ProducerRecord::new(topic.as_str(), "before"))
        .await
        .unwrap()
        .await
        .unwrap();
    let txn = Producer::new(producer_config(
        &b,
        &[("transactional.id", &unique_topic("txn-lso"))],
    ))
    .await
    .unwrap();
    txn.init_transactions().await.unwrap();
    txn.begin_transaction().unwrap();
    for i in 0..3 {
        let _delivery = txn
            .send(ProducerRecord::new(topic.as_str(), format!("open-{i}")))
            .await
            .unwrap();
    }
    txn.flush().await.unwrap();
    let committed = FetchOptions {
        read_committed: true,
        max_wait: Duration::from_millis(100),
        ..FetchOptions::default()
    };
    let f = fetch_partition(&c, &topic, 0, 0, &committed).await.unwrap();
    let values: Vec<_> = f.records.iter().map(|r| r.value.clone()).collect();
    assert_eq!(values, vec![Some(Bytes::from("before"))]);
    assert_eq!(f.last_stable_offset, 1, "{f:?}");
    assert_eq!(f.high_watermark, 4, "{f:?}");
    let uncommitted = fetch_partition(&c, &topic, 0, 0, &FetchOptions::default())
        .await
        .unwrap();
    assert_eq!(
        uncommitted.records.len(),
        4,
        "read_uncommitted sees the open records"
    );

    txn.commit_transaction().await.unwrap();
    let f = fetch_partition(&c, &topic, 0, 1, &committed).await.unwrap();
    let values: Vec<_> = f
        .records
        .iter()
        .map(|r| String::from_utf8(r.value.clone().unwrap().to_vec()).unwrap())
        .collect();
    assert_eq!(values, ["open-0", "open-1", "open-2"]);
    assert_eq!(f.last_stable_offset, 5, "after the commit marker: {f:?}");
    txn.close(Duration::from_secs(5)).await.unwrap();
    plain.close(Duration::from_secs(5)).await.unwrap();
}
