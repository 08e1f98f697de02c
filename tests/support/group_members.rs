//! Consumer group members under watch: who owns which partition, from the members' own
//! events (ottla's [`GroupMember`] and the reference clients' `group-member`), with any
//! partition owned twice at once recorded as an overlap.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ottla::group::{GroupEvent, GroupMember, TopicPartition};
use tokio::task::JoinHandle;

/// Who owns what, as the members' events say; any overlap fails the test at once.
#[derive(Debug, Default)]
pub struct Ownership {
    /// Partitions held, by member name.
    pub by_member: BTreeMap<String, BTreeSet<TopicPartition>>,
    /// Every time a partition was given to one member while another held it.
    pub overlaps: Vec<String>,
    /// Partitions lost (not revoked).
    pub lost: usize,
}

impl Ownership {
    /// `name` was assigned `parts`.
    pub fn assigned(&mut self, name: &str, parts: Vec<TopicPartition>) {
        for tp in parts {
            let holder = self
                .by_member
                .iter()
                .find(|(m, held)| *m != name && held.contains(&tp))
                .map(|(m, _)| m.clone());
            if let Some(other) = holder {
                self.overlaps
                    .push(format!("{tp} given to {name} while {other} owns it"));
            }
            self.by_member
                .entry(name.to_owned())
                .or_default()
                .insert(tp);
        }
    }

    /// `name` gave up (or lost) `parts`.
    pub fn gone(&mut self, name: &str, parts: &[TopicPartition], lost: bool) {
        if lost {
            self.lost += parts.len();
        }
        let held = self.by_member.entry(name.to_owned()).or_default();
        for tp in parts {
            held.remove(tp);
        }
    }
}

/// The ownership record the members share.
pub type Shared = Arc<Mutex<Ownership>>;

/// A line of a member's output as an event (`assigned`, `revoked` or `lost`) and partition
/// numbers.
type LineParser = fn(&str) -> Option<(&'static str, Vec<i32>)>;

/// Reads `output` line by line in a thread of its own; `parse` turns a line into an event
/// (`assigned`, `revoked` or `lost`) and partition numbers of `topic`, recorded under `name`.
fn follow(
    output: impl std::io::Read + Send + 'static,
    name: &str,
    topic: &str,
    shared: Shared,
    parse: LineParser,
) -> std::thread::JoinHandle<()> {
    use std::io::BufRead;
    let (name, topic) = (name.to_owned(), topic.to_owned());
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(output).lines() {
            let line = line.expect("member output");
            let Some((event, partitions)) = parse(&line) else {
                continue;
            };
            let parts: Vec<TopicPartition> = partitions
                .into_iter()
                .map(|p| TopicPartition::new(topic.as_str(), p))
                .collect();
            let mut o = shared.lock().unwrap();
            match event {
                "assigned" => o.assigned(&name, parts),
                "revoked" => o.gone(&name, &parts, false),
                "lost" => o.gone(&name, &parts, true),
                _ => {}
            }
        }
    })
}

/// A tracked ottla member's task and the switch that makes it leave.
pub type Tracked = (JoinHandle<()>, tokio::sync::oneshot::Sender<()>);

/// Makes a tracked member leave and waits (up to 30 s) until it has.
pub async fn stop((task, stop): Tracked) {
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(30), task)
        .await
        .unwrap()
        .unwrap();
}

/// Runs `member` in a task that records its events in `shared` under `name`.
pub fn track(name: &str, mut member: GroupMember, shared: Shared) -> Tracked {
    let (stop_tx, mut stop) = tokio::sync::oneshot::channel::<()>();
    let name = name.to_owned();
    let task = tokio::spawn(async move {
        let mut closing = false;
        loop {
            let event = tokio::select! {
                e = member.next_event() => e,
                _ = &mut stop, if !closing => {
                    closing = true;
                    member.close();
                    continue;
                }
            };
            let Some(event) = event else { break };
            let mut o = shared.lock().unwrap();
            match event {
                GroupEvent::Assigned(parts) => o.assigned(&name, parts),
                GroupEvent::Revoked { partitions, done } => {
                    o.gone(&name, &partitions, false);
                    done.done();
                }
                GroupEvent::Lost(parts) => o.gone(&name, &parts, true),
                GroupEvent::Failed(e) => panic!("{name} failed: {e}"),
            }
        }
    });
    (task, stop_tx)
}

/// Waits (up to 60 s) until the members own `sizes` partitions each (in member-name order)
/// and together all `total`.
pub async fn wait_for_split(shared: &Shared, total: usize, sizes: &[usize]) {
    let mut last = String::new();
    for _ in 0..600 {
        {
            let o = shared.lock().unwrap();
            assert!(o.overlaps.is_empty(), "{:?}", o.overlaps);
            let owned: Vec<usize> = o
                .by_member
                .values()
                .map(BTreeSet::len)
                .filter(|&n| n > 0)
                .collect();
            let union: BTreeSet<&TopicPartition> = o.by_member.values().flatten().collect();
            let mut got = owned.clone();
            got.sort_unstable();
            let mut want = sizes.to_vec();
            want.sort_unstable();
            if union.len() == total && got == want {
                return;
            }
            last = format!(
                "{:?}",
                o.by_member
                    .iter()
                    .map(|(m, h)| (m, h.len()))
                    .collect::<Vec<_>>()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no {sizes:?} split of {total} partitions within 60 s; last: {last}");
}

/// A reference client's group member (`tests/peers/` `group-member`: the Java consumer or
/// franz-go), its rebalance callbacks recorded in `shared` under `name`. Closing its stdin
/// makes it leave.
pub struct PeerMember {
    child: std::process::Child,
    reader: std::thread::JoinHandle<()>,
}

impl PeerMember {
    /// Starts `peer`'s member of `group` on `topic` with `assignor`, and `extra` arguments
    /// (e.g. `--protocol consumer`).
    #[allow(clippy::too_many_arguments)]
    pub fn start(
        peer: &std::path::Path,
        bootstrap: &str,
        topic: &str,
        group: &str,
        assignor: &str,
        name: &str,
        shared: Shared,
        extra: &[&str],
    ) -> Self {
        let mut child = std::process::Command::new(peer)
            .args([
                "group-member",
                "--bootstrap",
                bootstrap,
                "--topic",
                topic,
                "--group",
                group,
                "--assignor",
                assignor,
            ])
            .args(extra)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("start the peer");
        let stdout = child.stdout.take().expect("piped stdout");
        let reader = follow(stdout, name, topic, shared, |line| {
            let v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
            let event = match v["event"].as_str()? {
                "assigned" => "assigned",
                "revoked" => "revoked",
                "lost" => "lost",
                _ => return None,
            };
            let parts = v["partitions"]
                .as_array()?
                .iter()
                .filter_map(|p| p.as_i64())
                .map(|p| p as i32)
                .collect();
            Some((event, parts))
        });
        Self { child, reader }
    }

    /// Leaves the group (end of stdin) and waits for the process.
    pub fn leave(mut self) {
        drop(self.child.stdin.take());
        let status = self.child.wait().expect("wait for the peer");
        assert!(status.success(), "the peer exited with {status}");
        self.reader.join().expect("reader thread");
    }
}

/// kcat (librdkafka) as a member of a classic group (`kcat -G`), its rebalance lines on
/// stderr (`% Group G rebalanced (memberid M): assigned: T [0], T [1]` / `revoked: …`)
/// recorded in `shared` under `name`. SIGINT makes it leave.
pub struct KcatMember {
    child: std::process::Child,
    reader: std::thread::JoinHandle<()>,
}

impl KcatMember {
    /// Starts kcat in `group` on `topic` with `assignor` (partition.assignment.strategy),
    /// 300 ms heartbeats and 10 s sessions, printing nothing per record.
    pub fn start(
        kcat: &std::path::Path,
        bootstrap: &str,
        topic: &str,
        group: &str,
        assignor: &str,
        name: &str,
        shared: Shared,
    ) -> Self {
        let mut child = std::process::Command::new(kcat)
            .args(["-b", bootstrap, "-G", group, topic, "-f", ""])
            .args(["-X", &format!("partition.assignment.strategy={assignor}")])
            .args([
                "-X",
                "heartbeat.interval.ms=300",
                "-X",
                "session.timeout.ms=10000",
            ])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start kcat");
        let stderr = child.stderr.take().expect("piped stderr");
        let reader = follow(stderr, name, topic, shared, |line| {
            let (event, list) = if let Some((_, l)) = line.split_once("): assigned: ") {
                ("assigned", l)
            } else {
                ("revoked", line.split_once("): revoked: ")?.1)
            };
            let parts = list
                .split(", ")
                .filter_map(|tp| tp.rsplit_once(" [")?.1.trim_end_matches(']').parse().ok())
                .collect();
            Some((event, parts))
        });
        Self { child, reader }
    }

    /// Makes kcat leave the group (SIGINT, as Ctrl-C) and waits for it.
    pub fn leave(mut self) {
        let pid = self.child.id().to_string();
        let status = std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -INT {pid}");
        let status = self.child.wait().expect("wait for kcat");
        assert!(status.success(), "kcat exited with {status}");
        self.reader.join().expect("reader thread");
    }
}

/// The mixed-group round: `ours` (two tracked ottla members) and one reference member in one
/// group over 12 partitions: 4/4/4; one of ours leaves: 6/6; the reference member leaves
/// (`peer_leaves`): 12 for ours; no partition owned twice, none lost. Ours leave at the end.
pub async fn mixed_group_round(
    shared: &Shared,
    mut ours: Vec<Tracked>,
    peer_leaves: impl FnOnce() + Send + 'static,
    what: &str,
) {
    wait_for_split(shared, 12, &[4, 4, 4]).await;
    stop(ours.pop().expect("two of ours")).await;
    wait_for_split(shared, 12, &[6, 6]).await;
    tokio::task::spawn_blocking(peer_leaves)
        .await
        .expect("the reference member left");
    wait_for_split(shared, 12, &[12]).await;
    assert_eq!(
        shared.lock().unwrap().lost,
        0,
        "{what}: clean leaves lose nothing"
    );
    for member in ours {
        stop(member).await;
    }
}
