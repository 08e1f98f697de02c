//! ListGroups, DescribeGroups and DeleteGroups: the groups a coordinator holds, seen from an
//! admin client.
//!
//! ListGroups answers the groups this broker coordinates (members or offsets), filtered by
//! state (v4+). DescribeGroups answers NOT_COORDINATOR for a group coordinated elsewhere and
//! describes an unknown group as `Dead` with no members, as Kafka does. DeleteGroups refuses a
//! group with members (NON_EMPTY_GROUP) and an unknown one (GROUP_ID_NOT_FOUND), else forgets
//! it and its offsets.

use kafka_protocol::messages::delete_groups_response::DeletableGroupResult;
use kafka_protocol::messages::describe_groups_response::{DescribedGroup, DescribedGroupMember};
use kafka_protocol::messages::list_groups_response::ListedGroup;
use kafka_protocol::messages::{
    DeleteGroupsRequest, DeleteGroupsResponse, DescribeGroupsRequest, DescribeGroupsResponse,
    GroupId, ListGroupsRequest, ListGroupsResponse,
};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;
use tokio::time::Instant;

use super::{group_entry_error, Ctx};
use crate::coordinator::{is_coordinator, CoordinatorKind};

fn text(s: &str) -> StrBytes {
    StrBytes::from_string(s.to_owned())
}

pub(crate) fn list(ctx: &Ctx<'_>, request: &ListGroupsRequest) -> ListGroupsResponse {
    if let Some(code) = ctx.injected.top_level() {
        return ListGroupsResponse::default().with_error_code(code);
    }
    let mut state = ctx.shared.lock();
    state.group_coordinator.tick(Instant::now());
    let mut listed: Vec<(String, String, &'static str)> = state
        .group_coordinator
        .groups()
        .map(|(id, g)| {
            let protocol_type = g.protocol_type.clone().unwrap_or_default();
            (id.clone(), protocol_type, g.state_name())
        })
        .collect();
    for (id, g) in state.consumer_groups.groups() {
        if !g.members.is_empty() || !listed.iter().any(|(l, _, _)| l == id) {
            listed.retain(|(l, _, _)| l != id);
            listed.push((id.clone(), "consumer".to_owned(), g.state_name()));
        }
    }
    for id in state.groups.group_ids() {
        if !listed.iter().any(|(g, _, _)| g == id) {
            listed.push((id.clone(), "consumer".to_owned(), "Empty"));
        }
    }
    let groups = listed
        .into_iter()
        .filter(|(id, _, _)| is_coordinator(&state, ctx.node, CoordinatorKind::Group, id))
        .filter(|(_, _, st)| {
            request.states_filter.is_empty()
                || request
                    .states_filter
                    .iter()
                    .any(|f| f.as_str().eq_ignore_ascii_case(st))
        })
        .map(|(id, protocol_type, st)| {
            ListedGroup::default()
                .with_group_id(GroupId(text(&id)))
                .with_protocol_type(text(&protocol_type))
                .with_group_state(text(st))
                .with_group_type(text("classic"))
        })
        .collect();
    ListGroupsResponse::default().with_groups(groups)
}

pub(crate) fn describe(ctx: &Ctx<'_>, request: &DescribeGroupsRequest) -> DescribeGroupsResponse {
    let mut state = ctx.shared.lock();
    state.group_coordinator.tick(Instant::now());
    let groups = request
        .groups
        .iter()
        .map(|id| {
            let group = id.0.as_str();
            let out = DescribedGroup::default()
                .with_group_id(id.clone())
                .with_authorized_operations(i32::MIN);
            if let Some(code) = group_entry_error(ctx, &state, group) {
                return out.with_error_code(code);
            }
            let Some(g) = state.group_coordinator.group(group) else {
                let st = if state.groups.contains(group) {
                    "Empty"
                } else {
                    "Dead"
                };
                return out.with_group_state(text(st));
            };
            let protocol = g.protocol.clone().unwrap_or_default();
            let members = g
                .members
                .iter()
                .map(|(member_id, m)| {
                    let metadata = m
                        .protocols
                        .iter()
                        .find(|(name, _)| *name == protocol)
                        .map(|(_, meta)| meta.clone())
                        .unwrap_or_default();
                    DescribedGroupMember::default()
                        .with_member_id(text(member_id))
                        .with_group_instance_id(m.instance_id.as_deref().map(text))
                        .with_client_id(text(&m.client_id))
                        .with_client_host(text("/127.0.0.1"))
                        .with_member_metadata(metadata)
                        .with_member_assignment(
                            g.assignment(member_id).cloned().unwrap_or_default(),
                        )
                })
                .collect();
            out.with_group_state(text(g.state_name()))
                .with_protocol_type(text(g.protocol_type.as_deref().unwrap_or_default()))
                .with_protocol_data(text(&protocol))
                .with_members(members)
        })
        .collect();
    DescribeGroupsResponse::default().with_groups(groups)
}

pub(crate) fn delete(ctx: &Ctx<'_>, request: &DeleteGroupsRequest) -> DeleteGroupsResponse {
    let mut state = ctx.shared.lock();
    state.group_coordinator.tick(Instant::now());
    let mut results = Vec::new();
    for id in &request.groups_names {
        let group = id.0.as_str();
        let code = if let Some(code) = group_entry_error(ctx, &state, group) {
            code
        } else {
            let classic = state
                .group_coordinator
                .group(group)
                .map(|g| g.members.len());
            let modern = state.consumer_groups.group(group).map(|g| g.members.len());
            let members = match (classic, modern) {
                (None, None) => None,
                (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
            };
            match members {
                Some(n) if n > 0 => ResponseError::NonEmptyGroup.code(),
                None if !state.groups.contains(group) => ResponseError::GroupIdNotFound.code(),
                _ => {
                    state.group_coordinator.remove(group);
                    state.consumer_groups.remove(group);
                    state.groups.remove(group);
                    0
                }
            }
        };
        results.push(
            DeletableGroupResult::default()
                .with_group_id(id.clone())
                .with_error_code(code),
        );
    }
    DeleteGroupsResponse::default().with_results(results)
}
