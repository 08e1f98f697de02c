//! `ottla perf produce --child`: the measured ottla process. It produces the scenario's
//! records (one preallocated payload, cloned: no allocation per record), flushes, checks
//! every delivery, and prints one JSON summary line on stdout.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ottla::producer::{Producer, ProducerRecord};
use serde::{Deserialize, Serialize};

use super::super::delivery_window::DeliveryWindow;
use super::super::stats_output::ClientStatsLine;
use super::super::CmdResult;
use super::payload::payload;
use super::plan::Scenario;
use crate::settings;

/// What the child prints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChildSummary {
    /// Records sent.
    pub records: u64,
    /// Records whose delivery succeeded.
    pub delivered: u64,
    /// Seconds from the first send to the last delivery (no start-up).
    pub produce_s: f64,
    /// ottla's own client stats (the peers print none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stats: Option<ClientStatsLine>,
}

/// Produces `scenario` to `topic` and prints a [`ChildSummary`].
pub async fn run(props: &ottla::Properties, scenario: &Scenario, topic: &str) -> CmdResult {
    let summary = produce(props, scenario, topic).await?;
    println!("{}", serde_json::to_string(&summary)?);
    Ok(())
}

/// Produces `scenario` to `topic` (also how `perf consume` writes what its clients read).
pub async fn produce(
    props: &ottla::Properties,
    scenario: &Scenario,
    topic: &str,
) -> Result<ChildSummary, Box<dyn std::error::Error + Send + Sync>> {
    let linger = scenario.linger_ms.to_string();
    let idempotence = scenario.idempotence.to_string();
    let config = settings::producer_config(
        props,
        &[
            ("acks", scenario.acks),
            ("linger.ms", &linger),
            ("compression.type", scenario.compression),
            ("enable.idempotence", &idempotence),
        ],
    )?;
    let window_limit = config.buffer_max_messages();
    let producer = Producer::new(config).await?;
    let topic: Arc<str> = Arc::from(topic);
    let value = payload(scenario.record_size);
    let mut window = DeliveryWindow::new(window_limit);
    let mut ignore = |_: i32, _: &_| {};
    let started = Instant::now();
    for _ in 0..scenario.records {
        let record = ProducerRecord::new(Arc::clone(&topic), value.clone());
        let delivery = producer.send(record).await?;
        window.push(delivery, &mut ignore).await;
    }
    producer.flush().await?;
    window.drain(&mut ignore).await;
    let produce_s = started.elapsed().as_secs_f64();
    let delivered = window.result()?;
    let stats = ClientStatsLine::producer(&producer.stats());
    producer.close(Duration::from_secs(30)).await?;
    Ok(ChildSummary {
        records: scenario.records,
        delivered,
        produce_s,
        stats: Some(stats),
    })
}
