//! One partition's log: stored record batches with their offsets, the high watermark, the log
//! start offset, and the idempotent producers' last sequence numbers.

use std::collections::{HashMap, VecDeque};

use bytes::{Bytes, BytesMut};
use kafka_protocol::ResponseError;

use crate::batch::{self, BatchError, BatchHeader, RecordStamp};

const OUT_OF_ORDER_SEQUENCE_NUMBER: i16 = ResponseError::OutOfOrderSequenceNumber.code();
const INVALID_PRODUCER_EPOCH: i16 = ResponseError::InvalidProducerEpoch.code();
/// How many recent batches per producer are remembered for duplicate detection (Kafka keeps 5).
const PRODUCER_BATCH_MEMORY: usize = 5;

/// A stored batch.
#[derive(Debug, Clone)]
pub(crate) struct StoredBatch {
    /// Offset of the first record.
    pub base_offset: i64,
    /// Offset of the last record.
    pub last_offset: i64,
    /// The header as stored (base offset already assigned).
    pub header: BatchHeader,
    /// The batch bytes as served to consumers.
    pub bytes: Bytes,
}

#[derive(Debug, Clone, Copy)]
struct ProducerBatch {
    first_seq: i32,
    last_seq: i32,
    base_offset: i64,
}

#[derive(Debug, Clone)]
struct ProducerState {
    epoch: i16,
    recent: VecDeque<ProducerBatch>,
}

/// The result of a successful append.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Appended {
    /// Offset given to the batch's first record.
    pub base_offset: i64,
    /// Whether the batch was a retry of one already stored (nothing was appended).
    pub duplicate: bool,
}

/// Offsets answered by ListOffsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OffsetAnswer {
    /// Offset, or -1 if none.
    pub offset: i64,
    /// Timestamp, or -1.
    pub timestamp: i64,
}

impl OffsetAnswer {
    const NONE: OffsetAnswer = OffsetAnswer {
        offset: -1,
        timestamp: -1,
    };
}

/// A fetch below the log start or above the high watermark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OutOfRange;

/// One partition's data.
#[derive(Debug, Clone, Default)]
pub(crate) struct PartitionLog {
    batches: VecDeque<StoredBatch>,
    log_start: i64,
    next_offset: i64,
    producers: HashMap<i64, ProducerState>,
}

impl PartitionLog {
    /// The first offset still held.
    pub fn log_start_offset(&self) -> i64 {
        self.log_start
    }

    /// The offset the next record will get. Every append is immediately "replicated", so this is
    /// also the high watermark and the last stable offset (there are no transactions).
    pub fn high_watermark(&self) -> i64 {
        self.next_offset
    }

    /// The stored batches, oldest first.
    pub fn batches(&self) -> impl Iterator<Item = &StoredBatch> {
        self.batches.iter()
    }

    /// Number of records from the log start to the high watermark.
    pub fn record_count(&self) -> i64 {
        self.next_offset - self.log_start
    }

    /// Appends one batch (already checked by [`batch::parse_header`]), assigning offsets and
    /// stamping `leader_epoch`. An idempotent producer's retry of one of its last five batches
    /// is answered with the original offset and not stored again.
    pub fn append(
        &mut self,
        header: &BatchHeader,
        bytes: &[u8],
        leader_epoch: i32,
    ) -> Result<Appended, BatchError> {
        if header.producer_id >= 0 && header.base_sequence >= 0 {
            if let Some(base_offset) = self.check_sequence(header)? {
                return Ok(Appended {
                    base_offset,
                    duplicate: true,
                });
            }
        }
        let base_offset = self.next_offset;
        let count = i64::from(header.records_count);
        let stored = batch::rebase(bytes, base_offset, leader_epoch);
        let mut header = *header;
        header.base_offset = base_offset;
        self.batches.push_back(StoredBatch {
            base_offset,
            last_offset: base_offset + count - 1,
            header,
            bytes: stored,
        });
        self.next_offset += count;
        if header.producer_id >= 0 && header.base_sequence >= 0 {
            self.remember(&header, base_offset);
        }
        Ok(Appended {
            base_offset,
            duplicate: false,
        })
    }

    /// `Ok(Some(offset))` for a duplicate, `Ok(None)` for the next batch in sequence.
    fn check_sequence(&self, h: &BatchHeader) -> Result<Option<i64>, BatchError> {
        let Some(state) = self.producers.get(&h.producer_id) else {
            return Ok(None);
        };
        if h.producer_epoch < state.epoch {
            return Err(BatchError {
                code: INVALID_PRODUCER_EPOCH,
                reason: format!(
                    "producer {} epoch {} is older than {}",
                    h.producer_id, h.producer_epoch, state.epoch
                ),
            });
        }
        if h.producer_epoch > state.epoch {
            return if h.base_sequence == 0 {
                Ok(None)
            } else {
                Err(out_of_order(h, 0))
            };
        }
        let last_seq = sequence_after(h.base_sequence, h.last_offset_delta);
        if let Some(seen) = state
            .recent
            .iter()
            .find(|b| b.first_seq == h.base_sequence && b.last_seq == last_seq)
        {
            return Ok(Some(seen.base_offset));
        }
        let expected = state
            .recent
            .back()
            .map_or(0, |b| sequence_after(b.last_seq, 1));
        if h.base_sequence == expected {
            Ok(None)
        } else {
            Err(out_of_order(h, expected))
        }
    }

    fn remember(&mut self, h: &BatchHeader, base_offset: i64) {
        let state = self
            .producers
            .entry(h.producer_id)
            .or_insert_with(|| ProducerState {
                epoch: h.producer_epoch,
                recent: VecDeque::new(),
            });
        if state.epoch != h.producer_epoch {
            state.epoch = h.producer_epoch;
            state.recent.clear();
        }
        if state.recent.len() == PRODUCER_BATCH_MEMORY {
            state.recent.pop_front();
        }
        state.recent.push_back(ProducerBatch {
            first_seq: h.base_sequence,
            last_seq: sequence_after(h.base_sequence, h.last_offset_delta),
            base_offset,
        });
    }

    /// Whole batches from the one holding `offset` onward, concatenated: stops before a batch
    /// that would take the total past `max_bytes`, except that with `min_one` the first batch is
    /// returned whatever its size.
    pub fn read(&self, offset: i64, max_bytes: usize, min_one: bool) -> Result<Bytes, OutOfRange> {
        if offset < self.log_start || offset > self.next_offset {
            return Err(OutOfRange);
        }
        let first = self.batches.partition_point(|b| b.last_offset < offset);
        let mut out = BytesMut::new();
        for b in self.batches.iter().skip(first) {
            let fits = out.len() + b.bytes.len() <= max_bytes;
            let first_of_min_one = min_one && out.is_empty();
            if !(fits || first_of_min_one) {
                break;
            }
            out.extend_from_slice(&b.bytes);
        }
        Ok(out.freeze())
    }

    /// The first record whose timestamp is at least `timestamp` (ListOffsets by time).
    ///
    /// Uncompressed batches are searched record by record; for a compressed batch (whose records
    /// the mock does not decompress) the answer is its first record: base offset and base
    /// timestamp.
    pub fn offset_for_timestamp(&self, timestamp: i64) -> OffsetAnswer {
        for b in self
            .batches
            .iter()
            .filter(|b| b.header.max_timestamp >= timestamp)
        {
            match batch::record_stamps(&b.bytes, &b.header) {
                Some(stamps) => {
                    if let Some(s) = stamps
                        .iter()
                        .find(|s| s.timestamp >= timestamp && s.offset >= self.log_start)
                    {
                        return answer(s);
                    }
                }
                None if b.base_offset >= self.log_start => {
                    return OffsetAnswer {
                        offset: b.base_offset,
                        timestamp: b.header.base_timestamp,
                    };
                }
                None => {}
            }
        }
        OffsetAnswer::NONE
    }

    /// The record with the largest timestamp (the first such); for a compressed batch, its last
    /// offset stands in.
    pub fn offset_of_max_timestamp(&self) -> OffsetAnswer {
        let mut best: Option<&StoredBatch> = None;
        for b in &self.batches {
            if best.is_none_or(|x| b.header.max_timestamp > x.header.max_timestamp) {
                best = Some(b);
            }
        }
        let Some(b) = best else {
            return OffsetAnswer::NONE;
        };
        match batch::record_stamps(&b.bytes, &b.header) {
            Some(stamps) => stamps
                .iter()
                .filter(|s| s.timestamp == b.header.max_timestamp)
                .map(answer)
                .next()
                .unwrap_or(OffsetAnswer::NONE),
            None => OffsetAnswer {
                offset: b.last_offset,
                timestamp: b.header.max_timestamp,
            },
        }
    }

    /// Moves the log start to `offset`, dropping batches that end before it.
    pub fn advance_log_start(&mut self, offset: i64) -> Result<(), OutOfRange> {
        if offset < self.log_start || offset > self.next_offset {
            return Err(OutOfRange);
        }
        while self.batches.front().is_some_and(|b| b.last_offset < offset) {
            self.batches.pop_front();
        }
        self.log_start = offset;
        Ok(())
    }
}

fn answer(s: &RecordStamp) -> OffsetAnswer {
    OffsetAnswer {
        offset: s.offset,
        timestamp: s.timestamp,
    }
}

/// Sequence numbers wrap from `i32::MAX` to 0.
fn sequence_after(seq: i32, delta: i32) -> i32 {
    let next = i64::from(seq) + i64::from(delta);
    (next % (i64::from(i32::MAX) + 1)) as i32
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
    use crate::batch::parse_header;
    use crate::batch::tests::batch;

    fn append(log: &mut PartitionLog, b: &Bytes) -> i64 {
        let h = parse_header(b).unwrap();
        log.append(&h, b, 0).unwrap().base_offset
    }

    fn idempotent(pid: i64, epoch: i16, seq: i32, n: usize) -> (BatchHeader, Bytes) {
        let b = batch(&vec![5; n]);
        let mut h = parse_header(&b).unwrap();
        h.producer_id = pid;
        h.producer_epoch = epoch;
        h.base_sequence = seq;
        (h, b)
    }

    #[test]
    fn offsets_and_watermark() {
        let mut log = PartitionLog::default();
        assert_eq!(append(&mut log, &batch(&[1, 2, 3])), 0);
        assert_eq!(append(&mut log, &batch(&[4])), 3);
        assert_eq!(log.high_watermark(), 4);
        assert_eq!(log.record_count(), 4);
        let stored: Vec<_> = log.batches().map(|b| b.base_offset).collect();
        assert_eq!(stored, vec![0, 3]);
    }

    #[test]
    fn read_whole_batches_with_limits() {
        let mut log = PartitionLog::default();
        let a = batch(&[1, 2, 3]);
        let b = batch(&[4]);
        append(&mut log, &a);
        append(&mut log, &b);
        // Offset 1 is inside the first batch: it is returned whole.
        let all = log.read(1, usize::MAX, false).unwrap();
        assert_eq!(all.len(), a.len() + b.len());
        // Too small for one batch: nothing, unless min_one.
        assert!(log.read(0, 10, false).unwrap().is_empty());
        assert_eq!(log.read(0, 10, true).unwrap().len(), a.len());
        // Room for exactly the first batch.
        assert_eq!(log.read(0, a.len(), false).unwrap().len(), a.len());
        assert_eq!(log.read(3, usize::MAX, false).unwrap().len(), b.len());
        assert!(log.read(4, usize::MAX, true).unwrap().is_empty());
        assert_eq!(log.read(5, 100, true), Err(OutOfRange));
        assert_eq!(log.read(-1, 100, true), Err(OutOfRange));
    }

    #[test]
    fn timestamps() {
        let mut log = PartitionLog::default();
        append(&mut log, &batch(&[100, 200]));
        append(&mut log, &batch(&[150, 300]));
        let at = |ts| log.offset_for_timestamp(ts);
        assert_eq!(
            at(0),
            OffsetAnswer {
                offset: 0,
                timestamp: 100
            }
        );
        assert_eq!(
            at(150),
            OffsetAnswer {
                offset: 1,
                timestamp: 200
            }
        );
        assert_eq!(
            at(201),
            OffsetAnswer {
                offset: 3,
                timestamp: 300
            }
        );
        assert_eq!(at(301), OffsetAnswer::NONE);
        assert_eq!(
            log.offset_of_max_timestamp(),
            OffsetAnswer {
                offset: 3,
                timestamp: 300
            }
        );
        assert_eq!(
            PartitionLog::default().offset_of_max_timestamp(),
            OffsetAnswer::NONE
        );
    }

    #[test]
    fn log_start_moves_forward_only() {
        let mut log = PartitionLog::default();
        append(&mut log, &batch(&[1, 2]));
        append(&mut log, &batch(&[3]));
        log.advance_log_start(1).unwrap();
        assert_eq!(log.batches().count(), 2);
        log.advance_log_start(2).unwrap();
        assert_eq!(log.batches().count(), 1);
        assert_eq!(log.record_count(), 1);
        assert_eq!(log.read(1, 100, true), Err(OutOfRange));
        assert_eq!(log.advance_log_start(1), Err(OutOfRange));
        assert_eq!(log.advance_log_start(4), Err(OutOfRange));
    }

    #[test]
    fn idempotent_duplicates_and_gaps() {
        let mut log = PartitionLog::default();
        let (h, b) = idempotent(7, 0, 0, 2);
        assert_eq!(log.append(&h, &b, 0).unwrap().base_offset, 0);
        let again = log.append(&h, &b, 0).unwrap();
        assert_eq!(
            again,
            Appended {
                base_offset: 0,
                duplicate: true
            }
        );
        assert_eq!(log.high_watermark(), 2);
        let (h, b) = idempotent(7, 0, 3, 1);
        assert_eq!(
            log.append(&h, &b, 0).unwrap_err().code,
            OUT_OF_ORDER_SEQUENCE_NUMBER
        );
        let (h, b) = idempotent(7, 0, 2, 1);
        assert_eq!(log.append(&h, &b, 0).unwrap().base_offset, 2);
        let (h, b) = idempotent(7, 1, 0, 1);
        assert_eq!(log.append(&h, &b, 0).unwrap().base_offset, 3);
        let (h, b) = idempotent(7, 0, 3, 1);
        assert_eq!(
            log.append(&h, &b, 0).unwrap_err().code,
            INVALID_PRODUCER_EPOCH
        );
    }
}
