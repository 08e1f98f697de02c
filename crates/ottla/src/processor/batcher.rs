//! Which records go into the next batch (sans-IO: time is passed in). Records wait per
//! partition; a batch goes out when the records of partitions not in a batch already fill
//! it (`batch.size`), their payload reaches `batch.max.bytes`, or the oldest of them has
//! waited `batch.window.ms`. A partition is in one batch at a time, its records in order.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use super::event::record_event_size;
use crate::consumer::ConsumerRecord;
use crate::group::TopicPartition;

#[derive(Debug, Default)]
struct Queue {
    /// Records with their payload size and arrival time.
    records: VecDeque<(ConsumerRecord, usize, Instant)>,
    bytes: usize,
}

/// The records waiting for a batch.
#[derive(Debug)]
pub(crate) struct Batcher {
    size: usize,
    window: Duration,
    max_bytes: usize,
    queues: BTreeMap<TopicPartition, Queue>,
    busy: HashSet<TopicPartition>,
}

impl Batcher {
    pub fn new(size: usize, window: Duration, max_bytes: usize) -> Self {
        Self {
            size: size.max(1),
            window,
            max_bytes: max_bytes.max(1),
            queues: BTreeMap::new(),
            busy: HashSet::new(),
        }
    }

    /// Queues a record that arrived at `now`.
    pub fn push(&mut self, tp: TopicPartition, record: ConsumerRecord, now: Instant) {
        let size = record_event_size(&record);
        let q = self.queues.entry(tp).or_default();
        q.bytes += size;
        q.records.push_back((record, size, now));
    }

    /// Records waiting in `tp`'s queue.
    pub fn queued(&self, tp: &TopicPartition) -> usize {
        self.queues.get(tp).map_or(0, |q| q.records.len())
    }

    /// Whether `tp` is in a batch being processed.
    pub fn is_busy(&self, tp: &TopicPartition) -> bool {
        self.busy.contains(tp)
    }

    fn free(&self) -> impl Iterator<Item = (&TopicPartition, &Queue)> {
        self.queues
            .iter()
            .filter(|(tp, q)| !q.records.is_empty() && !self.busy.contains(*tp))
    }

    /// When the oldest record not in a batch has waited the window (`None`: none waits).
    pub fn deadline(&self) -> Option<Instant> {
        self.free()
            .filter_map(|(_, q)| q.records.front().map(|(_, _, at)| *at + self.window))
            .min()
    }

    /// The next batch, when one is due at `now`; its partitions are busy until
    /// [`release`](Self::release).
    pub fn take(&mut self, now: Instant) -> Option<Vec<ConsumerRecord>> {
        let (count, bytes) = self
            .free()
            .fold((0, 0), |(c, b), (_, q)| (c + q.records.len(), b + q.bytes));
        let due = count >= self.size
            || bytes >= self.max_bytes
            || self.deadline().is_some_and(|d| d <= now);
        if count == 0 || !due {
            return None;
        }
        // Partitions whose records have waited longest go first.
        let mut order: Vec<(Instant, TopicPartition)> = self
            .free()
            .filter_map(|(tp, q)| q.records.front().map(|(_, _, at)| (*at, tp.clone())))
            .collect();
        order.sort();
        let mut batch = Vec::new();
        let mut batch_bytes = 0;
        'partitions: for (_, tp) in order {
            let Some(q) = self.queues.get_mut(&tp) else {
                continue;
            };
            let mut took = false;
            while let Some((_, size, _)) = q.records.front() {
                let full = batch.len() >= self.size
                    || (!batch.is_empty() && batch_bytes + size > self.max_bytes);
                if full {
                    if took {
                        self.busy.insert(tp);
                    }
                    break 'partitions;
                }
                let Some((record, size, _)) = q.records.pop_front() else {
                    break;
                };
                q.bytes -= size;
                batch_bytes += size;
                batch.push(record);
                took = true;
            }
            if took {
                self.busy.insert(tp);
            }
        }
        Some(batch)
    }

    /// A batch of these partitions is done: their next records may go out.
    pub fn release<'a>(&mut self, partitions: impl IntoIterator<Item = &'a TopicPartition>) {
        for tp in partitions {
            self.busy.remove(tp);
        }
    }

    /// Forgets `tp`'s waiting records (the partition was revoked or lost).
    pub fn drop_partition(&mut self, tp: &TopicPartition) {
        self.queues.remove(tp);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use bytes::Bytes;
    use ottla_protocol::records::TimestampType;

    use super::*;

    fn record(p: i32, offset: i64, value_len: usize) -> (TopicPartition, ConsumerRecord) {
        (
            TopicPartition::new("t", p),
            ConsumerRecord {
                topic: Arc::from("t"),
                partition: p,
                offset,
                timestamp: 0,
                timestamp_type: TimestampType::CreateTime,
                leader_epoch: None,
                key: None,
                value: Some(Bytes::from(vec![b'x'; value_len])),
                headers: Vec::new(),
            },
        )
    }

    fn offsets(batch: &[ConsumerRecord]) -> Vec<(i32, i64)> {
        batch.iter().map(|r| (r.partition, r.offset)).collect()
    }

    #[test]
    fn a_batch_goes_when_full_or_when_the_window_closes() {
        let t0 = Instant::now();
        let mut b = Batcher::new(3, Duration::from_millis(500), 1 << 20);
        let (tp, r) = record(0, 0, 10);
        b.push(tp, r, t0);
        assert!(b.take(t0).is_none(), "not full, window open");
        assert_eq!(b.deadline(), Some(t0 + Duration::from_millis(500)));
        for o in 1..4 {
            let (tp, r) = record(0, o, 10);
            b.push(tp, r, t0 + Duration::from_millis(10));
        }
        let first = b.take(t0 + Duration::from_millis(10)).unwrap();
        assert_eq!(offsets(&first), [(0, 0), (0, 1), (0, 2)]);
        // Partition 0 is busy: its last record waits for the release, window or not.
        assert!(b.take(t0 + Duration::from_secs(5)).is_none());
        assert_eq!(b.deadline(), None);
        b.release([&TopicPartition::new("t", 0)]);
        assert!(b.take(t0 + Duration::from_millis(100)).is_none());
        let second = b.take(t0 + Duration::from_millis(510)).unwrap();
        assert_eq!(offsets(&second), [(0, 3)]);
    }

    #[test]
    fn batches_mix_free_partitions_oldest_first_and_respect_the_payload_cap() {
        let t0 = Instant::now();
        let mut b = Batcher::new(100, Duration::ZERO, 1 << 20);
        for (p, o, at) in [(1, 0, 5), (0, 0, 1), (0, 1, 6), (1, 1, 7)] {
            let (tp, r) = record(p, o, 100);
            b.push(tp, r, t0 + Duration::from_millis(at));
        }
        let batch = b.take(t0 + Duration::from_millis(10)).unwrap();
        assert_eq!(offsets(&batch), [(0, 0), (0, 1), (1, 0), (1, 1)]);
        let one = record_event_size(&batch[0]);
        b.release([&TopicPartition::new("t", 0), &TopicPartition::new("t", 1)]);

        // A cap of two records' payload: two per batch; a record over the cap goes alone.
        let mut b = Batcher::new(100, Duration::ZERO, 2 * one);
        for o in 0..5 {
            let (tp, r) = record(0, o, 100);
            b.push(tp, r, t0);
        }
        let (tp, r) = record(0, 5, 10_000);
        b.push(tp.clone(), r, t0);
        let mut sizes = Vec::new();
        while let Some(batch) = b.take(t0) {
            sizes.push(batch.len());
            b.release([&tp]);
        }
        assert_eq!(sizes, [2, 2, 1, 1]);
        assert_eq!(b.queued(&tp), 0);
    }

    #[test]
    fn a_dropped_partition_loses_its_waiting_records_only() {
        let t0 = Instant::now();
        let mut b = Batcher::new(10, Duration::ZERO, 1 << 20);
        for p in 0..2 {
            let (tp, r) = record(p, 0, 1);
            b.push(tp, r, t0);
        }
        b.drop_partition(&TopicPartition::new("t", 0));
        let batch = b.take(t0).unwrap();
        assert_eq!(offsets(&batch), [(1, 0)]);
    }
}
