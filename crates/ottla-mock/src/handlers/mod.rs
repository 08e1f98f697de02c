//! One handler per API key: request in, response out, with the cluster state locked only for
//! as long as it is read or changed.

pub(crate) mod api_versions;
pub(crate) mod create_topics;
pub(crate) mod delete_topics;
pub(crate) mod fetch;
pub(crate) mod list_offsets;
pub(crate) mod metadata;
pub(crate) mod produce;
pub(crate) mod sasl_authenticate;
pub(crate) mod sasl_handshake;

use kafka_protocol::ResponseError;

use crate::fault::Injected;
use crate::state::{ClusterState, PartitionState, Shared};

/// What every handler gets besides its request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ctx<'a> {
    /// The cluster.
    pub shared: &'a Shared,
    /// The broker the request came to.
    pub node: i32,
    /// The request's API version.
    pub version: i16,
    /// The error a fault injects into this response, if any.
    pub injected: Injected<'a>,
}

/// A partition this broker leads, for requests only the leader serves (Produce, Fetch,
/// ListOffsets), or the error code to answer instead. `current_leader_epoch` is the client's
/// idea of the epoch (-1: unknown, not checked).
pub(crate) fn led_partition<'s>(
    state: &'s ClusterState,
    node: i32,
    topic: &str,
    partition: i32,
    current_leader_epoch: i32,
) -> Result<&'s PartitionState, i16> {
    let p = state
        .partition(topic, partition)
        .map_err(|_| ResponseError::UnknownTopicOrPartition.code())?;
    if current_leader_epoch >= 0 {
        if current_leader_epoch < p.leader_epoch {
            return Err(ResponseError::FencedLeaderEpoch.code());
        }
        if current_leader_epoch > p.leader_epoch {
            return Err(ResponseError::UnknownLeaderEpoch.code());
        }
    }
    if p.leader != node {
        return Err(ResponseError::NotLeaderOrFollower.code());
    }
    Ok(p)
}
