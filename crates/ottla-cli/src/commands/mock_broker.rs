//! `ottla mock-broker`: runs `ottla-mock`'s fake cluster as local brokers until Ctrl-C or
//! SIGTERM.

use std::io::Write;

use ottla_mock::MockCluster;

use super::CmdResult;
use crate::args::MockBrokerArgs;

/// The most brokers `--brokers` may ask for (the mock's own limit).
const MAX_BROKERS: i32 = 64;

/// Starts the cluster, prints its bootstrap servers on one line of standard output, and
/// serves until Ctrl-C or SIGTERM. `brokers` is the global `-b/--brokers` value, which here is
/// the number of brokers.
pub async fn run(brokers: Option<&str>, args: MockBrokerArgs) -> CmdResult {
    let count = broker_count(brokers)?;
    let mut builder = MockCluster::builder()
        .brokers(count)
        .auto_create_topics(args.auto_create_topics);
    if let Some(port) = args.port {
        builder = builder.base_port(port);
    }
    for spec in &args.topics {
        let (name, partitions) = topic_spec(spec)?;
        builder = builder.topic(name, partitions);
    }
    let cluster = builder.start().await?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{}", cluster.bootstrap())?;
        out.flush()?;
    }
    eprintln!(
        "ottla mock-broker: {count} broker(s) (node ids 1..={count}) on {}; topics: {}; Ctrl-C or SIGTERM stops it",
        cluster.bootstrap(),
        topics_line(&cluster),
    );
    stopped().await?;
    cluster.shutdown().await;
    eprintln!("ottla mock-broker: stopped");
    Ok(())
}

/// The number of brokers from `-b/--brokers` (1 when absent).
fn broker_count(brokers: Option<&str>) -> Result<i32, String> {
    let Some(text) = brokers else {
        return Ok(1);
    };
    text.trim()
        .parse::<i32>()
        .ok()
        .filter(|n| (1..=MAX_BROKERS).contains(n))
        .ok_or_else(|| {
            format!(
                "mock-broker: --brokers is the number of brokers to run (1 to {MAX_BROKERS}), not {text:?}"
            )
        })
}

/// `NAME:PARTITIONS` (or `NAME`, one partition).
fn topic_spec(spec: &str) -> Result<(&str, i32), String> {
    let (name, partitions) = match spec.rsplit_once(':') {
        Some((name, n)) => (
            name,
            n.parse::<i32>()
                .map_err(|_| format!("--topic {spec:?}: {n:?} is not a partition count"))?,
        ),
        None => (spec, 1),
    };
    if name.is_empty() {
        return Err(format!("--topic {spec:?}: no topic name"));
    }
    Ok((name, partitions))
}

fn topics_line(cluster: &MockCluster) -> String {
    let topics: Vec<String> = cluster
        .topics()
        .into_iter()
        .map(|t| {
            let n = cluster.partition_count(&t).unwrap_or(0);
            format!("{t}:{n}")
        })
        .collect();
    if topics.is_empty() {
        "none".to_owned()
    } else {
        topics.join(", ")
    }
}

/// Resolves at Ctrl-C or (on Unix) SIGTERM.
async fn stopped() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r,
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_topics() {
        assert_eq!(broker_count(None), Ok(1));
        assert_eq!(broker_count(Some("3")), Ok(3));
        assert!(broker_count(Some("localhost:9092"))
            .unwrap_err()
            .contains("number of brokers"));
        assert!(broker_count(Some("0")).is_err());
        assert_eq!(topic_spec("orders:6"), Ok(("orders", 6)));
        assert_eq!(topic_spec("orders"), Ok(("orders", 1)));
        assert!(topic_spec("orders:x").is_err());
        assert!(topic_spec(":3").is_err());
    }
}
