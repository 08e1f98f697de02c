//! The leader's part of a rebalance: read every member's subscription from the JoinGroup
//! response, run the chosen assignor, and write each member's assignment for SyncGroup.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use bytes::Bytes;
use kafka_protocol::messages::consumer_protocol_assignment::TopicPartition as Assigned;
use kafka_protocol::messages::join_group_response::JoinGroupResponseMember;
use kafka_protocol::messages::{ConsumerProtocolAssignment, TopicName};
use ottla_protocol::consumer_protocol::{
    decode_subscription, encode_assignment, ASSIGNMENT_VERSION,
};
use ottla_protocol::{ProtocolError, StrBytes};

use crate::group::assignor::{Assignor, Member, PartitionCounts};
use crate::group::expand;

/// The members as the assignor sees them. A member whose subscription cannot be read is
/// given nothing (and logged): one bad member must not stop the group.
pub(super) fn members(joined: &[JoinGroupResponseMember]) -> Vec<Member> {
    joined
        .iter()
        .map(|m| {
            let id = m.member_id.to_string();
            let mut member = Member::new(id.clone(), Vec::<Arc<str>>::new());
            member.group_instance_id = m.group_instance_id.as_ref().map(|i| i.to_string());
            match decode_subscription(m.metadata.clone()) {
                Ok((_, s)) => {
                    member.topics = s.topics.iter().map(|t| Arc::from(t.as_str())).collect();
                    member.owned = s
                        .owned_partitions
                        .iter()
                        .flat_map(|o| expand(&o.topic.0, &o.partitions))
                        .collect();
                    member.generation = s.generation_id;
                    member.rack = s.rack_id.map(|r| r.to_string());
                }
                Err(e) => {
                    tracing::warn!(member = %id, error = %e, "member's subscription unreadable; it gets no partitions");
                }
            }
            member
        })
        .collect()
}

/// Every topic some member subscribes to.
pub(super) fn topics(members: &[Member]) -> BTreeSet<Arc<str>> {
    members
        .iter()
        .flat_map(|m| m.topics.iter().cloned())
        .collect()
}

/// Runs `assignor` and encodes each member's share for SyncGroup.
pub(super) fn assignments(
    assignor: &dyn Assignor,
    members: &[Member],
    counts: &PartitionCounts,
) -> Result<Vec<(String, Bytes)>, ProtocolError> {
    assignor
        .assign(members, counts)
        .into_iter()
        .map(|(member, partitions)| {
            let mut by_topic: BTreeMap<Arc<str>, Vec<i32>> = BTreeMap::new();
            for tp in partitions {
                by_topic.entry(tp.topic).or_default().push(tp.partition);
            }
            let assignment = ConsumerProtocolAssignment::default().with_assigned_partitions(
                by_topic
                    .into_iter()
                    .map(|(topic, partitions)| {
                        Assigned::default()
                            .with_topic(TopicName(StrBytes::from_string(topic.to_string())))
                            .with_partitions(partitions)
                    })
                    .collect(),
            );
            Ok((member, encode_assignment(&assignment, ASSIGNMENT_VERSION)?))
        })
        .collect()
}
