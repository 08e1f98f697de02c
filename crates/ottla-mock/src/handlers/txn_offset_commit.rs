//! TxnOffsetCommit: offsets a transaction commits for a consumer group, served by the group's
//! coordinator. They wait until the transaction ends: a commit makes them the group's committed
//! offsets, an abort drops them.
//!
//! Per partition, in Kafka 3.x's order: UNKNOWN_TOPIC_OR_PARTITION for a partition that does
//! not exist; then for the rest one code: INVALID_GROUP_ID (empty group id), NOT_COORDINATOR,
//! then the transaction check of Kafka 3.6+ (KIP-890): INVALID_PRODUCER_ID_MAPPING (unknown
//! transactional id, other producer id), INVALID_PRODUCER_EPOCH (another epoch),
//! INVALID_TXN_STATE (the group was not added with AddOffsetsToTxn); then UNKNOWN_MEMBER_ID when
//! the request names a member, generation or instance id (the mock checks transactional
//! commits against no group's members: its transactional producers commit as Java's
//! `sendOffsetsToTransaction` without group metadata does); finally
//! OFFSET_METADATA_TOO_LARGE for metadata over 4096 bytes, or 0 with the offset staged.

use kafka_protocol::messages::txn_offset_commit_response::{
    TxnOffsetCommitResponsePartition, TxnOffsetCommitResponseTopic,
};
use kafka_protocol::messages::{TopicName, TxnOffsetCommitRequest, TxnOffsetCommitResponse};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;

use super::offsets::commit_each;
use super::{coordinated_here, verification_error_code, Ctx};
use crate::coordinator::CoordinatorKind;
use crate::groups::OffsetCommit;
use crate::state::ClusterState;

pub(crate) fn handle(ctx: &Ctx<'_>, request: &TxnOffsetCommitRequest) -> TxnOffsetCommitResponse {
    let mut state = ctx.shared.lock();
    let group_code = group_check(ctx, &state, request);
    let group = request.group_id.0.as_str();
    let producer_id = request.producer_id.0;
    let asked = request.topics.iter().map(|t| {
        let partitions = t.partitions.iter().map(|p| {
            let commit = OffsetCommit {
                offset: p.committed_offset,
                leader_epoch: p.committed_leader_epoch,
                metadata: p.committed_metadata.as_ref().map(|m| m.to_string()),
            };
            (p.partition_index, commit)
        });
        (t.name.0.as_str(), partitions.collect())
    });
    let topics = commit_each(ctx, &mut state, asked, group_code, |state, topic, p, c| {
        state.groups.stage(group, producer_id, topic, p, c)
    })
    .into_iter()
    .map(|(name, codes)| {
        TxnOffsetCommitResponseTopic::default()
            .with_name(TopicName(StrBytes::from_string(name)))
            .with_partitions(
                codes
                    .into_iter()
                    .map(|(index, code)| {
                        TxnOffsetCommitResponsePartition::default()
                            .with_partition_index(index)
                            .with_error_code(code)
                    })
                    .collect(),
            )
    })
    .collect();
    if let Err(code) = group_code {
        tracing::debug!(node = ctx.node, code, group, "TxnOffsetCommit refused");
    }
    TxnOffsetCommitResponse::default().with_topics(topics)
}

/// The code every existing partition gets when the group or transaction check fails.
fn group_check(
    ctx: &Ctx<'_>,
    state: &ClusterState,
    request: &TxnOffsetCommitRequest,
) -> Result<(), i16> {
    let group = request.group_id.0.as_str();
    if group.is_empty() {
        return Err(ResponseError::InvalidGroupId.code());
    }
    coordinated_here(state, ctx.node, CoordinatorKind::Group, group)?;
    state
        .txns
        .verify_group(
            request.transactional_id.0.as_str(),
            request.producer_id.0,
            request.producer_epoch,
            group,
        )
        // Versions 0-3 predate TRANSACTION_ABORTABLE.
        .map_err(|e| verification_error_code(e, false))?;
    let names_a_member = request.generation_id >= 0
        || !request.member_id.is_empty()
        || request.group_instance_id.is_some();
    if names_a_member {
        return Err(ResponseError::UnknownMemberId.code());
    }
    Ok(())
}
