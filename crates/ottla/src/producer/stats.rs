//! What a producer counts: its queue, deliveries, retries and batch sizes per partition.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::batch::Batch;
use crate::stats::BrokerStats;

/// A snapshot of a producer ([`Producer::stats`](super::Producer::stats)).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct ProducerStats {
    /// Per broker: requests, bytes, round trips, errors, throttling.
    pub brokers: Vec<BrokerStats>,
    /// Records queued or in flight now (what `queue.buffering.max.messages` caps).
    pub queued_records: u64,
    /// Bytes of those records (what `buffer.memory` caps).
    pub queued_bytes: u64,
    /// Batches delivered (acknowledged, or written with `acks=0`).
    pub batches_delivered: u64,
    /// Records in those batches.
    pub records_delivered: u64,
    /// Batches sent again after a retriable error.
    pub retries: u64,
    /// Records that failed for good (their delivery futures hold the errors).
    pub records_failed: u64,
    /// Per partition: delivered batches and their sizes.
    pub partitions: Vec<PartitionProduceStats>,
}

/// Delivered batches of one partition.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct PartitionProduceStats {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
    /// Batches delivered.
    pub batches: u64,
    /// Records in them.
    pub records: u64,
    /// Bytes in them (record batch sizes as sent).
    pub bytes: u64,
    /// The largest batch, in records.
    pub max_batch_records: u64,
}

impl PartitionProduceStats {
    /// The mean batch size in records.
    pub fn avg_batch_records(&self) -> f64 {
        if self.batches == 0 {
            0.0
        } else {
            self.records as f64 / self.batches as f64
        }
    }
}

/// The accumulator's tally (kept under its lock, so plain numbers).
#[derive(Debug, Default)]
pub(crate) struct Tally {
    pub batches_delivered: u64,
    pub records_delivered: u64,
    pub retries: u64,
    pub records_failed: u64,
    partitions: BTreeMap<(Arc<str>, i32), PartitionProduceStats>,
}

impl Tally {
    pub fn delivered(&mut self, batch: &Batch) {
        let records = batch.records as u64;
        self.batches_delivered += 1;
        self.records_delivered += records;
        let p = self
            .partitions
            .entry((Arc::clone(&batch.topic), batch.partition))
            .or_default();
        p.batches += 1;
        p.records += records;
        p.bytes += batch.bytes as u64;
        p.max_batch_records = p.max_batch_records.max(records);
    }

    pub fn partitions(&self) -> Vec<PartitionProduceStats> {
        self.partitions
            .iter()
            .map(|((topic, partition), p)| PartitionProduceStats {
                topic: topic.to_string(),
                partition: *partition,
                ..p.clone()
            })
            .collect()
    }
}
