//! The consumer against Kafka (`OTTLA_BOOTSTRAP`): a group reads every record once, in order
//! per partition; its committed offsets carry over to the next consumer of the group; and two
//! consumers of one group share the records with none read twice.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use ottla::consumer::{Consumer, ConsumerConfig, ConsumerRecord};
use ottla::producer::{Producer, ProducerConfig, ProducerRecord};
use ottla_tests::{bootstrap, create_unique_topic, in_order, init_logs, unique_topic};

/// What each test starts from: the broker, a client, a fresh topic and a fresh group name.
struct Setup {
    b: String,
    client: ottla::Client,
    topic: String,
    group: String,
}

/// A fresh topic of `partitions` partitions named from `prefix`, and a group name from
/// `group_prefix`; `None` (the test skips) without a broker.
async fn setup(prefix: &str, partitions: i32, group_prefix: &str) -> Option<Setup> {
    init_logs();
    let b = bootstrap()?;
    let client = ottla_tests::client(&b).await;
    let topic = create_unique_topic(&client, prefix, partitions, &[]).await;
    Some(Setup {
        b,
        client,
        topic,
        group: unique_topic(group_prefix),
    })
}

async fn produce(b: &str, topic: &str, from: usize, to: usize) {
    let mut config = ProducerConfig::builder();
    config.bootstrap_servers(b);
    let producer = Producer::new(config.build().unwrap()).await.unwrap();
    let topic: Arc<str> = Arc::from(topic);
    let mut deliveries = Vec::new();
    for i in from..to {
        let record =
            ProducerRecord::new(Arc::clone(&topic), format!("v{i}")).with_key(format!("k{i}"));
        deliveries.push(producer.send(record).await.unwrap());
    }
    for d in deliveries {
        d.await.unwrap();
    }
    producer.close(Duration::from_secs(10)).await.unwrap();
}

async fn consumer(b: &str, group: &str, topic: &str) -> Consumer {
    let mut config = ConsumerConfig::builder();
    config.bootstrap_servers(b);
    for (k, v) in [
        ("group.id", group),
        ("client.id", "ottla-tests"),
        ("auto.offset.reset", "earliest"),
        ("enable.auto.commit", "true"),
        ("auto.commit.interval.ms", "200"),
        ("session.timeout.ms", "10000"),
        ("heartbeat.interval.ms", "300"),
        ("fetch.max.wait.ms", "100"),
    ] {
        config.set(k, v).unwrap();
    }
    let mut c = Consumer::new(config.build().unwrap()).await.unwrap();
    c.subscribe([topic]).unwrap();
    c
}

/// Receives `n` records (60 s at most).
async fn receive(c: &mut Consumer, n: usize) -> Vec<ConsumerRecord> {
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let r = tokio::time::timeout(Duration::from_secs(60), c.recv())
            .await
            .unwrap_or_else(|_| panic!("only {} of {n} records in 60 s", out.len()))
            .unwrap();
        out.push(r);
    }
    out
}

fn values(records: &[ConsumerRecord]) -> BTreeSet<String> {
    records
        .iter()
        .map(|r| String::from_utf8(r.value.clone().unwrap().to_vec()).unwrap())
        .collect()
}

fn expected(from: usize, to: usize) -> BTreeSet<String> {
    (from..to).map(|i| format!("v{i}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_reads_everything_once_and_resumes_from_its_commits() {
    let Some(Setup {
        b,
        client: _,
        topic,
        group,
    }) = setup("consumer", 6, "ottla-consumer").await
    else {
        return;
    };
    produce(&b, &topic, 0, 3_000).await;

    let mut first = consumer(&b, &group, &topic).await;
    let got = receive(&mut first, 3_000).await;
    assert_eq!(values(&got), expected(0, 3_000), "every record once");
    in_order(&got);
    assert_eq!(first.assignment().len(), 6);
    first.close().await.unwrap();

    // The next consumer of the group starts where the first one stopped.
    produce(&b, &topic, 3_000, 3_500).await;
    let mut second = consumer(&b, &group, &topic).await;
    let got = receive(&mut second, 500).await;
    assert_eq!(values(&got), expected(3_000, 3_500), "only the new records");
    // Nothing more arrives.
    assert!(tokio::time::timeout(Duration::from_secs(2), second.recv())
        .await
        .is_err());
    second.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_consumers_share_a_topic_without_reading_a_record_twice() {
    let Some(Setup {
        b,
        client: _,
        topic,
        group,
    }) = setup("consumer-pair", 6, "ottla-pair").await
    else {
        return;
    };
    let mut a = consumer(&b, &group, &topic).await;
    let mut c = consumer(&b, &group, &topic).await;
    // Both in the group before the records come.
    for _ in 0..100 {
        if a.assignment().len() + c.assignment().len() == 6
            && !a.assignment().is_empty()
            && !c.assignment().is_empty()
        {
            break;
        }
        // recv drives nothing here; the group runs in its own tasks.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        a.assignment().len() + c.assignment().len(),
        6,
        "{:?} {:?}",
        a.assignment(),
        c.assignment()
    );
    produce(&b, &topic, 0, 2_000).await;
    let mut all = Vec::new();
    let mut seen = BTreeSet::new();
    while seen.len() < 2_000 {
        let r = tokio::select! {
            r = a.recv() => r.unwrap(),
            r = c.recv() => r.unwrap(),
            _ = tokio::time::sleep(Duration::from_secs(60)) => panic!("only {} of 2000", seen.len()),
        };
        assert!(
            seen.insert((r.partition, r.offset)),
            "read twice: {}-{}",
            r.partition,
            r.offset
        );
        all.push(r);
    }
    assert_eq!(values(&all), expected(0, 2_000));
    a.close().await.unwrap();
    c.close().await.unwrap();
}

/// seek, pause and resume, position and committed on a consumer that owns the topic's only
/// partition.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seek_pause_resume_position_and_committed() {
    use ottla::group::TopicPartition;
    let Some(Setup {
        b,
        client: _,
        topic,
        group,
    }) = setup("consumer-seek", 1, "ottla-seek").await
    else {
        return;
    };
    produce(&b, &topic, 0, 100).await;
    let tp = TopicPartition::new(topic.as_str(), 0);
    let mut c = consumer(&b, &group, &topic).await;
    let first = receive(&mut c, 100).await;
    assert_eq!(first.last().map(|r| r.offset), Some(99));
    assert_eq!(c.position(&tp), Some(100));
    c.commit().await.unwrap();
    let committed = c.committed(vec![tp.clone()]).await.unwrap();
    assert_eq!(committed[&tp].as_ref().map(|o| o.offset), Some(100));

    assert_eq!(c.lag(&tp), Some(0));

    // Back to offset 40: records 40.. come again, in order, in batches.
    c.seek(tp.clone(), 40).await.unwrap();
    assert_eq!(c.position(&tp), Some(40));
    assert_eq!(c.lag(&tp), Some(60));
    let mut again = Vec::new();
    while again.len() < 60 {
        let batch = c.recv_batch(25, Duration::from_secs(30)).await.unwrap();
        assert!(!batch.is_empty() && batch.len() <= 25, "{}", batch.len());
        again.extend(batch);
    }
    assert_eq!(again.len(), 60);
    assert_eq!(c.lag(&tp), Some(0));
    assert_eq!(again.first().map(|r| r.offset), Some(40));
    assert_eq!(again.last().map(|r| r.offset), Some(99));

    // Paused: new records do not arrive until the resume.
    c.pause(vec![tp.clone()]).await.unwrap();
    produce(&b, &topic, 100, 110).await;
    assert!(
        tokio::time::timeout(Duration::from_secs(2), c.recv())
            .await
            .is_err(),
        "nothing while paused"
    );
    c.resume(vec![tp.clone()]).await.unwrap();
    let resumed = receive(&mut c, 10).await;
    assert_eq!(values(&resumed), expected(100, 110));

    // Seeking a partition the consumer does not own is an error naming it.
    let other = TopicPartition::new(topic.as_str(), 7);
    let e = c.seek(other, 0).await.unwrap_err();
    assert!(
        matches!(
            e,
            ottla::Error::UnknownTopicOrPartition {
                partition: Some(7),
                ..
            }
        ),
        "{e}"
    );
    c.close().await.unwrap();
}

/// Manual commits: offsets named by the application, with metadata, waited for or not; a
/// negative offset is refused before anything is sent; the next member of the group starts
/// where the last commit said.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manual_commits_with_metadata_sync_and_async() {
    use ottla::group::{OffsetAndMetadata, TopicPartition};
    let Some(Setup {
        b,
        client: _,
        topic,
        group,
    }) = setup("consumer-manual-commit", 2, "ottla-manual").await
    else {
        return;
    };
    produce(&b, &topic, 0, 200).await;
    let tp = |p| TopicPartition::new(topic.as_str(), p);
    let mut config = ConsumerConfig::builder();
    config.bootstrap_servers(b.as_str());
    for (k, v) in [
        ("group.id", group.as_str()),
        ("auto.offset.reset", "earliest"),
        ("enable.auto.commit", "false"),
        ("fetch.max.wait.ms", "100"),
    ] {
        config.set(k, v).unwrap();
    }
    let config = config.build().unwrap();
    let mut c = Consumer::new(config.clone()).await.unwrap();
    c.subscribe([topic.as_str()]).unwrap();
    let got = receive(&mut c, 200).await;
    let ends: BTreeMap<i32, i64> = got.iter().fold(BTreeMap::new(), |mut m, r| {
        m.insert(r.partition, r.offset + 1);
        m
    });
    assert_eq!(ends.values().sum::<i64>(), 200);

    // Sync, with metadata: partition 0 at 5, partition 1 at its end.
    let mut at_five = OffsetAndMetadata::new(5);
    at_five.metadata = Some("checkpoint-5".to_owned());
    let offsets = BTreeMap::from([(tp(0), at_five), (tp(1), OffsetAndMetadata::new(ends[&1]))]);
    c.commit_offsets(offsets).await.unwrap();
    let committed = c.committed(vec![tp(0), tp(1)]).await.unwrap();
    let zero = committed[&tp(0)].clone().unwrap();
    assert_eq!(
        (zero.offset, zero.metadata.as_deref()),
        (5, Some("checkpoint-5"))
    );
    assert_eq!(committed[&tp(1)].as_ref().map(|o| o.offset), Some(ends[&1]));

    // Not waited for: both are on their way in order; the later one wins.
    let first = c.commit_offsets_async(BTreeMap::from([(tp(0), OffsetAndMetadata::new(7))]));
    let second = c.commit_offsets_async(BTreeMap::from([(tp(0), OffsetAndMetadata::new(9))]));
    second.await.unwrap();
    first.await.unwrap();
    let committed = c.committed(vec![tp(0)]).await.unwrap();
    assert_eq!(committed[&tp(0)].as_ref().map(|o| o.offset), Some(9));

    // commit_async commits what was received (both partitions at their ends), dropped
    // unawaited: it still lands.
    drop(c.commit_async());
    let mut landed = false;
    for _ in 0..50 {
        let committed = c.committed(vec![tp(0)]).await.unwrap();
        if committed[&tp(0)].as_ref().map(|o| o.offset) == Some(ends[&0]) {
            landed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(landed, "the dropped async commit landed");

    // A negative offset: refused, nothing sent, the committed offset unchanged.
    let e = c
        .commit_offsets(BTreeMap::from([(tp(0), OffsetAndMetadata::new(-3))]))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            ottla::Error::InvalidOffset {
                partition: 0,
                offset: -3,
                ..
            }
        ),
        "{e}"
    );
    let e = c
        .commit_offsets_async(BTreeMap::from([(tp(1), OffsetAndMetadata::new(-1))]))
        .await
        .unwrap_err();
    assert!(
        matches!(e, ottla::Error::InvalidOffset { partition: 1, .. }),
        "{e}"
    );

    // Back to 5 on partition 0, then the next member starts there.
    c.commit_offsets(BTreeMap::from([(tp(0), OffsetAndMetadata::new(5))]))
        .await
        .unwrap();
    c.close().await.unwrap();
    let mut next = Consumer::new(config).await.unwrap();
    next.subscribe([topic.as_str()]).unwrap();
    let again = receive(&mut next, (ends[&0] - 5) as usize).await;
    assert!(
        again.iter().all(|r| r.partition == 0),
        "partition 1 was committed at its end"
    );
    assert_eq!(again.first().map(|r| r.offset), Some(5));
    assert_eq!(again.last().map(|r| r.offset), Some(ends[&0] - 1));
    next.close().await.unwrap();
    // Closed: commits are refused, not lost silently.
    let closed = Consumer::new(
        ConsumerConfig::builder()
            .bootstrap_servers(b.as_str())
            .build()
            .unwrap(),
    )
    .await
    .unwrap();
    assert!(matches!(
        closed.commit_async().await,
        Err(ottla::Error::Closed)
    ));
}

async fn assigned(
    b: &str,
    group: Option<&str>,
    partitions: Vec<ottla::group::TopicPartition>,
) -> Consumer {
    let mut config = ConsumerConfig::builder();
    config.bootstrap_servers(b);
    config.set("auto.offset.reset", "earliest").unwrap();
    config.set("fetch.max.wait.ms", "100").unwrap();
    if let Some(g) = group {
        config.set("group.id", g).unwrap();
        config.set("enable.auto.commit", "false").unwrap();
    }
    let mut c = Consumer::new(config.build().unwrap()).await.unwrap();
    c.assign(partitions).unwrap();
    c
}

/// assign: the partitions given and no others; without a group nothing can be committed;
/// with one, commits made outside any generation are where the next assigned consumer starts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assigned_partitions_with_and_without_a_group() {
    use ottla::basic::{list_offset, OffsetSpec};
    use ottla::group::TopicPartition;
    let Some(Setup {
        b,
        client,
        topic,
        group,
    }) = setup("consumer-assign", 3, "ottla-assign").await
    else {
        return;
    };
    produce(&b, &topic, 0, 300).await;
    let tp = |p| TopicPartition::new(topic.as_str(), p);
    let mut ends = Vec::new();
    for p in 0..3 {
        ends.push(
            list_offset(&client, &topic, p, OffsetSpec::Latest)
                .await
                .unwrap(),
        );
    }
    assert_eq!(ends.iter().sum::<i64>(), 300);

    let mut c = assigned(&b, None, vec![tp(0), tp(2)]).await;
    let got = receive(&mut c, (ends[0] + ends[2]) as usize).await;
    assert!(got.iter().all(|r| r.partition != 1));
    in_order(&got);
    assert!(
        tokio::time::timeout(Duration::from_secs(1), c.recv())
            .await
            .is_err(),
        "nothing more"
    );
    let e = c.commit().await.unwrap_err();
    assert!(e.to_string().contains("group.id"), "{e}");
    c.close().await.unwrap();

    let mut first = assigned(&b, Some(&group), vec![tp(1)]).await;
    receive(&mut first, ends[1] as usize).await;
    first.commit().await.unwrap();
    let committed = first.committed(vec![tp(1)]).await.unwrap();
    assert_eq!(committed[&tp(1)].as_ref().map(|o| o.offset), Some(ends[1]));
    first.close().await.unwrap();
    let mut second = assigned(&b, Some(&group), vec![tp(1)]).await;
    assert!(
        tokio::time::timeout(Duration::from_secs(1), second.recv())
            .await
            .is_err(),
        "starts after the committed offset"
    );
    assert_eq!(second.position(&tp(1)), Some(ends[1]));
    second.close().await.unwrap();
}

/// A rebalance listener hears the assignment and the revocation on close, and commits the
/// received positions from the revocation callback (auto commit off).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebalance_listener_commits_revoked_partitions() {
    use ottla::consumer::{Rebalance, RebalanceListener};
    use ottla::group::{OffsetAndMetadata, TopicPartition};
    use std::sync::Mutex;

    #[derive(Default)]
    struct CommitOnRevoke {
        events: Mutex<Vec<String>>,
    }
    impl RebalanceListener for CommitOnRevoke {
        fn on_assigned<'a>(
            &'a self,
            _: &'a Rebalance<'a>,
            partitions: &'a [TopicPartition],
        ) -> futures::future::BoxFuture<'a, ()> {
            Box::pin(async move {
                self.events
                    .lock()
                    .unwrap()
                    .push(format!("assigned {}", partitions.len()))
            })
        }
        fn on_revoked<'a>(
            &'a self,
            r: &'a Rebalance<'a>,
            partitions: &'a [TopicPartition],
        ) -> futures::future::BoxFuture<'a, ()> {
            Box::pin(async move {
                let offsets = partitions
                    .iter()
                    .filter_map(|tp| Some((tp.clone(), OffsetAndMetadata::new(r.position(tp)?))))
                    .collect();
                r.commit(offsets).await.unwrap();
                self.events
                    .lock()
                    .unwrap()
                    .push(format!("revoked {}", partitions.len()));
            })
        }
    }

    let Some(Setup {
        b,
        client,
        topic,
        group,
    }) = setup("consumer-listener", 2, "ottla-listener").await
    else {
        return;
    };
    produce(&b, &topic, 0, 50).await;
    let settings = [
        ("group.id", group.as_str()),
        ("auto.offset.reset", "earliest"),
        ("enable.auto.commit", "false"),
        ("fetch.max.wait.ms", "100"),
    ];
    let listener = Arc::new(CommitOnRevoke::default());
    let mut c = ottla_tests::consumer(&b, &settings).await;
    c.set_rebalance_listener(Arc::clone(&listener) as Arc<dyn RebalanceListener>);
    c.subscribe([topic.as_str()]).unwrap();
    receive(&mut c, 50).await;
    c.close().await.unwrap();
    assert_eq!(
        *listener.events.lock().unwrap(),
        ["assigned 2", "revoked 2"]
    );
    let committed = ottla::group::admin::committed_offsets(&client, &group)
        .await
        .unwrap();
    let total: i64 = committed.values().flatten().map(|o| o.offset).sum();
    assert_eq!(total, 50, "{committed:?}");
}

/// `enable.partition.eof`: each partition's end comes as an event after its last record,
/// once per arrival at the end (again after new records, not while idle); `stream()` gives
/// the records as a Stream.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partition_eof_events_and_the_record_stream() {
    use futures::StreamExt;
    use ottla::consumer::ConsumerEvent;
    use ottla::group::TopicPartition;
    let Some(Setup {
        b, client, topic, ..
    }) = setup("consumer-eof", 2, "unused").await
    else {
        return;
    };
    for p in 0..2 {
        ottla_tests::produce_values(&client, &topic, p, 5).await;
    }
    let tp = |p| TopicPartition::new(topic.as_str(), p);
    let mut config = ConsumerConfig::builder();
    config.bootstrap_servers(&b);
    for (k, v) in [
        ("auto.offset.reset", "earliest"),
        ("fetch.max.wait.ms", "100"),
        ("enable.partition.eof", "true"),
    ] {
        config.set(k, v).unwrap();
    }
    let mut c = Consumer::new(config.build().unwrap()).await.unwrap();
    c.assign(vec![tp(0), tp(1)]).unwrap();

    // Until both partitions have ended: 5 records, then the end at 5, for each.
    let mut seen: BTreeMap<i32, Vec<String>> = BTreeMap::new();
    let mut ends = 0;
    while ends < 2 {
        let event = tokio::time::timeout(Duration::from_secs(30), c.recv_event())
            .await
            .expect("an event within 30 s")
            .unwrap();
        match event {
            ConsumerEvent::Record(r) => seen
                .entry(r.partition)
                .or_default()
                .push(format!("{}", r.offset)),
            ConsumerEvent::PartitionEof { partition, offset } => {
                let records = seen.entry(partition.partition).or_default();
                assert_eq!(records.len(), 5, "{partition}: the end after its records");
                assert_eq!(offset, 5);
                records.push(format!("end@{offset}"));
                ends += 1;
            }
            other => panic!("{other:?}"),
        }
    }
    // Idle at the end: no second event.
    assert!(tokio::time::timeout(Duration::from_secs(1), c.recv_event())
        .await
        .is_err());
    // Three more on partition 0: its records, then its end again; partition 1 stays quiet.
    ottla_tests::produce_values(&client, &topic, 0, 3).await;
    let mut after = Vec::new();
    for _ in 0..4 {
        let event = tokio::time::timeout(Duration::from_secs(30), c.recv_event())
            .await
            .expect("an event within 30 s")
            .unwrap();
        after.push(match event {
            ConsumerEvent::Record(r) => format!("{}-{}", r.partition, r.offset),
            ConsumerEvent::PartitionEof { partition, offset } => {
                format!("{}-end@{offset}", partition.partition)
            }
            other => panic!("{other:?}"),
        });
    }
    assert_eq!(after, ["0-5", "0-6", "0-7", "0-end@8"]);
    c.close().await.unwrap();

    // The stream: the same records, as a Stream (recv skips the end events).
    let mut c = Consumer::new(config.build().unwrap()).await.unwrap();
    c.assign(vec![tp(0), tp(1)]).unwrap();
    let records: Vec<ConsumerRecord> = tokio::time::timeout(
        Duration::from_secs(30),
        c.stream().take(13).map(Result::unwrap).collect(),
    )
    .await
    .expect("13 records within 30 s");
    in_order(&records);
    assert_eq!(records.iter().filter(|r| r.partition == 0).count(), 8);
    c.close().await.unwrap();
}

/// `subscribe_pattern`: the topics whose names match, and a matching topic created later;
/// not the others. A bad pattern is a config error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pattern_subscription_follows_new_topics() {
    init_logs();
    let Some(b) = bootstrap() else { return };
    let client = ottla_tests::client(&b).await;
    let base = unique_topic("pattern");
    let first = create_unique_topic(&client, &base, 2, &[]).await;
    let other = create_unique_topic(&client, "unmatched", 1, &[]).await;
    for p in 0..2 {
        ottla_tests::produce_values(&client, &first, p, 5).await;
    }
    ottla_tests::produce_values(&client, &other, 0, 5).await;

    let mut config = ConsumerConfig::builder();
    config.bootstrap_servers(&b);
    for (k, v) in [
        ("group.id", unique_topic("ottla-pattern").as_str()),
        ("auto.offset.reset", "earliest"),
        ("fetch.max.wait.ms", "100"),
        ("metadata.max.age.ms", "500"),
        ("heartbeat.interval.ms", "300"),
    ] {
        config.set(k, v).unwrap();
    }
    let mut c = Consumer::new(config.build().unwrap()).await.unwrap();
    let e = c.subscribe_pattern("orders-(").unwrap_err();
    assert!(e.to_string().contains("regular expression"), "{e}");
    c.subscribe_pattern(&format!("{base}-.*")).unwrap();
    let got = receive(&mut c, 10).await;
    assert!(
        got.iter().all(|r| &*r.topic == first.as_str()),
        "only {first}"
    );

    let second = create_unique_topic(&client, &base, 1, &[]).await;
    ottla_tests::produce_values(&client, &second, 0, 5).await;
    let got = receive(&mut c, 5).await;
    assert!(
        got.iter().all(|r| &*r.topic == second.as_str()),
        "the new topic's records: {:?}",
        got.iter().map(|r| &r.topic).collect::<Vec<_>>()
    );
    assert!(
        tokio::time::timeout(Duration::from_secs(1), c.recv())
            .await
            .is_err(),
        "nothing from {other}"
    );
    c.close().await.unwrap();
}

/// Fetches have connections of their own: while a long poll waits at the leader
/// (`fetch.max.wait.ms` = 3 s on an empty partition), ListOffsets and metadata to the same
/// broker answer at once instead of queueing behind it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_poll_holds_back_no_other_request() {
    use ottla::basic::{list_offset, OffsetSpec};
    use ottla::group::TopicPartition;
    let Some(Setup { b, topic, .. }) = setup("consumer-classes", 1, "unused").await else {
        return;
    };
    let mut config = ConsumerConfig::builder();
    config.bootstrap_servers(&b);
    config.set("fetch.max.wait.ms", "3000").unwrap();
    config.set("auto.offset.reset", "earliest").unwrap();
    let mut c = Consumer::new(config.build().unwrap()).await.unwrap();
    c.assign(vec![TopicPartition::new(topic.as_str(), 0)])
        .unwrap();
    // The first fetch of the empty partition is parked at the broker by now.
    tokio::time::sleep(Duration::from_millis(700)).await;
    for _ in 0..3 {
        let started = std::time::Instant::now();
        let end = list_offset(c.client(), &topic, 0, OffsetSpec::Latest)
            .await
            .unwrap();
        c.client().refresh_metadata().await.unwrap();
        let took = started.elapsed();
        assert_eq!(end, 0);
        assert!(
            took < Duration::from_millis(1_000),
            "ListOffsets and metadata took {took:?} beside a 3 s long poll"
        );
    }
    c.close().await.unwrap();
}

/// Per partition, the longest wait between two records received within `window`.
fn longest_gaps(
    received: &[(i32, std::time::Instant)],
    window: (std::time::Instant, std::time::Instant),
) -> BTreeMap<i32, Duration> {
    let mut last: BTreeMap<i32, std::time::Instant> = BTreeMap::new();
    let mut gaps: BTreeMap<i32, Duration> = BTreeMap::new();
    for &(p, at) in received {
        if let Some(prev) = last.insert(p, at) {
            if at >= window.0 && prev <= window.1 {
                let gap = gaps.entry(p).or_default();
                *gap = (*gap).max(at - prev);
            }
        }
    }
    gaps
}

/// A third member joins two that read 6 partitions under a steady flow of records (one per
/// partition every 20 ms): with cooperative-sticky the four partitions that stay where they
/// were keep flowing through the rebalance (its two rounds): their longest gap is shorter
/// than the rebalance (and than a second). Eager range is measured too, for the record
/// (printed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cooperative_rebalances_keep_unmoved_partitions_flowing() {
    use std::time::Instant;
    for assignor in ["cooperative-sticky", "range"] {
        let Some(Setup {
            b, topic, group, ..
        }) = setup("consumer-coop", 6, "ottla-coop").await
        else {
            return;
        };
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let producing = {
            let (b, topic, stop) = (b.clone(), topic.clone(), Arc::clone(&stop));
            tokio::spawn(async move {
                let mut config = ProducerConfig::builder();
                config.bootstrap_servers(&b);
                config.set("linger.ms", "0").unwrap();
                let producer = Producer::new(config.build().unwrap()).await.unwrap();
                let topic: Arc<str> = Arc::from(topic.as_str());
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    for p in 0..6 {
                        let r = ProducerRecord::new(Arc::clone(&topic), "x").with_partition(p);
                        drop(producer.send(r).await.unwrap());
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                producer.close(Duration::from_secs(10)).await.unwrap();
            })
        };
        let member = |name: &'static str| {
            let (b, group, topic) = (b.clone(), group.clone(), topic.clone());
            let received: Arc<std::sync::Mutex<Vec<(i32, Instant)>>> = Arc::default();
            let assigned: Arc<std::sync::Mutex<Vec<i32>>> = Arc::default();
            let (received2, assigned2) = (Arc::clone(&received), Arc::clone(&assigned));
            let (stop_tx, mut stop_rx) = tokio::sync::oneshot::channel::<()>();
            let task = tokio::spawn(async move {
                let mut config = ConsumerConfig::builder();
                config.bootstrap_servers(&b);
                for (k, v) in [
                    ("group.id", group.as_str()),
                    ("partition.assignment.strategy", assignor),
                    ("auto.offset.reset", "latest"),
                    ("heartbeat.interval.ms", "300"),
                    ("session.timeout.ms", "10000"),
                    ("fetch.max.wait.ms", "100"),
                    ("client.id", name),
                ] {
                    config.set(k, v).unwrap();
                }
                let mut c = Consumer::new(config.build().unwrap()).await.unwrap();
                c.subscribe([topic.as_str()]).unwrap();
                loop {
                    tokio::select! {
                        r = c.recv() => {
                            let r = r.unwrap();
                            received2.lock().unwrap().push((r.partition, Instant::now()));
                            *assigned2.lock().unwrap() =
                                c.assignment().iter().map(|tp| tp.partition).collect();
                        }
                        _ = &mut stop_rx => break,
                    }
                }
                c.close().await.unwrap();
            });
            (received, assigned, stop_tx, task)
        };
        let owned = |a: &Arc<std::sync::Mutex<Vec<i32>>>| a.lock().unwrap().clone();
        let a = member("a");
        let bm = member("b");
        let deadline = Instant::now() + Duration::from_secs(30);
        while owned(&a.1).len() + owned(&bm.1).len() != 6 || owned(&a.1).len() != 3 {
            assert!(
                Instant::now() < deadline,
                "{assignor}: no 3/3 split in 30 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        let before = (owned(&a.1), owned(&bm.1));
        let joined_at = Instant::now();
        let cm = member("c");
        while [&a.1, &bm.1, &cm.1].iter().any(|m| owned(m).len() != 2) {
            assert!(
                Instant::now() < deadline + Duration::from_secs(30),
                "{assignor}: no 2/2/2"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let settled_at = Instant::now();
        tokio::time::sleep(Duration::from_secs(1)).await;
        let after = (owned(&a.1), owned(&bm.1));
        let unmoved: Vec<i32> = before
            .0
            .iter()
            .filter(|p| after.0.contains(p))
            .chain(before.1.iter().filter(|p| after.1.contains(p)))
            .copied()
            .collect();
        if assignor == "cooperative-sticky" {
            assert_eq!(unmoved.len(), 4, "sticky: two stay with a, two with b");
        } else {
            assert!(!unmoved.is_empty(), "range keeps some where they were");
        }
        let window = (joined_at, settled_at);
        let mut gaps = longest_gaps(&a.0.lock().unwrap(), window);
        gaps.extend(longest_gaps(&bm.0.lock().unwrap(), window));
        let worst = unmoved
            .iter()
            .map(|p| gaps.get(p).copied().unwrap_or(settled_at - joined_at))
            .max()
            .unwrap();
        eprintln!(
            "{assignor}: rebalance {:?}; longest gap per unmoved partition {:?}",
            settled_at - joined_at,
            unmoved.iter().map(|p| (p, gaps.get(p))).collect::<Vec<_>>()
        );
        if assignor == "cooperative-sticky" {
            // Two rounds (revoke, then assign) of which the unmoved partitions see nothing.
            let rebalance = settled_at - joined_at;
            assert!(
                worst < Duration::from_secs(1) && worst < rebalance,
                "unmoved partitions waited {worst:?} in a {rebalance:?} rebalance"
            );
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for (_, _, stop_tx, task) in [a, bm, cm] {
            let _ = stop_tx.send(());
            task.await.unwrap();
        }
        producing.await.unwrap();
    }
}
