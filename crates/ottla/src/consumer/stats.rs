//! What a consumer counts: its fetches and what came of them, its rebalances, and where it
//! stands in each partition.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::stats::BrokerStats;

/// A snapshot of a consumer's counters since it was made
/// ([`Consumer::stats`](super::Consumer::stats)).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct ConsumerStats {
    /// Fetch requests answered.
    pub fetches: u64,
    /// Of those, incremental fetches in a fetch session (KIP-227): they listed only the
    /// partitions that changed.
    pub incremental_fetches: u64,
    /// Fetch sessions a broker no longer knew, or refused, so the next fetch started over.
    pub fetch_session_resets: u64,
    /// Fetch requests sent to a partition's preferred read replica rather than its leader
    /// (KIP-392, with `client.rack`).
    pub follower_fetches: u64,
    /// Times a broker said it no longer led a partition and named the new leader (KIP-951),
    /// so the next fetch went there without a metadata round trip.
    pub leader_hints: u64,
    /// Times the log was found truncated under this consumer's position (KIP-320: a leader
    /// change lost records it had read) and the position moved back to where the logs agree.
    pub truncations: u64,
    /// Records fetched and queued for the application (records of a partition revoked
    /// before the application took them are counted but not handed out).
    pub records_fetched: u64,
    /// Bytes of fetched records waiting for the application now (what
    /// `queued.max.messages.kbytes` caps; the batch being handed out is not counted).
    pub buffered_bytes: u64,
    /// Assignments received from the group (one per rebalance this member took part in;
    /// with KIP-848, one per assignment change).
    pub rebalances: u64,
    /// Per broker: requests, bytes, round trips, errors, throttling.
    pub brokers: Vec<BrokerStats>,
    /// Per assigned partition: position and lag.
    pub partitions: Vec<PartitionConsumeStats>,
}

/// Where a consumer stands in one assigned partition.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct PartitionConsumeStats {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
    /// The offset of the next record handed out.
    pub position: Option<i64>,
    /// Records after the position (end at the last fetch minus the position).
    pub lag: Option<i64>,
}

/// The live counters behind [`ConsumerStats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub fetches: AtomicU64,
    pub incremental_fetches: AtomicU64,
    pub fetch_session_resets: AtomicU64,
    pub follower_fetches: AtomicU64,
    pub truncations: AtomicU64,
    pub leader_hints: AtomicU64,
    pub records_fetched: AtomicU64,
    pub rebalances: AtomicU64,
}

impl Counters {
    pub fn snapshot(&self) -> ConsumerStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        ConsumerStats {
            fetches: get(&self.fetches),
            incremental_fetches: get(&self.incremental_fetches),
            fetch_session_resets: get(&self.fetch_session_resets),
            follower_fetches: get(&self.follower_fetches),
            truncations: get(&self.truncations),
            leader_hints: get(&self.leader_hints),
            records_fetched: get(&self.records_fetched),
            buffered_bytes: 0,
            rebalances: get(&self.rebalances),
            brokers: Vec::new(),
            partitions: Vec::new(),
        }
    }
}
