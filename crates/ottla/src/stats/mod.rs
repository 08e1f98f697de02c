//! What a client counts, and snapshots of it for applications and operators.
//!
//! Every [`Client`](crate::Client) counts per broker: requests, bytes each way, round-trip
//! times, errors, throttling and connections ([`BrokerStats`], in
//! [`Client::stats`](crate::Client::stats)). The producer adds its queue, retries and batch
//! sizes per partition ([`ProducerStats`](crate::producer::ProducerStats)), the consumer its
//! fetches, rebalances and lag per partition
//! ([`ConsumerStats`](crate::consumer::ConsumerStats)), the processor Lambda's OffsetLag,
//! retries and failures ([`ProcessorStats`](crate::processor::ProcessorStats)). Snapshots
//! are plain data (`serde::Serialize`); with the `prometheus` feature, `stats::prometheus` writes
//! them in Prometheus' text format.
//!
//! | file | what |
//! |---|---|
//! | `broker.rs` | `BrokerCounters` (atomics, updated by the connection tasks) and [`BrokerStats`] |
//! | `registry.rs` | the counters of one client, by broker |
//! | `prometheus.rs` | the text exposition format (feature `prometheus`) |

mod broker;
#[cfg(feature = "prometheus")]
pub mod prometheus;
mod registry;

pub(crate) use broker::BrokerCounters;
pub use broker::BrokerStats;

use std::sync::atomic::{AtomicU64, Ordering};

/// Adds `n` to a counter of the stats (relaxed: counters are read as snapshots).
pub(crate) fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}
pub(crate) use registry::StatsRegistry;
