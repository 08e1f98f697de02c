//! The consumer's fetches against Kafka (`OTTLA_BOOTSTRAP`): an incremental fetch session
//! (KIP-227) carries a consumer of 8 partitions through pauses, resumes and seeks with every
//! record read once, in order; records and commits carry leader epochs (KIP-320).

use std::collections::BTreeMap;
use std::time::Duration;

use ottla::consumer::{Consumer, ConsumerRecord};
use ottla::group::TopicPartition;
use ottla_tests::cluster::{number, producer, send_numbers};
use ottla_tests::{bootstrap, create_unique_topic, init_logs, unique_topic};

const PARTITIONS: i32 = 8;

/// Writes values `from..to`, value `i` to partition `i % 8`.
async fn produce(b: &str, topic: &str, from: u32, to: u32) {
    let producer = producer(b).await;
    send_numbers(&producer, topic, PARTITIONS as u32, from, to).await;
    producer.close(Duration::from_secs(10)).await.unwrap();
}

/// Receives `n` records (60 s at most) and nothing more for 300 ms.
async fn receive(c: &mut Consumer, n: usize) -> Vec<ConsumerRecord> {
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let batch = c.recv_batch(n - out.len(), Duration::from_secs(60)).await;
        let batch = batch.unwrap();
        assert!(
            !batch.is_empty(),
            "only {} of {n} records in 60 s",
            out.len()
        );
        out.extend(batch);
    }
    let more = c.recv_batch(10, Duration::from_millis(300)).await.unwrap();
    assert!(more.is_empty(), "{} records more than {n}", more.len());
    out
}

/// The values per partition, in the order received.
fn by_partition(records: &[ConsumerRecord]) -> BTreeMap<i32, Vec<u32>> {
    let mut out: BTreeMap<i32, Vec<u32>> = BTreeMap::new();
    for r in records {
        out.entry(r.partition).or_default().push(number(r));
    }
    out
}

/// Values `from..to` of partition `p`.
fn written(p: i32, from: u32, to: u32) -> Vec<u32> {
    (from..to)
        .filter(|i| (i % PARTITIONS as u32) as i32 == p)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fetch_session_lists_only_what_changed_through_pauses_and_seeks() {
    init_logs();
    let Some(b) = bootstrap() else { return };
    let client = ottla_tests::client(&b).await;
    let topic = create_unique_topic(&client, "fetch-session", PARTITIONS, &[]).await;
    let group = unique_topic("fetch-session");
    let tps: Vec<TopicPartition> = (0..PARTITIONS)
        .map(|p| TopicPartition::new(topic.as_str(), p))
        .collect();
    produce(&b, &topic, 0, 800).await;

    let settings = [
        ("group.id", group.as_str()),
        ("enable.auto.commit", "false"),
        ("auto.offset.reset", "earliest"),
        ("fetch.max.wait.ms", "50"),
        // Small answers: many fetches per partition.
        ("max.partition.fetch.bytes", "1024"),
    ];
    let mut c = ottla_tests::consumer(&b, &settings).await;
    c.assign(tps.clone()).unwrap();
    let first = receive(&mut c, 800).await;
    let got = by_partition(&first);
    for p in 0..PARTITIONS {
        assert_eq!(got[&p], written(p, 0, 800), "partition {p}");
    }
    // Kafka writes leader epochs into every batch; one broker, one leader: epoch 0.
    assert!(first.iter().all(|r| r.leader_epoch == Some(0)));

    // Half the partitions paused (they leave the session), more written to all.
    c.pause(tps[..4].to_vec()).await.unwrap();
    produce(&b, &topic, 800, 1_600).await;
    let while_paused = by_partition(&receive(&mut c, 400).await);
    for p in 4..PARTITIONS {
        assert_eq!(while_paused[&p], written(p, 800, 1_600), "partition {p}");
    }
    assert!((0..4).all(|p| !while_paused.contains_key(&p)));
    c.resume(tps[..4].to_vec()).await.unwrap();
    let resumed = by_partition(&receive(&mut c, 400).await);
    for p in 0..4 {
        assert_eq!(resumed[&p], written(p, 800, 1_600), "partition {p}");
    }

    // One partition back to its start: only its records come again.
    c.seek(tps[2].clone(), 0).await.unwrap();
    let again = by_partition(&receive(&mut c, 200).await);
    assert_eq!(again.keys().copied().collect::<Vec<_>>(), vec![2]);
    assert_eq!(again[&2], written(2, 0, 1_600));

    // The commit carries the epoch of the last record read, as the committed view shows.
    c.commit().await.unwrap();
    let committed = c.committed(tps.clone()).await.unwrap();
    for tp in &tps {
        let o = committed[tp].clone().expect("committed");
        assert_eq!((o.offset, o.leader_epoch), (200, Some(0)), "{tp}");
    }

    let stats = c.stats();
    println!("fetch session: {stats:?}");
    assert_eq!(stats.fetch_session_resets, 0, "{stats:?}");
    // The first fetch makes the session; every later one is incremental.
    assert!(stats.fetches > 20, "{stats:?}");
    assert!(
        stats.incremental_fetches + 1 >= stats.fetches,
        "all but the first fetch incremental: {stats:?}"
    );
    assert_eq!(stats.follower_fetches, 0, "{stats:?}");
    assert_eq!(stats.records_fetched, 800 + 400 + 400 + 200, "{stats:?}");
    c.close().await.unwrap();
}

/// `queued.max.messages.kbytes`: while the application takes nothing, a consumer fetches up
/// to the cap and stops; a consumer with the default cap (64 MB) fetches ten times more
/// meanwhile (up to its hand-over queue of 64 answers).
/// Once the application reads, every record comes, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetched_records_waiting_for_the_application_stay_under_the_cap() {
    init_logs();
    let Some(b) = bootstrap() else { return };
    let client = ottla_tests::client(&b).await;
    let topic = create_unique_topic(&client, "fetch-cap", 1, &[]).await;
    // 2,000 records of 1 KB (the number, zero-padded), in batches of 16 KB.
    let mut config = ottla::producer::ProducerConfig::builder();
    config.bootstrap_servers(&b);
    config.set("batch.size", "16384").unwrap();
    let p = ottla::producer::Producer::new(config.build().unwrap())
        .await
        .unwrap();
    let t: std::sync::Arc<str> = topic.as_str().into();
    let mut deliveries = Vec::new();
    for i in 0..2_000u32 {
        let r = ottla::producer::ProducerRecord::new(t.clone(), format!("{i:01000}"));
        deliveries.push(p.send(r.with_partition(0)).await.unwrap());
    }
    for d in deliveries {
        d.await.unwrap();
    }
    p.close(Duration::from_secs(10)).await.unwrap();

    let tp = TopicPartition::new(topic.as_str(), 0);
    let mut fetched = Vec::new();
    for cap in [Some("64"), None] {
        let mut settings = vec![
            ("auto.offset.reset", "earliest"),
            ("fetch.max.wait.ms", "50"),
            ("max.partition.fetch.bytes", "16384"),
            ("fetch.max.bytes", "16384"),
        ];
        if let Some(kb) = cap {
            settings.push(("queued.max.messages.kbytes", kb));
        }
        let mut c = ottla_tests::consumer(&b, &settings).await;
        c.assign(vec![tp.clone()]).unwrap();
        let first = c.recv().await.unwrap();
        assert_eq!(first.offset, 0);
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        let stats = c.stats();
        println!("queued.max.messages.kbytes={cap:?} after 1.5 s unread: {stats:?}");
        fetched.push(stats.clone());
        let mut values = vec![number(&first)];
        values.extend(by_partition(&receive(&mut c, 1_999).await)[&0].iter());
        assert!(
            values == (0..2_000).collect::<Vec<u32>>(),
            "every record, in order"
        );
        c.close().await.unwrap();
    }
    let (capped, uncapped) = (&fetched[0], &fetched[1]);
    // 64 KB waiting, plus one more answer (16 KB) and the batch at hand: about 90 records
    // of 1 KB, and at least the cap's worth less one answer.
    assert!(
        (40..=100).contains(&capped.records_fetched),
        "capped: {capped:?}"
    );
    assert!(capped.buffered_bytes <= 96 * 1024, "capped: {capped:?}");
    assert!(
        uncapped.records_fetched >= 10 * capped.records_fetched,
        "uncapped: {uncapped:?}"
    );
}
