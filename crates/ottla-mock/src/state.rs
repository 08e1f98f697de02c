//! The cluster's shared state: brokers, topics and their partitions, faults and counters, behind
//! one mutex that is never held across an `.await`.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;
use uuid::Uuid;

use kafka_protocol::ResponseError;

use crate::config_store::ConfigStore;
use crate::consumer_groups::ConsumerGroups;
use crate::coordinator::CoordinatorKind;
use crate::error::MockError;
use crate::fault::FaultRegistry;
use crate::group_coordinator::GroupCoordinator;
use crate::groups::Groups;
use crate::log::PartitionLog;
use crate::producer_state::UnknownProducer;
use crate::sasl::SaslServer;
use crate::security_store::SecurityStore;
use crate::stats::Stats;
use crate::topic_id::TopicIdGenerator;
use crate::txn_coordinator::TxnCoordinator;

/// Leader id meaning "no leader".
pub(crate) const NO_LEADER: i32 = -1;

/// The most partitions one topic may have in the mock (a bound on memory; Kafka itself has no
/// fixed limit).
pub(crate) const MAX_PARTITIONS: i32 = 10_000;

/// The longest topic name Kafka accepts.
const MAX_TOPIC_NAME_LEN: usize = 249;

/// The state every broker task and the test's handle share.
#[derive(Debug)]
pub(crate) struct Shared {
    state: Mutex<ClusterState>,
    /// Server-side SASL, fixed at start; `None` for a plaintext listener.
    pub sasl: Option<SaslServer>,
    /// Woken on every append and every metadata change (leaders, topics, brokers), so waiting
    /// fetches re-check.
    changed: Notify,
}

impl Shared {
    pub fn new(state: ClusterState, sasl: Option<SaslServer>) -> Self {
        Self {
            state: Mutex::new(state),
            sasl,
            changed: Notify::new(),
        }
    }

    /// Locks the state. No code panics while holding it, so a poisoned lock still holds
    /// consistent data and is used as is.
    pub fn lock(&self) -> MutexGuard<'_, ClusterState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Wakes every waiting fetch.
    pub fn notify_changed(&self) {
        self.changed.notify_waiters();
    }

    /// The notifier waiting fetches subscribe to.
    pub fn changed(&self) -> &Notify {
        &self.changed
    }
}

/// Cluster-wide settings fixed by the builder.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub cluster_id: String,
    pub auto_create_topics: bool,
    pub default_partitions: i32,
    pub default_replication_factor: i16,
    /// What a batch from a producer a partition has no state for gets.
    pub unknown_producers: UnknownProducer,
}

/// One broker's address and whether it is up.
#[derive(Debug, Clone)]
pub(crate) struct BrokerInfo {
    pub host: String,
    pub port: u16,
    pub running: bool,
}

/// One partition: leadership and data.
#[derive(Debug, Clone)]
pub(crate) struct PartitionState {
    /// Leader node id, or [`NO_LEADER`].
    pub leader: i32,
    /// Bumped on every leader change.
    pub leader_epoch: i32,
    /// Replica node ids, the preferred leader first.
    pub replicas: Vec<i32>,
    pub log: PartitionLog,
}

/// One topic.
#[derive(Debug, Clone)]
pub(crate) struct TopicState {
    pub id: Uuid,
    pub partitions: Vec<PartitionState>,
}

/// Everything the brokers know.
#[derive(Debug)]
pub(crate) struct ClusterState {
    pub settings: Settings,
    pub brokers: BTreeMap<i32, BrokerInfo>,
    pub topics: BTreeMap<String, TopicState>,
    pub faults: FaultRegistry,
    pub stats: Stats,
    /// The transaction coordinator (producer ids and transactions).
    pub txns: TxnCoordinator,
    /// The group coordinator's offsets.
    pub groups: Groups,
    /// The group coordinator's members and rebalances.
    pub group_coordinator: GroupCoordinator,
    /// KIP-848 consumer groups.
    pub consumer_groups: ConsumerGroups,
    /// Dynamic configs of topics, brokers and groups.
    pub configs: ConfigStore,
    /// ACLs, SCRAM credentials and client quotas an admin client set.
    pub security: SecurityStore,
    /// Coordinators a test moved ([`MockCluster::move_group_coordinator`](crate::MockCluster::move_group_coordinator)).
    pub coordinator_moves: BTreeMap<(CoordinatorKind, String), i32>,
    ids: TopicIdGenerator,
}

impl ClusterState {
    pub fn new(settings: Settings, brokers: BTreeMap<i32, BrokerInfo>) -> Self {
        Self {
            settings,
            brokers,
            topics: BTreeMap::new(),
            faults: FaultRegistry::default(),
            stats: Stats::default(),
            txns: TxnCoordinator::default(),
            groups: Groups::default(),
            group_coordinator: GroupCoordinator::default(),
            coordinator_moves: BTreeMap::new(),
            configs: ConfigStore::default(),
            consumer_groups: ConsumerGroups::default(),
            security: SecurityStore::default(),
            ids: TopicIdGenerator::default(),
        }
    }

    /// Node ids of running brokers, ascending.
    pub fn running_nodes(&self) -> Vec<i32> {
        self.brokers
            .iter()
            .filter(|(_, b)| b.running)
            .map(|(&id, _)| id)
            .collect()
    }

    pub fn is_running(&self, node: i32) -> bool {
        self.brokers.get(&node).is_some_and(|b| b.running)
    }

    /// The lowest running node id, or -1.
    pub fn controller(&self) -> i32 {
        self.running_nodes().first().copied().unwrap_or(NO_LEADER)
    }

    /// Round-robin replica lists over the running brokers: partition `p` is led by the
    /// `p % n`-th running broker, and its followers are the brokers after it.
    pub fn assign_replicas(&self, partitions: i32, replication_factor: i16) -> Vec<Vec<i32>> {
        let nodes = self.running_nodes();
        if nodes.is_empty() {
            return Vec::new();
        }
        let rf = usize::try_from(replication_factor).unwrap_or(1).max(1);
        (0..usize::try_from(partitions).unwrap_or(0))
            .map(|p| {
                (0..rf.min(nodes.len()))
                    .filter_map(|i| nodes.get((p + i) % nodes.len()).copied())
                    .collect()
            })
            .collect()
    }

    /// Adds a topic whose partitions have these replica lists (checked by the caller); the first
    /// replica of each leads it.
    pub fn add_topic(&mut self, name: &str, assignment: Vec<Vec<i32>>) -> Uuid {
        let id = self.ids.next_id();
        let partitions = assignment
            .into_iter()
            .map(|replicas| PartitionState {
                leader: replicas.first().copied().unwrap_or(NO_LEADER),
                leader_epoch: 0,
                replicas,
                log: PartitionLog::default(),
            })
            .collect();
        self.topics
            .insert(name.to_owned(), TopicState { id, partitions });
        id
    }

    /// Creates `name` with `partitions` partitions and the default replication factor, checking
    /// what a CreateTopics request would check.
    pub fn create_topic(&mut self, name: &str, partitions: i32) -> Result<Uuid, MockError> {
        validate_topic_name(name).map_err(|reason| MockError::InvalidTopic {
            topic: name.to_owned(),
            reason,
        })?;
        if !(1..=MAX_PARTITIONS).contains(&partitions) {
            return Err(MockError::InvalidTopic {
                topic: name.to_owned(),
                reason: format!("{partitions} partitions; 1 to {MAX_PARTITIONS} are allowed"),
            });
        }
        if self.topics.contains_key(name) {
            return Err(MockError::TopicExists(name.to_owned()));
        }
        let rf = self.settings.default_replication_factor;
        let assignment = self.assign_replicas(partitions, rf);
        if assignment.is_empty() {
            return Err(MockError::InvalidTopic {
                topic: name.to_owned(),
                reason: "no broker is running".into(),
            });
        }
        Ok(self.add_topic(name, assignment))
    }

    /// Grows `name` to `count` partitions (CreatePartitions): the new ones get replicas
    /// round-robin as at creation, with the topic's replication factor. `Err` with the Kafka
    /// error code and message when it cannot.
    pub fn add_partitions(
        &mut self,
        name: &str,
        count: i32,
        validate_only: bool,
    ) -> Result<(), (i16, String)> {
        let (current, rf) = match self.topics.get(name) {
            Some(t) => (
                t.partitions.len(),
                t.partitions.first().map_or(1, |p| p.replicas.len()),
            ),
            None => {
                return Err((
                    ResponseError::UnknownTopicOrPartition.code(),
                    format!("topic {name} does not exist"),
                ))
            }
        };
        let wanted = usize::try_from(count).unwrap_or(0);
        if wanted <= current || count > MAX_PARTITIONS {
            return Err((
                ResponseError::InvalidPartitions.code(),
                format!("topic {name} has {current} partitions; {count} is not more (or over {MAX_PARTITIONS})"),
            ));
        }
        let assignment = self.assign_replicas(count, i16::try_from(rf).unwrap_or(1));
        if assignment.len() < wanted {
            return Err((
                ResponseError::InvalidReplicationFactor.code(),
                "no broker is running".to_owned(),
            ));
        }
        if validate_only {
            return Ok(());
        }
        if let Some(t) = self.topics.get_mut(name) {
            t.partitions
                .extend(
                    assignment
                        .into_iter()
                        .skip(current)
                        .map(|replicas| PartitionState {
                            leader: replicas.first().copied().unwrap_or(NO_LEADER),
                            leader_epoch: 0,
                            replicas,
                            log: PartitionLog::default(),
                        }),
                );
        }
        Ok(())
    }

    /// Deletes a topic, its data and its configs.
    pub fn remove_topic(&mut self, name: &str) -> Option<TopicState> {
        self.configs.remove(crate::config_store::TOPIC, name);
        self.topics.remove(name)
    }

    pub fn topic_name_by_id(&self, id: Uuid) -> Option<&str> {
        self.topics
            .iter()
            .find(|(_, t)| t.id == id)
            .map(|(n, _)| n.as_str())
    }

    pub fn partition(&self, topic: &str, partition: i32) -> Result<&PartitionState, MockError> {
        let t = self
            .topics
            .get(topic)
            .ok_or_else(|| MockError::UnknownTopic(topic.to_owned()))?;
        usize::try_from(partition)
            .ok()
            .and_then(|p| t.partitions.get(p))
            .ok_or_else(|| MockError::UnknownPartition {
                topic: topic.to_owned(),
                partition,
            })
    }

    pub fn partition_mut(
        &mut self,
        topic: &str,
        partition: i32,
    ) -> Result<&mut PartitionState, MockError> {
        let t = self
            .topics
            .get_mut(topic)
            .ok_or_else(|| MockError::UnknownTopic(topic.to_owned()))?;
        usize::try_from(partition)
            .ok()
            .and_then(|p| t.partitions.get_mut(p))
            .ok_or_else(|| MockError::UnknownPartition {
                topic: topic.to_owned(),
                partition,
            })
    }

    /// Makes `node` the leader (adding it to the replicas if needed) and bumps the epoch.
    pub fn set_leader(&mut self, topic: &str, partition: i32, node: i32) -> Result<(), MockError> {
        match self.brokers.get(&node) {
            None => return Err(MockError::UnknownBroker(node)),
            Some(b) if !b.running => return Err(MockError::BrokerStopped(node)),
            Some(_) => {}
        }
        let p = self.partition_mut(topic, partition)?;
        if !p.replicas.contains(&node) {
            p.replicas.insert(0, node);
        }
        p.leader = node;
        p.leader_epoch += 1;
        Ok(())
    }

    /// Marks `node` down and moves leadership of its partitions to the next running replica,
    /// or to no one.
    pub fn broker_stopped(&mut self, node: i32) {
        if let Some(b) = self.brokers.get_mut(&node) {
            b.running = false;
        }
        let running: Vec<i32> = self.running_nodes();
        for p in self
            .topics
            .values_mut()
            .flat_map(|t| t.partitions.iter_mut())
        {
            if p.leader == node {
                p.leader = p
                    .replicas
                    .iter()
                    .copied()
                    .find(|r| *r != node && running.contains(r))
                    .unwrap_or(NO_LEADER);
                p.leader_epoch += 1;
            }
        }
    }

    /// Marks `node` up; leaderless partitions it replicates get it as leader.
    pub fn broker_started(&mut self, node: i32) {
        if let Some(b) = self.brokers.get_mut(&node) {
            b.running = true;
        }
        for p in self
            .topics
            .values_mut()
            .flat_map(|t| t.partitions.iter_mut())
        {
            if p.leader == NO_LEADER && p.replicas.contains(&node) {
                p.leader = node;
                p.leader_epoch += 1;
            }
        }
    }
}

/// Kafka's topic name rules: 1 to 249 characters from `[a-zA-Z0-9._-]`, not `.` or `..`.
pub(crate) fn validate_topic_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("topic name is empty".into());
    }
    if name == "." || name == ".." {
        return Err(format!("topic name cannot be {name:?}"));
    }
    if name.len() > MAX_TOPIC_NAME_LEN {
        return Err(format!(
            "topic name is {} characters, more than {MAX_TOPIC_NAME_LEN}",
            name.len()
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(format!("topic name contains {c:?}"));
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A cluster of `n` running brokers and no topics.
    pub(crate) fn cluster(n: i32) -> ClusterState {
        let brokers = (1..=n)
            .map(|id| {
                (
                    id,
                    BrokerInfo {
                        host: "127.0.0.1".into(),
                        port: 0,
                        running: true,
                    },
                )
            })
            .collect();
        ClusterState::new(
            Settings {
                cluster_id: "c".into(),
                auto_create_topics: false,
                default_partitions: 1,
                default_replication_factor: 2,
                unknown_producers: UnknownProducer::Accept,
            },
            brokers,
        )
    }

    #[test]
    fn round_robin_assignment() {
        let c = cluster(3);
        assert_eq!(
            c.assign_replicas(4, 2),
            vec![vec![1, 2], vec![2, 3], vec![3, 1], vec![1, 2]]
        );
        assert_eq!(c.assign_replicas(1, 5), vec![vec![1, 2, 3]]);
    }

    #[test]
    fn failover_and_return() {
        let mut c = cluster(3);
        c.create_topic("t", 3).unwrap();
        c.broker_stopped(2);
        let p1 = c.partition("t", 1).unwrap();
        assert_eq!((p1.leader, p1.leader_epoch), (3, 1));
        assert_eq!(c.controller(), 1);
        c.broker_stopped(3);
        assert_eq!(c.partition("t", 1).unwrap().leader, NO_LEADER);
        c.broker_started(2);
        let p1 = c.partition("t", 1).unwrap();
        assert_eq!((p1.leader, p1.leader_epoch), (2, 3));
        assert_eq!(
            c.set_leader("t", 0, 3).unwrap_err().to_string(),
            "broker 3 is stopped"
        );
        c.set_leader("t", 0, 2).unwrap();
        assert_eq!(c.partition("t", 0).unwrap().leader, 2);
        assert!(c.set_leader("t", 9, 2).is_err());
        assert!(c.set_leader("t", 0, 9).is_err());
    }

    #[test]
    fn topic_names() {
        assert!(validate_topic_name("a.b_c-D9").is_ok());
        for bad in ["", ".", "..", "a b", "ü", &"x".repeat(250)] {
            assert!(validate_topic_name(bad).is_err(), "{bad:?}");
        }
        let mut c = cluster(1);
        assert!(matches!(
            c.create_topic("t", 0),
            Err(MockError::InvalidTopic { .. })
        ));
        c.create_topic("t", 1).unwrap();
        assert!(matches!(
            c.create_topic("t", 1),
            Err(MockError::TopicExists(_))
        ));
    }
}
