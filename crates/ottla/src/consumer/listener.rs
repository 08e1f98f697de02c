//! Rebalance callbacks: the application hears of partitions assigned, revoked and lost, and
//! can commit offsets of revoked partitions before they move to another member.

use std::collections::BTreeMap;

use futures::future::BoxFuture;

use super::handle::Shared;
use super::owner::Owner;
use crate::error::Error;
use crate::group::{OffsetAndMetadata, TopicPartition};

/// What a callback can do while the rebalance waits for it.
pub struct Rebalance<'a> {
    pub(crate) owner: &'a Owner,
    pub(crate) shared: &'a Shared,
}

impl std::fmt::Debug for Rebalance<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rebalance").finish_non_exhaustive()
    }
}

impl Rebalance<'_> {
    /// The offset of the next record the application would receive from `partition`.
    pub fn position(&self, partition: &TopicPartition) -> Option<i64> {
        self.shared.consumed().get(partition).map(|p| p.offset)
    }

    /// Commits `offsets` now (for revoked partitions: while they are still this member's).
    pub async fn commit(
        &self,
        offsets: BTreeMap<TopicPartition, OffsetAndMetadata>,
    ) -> Result<(), Error> {
        self.owner.commit(offsets).await
    }
}

/// Called by the consumer's task during rebalances; the group waits for each call to return
/// (heartbeats go on). The defaults do nothing.
pub trait RebalanceListener: Send + Sync {
    /// These partitions are now this consumer's (positions are set already).
    fn on_assigned<'a>(
        &'a self,
        _rebalance: &'a Rebalance<'a>,
        _partitions: &'a [TopicPartition],
    ) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }

    /// These partitions go to another member after this returns; with
    /// `enable.auto.commit`, what was received is committed before this is called.
    fn on_revoked<'a>(
        &'a self,
        _rebalance: &'a Rebalance<'a>,
        _partitions: &'a [TopicPartition],
    ) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }

    /// These partitions were taken without a rebalance (the member was fenced or timed out):
    /// another member may own them already, so nothing can be committed for them.
    fn on_lost<'a>(
        &'a self,
        _rebalance: &'a Rebalance<'a>,
        _partitions: &'a [TopicPartition],
    ) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }
}
