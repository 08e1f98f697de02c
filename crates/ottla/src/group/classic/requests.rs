//! The group requests, built for the versions the coordinator speaks: a field a version does
//! not have is left at its default (kafka-protocol refuses to encode it otherwise).

use kafka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafka_protocol::messages::leave_group_request::MemberIdentity;
use kafka_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
use kafka_protocol::messages::{
    GroupId, HeartbeatRequest, JoinGroupRequest, LeaveGroupRequest, SyncGroupRequest,
};
use ottla_protocol::StrBytes;

use super::membership::GroupVersions;
use crate::group::Identity;

/// The embedded protocol type of consumer groups.
pub(super) const PROTOCOL_TYPE: &str = "consumer";

fn text(s: &str) -> StrBytes {
    StrBytes::from_string(s.to_owned())
}

pub(super) fn join(
    who: Identity<'_>,
    versions: GroupVersions,
    session_timeout_ms: i32,
    rebalance_timeout_ms: i32,
    protocols: Vec<(&'static str, bytes::Bytes)>,
    reason: &str,
) -> JoinGroupRequest {
    let mut r = JoinGroupRequest::default()
        .with_group_id(GroupId(text(who.group_id)))
        .with_session_timeout_ms(session_timeout_ms)
        .with_member_id(text(who.member_id))
        .with_protocol_type(text(PROTOCOL_TYPE))
        .with_protocols(
            protocols
                .into_iter()
                .map(|(name, metadata)| {
                    JoinGroupRequestProtocol::default()
                        .with_name(text(name))
                        .with_metadata(metadata)
                })
                .collect(),
        );
    if versions.join >= 1 {
        r.rebalance_timeout_ms = rebalance_timeout_ms;
    }
    if versions.join >= 5 {
        r.group_instance_id = who.instance_id.map(text);
    }
    if versions.join >= 8 && !reason.is_empty() {
        r.reason = Some(text(reason));
    }
    r
}

pub(super) fn sync(
    who: Identity<'_>,
    versions: GroupVersions,
    protocol_name: Option<&str>,
    assignments: Vec<(String, bytes::Bytes)>,
) -> SyncGroupRequest {
    let mut r = SyncGroupRequest::default()
        .with_group_id(GroupId(text(who.group_id)))
        .with_generation_id(who.generation)
        .with_member_id(text(who.member_id))
        .with_assignments(
            assignments
                .into_iter()
                .map(|(member, assignment)| {
                    SyncGroupRequestAssignment::default()
                        .with_member_id(text(&member))
                        .with_assignment(assignment)
                })
                .collect(),
        );
    if versions.sync >= 3 {
        r.group_instance_id = who.instance_id.map(text);
    }
    if versions.sync >= 5 {
        r.protocol_type = Some(text(PROTOCOL_TYPE));
        r.protocol_name = protocol_name.map(text);
    }
    r
}

pub(super) fn heartbeat(who: Identity<'_>, versions: GroupVersions) -> HeartbeatRequest {
    let mut r = HeartbeatRequest::default()
        .with_group_id(GroupId(text(who.group_id)))
        .with_generation_id(who.generation)
        .with_member_id(text(who.member_id));
    if versions.heartbeat >= 3 {
        r.group_instance_id = who.instance_id.map(text);
    }
    r
}

pub(super) fn leave(who: Identity<'_>, versions: GroupVersions, reason: &str) -> LeaveGroupRequest {
    let r = LeaveGroupRequest::default().with_group_id(GroupId(text(who.group_id)));
    if versions.leave < 3 {
        return r.with_member_id(text(who.member_id));
    }
    let mut member = MemberIdentity::default()
        .with_member_id(text(who.member_id))
        .with_group_instance_id(who.instance_id.map(text));
    if versions.leave >= 5 && !reason.is_empty() {
        member.reason = Some(text(reason));
    }
    r.with_members(vec![member])
}
