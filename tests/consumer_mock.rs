//! The consumer against `ottla-mock`'s fake cluster, for what a real broker will not do on
//! demand: a group coordinator answering NOT_COORDINATOR, a coordinator that moves, a
//! partition leader that dies mid-stream, and a heartbeat answered REBALANCE_IN_PROGRESS
//! while the application is busy elsewhere. In each, every record is read, in order per
//! partition, and none twice.

use std::sync::Arc;
use std::time::Duration;

use ottla::consumer::{Consumer, ConsumerRecord};
use ottla::producer::{Producer, ProducerConfig, ProducerRecord};
use ottla_mock::{ErrorTarget, Fault, MockCluster};
use ottla_protocol::messages::ApiKey;

const TOPIC: &str = "t";
/// NOT_COORDINATOR and REBALANCE_IN_PROGRESS.
const NOT_COORDINATOR: i16 = 16;
const REBALANCE_IN_PROGRESS: i16 = 27;

async fn mock(brokers: i32, partitions: i32) -> MockCluster {
    ottla_tests::init_logs();
    MockCluster::builder()
        .brokers(brokers)
        .topic_with_replication(TOPIC, partitions, brokers as i16)
        .start()
        .await
        .expect("mock starts")
}

/// Writes values `from..to`, value `i` to partition `i % partitions`.
async fn produce(m: &MockCluster, partitions: i32, from: u32, to: u32) {
    let mut config = ProducerConfig::builder();
    config.bootstrap_servers(m.bootstrap());
    for (k, v) in [("linger.ms", "1"), ("retry.backoff.ms", "20")] {
        config.set(k, v).unwrap();
    }
    let producer = Producer::new(config.build().unwrap()).await.unwrap();
    let topic: Arc<str> = Arc::from(TOPIC);
    let mut deliveries = Vec::new();
    for i in from..to {
        let r = ProducerRecord::new(Arc::clone(&topic), format!("{i}"))
            .with_partition((i % partitions as u32) as i32);
        deliveries.push(producer.send(r).await.unwrap());
    }
    for d in deliveries {
        d.await.unwrap();
    }
    producer.close(Duration::from_secs(5)).await.unwrap();
}

/// A group member of the mock with short timers, plus `settings`.
async fn member(m: &MockCluster, group: &str, settings: &[(&str, &str)]) -> Consumer {
    let mut all = vec![
        ("group.id", group),
        ("auto.offset.reset", "earliest"),
        ("session.timeout.ms", "3000"),
        ("heartbeat.interval.ms", "100"),
        ("auto.commit.interval.ms", "200"),
        ("fetch.max.wait.ms", "50"),
        ("retry.backoff.ms", "50"),
        ("request.timeout.ms", "2000"),
        ("socket.connection.setup.timeout.ms", "1000"),
        ("metadata.max.age.ms", "500"),
    ];
    all.extend_from_slice(settings);
    let bootstrap = m.bootstrap();
    let mut c = ottla_tests::consumer(&bootstrap, &all).await;
    c.subscribe([TOPIC]).unwrap();
    c
}

/// Reads until `n` records came (30 s at most).
async fn read(c: &mut Consumer, n: usize) -> Vec<ConsumerRecord> {
    let mut out = Vec::new();
    while out.len() < n {
        let batch = c.recv_batch(n - out.len(), Duration::from_secs(30)).await;
        let batch = batch.unwrap();
        assert!(!batch.is_empty(), "stuck at {} of {n}", out.len());
        out.extend(batch);
    }
    out
}

/// The values read, checked: each once, in order within its partition.
fn values(records: &[ConsumerRecord]) -> Vec<u32> {
    ottla_tests::in_order(records);
    let mut out: Vec<u32> = records
        .iter()
        .map(|r| {
            std::str::from_utf8(r.value.as_deref().unwrap())
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    out.sort_unstable();
    let len = out.len();
    out.dedup();
    assert_eq!(out.len(), len, "no record twice");
    out
}

/// The group's committed offsets summed over `partitions` partitions.
fn committed(m: &MockCluster, group: &str, partitions: i32) -> i64 {
    (0..partitions)
        .filter_map(|p| m.committed_offset(group, TOPIC, p))
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_members_split_the_partitions_and_a_third_resumes_from_their_commits() {
    let m = mock(1, 4).await;
    let (mut a, mut b) = (member(&m, "g1", &[]).await, member(&m, "g1", &[]).await);
    // Both in the group before the records come (one alone could read all 400 before the
    // other joins).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while m.group_members("g1").map(|(_, ms)| ms.len()) != Some(2) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "two members in 10 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    produce(&m, 4, 0, 400).await;
    let mut records = Vec::new();
    while records.len() < 400 {
        tokio::select! {
            r = a.recv() => records.push(r.unwrap()),
            r = b.recv() => records.push(r.unwrap()),
        }
    }
    assert_eq!(values(&records), (0..400).collect::<Vec<_>>());
    let (generation, members) = m.group_members("g1").unwrap();
    assert_eq!(members.len(), 2, "gen {generation}");
    a.close().await.unwrap();
    b.close().await.unwrap();
    assert_eq!(committed(&m, "g1", 4), 400);
    assert_eq!(m.group_members("g1").unwrap().1.len(), 0, "both left");

    produce(&m, 4, 400, 500).await;
    let mut c = member(&m, "g1", &[]).await;
    assert_eq!(
        values(&read(&mut c, 100).await),
        (400..500).collect::<Vec<_>>()
    );
    c.close().await.unwrap();
}

/// KIP-848 (`group.protocol=consumer`): the mock's coordinator assigns; two members split the
/// partitions (the first gives up half before the second gets them), read every record once
/// and commit under their member epochs; a third resumes from the commits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kip848_members_split_the_partitions_and_commit_under_their_epochs() {
    let m = mock(1, 4).await;
    let group = "g848";
    // The coordinator's heartbeat interval is the group's config, as on Kafka.
    let admin = ottla::admin::Admin::new(ottla_tests::client(&m.bootstrap()).await);
    admin
        .alter_configs(
            &ottla::admin::ConfigResource::Group(group.into()),
            &[ottla::admin::AlterOp::Set(
                "consumer.heartbeat.interval.ms".into(),
                "100".into(),
            )],
        )
        .await
        .unwrap();
    let member = || async {
        let mut c = ottla_tests::consumer(
            &m.bootstrap(),
            &[
                ("group.id", group),
                ("group.protocol", "consumer"),
                ("auto.offset.reset", "earliest"),
                ("auto.commit.interval.ms", "200"),
                ("fetch.max.wait.ms", "50"),
                ("retry.backoff.ms", "50"),
            ],
        )
        .await;
        c.subscribe([TOPIC]).unwrap();
        c
    };
    let (mut a, mut b) = (member().await, member().await);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        // recv drives the membership; nothing is written yet.
        tokio::select! {
            _ = a.recv() => panic!("no records yet"),
            _ = b.recv() => panic!("no records yet"),
            _ = tokio::time::sleep(Duration::from_millis(50)) => {}
        }
        if let Some((_, "Stable", members)) = m.consumer_group(group) {
            if members.len() == 2 {
                break;
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "two members, stable, in 15 s: {:?}",
            m.consumer_group(group)
        );
    }
    let d = admin.describe_group(group).await.unwrap();
    assert_eq!(d.group_protocol, "consumer");
    let mut owned: Vec<usize> = d.members.iter().map(|m| m.assignment.len()).collect();
    owned.sort_unstable();
    assert_eq!(owned, [2, 2], "{d:?}");

    produce(&m, 4, 0, 400).await;
    let mut records = Vec::new();
    while records.len() < 400 {
        tokio::select! {
            r = a.recv() => records.push(r.unwrap()),
            r = b.recv() => records.push(r.unwrap()),
        }
    }
    assert_eq!(values(&records), (0..400).collect::<Vec<_>>());
    a.close().await.unwrap();
    b.close().await.unwrap();
    assert_eq!(committed(&m, group, 4), 400);
    assert_eq!(m.consumer_group(group).unwrap().2.len(), 0, "both left");

    produce(&m, 4, 400, 500).await;
    let mut c = member().await;
    assert_eq!(
        values(&read(&mut c, 100).await),
        (400..500).collect::<Vec<_>>()
    );
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_coordinator_answers_and_a_coordinator_move_lose_nothing() {
    let m = mock(3, 3).await;
    let group = "g2";
    produce(&m, 3, 0, 300).await;
    let mut c = member(&m, group, &[]).await;
    let first = read(&mut c, 150).await;
    // The coordinator says it is not, three heartbeats and two commits long.
    let hb = m.inject(
        Fault::new(ApiKey::Heartbeat)
            .times(3)
            .error(ErrorTarget::Response, NOT_COORDINATOR),
    );
    let oc = m.inject(
        Fault::new(ApiKey::OffsetCommit)
            .times(2)
            .error(ErrorTarget::AllEntries, NOT_COORDINATOR),
    );
    let second = read(&mut c, 150).await;
    c.commit().await.unwrap();
    assert_eq!(m.fault_hits(hb), Some(3));
    assert_eq!(m.fault_hits(oc), Some(2));
    assert_eq!(committed(&m, group, 3), 300);

    // The coordinator's broker stops: coordination (and the leadership of the partitions it
    // led) moves to another broker.
    let home = m.group_coordinator(group).unwrap();
    m.stop_broker(home).await.unwrap();
    assert_ne!(m.group_coordinator(group), Some(home));
    produce(&m, 3, 300, 600).await;
    let third = read(&mut c, 300).await;
    c.commit().await.unwrap();
    assert_eq!(committed(&m, group, 3), 600);
    let all: Vec<ConsumerRecord> = first.into_iter().chain(second).chain(third).collect();
    assert_eq!(values(&all), (0..600).collect::<Vec<_>>());
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fetch_leader_dies_mid_stream() {
    let m = mock(3, 1).await;
    let group = "g3";
    let leader = m.leader(TOPIC, 0).unwrap().unwrap();
    // Keep the group's coordinator elsewhere: only the fetch leader dies.
    assert_ne!(
        m.group_coordinator(group),
        Some(leader),
        "pick another group name"
    );
    produce(&m, 1, 0, 500).await;
    let mut c = member(&m, group, &[("max.partition.fetch.bytes", "2000")]).await;
    let mut records = read(&mut c, 200).await;
    m.stop_broker(leader).await.unwrap();
    assert_ne!(m.leader(TOPIC, 0).unwrap(), Some(leader));
    let (more, rest) = tokio::join!(produce(&m, 1, 500, 800), read(&mut c, 600));
    let () = more;
    records.extend(rest);
    assert_eq!(values(&records), (0..800).collect::<Vec<_>>());
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebalance_while_the_application_is_slow_keeps_its_membership() {
    let m = mock(1, 2).await;
    let group = "g4";
    produce(&m, 2, 0, 200).await;
    let mut c = member(
        &m,
        group,
        &[
            ("session.timeout.ms", "1000"),
            ("max.poll.interval.ms", "20000"),
        ],
    )
    .await;
    let mut records = read(&mut c, 100).await;
    let (generation, members) = m.group_members(group).unwrap();
    let joins = m.request_count(ApiKey::JoinGroup);
    // The next heartbeat says a rebalance is on, while the application does not poll for
    // 2.5 s (more than the session timeout): the member's own task rejoins.
    let fault = m.inject(
        Fault::new(ApiKey::Heartbeat)
            .times(1)
            .error(ErrorTarget::Response, REBALANCE_IN_PROGRESS),
    );
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(m.fault_hits(fault), Some(1));
    assert!(m.request_count(ApiKey::JoinGroup) > joins, "rejoined");
    let (after, members_after) = m.group_members(group).unwrap();
    assert_eq!(members_after, members, "the same member, never expired");
    assert_eq!(after, generation + 1, "one rebalance");
    records.extend(read(&mut c, 100).await);
    assert_eq!(values(&records), (0..200).collect::<Vec<_>>());
    c.close().await.unwrap();
    assert_eq!(committed(&m, group, 2), 200);
}
