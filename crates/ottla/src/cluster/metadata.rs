//! A snapshot of cluster metadata.

use std::collections::BTreeMap;

use ottla_protocol::error_code::ErrorCode;
use ottla_protocol::messages::MetadataResponse;
use tokio::time::Instant;

use crate::error::Error;

/// One broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerInfo {
    /// Node id.
    pub node_id: i32,
    /// Advertised host.
    pub host: String,
    /// Advertised port.
    pub port: u16,
    /// Rack, when set.
    pub rack: Option<String>,
}

/// One partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionMetadata {
    /// Partition index.
    pub partition: i32,
    /// Leader node id, when there is one.
    pub leader: Option<i32>,
    /// Leader epoch (-1 when unknown).
    pub leader_epoch: i32,
    /// Replica node ids.
    pub replicas: Vec<i32>,
    /// In-sync replica node ids.
    pub isr: Vec<i32>,
    /// Partition-level error.
    pub error: ErrorCode,
}

/// One topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicMetadata {
    /// Name.
    pub name: String,
    /// Topic id (all zero when the broker sent none).
    pub topic_id: [u8; 16],
    /// Whether the topic is internal.
    pub is_internal: bool,
    /// Topic-level error.
    pub error: ErrorCode,
    /// Partitions by index.
    pub partitions: BTreeMap<i32, PartitionMetadata>,
}

/// What one Metadata response said, and when it came.
#[derive(Debug, Clone)]
pub struct ClusterMetadata {
    /// Cluster id, when sent.
    pub cluster_id: Option<String>,
    /// Controller node id, when known.
    pub controller_id: Option<i32>,
    /// Brokers by node id.
    pub brokers: BTreeMap<i32, BrokerInfo>,
    /// Topics by name.
    pub topics: BTreeMap<String, TopicMetadata>,
    /// When the response arrived.
    pub fetched_at: Instant,
}

impl ClusterMetadata {
    /// Reads a Metadata response. Brokers with a port outside 1..=65535 are skipped.
    pub fn from_response(response: &MetadataResponse) -> Self {
        let brokers = response
            .brokers
            .iter()
            .filter_map(|b| {
                let port = u16::try_from(b.port).ok().filter(|p| *p != 0)?;
                Some((
                    b.node_id.0,
                    BrokerInfo {
                        node_id: b.node_id.0,
                        host: b.host.to_string(),
                        port,
                        rack: b.rack.as_ref().map(|r| r.to_string()),
                    },
                ))
            })
            .collect();
        let topics = response
            .topics
            .iter()
            .filter_map(|t| {
                let name = t.name.as_ref()?.0.to_string();
                let partitions = t
                    .partitions
                    .iter()
                    .map(|p| {
                        (
                            p.partition_index,
                            PartitionMetadata {
                                partition: p.partition_index,
                                leader: (p.leader_id.0 >= 0).then_some(p.leader_id.0),
                                leader_epoch: p.leader_epoch,
                                replicas: p.replica_nodes.iter().map(|n| n.0).collect(),
                                isr: p.isr_nodes.iter().map(|n| n.0).collect(),
                                error: ErrorCode(p.error_code),
                            },
                        )
                    })
                    .collect();
                Some((
                    name.clone(),
                    TopicMetadata {
                        name,
                        topic_id: *t.topic_id.as_bytes(),
                        is_internal: t.is_internal,
                        error: ErrorCode(t.error_code),
                        partitions,
                    },
                ))
            })
            .collect();
        Self {
            cluster_id: response.cluster_id.as_ref().map(|c| c.to_string()),
            controller_id: (response.controller_id.0 >= 0).then_some(response.controller_id.0),
            brokers,
            topics,
            fetched_at: Instant::now(),
        }
    }

    /// This view with what a Metadata response for some topics said: its brokers (when it
    /// lists any), controller and cluster id, and its topics' entries replace these; the
    /// other topics stay, and so does `fetched_at` (they are no fresher than before).
    pub fn merge_topics(&self, newer: ClusterMetadata) -> ClusterMetadata {
        let mut merged = self.clone();
        if !newer.brokers.is_empty() {
            merged.brokers = newer.brokers;
        }
        merged.controller_id = newer.controller_id.or(merged.controller_id);
        merged.cluster_id = newer.cluster_id.or(merged.cluster_id);
        merged.topics.extend(newer.topics);
        merged
    }

    /// The topic, if the cluster has it (without a topic-level error).
    pub fn topic(&self, name: &str) -> Result<&TopicMetadata, Error> {
        match self.topics.get(name) {
            Some(t) if t.error.is_ok() => Ok(t),
            _ => Err(Error::UnknownTopicOrPartition {
                topic: name.to_owned(),
                partition: None,
            }),
        }
    }

    /// The node that leads `topic`/`partition`.
    pub fn leader_of(&self, topic: &str, partition: i32) -> Result<i32, Error> {
        self.leader_and_epoch(topic, partition)
            .map(|(leader, _)| leader)
    }

    /// The leader of `topic`/`partition` and its leader epoch (-1 when the broker sent
    /// none).
    pub fn leader_and_epoch(&self, topic: &str, partition: i32) -> Result<(i32, i32), Error> {
        let p = self
            .topic(topic)?
            .partitions
            .get(&partition)
            .ok_or_else(|| Error::UnknownTopicOrPartition {
                topic: topic.to_owned(),
                partition: Some(partition),
            })?;
        let leader = p.leader.ok_or_else(|| Error::LeaderNotAvailable {
            topic: topic.to_owned(),
            partition,
        })?;
        Ok((leader, p.leader_epoch))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ottla_protocol::messages::metadata_response::{
        MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
    };
    use ottla_protocol::messages::{BrokerId, TopicName};
    use ottla_protocol::StrBytes;

    #[test]
    fn reads_leaders_and_errors() {
        let resp = MetadataResponse::default()
            .with_brokers(vec![
                MetadataResponseBroker::default()
                    .with_node_id(BrokerId(1))
                    .with_host(StrBytes::from_static_str("h"))
                    .with_port(9092),
                MetadataResponseBroker::default()
                    .with_node_id(BrokerId(2))
                    .with_host(StrBytes::from_static_str("bad"))
                    .with_port(-1),
            ])
            .with_topics(vec![MetadataResponseTopic::default()
                .with_name(Some(TopicName(StrBytes::from_static_str("t"))))
                .with_partitions(vec![
                    MetadataResponsePartition::default()
                        .with_partition_index(0)
                        .with_leader_id(BrokerId(1)),
                    MetadataResponsePartition::default()
                        .with_partition_index(1)
                        .with_leader_id(BrokerId(-1)),
                ])]);
        let m = ClusterMetadata::from_response(&resp);
        assert_eq!(m.brokers.len(), 1);
        assert_eq!(m.leader_of("t", 0).unwrap(), 1);
        assert!(matches!(
            m.leader_of("t", 1),
            Err(Error::LeaderNotAvailable { .. })
        ));
        assert!(matches!(
            m.leader_of("t", 7),
            Err(Error::UnknownTopicOrPartition {
                partition: Some(7),
                ..
            })
        ));
        assert!(m.leader_of("u", 0).is_err());
    }
}
