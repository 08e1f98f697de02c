//! `ottla perf consume --child`: the measured ottla process. A [`Consumer`] assigned every
//! partition of the topic (no group, from the earliest offsets) reads until it has the
//! scenario's records, counting them as the peers do, and prints one JSON summary line.

use std::time::{Duration, Instant};

use ottla::consumer::{Consumer, ConsumerConfig};
use ottla::group::TopicPartition;
use serde::{Deserialize, Serialize};

use super::super::stats_output::ClientStatsLine;
use super::super::CmdResult;
use super::plan::Scenario;

/// What the child (and the franz-go and Java peers' `perf-consume`) print.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsumeSummary {
    /// Records read.
    pub records: u64,
    /// Seconds from the start of reading to the last record (start-up excluded).
    pub consume_s: f64,
    /// ottla's own client stats (the peers print none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stats: Option<ClientStatsLine>,
}

/// No record for this long: the topic holds fewer records than the scenario says.
const STALL: Duration = Duration::from_secs(30);

/// Reads `scenario.records` from `topic` and prints a [`ConsumeSummary`].
pub async fn run(props: &ottla::Properties, scenario: &Scenario, topic: &str) -> CmdResult {
    let mut builder = ConsumerConfig::builder();
    for (k, v) in props.iter() {
        builder.set(k, v)?;
    }
    builder.set("auto.offset.reset", "earliest")?;
    let mut consumer = Consumer::new(builder.build()?).await?;
    let metadata = consumer.client().refresh_topics(&[topic], false).await?;
    let partitions: Vec<TopicPartition> = metadata
        .topic(topic)?
        .partitions
        .keys()
        .map(|&p| TopicPartition::new(topic, p))
        .collect();
    consumer.assign(partitions)?;
    let started = Instant::now();
    let mut got = 0u64;
    while got < scenario.records {
        let batch = consumer.recv_batch(100_000, STALL).await?;
        if batch.is_empty() {
            return Err(format!(
                "{got} of {} records after {STALL:?} without one",
                scenario.records
            )
            .into());
        }
        // Counted, as the peers count: the first record's size is checked, not every one.
        if got == 0 {
            let len = batch[0].value.as_ref().map_or(0, |v| v.len());
            if len != scenario.record_size {
                return Err(format!("a value of {len} bytes, not {}", scenario.record_size).into());
            }
        }
        got += batch.len() as u64;
    }
    let consume_s = started.elapsed().as_secs_f64();
    let stats = ClientStatsLine::consumer(&consumer.stats());
    consumer.close().await?;
    let summary = ConsumeSummary {
        records: got,
        consume_s,
        stats: Some(stats),
    };
    println!("{}", serde_json::to_string(&summary)?);
    Ok(())
}
