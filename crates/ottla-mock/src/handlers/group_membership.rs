//! JoinGroup, SyncGroup, Heartbeat and LeaveGroup: the classic group protocol, served by the
//! group's coordinator ([`crate::group_coordinator`]). Every one answers NOT_COORDINATOR on
//! another broker, and INVALID_GROUP_ID for an empty group id. JoinGroup and a follower's
//! SyncGroup wait (re-checking on every change, and every 50 ms for timeouts) until the round
//! completes.

use std::collections::BTreeMap;
use std::time::Duration;

use kafka_protocol::messages::join_group_response::JoinGroupResponseMember;
use kafka_protocol::messages::leave_group_response::MemberResponse;
use kafka_protocol::messages::{
    HeartbeatRequest, HeartbeatResponse, JoinGroupRequest, JoinGroupResponse, LeaveGroupRequest,
    LeaveGroupResponse, SyncGroupRequest, SyncGroupResponse,
};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;
use tokio::time::Instant;

use super::{coordinated_here, Ctx};
use crate::coordinator::CoordinatorKind;
use crate::group_coordinator::JoinRequest;
use crate::state::ClusterState;

/// How often a waiting request looks at the clock (session and rebalance timeouts).
const RECHECK: Duration = Duration::from_millis(50);

/// The first JoinGroup version that knows MEMBER_ID_REQUIRED (KIP-394).
const MEMBER_ID_REQUIRED_SINCE: i16 = 4;

/// The checks before any group request: an injected error, a group id, this coordinator.
fn precheck(ctx: &Ctx<'_>, state: &ClusterState, group: &str) -> Result<(), i16> {
    if let Some(code) = ctx.injected.any() {
        return Err(code);
    }
    if group.is_empty() {
        return Err(ResponseError::InvalidGroupId.code());
    }
    coordinated_here(state, ctx.node, CoordinatorKind::Group, group)
}

/// Runs `check` under the lock (after moving the coordinator's clock on) until it gives an
/// answer; waits for changes in between.
async fn wait_for<T>(ctx: &Ctx<'_>, mut check: impl FnMut(&mut ClusterState) -> Option<T>) -> T {
    loop {
        let changed = ctx.shared.changed().notified();
        tokio::pin!(changed);
        changed.as_mut().enable();
        {
            let mut state = ctx.shared.lock();
            state.group_coordinator.tick(Instant::now());
            if let Some(answer) = check(&mut state) {
                return answer;
            }
        }
        let _ = tokio::time::timeout(RECHECK, changed).await;
    }
}

fn millis(ms: i32) -> Duration {
    Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

pub(crate) async fn join(ctx: &Ctx<'_>, request: JoinGroupRequest) -> JoinGroupResponse {
    let group = request.group_id.0.to_string();
    let failed = |code: i16, member_id: String| {
        JoinGroupResponse::default()
            .with_error_code(code)
            .with_generation_id(-1)
            .with_member_id(StrBytes::from_string(member_id))
    };
    let registered = {
        let mut state = ctx.shared.lock();
        if let Err(code) = precheck(ctx, &state, &group) {
            return failed(code, request.member_id.to_string());
        }
        let r = JoinRequest {
            member_id: request.member_id.to_string(),
            instance_id: request.group_instance_id.as_ref().map(|i| i.to_string()),
            client_id: "member".into(),
            protocol_type: request.protocol_type.to_string(),
            protocols: request
                .protocols
                .iter()
                .map(|p| (p.name.to_string(), p.metadata.clone()))
                .collect(),
            session_timeout: millis(request.session_timeout_ms),
            // v0 has no rebalance timeout: the session timeout serves.
            rebalance_timeout: millis(if ctx.version >= 1 {
                request.rebalance_timeout_ms
            } else {
                request.session_timeout_ms
            }),
            member_id_required: ctx.version >= MEMBER_ID_REQUIRED_SINCE,
        };
        state.group_coordinator.join(&group, r, Instant::now())
    };
    ctx.shared.notify_changed();
    let (member_id, before) = match registered {
        Ok(r) => r,
        Err((code, member_id)) => return failed(code, member_id),
    };
    let joined = wait_for(ctx, |state| {
        state.group_coordinator.joined(&group, &member_id, before)
    })
    .await;
    ctx.shared.notify_changed();
    match joined {
        Ok(j) => JoinGroupResponse::default()
            .with_generation_id(j.generation)
            .with_protocol_type(j.protocol_type.map(StrBytes::from_string))
            .with_protocol_name(Some(StrBytes::from_string(j.protocol.unwrap_or_default())))
            .with_leader(StrBytes::from_string(j.leader))
            .with_member_id(StrBytes::from_string(j.member_id))
            .with_members(
                j.members
                    .into_iter()
                    .map(|(id, instance, metadata)| {
                        JoinGroupResponseMember::default()
                            .with_member_id(StrBytes::from_string(id))
                            .with_group_instance_id(instance.map(StrBytes::from_string))
                            .with_metadata(metadata)
                    })
                    .collect(),
            ),
        Err(code) => failed(code, member_id),
    }
}

pub(crate) async fn sync(ctx: &Ctx<'_>, request: SyncGroupRequest) -> SyncGroupResponse {
    let group = request.group_id.0.to_string();
    let member_id = request.member_id.to_string();
    let generation = request.generation_id;
    let failed = |code: i16| SyncGroupResponse::default().with_error_code(code);
    {
        let mut state = ctx.shared.lock();
        if let Err(code) = precheck(ctx, &state, &group) {
            return failed(code);
        }
        let assignments: BTreeMap<String, bytes::Bytes> = request
            .assignments
            .iter()
            .map(|a| (a.member_id.to_string(), a.assignment.clone()))
            .collect();
        let synced = state.group_coordinator.sync(
            &group,
            &member_id,
            generation,
            assignments,
            Instant::now(),
        );
        if let Err(code) = synced {
            return failed(code);
        }
    }
    ctx.shared.notify_changed();
    let protocol = {
        let state = ctx.shared.lock();
        state
            .group_coordinator
            .group(&group)
            .map(|g| (g.protocol_type.clone(), g.protocol.clone()))
    };
    match wait_for(ctx, |state| {
        state
            .group_coordinator
            .synced(&group, &member_id, generation)
    })
    .await
    {
        Ok(assignment) => {
            let (protocol_type, name) = protocol.unwrap_or_default();
            SyncGroupResponse::default()
                .with_protocol_type(protocol_type.map(StrBytes::from_string))
                .with_protocol_name(name.map(StrBytes::from_string))
                .with_assignment(assignment)
        }
        Err(code) => failed(code),
    }
}

pub(crate) fn heartbeat(ctx: &Ctx<'_>, request: &HeartbeatRequest) -> HeartbeatResponse {
    let group = request.group_id.0.as_str();
    let code = {
        let mut state = ctx.shared.lock();
        let now = Instant::now();
        state.group_coordinator.tick(now);
        match precheck(ctx, &state, group) {
            Err(code) => code,
            Ok(()) => state.group_coordinator.heartbeat(
                group,
                request.member_id.as_str(),
                request.generation_id,
                now,
            ),
        }
    };
    ctx.shared.notify_changed();
    HeartbeatResponse::default().with_error_code(code)
}

pub(crate) fn leave(ctx: &Ctx<'_>, request: &LeaveGroupRequest) -> LeaveGroupResponse {
    let group = request.group_id.0.as_str();
    // v3+ names members (by id or instance id); older versions one member id.
    let leaving: Vec<(String, Option<String>)> = if ctx.version >= 3 {
        request
            .members
            .iter()
            .map(|m| {
                (
                    m.member_id.to_string(),
                    m.group_instance_id.as_ref().map(|i| i.to_string()),
                )
            })
            .collect()
    } else {
        vec![(request.member_id.to_string(), None)]
    };
    let mut state = ctx.shared.lock();
    if let Err(code) = precheck(ctx, &state, group) {
        return LeaveGroupResponse::default().with_error_code(code);
    }
    let now = Instant::now();
    let members = leaving
        .into_iter()
        .map(|(member_id, instance)| {
            // A static member may leave by its instance id alone.
            let id = match (&instance, member_id.is_empty()) {
                (Some(i), true) => state
                    .group_coordinator
                    .group(group)
                    .and_then(|g| {
                        g.members
                            .iter()
                            .find(|(_, m)| m.instance_id.as_ref() == Some(i))
                    })
                    .map(|(id, _)| id.clone())
                    .unwrap_or_default(),
                _ => member_id.clone(),
            };
            let code = state.group_coordinator.leave(group, &id, now);
            MemberResponse::default()
                .with_member_id(StrBytes::from_string(member_id))
                .with_group_instance_id(instance.map(StrBytes::from_string))
                .with_error_code(code)
        })
        .collect::<Vec<_>>();
    drop(state);
    ctx.shared.notify_changed();
    let code = match ctx.version {
        0..=2 => members.first().map_or(0, |m| m.error_code),
        _ => 0,
    };
    LeaveGroupResponse::default()
        .with_error_code(code)
        .with_members(members)
}
