//! The admin API: describe the cluster, create a topic with configs (already there is fine),
//! list the consumer groups and print each one's lag.
//!
//! `cargo run -p ottla-examples --example admin -- [BOOTSTRAP]`

use ottla::admin::{Admin, NewTopic};
use ottla::protocol::error_code::ErrorCode;
use ottla::ClientConfig;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let bootstrap = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "localhost:9092".into());
    let mut config = ClientConfig::builder();
    config.bootstrap_servers(bootstrap);
    let admin = Admin::connect(config.build()?).await?;

    let cluster = admin.describe_cluster().await?;
    println!(
        "cluster {} (controller {})",
        cluster.cluster_id, cluster.controller
    );
    for broker in &cluster.brokers {
        println!("  broker {} at {}:{}", broker.id, broker.host, broker.port);
    }

    let topic = NewTopic {
        name: "orders".into(),
        partitions: 6,
        replication_factor: -1,
        configs: vec![("retention.ms".into(), "604800000".into())],
    };
    match admin.create_topic(&topic).await {
        Ok(()) => println!("created {}", topic.name),
        Err(e) if e.kafka_code() == Some(ErrorCode::TOPIC_ALREADY_EXISTS) => {
            println!("{} exists", topic.name)
        }
        Err(e) => return Err(e.into()),
    }

    for group in admin.list_groups().await? {
        let lag: i64 = admin
            .group_lag(&group.group_id)
            .await?
            .iter()
            .filter_map(|p| p.lag)
            .sum();
        println!(
            "group {} ({}): lag {lag}",
            group.group_id, group.protocol_type
        );
    }
    Ok(())
}
