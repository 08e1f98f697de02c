//! Helpers of the tests against the 3-broker Kafka cluster (`OTTLA_CLUSTER_BOOTSTRAP`,
//! `scripts/kafka.sh start --cluster`): replicated topics, an acks=all producer and consumers
//! with short timeouts, numbered records, and broker processes stopped and resumed.

use std::sync::Arc;
use std::time::Duration;

use ottla::basic::{create_topic, NewTopic};
use ottla::producer::{Producer, ProducerConfig, ProducerRecord};

use crate::{client, cluster_bootstrap, unique_topic};

/// One test at a time on the cluster (per test binary; cargo runs binaries one after
/// another): tests stop brokers for a while.
pub static CLUSTER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Timeouts short enough that a stopped broker costs seconds, not half a minute.
pub const SHORT_TIMEOUTS: [(&str, &str); 3] = [
    ("request.timeout.ms", "3000"),
    ("socket.connection.setup.timeout.ms", "3000"),
    ("metadata.max.age.ms", "1000"),
];

/// A fresh topic of `partitions` partitions with three in-sync replicas each; its
/// partitions' leaders.
pub async fn replicated_topic(
    c: &ottla::Client,
    prefix: &str,
    partitions: i32,
) -> (String, std::collections::BTreeMap<i32, i32>) {
    let topic = unique_topic(prefix);
    create_topic(
        c,
        &NewTopic {
            name: topic.clone(),
            partitions,
            replication_factor: 3,
            configs: vec![],
        },
    )
    .await
    .unwrap();
    for _ in 0..100 {
        let m = c.refresh_metadata().await.unwrap();
        let parts = &m.topics[topic.as_str()].partitions;
        if parts.len() == partitions as usize
            && parts
                .values()
                .all(|p| p.isr.len() == 3 && p.leader.is_some())
        {
            let leaders = parts
                .iter()
                .filter_map(|(&i, p)| Some((i, p.leader?)))
                .collect();
            return (topic, leaders);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{topic}: no three in-sync replicas in 10 s");
}

/// An acks=all producer with [`SHORT_TIMEOUTS`].
pub async fn producer(b: &str) -> Producer {
    let mut builder = ProducerConfig::builder();
    builder.bootstrap_servers(b);
    for (k, v) in [("acks", "all"), ("linger.ms", "5")]
        .into_iter()
        .chain(SHORT_TIMEOUTS)
    {
        builder.set(k, v).unwrap();
    }
    Producer::new(builder.build().unwrap()).await.unwrap()
}

/// Writes values `from..to` (as text), record `i` to partition `i % partitions`, and waits
/// for every delivery.
pub async fn send_numbers(producer: &Producer, topic: &str, partitions: u32, from: u32, to: u32) {
    let topic: Arc<str> = Arc::from(topic);
    let mut deliveries = Vec::new();
    for i in from..to {
        let r = ProducerRecord::new(Arc::clone(&topic), format!("{i}"))
            .with_partition((i % partitions) as i32);
        deliveries.push(producer.send(r).await.unwrap());
    }
    for d in deliveries {
        d.await.unwrap();
    }
}

/// Waits (up to 60 s) until every replica of `topic`'s partitions is in sync and the
/// cluster has three brokers again: the stopped broker is back, for the next test.
pub async fn wait_until_whole(c: &ottla::Client, topic: &str, stopped: i32) {
    for _ in 0..120 {
        if let Ok(m) = c.refresh_metadata().await {
            if m.brokers.len() == 3
                && m.topics[topic]
                    .partitions
                    .values()
                    .all(|p| p.isr.len() == p.replicas.len())
            {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    panic!("broker {stopped} not back in the ISR within 60 s");
}

/// A consumer of the cluster with [`SHORT_TIMEOUTS`] and `settings`.
pub async fn consumer_with(b: &str, settings: &[(&str, &str)]) -> ottla::consumer::Consumer {
    let all: Vec<(&str, &str)> = settings.iter().copied().chain(SHORT_TIMEOUTS).collect();
    crate::consumer(b, &all).await
}

/// The number a record of [`send_numbers`] carries.
pub fn number(r: &ottla::consumer::ConsumerRecord) -> u32 {
    std::str::from_utf8(r.value.as_deref().unwrap())
        .unwrap()
        .parse()
        .unwrap()
}

/// The broker processes of the cluster, by node id: from the PID files in
/// `OTTLA_CLUSTER_DIR` (current after a broker was killed and started again), else from
/// `OTTLA_CLUSTER_BROKERS` (`ID:PORT:PID …`, as started).
pub fn broker_pids() -> std::collections::BTreeMap<i32, u32> {
    if let Ok(dir) = std::env::var("OTTLA_CLUSTER_DIR") {
        let from_files: std::collections::BTreeMap<i32, u32> = (1..=3)
            .filter_map(|id| {
                let pid = std::fs::read_to_string(format!("{dir}/broker{id}.pid")).ok()?;
                Some((id, pid.trim().parse().ok()?))
            })
            .collect();
        if from_files.len() == 3 {
            return from_files;
        }
    }
    let brokers = crate::peer(
        "OTTLA_CLUSTER_BROKERS",
        "the cluster's broker processes (scripts/kafka.sh start --cluster)",
    )
    .unwrap_or_default();
    brokers
        .split_whitespace()
        .filter_map(|b| {
            let mut it = b.split(':');
            let id = it.next()?.parse().ok()?;
            let pid = it.nth(1)?.parse().ok()?;
            Some((id, pid))
        })
        .collect()
}

/// A broker process stopped (SIGSTOP) until dropped (SIGCONT): it neither answers nor
/// heartbeats, so the controller fences it and moves its leaderships (broker.session.timeout.ms,
/// 9 s by default), and it comes back as a follower.
pub struct Stopped(u32);

impl Stopped {
    pub fn new(pid: u32) -> Self {
        signal("-STOP", pid);
        Stopped(pid)
    }
}

impl Drop for Stopped {
    fn drop(&mut self) {
        signal("-CONT", self.0);
    }
}

pub fn signal(sig: &str, pid: u32) {
    let status = std::process::Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill {sig} {pid}");
}

/// What a test that stops a broker starts from: the cluster to itself, its bootstrap, its
/// broker processes and a client.
pub struct Stoppable {
    pub _alone: tokio::sync::MutexGuard<'static, ()>,
    pub b: String,
    pub pids: std::collections::BTreeMap<i32, u32>,
    pub c: ottla::Client,
}

/// `None` (the test skips) without the cluster.
pub async fn stoppable() -> Option<Stoppable> {
    crate::init_logs();
    let _alone = CLUSTER.lock().await;
    let b = cluster_bootstrap()?;
    let pids = broker_pids();
    assert_eq!(pids.len(), 3, "OTTLA_CLUSTER_BROKERS");
    let c = client(&b).await;
    Some(Stoppable { _alone, b, pids, c })
}

/// Runs `scripts/kafka.sh ACTION --node ID` on the cluster of `OTTLA_CLUSTER_DIR`; its output.
fn kafka_script(action: &str, node: i32) -> String {
    let dir = std::env::var("OTTLA_CLUSTER_DIR")
        .expect("OTTLA_CLUSTER_DIR (scripts/kafka.sh start --cluster)");
    let dir = std::path::Path::new(&dir);
    let name = dir
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_prefix("kafka-"))
        .expect("OTTLA_CLUSTER_DIR is …/run/kafka-NAME");
    let tools = dir
        .parent()
        .and_then(|run| run.parent())
        .expect("…/run/kafka-NAME");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/kafka.sh");
    let out = std::process::Command::new("bash")
        .args([script, action, "--name", name, "--node", &node.to_string()])
        .env("OTTLA_TOOLS_DIR", tools)
        .stderr(std::process::Stdio::inherit())
        .output()
        .expect("run scripts/kafka.sh");
    assert!(
        out.status.success(),
        "kafka.sh {action} --node {node} failed"
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A broker killed with `kill -9` (a crash: no controlled shutdown) until started again with
/// [`Crashed::restart`], or when dropped (so a failing test leaves the cluster whole).
pub struct Crashed(Option<i32>);

impl Crashed {
    pub fn kill(node: i32) -> Self {
        kafka_script("kill-broker", node);
        Crashed(Some(node))
    }

    /// Starts the broker again on its data; its new PID.
    pub fn restart(mut self) -> u32 {
        let node = self.0.take().expect("restarted once");
        kafka_script("start-broker", node)
            .lines()
            .last()
            .and_then(|l| l.parse().ok())
            .expect("kafka.sh start-broker prints the PID")
    }
}

impl Drop for Crashed {
    fn drop(&mut self) {
        if let Some(node) = self.0.take() {
            kafka_script("start-broker", node);
        }
    }
}
