//! Stats in Prometheus' text exposition format (version 0.0.4): what an operator scrapes.
//!
//! ```
//! use ottla::stats::prometheus::Exposition;
//! # let producer_stats = ottla::producer::ProducerStats::default();
//! let mut page = Exposition::with_labels(&[("app", "billing")]);
//! page.producer(&producer_stats);
//! let text = page.finish(); // serve as text/plain; version=0.0.4
//! assert!(text.contains("# TYPE ottla_producer_queued_records gauge"));
//! ```
//!
//! Counters end in `_total`; times are in seconds, sizes in bytes. Each family's `HELP` and
//! `TYPE` lines come once however many producers, consumers or processors are added (tell
//! them apart with labels).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::consumer::ConsumerStats;
use crate::processor::ProcessorStats;
use crate::producer::ProducerStats;
use crate::stats::BrokerStats;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Counter,
    Gauge,
}

#[derive(Debug)]
struct Family {
    help: &'static str,
    kind: Kind,
    samples: Vec<String>,
}

/// A page of metrics being assembled.
#[derive(Debug, Default)]
pub struct Exposition {
    labels: Vec<(String, String)>,
    families: BTreeMap<&'static str, Family>,
}

impl Exposition {
    /// An empty page.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty page whose every sample carries `labels` too (e.g. the application).
    pub fn with_labels(labels: &[(&str, &str)]) -> Self {
        Self {
            labels: labels
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            families: BTreeMap::new(),
        }
    }

    fn sample(
        &mut self,
        name: &'static str,
        kind: Kind,
        help: &'static str,
        labels: &[(&str, String)],
        value: f64,
    ) {
        let mut line = String::from(name);
        let all: Vec<(&str, &str)> = self
            .labels
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .chain(labels.iter().map(|(k, v)| (*k, v.as_str())))
            .collect();
        if !all.is_empty() {
            line.push('{');
            for (i, (k, v)) in all.iter().enumerate() {
                if i > 0 {
                    line.push(',');
                }
                let _ = write!(line, "{k}=\"{}\"", escape(v));
            }
            line.push('}');
        }
        let _ = write!(line, " {}", number(value));
        self.families
            .entry(name)
            .or_insert_with(|| Family {
                help,
                kind,
                samples: Vec::new(),
            })
            .samples
            .push(line);
    }

    fn counter(
        &mut self,
        name: &'static str,
        help: &'static str,
        labels: &[(&str, String)],
        v: u64,
    ) {
        self.sample(name, Kind::Counter, help, labels, v as f64);
    }

    fn gauge(&mut self, name: &'static str, help: &'static str, labels: &[(&str, String)], v: f64) {
        self.sample(name, Kind::Gauge, help, labels, v);
    }

    /// Adds per-broker request, byte, round-trip, error and throttle metrics.
    pub fn brokers(&mut self, brokers: &[BrokerStats]) -> &mut Self {
        for b in brokers {
            let l = [
                ("broker", b.node_id.to_string()),
                ("address", b.address.clone()),
            ];
            self.counter(
                "ottla_broker_requests_total",
                "Requests written to the broker.",
                &l,
                b.requests,
            );
            self.counter(
                "ottla_broker_responses_total",
                "Responses read from the broker.",
                &l,
                b.responses,
            );
            self.counter(
                "ottla_broker_sent_bytes_total",
                "Bytes of request frames written.",
                &l,
                b.bytes_sent,
            );
            self.counter(
                "ottla_broker_received_bytes_total",
                "Bytes of response frames read.",
                &l,
                b.bytes_received,
            );
            self.sample(
                "ottla_broker_rtt_seconds_total",
                Kind::Counter,
                "Sum of request round-trip times (divide by responses for the mean).",
                &l,
                b.rtt_us_total as f64 / 1e6,
            );
            self.gauge(
                "ottla_broker_rtt_max_seconds",
                "Longest request round trip.",
                &l,
                b.rtt_us_max as f64 / 1e6,
            );
            self.counter(
                "ottla_broker_errors_total",
                "Request timeouts and failed or refused connections.",
                &l,
                b.errors,
            );
            self.sample(
                "ottla_broker_throttle_seconds_total",
                Kind::Counter,
                "Throttle time the broker reported in responses.",
                &l,
                b.throttle_ms_total as f64 / 1e3,
            );
            self.counter(
                "ottla_broker_throttled_responses_total",
                "Responses that carried a throttle time.",
                &l,
                b.throttled_responses,
            );
            self.counter(
                "ottla_broker_throttle_holds_total",
                "Requests held back until the broker's throttle time had passed (KIP-219).",
                &l,
                b.throttle_holds,
            );
            self.counter(
                "ottla_broker_connects_total",
                "Connections opened.",
                &l,
                b.connects,
            );
        }
        self
    }

    /// Adds a producer's queue, delivery, retry and per-partition batch metrics, and its
    /// brokers'.
    pub fn producer(&mut self, p: &ProducerStats) -> &mut Self {
        let none: [(&str, String); 0] = [];
        self.gauge(
            "ottla_producer_queued_records",
            "Records queued or in flight.",
            &none,
            p.queued_records as f64,
        );
        self.gauge(
            "ottla_producer_queued_bytes",
            "Bytes of records queued or in flight.",
            &none,
            p.queued_bytes as f64,
        );
        self.counter(
            "ottla_producer_batches_delivered_total",
            "Record batches delivered.",
            &none,
            p.batches_delivered,
        );
        self.counter(
            "ottla_producer_records_delivered_total",
            "Records delivered.",
            &none,
            p.records_delivered,
        );
        self.counter(
            "ottla_producer_retries_total",
            "Batches sent again after a retriable error.",
            &none,
            p.retries,
        );
        self.counter(
            "ottla_producer_records_failed_total",
            "Records that failed for good.",
            &none,
            p.records_failed,
        );
        for part in &p.partitions {
            let l = [
                ("topic", part.topic.clone()),
                ("partition", part.partition.to_string()),
            ];
            self.counter(
                "ottla_producer_partition_batches_total",
                "Batches delivered to the partition.",
                &l,
                part.batches,
            );
            self.counter(
                "ottla_producer_partition_records_total",
                "Records delivered to the partition.",
                &l,
                part.records,
            );
            self.counter(
                "ottla_producer_partition_bytes_total",
                "Bytes of batches delivered to the partition.",
                &l,
                part.bytes,
            );
            self.gauge(
                "ottla_producer_partition_max_batch_records",
                "Largest batch delivered to the partition, in records.",
                &l,
                part.max_batch_records as f64,
            );
        }
        self.brokers(&p.brokers)
    }

    /// Adds a consumer's fetch, rebalance and per-partition lag metrics, and its brokers'.
    pub fn consumer(&mut self, c: &ConsumerStats) -> &mut Self {
        let none: [(&str, String); 0] = [];
        self.counter(
            "ottla_consumer_fetches_total",
            "Fetch requests answered.",
            &none,
            c.fetches,
        );
        self.counter(
            "ottla_consumer_incremental_fetches_total",
            "Incremental fetches in a fetch session (KIP-227).",
            &none,
            c.incremental_fetches,
        );
        self.counter(
            "ottla_consumer_fetch_session_resets_total",
            "Fetch sessions that had to start over.",
            &none,
            c.fetch_session_resets,
        );
        self.counter(
            "ottla_consumer_follower_fetches_total",
            "Fetches from a preferred read replica (KIP-392).",
            &none,
            c.follower_fetches,
        );
        self.counter(
            "ottla_consumer_leader_hints_total",
            "New leaders learnt from Fetch errors (KIP-951).",
            &none,
            c.leader_hints,
        );
        self.counter(
            "ottla_consumer_truncations_total",
            "Log truncations found under the position (KIP-320).",
            &none,
            c.truncations,
        );
        self.counter(
            "ottla_consumer_records_fetched_total",
            "Records fetched for the application.",
            &none,
            c.records_fetched,
        );
        self.gauge(
            "ottla_consumer_buffered_bytes",
            "Bytes of fetched records waiting for the application.",
            &none,
            c.buffered_bytes as f64,
        );
        self.counter(
            "ottla_consumer_rebalances_total",
            "Assignments received from the group.",
            &none,
            c.rebalances,
        );
        for part in &c.partitions {
            let l = [
                ("topic", part.topic.clone()),
                ("partition", part.partition.to_string()),
            ];
            if let Some(lag) = part.lag {
                self.gauge(
                    "ottla_consumer_lag_records",
                    "Records after the position (end at the last fetch).",
                    &l,
                    lag as f64,
                );
            }
            if let Some(position) = part.position {
                self.gauge(
                    "ottla_consumer_position",
                    "Offset of the next record handed out.",
                    &l,
                    position as f64,
                );
            }
        }
        self.brokers(&c.brokers)
    }

    /// Adds a processor's batch, call, retry, failure and OffsetLag metrics.
    pub fn processor(&mut self, p: &ProcessorStats) -> &mut Self {
        let none: [(&str, String); 0] = [];
        self.counter(
            "ottla_processor_batches_total",
            "Batches formed.",
            &none,
            p.batches,
        );
        self.counter(
            "ottla_processor_calls_total",
            "Handler calls.",
            &none,
            p.calls,
        );
        self.counter(
            "ottla_processor_failed_calls_total",
            "Handler calls that failed wholly or in part.",
            &none,
            p.failed_calls,
        );
        self.counter(
            "ottla_processor_retries_total",
            "Handler calls that retried a failed batch.",
            &none,
            p.retries,
        );
        self.counter(
            "ottla_processor_records_processed_total",
            "Records done with (succeeded or given up).",
            &none,
            p.records_processed,
        );
        self.counter(
            "ottla_processor_records_failed_total",
            "Records given up.",
            &none,
            p.records_failed,
        );
        self.counter(
            "ottla_processor_destination_writes_total",
            "Failure records written to the destination.",
            &none,
            p.destination_writes,
        );
        self.gauge(
            "ottla_processor_offset_lag",
            "OffsetLag summed over partitions (Lambda's metric).",
            &none,
            p.total_offset_lag() as f64,
        );
        for (tp, lag) in &p.offset_lag {
            let l = [
                ("topic", tp.topic.to_string()),
                ("partition", tp.partition.to_string()),
            ];
            self.gauge(
                "ottla_processor_partition_offset_lag",
                "OffsetLag of the partition.",
                &l,
                *lag as f64,
            );
        }
        self
    }

    /// The page: every family with its `HELP` and `TYPE`, then its samples.
    pub fn finish(&self) -> String {
        let mut out = String::new();
        for (name, f) in &self.families {
            let kind = match f.kind {
                Kind::Counter => "counter",
                Kind::Gauge => "gauge",
            };
            let _ = writeln!(out, "# HELP {name} {}", f.help);
            let _ = writeln!(out, "# TYPE {name} {kind}");
            for s in &f.samples {
                out.push_str(s);
                out.push('\n');
            }
        }
        out
    }
}

/// A label value with `\`, `"` and newlines escaped.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::producer::PartitionProduceStats;

    fn broker() -> BrokerStats {
        BrokerStats {
            node_id: 1,
            address: "b-1:9092".into(),
            requests: 10,
            responses: 9,
            bytes_sent: 2_000,
            bytes_received: 500,
            rtt_us_total: 4_500,
            rtt_us_max: 1_500,
            errors: 1,
            throttle_ms_total: 250,
            throttled_responses: 1,
            throttle_holds: 1,
            connects: 2,
        }
    }

    #[test]
    fn families_once_samples_labelled_and_escaped() {
        let mut p = ProducerStats {
            brokers: vec![broker()],
            queued_records: 3,
            retries: 2,
            ..ProducerStats::default()
        };
        p.partitions.push(PartitionProduceStats {
            topic: "or\"ders".into(),
            partition: 0,
            batches: 4,
            records: 40,
            ..PartitionProduceStats::default()
        });
        let mut page = Exposition::with_labels(&[("app", "a\\b")]);
        page.producer(&p).producer(&p);
        let text = page.finish();
        assert_eq!(
            text.matches("# TYPE ottla_producer_retries_total counter")
                .count(),
            1
        );
        assert_eq!(
            text.matches("ottla_producer_retries_total{app=\"a\\\\b\"} 2\n")
                .count(),
            2
        );
        assert!(text.contains(
            "ottla_producer_partition_records_total{app=\"a\\\\b\",topic=\"or\\\"ders\",partition=\"0\"} 40\n"
        ), "{text}");
        assert!(text.contains("ottla_broker_rtt_seconds_total{app=\"a\\\\b\",broker=\"1\",address=\"b-1:9092\"} 0.0045\n"), "{text}");
        assert!(text.contains("ottla_broker_throttle_seconds_total{app=\"a\\\\b\",broker=\"1\",address=\"b-1:9092\"} 0.25\n"), "{text}");
        // Every sample line parses as name{labels} value.
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let (_, value) = line.rsplit_once(' ').expect("a value");
            value
                .parse::<f64>()
                .unwrap_or_else(|e| panic!("{line}: {e}"));
        }
    }

    #[test]
    fn consumer_and_processor_pages() {
        let mut c = ConsumerStats {
            rebalances: 3,
            ..ConsumerStats::default()
        };
        c.partitions.push(crate::consumer::PartitionConsumeStats {
            topic: "t".into(),
            partition: 2,
            position: Some(10),
            lag: Some(5),
        });
        let mut p = ProcessorStats {
            retries: 4,
            ..ProcessorStats::default()
        };
        p.offset_lag.insert(
            crate::group::TopicPartition::new(std::sync::Arc::from("t"), 1),
            7,
        );
        p.retries = 4;
        let mut page = Exposition::new();
        page.consumer(&c).processor(&p);
        let text = page.finish();
        assert!(
            text.contains("ottla_consumer_rebalances_total 3\n"),
            "{text}"
        );
        assert!(
            text.contains("ottla_consumer_lag_records{topic=\"t\",partition=\"2\"} 5\n"),
            "{text}"
        );
        assert!(
            text.contains("ottla_processor_partition_offset_lag{topic=\"t\",partition=\"1\"} 7\n"),
            "{text}"
        );
        assert!(text.contains("ottla_processor_offset_lag 7\n"), "{text}");
        assert!(text.contains("ottla_processor_retries_total 4\n"), "{text}");
    }
}
