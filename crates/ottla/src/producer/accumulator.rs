//! The accumulator: per-partition queues of batches, the buffer limits, and the choice of
//! partition. `send` appends here under one short lock; the sender task drains ready batches
//! from here (see `drain.rs`) and hands outcomes back (see `outcome.rs`).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use ottla_protocol::records::{record_size_bound, RECORD_BATCH_OVERHEAD};
use tokio::time::Instant;

use super::batch::Batch;
use super::config::ProducerConfig;
use super::delivery::{BatchOutcome, DeliveryFuture};
use super::pool::BufferPool;
use super::record::ProducerRecord;
use super::stats::Tally;
use super::transaction::TxnState;
use crate::error::Error;
use crate::partitioner::{partition_for_key, StickyPartitioner};

/// A new batch starts with room for this many bytes, or for as many as the partition's last
/// batch held (never more than `batch.size`), and grows once, to `batch.size`, if it must.
const INITIAL_BATCH_CAPACITY: usize = 256 * 1024;

/// The producer id and epoch an idempotent producer stamps on its batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Identity {
    pub producer_id: i64,
    pub epoch: i16,
}

/// One partition's queue.
#[derive(Debug, Default)]
pub(crate) struct PartitionQueue {
    /// The batch records are appended to.
    pub open: Option<Batch>,
    /// Closed batches waiting to be sent (or sent again), in sequence order.
    pub queue: VecDeque<Batch>,
    /// Requests carrying a batch of this partition.
    pub in_flight: usize,
    /// The producer id and epoch this partition's sequence numbers count under.
    pub producer_id: Option<i64>,
    /// See `producer_id`.
    pub epoch: Option<i16>,
    /// The next sequence number to give out (idempotence).
    pub next_sequence: i32,
    /// The last sequence number the broker acknowledged, -1 for none this epoch.
    pub last_acked: i32,
    /// Added to the ongoing transaction.
    pub in_txn: bool,
    /// An AddPartitionsToTxn for it is on its way.
    pub adding_to_txn: bool,
    /// Its sequence numbers start over under the next epoch (a gap or a lost producer
    /// state); its queued batches are stamped again.
    pub reset_sequences: bool,
    /// Bytes of the last batch closed here: the next batch's buffer starts that large, so a
    /// stream of big records does not grow (and copy) every buffer from the initial size.
    pub last_batch_bytes: usize,
}

impl PartitionQueue {
    fn new() -> Self {
        Self {
            last_acked: -1,
            ..Self::default()
        }
    }

    /// Closes the open batch (if any) and queues it for sending.
    pub fn seal(&mut self) {
        if let Some(b) = self.open.take() {
            self.last_batch_bytes = b.size_in_bytes();
            self.queue.push_back(b);
        }
    }

    /// Puts a batch back for another attempt, keeping sequence order: batches that already
    /// have sequence numbers go before those that do not, in sequence order.
    pub fn requeue(&mut self, batch: Batch) {
        let position = match batch.sequence {
            Some(s) => self
                .queue
                .iter()
                .position(|b| b.sequence.is_none_or(|q| q.base > s.base))
                .unwrap_or(self.queue.len()),
            None => 0,
        };
        self.queue.insert(position, batch);
    }
}

/// One topic's partitions.
#[derive(Debug)]
pub(crate) struct TopicQueues {
    pub partitions: Vec<PartitionQueue>,
    /// Partitions with a leader, for the sticky choice.
    pub available: Vec<i32>,
    pub sticky: StickyPartitioner,
}

/// What `append` did.
#[derive(Debug)]
pub(crate) enum Appended {
    /// Queued.
    Queued {
        delivery: DeliveryFuture,
        /// A batch was started or closed: the sender should look.
        wake: bool,
    },
    /// The topic's partitions are not known yet.
    NeedTopic,
    /// The buffer has no room for a record of `size` bytes.
    NeedRoom {
        /// The record's size in the buffer.
        size: usize,
    },
}

/// Everything the producer holds behind its lock.
#[derive(Debug)]
pub(crate) struct Accumulator {
    /// Looked up once per record: foldhash, not SipHash (the keys are topic names the
    /// application chose, not input an attacker picks to collide).
    pub topics: HashMap<Arc<str>, TopicQueues, foldhash::fast::RandomState>,
    pub buffered_bytes: usize,
    pub buffered_records: usize,
    /// Outcomes of every batch not yet completed, for `flush`.
    pub incomplete: BTreeMap<u64, Arc<BatchOutcome>>,
    pub next_batch_id: u64,
    /// `flush` calls in progress: while any runs, linger is not waited for.
    pub flushes: usize,
    pub closing: bool,
    /// Set once: every later send fails with it (fenced, producer id lost).
    pub fatal: Option<Error>,
    /// Requests in flight per broker.
    pub broker_in_flight: HashMap<i32, usize>,
    /// Idempotence: the current producer id and epoch.
    pub identity: Option<Identity>,
    /// The epoch must be bumped before anything else is sent (a sequence gap).
    pub bump_needed: bool,
    /// Transactions, for a transactional producer.
    pub txn: Option<TxnState>,
    /// Buffers of delivered batches, for new ones.
    pub pool: BufferPool,
    /// Deliveries, retries and batch sizes ([`ProducerStats`](super::ProducerStats)).
    pub tally: Tally,
    rng: rand::rngs::SmallRng,
}

impl Accumulator {
    pub fn new(transactional: bool) -> Self {
        use rand::SeedableRng;
        Self {
            topics: HashMap::default(),
            buffered_bytes: 0,
            buffered_records: 0,
            incomplete: BTreeMap::new(),
            next_batch_id: 0,
            flushes: 0,
            closing: false,
            fatal: None,
            broker_in_flight: HashMap::new(),
            identity: None,
            bump_needed: false,
            txn: transactional.then(TxnState::default),
            pool: BufferPool::default(),
            rng: rand::rngs::SmallRng::from_os_rng(),
            tally: Tally::default(),
        }
    }

    /// Learns (or updates) a topic's partition count and which partitions have a leader.
    pub fn set_topic(&mut self, topic: &str, partitions: i32, available: Vec<i32>) {
        let count = usize::try_from(partitions).unwrap_or(0);
        match self.topics.get_mut(topic) {
            Some(t) => {
                if t.partitions.len() < count {
                    t.partitions.resize_with(count, PartitionQueue::new);
                }
                t.available = available;
            }
            None => {
                let mut queues = Vec::with_capacity(count);
                queues.resize_with(count, PartitionQueue::new);
                self.topics.insert(
                    Arc::from(topic),
                    TopicQueues {
                        partitions: queues,
                        available,
                        sticky: StickyPartitioner::new(),
                    },
                );
            }
        }
    }

    /// Queues one record. `chosen` is a custom partitioner's pick, if it made one. `now` is
    /// read only when a batch starts (a clock read per record is a measurable cost).
    pub fn append(
        &mut self,
        record: &ProducerRecord,
        chosen: Option<i32>,
        timestamp: i64,
        config: &ProducerConfig,
        now: impl FnOnce() -> Instant,
    ) -> Result<Appended, Error> {
        if let Some(e) = &self.fatal {
            return Err(e.clone());
        }
        if self.closing {
            return Err(Error::Closed);
        }
        if let Some(txn) = &self.txn {
            txn.check_can_send()?;
        }
        let size = record_size(record);
        check_size(size, config)?;
        let room = self.has_room(size, config);
        let Some(topic) = self.topics.get_mut(&*record.topic) else {
            return Ok(Appended::NeedTopic);
        };
        let count = i32::try_from(topic.partitions.len()).unwrap_or(i32::MAX);
        if count == 0 {
            return Ok(Appended::NeedTopic);
        }
        let mut sticky = false;
        let mut wake = false;
        let partition = match (record.partition, chosen, &record.key) {
            (Some(p), _, _) | (None, Some(p), _) => p,
            (None, None, Some(key)) => partition_for_key(key, count),
            (None, None, None) => {
                sticky = true;
                let p = topic
                    .sticky
                    .partition(count, &topic.available, &mut self.rng);
                // A full batch is where the sticky partition moves on (KIP-794 switches on
                // batch boundaries): staying would start a batch of one record before the
                // byte count moves it (99 + 1 records per batch for 10 KB records and
                // batch.size 1 MB, the lone record sent nearly uncompressed).
                let pq = usize::try_from(p)
                    .ok()
                    .and_then(|i| topic.partitions.get_mut(i));
                match pq {
                    Some(pq) if pq.open.as_ref().is_some_and(|b| !fits(b, size, config)) => {
                        pq.seal();
                        wake = true;
                        topic.sticky.batch_full();
                        topic
                            .sticky
                            .partition(count, &topic.available, &mut self.rng)
                    }
                    _ => p,
                }
            }
        };
        let Some(pq) = usize::try_from(partition)
            .ok()
            .and_then(|i| topic.partitions.get_mut(i))
        else {
            return Err(Error::UnknownTopicOrPartition {
                topic: record.topic.to_string(),
                partition: Some(partition),
            });
        };
        if !room {
            return Ok(Appended::NeedRoom { size });
        }
        // Close the open batch if this record does not fit.
        if pq.open.as_ref().is_some_and(|b| !fits(b, size, config)) {
            pq.seal();
            wake = true;
        }
        let batch = match &mut pq.open {
            Some(b) => b,
            None => {
                let id = self.next_batch_id;
                self.next_batch_id += 1;
                let capacity = config
                    .batch_size
                    .min(INITIAL_BATCH_CAPACITY.max(pq.last_batch_bytes));
                let buffer = self.pool.take();
                let topic = Arc::clone(&record.topic);
                let mut b = Batch::new(id, topic, partition, buffer, capacity, now());
                b.transactional = self.txn.is_some();
                self.incomplete.insert(id, Arc::clone(&b.outcome));
                wake = true;
                pq.open.insert(b)
            }
        };
        let builder = batch
            .builder_mut()
            .ok_or(Error::Internal("the open batch was already built"))?;
        if builder.spare_capacity() < size {
            // Grow once, to what the batch may still take.
            let room = config.batch_size.saturating_sub(builder.size_in_bytes());
            builder.reserve(room.max(size));
        }
        builder
            .append(
                timestamp,
                record.key.as_deref(),
                record.value.as_deref(),
                &record.headers,
            )
            .map_err(|e| Error::Encode {
                context: format!("{}-{partition}", record.topic),
                source: e.into(),
            })?;
        let index = u32::try_from(batch.records).unwrap_or(u32::MAX);
        batch.records += 1;
        batch.bytes += size;
        self.buffered_bytes += size;
        self.buffered_records += 1;
        let delivery = DeliveryFuture {
            outcome: Arc::clone(&batch.outcome),
            index,
            timestamp,
        };
        if batch.records >= config.batch_num_messages
            || batch.size_in_bytes() + RECORD_BATCH_OVERHEAD >= config.batch_size
        {
            pq.seal();
            wake = true;
        }
        if sticky {
            topic.sticky.produced(size, config.batch_size);
        }
        Ok(Appended::Queued { delivery, wake })
    }

    /// Whether a record of `size` bytes fits in the buffer now (an empty buffer takes any
    /// record `check_size` let through).
    pub fn has_room(&self, size: usize, config: &ProducerConfig) -> bool {
        self.buffered_records == 0
            || (self.buffered_bytes + size <= config.buffer_memory
                && self.buffered_records < config.buffer_max_messages)
    }

    /// Gives a completed batch's buffer space back and forgets it.
    pub fn release(&mut self, batch: &Batch) {
        self.buffered_bytes = self.buffered_bytes.saturating_sub(batch.bytes);
        self.buffered_records = self.buffered_records.saturating_sub(batch.records);
        self.incomplete.remove(&batch.id);
    }

    /// The partition queue of a batch.
    pub fn queue_of(&mut self, topic: &str, partition: i32) -> Option<&mut PartitionQueue> {
        self.topics
            .get_mut(topic)?
            .partitions
            .get_mut(usize::try_from(partition).ok()?)
    }

    /// Whether nothing is waiting or in flight.
    pub fn is_idle(&self) -> bool {
        self.incomplete.is_empty()
    }

    /// Takes every batch not in flight (open and queued), for a close that gives up or an
    /// aborted transaction.
    pub fn take_unsent(&mut self) -> Vec<Batch> {
        let mut out = Vec::new();
        for t in self.topics.values_mut() {
            for pq in &mut t.partitions {
                out.extend(pq.queue.drain(..));
                out.extend(pq.open.take());
            }
        }
        out
    }
}

/// Whether `batch` can take one more record of `size` bytes.
fn fits(batch: &Batch, size: usize, config: &ProducerConfig) -> bool {
    batch.records < config.batch_num_messages && batch.size_in_bytes() + size <= config.batch_size
}

/// The bytes a record takes in a batch, at most.
fn record_size(record: &ProducerRecord) -> usize {
    record_size_bound(
        record.key.as_deref(),
        record.value.as_deref(),
        &record.headers,
    )
}

fn check_size(size: usize, config: &ProducerConfig) -> Result<(), Error> {
    let in_batch = size + RECORD_BATCH_OVERHEAD;
    if in_batch > config.message_max_bytes {
        return Err(Error::RecordTooLarge {
            size: in_batch,
            max: config.message_max_bytes,
            key: "message.max.bytes",
        });
    }
    if size > config.buffer_memory {
        return Err(Error::RecordTooLarge {
            size,
            max: config.buffer_memory,
            key: "buffer.memory",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keyless records fill every batch before the sticky partition moves on: no batch of
    /// one record left behind at each switch.
    #[test]
    fn keyless_records_fill_each_batch() {
        let mut config = ProducerConfig::builder();
        config.bootstrap_servers("127.0.0.1:9092").batch_size(3_500);
        let config = config.build().unwrap();
        let mut acc = Accumulator::new(false);
        acc.set_topic("t", 4, vec![0, 1, 2, 3]);
        let topic: Arc<str> = Arc::from("t");
        for _ in 0..40 {
            let record = ProducerRecord::new(Arc::clone(&topic), vec![b'x'; 1_000]);
            let appended = acc.append(&record, None, 1_000, &config, Instant::now);
            assert!(
                matches!(appended, Ok(Appended::Queued { .. })),
                "{appended:?}"
            );
        }
        let sealed: Vec<usize> = acc.topics["t"]
            .partitions
            .iter()
            .flat_map(|q| q.queue.iter().map(|b| b.records))
            .collect();
        assert!(sealed.len() >= 10, "{sealed:?}");
        assert!(sealed.iter().all(|&n| n == 3), "{sealed:?}");
    }
}
