//! An idempotent producer: lz4, a 5 ms linger, keyed records (the Java client's partitioning),
//! a delivery report per record, and a close that delivers what is queued.
//!
//! `cargo run -p ottla-examples --example producer -- [BOOTSTRAP] [TOPIC]`

use std::sync::Arc;
use std::time::Duration;

use ottla::producer::{Producer, ProducerConfig, ProducerRecord};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let bootstrap = args.next().unwrap_or_else(|| "localhost:9092".into());
    let topic: Arc<str> = Arc::from(args.next().unwrap_or_else(|| "orders".into()));

    let mut config = ProducerConfig::builder();
    config.bootstrap_servers(bootstrap);
    // Kafka's and librdkafka's keys work as strings; idempotence (acks=all) is the default.
    config
        .set("compression.type", "lz4")?
        .set("linger.ms", "5")?;
    let producer = Producer::new(config.build()?).await?;

    // Queue everything first, then wait for the deliveries: sends overlap in batches.
    let mut deliveries = Vec::new();
    for i in 0..100 {
        let record = ProducerRecord::new(Arc::clone(&topic), format!("order {i} created"))
            .with_key(format!("customer-{}", i % 7));
        deliveries.push(producer.send(record).await?);
    }
    for delivery in deliveries {
        let landed = delivery.await?;
        println!("{}-{} @ {}", landed.topic, landed.partition, landed.offset);
    }
    producer.close(Duration::from_secs(10)).await?;
    Ok(())
}
