//! The processor's settings: Lambda's event source mapping options under Kafka-style keys,
//! and the consumer's keys for the rest.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;

use super::failure::FailureRecord;
use crate::cluster::Backoff;
use crate::config::parse::{parse_bool, parse_u64};
use crate::config::{ConfigError, Properties};
use crate::consumer::{ConsumerConfig, ConsumerConfigBuilder, OffsetReset};

/// Where a group with no committed offset for a partition starts (Lambda's
/// `StartingPosition`); a committed offset always wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartingPosition {
    /// Records written from now on (the default).
    Latest,
    /// The oldest record kept.
    TrimHorizon,
    /// The first record at or after this time (ms since the epoch).
    AtTimestamp(i64),
}

/// Where the records of a batch go when its retries are exhausted.
#[derive(Clone)]
pub enum Destination {
    /// A Kafka topic: one record per failed record (Lambda's `kafka://` destination).
    Kafka(String),
    /// A file: one failure record (Lambda's JSON for SQS, SNS and S3 destinations) per line,
    /// appended.
    File(PathBuf),
    /// The application: called with each failure record; the offsets move on once it
    /// returns `Ok` (an `Err` is retried after the backoff).
    Callback(FailureCallback),
}

/// What a [`Destination::Callback`] calls.
pub type FailureCallback =
    Arc<dyn Fn(FailureRecord) -> BoxFuture<'static, Result<(), String>> + Send + Sync>;

impl fmt::Debug for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Destination::Kafka(t) => write!(f, "Kafka({t:?})"),
            Destination::File(p) => write!(f, "File({p:?})"),
            Destination::Callback(_) => f.write_str("Callback"),
        }
    }
}

/// `eventSource` of the events: Amazon MSK (`aws:kafka`, with the cluster's ARN) or any other
/// Kafka (`SelfManagedKafka`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventSource {
    /// `aws:kafka`, with `eventSourceArn` when given.
    Msk {
        /// The MSK cluster's ARN.
        arn: Option<String>,
    },
    /// `SelfManagedKafka` (the default).
    SelfManaged,
}

/// Lambda's limits: a batch of at most 10,000 records, a window of at most 300 s, a 6 MB
/// invocation payload.
pub const MAX_BATCH_SIZE: u64 = 10_000;
/// See [`MAX_BATCH_SIZE`].
pub const MAX_WINDOW_MS: u64 = 300_000;
/// See [`MAX_BATCH_SIZE`].
pub const LAMBDA_PAYLOAD_BYTES: u64 = 6 * 1024 * 1024;
/// With a failure destination Lambda allows at most 10 retries.
pub const MAX_RETRIES_WITH_DESTINATION: u32 = 10;

/// The processor's own keys; every consumer key is accepted too.
pub const PROCESSOR_KEYS: &[&str] = &[
    "batch.size",
    "batch.window.ms",
    "batch.max.bytes",
    "max.concurrency",
    "max.retries",
    "max.record.age.ms",
    "bisect.on.error",
    "report.batch.item.failures",
    "starting.position",
    "starting.position.timestamp.ms",
    "failure.destination",
    "event.source",
    "event.source.arn",
];

/// A processor's configuration; build it with [`ProcessorConfig::builder`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ProcessorConfig {
    /// The consumer underneath (auto commit off: the processor commits after success).
    pub(crate) consumer: ConsumerConfig,
    /// The topics read.
    pub(crate) topics: Vec<String>,
    /// `batch.size`: records per batch at most (default 100, up to 10,000).
    pub(crate) batch_size: usize,
    /// `batch.window.ms`: how long records wait for a batch to fill (default 500 ms).
    pub(crate) batch_window: Duration,
    /// `batch.max.bytes`: a batch's event payload at most (default 6 MB, Lambda's); a single
    /// larger record goes alone.
    pub(crate) max_batch_bytes: usize,
    /// `max.concurrency`: batches in flight at once (default 10); a partition is in one at
    /// most.
    pub(crate) max_concurrency: usize,
    /// `max.retries`: retries of a failing batch (`None`: until `max.record.age.ms`; the
    /// default, -1); at most 10 with a failure destination.
    pub(crate) max_retries: Option<u32>,
    /// `max.record.age.ms`: a failing batch whose oldest record is older than this is given
    /// up (`None`: never; the default, -1).
    pub(crate) max_record_age: Option<Duration>,
    /// `bisect.on.error`: a failing batch is split in two and each half tried on its own.
    pub(crate) bisect_on_error: bool,
    /// `report.batch.item.failures`: the handler may name failed records
    /// (`batchItemFailures`); without it a response is success or failure as a whole.
    pub(crate) report_batch_item_failures: bool,
    /// `starting.position` (and `starting.position.timestamp.ms`).
    pub(crate) starting_position: StartingPosition,
    /// `failure.destination`: `kafka://TOPIC` or `file:///PATH`, or a callback.
    pub(crate) destination: Option<Destination>,
    /// `event.source` and `event.source.arn`.
    pub(crate) event_source: EventSource,
    /// Between retries of a batch: the consumer's `retry.backoff.ms` … `retry.backoff.max.ms`.
    pub(crate) retry_backoff: Backoff,
}

/// Read-only access: a `ProcessorConfig` is made only by its builder, which validates it.
impl ProcessorConfig {
    /// The consumer underneath (auto commit off: the processor commits after success).
    pub fn consumer(&self) -> &ConsumerConfig {
        &self.consumer
    }

    /// The topics read.
    pub fn topics(&self) -> &[String] {
        &self.topics
    }

    /// `batch.size`: records per batch at most (default 100, up to 10,000).
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// `batch.window.ms`: how long records wait for a batch to fill (default 500 ms).
    pub fn batch_window(&self) -> Duration {
        self.batch_window
    }

    /// `batch.max.bytes`: a batch's event payload at most (default 6 MB, Lambda's); a single
    /// larger record goes alone.
    pub fn max_batch_bytes(&self) -> usize {
        self.max_batch_bytes
    }

    /// `max.concurrency`: batches in flight at once (default 10); a partition is in one at
    /// most.
    pub fn max_concurrency(&self) -> usize {
        self.max_concurrency
    }

    /// `max.retries`: retries of a failing batch (`None`: until `max.record.age.ms`; the
    /// default, -1); at most 10 with a failure destination.
    pub fn max_retries(&self) -> Option<u32> {
        self.max_retries
    }

    /// `max.record.age.ms`: a failing batch whose oldest record is older than this is given
    /// up (`None`: never; the default, -1).
    pub fn max_record_age(&self) -> Option<Duration> {
        self.max_record_age
    }

    /// `bisect.on.error`: a failing batch is split in two and each half tried on its own.
    pub fn bisect_on_error(&self) -> bool {
        self.bisect_on_error
    }

    /// `report.batch.item.failures`: the handler may name failed records
    /// (`batchItemFailures`); without it a response is success or failure as a whole.
    pub fn report_batch_item_failures(&self) -> bool {
        self.report_batch_item_failures
    }

    /// `starting.position` (and `starting.position.timestamp.ms`).
    pub fn starting_position(&self) -> StartingPosition {
        self.starting_position
    }

    /// `failure.destination`: `kafka://TOPIC` or `file:///PATH`, or a callback.
    pub fn destination(&self) -> Option<&Destination> {
        self.destination.as_ref()
    }

    /// `event.source` and `event.source.arn`.
    pub fn event_source(&self) -> &EventSource {
        &self.event_source
    }

    /// Between retries of a batch: the consumer's `retry.backoff.ms` … `retry.backoff.max.ms`.
    pub fn retry_backoff(&self) -> Backoff {
        self.retry_backoff
    }
}

impl ProcessorConfig {
    /// A builder with the defaults above.
    pub fn builder() -> ProcessorConfigBuilder {
        ProcessorConfigBuilder::default()
    }

    /// Retries allowed after the first call (`None`: no limit), the destination's cap
    /// applied.
    pub fn retry_limit(&self) -> Option<u32> {
        match (&self.destination, self.max_retries) {
            (Some(_), None) => Some(MAX_RETRIES_WITH_DESTINATION),
            (Some(_), Some(n)) => Some(n.min(MAX_RETRIES_WITH_DESTINATION)),
            (None, n) => n,
        }
    }
}

/// Builds a [`ProcessorConfig`]: processor keys here, all others to the consumer.
#[derive(Debug)]
pub struct ProcessorConfigBuilder {
    consumer: ConsumerConfigBuilder,
    topics: Vec<String>,
    batch_size: u64,
    batch_window_ms: u64,
    max_batch_bytes: u64,
    max_concurrency: u64,
    max_retries: i64,
    max_record_age_ms: i64,
    bisect_on_error: bool,
    report_batch_item_failures: bool,
    starting_position: Option<String>,
    starting_timestamp_ms: Option<i64>,
    destination: Option<Destination>,
    event_source: Option<String>,
    event_source_arn: Option<String>,
}

impl Default for ProcessorConfigBuilder {
    fn default() -> Self {
        Self {
            consumer: ConsumerConfig::builder(),
            topics: Vec::new(),
            batch_size: 100,
            batch_window_ms: 500,
            max_batch_bytes: LAMBDA_PAYLOAD_BYTES,
            max_concurrency: 10,
            max_retries: -1,
            max_record_age_ms: -1,
            bisect_on_error: false,
            report_batch_item_failures: false,
            starting_position: None,
            starting_timestamp_ms: None,
            destination: None,
            event_source: None,
            event_source_arn: None,
        }
    }
}

impl ProcessorConfigBuilder {
    /// Sets one key: a processor key, or any consumer or client key.
    pub fn set(&mut self, key: &str, value: &str) -> Result<&mut Self, ConfigError> {
        let week_ms = 7 * 24 * 3_600_000;
        match key {
            "batch.size" => self.batch_size = parse_u64(key, value, 1, MAX_BATCH_SIZE)?,
            "batch.window.ms" => self.batch_window_ms = parse_u64(key, value, 0, MAX_WINDOW_MS)?,
            "batch.max.bytes" => {
                self.max_batch_bytes = parse_u64(key, value, 1, LAMBDA_PAYLOAD_BYTES)?
            }
            "max.concurrency" => self.max_concurrency = parse_u64(key, value, 1, 1_000)?,
            "max.retries" => self.max_retries = parse_signed(key, value, 10_000)?,
            "max.record.age.ms" => self.max_record_age_ms = parse_signed(key, value, week_ms)?,
            "bisect.on.error" => self.bisect_on_error = parse_bool(key, value)?,
            "report.batch.item.failures" => {
                self.report_batch_item_failures = parse_bool(key, value)?
            }
            "starting.position" => self.starting_position = Some(value.trim().to_owned()),
            "starting.position.timestamp.ms" => {
                self.starting_timestamp_ms = Some(parse_u64(key, value, 0, i64::MAX as u64)? as i64)
            }
            "failure.destination" => self.destination = Some(parse_destination(value)?),
            "event.source" => self.event_source = Some(value.trim().to_owned()),
            "event.source.arn" => self.event_source_arn = Some(value.trim().to_owned()),
            "enable.auto.commit" if parse_bool(key, value)? => {
                return Err(ConfigError::invalid(
                    key,
                    value,
                    "false: the processor commits a batch's offsets after the handler succeeded",
                ))
            }
            "auto.offset.reset" => {
                return Err(ConfigError::invalid(
                    key,
                    value,
                    "nothing: starting.position (LATEST, TRIM_HORIZON or AT_TIMESTAMP) says where a group with no committed offset starts",
                ))
            }
            _ => {
                self.consumer.set(key, value)?;
            }
        }
        Ok(self)
    }

    /// Sets every key of `props`.
    pub fn set_all(&mut self, props: &Properties) -> Result<&mut Self, ConfigError> {
        for (k, v) in props.iter() {
            self.set(k, v)?;
        }
        Ok(self)
    }

    /// The topics to read.
    pub fn topics<T: Into<String>>(&mut self, topics: impl IntoIterator<Item = T>) -> &mut Self {
        self.topics = topics.into_iter().map(Into::into).collect();
        self
    }

    /// `bootstrap.servers`.
    pub fn bootstrap_servers(&mut self, servers: impl Into<String>) -> &mut Self {
        self.consumer.bootstrap_servers(servers);
        self
    }

    /// `group.id`.
    pub fn group_id(&mut self, group: impl Into<String>) -> &mut Self {
        self.consumer.group_id(group);
        self
    }

    /// A failure destination, including a callback (no key names one).
    pub fn destination(&mut self, destination: Destination) -> &mut Self {
        self.destination = Some(destination);
        self
    }

    /// The consumer's builder (security, timeouts, fetch sizes).
    pub fn consumer(&mut self) -> &mut ConsumerConfigBuilder {
        &mut self.consumer
    }

    /// Checks the settings together and builds the configuration.
    pub fn build(&self) -> Result<ProcessorConfig, ConfigError> {
        let starting_position = match self
            .starting_position
            .as_deref()
            .map(str::to_ascii_uppercase)
            .as_deref()
        {
            None | Some("LATEST") => StartingPosition::Latest,
            Some("TRIM_HORIZON") => StartingPosition::TrimHorizon,
            Some("AT_TIMESTAMP") => match self.starting_timestamp_ms {
                Some(ms) => StartingPosition::AtTimestamp(ms),
                None => {
                    return Err(ConfigError::invalid(
                        "starting.position.timestamp.ms",
                        "",
                        "a time (ms since the epoch) with starting.position=AT_TIMESTAMP",
                    ))
                }
            },
            Some(_) => {
                return Err(ConfigError::invalid(
                    "starting.position",
                    self.starting_position.as_deref().unwrap_or_default(),
                    "LATEST, TRIM_HORIZON or AT_TIMESTAMP",
                ))
            }
        };
        if self.starting_timestamp_ms.is_some()
            && !matches!(starting_position, StartingPosition::AtTimestamp(_))
        {
            return Err(ConfigError::invalid(
                "starting.position.timestamp.ms",
                &self.starting_timestamp_ms.unwrap_or_default().to_string(),
                "starting.position=AT_TIMESTAMP set too",
            ));
        }
        let event_source = match self.event_source.as_deref() {
            None | Some("SelfManagedKafka") => {
                if let Some(arn) = &self.event_source_arn {
                    return Err(ConfigError::invalid(
                        "event.source.arn",
                        arn,
                        "event.source=aws:kafka (only MSK events carry an ARN)",
                    ));
                }
                EventSource::SelfManaged
            }
            Some("aws:kafka") => EventSource::Msk {
                arn: self.event_source_arn.clone(),
            },
            Some(other) => {
                return Err(ConfigError::invalid(
                    "event.source",
                    other,
                    "aws:kafka (Amazon MSK) or SelfManagedKafka",
                ))
            }
        };
        if self.topics.is_empty() {
            return Err(ConfigError::invalid("topics", "", "at least one topic"));
        }
        let mut consumer = self.consumer.build()?;
        if consumer.group_id.is_none() {
            return Err(ConfigError::invalid(
                "group.id",
                "",
                "a group: the processor commits offsets to it",
            ));
        }
        consumer.enable_auto_commit = false;
        consumer.auto_offset_reset = match starting_position {
            StartingPosition::Latest => OffsetReset::Latest,
            StartingPosition::TrimHorizon => OffsetReset::Earliest,
            StartingPosition::AtTimestamp(ms) => OffsetReset::Timestamp(ms),
        };
        let retry_backoff = consumer.retry_backoff;
        Ok(ProcessorConfig {
            consumer,
            topics: self.topics.clone(),
            batch_size: self.batch_size as usize,
            batch_window: Duration::from_millis(self.batch_window_ms),
            max_batch_bytes: self.max_batch_bytes as usize,
            max_concurrency: self.max_concurrency as usize,
            max_retries: u32::try_from(self.max_retries).ok(),
            max_record_age: u64::try_from(self.max_record_age_ms)
                .ok()
                .map(Duration::from_millis),
            bisect_on_error: self.bisect_on_error,
            report_batch_item_failures: self.report_batch_item_failures,
            starting_position,
            destination: self.destination.clone(),
            event_source,
            retry_backoff,
        })
    }
}

/// -1 (no limit) or 0..=`max`.
fn parse_signed(key: &str, value: &str, max: u64) -> Result<i64, ConfigError> {
    if value.trim() == "-1" {
        return Ok(-1);
    }
    parse_u64(key, value, 0, max)
        .map(|v| v as i64)
        .map_err(|_| ConfigError::invalid(key, value, format!("-1 (no limit) or 0 to {max}")))
}

fn parse_destination(value: &str) -> Result<Destination, ConfigError> {
    let v = value.trim();
    if let Some(topic) = v.strip_prefix("kafka://").filter(|t| !t.is_empty()) {
        return Ok(Destination::Kafka(topic.to_owned()));
    }
    if let Some(path) = v.strip_prefix("file://").filter(|p| !p.is_empty()) {
        return Ok(Destination::File(PathBuf::from(path)));
    }
    Err(ConfigError::invalid(
        "failure.destination",
        value,
        "kafka://TOPIC or file:///PATH",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(props: &[(&str, &str)]) -> Result<ProcessorConfig, ConfigError> {
        let mut b = ProcessorConfig::builder();
        b.topics(["orders"])
            .group_id("g")
            .bootstrap_servers("localhost:9092");
        for (k, v) in props {
            b.set(k, v)?;
        }
        b.build()
    }

    #[test]
    fn defaults_are_lambdas() {
        let c = build(&[]).unwrap();
        assert_eq!(c.batch_size, 100);
        assert_eq!(c.batch_window, Duration::from_millis(500));
        assert_eq!(c.max_batch_bytes, 6 * 1024 * 1024);
        assert_eq!(c.max_retries, None);
        assert_eq!(c.retry_limit(), None);
        assert_eq!(c.starting_position, StartingPosition::Latest);
        assert_eq!(c.consumer.auto_offset_reset, OffsetReset::Latest);
        assert!(!c.consumer.enable_auto_commit);
        assert_eq!(c.event_source, EventSource::SelfManaged);
    }

    #[test]
    fn keys_are_read_and_checked() {
        let c = build(&[
            ("batch.size", "10000"),
            ("batch.window.ms", "300000"),
            ("max.retries", "50"),
            ("max.record.age.ms", "60000"),
            ("failure.destination", "kafka://orders-dlq"),
            ("starting.position", "at_timestamp"),
            ("starting.position.timestamp.ms", "1700000000000"),
            ("event.source", "aws:kafka"),
            ("event.source.arn", "arn:aws:kafka:us-east-1:1:cluster/c/x"),
            ("bisect.on.error", "true"),
        ])
        .unwrap();
        assert_eq!(c.retry_limit(), Some(10), "capped with a destination");
        assert_eq!(
            c.consumer.auto_offset_reset,
            OffsetReset::Timestamp(1_700_000_000_000)
        );
        assert!(matches!(c.destination, Some(Destination::Kafka(ref t)) if t == "orders-dlq"));
        assert_eq!(c.max_record_age, Some(Duration::from_secs(60)));
        let c = build(&[
            ("failure.destination", "file:///tmp/f.jsonl"),
            ("max.retries", "-1"),
        ])
        .unwrap();
        assert_eq!(c.retry_limit(), Some(10));
        for (props, key) in [
            (vec![("batch.size", "10001")], "batch.size"),
            (vec![("batch.size", "0")], "batch.size"),
            (vec![("batch.window.ms", "300001")], "batch.window.ms"),
            (vec![("max.retries", "-2")], "max.retries"),
            (
                vec![("failure.destination", "sqs://q")],
                "failure.destination",
            ),
            (
                vec![("starting.position", "AT_TIMESTAMP")],
                "starting.position.timestamp.ms",
            ),
            (vec![("starting.position", "OLDEST")], "starting.position"),
            (vec![("enable.auto.commit", "true")], "enable.auto.commit"),
            (vec![("auto.offset.reset", "earliest")], "auto.offset.reset"),
            (vec![("event.source.arn", "arn:x")], "event.source.arn"),
            (vec![("event.source", "kinesis")], "event.source"),
        ] {
            let e = build(&props).unwrap_err();
            assert!(
                matches!(&e, ConfigError::InvalidValue { key: k, .. } if k == key),
                "{props:?}: {e}"
            );
        }
        let mut b = ProcessorConfig::builder();
        b.topics(["t"]).bootstrap_servers("localhost:9092");
        assert!(
            matches!(b.build(), Err(ConfigError::InvalidValue { key, .. }) if key == "group.id")
        );
    }
}
