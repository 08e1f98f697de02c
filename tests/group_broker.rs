//! Classic consumer groups on Kafka's own group coordinator (`OTTLA_BOOTSTRAP`): members of
//! one group split a topic's partitions, each partition owned by exactly one member at any
//! time, and the split follows members joining and leaving — with the eager `range` and the
//! cooperative `cooperative-sticky` assignor, and with a static member.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use ottla::group::assignor::{Assignor, CooperativeSticky, Range};
use ottla::group::classic::MembershipConfig;
use ottla::group::{GroupEvent, GroupMember, OffsetAndMetadata, TopicPartition};
use ottla_tests::group_members::{
    mixed_group_round, stop, track, wait_for_split, PeerMember, Shared,
};
use ottla_tests::{bootstrap, client, create_unique_topic, init_logs, unique_topic};

fn config(group: &str, assignor: Arc<dyn Assignor>, instance: Option<&str>) -> MembershipConfig {
    ottla_tests::group_config(group, assignor, instance)
}

async fn group_of_three_then_one_leaves(assignor: Arc<dyn Assignor>) {
    init_logs();
    let Some(b) = bootstrap() else { return };
    let c = client(&b).await;
    let topic = create_unique_topic(&c, "group", 12, &[]).await;
    let group = unique_topic("ottla-group");
    let shared: Shared = Arc::default();
    let mut members = Vec::new();
    for name in ["a", "b", "c"] {
        let member = GroupMember::start(
            c.clone(),
            config(&group, Arc::clone(&assignor), None),
            [topic.as_str()],
        );
        members.push(track(name, member, Arc::clone(&shared)));
    }
    wait_for_split(&shared, 12, &[4, 4, 4]).await;

    // "c" leaves: its partitions are revoked, then shared by the other two.
    stop(members.pop().unwrap()).await;
    wait_for_split(&shared, 12, &[6, 6]).await;
    {
        let o = shared.lock().unwrap();
        assert!(o.by_member["c"].is_empty());
        assert_eq!(o.lost, 0, "a clean leave loses nothing");
    }
    for member in members {
        stop(member).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn range_members_split_and_resplit_the_partitions() {
    group_of_three_then_one_leaves(Arc::new(Range)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cooperative_sticky_members_split_and_resplit_the_partitions() {
    group_of_three_then_one_leaves(Arc::new(CooperativeSticky)).await;
}

/// A static member (`group.instance.id`) that leaves without LeaveGroup and comes back under
/// the same instance id within the session timeout gets its partitions back without the
/// other member losing or moving any.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_static_member_comes_back_to_its_partitions() {
    init_logs();
    let Some(b) = bootstrap() else { return };
    let c = client(&b).await;
    let topic = create_unique_topic(&c, "group-static", 6, &[]).await;
    let group = unique_topic("ottla-static");
    let shared: Shared = Arc::default();
    let assignor: Arc<dyn Assignor> = Arc::new(CooperativeSticky);
    let dynamic = GroupMember::start(
        c.clone(),
        config(&group, Arc::clone(&assignor), None),
        [topic.as_str()],
    );
    let dynamic = track("dynamic", dynamic, Arc::clone(&shared));
    let first = GroupMember::start(
        c.clone(),
        config(&group, Arc::clone(&assignor), Some("pod-1")),
        [topic.as_str()],
    );
    let first = track("static", first, Arc::clone(&shared));
    wait_for_split(&shared, 6, &[3, 3]).await;
    let before = shared.lock().unwrap().by_member["static"].clone();

    stop(first).await;
    // The coordinator keeps the static member's partitions for it: nothing moves to the other.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(shared.lock().unwrap().by_member["dynamic"].len(), 3);

    let again = GroupMember::start(
        c.clone(),
        config(&group, assignor, Some("pod-1")),
        [topic.as_str()],
    );
    let again = track("static", again, Arc::clone(&shared));
    wait_for_split(&shared, 6, &[3, 3]).await;
    {
        let o = shared.lock().unwrap();
        assert_eq!(
            o.by_member["static"], before,
            "the same partitions come back"
        );
        assert_eq!(o.lost, 0);
    }
    for member in [again, dynamic] {
        stop(member).await;
    }
}

/// Offsets committed by a member of the group (with leader epoch and metadata) are what the
/// next member of the group reads back, after the first one has left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn committed_offsets_outlive_the_member_that_committed_them() {
    init_logs();
    let Some(b) = bootstrap() else { return };
    let c = client(&b).await;
    let topic = create_unique_topic(&c, "group-offsets", 2, &[]).await;
    let group = unique_topic("ottla-offsets");
    let tp = |p| TopicPartition::new(topic.as_str(), p);
    let mut first = GroupMember::start(
        c.clone(),
        config(&group, Arc::new(Range), None),
        [topic.as_str()],
    );
    match tokio::time::timeout(Duration::from_secs(30), first.next_event())
        .await
        .unwrap()
    {
        Some(GroupEvent::Assigned(parts)) => assert_eq!(parts, vec![tp(0), tp(1)]),
        other => panic!("{other:?}"),
    }
    let none = first.committed(vec![tp(0), tp(1)]).await.unwrap();
    assert_eq!(none.values().filter(|o| o.is_some()).count(), 0, "{none:?}");
    let offsets: BTreeMap<TopicPartition, OffsetAndMetadata> = [
        (
            tp(0),
            OffsetAndMetadata {
                offset: 5,
                leader_epoch: Some(0),
                metadata: Some("batch 17".into()),
            },
        ),
        (tp(1), OffsetAndMetadata::new(7)),
    ]
    .into_iter()
    .collect();
    first.commit(offsets.clone()).await.unwrap();
    first.leave().await.unwrap();

    let second = GroupMember::start(
        c.clone(),
        config(&group, Arc::new(Range), None),
        [topic.as_str()],
    );
    let got = second.committed(vec![tp(0), tp(1)]).await;
    // The second member may not have found its coordinator yet: ask again briefly.
    let got = match got {
        Ok(g) => g,
        Err(e) if e.is_retriable() => {
            tokio::time::sleep(Duration::from_millis(500)).await;
            second.committed(vec![tp(0), tp(1)]).await.unwrap()
        }
        Err(e) => panic!("{e}"),
    };
    let expected: BTreeMap<TopicPartition, Option<OffsetAndMetadata>> =
        offsets.into_iter().map(|(k, v)| (k, Some(v))).collect();
    assert_eq!(got, expected);
    second.leave().await.unwrap();
}

/// ottla members with a Java consumer, and with a franz-go consumer, in one group (the
/// classic protocol, with the cooperative-sticky and with the range assignor): each partition
/// has one owner at a time, the split follows members leaving on either side, and nothing is
/// lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ottla_members_share_a_group_with_java_and_franz_go() {
    init_logs();
    let (Some(b), Some(java), Some(go)) = (
        bootstrap(),
        ottla_tests::java_peer(),
        ottla_tests::go_peer(),
    ) else {
        return;
    };
    let c = client(&b).await;
    for (peer_name, peer) in [("java", java), ("franz-go", go)] {
        for (assignor, ours) in [
            (
                "cooperative-sticky",
                Arc::new(CooperativeSticky) as Arc<dyn Assignor>,
            ),
            ("range", Arc::new(Range) as Arc<dyn Assignor>),
        ] {
            let topic = create_unique_topic(&c, "group-mixed", 12, &[]).await;
            let group = unique_topic("ottla-mixed");
            let shared: Shared = Arc::default();
            let peer_member = PeerMember::start(
                &peer,
                &b,
                &topic,
                &group,
                assignor,
                peer_name,
                Arc::clone(&shared),
                &[],
            );
            let mut ottla_members = Vec::new();
            for name in ["ottla-a", "ottla-b"] {
                let member = GroupMember::start(
                    c.clone(),
                    config(&group, Arc::clone(&ours), None),
                    [topic.as_str()],
                );
                ottla_members.push(track(name, member, Arc::clone(&shared)));
            }
            let what = format!("{peer_name}, {assignor}");
            mixed_group_round(&shared, ottla_members, move || peer_member.leave(), &what).await;
        }
    }
}

/// The admin view of a group: listed with its type, described with its member and that
/// member's partitions, and its lag per partition (committed against the high watermark).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_is_listed_described_and_its_lag_measured() {
    use ottla::group::admin::{describe_group, group_lag, list_groups};
    init_logs();
    let Some(b) = bootstrap() else { return };
    let c = client(&b).await;
    let topic = create_unique_topic(&c, "group-lag", 2, &[]).await;
    for (partition, count) in [(0, 6), (1, 4)] {
        ottla_tests::produce_values(&c, &topic, partition, count).await;
    }
    let group = unique_topic("ottla-lag");
    let tp = |p| TopicPartition::new(topic.as_str(), p);
    let mut member = GroupMember::start(
        c.clone(),
        config(&group, Arc::new(Range), None),
        [topic.as_str()],
    );
    match tokio::time::timeout(Duration::from_secs(30), member.next_event())
        .await
        .unwrap()
    {
        Some(GroupEvent::Assigned(parts)) => assert_eq!(parts, vec![tp(0), tp(1)]),
        other => panic!("{other:?}"),
    }
    member
        .commit([(tp(0), OffsetAndMetadata::new(4))].into_iter().collect())
        .await
        .unwrap();

    let listed = list_groups(&c).await.unwrap();
    let ours = listed
        .iter()
        .find(|g| g.group_id == group)
        .expect("the group is listed");
    assert_eq!(ours.protocol_type, "consumer");
    let described = describe_group(&c, &group).await.unwrap();
    assert_eq!(
        (described.state.as_str(), described.assignor.as_str()),
        ("Stable", "range")
    );
    assert_eq!(described.members.len(), 1);
    assert_eq!(described.members[0].assignment, vec![tp(0), tp(1)]);
    assert_eq!(described.members[0].client_id, "ottla-tests");

    let lag = group_lag(&c, &group).await.unwrap();
    let owner = Some(described.members[0].member_id.clone());
    type Row = (i32, Option<i64>, i64, Option<i64>, Option<String>);
    let rows: Vec<Row> = lag
        .into_iter()
        .map(|l| (l.partition.partition, l.committed, l.end, l.lag, l.owner))
        .collect();
    assert_eq!(
        rows,
        vec![
            (0, Some(4), 6, Some(2), owner.clone()),
            (1, None, 4, None, owner)
        ]
    );
    member.leave().await.unwrap();
}

/// ottla members with kcat (librdkafka) in one classic group with the range assignor (eager:
/// everything is revoked at each rebalance): one owner per partition at a time, the split
/// follows leaves on either side, nothing is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ottla_members_share_a_group_with_kcat() {
    use ottla_tests::group_members::KcatMember;
    init_logs();
    let (Some(b), Some(kcat)) = (bootstrap(), ottla_tests::kcat()) else {
        return;
    };
    let c = client(&b).await;
    let topic = create_unique_topic(&c, "group-kcat", 12, &[]).await;
    let group = unique_topic("ottla-kcat");
    let shared: Shared = Arc::default();
    let kcat_member = KcatMember::start(
        &kcat,
        &b,
        &topic,
        &group,
        "range",
        "kcat",
        Arc::clone(&shared),
    );
    let mut ours = Vec::new();
    for name in ["ottla-a", "ottla-b"] {
        let member = GroupMember::start(
            c.clone(),
            config(&group, Arc::new(Range), None),
            [topic.as_str()],
        );
        ours.push(track(name, member, Arc::clone(&shared)));
    }
    mixed_group_round(&shared, ours, move || kcat_member.leave(), "kcat, range").await;
}
