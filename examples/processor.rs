//! Lambda-style batch processing (the semantics of an MSK event source mapping): batches of
//! up to 100 records or 500 ms, offsets committed only after the handler succeeded, a failing
//! batch retried twice and then written to a failure topic, and the stats at the end.
//!
//! `cargo run -p ottla-examples --example processor -- [BOOTSTRAP] [TOPIC]`

use std::time::Duration;

use ottla::processor::{Batch, BatchResponse, HandlerError, Processor, ProcessorConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let bootstrap = args.next().unwrap_or_else(|| "localhost:9092".into());
    let topic = args.next().unwrap_or_else(|| "orders".into());

    let mut config = ProcessorConfig::builder();
    config
        .bootstrap_servers(bootstrap)
        .group_id("orders-processor")
        .topics([topic.as_str()]);
    config
        .set("batch.size", "100")?
        .set("batch.window.ms", "500")?
        .set("max.retries", "2")?
        .set("failure.destination", &format!("kafka://{topic}-failures"))?
        .set("starting.position", "TRIM_HORIZON")?;

    let processor = Processor::new(config.build()?, |batch: Batch| async move {
        for record in batch.records() {
            let Some(value) = record.value.as_deref() else {
                // Any error fails the batch: it is retried, then sent to the destination.
                return Err(HandlerError::new(
                    "NullValue",
                    format!("offset {}", record.offset),
                ));
            };
            println!(
                "{}-{} @ {}: {} bytes",
                record.topic,
                record.partition,
                record.offset,
                value.len()
            );
        }
        Ok(BatchResponse::success())
    })
    .await?;

    // Run for 10 s (a service would run until a shutdown signal).
    let stats = processor
        .run_until(tokio::time::sleep(Duration::from_secs(10)))
        .await?;
    println!(
        "{} batches, {} records processed, {} failed, OffsetLag {}",
        stats.batches,
        stats.records_processed,
        stats.records_failed,
        stats.total_offset_lag()
    );
    Ok(())
}
