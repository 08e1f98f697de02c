//! [`MockClusterBuilder`]: brokers, topics and cluster-wide settings, checked at `start`.

use std::collections::{BTreeMap, HashSet};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use crate::broker::{self, BrokerTask};
use crate::cluster::{BrokerSlot, MockCluster};
use crate::error::MockError;
use crate::producer_state::UnknownProducer;
use crate::sasl::MockSasl;
use crate::state::{
    validate_topic_name, BrokerInfo, ClusterState, Settings, Shared, MAX_PARTITIONS,
};

/// The most brokers a mock cluster may have.
const MAX_BROKERS: i32 = 64;

#[derive(Debug, Clone)]
struct TopicSpec {
    name: String,
    partitions: i32,
    replication_factor: Option<i16>,
}

/// Configures and starts a [`MockCluster`]. Defaults: one broker, no topics, auto-creation off,
/// one partition and replication factor 1 for topics created without explicit values, cluster
/// id `ottla-mock`.
#[derive(Debug, Clone)]
pub struct MockClusterBuilder {
    brokers: i32,
    topics: Vec<TopicSpec>,
    auto_create_topics: bool,
    default_partitions: i32,
    default_replication_factor: i16,
    cluster_id: String,
    sasl: Option<MockSasl>,
    unknown_producers: UnknownProducer,
    base_port: Option<u16>,
}

impl Default for MockClusterBuilder {
    fn default() -> Self {
        Self {
            brokers: 1,
            topics: Vec::new(),
            auto_create_topics: false,
            default_partitions: 1,
            default_replication_factor: 1,
            cluster_id: "ottla-mock".to_owned(),
            sasl: None,
            unknown_producers: UnknownProducer::Accept,
            base_port: None,
        }
    }
}

impl MockClusterBuilder {
    /// Number of brokers; their node ids are `1..=n`.
    pub fn brokers(mut self, n: i32) -> Self {
        self.brokers = n;
        self
    }

    /// A topic with `partitions` partitions and the default replication factor. Partition `p`
    /// is led by broker `p % n + 1` (round-robin); its followers are the brokers after it.
    pub fn topic(mut self, name: impl Into<String>, partitions: i32) -> Self {
        self.topics.push(TopicSpec {
            name: name.into(),
            partitions,
            replication_factor: None,
        });
        self
    }

    /// A topic with an explicit replication factor (at most the number of brokers).
    pub fn topic_with_replication(
        mut self,
        name: impl Into<String>,
        partitions: i32,
        replication_factor: i16,
    ) -> Self {
        self.topics.push(TopicSpec {
            name: name.into(),
            partitions,
            replication_factor: Some(replication_factor),
        });
        self
    }

    /// Whether a Metadata request for an unknown topic creates it (`auto.create.topics.enable`);
    /// off by default.
    pub fn auto_create_topics(mut self, enabled: bool) -> Self {
        self.auto_create_topics = enabled;
        self
    }

    /// Partitions of auto-created topics and of CreateTopics requests with `num_partitions = -1`.
    pub fn default_partitions(mut self, n: i32) -> Self {
        self.default_partitions = n;
        self
    }

    /// Replication factor of topics created without one.
    pub fn default_replication_factor(mut self, rf: i16) -> Self {
        self.default_replication_factor = rf;
        self
    }

    /// The cluster id Metadata reports.
    pub fn cluster_id(mut self, id: impl Into<String>) -> Self {
        self.cluster_id = id.into();
        self
    }

    /// Requires SASL on every connection (a `SASL_PLAINTEXT` listener); see [`MockSasl`].
    pub fn sasl(mut self, sasl: MockSasl) -> Self {
        self.sasl = Some(sasl);
        self
    }

    /// Whether an idempotent or transactional batch whose sequence is not 0, from a producer
    /// the partition holds no state for (never seen, or forgotten with
    /// [`MockCluster::forget_producers`]), is answered UNKNOWN_PRODUCER_ID (59), as brokers
    /// before Kafka 2.5 did. Off by default: Kafka 2.5 and later (KIP-360) accept such a batch
    /// whatever its sequence.
    pub fn unknown_producer_id_errors(mut self, enabled: bool) -> Self {
        self.unknown_producers = if enabled {
            UnknownProducer::Reject
        } else {
            UnknownProducer::Accept
        };
        self
    }

    /// Listens on fixed ports: broker `n` on `127.0.0.1:(port + n - 1)`. By default each broker
    /// takes a free port.
    pub fn base_port(mut self, port: u16) -> Self {
        self.base_port = Some(port);
        self
    }

    /// The address broker `node` binds to.
    fn listen_addr(&self, node: i32) -> SocketAddr {
        let port = self
            .base_port
            .and_then(|base| u16::try_from(i32::from(base) + node - 1).ok())
            .unwrap_or(0);
        SocketAddr::from((Ipv4Addr::LOCALHOST, port))
    }

    fn validate(&self) -> Result<(), MockError> {
        let config = |key, reason: String| Err(MockError::Config { key, reason });
        if !(1..=MAX_BROKERS).contains(&self.brokers) {
            return config(
                "brokers",
                format!("{} brokers; 1 to {MAX_BROKERS} are allowed", self.brokers),
            );
        }
        if !(1..=MAX_PARTITIONS).contains(&self.default_partitions) {
            return config(
                "default_partitions",
                format!("{} partitions", self.default_partitions),
            );
        }
        if let Some(base) = self.base_port {
            if base == 0 || i32::from(base) + self.brokers - 1 > i32::from(u16::MAX) {
                return config(
                    "base_port",
                    format!("{} brokers from port {base}", self.brokers),
                );
            }
        }
        let rf_ok = |rf: i16| rf >= 1 && i32::from(rf) <= self.brokers;
        if !rf_ok(self.default_replication_factor) {
            return config(
                "default_replication_factor",
                format!(
                    "replication factor {} with {} brokers",
                    self.default_replication_factor, self.brokers
                ),
            );
        }
        let mut names = HashSet::new();
        for t in &self.topics {
            validate_topic_name(&t.name).map_err(|reason| MockError::InvalidTopic {
                topic: t.name.clone(),
                reason,
            })?;
            if !names.insert(t.name.as_str()) {
                return Err(MockError::TopicExists(t.name.clone()));
            }
            if !(1..=MAX_PARTITIONS).contains(&t.partitions) {
                return Err(MockError::InvalidTopic {
                    topic: t.name.clone(),
                    reason: format!(
                        "{} partitions; 1 to {MAX_PARTITIONS} are allowed",
                        t.partitions
                    ),
                });
            }
            if let Some(rf) = t.replication_factor.filter(|&rf| !rf_ok(rf)) {
                return Err(MockError::InvalidTopic {
                    topic: t.name.clone(),
                    reason: format!("replication factor {rf} with {} brokers", self.brokers),
                });
            }
        }
        Ok(())
    }

    /// Binds every broker to `127.0.0.1` (a free port, or [`base_port`](Self::base_port)'s)
    /// and starts serving on the current tokio runtime.
    pub async fn start(mut self) -> Result<MockCluster, MockError> {
        self.validate()?;
        let sasl = self.sasl.take().map(MockSasl::into_server).transpose()?;
        let mut listeners = Vec::new();
        let mut infos = BTreeMap::new();
        for node in 1..=self.brokers {
            let wanted = self.listen_addr(node);
            let listener = broker::bind(node, wanted, false).await?;
            let addr = listener.local_addr().map_err(|source| MockError::Bind {
                node,
                addr: wanted,
                source,
            })?;
            infos.insert(
                node,
                BrokerInfo {
                    host: addr.ip().to_string(),
                    port: addr.port(),
                    running: true,
                },
            );
            listeners.push((node, addr, listener));
        }
        let settings = Settings {
            cluster_id: self.cluster_id,
            auto_create_topics: self.auto_create_topics,
            default_partitions: self.default_partitions,
            default_replication_factor: self.default_replication_factor,
            unknown_producers: self.unknown_producers,
        };
        let mut state = ClusterState::new(settings, infos);
        for t in &self.topics {
            let rf = t
                .replication_factor
                .unwrap_or(self.default_replication_factor);
            let assignment = state.assign_replicas(t.partitions, rf);
            state.add_topic(&t.name, assignment);
        }
        let shared = Arc::new(Shared::new(state, sasl));
        let slots = listeners
            .into_iter()
            .map(|(node, addr, listener)| {
                let task = BrokerTask::spawn(shared.clone(), node, listener);
                (
                    node,
                    BrokerSlot {
                        addr,
                        task: Some(task),
                    },
                )
            })
            .collect();
        Ok(MockCluster::new(shared, slots))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_settings() {
        let b = MockClusterBuilder::default;
        assert!(matches!(
            b().brokers(0).validate(),
            Err(MockError::Config { key: "brokers", .. })
        ));
        assert!(matches!(
            b().default_replication_factor(2).validate(),
            Err(MockError::Config {
                key: "default_replication_factor",
                ..
            })
        ));
        assert!(matches!(
            b().topic("a", 1).topic("a", 2).validate(),
            Err(MockError::TopicExists(_))
        ));
        assert!(matches!(
            b().topic("a", 0).validate(),
            Err(MockError::InvalidTopic { .. })
        ));
        assert!(matches!(
            b().topic("a b", 1).validate(),
            Err(MockError::InvalidTopic { .. })
        ));
        assert!(matches!(
            b().brokers(2).topic_with_replication("a", 1, 3).validate(),
            Err(MockError::InvalidTopic { .. })
        ));
        assert!(matches!(
            b().brokers(2).base_port(u16::MAX).validate(),
            Err(MockError::Config {
                key: "base_port",
                ..
            })
        ));
        assert_eq!(
            b().base_port(9092).listen_addr(3),
            SocketAddr::from((Ipv4Addr::LOCALHOST, 9094))
        );
        assert!(b()
            .brokers(3)
            .topic_with_replication("a", 1, 3)
            .validate()
            .is_ok());
    }
}
