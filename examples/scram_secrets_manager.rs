//! Amazon MSK with SASL/SCRAM (port 9096): the user name and password come from the Secrets
//! Manager secret MSK is associated with (`AmazonMSK_<name>`, encrypted with a customer key),
//! read with the AWS credential chain. A rotated password is read again when the broker
//! rejects the cached one. Produces one record.
//!
//! `cargo run -p ottla-examples --example scram_secrets_manager -- BOOTSTRAP REGION SECRET [TOPIC]`

use std::time::Duration;

use ottla::producer::{Producer, ProducerConfig, ProducerRecord};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(bootstrap), Some(region), Some(secret)) = (args.next(), args.next(), args.next())
    else {
        return Err("usage: scram_secrets_manager BOOTSTRAP REGION SECRET [TOPIC]".into());
    };
    let topic = args.next().unwrap_or_else(|| "orders".into());

    let mut config = ProducerConfig::builder();
    config.bootstrap_servers(bootstrap);
    config
        .set("security.protocol", "SASL_SSL")?
        .set("sasl.mechanism", "SCRAM-SHA-512")?
        .set("sasl.scram.secret.id", &secret)?
        .set("aws.region", &region)?;
    let producer = Producer::new(config.build()?).await?;
    let landed = producer
        .send(ProducerRecord::new(topic, "hello from ottla"))
        .await?
        .await?;
    println!("{}-{} @ {}", landed.topic, landed.partition, landed.offset);
    producer.close(Duration::from_secs(10)).await?;
    Ok(())
}
