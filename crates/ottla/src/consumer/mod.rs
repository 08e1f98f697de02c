//! The consumer: a group member that reads the partitions it is assigned.
//!
//! | file | what |
//! |---|---|
//! | `config.rs` | [`ConsumerConfig`] by the Java client's and librdkafka's property names |
//! | `handle.rs` | [`Consumer`]: subscribe, receive records, commit, close |
//! | `commit.rs` | manual commits: named offsets with metadata, commits that do not wait |
//! | `task.rs` | the task behind it: group events, positions, one Fetch per leader at a time, auto commit |
//! | `listener.rs` | [`RebalanceListener`]: callbacks on assigned, revoked and lost |
//! | `owner.rs` | where the partitions come from: a group (subscribe) or the application (assign) |
//! | `record.rs` | [`ConsumerRecord`] |
//! | `stats.rs` | [`ConsumerStats`]: fetches, fetch sessions, follower fetches, truncations |
//! | `task/fetching.rs` | the task's fetches: which broker, sessions, leader epochs, what each answer does |
//!
//! ## Delivery: at least once
//!
//! Each record is handed out once per assignment of its partition, in offset order. It comes
//! again — to this member or another — only when its partition changes hands (a rebalance,
//! the member losing the group) before an offset past it was committed: the next owner starts
//! at the last committed offset. That is the whole window: a record below an offset whose
//! commit succeeded never comes again. [`Consumer::commit`] commits the partitions assigned
//! when it runs; rebalances run beside the application, so records received before a
//! rebalance that took their partition are left to the next owner, not committed by this
//! member (commit in [`RebalanceListener::on_revoked`] to narrow the window).
//! `tests/faults_kafka.rs` checks this on a 3-broker cluster with brokers killed and
//! connections cut, and counts the redeliveries.
//!
//! ```no_run
//! # async fn run() -> Result<(), ottla::Error> {
//! use ottla::consumer::{Consumer, ConsumerConfig};
//! let mut config = ConsumerConfig::builder();
//! config.bootstrap_servers("localhost:9092");
//! config.set("group.id", "orders")?.set("auto.offset.reset", "earliest")?;
//! let mut consumer = Consumer::new(config.build()?).await?;
//! consumer.subscribe(["orders"])?;
//! let record = consumer.recv().await?;
//! println!("{}-{} @ {}", record.topic, record.partition, record.offset);
//! consumer.close().await?;
//! # Ok(()) }
//! ```

mod commit;
mod config;
mod handle;
mod listener;
mod owner;
mod record;
mod stats;
mod task;

pub use commit::PendingCommit;
pub use config::{
    ConsumerConfig, ConsumerConfigBuilder, GroupProtocol, OffsetReset, CONSUMER_KEYS,
};
pub use handle::Consumer;
pub use listener::{Rebalance, RebalanceListener};
pub use record::{ConsumerEvent, ConsumerRecord};
pub use stats::{ConsumerStats, PartitionConsumeStats};
