//! ConsumerGroupHeartbeat and ConsumerGroupDescribe: KIP-848 consumer groups (see
//! [`ConsumerGroups`](crate::consumer_groups::ConsumerGroups)). The heartbeat interval and
//! session timeout are the group's `consumer.heartbeat.interval.ms` and
//! `consumer.session.timeout.ms` (5 s and 45 s unless set with IncrementalAlterConfigs).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use kafka_protocol::messages::consumer_group_describe_response::{
    Assignment as DescribedAssignment, DescribedGroup, Member,
    TopicPartitions as DescribedPartitions,
};
use kafka_protocol::messages::consumer_group_heartbeat_response::{Assignment, TopicPartitions};
use kafka_protocol::messages::{
    ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse, ConsumerGroupHeartbeatRequest,
    ConsumerGroupHeartbeatResponse, TopicName,
};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;
use tokio::time::Instant;
use uuid::Uuid;

use super::{coordinated_here, group_entry_error, Ctx};
use crate::config_store::GROUP;
use crate::consumer_groups::{Heartbeat, Partition};
use crate::coordinator::CoordinatorKind;
use crate::state::ClusterState;

/// The first version in which the member names itself.
const MEMBER_NAMES_ITSELF_SINCE: i16 = 1;

fn text(s: &str) -> StrBytes {
    StrBytes::from_string(s.to_owned())
}

fn millis(state: &ClusterState, group: &str, key: &str, default: u64) -> u64 {
    state
        .configs
        .value(GROUP, group, key)
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Partitions grouped by topic id.
fn by_topic(partitions: &BTreeSet<Partition>) -> BTreeMap<Uuid, Vec<i32>> {
    let mut out: BTreeMap<Uuid, Vec<i32>> = BTreeMap::new();
    for &(t, p) in partitions {
        out.entry(t).or_default().push(p);
    }
    out
}

pub(crate) fn heartbeat(
    ctx: &Ctx<'_>,
    r: &ConsumerGroupHeartbeatRequest,
) -> ConsumerGroupHeartbeatResponse {
    let group = r.group_id.0.as_str();
    let failed = |code: i16| ConsumerGroupHeartbeatResponse::default().with_error_code(code);
    if let Some(code) = ctx.injected.top_level() {
        return failed(code);
    }
    let mut state = ctx.shared.lock();
    if group.is_empty() {
        return failed(ResponseError::InvalidRequest.code());
    }
    if let Err(code) = coordinated_here(&state, ctx.node, CoordinatorKind::Group, group) {
        return failed(code);
    }
    if state
        .group_coordinator
        .group(group)
        .is_some_and(|g| !g.members.is_empty())
    {
        // A classic group with members is not a consumer group (Kafka 4.0's answer).
        return failed(ResponseError::GroupIdNotFound.code());
    }
    if r.server_assignor
        .as_ref()
        .is_some_and(|a| !matches!(a.as_str(), "uniform" | "range"))
    {
        return failed(ResponseError::UnsupportedAssignor.code());
    }
    let interval = millis(&state, group, "consumer.heartbeat.interval.ms", 5000);
    let session =
        Duration::from_millis(millis(&state, group, "consumer.session.timeout.ms", 45_000));
    let topics: BTreeMap<String, (Uuid, i32)> = state
        .topics
        .iter()
        .map(|(name, t)| {
            let count = i32::try_from(t.partitions.len()).unwrap_or(i32::MAX);
            (name.clone(), (t.id, count))
        })
        .collect();
    let hb = Heartbeat {
        member_id: r.member_id.to_string(),
        member_epoch: r.member_epoch,
        instance_id: r.instance_id.as_ref().map(|i| i.to_string()),
        rack_id: r.rack_id.as_ref().map(|i| i.to_string()),
        client_id: "consumer".to_owned(),
        subscribed: r
            .subscribed_topic_names
            .as_ref()
            .map(|names| names.iter().map(|n| n.0.to_string()).collect()),
        owned: r.topic_partitions.as_ref().map(|tps| {
            tps.iter()
                .flat_map(|t| t.partitions.iter().map(|&p| (t.topic_id, p)))
                .collect()
        }),
        coordinator_names_member: ctx.version < MEMBER_NAMES_ITSELF_SINCE,
    };
    match state
        .consumer_groups
        .heartbeat(group, hb, &topics, session, Instant::now())
    {
        Err(code) => failed(code),
        Ok(answer) => ConsumerGroupHeartbeatResponse::default()
            .with_member_id(Some(text(&answer.member_id)))
            .with_member_epoch(answer.member_epoch)
            .with_heartbeat_interval_ms(i32::try_from(interval).unwrap_or(i32::MAX))
            .with_assignment(answer.assignment.map(|a| {
                Assignment::default().with_topic_partitions(
                    by_topic(&a)
                        .into_iter()
                        .map(|(topic_id, partitions)| {
                            TopicPartitions::default()
                                .with_topic_id(topic_id)
                                .with_partitions(partitions)
                        })
                        .collect(),
                )
            })),
    }
}

pub(crate) fn describe(
    ctx: &Ctx<'_>,
    r: &ConsumerGroupDescribeRequest,
) -> ConsumerGroupDescribeResponse {
    let state = ctx.shared.lock();
    let described = |partitions: &BTreeSet<Partition>| {
        DescribedAssignment::default().with_topic_partitions(
            by_topic(partitions)
                .into_iter()
                .map(|(id, ps)| {
                    DescribedPartitions::default()
                        .with_topic_id(id)
                        .with_topic_name(TopicName(text(
                            state.topic_name_by_id(id).unwrap_or_default(),
                        )))
                        .with_partitions(ps)
                })
                .collect(),
        )
    };
    let groups = r
        .group_ids
        .iter()
        .map(|id| {
            let group = id.0.as_str();
            let out = DescribedGroup::default()
                .with_group_id(id.clone())
                .with_authorized_operations(i32::MIN);
            if let Some(code) = group_entry_error(ctx, &state, group) {
                return out.with_error_code(code);
            }
            let Some(g) = state.consumer_groups.group(group) else {
                return out
                    .with_error_code(ResponseError::GroupIdNotFound.code())
                    .with_error_message(Some(text(&format!(
                        "group {group} is not a consumer group"
                    ))));
            };
            let members = g
                .members
                .iter()
                .map(|(member_id, m)| {
                    Member::default()
                        .with_member_id(text(member_id))
                        .with_instance_id(m.instance_id.as_deref().map(text))
                        .with_rack_id(m.rack_id.as_deref().map(text))
                        .with_member_epoch(m.epoch)
                        .with_client_id(text(&m.client_id))
                        .with_client_host(text("/127.0.0.1"))
                        .with_subscribed_topic_names(
                            m.subscribed.iter().map(|t| TopicName(text(t))).collect(),
                        )
                        .with_assignment(described(&g.assignable(member_id)))
                        .with_target_assignment(described(&m.target))
                })
                .collect();
            out.with_group_state(text(g.state_name()))
                .with_group_epoch(g.epoch)
                .with_assignment_epoch(g.epoch)
                .with_assignor_name(text("uniform"))
                .with_members(members)
        })
        .collect();
    ConsumerGroupDescribeResponse::default().with_groups(groups)
}
