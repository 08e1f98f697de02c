//! Consumer groups seen from outside: list them (ListGroups on every broker), describe one
//! (ConsumerGroupDescribe for a KIP-848 group, else DescribeGroups, at its coordinator,
//! members' assignments decoded), and its lag per
//! partition (committed offsets against the partitions' high watermarks), as
//! `kafka-consumer-groups.sh` shows them.

use std::collections::{BTreeMap, BTreeSet};

use kafka_protocol::messages::{
    ApiKey, ConsumerGroupDescribeRequest, DescribeGroupsRequest, GroupId, ListGroupsRequest,
    OffsetFetchRequest,
};
use ottla_protocol::consumer_protocol::decode_assignment;
use ottla_protocol::error_code::ErrorCode;
use ottla_protocol::StrBytes;

use super::offsets::{fetch_result, OffsetAndMetadata};
use super::{expand, TopicPartition};
use crate::basic::{list_offset, OffsetSpec};
use crate::cluster::{find_coordinator, kafka_error, CoordinatorKind};
use crate::error::Error;
use crate::Client;

/// A group as ListGroups names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupListing {
    /// The group id.
    pub group_id: String,
    /// `consumer` for consumer groups (empty for groups that only commit offsets).
    pub protocol_type: String,
    /// Its state (Stable, PreparingRebalance, Empty, …) when the broker says (ListGroups v4+).
    pub state: Option<String>,
    /// The broker coordinating it.
    pub coordinator: i32,
}

/// One member of a described group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMemberDescription {
    /// Its member id.
    pub member_id: String,
    /// Its `group.instance.id`, for a static member.
    pub instance_id: Option<String>,
    /// Its `client.id`.
    pub client_id: String,
    /// The host it connects from.
    pub client_host: String,
    /// Its partitions (consumer groups; empty while the group rebalances).
    pub assignment: Vec<TopicPartition>,
}

/// A group as DescribeGroups shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDescription {
    /// The group id.
    pub group_id: String,
    /// Stable, PreparingRebalance, CompletingRebalance, Empty or Dead.
    pub state: String,
    /// `consumer` for consumer groups.
    pub protocol_type: String,
    /// `classic`, or `consumer` for a KIP-848 group (described with ConsumerGroupDescribe).
    pub group_protocol: String,
    /// The assignor the group chose (empty while it has none); for a KIP-848 group, the
    /// coordinator's assignor.
    pub assignor: String,
    /// Its members.
    pub members: Vec<GroupMemberDescription>,
}

/// One partition's lag in a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionLag {
    /// The partition.
    pub partition: TopicPartition,
    /// The group's committed offset (`None`: nothing committed).
    pub committed: Option<i64>,
    /// The partition's high watermark (next offset to be written).
    pub end: i64,
    /// `end − committed`, when something is committed.
    pub lag: Option<i64>,
    /// The member that owns the partition now, if any.
    pub owner: Option<String>,
}

/// Every group of the cluster (ListGroups asked of each broker).
pub async fn list_groups(client: &Client) -> Result<Vec<GroupListing>, Error> {
    let metadata = client.refresh_metadata().await?;
    let mut out = Vec::new();
    for &node in metadata.brokers.keys() {
        let response = client.send_to(node, &ListGroupsRequest::default()).await?;
        let code = ErrorCode(response.error_code);
        if code.is_err() {
            return Err(kafka_error(
                ApiKey::ListGroups,
                code,
                &format!("broker {node}"),
                None,
            ));
        }
        out.extend(response.groups.into_iter().map(|g| GroupListing {
            group_id: g.group_id.0.to_string(),
            protocol_type: g.protocol_type.to_string(),
            state: Some(g.group_state.to_string()).filter(|s| !s.is_empty()),
            coordinator: node,
        }));
    }
    out.sort_by(|a, b| a.group_id.cmp(&b.group_id));
    Ok(out)
}

/// Describes `group` at its coordinator: ConsumerGroupDescribe first where the coordinator
/// offers it (a KIP-848 group), else DescribeGroups (as the Java admin client does). A group
/// nobody has used is described as Dead with no members, as Kafka does.
pub async fn describe_group(client: &Client, group: &str) -> Result<GroupDescription, Error> {
    let node = find_coordinator(client, CoordinatorKind::Group, group).await?;
    let conn = client.connection(node).await?;
    if let Ok(version) = conn.version_of(ApiKey::ConsumerGroupDescribe) {
        let request = ConsumerGroupDescribeRequest::default()
            .with_group_ids(vec![GroupId(StrBytes::from_string(group.to_owned()))]);
        let response = conn.send_versioned(&request, version).await?;
        if let Some(d) = kip848_description(group, response)? {
            return Ok(d);
        }
    }
    let request = DescribeGroupsRequest::default()
        .with_groups(vec![GroupId(StrBytes::from_string(group.to_owned()))]);
    let response = conn.send(&request).await?;
    let g = response
        .groups
        .into_iter()
        .find(|g| g.group_id.0.as_str() == group)
        .ok_or_else(|| {
            kafka_error(
                ApiKey::DescribeGroups,
                ErrorCode::UNKNOWN_SERVER_ERROR,
                &format!("group {group}: not in the answer"),
                None,
            )
        })?;
    let code = ErrorCode(g.error_code);
    if code.is_err() {
        return Err(kafka_error(
            ApiKey::DescribeGroups,
            code,
            &format!("group {group}"),
            g.error_message.as_ref(),
        ));
    }
    let consumer = g.protocol_type.as_str() == "consumer";
    let members = g
        .members
        .into_iter()
        .map(|m| {
            let assignment = if consumer {
                decode_assignment(m.member_assignment)
                    .map(|(_, a)| {
                        a.assigned_partitions
                            .iter()
                            .flat_map(|t| expand(&t.topic.0, &t.partitions))
                            .collect()
                    })
                    .unwrap_or_default()
            } else {
                Vec::new()
            };
            GroupMemberDescription {
                member_id: m.member_id.to_string(),
                instance_id: m.group_instance_id.map(|i| i.to_string()),
                client_id: m.client_id.to_string(),
                client_host: m.client_host.to_string(),
                assignment,
            }
        })
        .collect();
    Ok(GroupDescription {
        group_id: g.group_id.0.to_string(),
        state: g.group_state.to_string(),
        protocol_type: g.protocol_type.to_string(),
        group_protocol: "classic".to_owned(),
        assignor: g.protocol_data.to_string(),
        members,
    })
}

/// A ConsumerGroupDescribe answer; `None` when `group` is not a KIP-848 group (the
/// coordinator says GROUP_ID_NOT_FOUND for classic and unknown groups, UNSUPPORTED_VERSION
/// where the protocol is off).
fn kip848_description(
    group: &str,
    response: kafka_protocol::messages::ConsumerGroupDescribeResponse,
) -> Result<Option<GroupDescription>, Error> {
    let Some(g) = response
        .groups
        .into_iter()
        .find(|g| g.group_id.0.as_str() == group)
    else {
        return Ok(None);
    };
    let code = ErrorCode(g.error_code);
    match code {
        ErrorCode::NONE => {}
        ErrorCode::GROUP_ID_NOT_FOUND | ErrorCode::UNSUPPORTED_VERSION => return Ok(None),
        _ => {
            return Err(kafka_error(
                ApiKey::ConsumerGroupDescribe,
                code,
                &format!("group {group}"),
                g.error_message.as_ref(),
            ))
        }
    }
    let members = g
        .members
        .into_iter()
        .map(|m| GroupMemberDescription {
            member_id: m.member_id.to_string(),
            instance_id: m.instance_id.map(|i| i.to_string()),
            client_id: m.client_id.to_string(),
            client_host: m.client_host.to_string(),
            assignment: m
                .assignment
                .topic_partitions
                .iter()
                .flat_map(|t| expand(&t.topic_name.0, &t.partitions))
                .collect(),
        })
        .collect();
    Ok(Some(GroupDescription {
        group_id: g.group_id.0.to_string(),
        state: g.group_state.to_string(),
        protocol_type: "consumer".to_owned(),
        group_protocol: "consumer".to_owned(),
        assignor: g.assignor_name.to_string(),
        members,
    }))
}

/// `group`'s committed offsets for every partition it has committed to.
pub async fn committed_offsets(
    client: &Client,
    group: &str,
) -> Result<BTreeMap<TopicPartition, Option<OffsetAndMetadata>>, Error> {
    let node = find_coordinator(client, CoordinatorKind::Group, group).await?;
    let conn = client.connection(node).await?;
    let version = conn.version_of(ApiKey::OffsetFetch)?;
    let mut request = OffsetFetchRequest::default();
    let id = GroupId(StrBytes::from_string(group.to_owned()));
    if version >= 8 {
        request.groups = vec![
            kafka_protocol::messages::offset_fetch_request::OffsetFetchRequestGroup::default()
                .with_group_id(id)
                .with_topics(None),
        ];
    } else {
        request.group_id = id;
        request.topics = None;
    }
    let response = conn.send_versioned(&request, version).await?;
    fetch_result(group, version, &response)
}

/// Lag per partition of every topic `group` has committed to or is assigned: committed
/// offset, high watermark and their difference, and the member owning it now.
pub async fn group_lag(client: &Client, group: &str) -> Result<Vec<PartitionLag>, Error> {
    let committed = committed_offsets(client, group).await?;
    let description = describe_group(client, group).await?;
    let owners: BTreeMap<TopicPartition, String> = description
        .members
        .iter()
        .flat_map(|m| {
            m.assignment
                .iter()
                .map(|tp| (tp.clone(), m.member_id.clone()))
        })
        .collect();
    let partitions: BTreeSet<TopicPartition> =
        committed.keys().chain(owners.keys()).cloned().collect();
    let mut out = Vec::with_capacity(partitions.len());
    for tp in partitions {
        let end = list_offset(client, &tp.topic, tp.partition, OffsetSpec::Latest).await?;
        let committed = committed.get(&tp).cloned().flatten().map(|o| o.offset);
        out.push(PartitionLag {
            lag: committed.map(|c| (end - c).max(0)),
            committed,
            end,
            owner: owners.get(&tp).cloned(),
            partition: tp,
        });
    }
    Ok(out)
}
