//! `ottla cluster`: the cluster id, its controller and brokers (DescribeCluster).

use super::{admin, CmdResult};

pub async fn run(props: &ottla::Properties) -> CmdResult {
    let c = admin(props).await?.describe_cluster().await?;
    println!("cluster {} controller {}", c.cluster_id, c.controller);
    for b in &c.brokers {
        let rack = b
            .rack
            .as_deref()
            .map(|r| format!(" rack {r}"))
            .unwrap_or_default();
        let fenced = if b.fenced { " (fenced)" } else { "" };
        println!("  broker {} at {}:{}{rack}{fenced}", b.id, b.host, b.port);
    }
    Ok(())
}
