//! KIP-848 consumer groups (`group.protocol=consumer`) on Kafka's own coordinator
//! (`OTTLA_BOOTSTRAP`): the coordinator assigns, members split a topic's partitions with each
//! partition owned by one member at a time, alone and beside the Java consumer; a consumer
//! reads, commits under its member epoch, and the next one resumes there.
//!
//! A broker without KIP-848 groups (the Kafka 3.9 of the compatibility pass) must instead
//! fail the member at once with an error that says to use `group.protocol=classic`.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use ottla::consumer::{Consumer, ConsumerConfig, ConsumerRecord};
use ottla::group::admin::describe_group;
use ottla::group::{kip848, GroupEvent, GroupMember};
use ottla_protocol::messages::ApiKey;
use ottla_tests::group_members::{
    mixed_group_round, stop, track, wait_for_split, PeerMember, Shared,
};
use ottla_tests::{bootstrap, client, create_unique_topic, init_logs, unique_topic};

fn config(group: &str, assignor: &str) -> kip848::MembershipConfig {
    kip848::MembershipConfig {
        group_id: group.to_owned(),
        group_instance_id: None,
        rebalance_timeout: Duration::from_secs(30),
        retry_backoff: ottla::cluster::Backoff {
            base: Duration::from_millis(100),
            max: Duration::from_secs(1),
        },
        remote_assignor: Some(assignor.to_owned()),
        rack: None,
    }
}

/// Whether the broker runs KIP-848 groups. Kafka 4 does; Kafka 3.x (the compatibility
/// pass's 3.9) offers ConsumerGroupHeartbeat in ApiVersions but keeps the protocol off
/// unless `group.coordinator.rebalance.protocols` names it, as on MSK, so the version of
/// scripts/kafka.sh (`OTTLA_KAFKA_VERSION`) decides; another broker is asked.
async fn runs_kip848(c: &ottla::Client) -> bool {
    if let Ok(v) = std::env::var("OTTLA_KAFKA_VERSION") {
        let major: u32 = v
            .split('.')
            .next()
            .and_then(|m| m.parse().ok())
            .unwrap_or(0);
        return major >= 4;
    }
    c.any_connection()
        .await
        .unwrap()
        .version_of(ApiKey::ConsumerGroupHeartbeat)
        .is_ok()
}

/// Without KIP-848 on the broker, a member fails at once and says what to do.
async fn fails_clearly(c: &ottla::Client) {
    let topic = create_unique_topic(c, "kip848-none", 1, &[]).await;
    let mut member = GroupMember::start(
        c.clone(),
        config(&unique_topic("kip848-none"), "uniform"),
        [topic.as_str()],
    );
    let event = tokio::time::timeout(Duration::from_secs(30), member.next_event())
        .await
        .expect("an answer within 30 s");
    match event {
        Some(GroupEvent::Failed(e)) => {
            let text = e.to_string();
            assert!(text.contains("group.protocol=classic"), "{text}");
            assert!(text.contains("KIP-848"), "{text}");
        }
        other => panic!("expected a clear failure, got {other:?}"),
    }
}

/// The admin view of a KIP-848 group (ConsumerGroupDescribe) reaches `sizes` members'
/// partitions with `assignor` within 10 s (it follows the members' acknowledgements).
async fn described_as(c: &ottla::Client, group: &str, assignor: &str, sizes: &[usize]) {
    let mut last = None;
    for _ in 0..100 {
        let d = describe_group(c, group).await.unwrap();
        assert_eq!(d.group_protocol, "consumer");
        assert_eq!(d.assignor, assignor);
        let mut got: Vec<usize> = d.members.iter().map(|m| m.assignment.len()).collect();
        got.sort_unstable();
        if got == sizes && d.state == "Stable" {
            return;
        }
        last = Some(d);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("group {group} not described as {sizes:?} within 10 s: {last:?}");
}

/// Three ottla members, with each of Kafka's server-side assignors: 4/4/4 over 12
/// partitions, then 6/6 when one leaves, nothing lost; `describe_group` shows the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_split_and_resplit_with_the_coordinators_assignors() {
    init_logs();
    let Some(b) = bootstrap() else { return };
    let c = client(&b).await;
    if !runs_kip848(&c).await {
        return fails_clearly(&c).await;
    }
    for assignor in ["uniform", "range"] {
        let topic = create_unique_topic(&c, "kip848", 12, &[]).await;
        let group = unique_topic("ottla-kip848");
        let shared: Shared = Arc::default();
        let mut members = Vec::new();
        for name in ["a", "b", "c"] {
            let member = GroupMember::start(c.clone(), config(&group, assignor), [topic.as_str()]);
            members.push(track(name, member, Arc::clone(&shared)));
        }
        wait_for_split(&shared, 12, &[4, 4, 4]).await;
        described_as(&c, &group, assignor, &[4, 4, 4]).await;
        stop(members.pop().unwrap()).await;
        wait_for_split(&shared, 12, &[6, 6]).await;
        described_as(&c, &group, assignor, &[6, 6]).await;
        assert_eq!(shared.lock().unwrap().lost, 0, "{assignor}: a clean leave");
        for member in members {
            stop(member).await;
        }
    }
}

/// ottla members and the Java consumer (`group.protocol=consumer`) in one KIP-848 group:
/// one owner per partition at a time, the split follows leaves on either side.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ottla_and_the_java_consumer_share_a_kip848_group() {
    init_logs();
    let (Some(b), Some(java)) = (bootstrap(), ottla_tests::java_peer()) else {
        return;
    };
    let c = client(&b).await;
    if !runs_kip848(&c).await {
        return fails_clearly(&c).await;
    }
    let topic = create_unique_topic(&c, "kip848-mixed", 12, &[]).await;
    let group = unique_topic("ottla-kip848-mixed");
    let shared: Shared = Arc::default();
    let java = PeerMember::start(
        &java,
        &b,
        &topic,
        &group,
        "uniform",
        "java",
        Arc::clone(&shared),
        &["--protocol", "consumer"],
    );
    let mut ours = Vec::new();
    for name in ["ottla-a", "ottla-b"] {
        let member = GroupMember::start(c.clone(), config(&group, "uniform"), [topic.as_str()]);
        ours.push(track(name, member, Arc::clone(&shared)));
    }
    mixed_group_round(&shared, ours, move || java.leave(), "java, KIP-848").await;
}

async fn kip848_consumer(b: &str, group: &str, topic: &str) -> Consumer {
    let mut config = ConsumerConfig::builder();
    config.bootstrap_servers(b);
    for (k, v) in [
        ("group.id", group),
        ("group.protocol", "consumer"),
        ("auto.offset.reset", "earliest"),
        ("enable.auto.commit", "false"),
        ("fetch.max.wait.ms", "100"),
    ] {
        config.set(k, v).unwrap();
    }
    let mut c = Consumer::new(config.build().unwrap()).await.unwrap();
    c.subscribe([topic]).unwrap();
    c
}

/// Records until there are at least `n` (60 s at most).
async fn receive(c: &mut Consumer, n: usize) -> Vec<ConsumerRecord> {
    let mut out = Vec::new();
    while out.len() < n {
        let batch = tokio::time::timeout(
            Duration::from_secs(60),
            c.recv_batch(100, Duration::from_secs(1)),
        )
        .await
        .unwrap_or_else(|_| panic!("only {} of {n} records in 60 s", out.len()))
        .unwrap();
        out.extend(batch);
    }
    out
}

/// A `group.protocol=consumer` consumer reads every record, commits under its member epoch,
/// and the next consumer of the group starts after what was committed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kip848_consumer_commits_and_the_next_one_resumes() {
    init_logs();
    let Some(b) = bootstrap() else { return };
    let c = client(&b).await;
    if !runs_kip848(&c).await {
        return fails_clearly(&c).await;
    }
    let topic = create_unique_topic(&c, "kip848-consume", 3, &[]).await;
    let group = unique_topic("ottla-kip848-consume");
    for p in 0..3 {
        ottla_tests::produce_values(&c, &topic, p, 20).await;
    }
    let mut first = kip848_consumer(&b, &group, &topic).await;
    let read = receive(&mut first, 60).await;
    let distinct: BTreeSet<(i32, i64)> = read.iter().map(|r| (r.partition, r.offset)).collect();
    assert_eq!((read.len(), distinct.len()), (60, 60), "each record once");
    first.commit().await.unwrap();
    first.close().await.unwrap();

    for p in 0..3 {
        ottla_tests::produce_values(&c, &topic, p, 5).await;
    }
    let mut second = kip848_consumer(&b, &group, &topic).await;
    let again = receive(&mut second, 15).await;
    assert_eq!(again.len(), 15);
    assert!(
        again.iter().all(|r| r.offset >= 20),
        "the second consumer starts at the committed offsets: {:?}",
        again
            .iter()
            .map(|r| (r.partition, r.offset))
            .collect::<Vec<_>>()
    );
    second.close().await.unwrap();
}
