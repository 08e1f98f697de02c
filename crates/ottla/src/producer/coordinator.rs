//! Requests to the transaction coordinator (and InitProducerId for idempotence): get or bump
//! a producer id, add partitions and offsets, end a transaction. Finding the coordinator and
//! retrying until a deadline live in the cluster layer (`cluster/coordinator.rs`).

use std::time::Duration;

use ottla_protocol::error_code::ErrorCode;
use ottla_protocol::messages::add_partitions_to_txn_request::AddPartitionsToTxnTopic;
use ottla_protocol::messages::txn_offset_commit_request::{
    TxnOffsetCommitRequestPartition, TxnOffsetCommitRequestTopic,
};
use ottla_protocol::messages::{
    AddOffsetsToTxnRequest, AddPartitionsToTxnRequest, ApiKey, EndTxnRequest, GroupId,
    InitProducerIdRequest, ProducerId, TopicName, TransactionalId, TxnOffsetCommitRequest,
};
use ottla_protocol::StrBytes;

use super::accumulator::Identity;
use crate::cluster::kafka_error;
pub(crate) use crate::cluster::{find_coordinator, with_retries, CoordinatorKind};
use crate::error::Error;
use crate::Client;

/// InitProducerId: a new producer id (or, with `current`, the next epoch of it: KIP-360).
/// Goes to the transaction coordinator for a transactional producer, else to any broker.
pub(crate) async fn init_producer_id(
    client: &Client,
    transactional_id: Option<&str>,
    coordinator: Option<i32>,
    transaction_timeout: Duration,
    current: Option<Identity>,
) -> Result<Identity, Error> {
    let conn = match coordinator {
        Some(node) => client.connection(node).await?,
        None => client.any_connection().await?,
    };
    let version = conn.version_of(ApiKey::InitProducerId)?;
    let mut request = InitProducerIdRequest::default()
        .with_transactional_id(
            transactional_id.map(|t| TransactionalId(StrBytes::from_string(t.to_owned()))),
        )
        .with_transaction_timeout_ms(
            i32::try_from(transaction_timeout.as_millis()).unwrap_or(i32::MAX),
        )
        .with_producer_id(ProducerId(-1))
        .with_producer_epoch(-1);
    // Bumping an epoch needs v3+; older brokers give a new producer id instead.
    if let (Some(id), true) = (current, version >= 3) {
        request.producer_id = ProducerId(id.producer_id);
        request.producer_epoch = id.epoch;
    }
    let response = conn.send_versioned(&request, version).await?;
    let code = ErrorCode(response.error_code);
    if code.is_err() {
        return Err(kafka_error(
            ApiKey::InitProducerId,
            code,
            transactional_id.unwrap_or("idempotent producer"),
            None,
        ));
    }
    Ok(Identity {
        producer_id: response.producer_id.0,
        epoch: response.producer_epoch,
    })
}

/// AddPartitionsToTxn (v0–3, the client's form). Per-partition errors are returned as the
/// first failing code.
pub(crate) async fn add_partitions(
    client: &Client,
    coordinator: i32,
    transactional_id: &str,
    identity: Identity,
    partitions: &[(String, i32)],
) -> Result<(), Error> {
    let conn = client.connection(coordinator).await?;
    let version = conn.version_of(ApiKey::AddPartitionsToTxn)?.min(3);
    let mut topics: Vec<AddPartitionsToTxnTopic> = Vec::new();
    for (topic, p) in partitions {
        match topics.iter_mut().find(|t| t.name.0.as_str() == topic) {
            Some(t) => t.partitions.push(*p),
            None => topics.push(
                AddPartitionsToTxnTopic::default()
                    .with_name(TopicName(StrBytes::from_string(topic.clone())))
                    .with_partitions(vec![*p]),
            ),
        }
    }
    let request = AddPartitionsToTxnRequest::default()
        .with_v3_and_below_transactional_id(TransactionalId(StrBytes::from_string(
            transactional_id.to_owned(),
        )))
        .with_v3_and_below_producer_id(ProducerId(identity.producer_id))
        .with_v3_and_below_producer_epoch(identity.epoch)
        .with_v3_and_below_topics(topics);
    let response = conn.send_versioned(&request, version).await?;
    // OPERATION_NOT_ATTEMPTED only says another partition failed: report the real cause.
    let mut worst = None;
    for t in &response.results_by_topic_v3_and_below {
        for p in &t.results_by_partition {
            let code = ErrorCode(p.partition_error_code);
            if code.is_err() && (worst.is_none() || code != ErrorCode::OPERATION_NOT_ATTEMPTED) {
                worst = Some((code, format!("{}-{}", t.name.0, p.partition_index)));
            }
        }
    }
    match worst {
        Some((code, context)) => Err(kafka_error(
            ApiKey::AddPartitionsToTxn,
            code,
            &context,
            None,
        )),
        None => Ok(()),
    }
}

/// AddOffsetsToTxn: the group's offsets will be part of the transaction.
pub(crate) async fn add_offsets(
    client: &Client,
    coordinator: i32,
    transactional_id: &str,
    identity: Identity,
    group_id: &str,
) -> Result<(), Error> {
    let conn = client.connection(coordinator).await?;
    let request = AddOffsetsToTxnRequest::default()
        .with_transactional_id(TransactionalId(StrBytes::from_string(
            transactional_id.to_owned(),
        )))
        .with_producer_id(ProducerId(identity.producer_id))
        .with_producer_epoch(identity.epoch)
        .with_group_id(GroupId(StrBytes::from_string(group_id.to_owned())));
    let response = conn.send(&request).await?;
    ErrorCode(response.error_code)
        .into_result()
        .map_err(|code| kafka_error(ApiKey::AddOffsetsToTxn, code, group_id, None))
}

/// What the group coordinator needs to accept offsets from a transaction (KIP-447).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMetadata {
    /// `group.id`.
    pub group_id: String,
    /// The consumer's generation (-1 when unknown).
    pub generation_id: i32,
    /// The consumer's member id (empty when unknown).
    pub member_id: String,
    /// `group.instance.id`, for static members.
    pub group_instance_id: Option<String>,
}

impl GroupMetadata {
    /// Metadata naming only the group (no generation fencing).
    pub fn new(group_id: impl Into<String>) -> Self {
        Self {
            group_id: group_id.into(),
            generation_id: -1,
            member_id: String::new(),
            group_instance_id: None,
        }
    }
}

/// TxnOffsetCommit to the group coordinator.
pub(crate) async fn txn_offset_commit(
    client: &Client,
    group_coordinator: i32,
    transactional_id: &str,
    identity: Identity,
    group: &GroupMetadata,
    offsets: &[(String, i32, i64)],
) -> Result<(), Error> {
    let conn = client.connection(group_coordinator).await?;
    let mut topics: Vec<TxnOffsetCommitRequestTopic> = Vec::new();
    for (topic, p, offset) in offsets {
        let entry = TxnOffsetCommitRequestPartition::default()
            .with_partition_index(*p)
            .with_committed_offset(*offset)
            .with_committed_leader_epoch(-1);
        match topics.iter_mut().find(|t| t.name.0.as_str() == topic) {
            Some(t) => t.partitions.push(entry),
            None => topics.push(
                TxnOffsetCommitRequestTopic::default()
                    .with_name(TopicName(StrBytes::from_string(topic.clone())))
                    .with_partitions(vec![entry]),
            ),
        }
    }
    let request = TxnOffsetCommitRequest::default()
        .with_transactional_id(TransactionalId(StrBytes::from_string(
            transactional_id.to_owned(),
        )))
        .with_group_id(GroupId(StrBytes::from_string(group.group_id.clone())))
        .with_producer_id(ProducerId(identity.producer_id))
        .with_producer_epoch(identity.epoch)
        .with_generation_id(group.generation_id)
        .with_member_id(StrBytes::from_string(group.member_id.clone()))
        .with_group_instance_id(group.group_instance_id.clone().map(StrBytes::from_string))
        .with_topics(topics);
    let response = conn.send(&request).await?;
    for t in &response.topics {
        for p in &t.partitions {
            let code = ErrorCode(p.error_code);
            if code.is_err() {
                let context = format!("{} {}-{}", group.group_id, t.name.0, p.partition_index);
                return Err(kafka_error(ApiKey::TxnOffsetCommit, code, &context, None));
            }
        }
    }
    Ok(())
}

/// EndTxn: commit or abort.
pub(crate) async fn end_txn(
    client: &Client,
    coordinator: i32,
    transactional_id: &str,
    identity: Identity,
    commit: bool,
) -> Result<(), Error> {
    let conn = client.connection(coordinator).await?;
    let request = EndTxnRequest::default()
        .with_transactional_id(TransactionalId(StrBytes::from_string(
            transactional_id.to_owned(),
        )))
        .with_producer_id(ProducerId(identity.producer_id))
        .with_producer_epoch(identity.epoch)
        .with_committed(commit);
    let response = conn.send(&request).await?;
    ErrorCode(response.error_code)
        .into_result()
        .map_err(|code| kafka_error(ApiKey::EndTxn, code, transactional_id, None))
}
