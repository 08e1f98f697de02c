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
