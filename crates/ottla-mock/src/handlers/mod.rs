//! One handler per API key: request in, response out, with the cluster state locked only for
//! as long as it is read or changed.

pub(crate) mod acls;
pub(crate) mod add_offsets_to_txn;
pub(crate) mod add_partitions_to_txn;
pub(crate) mod admin_groups;
pub(crate) mod api_versions;
pub(crate) mod client_quotas;
pub(crate) mod configs;
pub(crate) mod consumer_group;
pub(crate) mod create_partitions;
pub(crate) mod create_topics;
pub(crate) mod delete_records;
pub(crate) mod delete_topics;
pub(crate) mod describe_cluster;
pub(crate) mod end_txn;
pub(crate) mod fetch;
pub(crate) mod find_coordinator;
pub(crate) mod group_membership;
pub(crate) mod init_producer_id;
pub(crate) mod list_offsets;
pub(crate) mod metadata;
pub(crate) mod offsets;
pub(crate) mod produce;
pub(crate) mod sasl_authenticate;
pub(crate) mod sasl_handshake;
pub(crate) mod scram_credentials;
pub(crate) mod txn_offset_commit;

use kafka_protocol::ResponseError;

use crate::coordinator::{is_coordinator, CoordinatorKind};
use crate::fault::Injected;
use crate::state::{ClusterState, PartitionState, Shared};
use crate::txn_coordinator::TxnError;

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

/// NOT_COORDINATOR unless `node` coordinates `key` (Kafka checks this for every request a
/// coordinator serves).
pub(crate) fn coordinated_here(
    state: &ClusterState,
    node: i32,
    kind: CoordinatorKind,
    key: &str,
) -> Result<(), i16> {
    if is_coordinator(state, node, kind, key) {
        Ok(())
    } else {
        Err(ResponseError::NotCoordinator.code())
    }
}

/// The error a group's entry in an admin response gets before the group is looked at: an
/// injected one, or NOT_COORDINATOR.
pub(crate) fn group_entry_error(ctx: &Ctx<'_>, state: &ClusterState, group: &str) -> Option<i16> {
    ctx.injected
        .topic(group)
        .or_else(|| coordinated_here(state, ctx.node, CoordinatorKind::Group, group).err())
}

/// A transactional request's check before anything else: a transactional id is given
/// (INVALID_REQUEST if empty) and this node coordinates it (NOT_COORDINATOR if not).
pub(crate) fn txn_coordinated_here(
    state: &ClusterState,
    node: i32,
    transactional_id: &str,
) -> Result<(), i16> {
    if transactional_id.is_empty() {
        return Err(ResponseError::InvalidRequest.code());
    }
    coordinated_here(state, node, CoordinatorKind::Transaction, transactional_id)
}

/// The code a transaction coordinator error gets in a response whose version may predate
/// PRODUCER_FENCED (KIP-588): Kafka answers INVALID_PRODUCER_EPOCH to those.
pub(crate) fn txn_error_code(error: TxnError, producer_fenced_known: bool) -> i16 {
    match error {
        TxnError::ProducerFenced if !producer_fenced_known => {
            ResponseError::InvalidProducerEpoch.code()
        }
        other => other.code(),
    }
}

/// The code a failed verification (KIP-890: is the partition or group in the transaction?)
/// gets in a Produce or TxnOffsetCommit response, as Kafka's `AddPartitionsToTxnManager`
/// translates it: a fenced epoch is INVALID_PRODUCER_EPOCH, and "not in the transaction" is
/// TRANSACTION_ABORTABLE for versions that know it, INVALID_TXN_STATE before.
pub(crate) fn verification_error_code(error: TxnError, abortable_known: bool) -> i16 {
    match error {
        TxnError::ProducerFenced => ResponseError::InvalidProducerEpoch.code(),
        TxnError::NotInTransaction if !abortable_known => ResponseError::InvalidTxnState.code(),
        other => other.code(),
    }
}
