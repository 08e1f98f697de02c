//! A consumer group under churn on the real broker (`OTTLA_BOOTSTRAP`): 500,000 records flow
//! into 12 partitions over about 20 s while `ottla consume -G` processes read them. Three
//! members start; one leaves cleanly (SIGINT: it commits and leaves), a fourth joins, and one
//! is killed with SIGKILL. Every record is read; before the kill none was read twice; after
//! it, only records the killed member had printed are read again (its last uncommitted
//! interval, `auto.commit.interval.ms` = 500), and how many is printed. The same again on
//! the 3-broker cluster (`OTTLA_CLUSTER_BOOTSTRAP`).

mod support;

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ottla::producer::{Producer, ProducerConfig, ProducerRecord};
use ottla_tests::{bootstrap, client, cluster_bootstrap, create_unique_topic, unique_topic};

const RECORDS: u64 = 500_000;
const PARTITIONS: i32 = 12;

/// What each member printed: (partition, offset) per line, in order, and when.
type Printed = Arc<Mutex<Vec<(i32, i64, Instant)>>>;

struct Member {
    name: &'static str,
    child: Child,
    printed: Printed,
    reader: std::thread::JoinHandle<()>,
}

impl Member {
    fn start(name: &'static str, b: &str, topic: &str, group: &str) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ottla"))
            .args([
                "-b", b, "consume", "-t", topic, "-G", group, "-f", "%p %o\\n",
            ])
            .args(["-X", "auto.commit.interval.ms=500"])
            .args([
                "-X",
                "session.timeout.ms=6000",
                "-X",
                "heartbeat.interval.ms=500",
            ])
            .args(["-X", "fetch.max.wait.ms=100"])
            .env_remove("OTTLA_BROKERS")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start ottla consume -G");
        let stdout = child.stdout.take().expect("piped stdout");
        let printed: Printed = Arc::default();
        let sink = Arc::clone(&printed);
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let line = line.expect("member output");
                let mut it = line.split(' ');
                let (Some(p), Some(o)) = (it.next(), it.next()) else {
                    panic!("bad line {line:?}");
                };
                let entry = (p.parse().unwrap(), o.parse().unwrap(), Instant::now());
                sink.lock().unwrap().push(entry);
            }
        });
        Self {
            name,
            child,
            printed,
            reader,
        }
    }

    fn count(&self) -> usize {
        self.printed.lock().unwrap().len()
    }

    fn signal(&self, sig: &str) {
        let status = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill {sig} {}", self.name);
    }

    /// Stops the member (`-INT`: commit and leave; `-KILL`: nothing) and returns what it
    /// printed.
    fn stop(self, sig: &str) -> Vec<(i32, i64, Instant)> {
        self.signal(sig);
        let out = self.child.wait_with_output().expect("wait for the member");
        if sig == "-INT" {
            assert!(
                out.status.success(),
                "{} exited with {}: {}",
                self.name,
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        self.reader.join().expect("reader thread");
        let printed = self.printed.lock().unwrap();
        printed.clone()
    }
}

/// Waits (up to 60 s) until the members together printed `n` records.
fn wait_for(members: &[&Member], n: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let total: usize = members.iter().map(|m| m.count()).sum();
        if total >= n {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{total} of {n} records printed in 60 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_reads_everything_through_leaves_joins_and_a_kill() {
    let Some(b) = bootstrap() else { return };
    churn(b, "single broker").await;
}

/// The same on the 3-broker cluster: replicated partitions (3 replicas, acks=all), their
/// leaders and the group's coordinator spread over three brokers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_on_three_brokers_reads_everything_through_leaves_joins_and_a_kill() {
    let Some(b) = cluster_bootstrap() else { return };
    churn(b, "3-broker cluster").await;
}

/// One churn at a time: each runs eight processes beside its brokers.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn churn(b: String, label: &str) {
    let _alone = ONE_AT_A_TIME.lock().await;
    let c = client(&b).await;
    let topic = create_unique_topic(&c, "cli-churn", PARTITIONS, &[]).await;
    let group = unique_topic("cli-churn");

    // The records flow in 50 steps of 10,000, 400 ms apart.
    let producing = {
        let (b, topic) = (b.clone(), topic.clone());
        tokio::spawn(async move {
            let mut config = ProducerConfig::builder();
            config.bootstrap_servers(&b);
            config.set("linger.ms", "5").unwrap();
            let producer = Producer::new(config.build().unwrap()).await.unwrap();
            let topic: Arc<str> = Arc::from(topic.as_str());
            for step in 0..50u64 {
                let mut deliveries = Vec::new();
                for i in step * 10_000..(step + 1) * 10_000 {
                    let r = ProducerRecord::new(Arc::clone(&topic), format!("{i}"))
                        .with_key(format!("{i}"));
                    deliveries.push(producer.send(r).await.unwrap());
                }
                for d in deliveries {
                    d.await.unwrap();
                }
                tokio::time::sleep(Duration::from_millis(400)).await;
            }
            producer.close(Duration::from_secs(10)).await.unwrap();
        })
    };

    let outcome = tokio::task::spawn_blocking(move || {
        let a = Member::start("a", &b, &topic, &group);
        let bm = Member::start("b", &b, &topic, &group);
        let cm = Member::start("c", &b, &topic, &group);
        wait_for(&[&a, &bm, &cm], 100_000);
        // A clean leave: c commits what it printed and leaves.
        let c_printed = cm.stop("-INT");
        let d = Member::start("d", &b, &topic, &group);
        wait_for(&[&a, &bm, &d], 250_000 - c_printed.len());
        // Before the kill: nobody has read a record twice.
        let before_kill: Vec<(i32, i64)> = [&a, &bm, &d]
            .iter()
            .flat_map(|m| m.printed.lock().unwrap().clone())
            .chain(c_printed.iter().cloned())
            .map(|(p, o, _)| (p, o))
            .collect();
        let mut seen = HashMap::new();
        for po in &before_kill {
            *seen.entry(*po).or_insert(0u32) += 1;
        }
        let twice = seen.values().filter(|&&n| n > 1).count();
        // b is killed: its partitions go to a and d after session.timeout.ms, from its
        // last committed offsets.
        let b_printed = bm.stop("-KILL");
        wait_for(
            &[&a, &d],
            RECORDS as usize - c_printed.len() - b_printed.len(),
        );
        // Until every record has been printed by someone.
        let deadline = Instant::now() + Duration::from_secs(90);
        let all = |members: &[&Member]| -> usize {
            let mut set = std::collections::HashSet::new();
            for m in members {
                for (p, o, _) in m.printed.lock().unwrap().iter() {
                    set.insert((*p, *o));
                }
            }
            for (p, o, _) in c_printed.iter().chain(&b_printed) {
                set.insert((*p, *o));
            }
            set.len()
        };
        while all(&[&a, &d]) < RECORDS as usize {
            assert!(
                Instant::now() < deadline,
                "{} of {RECORDS} distinct records read in time",
                all(&[&a, &d])
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let a_printed = a.stop("-INT");
        let d_printed = d.stop("-INT");
        (twice, a_printed, b_printed, c_printed, d_printed)
    })
    .await
    .unwrap();
    producing.await.unwrap();
    let (twice_before_kill, a, b_printed, c_printed, d) = outcome;
    assert_eq!(
        twice_before_kill, 0,
        "clean leaves and joins: no record read twice"
    );

    let mut times: BTreeMap<(i32, i64), u32> = BTreeMap::new();
    for (p, o, _) in a.iter().chain(&b_printed).chain(&c_printed).chain(&d) {
        *times.entry((*p, *o)).or_default() += 1;
    }
    assert_eq!(times.len() as u64, RECORDS, "every record read");
    let ends: BTreeMap<i32, i64> = times.keys().fold(BTreeMap::new(), |mut m, (p, o)| {
        let e = m.entry(*p).or_insert(0);
        *e = (*e).max(*o + 1);
        m
    });
    assert_eq!(
        ends.values().sum::<i64>() as u64,
        RECORDS,
        "offsets 0.. in every partition"
    );
    let killed: std::collections::HashSet<(i32, i64)> =
        b_printed.iter().map(|(p, o, _)| (*p, *o)).collect();
    let duplicates: Vec<(i32, i64)> = times
        .iter()
        .filter(|(_, &n)| n > 1)
        .map(|(po, _)| *po)
        .collect();
    assert!(
        duplicates.iter().all(|po| killed.contains(po)),
        "only records the killed member printed are read twice"
    );
    // The killed member's uncommitted tail: what it printed in its last moments.
    let last = b_printed.last().map(|(_, _, t)| *t);
    let tail_ms = duplicates
        .iter()
        .filter_map(|po| b_printed.iter().find(|(p, o, _)| (*p, *o) == *po))
        .filter_map(|(_, _, t)| last.map(|l| l.duration_since(*t).as_millis()))
        .max()
        .unwrap_or(0);
    assert!(
        tail_ms <= 1_500,
        "read twice: records b printed {tail_ms} ms before its end, past its commit interval"
    );
    eprintln!(
        "churn ({label}): {RECORDS} records; members printed a {}, b (killed) {}, c (left) {}, d (joined) {}; \
         read twice after the kill: {} (all printed by b within its last {tail_ms} ms)",
        a.len(),
        b_printed.len(),
        c_printed.len(),
        d.len(),
        duplicates.len()
    );
}
