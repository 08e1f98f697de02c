//! Amazon MSK with IAM access control: SASL_SSL on port 9098 (9198 with public access),
//! OAUTHBEARER tokens signed with SigV4, as librdkafka users configure it. Credentials come
//! from the AWS SDKs' chain (environment, web identity, profiles, ECS, EC2 instance role);
//! set `AWS_ROLE_TO_ASSUME` to assume a role on top. Lists the cluster's topics.
//!
//! `cargo run -p ottla-examples --example msk_iam -- BOOTSTRAP REGION`

use ottla::{Client, ClientConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(bootstrap), Some(region)) = (args.next(), args.next()) else {
        return Err("usage: msk_iam BOOTSTRAP REGION".into());
    };

    let mut config = ClientConfig::builder();
    config.bootstrap_servers(bootstrap);
    config
        .set("security.protocol", "SASL_SSL")?
        .set("sasl.mechanism", "OAUTHBEARER")?
        .set("sasl.oauthbearer.method", "aws_msk_iam")?
        .set("aws.region", &region)?;
    // The Java library's JSON mechanism works too: sasl.mechanism=AWS_MSK_IAM.
    if let Ok(role) = std::env::var("AWS_ROLE_TO_ASSUME") {
        config
            .set("aws.role.arn", &role)?
            .set("aws.role.session.name", "ottla-example")?;
    }
    let client = Client::connect(config.build()?).await?;
    let metadata = client.metadata().await?;
    for (name, topic) in &metadata.topics {
        println!("{name}: {} partitions", topic.partitions.len());
    }
    Ok(())
}
