//! What the handler gets and gives back: a [`Batch`], serialised as Lambda's Kafka event,
//! and a [`BatchResponse`] (Lambda's `batchItemFailures`) or a [`HandlerError`].

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use base64::Engine as _;
use futures::future::BoxFuture;
use ottla_protocol::records::TimestampType;
use serde::{Deserialize, Serialize};

use super::config::EventSource;
use crate::consumer::ConsumerRecord;

/// Lambda's Kafka event (MSK or self-managed), field for field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KafkaEvent {
    /// `aws:kafka` (MSK) or `SelfManagedKafka`.
    pub event_source: String,
    /// The MSK cluster's ARN (MSK events only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_source_arn: Option<String>,
    /// The bootstrap servers, comma-separated.
    pub bootstrap_servers: String,
    /// The records by `topic-partition`, each partition's in offset order.
    pub records: BTreeMap<String, Vec<KafkaEventRecord>>,
}

impl KafkaEvent {
    /// The event Lambda would send for `records` (grouped by topic-partition in the order
    /// given) from `source`.
    pub fn from_records(
        records: &[ConsumerRecord],
        source: &EventSource,
        bootstrap_servers: &str,
    ) -> Self {
        event_of(
            records,
            &EventContext {
                source: source.clone(),
                bootstrap_servers: bootstrap_servers.to_owned(),
            },
        )
    }
}

/// One record of a [`KafkaEvent`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KafkaEventRecord {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
    /// The offset.
    pub offset: i64,
    /// Its timestamp (ms since the epoch).
    pub timestamp: i64,
    /// `CREATE_TIME` or `LOG_APPEND_TIME`.
    pub timestamp_type: String,
    /// The key, base64 (absent for a null key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The value, base64 (absent for a null value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Headers in order, each a one-key map from its name to its value's bytes as numbers
    /// (signed, as Java's `byte`: what Lambda sends and `aws_lambda_events` reads).
    pub headers: Vec<BTreeMap<String, Vec<i8>>>,
}

/// Where the events come from: written into every event.
#[derive(Debug, Clone)]
pub(crate) struct EventContext {
    pub source: EventSource,
    pub bootstrap_servers: String,
}

/// Records handed to the handler together: one or more partitions, each partition's records
/// in offset order; no partition is in two batches at once.
#[derive(Debug, Clone)]
pub struct Batch {
    records: Arc<[ConsumerRecord]>,
    context: Arc<EventContext>,
    attempt: u32,
}

impl Batch {
    pub(crate) fn new(
        records: Arc<[ConsumerRecord]>,
        context: Arc<EventContext>,
        attempt: u32,
    ) -> Self {
        Self {
            records,
            context,
            attempt,
        }
    }

    /// The records.
    pub fn records(&self) -> &[ConsumerRecord] {
        &self.records
    }

    /// 1 for the first call with these records, 2 for the first retry, …
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The batch as Lambda's Kafka event.
    pub fn event(&self) -> KafkaEvent {
        event_of(&self.records, &self.context)
    }

    /// The event as JSON bytes (what `--exec` writes to stdin and `--invoke-url` posts).
    pub fn event_json(&self) -> Vec<u8> {
        serde_json::to_vec(&self.event()).unwrap_or_default()
    }

    /// The event read as another type with Lambda's field names, e.g.
    /// `aws_lambda_events::event::kafka::KafkaEvent`, so a handler written for Lambda takes
    /// it as it is.
    pub fn event_as<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.event_json())
    }
}

pub(crate) fn event_of(records: &[ConsumerRecord], context: &EventContext) -> KafkaEvent {
    let mut by_partition: BTreeMap<String, Vec<KafkaEventRecord>> = BTreeMap::new();
    for r in records {
        by_partition
            .entry(format!("{}-{}", r.topic, r.partition))
            .or_default()
            .push(event_record(r));
    }
    let (event_source, event_source_arn) = match &context.source {
        EventSource::Msk { arn } => ("aws:kafka".to_owned(), arn.clone()),
        EventSource::SelfManaged => ("SelfManagedKafka".to_owned(), None),
    };
    KafkaEvent {
        event_source,
        event_source_arn,
        bootstrap_servers: context.bootstrap_servers.clone(),
        records: by_partition,
    }
}

pub(crate) fn event_record(r: &ConsumerRecord) -> KafkaEventRecord {
    let b64 = |b: &bytes::Bytes| base64::engine::general_purpose::STANDARD.encode(b);
    KafkaEventRecord {
        topic: r.topic.to_string(),
        partition: r.partition,
        offset: r.offset,
        timestamp: r.timestamp,
        timestamp_type: match r.timestamp_type {
            TimestampType::CreateTime => "CREATE_TIME",
            TimestampType::LogAppendTime => "LOG_APPEND_TIME",
        }
        .to_owned(),
        key: r.key.as_ref().map(b64),
        value: r.value.as_ref().map(b64),
        headers: r
            .headers
            .iter()
            .map(|h| {
                let bytes = h.value.as_deref().unwrap_or_default();
                BTreeMap::from([(h.key.to_string(), bytes.iter().map(|&b| b as i8).collect())])
            })
            .collect(),
    }
}

/// The JSON size of `r` in an event, at most (what `batch.max.bytes` counts): base64 key and
/// value, header bytes at up to 5 characters each, and the fixed fields.
pub(crate) fn record_event_size(r: &ConsumerRecord) -> usize {
    let b64 = |n: usize| n.div_ceil(3) * 4;
    let headers: usize = r
        .headers
        .iter()
        .map(|h| h.key.len() + 8 + 5 * h.value.as_ref().map_or(0, |v| v.len()))
        .sum();
    150 + r.topic.len()
        + b64(r.key.as_ref().map_or(0, |k| k.len()))
        + b64(r.value.as_ref().map_or(0, |v| v.len()))
        + headers
}

/// A record the handler could not process (Lambda's `batchItemFailures` entry).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct FailedRecord {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
    /// The record's offset.
    pub offset: i64,
}

/// What a handler that succeeded (wholly or in part) returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchResponse {
    /// Records that failed (with `report.batch.item.failures`): in each of their partitions
    /// the records before the first failed one count as processed, and processing goes on
    /// from it. Empty: the whole batch succeeded.
    pub failed: Vec<FailedRecord>,
}

impl BatchResponse {
    /// Every record processed.
    pub fn success() -> Self {
        Self::default()
    }

    /// These records failed.
    pub fn failed(records: impl IntoIterator<Item = FailedRecord>) -> Self {
        Self {
            failed: records.into_iter().collect(),
        }
    }
}

/// Why a handler failed (Lambda's `errorType` and `errorMessage`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlerError {
    /// The kind of error (e.g. `Handled`, `Unhandled`, an exception's class).
    pub error_type: String,
    /// What went wrong.
    pub message: String,
}

impl HandlerError {
    /// An error of `error_type` saying `message`.
    pub fn new(error_type: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            error_type: error_type.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error_type, self.message)
    }
}

impl<E: std::error::Error> From<E> for HandlerError {
    fn from(e: E) -> Self {
        HandlerError::new("Unhandled", e.to_string())
    }
}

/// What the processor calls with each batch. Implemented for async closures
/// `Fn(Batch) -> impl Future<Output = Result<BatchResponse, HandlerError>>`.
pub trait Handler: Send + Sync + 'static {
    /// Processes `batch`.
    fn call(&self, batch: Batch) -> BoxFuture<'static, Result<BatchResponse, HandlerError>>;
}

impl<F, Fut> Handler for F
where
    F: Fn(Batch) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<BatchResponse, HandlerError>> + Send + 'static,
{
    fn call(&self, batch: Batch) -> BoxFuture<'static, Result<BatchResponse, HandlerError>> {
        Box::pin(self(batch))
    }
}

impl BatchResponse {
    /// Reads a handler's JSON answer in Lambda's shape for Kafka:
    /// `{"batchItemFailures": [{"itemIdentifier": {"partition": "topic-0", "offset": 100}}]}`.
    /// Empty, `null`, `{}` or an empty or null list mean success. An identifier that names no
    /// record of `batch` (or is not of that shape) fails the whole batch, as Lambda does.
    pub fn from_lambda_json(body: &[u8], batch: &[ConsumerRecord]) -> Result<Self, HandlerError> {
        let bad = |why: String| HandlerError::new("InvalidBatchItemFailures", why);
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self::success());
        }
        let value: serde_json::Value = serde_json::from_slice(body)
            .map_err(|e| bad(format!("the response is not JSON: {e}")))?;
        let failures = match value.get("batchItemFailures") {
            None | Some(serde_json::Value::Null) => return Ok(Self::success()),
            Some(serde_json::Value::Array(items)) => items,
            Some(other) => return Err(bad(format!("batchItemFailures is not a list: {other}"))),
        };
        let mut failed = Vec::with_capacity(failures.len());
        for item in failures {
            let id = item.get("itemIdentifier");
            let partition = id.and_then(|i| i.get("partition")).and_then(|p| p.as_str());
            let offset = id.and_then(|i| i.get("offset")).and_then(|o| o.as_i64());
            let (Some(partition), Some(offset)) = (partition, offset) else {
                return Err(bad(format!(
                    "{item}: an itemIdentifier is {{\"partition\": \"topic-N\", \"offset\": N}}"
                )));
            };
            let found = batch.iter().find(|r| {
                r.offset == offset
                    && partition
                        .rsplit_once('-')
                        .is_some_and(|(t, p)| *t == *r.topic && p.parse() == Ok(r.partition))
            });
            let Some(r) = found else {
                return Err(bad(format!(
                    "{partition} offset {offset} is not a record of the batch"
                )));
            };
            failed.push(FailedRecord {
                topic: r.topic.to_string(),
                partition: r.partition,
                offset,
            });
        }
        Ok(Self { failed })
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use ottla_protocol::records::Header;
    use ottla_protocol::StrBytes;

    use super::*;

    fn record(topic: &str, partition: i32, offset: i64) -> ConsumerRecord {
        ConsumerRecord {
            topic: Arc::from(topic),
            partition,
            offset,
            timestamp: 1_595_035_749_700,
            timestamp_type: TimestampType::CreateTime,
            leader_epoch: None,
            key: None,
            value: None,
            headers: Vec::new(),
        }
    }

    /// Lambda's documented MSK example event, field by field.
    #[test]
    fn the_event_is_lambdas_documented_example() {
        let mut r = record("AWSKafkaTopic", 0, 0);
        r.key = Some(Bytes::from_static(b"8d5596b4-1813-4238-b24b-6dad8e3d1c0c"));
        r.value = Some(Bytes::from_static(b"8d5596b4-1813-4238-b24b-6dad8e3d1c0c"));
        r.headers = vec![Header {
            key: StrBytes::from_static_str("headerKey"),
            value: Some(Bytes::from_static(b"headerValue")),
        }];
        let context = EventContext {
            source: EventSource::Msk {
                arn: Some("arn:aws:kafka:us-west-2:012345678901:cluster/ExampleMSKCluster/e9f754c6-d29a-4430-a7db-958a19fd2c54-4".to_owned()),
            },
            bootstrap_servers: "b-2.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9092,b-1.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9092".to_owned(),
        };
        let batch = Batch::new(Arc::from(vec![r]), Arc::new(context), 1);
        let ours: serde_json::Value = serde_json::from_slice(&batch.event_json()).unwrap();
        let documented: serde_json::Value = serde_json::from_str(
            r#"{
              "eventSource": "aws:kafka",
              "eventSourceArn": "arn:aws:kafka:us-west-2:012345678901:cluster/ExampleMSKCluster/e9f754c6-d29a-4430-a7db-958a19fd2c54-4",
              "bootstrapServers": "b-2.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9092,b-1.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9092",
              "records": {
                "AWSKafkaTopic-0": [
                  {
                    "topic": "AWSKafkaTopic",
                    "partition": 0,
                    "offset": 0,
                    "timestamp": 1595035749700,
                    "timestampType": "CREATE_TIME",
                    "key": "OGQ1NTk2YjQtMTgxMy00MjM4LWIyNGItNmRhZDhlM2QxYzBj",
                    "value": "OGQ1NTk2YjQtMTgxMy00MjM4LWIyNGItNmRhZDhlM2QxYzBj",
                    "headers": [{"headerKey": [104, 101, 97, 100, 101, 114, 86, 97, 108, 117, 101]}]
                  }
                ]
              }
            }"#,
        )
        .unwrap();
        assert_eq!(ours, documented);
    }

    /// Self-managed: no ARN; null key and value left out; header bytes above 127 as Java's
    /// signed bytes; records grouped by topic-partition in offset order.
    #[test]
    fn self_managed_events_and_signed_header_bytes() {
        let mut a = record("t", 1, 7);
        a.value = Some(Bytes::from_static(b"x"));
        a.headers = vec![Header {
            key: StrBytes::from_static_str("h"),
            value: Some(Bytes::from_static(&[118, 220, 0, 127, 128])),
        }];
        let b = record("t", 0, 3);
        let c = record("t", 1, 8);
        let context = EventContext {
            source: EventSource::SelfManaged,
            bootstrap_servers: "127.0.0.1:9092".to_owned(),
        };
        let event = event_of(&[a, b, c], &context);
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["eventSource"], "SelfManagedKafka");
        assert!(json.get("eventSourceArn").is_none());
        let p1 = &json["records"]["t-1"];
        assert_eq!(
            p1[0]["headers"][0]["h"],
            serde_json::json!([118, -36, 0, 127, -128])
        );
        assert!(p1[0].get("key").is_none() && p1[0]["value"] == "eA==");
        assert_eq!(p1[1]["offset"], 8);
        assert!(json["records"]["t-0"][0].get("value").is_none());
        assert_eq!(json["records"]["t-0"][0]["headers"], serde_json::json!([]));
    }

    /// A handler written for `lambda_runtime` takes the event as it is: it reads as
    /// `aws_lambda_events`' own `KafkaEvent`, header bytes above 127 included.
    #[test]
    fn the_event_reads_as_aws_lambda_events_kafka_event() {
        let mut a = record("t", 1, 7);
        a.key = Some(Bytes::from_static(b"k"));
        a.value = Some(Bytes::from_static(b"value"));
        a.headers = vec![Header {
            key: StrBytes::from_static_str("h"),
            value: Some(Bytes::from_static(&[1, 200, 255])),
        }];
        let b = record("t", 1, 8);
        let context = EventContext {
            source: EventSource::Msk {
                arn: Some("arn:aws:kafka:x".to_owned()),
            },
            bootstrap_servers: "b:9092".to_owned(),
        };
        let batch = Batch::new(Arc::from(vec![a, b]), Arc::new(context), 1);
        let theirs: aws_lambda_events::event::kafka::KafkaEvent = batch.event_as().unwrap();
        assert_eq!(theirs.event_source.as_deref(), Some("aws:kafka"));
        assert_eq!(theirs.event_source_arn.as_deref(), Some("arn:aws:kafka:x"));
        let records = &theirs.records["t-1"];
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].offset, 7);
        assert_eq!(records[0].timestamp.0.timestamp_millis(), 1_595_035_749_700);
        assert_eq!(records[0].value.as_deref(), Some("dmFsdWU="));
        assert_eq!(records[0].headers[0]["h"], [1, -56, -1]);
        assert_eq!(records[1].key, None);
    }

    #[test]
    fn batch_item_failures_in_lambdas_shape() {
        let batch = [
            record("orders-eu", 0, 5),
            record("orders-eu", 0, 6),
            record("orders-eu", 3, 9),
        ];
        for ok in [
            "",
            "  ",
            "null",
            "{}",
            r#"{"batchItemFailures": []}"#,
            r#"{"batchItemFailures": null}"#,
        ] {
            assert_eq!(
                BatchResponse::from_lambda_json(ok.as_bytes(), &batch),
                Ok(BatchResponse::success()),
                "{ok:?}"
            );
        }
        let r = BatchResponse::from_lambda_json(
            br#"{"batchItemFailures": [{"itemIdentifier": {"partition": "orders-eu-0", "offset": 6}},
                                        {"itemIdentifier": {"partition": "orders-eu-3", "offset": 9}}]}"#,
            &batch,
        )
        .unwrap();
        assert_eq!(
            r.failed,
            [
                FailedRecord {
                    topic: "orders-eu".into(),
                    partition: 0,
                    offset: 6
                },
                FailedRecord {
                    topic: "orders-eu".into(),
                    partition: 3,
                    offset: 9
                },
            ]
        );
        for bad in [
            r#"{"batchItemFailures": [{"itemIdentifier": {"partition": "orders-eu-0", "offset": 7}}]}"#,
            r#"{"batchItemFailures": [{"itemIdentifier": {"partition": "orders-0", "offset": 5}}]}"#,
            r#"{"batchItemFailures": [{"itemIdentifier": "orders-eu-0-5"}]}"#,
            r#"{"batchItemFailures": [{"itemIdentifier": {"partition": "orders-eu-0"}}]}"#,
            r#"{"batchItemFailures": {}}"#,
            "not json",
        ] {
            let e = BatchResponse::from_lambda_json(bad.as_bytes(), &batch).unwrap_err();
            assert_eq!(e.error_type, "InvalidBatchItemFailures", "{bad}");
        }
    }
}
