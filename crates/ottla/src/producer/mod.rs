//! The producer: batching, partitioning, idempotence, retries and transactions.
//!
//! `send` appends the record to its partition's open batch under one short lock and returns
//! a [`DeliveryFuture`]. A sender task closes batches when they are full or after
//! `linger.ms`, sends one Produce request per broker (one batch per partition) on connections
//! reserved for produce traffic, and completes or retries each batch from the response.
//!
//! | file | holds |
//! |---|---|
//! | `config.rs` | `ProducerConfig` and its builder, Kafka property names |
//! | `record.rs` | `ProducerRecord`, `RecordMetadata` |
//! | `accumulator.rs` | per-partition queues, buffer limits, partition choice |
//! | `batch.rs` | one batch, its sequence numbers and bytes |
//! | `pool.rs` | spent batch buffers kept for reuse |
//! | `drain.rs` | which batches go now, to which broker |
//! | `outcome.rs` | what a response means for each batch (retry, bump, fail) |
//! | `sender.rs` | the task that does the I/O |
//! | `coordinator.rs` | InitProducerId and the transaction coordinator requests |
//! | `transaction.rs` | the transaction API |
//! | `delivery.rs` | delivery futures |

mod accumulator;
mod batch;
mod config;
mod coordinator;
mod delivery;
mod drain;
mod handle;
mod outcome;
mod pool;
mod record;
mod sender;
mod stats;
mod transaction;

pub use config::{ProducerConfig, ProducerConfigBuilder, PRODUCER_KEYS};
pub use coordinator::GroupMetadata;
pub use delivery::{DeliveryError, DeliveryFuture};
pub use handle::Producer;
pub use record::{ProducerRecord, RecordMetadata};
pub use stats::{PartitionProduceStats, ProducerStats};
pub use transaction::TransactionPhase;
