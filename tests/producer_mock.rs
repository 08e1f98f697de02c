//! The producer against `ottla-mock` faults: leaders move, a connection drops after the
//! broker appended, retriable errors, a broker down and back, lost producer state, limits,
//! close, separate produce connections, transactions read back as Kafka's read_committed
//! readers see them. Every scenario checks zero loss, zero duplicates and per-partition order.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use ottla::basic::{fetch_partition, FetchOptions};
use ottla::producer::{GroupMetadata, Producer, ProducerConfig, ProducerRecord, TransactionPhase};
use ottla::Error;
use ottla_mock::{ErrorTarget, Fault, MockCluster};
use ottla_protocol::error_code::ErrorCode;
use ottla_protocol::messages::ApiKey;
use ottla_protocol::records::{decode_batches, DecodeLimits};

async fn cluster(brokers: i32, partitions: i32) -> MockCluster {
    MockCluster::builder()
        .brokers(brokers)
        .topic_with_replication("t", partitions, brokers as i16)
        .start()
        .await
        .expect("mock starts")
}

fn config(bootstrap: &str, pairs: &[(&str, &str)]) -> ProducerConfig {
    let mut b = ProducerConfig::builder();
    b.bootstrap_servers(bootstrap);
    for (k, v) in [
        ("request.timeout.ms", "2000"),
        ("retry.backoff.ms", "20"),
        ("retry.backoff.max.ms", "200"),
        ("reconnect.backoff.ms", "20"),
        ("reconnect.backoff.max.ms", "200"),
        ("delivery.timeout.ms", "30000"),
    ]
    .iter()
    .chain(pairs)
    {
        b.set(k, v).unwrap_or_else(|e| panic!("{k}={v}: {e}"));
    }
    b.build().expect("valid config")
}

/// The data records of a partition as stored by the mock (control batches skipped).
fn stored_values(cluster: &MockCluster, topic: &str, partition: i32) -> Vec<u64> {
    let mut out = Vec::new();
    for batch in cluster.batches(topic, partition).unwrap() {
        for b in decode_batches(batch, &DecodeLimits::default())
            .unwrap()
            .batches
        {
            if b.is_control {
                continue;
            }
            for r in b.records {
                let v = std::str::from_utf8(r.value.as_deref().unwrap()).unwrap();
                out.push(v.parse().unwrap());
            }
        }
    }
    out
}

/// Sends `n` records `0..n` round-robin over `partitions` (explicit partitions), calling
/// `during(i)` before record `i`; returns the delivery futures.
async fn send_all<F, Fut>(
    producer: &Producer,
    n: u64,
    partitions: i32,
    mut during: F,
) -> Vec<ottla::producer::DeliveryFuture>
where
    F: FnMut(u64) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let topic: Arc<str> = Arc::from("t");
    let mut out = Vec::new();
    for i in 0..n {
        during(i).await;
        let record = ProducerRecord::new(Arc::clone(&topic), Bytes::from(i.to_string()))
            .with_partition((i % partitions as u64) as i32);
        out.push(producer.send(record).await.expect("send"));
    }
    out
}

/// Every record delivered; each partition holds exactly its records, once, in send order.
async fn assert_exactly_once_in_order(
    cluster: &MockCluster,
    deliveries: Vec<ottla::producer::DeliveryFuture>,
    n: u64,
    partitions: i32,
) {
    for d in deliveries {
        d.await.expect("every record is delivered");
    }
    for p in 0..partitions {
        let got = stored_values(cluster, "t", p);
        let want: Vec<u64> = (0..n)
            .filter(|i| (i % partitions as u64) as i32 == p)
            .collect();
        assert_eq!(
            got.len(),
            want.len(),
            "partition {p}: lost or duplicated records"
        );
        assert_eq!(got, want, "partition {p}: order");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leader_moves_mid_stream() {
    let c = cluster(3, 4).await;
    let producer = Producer::new(config(&c.bootstrap(), &[])).await.unwrap();
    let c2 = &c;
    let deliveries = send_all(&producer, 20_000, 4, |i| async move {
        if i % 5_000 == 2_500 {
            for p in 0..4 {
                let nodes = c2.node_ids();
                let now = c2.leader("t", p).unwrap().unwrap();
                let at = nodes.iter().position(|n| *n == now).unwrap();
                c2.set_leader("t", p, nodes[(at + 1) % nodes.len()])
                    .unwrap();
            }
        }
        if i % 1_000 == 0 {
            tokio::task::yield_now().await;
        }
    })
    .await;
    producer.flush().await.unwrap();
    assert_exactly_once_in_order(&c, deliveries, 20_000, 4).await;
    assert!(
        c.request_count(ApiKey::Metadata) > 1,
        "metadata was refreshed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_dropped_after_append_does_not_duplicate() {
    let c = cluster(1, 2).await;
    let producer = Producer::new(config(&c.bootstrap(), &[])).await.unwrap();
    // The broker appends the next three Produce requests, then drops the connection before
    // answering: the producer cannot know they were written and sends them again.
    let fault = c.inject(Fault::new(ApiKey::Produce).drop_after_handling().times(3));
    let deliveries = send_all(&producer, 5_000, 2, |i| async move {
        if i % 500 == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    producer.flush().await.unwrap();
    assert_eq!(c.fault_hits(fault), Some(3));
    assert_exactly_once_in_order(&c, deliveries, 5_000, 2).await;
    assert!(
        c.duplicate_batches() >= 3,
        "the broker saw the retries as duplicates"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_enough_replicas_and_request_timed_out_are_retried() {
    let c = cluster(1, 2).await;
    let producer = Producer::new(config(&c.bootstrap(), &[])).await.unwrap();
    let a = c.inject(
        Fault::new(ApiKey::Produce)
            .error(
                ErrorTarget::Partition("t".into(), 0),
                ErrorCode::NOT_ENOUGH_REPLICAS.code(),
            )
            .times(4),
    );
    let b = c.inject(
        Fault::new(ApiKey::Produce)
            .error(ErrorTarget::AllEntries, ErrorCode::REQUEST_TIMED_OUT.code())
            .times(3),
    );
    let deliveries = send_all(&producer, 3_000, 2, |_| async {}).await;
    producer.flush().await.unwrap();
    assert_eq!((c.fault_hits(a), c.fault_hits(b)), (Some(4), Some(3)));
    assert_exactly_once_in_order(&c, deliveries, 3_000, 2).await;
}

/// A broker with no state for a producer accepts any sequence number (Kafka's rule, which the
/// mock follows). Seen on Kafka 3.9 right after a topic was created: the first batch of a
/// partition got NOT_LEADER_OR_FOLLOWER while the next one, already in flight, was accepted, so
/// the retried first batch could only ever be OUT_OF_ORDER (and came before the accepted one).
/// So until a partition's first batch is acknowledged, it goes alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_batch_fails_while_later_ones_are_in_flight() {
    let c = cluster(1, 1).await;
    let producer = Producer::new(config(
        &c.bootstrap(),
        &[("batch.size", "200"), ("linger.ms", "0")],
    ))
    .await
    .unwrap();
    let first = c.inject(
        Fault::new(ApiKey::Produce)
            .delay(Duration::from_millis(300))
            .error(
                ErrorTarget::Partition("t".into(), 0),
                ErrorCode::NOT_LEADER_OR_FOLLOWER.code(),
            )
            .times(1),
    );
    let deliveries = send_all(&producer, 500, 1, |_| async {}).await;
    producer.flush().await.unwrap();
    assert_eq!(c.fault_hits(first), Some(1));
    assert_exactly_once_in_order(&c, deliveries, 500, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_down_and_back_loses_nothing() {
    // One broker: while it is down, nothing can be written anywhere.
    let c = cluster(1, 3).await;
    let producer = Producer::new(config(&c.bootstrap(), &[])).await.unwrap();
    let c2 = &c;
    let node = c.node_ids()[0];
    let deliveries = send_all(&producer, 9_000, 3, |i| async move {
        if i == 3_000 {
            tokio::time::sleep(Duration::from_millis(20)).await;
            c2.stop_broker(node).await.unwrap();
        }
        if i == 6_000 {
            tokio::time::sleep(Duration::from_millis(300)).await;
            c2.start_broker(node).await.unwrap();
        }
    })
    .await;
    producer.flush().await.unwrap();
    assert_exactly_once_in_order(&c, deliveries, 9_000, 3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_producer_state_bumps_the_epoch_and_continues() {
    let c = MockCluster::builder()
        .brokers(1)
        .topic("t", 1)
        .unknown_producer_id_errors(true)
        .start()
        .await
        .unwrap();
    let producer = Producer::new(config(&c.bootstrap(), &[])).await.unwrap();
    let first = send_all(&producer, 100, 1, |_| async {}).await;
    producer.flush().await.unwrap();
    // Retention removed the producer's state: its next sequence is unknown to the broker.
    c.forget_producers("t", 0).unwrap();
    let topic: Arc<str> = Arc::from("t");
    let mut rest = Vec::new();
    for i in 100..200u64 {
        let r =
            ProducerRecord::new(Arc::clone(&topic), Bytes::from(i.to_string())).with_partition(0);
        rest.push(producer.send(r).await.unwrap());
    }
    producer.flush().await.unwrap();
    let mut all = first;
    all.extend(rest);
    assert_exactly_once_in_order(&c, all, 200, 1).await;
    let epochs: Vec<i16> = c
        .batches("t", 0)
        .unwrap()
        .into_iter()
        .flat_map(|b| decode_batches(b, &DecodeLimits::default()).unwrap().batches)
        .map(|b| b.producer_epoch)
        .collect();
    assert_eq!(epochs.first(), Some(&0));
    assert!(
        epochs.last().copied().unwrap_or(0) >= 1,
        "epoch bumped: {epochs:?}"
    );
}

#[tokio::test]
async fn acks_zero_one_and_all() {
    let c = cluster(1, 1).await;
    for (acks, idempotence) in [("0", "false"), ("1", "false"), ("all", "true")] {
        let producer = Producer::new(config(
            &c.bootstrap(),
            &[("acks", acks), ("enable.idempotence", idempotence)],
        ))
        .await
        .unwrap();
        let before = c.record_count("t", 0).unwrap();
        let m = producer
            .send(ProducerRecord::new("t", "x"))
            .await
            .unwrap()
            .await
            .unwrap();
        if acks == "0" {
            assert_eq!(m.offset, -1, "acks=0 has no offset");
        } else {
            assert_eq!(m.offset, before);
        }
        producer.close(Duration::from_secs(5)).await.unwrap();
        // acks=0 is done once written; give the broker a moment to append.
        for _ in 0..100 {
            if c.record_count("t", 0).unwrap() > before {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(c.record_count("t", 0).unwrap(), before + 1);
    }
}

#[tokio::test]
async fn limits_fail_clearly() {
    let c = cluster(1, 1).await;
    let producer = Producer::new(config(
        &c.bootstrap(),
        &[
            ("message.max.bytes", "10000"),
            ("batch.size", "10000"),
            ("queue.buffering.max.messages", "10"),
            ("max.block.ms", "300"),
            ("linger.ms", "60000"),
            ("delivery.timeout.ms", "120000"),
        ],
    ))
    .await
    .unwrap();
    let (e, record) = producer
        .send(ProducerRecord::new("t", vec![0u8; 20_000]))
        .await
        .unwrap_err()
        .into_parts();
    // Refused before it was queued: the record comes back as it was.
    assert_eq!(record.and_then(|r| r.value).map(|v| v.len()), Some(20_000));
    assert!(
        matches!(
            e,
            Error::RecordTooLarge {
                key: "message.max.bytes",
                ..
            }
        ),
        "{e}"
    );
    // Stop the broker so nothing drains: the 11th record waits max.block.ms, then fails.
    let mut pending = vec![producer.send(ProducerRecord::new("t", "x")).await.unwrap()];
    c.stop_broker(c.node_ids()[0]).await.unwrap();
    for _ in 1..10 {
        pending.push(producer.send(ProducerRecord::new("t", "x")).await.unwrap());
    }
    let e = producer
        .send(ProducerRecord::new("t", "x"))
        .await
        .unwrap_err()
        .into_parts()
        .0;
    assert!(matches!(e, Error::MaxBlock { .. }), "{e}");
    // close gives up after its timeout and fails what is pending: nothing is dropped silently.
    let e = producer
        .close(Duration::from_millis(300))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::MaxBlock { .. }), "{e}");
    // Each failed delivery hands its record back.
    for d in pending {
        let failed = d.await.unwrap_err();
        assert!(matches!(failed.error(), Error::Closed), "{failed}");
        let record = failed.into_record().expect("the record comes back");
        assert_eq!(
            (&*record.topic, record.value.as_deref()),
            ("t", Some(&b"x"[..]))
        );
    }
    assert!(matches!(
        producer
            .send(ProducerRecord::new("t", "x"))
            .await
            .map_err(Error::from),
        Err(Error::Closed)
    ));
}

#[tokio::test]
async fn unknown_topic_waits_max_block_then_fails() {
    let c = cluster(1, 1).await;
    let producer = Producer::new(config(&c.bootstrap(), &[("max.block.ms", "300")]))
        .await
        .unwrap();
    let e = producer
        .send(ProducerRecord::new("no-such-topic", "x"))
        .await
        .unwrap_err()
        .into_parts()
        .0;
    assert!(matches!(e, Error::MaxBlock { .. }), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn produce_does_not_wait_behind_a_fetch_long_poll() {
    let c = cluster(1, 1).await;
    let producer = Producer::new(config(&c.bootstrap(), &[("request.timeout.ms", "10000")]))
        .await
        .unwrap();
    // Learn the topic first (metadata goes on the client's connection, as in every client).
    let first = producer
        .send(ProducerRecord::new("t", "first"))
        .await
        .unwrap();
    first.await.unwrap();
    // A fetch that the broker holds for 5 s (it wants more bytes than there are).
    let client = producer.client().clone();
    let long_poll = tokio::spawn(async move {
        let options = FetchOptions {
            max_wait: Duration::from_secs(5),
            min_bytes: 1_000_000,
            ..FetchOptions::default()
        };
        fetch_partition(&client, "t", 0, 0, &options).await
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let m = producer
        .send(ProducerRecord::new("t", "while fetching"))
        .await
        .unwrap()
        .await
        .unwrap();
    assert_eq!(m.offset, 1);
    assert!(
        !long_poll.is_finished(),
        "the produce came back while the fetch was still held"
    );
    // Two connections to the broker besides bootstrap: the client's and the producer's.
    assert!(c.connection_count_on(c.node_ids()[0]) >= 2);
    long_poll.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_on_the_mock_read_committed_and_fencing() {
    let c = cluster(3, 2).await;
    let producer = Producer::new(config(&c.bootstrap(), &[("transactional.id", "tx-1")]))
        .await
        .unwrap();
    // Sending before init or begin is a clear error.
    let e = producer
        .send(ProducerRecord::new("t", "x"))
        .await
        .unwrap_err()
        .into_parts()
        .0;
    assert!(
        matches!(
            e,
            Error::TransactionState {
                call: "send",
                expected: TransactionPhase::InTransaction,
                actual: TransactionPhase::Uninitialized,
            }
        ),
        "{e}"
    );
    producer.init_transactions().await.unwrap();
    let e = producer
        .send(ProducerRecord::new("t", "x"))
        .await
        .unwrap_err()
        .into_parts()
        .0;
    assert!(
        matches!(
            e,
            Error::TransactionState {
                call: "send",
                expected: TransactionPhase::InTransaction,
                actual: TransactionPhase::Ready,
            }
        ),
        "{e}"
    );
    assert_eq!(
        e.to_string(),
        "send needs a producer in a transaction; it is between transactions (call begin_transaction)"
    );

    producer.begin_transaction().unwrap();
    for i in 0..10u64 {
        let _sent = producer
            .send(ProducerRecord::new("t", i.to_string()).with_partition((i % 2) as i32))
            .await
            .unwrap();
    }
    producer
        .send_offsets_to_transaction(&[("t".into(), 1, 77)], &GroupMetadata::new("g"))
        .await
        .unwrap();
    assert_eq!(
        c.committed_offset("g", "t", 1),
        None,
        "not before the commit"
    );
    producer.commit_transaction().await.unwrap();
    assert_eq!(c.committed_offset("g", "t", 1), Some(77));

    producer.begin_transaction().unwrap();
    for i in 100..106u64 {
        let _sent = producer
            .send(ProducerRecord::new("t", i.to_string()).with_partition((i % 2) as i32))
            .await
            .unwrap();
    }
    producer.flush().await.unwrap();
    producer
        .send_offsets_to_transaction(&[("t".into(), 1, 99)], &GroupMetadata::new("g"))
        .await
        .unwrap();
    producer.abort_transaction().await.unwrap();
    assert_eq!(
        c.committed_offset("g", "t", 1),
        Some(77),
        "aborted offsets are dropped"
    );

    // An empty transaction commits without troubling the coordinator.
    producer.begin_transaction().unwrap();
    producer.commit_transaction().await.unwrap();

    let client = producer.client().clone();
    let committed = FetchOptions {
        read_committed: true,
        ..FetchOptions::default()
    };
    let mut visible = Vec::new();
    for p in 0..2 {
        let f = fetch_partition(&client, "t", p, 0, &committed)
            .await
            .unwrap();
        visible.extend(
            f.records
                .iter()
                .map(|r| String::from_utf8(r.value.clone().unwrap().to_vec()).unwrap()),
        );
    }
    visible.sort();
    let mut want: Vec<String> = (0..10).map(|i| i.to_string()).collect();
    want.sort();
    assert_eq!(
        visible, want,
        "read_committed sees the committed records only"
    );

    // A second instance fences the first.
    let newer = Producer::new(config(&c.bootstrap(), &[("transactional.id", "tx-1")]))
        .await
        .unwrap();
    producer.begin_transaction().unwrap();
    let d = producer
        .send(ProducerRecord::new("t", "zombie").with_partition(0))
        .await
        .unwrap();
    producer.flush().await.unwrap();
    newer.init_transactions().await.unwrap();
    let e = producer.commit_transaction().await.unwrap_err();
    assert!(matches!(e, Error::ProducerFenced { .. }), "{e}");
    let _ = d.await;
    assert!(matches!(
        producer
            .send(ProducerRecord::new("t", "x"))
            .await
            .map_err(Error::from),
        Err(Error::ProducerFenced { .. })
    ));
    newer.close(Duration::from_secs(5)).await.unwrap();
}

/// Every record whose key starts with a digit goes to the partition of that digit; other
/// records are left to the default partitioner.
#[derive(Debug)]
struct ByFirstDigit;

impl ottla::partitioner::Partitioner for ByFirstDigit {
    fn partition(
        &self,
        _topic: &str,
        key: Option<&[u8]>,
        _value: Option<&[u8]>,
        partitions: i32,
    ) -> Option<i32> {
        let d = key?.first().filter(|b| b.is_ascii_digit())?;
        Some(i32::from(d - b'0') % partitions)
    }
}

#[tokio::test]
async fn custom_partitioner_and_explicit_partition() {
    let c = cluster(1, 4).await;
    let mut b = ProducerConfig::builder();
    b.bootstrap_servers(c.bootstrap())
        .partitioner(Arc::new(ByFirstDigit));
    let producer = Producer::new(b.build().unwrap()).await.unwrap();
    let send = |key: &'static str, partition: Option<i32>| {
        let producer = producer.clone();
        async move {
            let mut r = ProducerRecord::new("t", "v").with_key(key);
            r.partition = partition;
            producer.send(r).await.unwrap().await.unwrap().partition
        }
    };
    assert_eq!(send("3-abc", None).await, 3);
    assert_eq!(send("6-abc", None).await, 2);
    assert_eq!(
        send("3-abc", Some(1)).await,
        1,
        "an explicit partition wins"
    );
    // Not chosen by the custom partitioner: murmur2, as the Java client.
    assert_eq!(
        send("foobar", None).await,
        ottla::partitioner::partition_for_key(b"foobar", 4)
    );
    producer.close(Duration::from_secs(5)).await.unwrap();
}
