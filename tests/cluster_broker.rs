//! Against the 3-broker Kafka cluster (`OTTLA_CLUSTER_BOOTSTRAP`, `scripts/kafka.sh start
//! --cluster`): the client sees three brokers with their racks, replicated topics have three
//! in-sync replicas with leaders spread over the brokers, and an acks=all producer's records
//! come back from every partition leader; a consumer and a producer follow a leader that
//! moves when its broker stops.

use std::collections::BTreeSet;
use std::time::Duration;

use ottla::basic::{fetch_partition, FetchOptions};
use ottla_tests::cluster::{
    consumer_with, number, producer, replicated_topic, send_numbers, stoppable, wait_until_whole,
    Stoppable, Stopped, CLUSTER,
};
use ottla_tests::{client, cluster_bootstrap, unique_topic};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_racks_replicated_topic_and_acks_all_round_trip() {
    let _alone = CLUSTER.lock().await;
    let Some(b) = cluster_bootstrap() else { return };
    let c = client(&b).await;
    let m = c.refresh_metadata().await.unwrap();
    let racks: BTreeSet<_> = m.brokers.values().filter_map(|b| b.rack.clone()).collect();
    assert_eq!(m.brokers.len(), 3, "{:?}", m.brokers);
    assert_eq!(
        racks,
        ["rack-1", "rack-2", "rack-3"].map(String::from).into()
    );

    // Replicas join the ISR as each broker learns of the topic.
    let (topic, leaders) = replicated_topic(&c, "cluster-rf3", 6).await;
    let leaders: BTreeSet<i32> = leaders.into_values().collect();
    assert_eq!(leaders.len(), 3, "six partitions led by all three brokers");
    let producer = producer(&b).await;
    send_numbers(&producer, &topic, 6, 0, 6_000).await;
    producer.close(Duration::from_secs(10)).await.unwrap();

    for p in 0..6 {
        let mut offset = 0;
        let mut values = Vec::new();
        while values.len() < 1_000 {
            let f = fetch_partition(&c, &topic, p, offset, &FetchOptions::default())
                .await
                .unwrap();
            offset = f.next_offset;
            values.extend(
                f.records
                    .into_iter()
                    .map(|r| String::from_utf8(r.value.unwrap().to_vec()).unwrap()),
            );
        }
        let want: Vec<String> = (0..1_000).map(|k| format!("{}", 6 * k + p)).collect();
        assert_eq!(values, want, "partition {p}");
    }
}

/// A consumer reads a replicated topic while the leader of its partitions stops: the
/// leadership moves to another in-sync replica, the consumer follows it, and a producer
/// writes more meanwhile. Every record is read once, in order: none skipped, none twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_reads_through_a_leader_move() {
    use ottla::group::TopicPartition;
    let Some(Stoppable { _alone, b, pids, c }) = stoppable().await else {
        return;
    };
    let (topic, leaders) = replicated_topic(&c, "cluster-move", 1).await;
    let leader = leaders[&0];
    let producer = producer(&b).await;
    let send = |from, to| send_numbers(&producer, &topic, 1, from, to);
    send(0, 20_000).await;

    let mut consumer = consumer_with(
        &b,
        &[
            ("auto.offset.reset", "earliest"),
            ("fetch.max.wait.ms", "100"),
            ("max.partition.fetch.bytes", "20000"),
        ],
    )
    .await;
    consumer
        .assign(vec![TopicPartition::new(topic.as_str(), 0)])
        .unwrap();
    let mut values: Vec<u32> = Vec::new();
    let read = |values: &mut Vec<u32>, batch: Vec<ottla::consumer::ConsumerRecord>| {
        values.extend(batch.iter().map(number));
    };
    while values.len() < 5_000 {
        let batch = consumer
            .recv_batch(1_000, Duration::from_secs(30))
            .await
            .unwrap();
        assert!(!batch.is_empty(), "records before the move");
        read(&mut values, batch);
    }

    // The leader stops; the controller fences it and another replica leads.
    let stopped = Stopped::new(pids[&leader]);
    let produced_meanwhile = send(20_000, 25_000);
    let reading = async {
        while values.len() < 25_000 {
            let batch = consumer
                .recv_batch(5_000, Duration::from_secs(60))
                .await
                .unwrap();
            assert!(
                !batch.is_empty(),
                "stuck at {} records after the move",
                values.len()
            );
            read(&mut values, batch);
        }
    };
    tokio::time::timeout(
        Duration::from_secs(120),
        futures::future::join(produced_meanwhile, reading),
    )
    .await
    .expect("the move within 120 s");
    // The consumer's client (3 s timeouts) says who leads now.
    let mut now = None;
    for _ in 0..10 {
        if let Ok(m) = consumer.client().refresh_metadata().await {
            now = m.topics[topic.as_str()].partitions[&0].leader;
            break;
        }
    }
    assert!(
        now.is_some() && now != Some(leader),
        "the leadership moved: {now:?}"
    );
    drop(stopped);
    wait_until_whole(consumer.client(), &topic, leader).await;

    let expected: Vec<u32> = (0..25_000).collect();
    assert!(values == expected, "every record once, in order");
    consumer.close().await.unwrap();
    producer.close(Duration::from_secs(10)).await.unwrap();
}

/// The broker coordinating `group` (ListGroups on every broker).
async fn coordinator_of(c: &ottla::Client, group: &str) -> Option<i32> {
    let groups = ottla::group::admin::list_groups(c).await.ok()?;
    groups
        .into_iter()
        .find(|g| g.group_id == group)
        .map(|g| g.coordinator)
}

/// A group member keeps its group when its coordinator's broker stops: the member finds the
/// new coordinator, keeps reading, and its commits land there; every record is read and the
/// group's committed offsets end at the end of each partition.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_member_follows_its_coordinator_when_its_broker_stops() {
    use ottla::group::TopicPartition;
    let Some(Stoppable { _alone, b, pids, c }) = stoppable().await else {
        return;
    };
    let (topic, _) = replicated_topic(&c, "cluster-coordinator", 3).await;
    let group = unique_topic("cluster-group");
    let producer = producer(&b).await;
    let send = |from, to| send_numbers(&producer, &topic, 3, from, to);
    send(0, 3_000).await;

    let mut consumer = consumer_with(
        &b,
        &[
            ("group.id", group.as_str()),
            ("auto.offset.reset", "earliest"),
            ("auto.commit.interval.ms", "200"),
            ("heartbeat.interval.ms", "300"),
            ("session.timeout.ms", "30000"),
            ("fetch.max.wait.ms", "100"),
            ("max.partition.fetch.bytes", "2000"),
        ],
    )
    .await;
    consumer.subscribe([topic.as_str()]).unwrap();
    let mut seen = std::collections::BTreeSet::new();
    while seen.len() < 1_500 {
        let batch = consumer
            .recv_batch(500, Duration::from_secs(30))
            .await
            .unwrap();
        assert!(!batch.is_empty(), "records before the stop");
        for r in batch {
            seen.insert(number(&r));
        }
    }
    let coordinator = coordinator_of(&c, &group)
        .await
        .expect("the group's coordinator");

    let stopped = Stopped::new(pids[&coordinator]);
    let reading = async {
        while seen.len() < 4_500 {
            let batch = consumer
                .recv_batch(1_000, Duration::from_secs(60))
                .await
                .unwrap();
            assert!(!batch.is_empty(), "stuck at {} records", seen.len());
            for r in batch {
                seen.insert(number(&r));
            }
        }
    };
    tokio::time::timeout(
        Duration::from_secs(120),
        futures::future::join(send(3_000, 4_500), reading),
    )
    .await
    .expect("through the coordinator move within 120 s");
    // The commit reaches the new coordinator (commit retries while it is being found).
    consumer.commit().await.unwrap();
    let partitions: Vec<TopicPartition> = (0..3)
        .map(|p| TopicPartition::new(topic.as_str(), p))
        .collect();
    let committed = consumer.committed(partitions).await.unwrap();
    let total: i64 = committed
        .values()
        .map(|o| o.as_ref().map_or(0, |o| o.offset))
        .sum();
    assert_eq!(
        total, 4_500,
        "committed at the end of every partition: {committed:?}"
    );
    drop(stopped);
    wait_until_whole(consumer.client(), &topic, coordinator).await;
    assert_eq!(seen.len(), 4_500, "every record read");
    consumer.close().await.unwrap();
    producer.close(Duration::from_secs(10)).await.unwrap();
}
