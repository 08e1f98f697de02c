//! The consumer's fetches on the 3-broker Kafka cluster (`OTTLA_CLUSTER_BOOTSTRAP`; brokers
//! in racks rack-1..rack-3 with Kafka's rack-aware replica selector):
//! - KIP-392: with `client.rack` naming a follower's rack, the consumer reads from that
//!   follower; in the leader's rack, from the leader;
//! - KIP-320: an unclean leader election truncates records the consumer had read; it finds
//!   out from its next fetch and reads on from where the logs agree, neither starting over nor
//!   skipping what the new leader writes.

use std::time::Duration;

use ottla::basic::{create_topic, NewTopic};
use ottla::consumer::Consumer;
use ottla::group::TopicPartition;
use ottla_tests::cluster::{
    consumer_with, number, producer, replicated_topic, send_numbers, stoppable, wait_until_whole,
    Stoppable, Stopped,
};
use ottla_tests::unique_topic;

/// Reads until `values` holds `n` numbers (60 s at most).
async fn read_to(consumer: &mut Consumer, values: &mut Vec<u32>, n: usize) {
    while values.len() < n {
        let batch = consumer
            .recv_batch(n - values.len(), Duration::from_secs(60))
            .await
            .unwrap();
        assert!(
            !batch.is_empty(),
            "stuck at {} of {n} records",
            values.len()
        );
        values.extend(batch.iter().map(number));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_reads_from_the_replica_in_its_rack() {
    let Some(Stoppable { _alone, b, c, .. }) = stoppable().await else {
        return;
    };
    let (topic, leaders) = replicated_topic(&c, "cluster-rack", 1).await;
    let leader = leaders[&0];
    let follower = (1..=3).find(|&n| n != leader).unwrap();
    let producer = producer(&b).await;
    // 20 writes, so at least 20 batches: with max.partition.fetch.bytes below a batch's size,
    // one batch per fetch.
    for from in (0..5_000).step_by(250) {
        send_numbers(&producer, &topic, 1, from, from + 250).await;
    }
    producer.close(Duration::from_secs(10)).await.unwrap();

    for (rack_of, from_follower) in [(follower, true), (leader, false)] {
        let rack = format!("rack-{rack_of}");
        let mut consumer = consumer_with(
            &b,
            &[
                ("auto.offset.reset", "earliest"),
                ("client.rack", rack.as_str()),
                ("fetch.max.wait.ms", "100"),
                ("max.partition.fetch.bytes", "2000"),
            ],
        )
        .await;
        consumer
            .assign(vec![TopicPartition::new(topic.as_str(), 0)])
            .unwrap();
        let mut values = Vec::new();
        read_to(&mut consumer, &mut values, 5_000).await;
        assert!(
            values == (0..5_000).collect::<Vec<u32>>(),
            "every record once, in order"
        );
        let stats = consumer.stats();
        println!("client.rack={rack} (leader {leader}): {stats:?}");
        if from_follower {
            // The first fetch goes to the leader, which names the follower; the rest go there.
            assert!(stats.follower_fetches >= 19, "{stats:?}");
            assert!(stats.follower_fetches + 1 >= stats.fetches, "{stats:?}");
        } else {
            assert_eq!(stats.follower_fetches, 0, "{stats:?}");
        }
        consumer.close().await.unwrap();
    }
}

/// Waits (up to 60 s) until the partition's leader and in-sync replicas are `leader` and
/// `isr`, as seen by `c`.
async fn wait_for(c: &ottla::Client, topic: &str, leader: i32, isr: &[i32]) {
    for _ in 0..120 {
        if let Ok(m) = c.refresh_metadata().await {
            let p = &m.topics[topic].partitions[&0];
            let mut now = p.isr.clone();
            now.sort();
            if p.leader == Some(leader) && now == isr {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    panic!("{topic}: leader {leader} with ISR {isr:?} not seen within 60 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_finds_the_log_truncated_under_it_and_reads_on_where_the_logs_agree() {
    let Some(Stoppable { _alone, b, pids, c }) = stoppable().await else {
        return;
    };
    // Two replicas; one in sync is enough to write, and an out-of-sync one may lead.
    let topic = unique_topic("cluster-truncate");
    create_topic(
        &c,
        &NewTopic {
            name: topic.clone(),
            partitions: 1,
            replication_factor: 2,
            configs: [
                ("min.insync.replicas", "1"),
                ("unclean.leader.election.enable", "true"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .to_vec(),
        },
    )
    .await
    .unwrap();
    let mut replicas = Vec::new();
    for _ in 0..100 {
        let m = c.refresh_metadata().await.unwrap();
        let p = &m.topics[topic.as_str()].partitions[&0];
        if let (2, Some(leader)) = (p.isr.len(), p.leader) {
            let other = *p.replicas.iter().find(|&&r| r != leader).unwrap();
            replicas = vec![leader, other];
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let [old_leader, next_leader] = replicas[..] else {
        panic!("{topic}: no two in-sync replicas in 10 s")
    };
    // A producer per stretch: the new leader knows nothing of the old one's sequences.
    let write = |from, to| {
        let b = b.clone();
        let topic = topic.clone();
        async move {
            let p = producer(&b).await;
            send_numbers(&p, &topic, 1, from, to).await;
            p.close(Duration::from_secs(10)).await.unwrap();
        }
    };
    write(0, 100).await;
    let mut consumer = consumer_with(
        &b,
        &[
            ("auto.offset.reset", "earliest"),
            ("fetch.max.wait.ms", "100"),
        ],
    )
    .await;
    let tp = TopicPartition::new(topic.as_str(), 0);
    consumer.assign(vec![tp.clone()]).unwrap();
    let mut values = Vec::new();
    read_to(&mut consumer, &mut values, 100).await;

    // The follower stops and leaves the ISR; 50 more records are written to the leader alone,
    // and read.
    let stopped_follower = Stopped::new(pids[&next_leader]);
    wait_for(consumer.client(), &topic, old_leader, &[old_leader]).await;
    write(100, 150).await;
    read_to(&mut consumer, &mut values, 150).await;
    assert_eq!(consumer.position(&tp), Some(150));
    // The consumer fetches on in the background: it may find the truncation before the
    // records below are written, so the count starts here.
    let before = consumer.stats();

    // The leader stops and the out-of-date follower comes back: an unclean election makes it
    // the leader with the log ending at 100. Records 100..150 are gone.
    let stopped_leader = Stopped::new(pids[&old_leader]);
    drop(stopped_follower);
    wait_for(consumer.client(), &topic, next_leader, &[next_leader]).await;
    write(1_000, 1_030).await;
    let mut after = Vec::new();
    read_to(&mut consumer, &mut after, 30).await;
    let stats = consumer.stats();
    println!("truncation: {stats:?}");
    assert_eq!(
        after,
        (1_000..1_030).collect::<Vec<u32>>(),
        "read on from offset 100: the new leader's records, none before"
    );
    assert_eq!(stats.truncations - before.truncations, 1, "{stats:?}");
    assert_eq!(consumer.position(&tp), Some(130));
    drop(stopped_leader);
    wait_until_whole(consumer.client(), &topic, old_leader).await;
    consumer.close().await.unwrap();
}

/// Makes `leader` the leader of `topic`-0 while the current one stays up: puts it first
/// among the replicas (a reassignment to the same replicas, reordered, completes at once)
/// and runs a preferred leader election.
async fn move_leader(c: &ottla::Client, topic: &str, replicas: &[i32], leader: i32) {
    use ottla::protocol::messages::alter_partition_reassignments_request::{
        ReassignablePartition, ReassignableTopic,
    };
    use ottla::protocol::messages::elect_leaders_request::TopicPartitions;
    use ottla::protocol::messages::{
        AlterPartitionReassignmentsRequest, BrokerId, ElectLeadersRequest, TopicName,
    };
    use ottla::protocol::StrBytes;
    let name = TopicName(StrBytes::from_string(topic.to_owned()));
    let mut order = vec![leader];
    order.extend(replicas.iter().copied().filter(|&r| r != leader));
    let reassign = AlterPartitionReassignmentsRequest::default()
        .with_timeout_ms(30_000)
        .with_topics(vec![ReassignableTopic::default()
            .with_name(name.clone())
            .with_partitions(vec![ReassignablePartition::default()
                .with_partition_index(0)
                .with_replicas(Some(
                    order.into_iter().map(BrokerId).collect(),
                ))])]);
    let r = c.send_to_controller(&reassign).await.unwrap();
    assert_eq!(r.error_code, 0, "{r:?}");
    assert_eq!(r.responses[0].partitions[0].error_code, 0, "{r:?}");
    for _ in 0..100 {
        let m = c.refresh_metadata().await.unwrap();
        if m.topics[topic].partitions[&0].replicas.first() == Some(&leader) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let elect = ElectLeadersRequest::default()
        .with_election_type(0)
        .with_timeout_ms(30_000)
        .with_topic_partitions(Some(vec![TopicPartitions::default()
            .with_topic(name)
            .with_partitions(vec![0])]));
    let r = c.send_to_controller(&elect).await.unwrap();
    assert_eq!(r.error_code, 0, "{r:?}");
    let code = r.replica_election_results[0].partition_result[0].error_code;
    assert_eq!(code, 0, "{r:?}");
}

/// KIP-951: the leadership moves while the old leader stays up; the consumer's next fetch
/// there is answered with the new leader's name, and the consumer goes there without
/// asking for metadata (its metadata, 5 minutes old at most, was fetched before the move).
/// Every record is read once, in order, while a producer writes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_follows_a_leader_named_in_a_fetch_answer() {
    let Some(Stoppable { _alone, b, c, .. }) = stoppable().await else {
        return;
    };
    let (topic, leaders) = replicated_topic(&c, "cluster-hint", 1).await;
    let old = leaders[&0];
    let replicas = c.refresh_metadata().await.unwrap().topics[topic.as_str()].partitions[&0]
        .replicas
        .clone();
    let new = *replicas.iter().find(|&&r| r != old).unwrap();
    let producer = producer(&b).await;
    send_numbers(&producer, &topic, 1, 0, 2_000).await;

    let mut consumer = ottla_tests::consumer(
        &b,
        &[
            ("auto.offset.reset", "earliest"),
            ("fetch.max.wait.ms", "100"),
            ("metadata.max.age.ms", "300000"),
        ],
    )
    .await;
    consumer
        .assign(vec![TopicPartition::new(topic.as_str(), 0)])
        .unwrap();
    let mut values = Vec::new();
    read_to(&mut consumer, &mut values, 2_000).await;
    let before = consumer.client().cached().unwrap().fetched_at;

    move_leader(&c, &topic, &replicas, new).await;
    send_numbers(&producer, &topic, 1, 2_000, 4_000).await;
    read_to(&mut consumer, &mut values, 4_000).await;
    assert!(
        values == (0..4_000).collect::<Vec<u32>>(),
        "every record once, in order"
    );
    let stats = consumer.stats();
    println!("leader {old} -> {new}: {stats:?}");
    assert!(stats.leader_hints >= 1, "{stats:?}");
    let m = consumer.client().cached().unwrap();
    assert_eq!(m.topics[topic.as_str()].partitions[&0].leader, Some(new));
    assert_eq!(m.fetched_at, before, "no metadata request since the move");
    consumer.close().await.unwrap();
    producer.close(Duration::from_secs(10)).await.unwrap();
}
