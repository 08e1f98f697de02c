//! `--stats`: a client's stats printed on stderr at exit, as one JSON object or as a
//! Prometheus text page; and the one-line summary `ottla perf` shows for its own runs.

use std::fmt;

use ottla::stats::prometheus::Exposition;
use ottla::stats::BrokerStats;
use serde::{Deserialize, Serialize};

use crate::args::StatsFormat;

/// Prints `stats` (named `what` in JSON) on stderr; `page` adds it to a Prometheus page.
pub fn print<T: Serialize>(
    format: StatsFormat,
    what: &str,
    stats: &T,
    page: impl FnOnce(&mut Exposition),
) -> Result<(), serde_json::Error> {
    match format {
        StatsFormat::Json => {
            let value = serde_json::json!({ what: stats });
            eprintln!("{}", serde_json::to_string(&value)?);
        }
        StatsFormat::Prometheus => {
            let mut exposition = Exposition::new();
            page(&mut exposition);
            eprint!("{}", exposition.finish());
        }
    }
    Ok(())
}

/// What `ottla perf` shows of its own client after a run, summed over brokers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClientStatsLine {
    /// Requests written.
    pub requests: u64,
    /// Bytes written.
    pub bytes_sent: u64,
    /// Bytes read.
    pub bytes_received: u64,
    /// Mean round trip, in microseconds.
    pub rtt_avg_us: u64,
    /// Longest round trip, in microseconds.
    pub rtt_max_us: u64,
    /// Throttle time reported by the brokers, in ms.
    pub throttle_ms: u64,
    /// Request timeouts and failed connections.
    pub errors: u64,
    /// Producer: batches retried.
    pub retries: u64,
    /// Producer: mean records per delivered batch (0 for a consumer).
    pub records_per_batch: f64,
}

impl ClientStatsLine {
    fn from_brokers(brokers: &[BrokerStats]) -> Self {
        let sum = |f: fn(&BrokerStats) -> u64| brokers.iter().map(f).sum::<u64>();
        let responses = sum(|b| b.responses);
        Self {
            requests: sum(|b| b.requests),
            bytes_sent: sum(|b| b.bytes_sent),
            bytes_received: sum(|b| b.bytes_received),
            rtt_avg_us: sum(|b| b.rtt_us_total).checked_div(responses).unwrap_or(0),
            rtt_max_us: brokers.iter().map(|b| b.rtt_us_max).max().unwrap_or(0),
            throttle_ms: sum(|b| b.throttle_ms_total),
            errors: sum(|b| b.errors),
            retries: 0,
            records_per_batch: 0.0,
        }
    }

    /// A producer's line.
    pub fn producer(stats: &ottla::producer::ProducerStats) -> Self {
        let batches = stats.batches_delivered.max(1) as f64;
        Self {
            retries: stats.retries,
            records_per_batch: stats.records_delivered as f64 / batches,
            ..Self::from_brokers(&stats.brokers)
        }
    }

    /// A consumer's line.
    pub fn consumer(stats: &ottla::consumer::ConsumerStats) -> Self {
        Self::from_brokers(&stats.brokers)
    }
}

impl fmt::Display for ClientStatsLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} requests, {:.1} MB sent, {:.1} MB received, round trip avg {:.2} ms (max {:.2} ms), throttled {} ms, {} errors",
            self.requests,
            self.bytes_sent as f64 / 1e6,
            self.bytes_received as f64 / 1e6,
            self.rtt_avg_us as f64 / 1e3,
            self.rtt_max_us as f64 / 1e3,
            self.throttle_ms,
            self.errors,
        )?;
        if self.records_per_batch > 0.0 {
            write!(
                f,
                ", {:.0} records/batch, {} retries",
                self.records_per_batch, self.retries
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_sums_brokers() {
        let mut stats = ottla::producer::ProducerStats::default();
        stats.records_delivered = 1_000;
        stats.batches_delivered = 4;
        stats.retries = 1;
        let line = ClientStatsLine::producer(&stats);
        assert_eq!(line.records_per_batch, 250.0);
        let text = line.to_string();
        assert!(text.contains("250 records/batch, 1 retries"), "{text}");
        let back: ClientStatsLine =
            serde_json::from_str(&serde_json::to_string(&line).unwrap()).unwrap();
        assert_eq!(back, line);
    }
}
