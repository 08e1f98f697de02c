//! A consumer group member that commits only what it has processed: auto commit off, a
//! batch at a time, `commit` after the batch, `close` to leave the group cleanly.
//!
//! `cargo run -p ottla-examples --example consumer_group -- [BOOTSTRAP] [TOPIC] [GROUP]`

use std::time::Duration;

use ottla::consumer::{Consumer, ConsumerConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let bootstrap = args.next().unwrap_or_else(|| "localhost:9092".into());
    let topic = args.next().unwrap_or_else(|| "orders".into());
    let group = args.next().unwrap_or_else(|| "billing".into());

    let mut config = ConsumerConfig::builder();
    config.bootstrap_servers(bootstrap).group_id(group);
    config
        .set("auto.offset.reset", "earliest")?
        .set("enable.auto.commit", "false")?
        .set("partition.assignment.strategy", "cooperative-sticky")?;
    let mut consumer = Consumer::new(config.build()?).await?;
    consumer.subscribe([topic])?;

    // Stop after 5 s without records (a service would loop until told to stop).
    loop {
        let batch = consumer.recv_batch(500, Duration::from_secs(5)).await?;
        if batch.is_empty() {
            break;
        }
        for record in &batch {
            let value = record.value.as_deref().map(String::from_utf8_lossy);
            println!(
                "{}-{} @ {}: {value:?}",
                record.topic, record.partition, record.offset
            );
        }
        // The positions after this batch: what the group resumes from after a restart.
        consumer.commit().await?;
    }
    consumer.close().await?;
    Ok(())
}
