//! One partition's idempotent and transactional producers, as Kafka's `ProducerStateManager`
//! keeps them: each producer's epoch, its last five batches (for duplicate detection and the
//! sequence check) and the first offset of its open transaction on the partition.

use std::collections::{HashMap, VecDeque};

use kafka_protocol::ResponseError;

use crate::batch::{BatchError, BatchHeader};

const OUT_OF_ORDER_SEQUENCE_NUMBER: i16 = ResponseError::OutOfOrderSequenceNumber.code();
const INVALID_PRODUCER_EPOCH: i16 = ResponseError::InvalidProducerEpoch.code();
const UNKNOWN_PRODUCER_ID: i16 = ResponseError::UnknownProducerId.code();
const INVALID_TXN_STATE: i16 = ResponseError::InvalidTxnState.code();
/// How many recent batches per producer are remembered for duplicate detection (Kafka keeps 5).
const PRODUCER_BATCH_MEMORY: usize = 5;
/// Epoch of a producer entry made by a transaction marker alone, and "no sequence".
const NO_PRODUCER_EPOCH: i16 = -1;
const NO_SEQUENCE: i32 = -1;

/// What a batch from a producer the partition has no state for gets when its sequence is not 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum UnknownProducer {
    /// Accepted whatever its sequence, as Kafka 2.5+ does (KIP-360: the state may have been
    /// lost to retention while the producer lives on).
    #[default]
    Accept,
    /// UNKNOWN_PRODUCER_ID, as brokers before Kafka 2.5 answered.
    Reject,
}

#[derive(Debug, Clone, Copy)]
struct ProducerBatch {
    first_seq: i32,
    last_seq: i32,
    base_offset: i64,
}

#[derive(Debug, Clone)]
struct ProducerEntry {
    epoch: i16,
    recent: VecDeque<ProducerBatch>,
    /// First offset of the producer's open transaction on this partition.
    txn_first_offset: Option<i64>,
}

impl ProducerEntry {
    fn new(epoch: i16) -> Self {
        Self {
            epoch,
            recent: VecDeque::new(),
            txn_first_offset: None,
        }
    }

    /// A new epoch forgets the old epoch's batches.
    fn set_epoch(&mut self, epoch: i16) {
        if self.epoch != epoch {
            self.epoch = epoch;
            self.recent.clear();
        }
    }
}

/// What to do with a data batch from a producer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Append it.
    Append,
    /// It repeats a batch stored at this base offset: answer with that offset, store nothing.
    Duplicate(i64),
}

/// The producers that have written to one partition.
#[derive(Debug, Clone, Default)]
pub(crate) struct ProducerStates {
    entries: HashMap<i64, ProducerEntry>,
}

impl ProducerStates {
    /// Checks a data batch with a producer id, in Kafka's order: a repeat of one of the last five
    /// batches of the same epoch is a duplicate; an older epoch is INVALID_PRODUCER_EPOCH; a
    /// sequence that does not follow is OUT_OF_ORDER_SEQUENCE_NUMBER (a new epoch must start at
    /// 0); a non-transactional batch while the producer has a transaction open here is
    /// INVALID_TXN_STATE.
    pub fn check(&self, h: &BatchHeader, unknown: UnknownProducer) -> Result<Verdict, BatchError> {
        let entry = self.entries.get(&h.producer_id);
        if let Some(e) = entry.filter(|e| e.epoch == h.producer_epoch) {
            let last_seq = sequence_after(h.base_sequence, h.last_offset_delta);
            if let Some(seen) = e
                .recent
                .iter()
                .find(|b| b.first_seq == h.base_sequence && b.last_seq == last_seq)
            {
                return Ok(Verdict::Duplicate(seen.base_offset));
            }
        }
        let current_epoch = entry.map_or(NO_PRODUCER_EPOCH, |e| e.epoch);
        if h.producer_epoch < current_epoch {
            return Err(BatchError {
                code: INVALID_PRODUCER_EPOCH,
                reason: format!(
                    "producer {} epoch {} is older than {current_epoch}",
                    h.producer_id, h.producer_epoch
                ),
            });
        }
        if h.producer_epoch != current_epoch {
            if h.base_sequence != 0 {
                if current_epoch != NO_PRODUCER_EPOCH {
                    return Err(out_of_order(h, 0));
                }
                if unknown == UnknownProducer::Reject {
                    return Err(BatchError {
                        code: UNKNOWN_PRODUCER_ID,
                        reason: format!(
                            "no state for producer {} and its sequence {} is not 0",
                            h.producer_id, h.base_sequence
                        ),
                    });
                }
            }
        } else if let Some(e) = entry.filter(|_| current_epoch != NO_PRODUCER_EPOCH) {
            let last = e.recent.back().map_or(NO_SEQUENCE, |b| b.last_seq);
            let expected = sequence_after(last, 1);
            if h.base_sequence != expected {
                return Err(out_of_order(h, expected));
            }
        }
        if !h.is_transactional() && entry.is_some_and(|e| e.txn_first_offset.is_some()) {
            return Err(BatchError {
                code: INVALID_TXN_STATE,
                reason: format!(
                    "producer {} sent a non-transactional batch while its transaction is open",
                    h.producer_id
                ),
            });
        }
        Ok(Verdict::Append)
    }

    /// Records a data batch appended at `base_offset` (after [`ProducerStates::check`]); a
    /// transactional batch opens the producer's transaction here if none is open.
    pub fn record(&mut self, h: &BatchHeader, base_offset: i64) {
        let entry = self
            .entries
            .entry(h.producer_id)
            .or_insert_with(|| ProducerEntry::new(h.producer_epoch));
        entry.set_epoch(h.producer_epoch);
        if entry.recent.len() == PRODUCER_BATCH_MEMORY {
            entry.recent.pop_front();
        }
        entry.recent.push_back(ProducerBatch {
            first_seq: h.base_sequence,
            last_seq: sequence_after(h.base_sequence, h.last_offset_delta),
            base_offset,
        });
        if h.is_transactional() && entry.txn_first_offset.is_none() {
            entry.txn_first_offset = Some(base_offset);
        }
    }

    /// Checks that a transaction marker of `epoch` may be written for `producer_id`: an epoch
    /// older than the producer's is INVALID_PRODUCER_EPOCH.
    pub fn check_marker(&self, producer_id: i64, epoch: i16) -> Result<(), BatchError> {
        match self.entries.get(&producer_id) {
            Some(e) if epoch < e.epoch => Err(BatchError {
                code: INVALID_PRODUCER_EPOCH,
                reason: format!(
                    "marker for producer {producer_id} has epoch {epoch}, older than {}",
                    e.epoch
                ),
            }),
            _ => Ok(()),
        }
    }

    /// Records a transaction marker (after [`ProducerStates::check_marker`]): the producer's
    /// transaction here ends and its epoch becomes the marker's. Returns the first offset of
    /// the transaction it ended, if data of it was written here.
    pub fn end_transaction(&mut self, producer_id: i64, epoch: i16) -> Option<i64> {
        let entry = self
            .entries
            .entry(producer_id)
            .or_insert_with(|| ProducerEntry::new(NO_PRODUCER_EPOCH));
        entry.set_epoch(epoch);
        entry.txn_first_offset.take()
    }

    /// Whether `producer_id` has a transaction open on this partition.
    pub fn has_open_transaction(&self, producer_id: i64) -> bool {
        self.entries
            .get(&producer_id)
            .is_some_and(|e| e.txn_first_offset.is_some())
    }

    /// The first offset of the earliest open transaction.
    pub fn first_unstable_offset(&self) -> Option<i64> {
        self.entries
            .values()
            .filter_map(|e| e.txn_first_offset)
            .min()
    }

    /// Forgets every producer without an open transaction (Kafka never expires those), as
    /// retention does; returns how many were forgotten.
    pub fn forget_idle(&mut self) -> usize {
        let before = self.entries.len();
        self.entries.retain(|_, e| e.txn_first_offset.is_some());
        before - self.entries.len()
    }
}

/// Sequence numbers wrap from `i32::MAX` to 0.
fn sequence_after(seq: i32, delta: i32) -> i32 {
    let next = i64::from(seq) + i64::from(delta);
    i32::try_from(next.rem_euclid(i64::from(i32::MAX) + 1)).unwrap_or(0)
}

fn out_of_order(h: &BatchHeader, expected: i32) -> BatchError {
    BatchError {
        code: OUT_OF_ORDER_SEQUENCE_NUMBER,
        reason: format!(
            "producer {} epoch {}: sequence {} where {expected} was expected",
            h.producer_id, h.producer_epoch, h.base_sequence
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(pid: i64, epoch: i16, seq: i32, records: i32, transactional: bool) -> BatchHeader {
        BatchHeader {
            base_offset: 0,
            last_offset_delta: records - 1,
            base_timestamp: 0,
            max_timestamp: 0,
            producer_id: pid,
            producer_epoch: epoch,
            base_sequence: seq,
            records_count: records,
            attributes: if transactional { 0x10 } else { 0 },
        }
    }

    fn code(r: Result<Verdict, BatchError>) -> i16 {
        r.map_or_else(|e| e.code, |_| 0)
    }

    #[test]
    fn sequences_epochs_and_duplicates() {
        let mut s = ProducerStates::default();
        let first = header(7, 0, 0, 2, false);
        assert_eq!(
            s.check(&first, UnknownProducer::Accept).unwrap(),
            Verdict::Append
        );
        s.record(&first, 10);
        assert_eq!(
            s.check(&first, UnknownProducer::Accept).unwrap(),
            Verdict::Duplicate(10)
        );
        let gap = header(7, 0, 3, 1, false);
        assert_eq!(
            code(s.check(&gap, UnknownProducer::Accept)),
            OUT_OF_ORDER_SEQUENCE_NUMBER
        );
        let next = header(7, 0, 2, 1, false);
        assert_eq!(code(s.check(&next, UnknownProducer::Accept)), 0);
        s.record(&next, 12);
        // A new epoch starts at 0; an older one is fenced.
        assert_eq!(
            code(s.check(&header(7, 1, 5, 1, false), UnknownProducer::Accept)),
            OUT_OF_ORDER_SEQUENCE_NUMBER
        );
        s.record(&header(7, 1, 0, 1, false), 13);
        assert_eq!(
            code(s.check(&header(7, 0, 3, 1, false), UnknownProducer::Accept)),
            INVALID_PRODUCER_EPOCH
        );
        // The old epoch's batches are forgotten: no duplicate of them any more.
        assert_eq!(
            code(s.check(&first, UnknownProducer::Accept)),
            INVALID_PRODUCER_EPOCH
        );
    }

    #[test]
    fn unknown_producers_by_rule() {
        let s = ProducerStates::default();
        let late = header(9, 3, 42, 1, false);
        assert_eq!(code(s.check(&late, UnknownProducer::Accept)), 0);
        assert_eq!(
            code(s.check(&late, UnknownProducer::Reject)),
            UNKNOWN_PRODUCER_ID
        );
        assert_eq!(
            code(s.check(&header(9, 3, 0, 1, false), UnknownProducer::Reject)),
            0
        );
    }

    #[test]
    fn transactions_open_and_end() {
        let mut s = ProducerStates::default();
        s.record(&header(1, 0, 0, 2, true), 5);
        s.record(&header(1, 0, 2, 1, true), 7);
        s.record(&header(2, 0, 0, 1, true), 8);
        assert_eq!(s.first_unstable_offset(), Some(5));
        assert!(s.has_open_transaction(1));
        // A plain batch inside an open transaction is refused.
        assert_eq!(
            code(s.check(&header(1, 0, 3, 1, false), UnknownProducer::Accept)),
            INVALID_TXN_STATE
        );
        assert!(s.check_marker(1, 0).is_ok());
        assert_eq!(s.end_transaction(1, 0), Some(5));
        assert_eq!(s.first_unstable_offset(), Some(8));
        // Same epoch: sequences continue after the marker.
        assert_eq!(
            code(s.check(&header(1, 0, 3, 1, false), UnknownProducer::Accept)),
            0
        );
        // A fencing marker moves the epoch on.
        assert_eq!(s.end_transaction(2, 1), Some(8));
        assert_eq!(
            s.check_marker(2, 0).unwrap_err().code,
            INVALID_PRODUCER_EPOCH
        );
        assert_eq!(
            code(s.check(&header(2, 0, 1, 1, true), UnknownProducer::Accept)),
            INVALID_PRODUCER_EPOCH
        );
        // A marker for a producer that never wrote here creates its entry at that epoch.
        assert_eq!(s.end_transaction(3, 4), None);
        assert_eq!(
            code(s.check(&header(3, 4, 1, 1, true), UnknownProducer::Accept)),
            OUT_OF_ORDER_SEQUENCE_NUMBER
        );
        assert_eq!(s.first_unstable_offset(), None);
    }

    #[test]
    fn forgetting_keeps_open_transactions() {
        let mut s = ProducerStates::default();
        s.record(&header(1, 0, 0, 1, false), 0);
        s.record(&header(2, 0, 0, 1, true), 1);
        assert_eq!(s.forget_idle(), 1);
        assert!(s.has_open_transaction(2));
        assert_eq!(
            code(s.check(&header(1, 0, 1, 1, false), UnknownProducer::Reject)),
            UNKNOWN_PRODUCER_ID
        );
    }

    #[test]
    fn sequences_wrap() {
        assert_eq!(sequence_after(i32::MAX, 1), 0);
        assert_eq!(sequence_after(i32::MAX - 1, 3), 1);
        assert_eq!(sequence_after(-1, 1), 0);
    }
}
