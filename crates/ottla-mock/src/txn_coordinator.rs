//! The transaction coordinator's state, following Kafka 3.x's `TransactionCoordinator`:
//! producer ids, and per transactional id its producer id and epoch, its timeout, and the
//! partitions and groups of its ongoing transaction (KIP-98), with KIP-360 epoch bumps and
//! the fencing of older epochs.
//!
//! Kafka completes a transaction in two steps (PrepareCommit/PrepareAbort, then markers, then
//! CompleteCommit/CompleteAbort); the mock writes the markers while it handles the request, so
//! the Prepare states never outlive a request and CONCURRENT_TRANSACTIONS is only answered
//! where Kafka always answers it: to the InitProducerId that fences an ongoing transaction.

use std::collections::{BTreeMap, BTreeSet};

use kafka_protocol::ResponseError;

/// The first producer id the mock hands out.
pub(crate) const FIRST_PRODUCER_ID: i64 = 1000;
/// Kafka's `transaction.max.timeout.ms` default: longer timeouts are refused.
pub(crate) const MAX_TRANSACTION_TIMEOUT_MS: i32 = 900_000;
const NO_PRODUCER_ID: i64 = -1;
const NO_PRODUCER_EPOCH: i16 = -1;

/// Where a transactional id's transaction stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TxnState {
    /// Initialized, no transaction since.
    Empty,
    /// Partitions or groups have been added.
    Ongoing,
    /// The last transaction committed.
    CompleteCommit,
    /// The last transaction aborted.
    CompleteAbort,
}

/// Why the coordinator refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TxnError {
    /// No state for the transactional id, or another producer id holds it.
    InvalidProducerIdMapping,
    /// The epoch is not the current one (handlers answer INVALID_PRODUCER_EPOCH to versions that
    /// predate PRODUCER_FENCED).
    ProducerFenced,
    /// The request does not fit the transaction's state.
    InvalidTxnState,
    /// A partition or group that is not in the ongoing transaction (verification of Produce
    /// and TxnOffsetCommit).
    NotInTransaction,
}

impl TxnError {
    /// The Kafka error code, before any per-version translation.
    pub fn code(self) -> i16 {
        match self {
            Self::InvalidProducerIdMapping => ResponseError::InvalidProducerIdMapping.code(),
            Self::ProducerFenced => ResponseError::ProducerFenced.code(),
            Self::InvalidTxnState => ResponseError::InvalidTxnState.code(),
            Self::NotInTransaction => ResponseError::TransactionAbortable.code(),
        }
    }
}

/// One transactional id's state.
#[derive(Debug, Clone)]
pub(crate) struct TxnMetadata {
    pub producer_id: i64,
    pub last_producer_id: i64,
    pub producer_epoch: i16,
    pub last_producer_epoch: i16,
    /// `transaction_timeout_ms` of the last InitProducerId; stored only (nothing times out by
    /// itself; see [`TxnCoordinator::expire`]).
    pub timeout_ms: i32,
    pub state: TxnState,
    pub partitions: BTreeSet<(String, i32)>,
    pub groups: BTreeSet<String>,
}

/// A transaction that just ended: the markers to write and the groups whose offsets to settle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EndedTxn {
    pub producer_id: i64,
    /// The epoch the markers carry (the bumped one when a transaction is fenced).
    pub producer_epoch: i16,
    pub commit: bool,
    pub partitions: Vec<(String, i32)>,
    pub groups: Vec<String>,
}

/// The outcome of a transactional InitProducerId.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum InitOutcome {
    /// The producer id and epoch to answer.
    Granted {
        producer_id: i64,
        producer_epoch: i16,
    },
    /// A transaction was ongoing: it was fenced (epoch bumped) and aborted; the caller writes
    /// its markers and answers CONCURRENT_TRANSACTIONS, and the client's retry gets the next
    /// epoch.
    Fenced(EndedTxn),
}

/// Producer ids and transactions.
#[derive(Debug)]
pub(crate) struct TxnCoordinator {
    next_producer_id: i64,
    txns: BTreeMap<String, TxnMetadata>,
}

impl Default for TxnCoordinator {
    fn default() -> Self {
        Self {
            next_producer_id: FIRST_PRODUCER_ID,
            txns: BTreeMap::new(),
        }
    }
}

/// Kafka rotates to a new producer id once the epoch reaches `i16::MAX - 1`.
fn epoch_exhausted(epoch: i16) -> bool {
    epoch >= i16::MAX - 1
}

impl TxnMetadata {
    fn new(producer_id: i64, timeout_ms: i32) -> Self {
        Self {
            producer_id,
            last_producer_id: NO_PRODUCER_ID,
            producer_epoch: NO_PRODUCER_EPOCH,
            last_producer_epoch: NO_PRODUCER_EPOCH,
            timeout_ms,
            state: TxnState::Empty,
            partitions: BTreeSet::new(),
            groups: BTreeSet::new(),
        }
    }

    /// Ends the ongoing transaction: the partitions and groups go to the caller.
    fn finish(&mut self, commit: bool) -> EndedTxn {
        self.state = if commit {
            TxnState::CompleteCommit
        } else {
            TxnState::CompleteAbort
        };
        EndedTxn {
            producer_id: self.producer_id,
            producer_epoch: self.producer_epoch,
            commit,
            partitions: std::mem::take(&mut self.partitions).into_iter().collect(),
            groups: std::mem::take(&mut self.groups).into_iter().collect(),
        }
    }

    /// Bumps the epoch past the current producer's and aborts its transaction.
    fn fence(&mut self) -> EndedTxn {
        self.producer_epoch = self.producer_epoch.saturating_add(1);
        self.last_producer_epoch = NO_PRODUCER_EPOCH;
        self.finish(false)
    }

    /// The producer id and epoch of a request match this id's.
    fn check_producer(&self, producer_id: i64, epoch: i16) -> Result<(), TxnError> {
        if self.producer_id != producer_id {
            Err(TxnError::InvalidProducerIdMapping)
        } else if self.producer_epoch != epoch {
            Err(TxnError::ProducerFenced)
        } else {
            Ok(())
        }
    }
}

impl TxnCoordinator {
    /// A fresh producer id.
    pub fn next_producer_id(&mut self) -> i64 {
        let id = self.next_producer_id;
        self.next_producer_id += 1;
        id
    }

    /// InitProducerId for a (non-empty) transactional id. `expected` is the producer id and
    /// epoch the request carries (KIP-360), if any. The first call creates the id with a new
    /// producer id at epoch 0; later calls bump the epoch (a retry of a bump that carries the
    /// previous epoch gets the current one again), fence an ongoing transaction, or move to a
    /// new producer id when the epoch is exhausted.
    pub fn init_producer_id(
        &mut self,
        transactional_id: &str,
        timeout_ms: i32,
        expected: Option<(i64, i16)>,
    ) -> Result<InitOutcome, TxnError> {
        if !self.txns.contains_key(transactional_id) {
            let id = self.next_producer_id();
            self.txns.insert(
                transactional_id.to_owned(),
                TxnMetadata::new(id, timeout_ms),
            );
        }
        let Some(meta) = self.txns.get_mut(transactional_id) else {
            return Err(TxnError::InvalidProducerIdMapping);
        };
        if let Some((producer_id, epoch)) = expected {
            let valid = meta.producer_epoch == NO_PRODUCER_EPOCH
                || producer_id == meta.producer_id
                || (producer_id == meta.last_producer_id && epoch_exhausted(epoch));
            if !valid {
                return Err(TxnError::ProducerFenced);
            }
        }
        if meta.state == TxnState::Ongoing {
            return Ok(InitOutcome::Fenced(meta.fence()));
        }
        let rotate = epoch_exhausted(meta.producer_epoch)
            && expected.is_none_or(|(_, e)| e == meta.producer_epoch);
        let rotated_id = rotate.then(|| self.next_producer_id());
        let Some(meta) = self.txns.get_mut(transactional_id) else {
            return Err(TxnError::InvalidProducerIdMapping);
        };
        let (producer_id, epoch, last_epoch) = match rotated_id {
            Some(id) => (
                id,
                0,
                if expected.is_some() {
                    meta.producer_epoch
                } else {
                    NO_PRODUCER_EPOCH
                },
            ),
            None => {
                let bumped = meta.producer_epoch.saturating_add(1);
                match expected {
                    None => (meta.producer_id, bumped, NO_PRODUCER_EPOCH),
                    Some((_, e))
                        if meta.producer_epoch == NO_PRODUCER_EPOCH || e == meta.producer_epoch =>
                    {
                        (meta.producer_id, bumped, meta.producer_epoch)
                    }
                    Some((_, e)) if e == meta.last_producer_epoch => (
                        meta.producer_id,
                        meta.producer_epoch,
                        meta.last_producer_epoch,
                    ),
                    Some(_) => return Err(TxnError::ProducerFenced),
                }
            }
        };
        meta.last_producer_id = meta.producer_id;
        meta.producer_id = producer_id;
        meta.producer_epoch = epoch;
        meta.last_producer_epoch = last_epoch;
        meta.timeout_ms = timeout_ms;
        meta.state = TxnState::Empty;
        meta.partitions.clear();
        meta.groups.clear();
        Ok(InitOutcome::Granted {
            producer_id,
            producer_epoch: epoch,
        })
    }

    fn current(&mut self, transactional_id: &str) -> Result<&mut TxnMetadata, TxnError> {
        self.txns
            .get_mut(transactional_id)
            .ok_or(TxnError::InvalidProducerIdMapping)
    }

    /// AddPartitionsToTxn: starts a transaction if none is ongoing and adds the partitions.
    pub fn add_partitions(
        &mut self,
        transactional_id: &str,
        producer_id: i64,
        epoch: i16,
        partitions: impl IntoIterator<Item = (String, i32)>,
    ) -> Result<(), TxnError> {
        let meta = self.current(transactional_id)?;
        meta.check_producer(producer_id, epoch)?;
        meta.partitions.extend(partitions);
        meta.state = TxnState::Ongoing;
        Ok(())
    }

    /// AddOffsetsToTxn: starts a transaction if none is ongoing and adds the group (Kafka adds
    /// the group's `__consumer_offsets` partition).
    pub fn add_group(
        &mut self,
        transactional_id: &str,
        producer_id: i64,
        epoch: i16,
        group: &str,
    ) -> Result<(), TxnError> {
        let meta = self.current(transactional_id)?;
        meta.check_producer(producer_id, epoch)?;
        meta.groups.insert(group.to_owned());
        meta.state = TxnState::Ongoing;
        Ok(())
    }

    /// EndTxn: ends the ongoing transaction (`Some`: the caller writes its markers). A retry of
    /// the commit or abort that just completed is accepted with nothing to do (`None`); any
    /// other end without an ongoing transaction — including right after InitProducerId — is
    /// INVALID_TXN_STATE.
    pub fn end_txn(
        &mut self,
        transactional_id: &str,
        producer_id: i64,
        epoch: i16,
        commit: bool,
    ) -> Result<Option<EndedTxn>, TxnError> {
        let meta = self.current(transactional_id)?;
        meta.check_producer(producer_id, epoch)?;
        match (meta.state, commit) {
            (TxnState::Ongoing, _) => Ok(Some(meta.finish(commit))),
            (TxnState::CompleteCommit, true) | (TxnState::CompleteAbort, false) => Ok(None),
            _ => Err(TxnError::InvalidTxnState),
        }
    }

    /// Whether a transactional Produce may write to a partition its producer has no open
    /// transaction on: the partition must be in the ongoing transaction (KIP-890 verification,
    /// on by default since Kafka 3.6).
    pub fn verify_partition(
        &self,
        transactional_id: &str,
        producer_id: i64,
        epoch: i16,
        topic: &str,
        partition: i32,
    ) -> Result<(), TxnError> {
        let meta = self
            .txns
            .get(transactional_id)
            .ok_or(TxnError::InvalidProducerIdMapping)?;
        meta.check_producer(producer_id, epoch)?;
        if meta.state == TxnState::Ongoing
            && meta.partitions.contains(&(topic.to_owned(), partition))
        {
            Ok(())
        } else {
            Err(TxnError::NotInTransaction)
        }
    }

    /// Whether a TxnOffsetCommit may stage offsets for `group`: the group must be in the
    /// ongoing transaction (AddOffsetsToTxn).
    pub fn verify_group(
        &self,
        transactional_id: &str,
        producer_id: i64,
        epoch: i16,
        group: &str,
    ) -> Result<(), TxnError> {
        let meta = self
            .txns
            .get(transactional_id)
            .ok_or(TxnError::InvalidProducerIdMapping)?;
        meta.check_producer(producer_id, epoch)?;
        if meta.state == TxnState::Ongoing && meta.groups.contains(group) {
            Ok(())
        } else {
            Err(TxnError::NotInTransaction)
        }
    }

    /// Aborts the ongoing transaction as the coordinator does when `transaction.timeout.ms`
    /// passes: the epoch is bumped, which fences the producer, and the caller writes ABORT
    /// markers. `None` if no transaction is ongoing.
    pub fn expire(&mut self, transactional_id: &str) -> Option<EndedTxn> {
        self.txns
            .get_mut(transactional_id)
            .filter(|m| m.state == TxnState::Ongoing)
            .map(TxnMetadata::fence)
    }

    /// The transactional id's state.
    pub fn get(&self, transactional_id: &str) -> Option<&TxnMetadata> {
        self.txns.get(transactional_id)
    }

    /// Transactional ids with a transaction ongoing.
    pub fn ongoing(&self) -> usize {
        self.txns
            .values()
            .filter(|m| m.state == TxnState::Ongoing)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn granted(outcome: Result<InitOutcome, TxnError>) -> (i64, i16) {
        match outcome {
            Ok(InitOutcome::Granted {
                producer_id,
                producer_epoch,
            }) => (producer_id, producer_epoch),
            other => panic!("expected a grant, got {other:?}"),
        }
    }

    fn tp(topic: &str, p: i32) -> (String, i32) {
        (topic.to_owned(), p)
    }

    #[test]
    fn init_creates_then_bumps_and_fences_by_epoch() {
        let mut c = TxnCoordinator::default();
        assert_eq!(c.next_producer_id(), FIRST_PRODUCER_ID);
        let (pid, e0) = granted(c.init_producer_id("tx", 60_000, None));
        assert_eq!((pid, e0), (FIRST_PRODUCER_ID + 1, 0));
        // A new instance: next epoch.
        assert_eq!(granted(c.init_producer_id("tx", 60_000, None)), (pid, 1));
        // KIP-360 bump with the current epoch; a retry with the previous epoch gets the same.
        assert_eq!(
            granted(c.init_producer_id("tx", 60_000, Some((pid, 1)))),
            (pid, 2)
        );
        assert_eq!(
            granted(c.init_producer_id("tx", 60_000, Some((pid, 1)))),
            (pid, 2)
        );
        // An epoch that is neither: fenced. So is another producer id.
        assert_eq!(
            c.init_producer_id("tx", 60_000, Some((pid, 0))),
            Err(TxnError::ProducerFenced)
        );
        assert_eq!(
            c.init_producer_id("tx", 60_000, Some((pid + 7, 2))),
            Err(TxnError::ProducerFenced)
        );
        // A new instance clears the last epoch: the old one's retry is fenced now.
        assert_eq!(granted(c.init_producer_id("tx", 60_000, None)), (pid, 3));
        assert_eq!(
            c.init_producer_id("tx", 60_000, Some((pid, 1))),
            Err(TxnError::ProducerFenced)
        );
        assert_eq!(c.get("tx").map(|m| m.timeout_ms), Some(60_000));
    }

    #[test]
    fn ongoing_transaction_is_fenced_and_aborted() {
        let mut c = TxnCoordinator::default();
        let (pid, e) = granted(c.init_producer_id("tx", 1000, None));
        c.add_partitions("tx", pid, e, [tp("t", 0), tp("t", 1)])
            .unwrap();
        c.add_group("tx", pid, e, "g").unwrap();
        assert_eq!(c.ongoing(), 1);
        let fenced = c.init_producer_id("tx", 1000, None).unwrap();
        assert_eq!(
            fenced,
            InitOutcome::Fenced(EndedTxn {
                producer_id: pid,
                producer_epoch: e + 1,
                commit: false,
                partitions: vec![tp("t", 0), tp("t", 1)],
                groups: vec!["g".to_owned()],
            })
        );
        assert_eq!(c.ongoing(), 0);
        // The old producer is fenced everywhere.
        assert_eq!(
            c.add_partitions("tx", pid, e, [tp("t", 2)]),
            Err(TxnError::ProducerFenced)
        );
        assert_eq!(c.end_txn("tx", pid, e, true), Err(TxnError::ProducerFenced));
        assert_eq!(
            c.verify_partition("tx", pid, e, "t", 0),
            Err(TxnError::ProducerFenced)
        );
        // The retry gets the epoch after the fencing one.
        assert_eq!(granted(c.init_producer_id("tx", 1000, None)), (pid, e + 2));
    }

    #[test]
    fn end_txn_by_state() {
        let mut c = TxnCoordinator::default();
        assert_eq!(
            c.end_txn("nope", 1, 0, true),
            Err(TxnError::InvalidProducerIdMapping)
        );
        let (pid, e) = granted(c.init_producer_id("tx", 1000, None));
        // Nothing ongoing right after init: both ends are refused.
        assert_eq!(
            c.end_txn("tx", pid, e, true),
            Err(TxnError::InvalidTxnState)
        );
        assert_eq!(
            c.end_txn("tx", pid, e, false),
            Err(TxnError::InvalidTxnState)
        );
        assert_eq!(
            c.end_txn("tx", pid + 1, e, true),
            Err(TxnError::InvalidProducerIdMapping)
        );
        assert_eq!(
            c.verify_partition("tx", pid, e, "t", 0),
            Err(TxnError::NotInTransaction)
        );
        c.add_partitions("tx", pid, e, [tp("t", 0)]).unwrap();
        c.verify_partition("tx", pid, e, "t", 0).unwrap();
        assert_eq!(
            c.verify_partition("tx", pid, e, "t", 1),
            Err(TxnError::NotInTransaction)
        );
        assert_eq!(
            c.verify_group("tx", pid, e, "g"),
            Err(TxnError::NotInTransaction)
        );
        let ended = c.end_txn("tx", pid, e, true).unwrap().unwrap();
        assert_eq!((ended.commit, ended.partitions), (true, vec![tp("t", 0)]));
        // A retried commit is fine; an abort now is not.
        assert_eq!(c.end_txn("tx", pid, e, true), Ok(None));
        assert_eq!(
            c.end_txn("tx", pid, e, false),
            Err(TxnError::InvalidTxnState)
        );
        assert_eq!(
            c.verify_partition("tx", pid, e, "t", 0),
            Err(TxnError::NotInTransaction)
        );
        c.add_group("tx", pid, e, "g").unwrap();
        c.verify_group("tx", pid, e, "g").unwrap();
        let ended = c.end_txn("tx", pid, e, false).unwrap().unwrap();
        assert_eq!(ended.groups, vec!["g".to_owned()]);
        assert_eq!(c.end_txn("tx", pid, e, false), Ok(None));
        assert_eq!(
            c.end_txn("tx", pid, e, true),
            Err(TxnError::InvalidTxnState)
        );
    }

    #[test]
    fn expiry_fences_only_ongoing_transactions() {
        let mut c = TxnCoordinator::default();
        let (pid, e) = granted(c.init_producer_id("tx", 1000, None));
        assert_eq!(c.expire("tx"), None);
        assert_eq!(c.expire("nope"), None);
        c.add_partitions("tx", pid, e, [tp("t", 0)]).unwrap();
        let ended = c.expire("tx").unwrap();
        assert_eq!((ended.producer_epoch, ended.commit), (e + 1, false));
        assert_eq!(
            c.end_txn("tx", pid, e, false),
            Err(TxnError::ProducerFenced)
        );
    }

    #[test]
    fn exhausted_epoch_rotates_the_producer_id() {
        let mut c = TxnCoordinator::default();
        let (pid, _) = granted(c.init_producer_id("tx", 1000, None));
        if let Some(m) = c.txns.get_mut("tx") {
            m.producer_epoch = i16::MAX - 1;
        }
        let (next, epoch) = granted(c.init_producer_id("tx", 1000, Some((pid, i16::MAX - 1))));
        assert_ne!(next, pid);
        assert_eq!(epoch, 0);
        let m = c.get("tx").unwrap();
        assert_eq!(
            (m.last_producer_id, m.last_producer_epoch),
            (pid, i16::MAX - 1)
        );
        // A retry of that call with the old id and exhausted epoch is not fenced: it gets the
        // same answer again.
        assert_eq!(
            granted(c.init_producer_id("tx", 1000, Some((pid, i16::MAX - 1)))),
            (next, 0)
        );
    }
}
