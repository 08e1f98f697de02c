//! Metadata: running brokers, cluster id, controller, and topics with their partitions'
//! leaders, replicas and in-sync replicas.

use kafka_protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use kafka_protocol::messages::{BrokerId, MetadataRequest, MetadataResponse, TopicName};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;
use uuid::Uuid;

use super::Ctx;
use crate::state::{validate_topic_name, ClusterState, PartitionState, TopicState, NO_LEADER};

/// A topic asked for by name or (v10+) by id.
enum Wanted {
    Name(String),
    Id(Uuid),
}

pub(crate) fn handle(ctx: &Ctx<'_>, request: MetadataRequest) -> MetadataResponse {
    let v = ctx.version;
    let wanted: Option<Vec<Wanted>> = request.topics.map(|topics| {
        topics
            .into_iter()
            .map(|t| match t.name {
                Some(name) => Wanted::Name(name.0.to_string()),
                None => Wanted::Id(t.topic_id),
            })
            .collect()
    });
    let mut state = ctx.shared.lock();
    // Before v4 a request could not opt out of auto-creation.
    let auto_create =
        state.settings.auto_create_topics && (v < 4 || request.allow_auto_topic_creation);
    let mut created = false;
    if auto_create {
        let partitions = state.settings.default_partitions;
        for w in wanted.iter().flatten() {
            if let Wanted::Name(name) = w {
                if !state.topics.contains_key(name) && validate_topic_name(name).is_ok() {
                    created |= state.create_topic(name, partitions).is_ok();
                }
            }
        }
    }
    let topics = match &wanted {
        None => state
            .topics
            .iter()
            .map(|(name, t)| topic_entry(ctx, &state, name, t))
            .collect(),
        Some(list) => list
            .iter()
            .map(|w| match w {
                Wanted::Name(name) => match state.topics.get(name) {
                    Some(t) => topic_entry(ctx, &state, name, t),
                    None => unknown_name(ctx, name),
                },
                Wanted::Id(id) => match state.topic_name_by_id(*id) {
                    Some(name) => match state.topics.get(name) {
                        Some(t) => topic_entry(ctx, &state, name, t),
                        None => unknown_id(*id),
                    },
                    None => unknown_id(*id),
                },
            })
            .collect(),
    };
    let brokers = state
        .brokers
        .iter()
        .filter(|(_, b)| b.running)
        .map(|(&id, b)| {
            MetadataResponseBroker::default()
                .with_node_id(BrokerId(id))
                .with_host(StrBytes::from_string(b.host.clone()))
                .with_port(i32::from(b.port))
        })
        .collect();
    let response = MetadataResponse::default()
        .with_brokers(brokers)
        .with_cluster_id(Some(StrBytes::from_string(
            state.settings.cluster_id.clone(),
        )))
        .with_controller_id(BrokerId(state.controller()))
        .with_topics(topics);
    drop(state);
    if created {
        ctx.shared.notify_changed();
    }
    response
}

fn topic_entry(
    ctx: &Ctx<'_>,
    state: &ClusterState,
    name: &str,
    topic: &TopicState,
) -> MetadataResponseTopic {
    let entry = MetadataResponseTopic::default()
        .with_name(Some(TopicName(StrBytes::from_string(name.to_owned()))))
        .with_topic_id(topic.id);
    if let Some(code) = ctx.injected.topic(name) {
        return entry.with_error_code(code);
    }
    let partitions = topic
        .partitions
        .iter()
        .zip(0i32..)
        .map(|(p, index)| partition_entry(ctx, state, name, index, p))
        .collect();
    entry.with_partitions(partitions)
}

fn partition_entry(
    ctx: &Ctx<'_>,
    state: &ClusterState,
    topic: &str,
    index: i32,
    p: &PartitionState,
) -> MetadataResponsePartition {
    let (isr, offline): (Vec<i32>, Vec<i32>) =
        p.replicas.iter().partition(|&&r| state.is_running(r));
    let error = if p.leader == NO_LEADER {
        ResponseError::LeaderNotAvailable.code()
    } else {
        0
    };
    MetadataResponsePartition::default()
        .with_error_code(ctx.injected.partition_only(topic, index).unwrap_or(error))
        .with_partition_index(index)
        .with_leader_id(BrokerId(p.leader))
        .with_leader_epoch(p.leader_epoch)
        .with_replica_nodes(p.replicas.iter().copied().map(BrokerId).collect())
        .with_isr_nodes(isr.into_iter().map(BrokerId).collect())
        .with_offline_replicas(offline.into_iter().map(BrokerId).collect())
}

fn unknown_name(ctx: &Ctx<'_>, name: &str) -> MetadataResponseTopic {
    let code = match validate_topic_name(name) {
        Ok(()) => ResponseError::UnknownTopicOrPartition.code(),
        Err(_) => ResponseError::InvalidTopicException.code(),
    };
    MetadataResponseTopic::default()
        .with_name(Some(TopicName(StrBytes::from_string(name.to_owned()))))
        .with_error_code(ctx.injected.topic(name).unwrap_or(code))
}

fn unknown_id(id: Uuid) -> MetadataResponseTopic {
    MetadataResponseTopic::default()
        .with_topic_id(id)
        .with_error_code(ResponseError::UnknownTopicId.code())
}
