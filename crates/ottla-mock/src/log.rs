//! One partition's log: stored record batches with their offsets, the high watermark, the log
//! start offset, its producers' state (see [`crate::producer_state`]), and the index of aborted
//! transactions that `read_committed` fetches report.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};
use kafka_protocol::ResponseError;
use ottla_protocol::records::{BatchEncoder, BatchOptions, ControlKind};

use crate::batch::{self, parse_header, BatchError, BatchHeader, RecordStamp};
use crate::producer_state::{ProducerStates, UnknownProducer, Verdict};

const INVALID_RECORD: i16 = ResponseError::InvalidRecord.code();
const UNKNOWN_SERVER_ERROR: i16 = ResponseError::UnknownServerError.code();

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
    pub(crate) const NONE: OffsetAnswer = OffsetAnswer {
        offset: -1,
        timestamp: -1,
    };
}

/// A fetch below the log start or above the high watermark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OutOfRange;

/// An aborted transaction's span in this partition: from its first data batch to its ABORT
/// marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AbortedTxn {
    pub producer_id: i64,
    pub first_offset: i64,
    pub last_offset: i64,
}

/// Whole batches read for a fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReadBatches {
    /// The batches, concatenated.
    pub records: Bytes,
    /// The offset after the last batch returned (the fetch offset when none was).
    pub end_offset: i64,
}

/// One transaction marker to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Marker {
    pub producer_id: i64,
    pub producer_epoch: i16,
    /// COMMIT or ABORT.
    pub commit: bool,
    pub coordinator_epoch: i32,
    pub timestamp: i64,
}

/// One partition's data.
#[derive(Debug, Clone, Default)]
pub(crate) struct PartitionLog {
    batches: VecDeque<StoredBatch>,
    log_start: i64,
    next_offset: i64,
    producers: ProducerStates,
    aborted: Vec<AbortedTxn>,
}

impl PartitionLog {
    /// The first offset still held.
    pub fn log_start_offset(&self) -> i64 {
        self.log_start
    }

    /// The offset the next record will get. Every append is immediately "replicated", so this is
    /// also the high watermark.
    pub fn high_watermark(&self) -> i64 {
        self.next_offset
    }

    /// The first offset of the earliest open transaction, or the high watermark: what a
    /// `read_committed` consumer may read up to.
    pub fn last_stable_offset(&self) -> i64 {
        self.producers
            .first_unstable_offset()
            .filter(|&o| o < self.next_offset)
            .unwrap_or(self.next_offset)
    }

    /// The stored batches, oldest first.
    pub fn batches(&self) -> impl Iterator<Item = &StoredBatch> {
        self.batches.iter()
    }

    /// Number of records from the log start to the high watermark.
    pub fn record_count(&self) -> i64 {
        self.next_offset - self.log_start
    }

    /// Whether `producer_id` has a transaction open on this partition.
    pub fn has_open_transaction(&self, producer_id: i64) -> bool {
        self.producers.has_open_transaction(producer_id)
    }

    /// Forgets the state of producers without an open transaction, as retention does.
    pub fn forget_producers(&mut self) -> usize {
        self.producers.forget_idle()
    }

    /// Appends one data batch (already checked by [`batch::parse_header`]), assigning offsets
    /// and stamping `leader_epoch`. Control batches are refused (only the coordinator writes
    /// markers, through [`PartitionLog::append_marker`]), as is a producer id without a
    /// sequence. A producer's retry of one of its last five batches is answered with the
    /// original offset and not stored again; see [`ProducerStates::check`] for the rest.
    pub fn append(
        &mut self,
        header: &BatchHeader,
        bytes: &[u8],
        leader_epoch: i32,
        unknown: UnknownProducer,
    ) -> Result<Appended, BatchError> {
        if header.is_control() {
            return Err(BatchError {
                code: INVALID_RECORD,
                reason: "clients are not allowed to write control records".into(),
            });
        }
        let idempotent = header.producer_id >= 0;
        if idempotent {
            if header.base_sequence < 0 {
                return Err(BatchError {
                    code: INVALID_RECORD,
                    reason: format!(
                        "invalid sequence number {} in a batch of producer {}",
                        header.base_sequence, header.producer_id
                    ),
                });
            }
            if let Verdict::Duplicate(base_offset) = self.producers.check(header, unknown)? {
                return Ok(Appended {
                    base_offset,
                    duplicate: true,
                });
            }
        }
        let base_offset = self.store(header, bytes, leader_epoch);
        if idempotent {
            let mut stored = *header;
            stored.base_offset = base_offset;
            self.producers.record(&stored, base_offset);
        }
        Ok(Appended {
            base_offset,
            duplicate: false,
        })
    }

    /// Writes a COMMIT or ABORT marker (a control batch of one record) for a producer, as the
    /// transaction coordinator does, ending its transaction here; an ABORT of a transaction
    /// that wrote data here enters the aborted-transaction index. Returns the marker's offset.
    pub fn append_marker(&mut self, marker: &Marker, leader_epoch: i32) -> Result<i64, BatchError> {
        self.producers
            .check_marker(marker.producer_id, marker.producer_epoch)?;
        let kind = if marker.commit {
            ControlKind::Commit
        } else {
            ControlKind::Abort
        };
        let options = BatchOptions {
            producer_id: marker.producer_id,
            producer_epoch: marker.producer_epoch,
            transactional: true,
            partition_leader_epoch: leader_epoch,
            ..BatchOptions::default()
        };
        let mut out = BytesMut::new();
        BatchEncoder::new()
            .encode_control(
                kind,
                marker.coordinator_epoch,
                marker.timestamp,
                &options,
                &mut out,
            )
            .map_err(|e| BatchError {
                code: UNKNOWN_SERVER_ERROR,
                reason: format!("cannot encode a transaction marker: {e}"),
            })?;
        let header = parse_header(&out)?;
        let offset = self.store(&header, &out, leader_epoch);
        let first = self
            .producers
            .end_transaction(marker.producer_id, marker.producer_epoch);
        if let (false, Some(first_offset)) = (marker.commit, first) {
            self.aborted.push(AbortedTxn {
                producer_id: marker.producer_id,
                first_offset,
                last_offset: offset,
            });
        }
        Ok(offset)
    }

    /// Stores a checked batch at the end of the log; returns its base offset.
    fn store(&mut self, header: &BatchHeader, bytes: &[u8], leader_epoch: i32) -> i64 {
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
        base_offset
    }

    /// The aborted transactions a `read_committed` fetch from `fetch_offset` that returned
    /// records up to `end_offset` reports: those that end at or after the fetch offset and
    /// start before the end of what was returned (Kafka's `collectAbortedTxns`).
    pub fn aborted_transactions(&self, fetch_offset: i64, end_offset: i64) -> Vec<AbortedTxn> {
        self.aborted
            .iter()
            .filter(|t| t.last_offset >= fetch_offset && t.first_offset < end_offset)
            .copied()
            .collect()
    }

    /// Whole batches from the one holding `offset` onward and starting below `max_offset` (the
    /// high watermark, or the last stable offset for `read_committed`), concatenated: stops
    /// before a batch that would take the total past `max_bytes`, except that with `min_one`
    /// the first batch is returned whatever its size.
    pub fn read(
        &self,
        offset: i64,
        max_bytes: usize,
        min_one: bool,
        max_offset: i64,
    ) -> Result<ReadBatches, OutOfRange> {
        if offset < self.log_start || offset > self.next_offset {
            return Err(OutOfRange);
        }
        let first = self.batches.partition_point(|b| b.last_offset < offset);
        let mut out = BytesMut::new();
        let mut end_offset = offset;
        for b in self
            .batches
            .iter()
            .skip(first)
            .take_while(|b| b.base_offset < max_offset)
        {
            let fits = out.len() + b.bytes.len() <= max_bytes;
            let first_of_min_one = min_one && out.is_empty();
            if !(fits || first_of_min_one) {
                break;
            }
            out.extend_from_slice(&b.bytes);
            end_offset = b.last_offset + 1;
        }
        Ok(ReadBatches {
            records: out.freeze(),
            end_offset,
        })
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
        self.aborted.retain(|t| t.last_offset >= offset);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::tests::batch;
    use ottla_protocol::records::{decode_batches, DecodeLimits};

    const OUT_OF_ORDER_SEQUENCE_NUMBER: i16 = ResponseError::OutOfOrderSequenceNumber.code();
    const INVALID_PRODUCER_EPOCH: i16 = ResponseError::InvalidProducerEpoch.code();
    const ACCEPT: UnknownProducer = UnknownProducer::Accept;

    fn append(log: &mut PartitionLog, b: &Bytes) -> i64 {
        let h = parse_header(b).unwrap();
        log.append(&h, b, 0, ACCEPT).unwrap().base_offset
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
        let read = |offset, max_bytes, min_one| {
            log.read(offset, max_bytes, min_one, i64::MAX)
                .map(|r| (r.records.len(), r.end_offset))
        };
        assert_eq!(read(1, usize::MAX, false), Ok((a.len() + b.len(), 4)));
        // Too small for one batch: nothing, unless min_one.
        assert_eq!(read(0, 10, false), Ok((0, 0)));
        assert_eq!(read(0, 10, true), Ok((a.len(), 3)));
        // Room for exactly the first batch.
        assert_eq!(read(0, a.len(), false), Ok((a.len(), 3)));
        assert_eq!(read(3, usize::MAX, false), Ok((b.len(), 4)));
        assert_eq!(read(4, usize::MAX, true), Ok((0, 4)));
        assert_eq!(read(5, 100, true), Err(OutOfRange));
        assert_eq!(read(-1, 100, true), Err(OutOfRange));
        // Nothing at or past the upper bound.
        let capped = log.read(0, usize::MAX, true, 3).unwrap();
        assert_eq!((capped.records.len(), capped.end_offset), (a.len(), 3));
        assert!(log.read(0, usize::MAX, true, 0).unwrap().records.is_empty());
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
        assert_eq!(log.read(1, 100, true, i64::MAX), Err(OutOfRange));
        assert_eq!(log.advance_log_start(1), Err(OutOfRange));
        assert_eq!(log.advance_log_start(4), Err(OutOfRange));
    }

    #[test]
    fn idempotent_duplicates_and_gaps() {
        let mut log = PartitionLog::default();
        let (h, b) = idempotent(7, 0, 0, 2);
        assert_eq!(log.append(&h, &b, 0, ACCEPT).unwrap().base_offset, 0);
        let again = log.append(&h, &b, 0, ACCEPT).unwrap();
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
            log.append(&h, &b, 0, ACCEPT).unwrap_err().code,
            OUT_OF_ORDER_SEQUENCE_NUMBER
        );
        let (h, b) = idempotent(7, 0, 2, 1);
        assert_eq!(log.append(&h, &b, 0, ACCEPT).unwrap().base_offset, 2);
        let (h, b) = idempotent(7, 1, 0, 1);
        assert_eq!(log.append(&h, &b, 0, ACCEPT).unwrap().base_offset, 3);
        let (h, b) = idempotent(7, 0, 3, 1);
        assert_eq!(
            log.append(&h, &b, 0, ACCEPT).unwrap_err().code,
            INVALID_PRODUCER_EPOCH
        );
    }

    fn transactional(pid: i64, epoch: i16, seq: i32, n: usize) -> (BatchHeader, Bytes) {
        let (mut h, b) = idempotent(pid, epoch, seq, n);
        h.attributes |= 0x10;
        (h, b)
    }

    fn marker(pid: i64, epoch: i16, commit: bool) -> Marker {
        Marker {
            producer_id: pid,
            producer_epoch: epoch,
            commit,
            coordinator_epoch: 0,
            timestamp: 1_000,
        }
    }

    #[test]
    fn transactions_hold_the_stable_offset_and_abort_into_the_index() {
        let mut log = PartitionLog::default();
        append(&mut log, &batch(&[1]));
        let (h, b) = transactional(1, 0, 0, 2);
        assert_eq!(log.append(&h, &b, 0, ACCEPT).unwrap().base_offset, 1);
        let (h, b) = transactional(2, 0, 0, 1);
        assert_eq!(log.append(&h, &b, 0, ACCEPT).unwrap().base_offset, 3);
        assert_eq!((log.high_watermark(), log.last_stable_offset()), (4, 1));
        assert!(log.has_open_transaction(1));
        // read_committed stops at the last stable offset.
        let read = log.read(0, usize::MAX, true, 1).unwrap();
        assert_eq!(read.end_offset, 1);
        // Producer 1 aborts, producer 2 commits.
        assert_eq!(log.append_marker(&marker(1, 0, false), 3).unwrap(), 4);
        assert_eq!(log.last_stable_offset(), 3);
        assert_eq!(log.append_marker(&marker(2, 0, true), 3).unwrap(), 5);
        assert_eq!((log.high_watermark(), log.last_stable_offset()), (6, 6));
        let aborted = AbortedTxn {
            producer_id: 1,
            first_offset: 1,
            last_offset: 4,
        };
        assert_eq!(log.aborted_transactions(0, 6), vec![aborted]);
        assert_eq!(log.aborted_transactions(0, 1), vec![]);
        assert_eq!(log.aborted_transactions(5, 6), vec![]);
        // The markers are control batches of the producer, decodable by the client's codec.
        let all = log.read(4, usize::MAX, true, i64::MAX).unwrap();
        let decoded = decode_batches(all.records, &DecodeLimits::default()).unwrap();
        let kinds: Vec<_> = decoded
            .batches
            .iter()
            .map(|b| {
                (
                    b.base_offset,
                    b.producer_id,
                    b.is_control,
                    b.transactional,
                    b.control.map(|c| c.kind),
                )
            })
            .collect();
        assert_eq!(
            kinds,
            vec![
                (4, 1, true, true, Some(ControlKind::Abort)),
                (5, 2, true, true, Some(ControlKind::Commit)),
            ]
        );
        assert_eq!(
            log.batches().last().map(|b| b.header.max_timestamp),
            Some(1_000)
        );
        // A stale marker epoch is refused; clients may not write control batches.
        log.append_marker(&marker(1, 3, false), 3).unwrap();
        assert_eq!(
            log.append_marker(&marker(1, 2, false), 3).unwrap_err().code,
            INVALID_PRODUCER_EPOCH
        );
        let control = log
            .batches()
            .last()
            .map(|b| (b.header, b.bytes.clone()))
            .unwrap();
        assert_eq!(
            log.append(&control.0, &control.1, 0, ACCEPT)
                .unwrap_err()
                .code,
            INVALID_RECORD
        );
        // A producer id without a sequence is refused.
        let (h, b) = idempotent(5, 0, -1, 1);
        assert_eq!(
            log.append(&h, &b, 0, ACCEPT).unwrap_err().code,
            INVALID_RECORD
        );
        // Moving the log start past an aborted transaction drops it from the index.
        log.advance_log_start(5).unwrap();
        assert_eq!(log.aborted_transactions(0, 10), vec![]);
    }

    #[test]
    fn forgotten_producers_follow_the_unknown_producer_rule() {
        let mut log = PartitionLog::default();
        let (h, b) = idempotent(7, 0, 0, 2);
        log.append(&h, &b, 0, ACCEPT).unwrap();
        assert_eq!(log.forget_producers(), 1);
        let (h, b) = idempotent(7, 0, 2, 1);
        assert_eq!(
            log.append(&h, &b, 0, UnknownProducer::Reject)
                .unwrap_err()
                .code,
            ResponseError::UnknownProducerId.code()
        );
        assert_eq!(log.append(&h, &b, 0, ACCEPT).unwrap().base_offset, 2);
    }
}
