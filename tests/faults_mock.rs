//! What the real-cluster fault runs (`faults_kafka`) found, pinned against `ottla-mock`:
//! a metadata refresh passes over a broker that takes the request and never answers, and a
//! consumer's commit neither waits for a slow metadata refresh nor outlives
//! `default.api.timeout.ms`.

use std::time::{Duration, Instant};

use ottla::protocol::messages::ApiKey;
use ottla::{Client, ClientConfig};
use ottla_mock::{Fault, MockCluster};

/// Broker `node`'s Metadata answers come after `delay` (every one, until removed).
fn slow_metadata(c: &MockCluster, node: Option<i32>, delay: Duration) -> ottla_mock::FaultId {
    let fault = Fault::new(ApiKey::Metadata).always().delay(delay);
    c.inject(match node {
        Some(n) => fault.on_node(n),
        None => fault,
    })
}

/// A one-broker mock whose "t"/0 holds `count` records, and a member of group "g" (manual
/// commits, from the earliest offset, and `settings`) that has read some of them.
async fn reading_member(
    count: usize,
    settings: &[(&str, &str)],
) -> (
    MockCluster,
    ottla::consumer::Consumer,
    Vec<ottla::consumer::ConsumerRecord>,
) {
    let c = MockCluster::builder()
        .brokers(1)
        .topic("t", 1)
        .start()
        .await
        .unwrap();
    let client = ottla_tests::client(&c.bootstrap()).await;
    ottla_tests::produce_values(&client, "t", 0, count).await;
    let mut all = vec![
        ("group.id", "g"),
        ("enable.auto.commit", "false"),
        ("auto.offset.reset", "earliest"),
    ];
    all.extend_from_slice(settings);
    let mut consumer = ottla_tests::consumer(&c.bootstrap(), &all).await;
    consumer.subscribe(["t"]).unwrap();
    let first = consumer
        .recv_batch(count, Duration::from_secs(10))
        .await
        .unwrap();
    assert!(!first.is_empty());
    (c, consumer, first)
}

/// The first bootstrap server accepts connections but its Metadata answers come after the
/// request timeout (its connections stalled): the refresh goes on to the next broker instead
/// of failing, so `Client::connect` succeeds within about one request timeout.
#[tokio::test]
async fn a_metadata_refresh_passes_over_a_broker_that_times_out() {
    let c = MockCluster::builder()
        .brokers(3)
        .topic("t", 3)
        .start()
        .await
        .unwrap();
    let first = c.node_ids()[0];
    slow_metadata(&c, Some(first), Duration::from_secs(10));
    let bootstrap: Vec<String> = c
        .node_ids()
        .iter()
        .map(|n| c.broker_addr(*n).unwrap().to_string())
        .collect();
    let mut b = ClientConfig::builder();
    b.bootstrap_servers(bootstrap.join(","))
        .request_timeout(Duration::from_millis(500));
    let started = Instant::now();
    let client = Client::connect(b.build().unwrap()).await.unwrap();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(3), "connect took {took:?}");
    assert_eq!(client.cached().unwrap().brokers.len(), 3);
    // Refreshes go on working while the first broker stays slow.
    client.refresh_metadata().await.unwrap();
}

/// A group member reads records; then every Metadata answer takes 3 s while metadata is
/// due every 100 ms. `commit` answers at once all the same (the consumer's task refreshes
/// beside its work instead of waiting), and records keep coming.
#[tokio::test]
async fn a_commit_does_not_wait_for_a_slow_metadata_refresh() {
    let (c, mut consumer, first) = reading_member(
        10,
        &[
            ("metadata.max.age.ms", "100"),
            ("request.timeout.ms", "10000"),
            ("fetch.max.wait.ms", "50"),
        ],
    )
    .await;
    slow_metadata(&c, None, Duration::from_secs(3));
    tokio::time::sleep(Duration::from_millis(300)).await;
    for _ in 0..3 {
        let started = Instant::now();
        consumer.commit().await.unwrap();
        let took = started.elapsed();
        assert!(took < Duration::from_millis(1_500), "commit took {took:?}");
    }
    let client = ottla_tests::client(&c.bootstrap()).await;
    ottla_tests::produce_values(&client, "t", 0, 5).await;
    let mut got = first.len();
    let deadline = Instant::now() + Duration::from_secs(5);
    while got < 15 && Instant::now() < deadline {
        got += consumer
            .recv_batch(15, Duration::from_millis(200))
            .await
            .unwrap()
            .len();
    }
    assert_eq!(got, 15, "records keep coming while metadata is slow");
}

/// The coordinator takes OffsetCommit and never answers within `default.api.timeout.ms`
/// (its answers wait 5 s; request.timeout.ms is longer): `commit` gives up at the API
/// timeout with a Timeout error that names OffsetCommit.
#[tokio::test]
async fn a_commit_keeps_to_default_api_timeout() {
    let (c, consumer, _) = reading_member(
        3,
        &[
            ("default.api.timeout.ms", "800"),
            ("request.timeout.ms", "30000"),
        ],
    )
    .await;
    c.inject(
        Fault::new(ApiKey::OffsetCommit)
            .always()
            .delay(Duration::from_secs(5)),
    );
    let started = Instant::now();
    let e = consumer.commit().await.unwrap_err();
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(700) && took < Duration::from_millis(2_000),
        "commit gave up after {took:?}"
    );
    match &e {
        ottla::Error::Timeout { api, .. } => assert_eq!(*api, ApiKey::OffsetCommit),
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(e.to_string().contains("OffsetCommit"), "{e}");
}
