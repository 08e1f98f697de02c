//! Faults on the real 3-broker Kafka cluster (`scripts/kafka.sh start --cluster`): while an
//! idempotent acks=all producer writes numbered records and a group of three consumers reads
//! and commits them, brokers are killed with `kill -9` and started again, leaders are elected
//! back and forth, and a TCP proxy between the clients and every broker cuts, stalls and
//! delays connections. The schedule is fixed and keyed on progress (acknowledged records),
//! not on time.
//!
//! What must hold at the end:
//! - every acknowledged record is in the log (0 lost), once (0 duplicated), and each
//!   partition holds its records in the order they were sent;
//! - every record below a committed offset was delivered to a group member;
//! - a record is delivered again only within the at-least-once window: after the partition
//!   changed hands (or its member lost it) and only at or above the offset committed for it;
//!   those redeliveries are counted.
//!
//! `OTTLA_FAULTS_RECORDS` sets the number of records (default 100,000, the CI form; the
//! campaign runs 1,000,000), sent at `OTTLA_FAULTS_RATE` records a second (default: a
//! sixtieth of them, so the faults fall while records flow); `OTTLA_FAULTS_DEADLINE_S` bounds
//! the run (default 600 s).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use ottla::consumer::{Rebalance, RebalanceListener};
use ottla::group::TopicPartition;
use ottla::producer::{Producer, ProducerConfig, ProducerRecord};
use ottla_tests::cluster::{replicated_topic, wait_until_whole, Crashed, CLUSTER};
use ottla_tests::proxy::start_cluster_proxy;
use ottla_tests::{client, cluster_bootstrap};

const PARTITIONS: u32 = 6;

fn env_or(var: &str, default: u64) -> u64 {
    std::env::var(var)
        .ok()
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{var}={v}: not a number"))
        })
        .unwrap_or(default)
}

/// Settings every client of the run shares: short timeouts, so that a dead broker costs
/// seconds.
const TIMEOUTS: [(&str, &str); 4] = [
    ("request.timeout.ms", "3000"),
    ("socket.connection.setup.timeout.ms", "3000"),
    ("metadata.max.age.ms", "2000"),
    ("reconnect.backoff.max.ms", "1000"),
];

/// What the producer's deliveries said.
#[derive(Default)]
struct Produced {
    acked: Vec<bool>,
    acked_count: u64,
    failed: Vec<String>,
}

/// One delivery to a group member: who got it and in which of its assignments.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Delivery {
    member: usize,
    assignment: u64,
}

/// What the group members saw, under one lock.
#[derive(Default)]
struct Consumed {
    /// First delivery of each offset, by partition.
    first: BTreeMap<i32, BTreeMap<i64, Delivery>>,
    /// Offsets committed by commits that succeeded (the highest), by partition.
    committed: BTreeMap<i32, i64>,
    /// The last offset each member got of each partition in its current assignment.
    last: BTreeMap<(usize, u64, i32), i64>,
    redelivered: u64,
    /// Redeliveries outside the window, and out-of-order deliveries: each a failure.
    violations: Vec<String>,
    commits_failed: u64,
}

impl Consumed {
    fn record(&mut self, member: usize, assignment: u64, partition: i32, offset: i64) {
        if let Some(&prev) = self.last.get(&(member, assignment, partition)) {
            if offset <= prev {
                self.violations.push(format!(
                    "member {member} got {partition}@{offset} after {partition}@{prev} in one assignment"
                ));
            }
        }
        self.last.insert((member, assignment, partition), offset);
        let this = Delivery { member, assignment };
        let committed = self.committed.get(&partition).copied().unwrap_or(0);
        match self.first.entry(partition).or_default().entry(offset) {
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert(this);
            }
            std::collections::btree_map::Entry::Occupied(o) => {
                self.redelivered += 1;
                let first = *o.get();
                if first == this {
                    self.violations.push(format!(
                        "{partition}@{offset} delivered twice to member {member} in one assignment"
                    ));
                } else if offset < committed {
                    self.violations.push(format!(
                        "{partition}@{offset} delivered again (to member {member}) below the committed offset {committed}"
                    ));
                }
            }
        }
    }
}

/// Counts a member's assignments; each rebalance it sees starts a new one.
struct Assignments {
    epoch: Arc<AtomicU64>,
    rebalances: Arc<AtomicU64>,
}

impl RebalanceListener for Assignments {
    fn on_assigned<'a>(
        &'a self,
        _: &'a Rebalance<'a>,
        _: &'a [TopicPartition],
    ) -> BoxFuture<'a, ()> {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        self.rebalances.fetch_add(1, Ordering::SeqCst);
        Box::pin(async {})
    }
    fn on_revoked<'a>(
        &'a self,
        _: &'a Rebalance<'a>,
        _: &'a [TopicPartition],
    ) -> BoxFuture<'a, ()> {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        Box::pin(async {})
    }
    fn on_lost<'a>(&'a self, _: &'a Rebalance<'a>, _: &'a [TopicPartition]) -> BoxFuture<'a, ()> {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        Box::pin(async {})
    }
}

async fn producer(bootstrap: &str) -> Producer {
    let mut b = ProducerConfig::builder();
    b.bootstrap_servers(bootstrap);
    for (k, v) in [
        ("acks", "all"),
        ("enable.idempotence", "true"),
        ("linger.ms", "5"),
        ("delivery.timeout.ms", "120000"),
    ]
    .into_iter()
    .chain(TIMEOUTS)
    {
        b.set(k, v).unwrap();
    }
    Producer::new(b.build().unwrap()).await.unwrap()
}

/// Sends `0..n` (record `i` to partition `i % PARTITIONS`) at `rate` records a second,
/// awaiting deliveries in a separate task so that sending never waits for them.
async fn produce(
    p: Arc<Producer>,
    topic: String,
    n: u32,
    rate: u32,
    produced: Arc<Mutex<Produced>>,
) {
    let topic: Arc<str> = Arc::from(topic);
    let (tx, mut rx) = tokio::sync::mpsc::channel::<(u32, ottla::producer::DeliveryFuture)>(50_000);
    let collector = {
        let produced = Arc::clone(&produced);
        tokio::spawn(async move {
            while let Some((i, d)) = rx.recv().await {
                let outcome = d.await;
                let mut p = produced.lock().unwrap();
                match outcome {
                    Ok(_) => {
                        p.acked[i as usize] = true;
                        p.acked_count += 1;
                    }
                    Err(e) => p.failed.push(format!("record {i}: {}", e.error())),
                }
            }
        })
    };
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let per_tick = (rate / 100).max(1);
    for i in 0..n {
        if i % per_tick == 0 {
            tick.tick().await;
        }
        let r = ProducerRecord::new(Arc::clone(&topic), i.to_string())
            .with_partition((i % PARTITIONS) as i32);
        match p.send(r).await {
            Ok(d) => tx.send((i, d)).await.unwrap(),
            Err(e) => produced
                .lock()
                .unwrap()
                .failed
                .push(format!("record {i} not queued: {}", e.error())),
        }
    }
    drop(tx);
    collector.await.unwrap();
}

/// A group member: reads in batches, records each delivery, commits after each batch.
async fn member(
    id: usize,
    bootstrap: String,
    group: String,
    topic: String,
    consumed: Arc<Mutex<Consumed>>,
    rebalances: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
) {
    let mut settings = vec![
        ("group.id", group.as_str()),
        ("enable.auto.commit", "false"),
        ("auto.offset.reset", "earliest"),
        ("session.timeout.ms", "10000"),
        // A commit retries a coordinator that moves for up to default.api.timeout.ms; the
        // member polls again after that, well within max.poll.interval.ms.
        ("default.api.timeout.ms", "15000"),
        ("max.poll.interval.ms", "45000"),
        ("heartbeat.interval.ms", "1000"),
        ("fetch.max.wait.ms", "200"),
    ];
    settings.extend(TIMEOUTS);
    let mut consumer = ottla_tests::consumer(&bootstrap, &settings).await;
    let epoch = Arc::new(AtomicU64::new(0));
    consumer.set_rebalance_listener(Arc::new(Assignments {
        epoch: Arc::clone(&epoch),
        rebalances,
    }));
    consumer.subscribe([topic.as_str()]).unwrap();
    while !stop.load(Ordering::SeqCst) {
        let batch = match consumer.recv_batch(2_000, Duration::from_millis(200)).await {
            Ok(b) => b,
            Err(e) => {
                tracing::info!(member = id, error = %e, "recv failed; going on");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        if batch.is_empty() {
            continue;
        }
        let assignment = epoch.load(Ordering::SeqCst);
        let mut ends = BTreeMap::new();
        {
            let mut c = consumed.lock().unwrap();
            for r in &batch {
                c.record(id, assignment, r.partition, r.offset);
                ends.insert(r.partition, r.offset + 1);
            }
        }
        let committing = Instant::now();
        let outcome = consumer.commit().await;
        tracing::info!(member = id, records = batch.len(), took = ?committing.elapsed(), ok = outcome.is_ok(), "committed");
        match outcome {
            // The commit covers the partitions assigned when it ran: all of the batch's only
            // when no rebalance came between the batch and the commit (the consumer's task
            // handles rebalances and commits in turn, so one that came moved the epoch).
            Ok(()) if epoch.load(Ordering::SeqCst) == assignment => {
                let mut c = consumed.lock().unwrap();
                for (p, end) in ends {
                    let e = c.committed.entry(p).or_insert(0);
                    *e = (*e).max(end);
                }
            }
            Ok(()) => {}
            Err(e) => {
                tracing::info!(member = id, error = %e, "commit failed; going on");
                consumed.lock().unwrap().commits_failed += 1;
            }
        }
    }
    let _ = consumer.close().await;
}

/// The run's numbers, printed as one line for the closing note.
#[derive(Debug)]
#[allow(dead_code)] // read through Debug
struct Report {
    records: u32,
    acknowledged: u64,
    failed: usize,
    lost: u64,
    duplicated_in_log: u64,
    out_of_order_in_log: u64,
    delivered: u64,
    redelivered: u64,
    commits_failed: u64,
    /// Assignments the members received (three at the start; more with each rebalance).
    assignments: u64,
    kills: u32,
    elections: u32,
    cuts: u64,
    stalls: u32,
    connections: u64,
    seconds: f64,
}

/// Reads every partition from the start (straight to the brokers, no proxy) to its end:
/// the values each holds, in log order.
async fn read_log(b: &str, topic: &str) -> BTreeMap<i32, Vec<u32>> {
    let c = client(b).await;
    let admin = ottla::admin::Admin::new(c.clone());
    let tps: Vec<_> = (0..PARTITIONS as i32)
        .map(|p| TopicPartition::new(topic, p))
        .collect();
    let ends = admin
        .list_offsets(&tps, ottla::basic::OffsetSpec::Latest)
        .await
        .unwrap();
    let mut consumer = ottla_tests::consumer(
        b,
        &[
            ("auto.offset.reset", "earliest"),
            ("fetch.max.wait.ms", "100"),
        ],
    )
    .await;
    consumer.assign(tps.clone()).unwrap();
    let total: i64 = ends.values().sum();
    let mut log: BTreeMap<i32, Vec<u32>> = BTreeMap::new();
    let mut read = 0i64;
    let deadline = Instant::now() + Duration::from_secs(120);
    while read < total {
        assert!(
            Instant::now() < deadline,
            "read {read} of {total} records back in 120 s"
        );
        for r in consumer
            .recv_batch(10_000, Duration::from_secs(1))
            .await
            .unwrap()
        {
            let v = std::str::from_utf8(r.value.as_deref().unwrap())
                .unwrap()
                .parse()
                .unwrap();
            log.entry(r.partition).or_default().push(v);
            read += 1;
        }
    }
    log
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_acknowledged_record_lost_or_duplicated_through_kills_elections_and_cuts() {
    let _alone = CLUSTER.lock().await;
    ottla_tests::init_logs();
    let Some(b) = cluster_bootstrap() else { return };
    let n = env_or("OTTLA_FAULTS_RECORDS", 100_000) as u32;
    // Paced so that the schedule's faults fall while records flow: about a minute.
    let rate = env_or("OTTLA_FAULTS_RATE", u64::from(n / 60).max(1_000)) as u32;
    let deadline = Instant::now() + Duration::from_secs(env_or("OTTLA_FAULTS_DEADLINE_S", 600));
    let started = Instant::now();

    let c = client(&b).await;
    let (topic, _) = replicated_topic(&c, "faults", PARTITIONS as i32).await;
    let (proxy, proxied) = start_cluster_proxy().await;
    // Metadata through the proxy names the proxy: every connection of the run passes it.
    let m = client(&proxied).await.refresh_metadata().await.unwrap();
    for broker in m.brokers.values() {
        assert!(
            proxied
                .split(',')
                .any(|a| a.ends_with(&format!(":{}", broker.port))),
            "broker {broker:?} advertised outside the proxy"
        );
    }

    let produced = Arc::new(Mutex::new(Produced {
        acked: vec![false; n as usize],
        ..Produced::default()
    }));
    let consumed = Arc::new(Mutex::new(Consumed::default()));
    let rebalances = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let group = ottla_tests::unique_topic("faults-group");
    let spawn_member = |id: usize| {
        tokio::spawn(member(
            id,
            proxied.clone(),
            group.clone(),
            topic.clone(),
            Arc::clone(&consumed),
            Arc::clone(&rebalances),
            Arc::clone(&stop),
        ))
    };
    let mut members: Vec<_> = (0..3).map(spawn_member).collect();
    let p = Arc::new(producer(&proxied).await);
    let sending = tokio::spawn(produce(
        Arc::clone(&p),
        topic.clone(),
        n,
        rate,
        Arc::clone(&produced),
    ));

    // Progress every 5 s, for a run that stalls.
    let ticker = {
        let (produced, consumed) = (Arc::clone(&produced), Arc::clone(&consumed));
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(5)).await;
                let acked = produced.lock().unwrap().acked_count;
                let (delivered, committed): (usize, i64) = {
                    let c = consumed.lock().unwrap();
                    (
                        c.first.values().map(BTreeMap::len).sum(),
                        c.committed.values().sum(),
                    )
                };
                println!("faults_kafka: {:>5.0} s: acknowledged {acked}, delivered {delivered}, committed {committed}",
                    started.elapsed().as_secs_f64());
            }
        })
    };
    let step = |what: &str| {
        println!(
            "faults_kafka: {:>5.0} s: {what}",
            started.elapsed().as_secs_f64()
        )
    };
    // The schedule: each step waits for its share of acknowledged records.
    let acked = || produced.lock().unwrap().acked_count;
    let wait_for = |share: f64| {
        let target = (f64::from(n) * share) as u64;
        let acked = &acked;
        async move {
            while acked() < target {
                assert!(
                    Instant::now() < deadline,
                    "{} of {target} records acknowledged at the deadline",
                    acked()
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    let (mut kills, mut elections, mut stalls) = (0u32, 0u32, 0u32);
    let leader_of = |p: i32| {
        let c = c.clone();
        let topic = topic.clone();
        async move {
            let m = c.refresh_metadata().await.unwrap();
            m.topics[topic.as_str()].partitions[&p].leader
        }
    };

    wait_for(0.05).await;
    let cut = proxy.cut(None);
    step("cut every connection");
    tracing::info!(cut, "cut every connection");

    wait_for(0.15).await;
    let victim = leader_of(0).await.expect("partition 0 has a leader");
    let crashed = Crashed::kill(victim);
    step("killed a broker (kill -9)");
    kills += 1;
    wait_for(0.25).await;
    crashed.restart();
    step("started it again");
    wait_until_whole(&c, &topic, victim).await;

    wait_for(0.35).await;
    // Leadership moved off the killed broker; a preferred election brings it back.
    elect_preferred(&c, &topic).await;
    step("preferred leader election");
    elections += 1;

    wait_for(0.40).await;
    // A member crashes: its task ends where it stands (between a delivery and its commit,
    // perhaps), without leaving the group; its partitions move after its session times out.
    members[1].abort();
    step("member 1 crashed");
    wait_for(0.42).await;
    members.push(spawn_member(3));
    step("member 3 joins");

    wait_for(0.45).await;
    let stalled = leader_of(1).await.expect("partition 1 has a leader");
    proxy.stall(Some(stalled), true);
    step("stalled a leader's connections");
    stalls += 1;
    tokio::time::sleep(Duration::from_secs(5)).await;
    proxy.stall(Some(stalled), false);
    step("healed them");

    wait_for(0.55).await;
    let coordinator = coordinator_of(&c, &group).await;
    let victim = coordinator.unwrap_or(victim);
    let crashed = Crashed::kill(victim);
    step("killed a broker (kill -9)");
    kills += 1;
    wait_for(0.65).await;
    crashed.restart();
    step("started it again");
    wait_until_whole(&c, &topic, victim).await;
    elect_preferred(&c, &topic).await;
    step("preferred leader election");
    elections += 1;

    wait_for(0.75).await;
    proxy.delay(None, Duration::from_millis(50));
    step("50 ms delay on every connection");
    tokio::time::sleep(Duration::from_secs(3)).await;
    proxy.delay(None, Duration::ZERO);
    step("delay off");

    wait_for(0.85).await;
    proxy.cut(None);
    step("cut every connection");

    tokio::time::timeout(deadline.saturating_duration_since(Instant::now()), sending)
        .await
        .expect("every delivery known before the deadline")
        .unwrap();
    p.flush().await.unwrap();

    // The group reads on until its commits reach the end of every partition.
    let log = read_log(&b, &topic).await;
    let ends: BTreeMap<i32, i64> = log.iter().map(|(&p, v)| (p, v.len() as i64)).collect();
    loop {
        let done = {
            let c = consumed.lock().unwrap();
            ends.iter()
                .all(|(p, end)| c.committed.get(p).copied().unwrap_or(0) >= *end)
        };
        if done {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the group committed {:?} of {ends:?} at the deadline",
            consumed.lock().unwrap().committed
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.store(true, Ordering::SeqCst);
    ticker.abort();
    for m in members {
        if let Err(e) = m.await {
            assert!(e.is_cancelled(), "a member failed: {e}");
        }
    }

    // The log against the acknowledgements.
    let produced = produced.lock().unwrap();
    let mut seen = vec![0u8; n as usize];
    let (mut duplicated, mut out_of_order) = (0u64, 0u64);
    for (p, values) in &log {
        for w in values.windows(2) {
            if w[1] <= w[0] {
                out_of_order += 1;
            }
        }
        for &v in values {
            assert_eq!(v % PARTITIONS, *p as u32, "record {v} in partition {p}");
            let s = &mut seen[v as usize];
            if *s > 0 {
                duplicated += 1;
            }
            *s = s.saturating_add(1);
        }
    }
    let lost = (0..n as usize)
        .filter(|&i| produced.acked[i] && seen[i] == 0)
        .count() as u64;
    let consumed = consumed.lock().unwrap();
    let delivered: u64 = consumed.first.values().map(|m| m.len() as u64).sum();
    let undelivered: Vec<String> = ends
        .iter()
        .filter_map(|(p, end)| {
            let got = consumed.first.get(p).map_or(0, |m| m.len() as i64);
            (got != *end).then(|| format!("partition {p}: {got} of {end} delivered"))
        })
        .collect();
    let report = Report {
        records: n,
        acknowledged: produced.acked_count,
        failed: produced.failed.len(),
        lost,
        duplicated_in_log: duplicated,
        out_of_order_in_log: out_of_order,
        delivered,
        redelivered: consumed.redelivered,
        commits_failed: consumed.commits_failed,
        assignments: rebalances.load(Ordering::SeqCst),
        kills,
        elections,
        cuts: proxy.cuts(),
        stalls,
        connections: proxy.accepted(),
        seconds: started.elapsed().as_secs_f64(),
    };
    println!("faults_kafka: {report:?}");
    assert_eq!(lost, 0, "acknowledged records lost: {report:?}");
    assert_eq!(duplicated, 0, "records twice in the log: {report:?}");
    assert_eq!(out_of_order, 0, "partitions out of order: {report:?}");
    assert!(
        produced.failed.is_empty(),
        "deliveries failed: {:?}",
        &produced.failed[..produced.failed.len().min(5)]
    );
    assert!(
        undelivered.is_empty(),
        "committed but not delivered: {undelivered:?}"
    );
    assert!(
        consumed.violations.is_empty(),
        "outside the at-least-once window: {:?}",
        &consumed.violations[..consumed.violations.len().min(5)]
    );
    assert!(report.cuts > 0, "the proxy cut live connections");
    assert!(report.assignments > 3, "the group rebalanced: {report:?}");
}

/// A preferred leader election of every partition of `topic` (ElectLeaders through the
/// controller); ELECTION_NOT_NEEDED is fine.
async fn elect_preferred(c: &ottla::Client, topic: &str) {
    use ottla::protocol::messages::elect_leaders_request::TopicPartitions;
    use ottla::protocol::messages::{ElectLeadersRequest, TopicName};
    use ottla::protocol::StrBytes;
    let elect = ElectLeadersRequest::default()
        .with_election_type(0)
        .with_timeout_ms(30_000)
        .with_topic_partitions(Some(vec![TopicPartitions::default()
            .with_topic(TopicName(StrBytes::from_string(topic.to_owned())))
            .with_partitions((0..PARTITIONS as i32).collect())]));
    let r = c.send_to_controller(&elect).await.unwrap();
    assert_eq!(r.error_code, 0, "{r:?}");
    for p in r
        .replica_election_results
        .iter()
        .flat_map(|t| &t.partition_result)
    {
        // 84: ELECTION_NOT_NEEDED (the preferred replica leads already).
        assert!(
            p.error_code == 0 || p.error_code == 84,
            "election of partition {}: {p:?}",
            p.partition_id
        );
    }
}

/// The broker coordinating `group` (ListGroups on every broker), once the group exists.
async fn coordinator_of(c: &ottla::Client, group: &str) -> Option<i32> {
    for _ in 0..50 {
        if let Ok(groups) = ottla::group::admin::list_groups(c).await {
            if let Some(g) = groups.into_iter().find(|g| g.group_id == group) {
                return Some(g.coordinator);
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}
