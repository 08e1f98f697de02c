//! `ottla-mock` as a fake cluster, driven by the client, for what a real broker cannot be made
//! to do on demand: an error for exactly the requests a predicate picks, KIP-219 throttling,
//! SASL sessions that expire, and group and transaction coordinators that move.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ottla::basic::{
    fetch_partition, list_offset, produce_batch, FetchOptions, OffsetSpec, ProduceOptions,
};
use ottla::consumer::Consumer;
use ottla::producer::{GroupMetadata, Producer, ProducerConfig, ProducerRecord};
use ottla::{Client, ClientConfig, ConnectionError, Error};
use ottla_mock::{ErrorTarget, Fault, MockCluster, MockSasl, SaslCounter, SaslMechanism};
use ottla_protocol::error_code::ErrorCode;
use ottla_protocol::messages::ApiKey;

/// INVALID_RECORD: not retriable, so the client reports it at once.
const INVALID_RECORD: i16 = 87;

async fn client(bootstrap: &str, client_id: &str) -> Client {
    let mut b = ClientConfig::builder();
    b.bootstrap_servers(bootstrap)
        .request_timeout(Duration::from_secs(5))
        .reconnect_backoff(Duration::from_millis(20), Duration::from_millis(200));
    b.set("client.id", client_id).unwrap();
    Client::connect(b.build().unwrap()).await.unwrap()
}

fn record(v: &str) -> ottla::protocol::records::Record {
    ottla_tests::value_record(v)
}

#[tokio::test]
async fn a_predicate_picks_exactly_the_requests_that_fail() {
    let c = MockCluster::builder()
        .brokers(2)
        .topic("a", 2)
        .topic("b", 2)
        .start()
        .await
        .unwrap();
    // Produce to partition 1 of "a" fails; every other partition and topic works.
    let produce = c.inject(
        Fault::new(ApiKey::Produce)
            .always()
            .when(|r| r.topics().contains("a") && r.has_partition("a", 1))
            .error(ErrorTarget::AllEntries, INVALID_RECORD),
    );
    // ListOffsets fails only for the client with id "victim".
    let list = c.inject(
        Fault::new(ApiKey::ListOffsets)
            .always()
            .when(|r| r.client_id() == Some("victim"))
            .error(ErrorTarget::AllEntries, INVALID_RECORD),
    );
    let bystander = client(&c.bootstrap(), "bystander").await;
    let victim = client(&c.bootstrap(), "victim").await;
    let opts = ProduceOptions::default();
    for round in 0..3 {
        for (topic, partition) in [("a", 0), ("b", 0), ("b", 1)] {
            produce_batch(&bystander, topic, partition, &[record("x")], &opts)
                .await
                .unwrap_or_else(|e| panic!("{topic}/{partition} round {round}: {e}"));
        }
        let e = produce_batch(&bystander, "a", 1, &[record("x")], &opts)
            .await
            .unwrap_err();
        assert!(
            matches!(e, Error::Kafka { api: ApiKey::Produce, code, .. } if code == ErrorCode(INVALID_RECORD)),
            "{e:?}"
        );
    }
    assert_eq!(
        c.fault_hits(produce),
        Some(3),
        "the three to a/1, nothing else"
    );
    assert_eq!(c.high_watermark("a", 1).unwrap(), 0);
    assert_eq!(c.high_watermark("b", 1).unwrap(), 3);

    let ok = list_offset(&bystander, "a", 0, OffsetSpec::Latest)
        .await
        .unwrap();
    assert_eq!(ok, 3);
    let e = list_offset(&victim, "a", 0, OffsetSpec::Latest)
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::Kafka { api: ApiKey::ListOffsets, code, .. } if code == ErrorCode(INVALID_RECORD)),
        "{e:?}"
    );
    assert_eq!(c.fault_hits(list), Some(1));
}

/// A predicate on the group id: only group "locked" is refused.
#[tokio::test]
async fn a_predicate_on_the_group_id() {
    let c = MockCluster::builder().brokers(1).start().await.unwrap();
    const GROUP_AUTHORIZATION_FAILED: i16 = 30;
    let fault = c.inject(
        Fault::new(ApiKey::DescribeGroups)
            .always()
            .when(|r| r.group_id() == Some("locked"))
            .error(ErrorTarget::AllEntries, GROUP_AUTHORIZATION_FAILED),
    );
    let admin = ottla::admin::Admin::new(client(&c.bootstrap(), "admin").await);
    assert_eq!(admin.describe_group("open").await.unwrap().state, "Dead");
    let e = admin.describe_group("locked").await.unwrap_err();
    assert_eq!(
        e.kafka_code(),
        Some(ErrorCode(GROUP_AUTHORIZATION_FAILED)),
        "{e}"
    );
    assert_eq!(admin.describe_group("open").await.unwrap().state, "Dead");
    assert_eq!(c.fault_hits(fault), Some(1));
}

/// KIP-219: the mock answers a throttled Produce at once with `throttle_time_ms` and mutes the
/// connection; the client holds its next request to that broker back for the throttle time
/// (and counts it), so the next request's round trip starts only after it.
#[tokio::test]
async fn a_throttled_connection_waits_out_the_throttle_time() {
    let c = one_broker().await;
    let client = client(&c.bootstrap(), "throttled").await;
    let opts = ProduceOptions::default();
    // Warm up: metadata and the connection.
    produce_batch(&client, "t", 0, &[record("0")], &opts)
        .await
        .unwrap();
    let throttle = Duration::from_millis(400);
    let fault = c.inject(Fault::new(ApiKey::Produce).throttle(400));
    let started = Instant::now();
    produce_batch(&client, "t", 0, &[record("1")], &opts)
        .await
        .unwrap();
    let answered = started.elapsed();
    assert!(
        answered < throttle,
        "the broker answers at once: {answered:?}"
    );
    // The next request on that connection (Produce has its own connection, by traffic
    // class) starts after the throttle.
    produce_batch(&client, "t", 0, &[record("2")], &opts)
        .await
        .unwrap();
    let waited = started.elapsed();
    assert!(waited >= throttle, "the next request waited {waited:?}");
    assert_eq!(c.fault_hits(fault), Some(1));
    let stats = client.stats().into_iter().find(|s| s.node_id == 1).unwrap();
    assert_eq!(stats.throttled_responses, 1);
    assert_eq!(stats.throttle_ms_total, 400);
    assert_eq!(stats.throttle_holds, 1, "{stats:?}");

    // A Fetch throttle holds back the next Fetch just the same.
    c.inject(Fault::new(ApiKey::Fetch).throttle(300));
    let started = Instant::now();
    for _ in 0..2 {
        let f = fetch_partition(&client, "t", 0, 0, &FetchOptions::default())
            .await
            .unwrap();
        assert_eq!(f.records.len(), 3);
    }
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(c.high_watermark("t", 0).unwrap(), 3);

    // Any response's throttle time counts (KIP-219 applies to every API): ListOffsets here.
    c.inject(Fault::new(ApiKey::ListOffsets).throttle(300));
    let started = Instant::now();
    for _ in 0..2 {
        assert_eq!(
            list_offset(&client, "t", 0, OffsetSpec::Latest)
                .await
                .unwrap(),
            3
        );
    }
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
    let stats = client.stats().into_iter().find(|s| s.node_id == 1).unwrap();
    assert_eq!(stats.throttled_responses, 3);
    assert_eq!(stats.throttle_ms_total, 1000);
}

/// A throttle longer than `request.timeout.ms`: the held request times out alone (it was
/// never written), the connection lives on, and the next request after the throttle uses it.
#[tokio::test]
async fn a_request_held_past_its_deadline_times_out_alone() {
    let c = one_broker().await;
    let mut b = ClientConfig::builder();
    b.bootstrap_servers(c.bootstrap())
        .request_timeout(Duration::from_millis(300));
    let client = Client::connect(b.build().unwrap()).await.unwrap();
    let opts = ProduceOptions::default();
    produce_batch(&client, "t", 0, &[record("0")], &opts)
        .await
        .unwrap();
    let connections = c.connection_count();
    c.inject(Fault::new(ApiKey::Produce).throttle(900));
    produce_batch(&client, "t", 0, &[record("1")], &opts)
        .await
        .unwrap();
    let started = Instant::now();
    let e = produce_batch(&client, "t", 0, &[record("2")], &opts)
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Timeout {
                api: ApiKey::Produce,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(
        started.elapsed() < Duration::from_millis(800),
        "{:?}",
        started.elapsed()
    );
    tokio::time::sleep(Duration::from_millis(700)).await;
    produce_batch(&client, "t", 0, &[record("3")], &opts)
        .await
        .unwrap();
    assert_eq!(c.connection_count(), connections, "the same connection");
    assert_eq!(
        c.high_watermark("t", 0).unwrap(),
        3,
        "record 2 was never sent"
    );
}

fn plain_sasl(lifetime: Duration) -> MockSasl {
    MockSasl::new()
        .mechanism(SaslMechanism::Plain)
        .user("alice", "secret")
        .session_lifetime(lifetime)
}

fn plain_config(bootstrap: &str) -> ottla::ClientConfigBuilder {
    ottla_tests::sasl_config(
        bootstrap,
        &[
            ("sasl.mechanism", "PLAIN"),
            ("sasl.username", "alice"),
            ("sasl.password", "secret"),
        ],
    )
}

/// KIP-368 with PLAIN: the client re-authenticates before each 1 s session ends, so the mock
/// never has to close an expired session's connection.
#[tokio::test]
async fn sessions_are_renewed_before_they_expire() {
    let c = ottla_tests::sasl_mock(plain_sasl(Duration::from_secs(1))).await;
    let client = Client::connect(plain_config(&c.bootstrap()).build().unwrap())
        .await
        .unwrap();
    let conn = client.connection(1).await.unwrap();
    assert_eq!(conn.session_lifetime(), Some(Duration::from_secs(1)));
    for i in 0..12 {
        produce_batch(
            &client,
            "t",
            0,
            &[record(&i.to_string())],
            &ProduceOptions::default(),
        )
        .await
        .unwrap();
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(!conn.is_closed());
    assert!(
        conn.reauthentications() >= 2,
        "{}",
        conn.reauthentications()
    );
    assert_eq!(c.sasl_count(SaslCounter::ExpiredSessionCloses), 0);
    assert_eq!(c.high_watermark("t", 0).unwrap(), 12);
}

/// A client that cannot re-authenticate (the broker hides the lifetime, as SaslAuthenticate v0
/// does) has its connection closed at its first request after the session ends: it gets a
/// retriable "closed by the broker" error naming the broker, and the next request works on a
/// new connection.
#[tokio::test]
async fn an_expired_session_is_closed_and_the_client_reconnects() {
    let c = ottla_tests::sasl_mock(plain_sasl(Duration::from_millis(300)).hide_session_lifetime())
        .await;
    let client = Client::connect(plain_config(&c.bootstrap()).build().unwrap())
        .await
        .unwrap();
    ottla_tests::round_trip_value(&client, "before").await;
    let conn = client.connection(1).await.unwrap();
    assert_eq!(conn.session_lifetime(), None);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let e = list_offset(&client, "t", 0, OffsetSpec::Latest)
        .await
        .unwrap_err();
    match &e {
        Error::Connection { broker, source } => {
            assert!(
                matches!(**source, ConnectionError::ClosedByPeer { in_flight: 1 }),
                "{source:?}"
            );
            assert!(broker.contains("node 1"), "{broker}");
        }
        other => panic!("expected the connection closed by the broker, got {other:?}"),
    }
    assert!(e.is_retriable());
    assert_eq!(c.sasl_count(SaslCounter::ExpiredSessionCloses), 1);
    let before = c.sasl_count(SaslCounter::Authentications);
    assert_eq!(
        list_offset(&client, "t", 0, OffsetSpec::Latest)
            .await
            .unwrap(),
        1
    );
    assert!(conn.is_closed());
    assert_eq!(
        c.sasl_count(SaslCounter::Authentications),
        before + 1,
        "a new connection"
    );
}

/// The group's coordinator moves to another broker between commits: the old one answers
/// NOT_COORDINATOR, the member finds the new one, and its commits land there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_member_follows_its_coordinator() {
    let m = three_brokers().await;
    let group = "moving-group";
    let producer = producer(&m, &[]).await;
    send(&producer, 0, 90).await;
    let mut consumer = member(&m, group).await;
    let mut read = 0;
    while read < 90 {
        read += consumer
            .recv_batch(90 - read, Duration::from_secs(30))
            .await
            .unwrap()
            .len();
    }
    consumer.commit().await.unwrap();
    let old = m.group_coordinator(group).unwrap();
    let new = (1..=3).find(|&n| n != old).unwrap();
    let before_new = m.request_count_on(new, ApiKey::OffsetCommit);
    m.move_group_coordinator(group, new).unwrap();
    assert_eq!(m.group_coordinator(group), Some(new));
    send(&producer, 90, 180).await;
    while read < 180 {
        read += consumer
            .recv_batch(180 - read, Duration::from_secs(30))
            .await
            .unwrap()
            .len();
    }
    consumer.commit().await.unwrap();
    assert!(m.request_count_on(new, ApiKey::OffsetCommit) > before_new);
    let committed: i64 = (0..3)
        .filter_map(|p| m.committed_offset(group, "t", p))
        .sum();
    assert_eq!(committed, 180);
    let (_, members) = m.group_members(group).unwrap();
    assert_eq!(members.len(), 1, "the same member, still in the group");
    consumer.close().await.unwrap();
    producer.close(Duration::from_secs(5)).await.unwrap();
}

/// A transactional id's coordinator moves between transactions and in the middle of one: the
/// producer finds the new coordinator, and the transaction and its offsets commit there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transactional_producer_follows_its_coordinator() {
    let m = three_brokers().await;
    let txn = "moving-txn";
    let producer = producer(&m, &[("transactional.id", txn)]).await;
    producer.init_transactions().await.unwrap();
    let first = m.transaction_coordinator(txn).unwrap();
    for (round, (from, to)) in [(0, 30), (30, 60), (60, 90)].into_iter().enumerate() {
        producer.begin_transaction().unwrap();
        send(&producer, from, to).await;
        if round == 1 {
            // In the middle of the transaction.
            let current = m.transaction_coordinator(txn).unwrap();
            let next = (1..=3).find(|&n| n != current).unwrap();
            m.move_transaction_coordinator(txn, next).unwrap();
        }
        producer
            .send_offsets_to_transaction(
                &[("t".into(), 0, i64::from(to))],
                &GroupMetadata::new("g"),
            )
            .await
            .unwrap();
        producer.commit_transaction().await.unwrap();
        assert_eq!(m.committed_offset("g", "t", 0), Some(i64::from(to)));
        if round == 0 {
            let next = (1..=3).find(|&n| n != first).unwrap();
            m.move_transaction_coordinator(txn, next).unwrap();
            assert_eq!(m.transaction_coordinator(txn), Some(next));
        }
    }
    assert_eq!(m.open_transactions(), 0);
    let end_txn_on_new =
        m.request_count_on(m.transaction_coordinator(txn).unwrap(), ApiKey::EndTxn);
    assert!(end_txn_on_new >= 1);
    let stored: i64 = (0..3).map(|p| m.record_count("t", p).unwrap()).sum();
    assert_eq!(
        stored,
        90 + 9,
        "90 records and a commit marker per partition and transaction"
    );
    producer.close(Duration::from_secs(5)).await.unwrap();
}

/// One broker and topic `t` with one partition.
async fn one_broker() -> MockCluster {
    MockCluster::builder()
        .brokers(1)
        .topic("t", 1)
        .start()
        .await
        .unwrap()
}

/// Three brokers and topic `t` with 3 partitions, each on every broker.
async fn three_brokers() -> MockCluster {
    MockCluster::builder()
        .brokers(3)
        .topic_with_replication("t", 3, 3)
        .start()
        .await
        .unwrap()
}

async fn producer(m: &MockCluster, pairs: &[(&str, &str)]) -> Producer {
    let mut b = ProducerConfig::builder();
    b.bootstrap_servers(m.bootstrap());
    for (k, v) in [
        ("linger.ms", "1"),
        ("retry.backoff.ms", "20"),
        ("request.timeout.ms", "2000"),
    ]
    .iter()
    .chain(pairs)
    {
        b.set(k, v).unwrap();
    }
    Producer::new(b.build().unwrap()).await.unwrap()
}

/// Values `from..to`, value `i` to partition `i % 3`, all delivered.
async fn send(producer: &Producer, from: u32, to: u32) {
    let topic: Arc<str> = Arc::from("t");
    let mut deliveries = Vec::new();
    for i in from..to {
        let r =
            ProducerRecord::new(Arc::clone(&topic), i.to_string()).with_partition((i % 3) as i32);
        deliveries.push(producer.send(r).await.unwrap());
    }
    for d in deliveries {
        d.await.unwrap();
    }
}

async fn member(m: &MockCluster, group: &str) -> Consumer {
    let mut c = ottla_tests::consumer(
        &m.bootstrap(),
        &[
            ("group.id", group),
            ("auto.offset.reset", "earliest"),
            ("enable.auto.commit", "false"),
            ("session.timeout.ms", "3000"),
            ("heartbeat.interval.ms", "100"),
            ("fetch.max.wait.ms", "50"),
            ("retry.backoff.ms", "50"),
            ("request.timeout.ms", "2000"),
        ],
    )
    .await;
    c.subscribe(["t"]).unwrap();
    c
}
