//! What the processor counts, and each partition's OffsetLag.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::group::TopicPartition;

/// A snapshot of a processor's counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct ProcessorStats {
    /// Batches formed.
    pub batches: u64,
    /// Handler calls (first calls, retries and bisected halves).
    pub calls: u64,
    /// Calls that failed wholly or in part.
    pub failed_calls: u64,
    /// Calls that were retries of a failed batch (not first calls, not bisected halves).
    pub retries: u64,
    /// Records done with, whose offsets may be committed: those a call succeeded for, and
    /// those given up (counted again in `records_failed`); the successes are
    /// `records_processed - records_failed`.
    pub records_processed: u64,
    /// Records given up (sent to the failure destination, or dropped without one).
    pub records_failed: u64,
    /// Failure records written to the destination.
    pub destination_writes: u64,
    /// Per partition: its end (high watermark, at the last fetch) minus the next offset to
    /// process (Lambda's OffsetLag), for the partitions owned.
    #[serde(serialize_with = "by_name")]
    pub offset_lag: BTreeMap<TopicPartition, i64>,
}

/// `topic-partition` keys, as Kafka's tools name partitions.
fn by_name<S: serde::Serializer>(
    lag: &BTreeMap<TopicPartition, i64>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_map(
        lag.iter()
            .map(|(tp, l)| (format!("{}-{}", tp.topic, tp.partition), l)),
    )
}

impl ProcessorStats {
    /// The sum over partitions (Lambda's topic-level OffsetLag).
    pub fn total_offset_lag(&self) -> i64 {
        self.offset_lag.values().sum()
    }
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub batches: AtomicU64,
    pub calls: AtomicU64,
    pub failed_calls: AtomicU64,
    pub retries: AtomicU64,
    pub records_processed: AtomicU64,
    pub records_failed: AtomicU64,
    pub destination_writes: AtomicU64,
}

impl Counters {
    pub fn snapshot(&self) -> ProcessorStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        ProcessorStats {
            batches: get(&self.batches),
            calls: get(&self.calls),
            failed_calls: get(&self.failed_calls),
            retries: get(&self.retries),
            records_processed: get(&self.records_processed),
            records_failed: get(&self.records_failed),
            destination_writes: get(&self.destination_writes),
            offset_lag: BTreeMap::new(),
        }
    }
}
