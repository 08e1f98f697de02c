//! Lambda-style batch processing: a consumer group member hands batches of records to an
//! async handler with the semantics of AWS Lambda's Kafka event source mapping — batch size,
//! batching window and payload cap; offsets committed only after the batch succeeded;
//! retries with backoff, `max.retries` and `max.record.age.ms`; bisection on error; partial
//! batch responses; a failure destination; OffsetLag.
//!
//! | file | what |
//! |---|---|
//! | `config.rs` | [`ProcessorConfig`]: Lambda's options under Kafka-style keys |
//! | `event.rs` | [`Batch`] and Lambda's event JSON, [`BatchResponse`], [`Handler`] |
//! | `batcher.rs` | which records go into the next batch (sans-IO) |
//! | `job.rs` | one batch until processed or given up: retries, bisection, partial responses |
//! | `failure.rs` | [`FailureRecord`]: what the failure destination receives |
//! | `lambda.rs` | `lambda_handler`: a `lambda_runtime` function as a handler (feature `lambda`) |
//! | `run.rs` | [`Processor`]: the loop, commits, pauses, the rebalance listener |
//! | `stats.rs` | [`ProcessorStats`] |
//!
//! At least once: a record is handed to the handler again after a retry, a crash or a
//! rebalance, so handlers should be idempotent (e.g. keyed on `topic-partition-offset`).
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use ottla::processor::{Batch, BatchResponse, HandlerError, Processor, ProcessorConfig};
//! let mut config = ProcessorConfig::builder();
//! config.bootstrap_servers("localhost:9092").group_id("orders-processor").topics(["orders"]);
//! config.set("batch.size", "500")?.set("starting.position", "TRIM_HORIZON")?;
//! let processor = Processor::new(config.build()?, |batch: Batch| async move {
//!     for record in batch.records() {
//!         println!("{}-{} @ {}", record.topic, record.partition, record.offset);
//!     }
//!     Ok::<_, HandlerError>(BatchResponse::success())
//! })
//! .await?;
//! let stats = processor.run_until(async { let _ = tokio::signal::ctrl_c().await; }).await?;
//! println!("{} records", stats.records_processed);
//! # Ok(()) }
//! ```

mod batcher;
mod config;
mod event;
mod failure;
mod job;
#[cfg(feature = "lambda")]
mod lambda;
mod run;
mod stats;

pub use config::{
    Destination, EventSource, FailureCallback, ProcessorConfig, ProcessorConfigBuilder,
    StartingPosition, LAMBDA_PAYLOAD_BYTES, MAX_BATCH_SIZE, MAX_RETRIES_WITH_DESTINATION,
    MAX_WINDOW_MS, PROCESSOR_KEYS,
};
pub use event::{
    Batch, BatchResponse, FailedRecord, Handler, HandlerError, KafkaEvent, KafkaEventRecord,
};
pub use failure::{
    Condition, FailureRecord, KafkaBatchInfo, RecordInfo, RecordsInfo, RequestContext,
    ResponseContext,
};
#[cfg(feature = "lambda")]
pub use lambda::lambda_handler;
pub use run::{Processor, ProcessorHandle};
pub use stats::ProcessorStats;
