//! OffsetCommit and OffsetFetch: a group's committed offsets, served by its coordinator.
//!
//! OffsetCommit, per partition in Kafka's order: an injected error; UNKNOWN_TOPIC_OR_PARTITION;
//! INVALID_GROUP_ID, NOT_COORDINATOR; the member check (UNKNOWN_MEMBER_ID,
//! ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS while assignments are handed out; a commit with
//! generation -1 only to a group without members); OFFSET_METADATA_TOO_LARGE over 4096
//! bytes; else the offset is the group's.
//!
//! OffsetFetch: v1–v7 ask for one group, v8+ for several; `None` topics mean every committed
//! partition. A partition without a commit answers offset -1.

use kafka_protocol::messages::offset_commit_response::{
    OffsetCommitResponsePartition, OffsetCommitResponseTopic,
};
use kafka_protocol::messages::offset_fetch_response::{
    OffsetFetchResponseGroup, OffsetFetchResponsePartition, OffsetFetchResponsePartitions,
    OffsetFetchResponseTopic, OffsetFetchResponseTopics,
};
use kafka_protocol::messages::{
    GroupId, OffsetCommitRequest, OffsetCommitResponse, OffsetFetchRequest, OffsetFetchResponse,
    TopicName,
};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;
use tokio::time::Instant;

use super::{coordinated_here, Ctx};
use crate::coordinator::CoordinatorKind;
use crate::groups::OffsetCommit;
use crate::state::ClusterState;

/// Kafka's `offset.metadata.max.bytes` default.
const MAX_METADATA_BYTES: usize = 4096;

/// The first OffsetFetch version that asks for several groups.
const GROUPS_SINCE: i16 = 8;

pub(crate) fn commit(ctx: &Ctx<'_>, request: &OffsetCommitRequest) -> OffsetCommitResponse {
    let mut state = ctx.shared.lock();
    let group = request.group_id.0.as_str();
    let now = Instant::now();
    state.group_coordinator.tick(now);
    let group_code = if group.is_empty() {
        Err(ResponseError::InvalidGroupId.code())
    } else {
        coordinated_here(&state, ctx.node, CoordinatorKind::Group, group).and_then(|()| {
            if state.consumer_groups.has_members(group) {
                // A KIP-848 group: the member's epoch, not a generation.
                state.consumer_groups.may_commit(
                    group,
                    request.member_id.as_str(),
                    request.generation_id_or_member_epoch,
                )
            } else {
                state.group_coordinator.may_commit(
                    group,
                    request.member_id.as_str(),
                    request.generation_id_or_member_epoch,
                    now,
                )
            }
        })
    };
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
        state.groups.commit(group, topic, p, c)
    })
    .into_iter()
    .map(|(name, codes)| {
        OffsetCommitResponseTopic::default()
            .with_name(TopicName(StrBytes::from_string(name)))
            .with_partitions(
                codes
                    .into_iter()
                    .map(|(index, code)| {
                        OffsetCommitResponsePartition::default()
                            .with_partition_index(index)
                            .with_error_code(code)
                    })
                    .collect(),
            )
    })
    .collect();
    OffsetCommitResponse::default().with_topics(topics)
}

/// Each asked partition's code, by topic, in Kafka's order: an injected error;
/// UNKNOWN_TOPIC_OR_PARTITION; the group's code; OFFSET_METADATA_TOO_LARGE; else 0 with the
/// offset `store`d. For OffsetCommit and TxnOffsetCommit alike.
pub(crate) fn commit_each<'a>(
    ctx: &Ctx<'_>,
    state: &mut ClusterState,
    asked: impl Iterator<Item = (&'a str, Vec<(i32, OffsetCommit)>)>,
    group_code: Result<(), i16>,
    mut store: impl FnMut(&mut ClusterState, &str, i32, OffsetCommit),
) -> Vec<(String, Vec<(i32, i16)>)> {
    asked
        .map(|(name, partitions)| {
            let codes = partitions
                .into_iter()
                .map(|(index, commit)| {
                    let code = if let Some(code) = ctx.injected.partition(name, index) {
                        code
                    } else if state.partition(name, index).is_err() {
                        ResponseError::UnknownTopicOrPartition.code()
                    } else if let Err(code) = group_code {
                        code
                    } else if commit
                        .metadata
                        .as_ref()
                        .is_some_and(|m| m.len() > MAX_METADATA_BYTES)
                    {
                        ResponseError::OffsetMetadataTooLarge.code()
                    } else {
                        store(state, name, index, commit);
                        0
                    };
                    (index, code)
                })
                .collect();
            (name.to_owned(), codes)
        })
        .collect()
}

/// What one group's OffsetFetch answers: per topic, per partition (offset, epoch, metadata,
/// code); or the group's error.
type Fetched = Result<Vec<(String, Vec<(i32, i64, i32, Option<String>)>)>, i16>;

fn fetch_group(
    ctx: &Ctx<'_>,
    state: &ClusterState,
    group: &str,
    topics: Option<Vec<(String, Vec<i32>)>>,
) -> Fetched {
    if let Some(code) = ctx.injected.any() {
        return Err(code);
    }
    if group.is_empty() {
        return Err(ResponseError::InvalidGroupId.code());
    }
    coordinated_here(state, ctx.node, CoordinatorKind::Group, group)?;
    let asked = topics.unwrap_or_else(|| state.groups.committed_partitions(group));
    Ok(asked
        .into_iter()
        .map(|(topic, partitions)| {
            let entries = partitions
                .into_iter()
                .map(|p| match state.groups.committed(group, &topic, p) {
                    Some(c) => (p, c.offset, c.leader_epoch, c.metadata.clone()),
                    None => (p, -1, -1, None),
                })
                .collect();
            (topic, entries)
        })
        .collect())
}

pub(crate) fn fetch(ctx: &Ctx<'_>, request: &OffsetFetchRequest) -> OffsetFetchResponse {
    let state = ctx.shared.lock();
    if ctx.version >= GROUPS_SINCE {
        let groups = request
            .groups
            .iter()
            .map(|g| {
                let topics = g.topics.as_ref().map(|ts| {
                    ts.iter()
                        .map(|t| (t.name.0.to_string(), t.partition_indexes.clone()))
                        .collect()
                });
                let answer = OffsetFetchResponseGroup::default().with_group_id(g.group_id.clone());
                match fetch_group(ctx, &state, g.group_id.0.as_str(), topics) {
                    Err(code) => answer.with_error_code(code),
                    Ok(topics) => answer.with_topics(
                        topics
                            .into_iter()
                            .map(|(name, ps)| {
                                OffsetFetchResponseTopics::default()
                                    .with_name(TopicName(StrBytes::from_string(name)))
                                    .with_partitions(
                                        ps.into_iter()
                                            .map(|(p, offset, epoch, metadata)| {
                                                OffsetFetchResponsePartitions::default()
                                                    .with_partition_index(p)
                                                    .with_committed_offset(offset)
                                                    .with_committed_leader_epoch(epoch)
                                                    .with_metadata(
                                                        metadata.map(StrBytes::from_string),
                                                    )
                                            })
                                            .collect(),
                                    )
                            })
                            .collect(),
                    ),
                }
            })
            .collect();
        return OffsetFetchResponse::default().with_groups(groups);
    }
    let topics = request.topics.as_ref().map(|ts| {
        ts.iter()
            .map(|t| (t.name.0.to_string(), t.partition_indexes.clone()))
            .collect()
    });
    let GroupId(group) = &request.group_id;
    match fetch_group(ctx, &state, group.as_str(), topics) {
        Err(code) => OffsetFetchResponse::default().with_error_code(code),
        Ok(topics) => OffsetFetchResponse::default().with_topics(
            topics
                .into_iter()
                .map(|(name, ps)| {
                    OffsetFetchResponseTopic::default()
                        .with_name(TopicName(StrBytes::from_string(name)))
                        .with_partitions(
                            ps.into_iter()
                                .map(|(p, offset, epoch, metadata)| {
                                    OffsetFetchResponsePartition::default()
                                        .with_partition_index(p)
                                        .with_committed_offset(offset)
                                        .with_committed_leader_epoch(epoch)
                                        .with_metadata(metadata.map(StrBytes::from_string))
                                })
                                .collect(),
                        )
                })
                .collect(),
        ),
    }
}
