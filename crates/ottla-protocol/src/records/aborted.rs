//! Dropping the batches of aborted transactions (`isolation.level=read_committed`).

use std::collections::{HashSet, VecDeque};

use super::control::ControlKind;
use super::decode::DecodedBatch;

/// An aborted transaction from a Fetch response partition (`aborted_transactions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AbortedTransaction {
    /// The producer whose transaction was aborted.
    pub producer_id: i64,
    /// The first offset of the aborted transaction.
    pub first_offset: i64,
}

impl From<&kafka_protocol::messages::fetch_response::AbortedTransaction> for AbortedTransaction {
    fn from(t: &kafka_protocol::messages::fetch_response::AbortedTransaction) -> Self {
        AbortedTransaction {
            producer_id: t.producer_id.0,
            first_offset: t.first_offset,
        }
    }
}

/// Keeps the batches a `read_committed` consumer delivers, with the Java consumer's algorithm:
/// aborted transactions are taken in `first_offset` order, and a producer id becomes *aborted*
/// once a batch whose last offset reaches that `first_offset` is seen; its transactional
/// batches are then dropped until its ABORT marker, which ends it. Control batches are never
/// returned. Non-transactional batches always are.
///
/// Compute the next fetch offset (e.g. [`super::DecodedBatches::next_offset`]) before
/// filtering: dropped batches still advance the position.
pub fn filter_aborted(
    batches: Vec<DecodedBatch>,
    aborted: &[AbortedTransaction],
) -> Vec<DecodedBatch> {
    let mut pending: Vec<AbortedTransaction> = aborted.to_vec();
    pending.sort_by_key(|t| t.first_offset);
    let mut pending = VecDeque::from(pending);
    let mut active: HashSet<i64> = HashSet::new();

    batches
        .into_iter()
        .filter(|batch| {
            if batch.has_producer_id() {
                while let Some(t) = pending.front() {
                    if t.first_offset > batch.last_offset() {
                        break;
                    }
                    active.insert(t.producer_id);
                    pending.pop_front();
                }
                let is_abort_marker =
                    batch.is_control && batch.control.is_some_and(|c| c.kind == ControlKind::Abort);
                if is_abort_marker {
                    active.remove(&batch.producer_id);
                } else if batch.transactional && active.contains(&batch.producer_id) {
                    return false;
                }
            }
            !batch.is_control
        })
        .collect()
}
