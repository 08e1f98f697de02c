//! What a failure destination receives, in Lambda's shapes: the failure record of its SQS,
//! SNS and S3 destinations (one per given-up batch, `KafkaBatchInfo.recordsInfo` per
//! topic-partition), and the record of its `kafka://` destination (one per failed record,
//! `recordInfo` and the one-record event as `payload`).

use std::collections::BTreeMap;

use rand::Rng as _;
use serde::{Deserialize, Serialize};

use super::event::{event_of, EventContext, HandlerError, KafkaEvent};
use crate::clock::now_ms;
use crate::consumer::ConsumerRecord;

/// Why a batch was given up (`requestContext.condition`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// `max.retries` retries failed.
    RetryAttemptsExhausted,
    /// The oldest record passed `max.record.age.ms` while the batch kept failing.
    RecordAgeExceeded,
}

impl Condition {
    /// Lambda's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Condition::RetryAttemptsExhausted => "RetryAttemptsExhausted",
            Condition::RecordAgeExceeded => "RecordAgeExceeded",
        }
    }
}

/// A failure record (Lambda's on-failure destination document).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureRecord {
    /// The invocation.
    #[serde(rename = "requestContext")]
    pub request_context: RequestContext,
    /// The handler's last answer.
    #[serde(rename = "responseContext")]
    pub response_context: Option<ResponseContext>,
    /// `1.0`.
    pub version: String,
    /// When the batch was given up (ISO-8601, ms, UTC).
    pub timestamp: String,
    /// The records given up.
    #[serde(rename = "KafkaBatchInfo")]
    pub kafka_batch_info: KafkaBatchInfo,
    /// The event itself: a JSON string for the file destination and callbacks (as Lambda's
    /// S3 destination), the one-record event object for the Kafka destination.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<serde_json::Value>,
}

/// `requestContext`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestContext {
    /// A random UUID per failure record.
    pub request_id: String,
    /// What handled the batch (`ottla:processor:GROUP`).
    pub function_arn: String,
    /// `RetryAttemptsExhausted` or `RecordAgeExceeded`.
    pub condition: String,
    /// How many times the handler was called with these records.
    pub approximate_invoke_count: u32,
}

/// `responseContext`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponseContext {
    /// 200, as Lambda reports a function error.
    pub status_code: u16,
    /// `$LATEST`.
    pub executed_version: String,
    /// The handler's error type (`Unhandled`, `Handled`, …).
    pub function_error: String,
}

/// `KafkaBatchInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KafkaBatchInfo {
    /// Records given up.
    pub batch_size: usize,
    /// The MSK cluster's ARN (MSK only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_source_arn: Option<String>,
    /// The bootstrap servers.
    pub bootstrap_servers: String,
    /// Bytes of the event JSON.
    pub payload_size: usize,
    /// Per `topic-partition` (batch records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records_info: Option<BTreeMap<String, RecordsInfo>>,
    /// The one record (Kafka destination records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_info: Option<RecordInfo>,
}

/// One partition's records in a failure record (offsets as strings, as Lambda writes them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordsInfo {
    /// The first record's offset.
    pub first_record_offset: String,
    /// The first record's time (ISO-8601).
    pub first_record_timestamp: String,
    /// The last record's offset.
    pub last_record_offset: String,
    /// The last record's time (ISO-8601).
    pub last_record_timestamp: String,
}

/// The record of a Kafka destination record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordInfo {
    /// Its offset.
    pub offset: String,
    /// Its time (ISO-8601).
    pub timestamp: String,
}

/// What is known about the failure.
pub(crate) struct Failure<'a> {
    pub records: &'a [ConsumerRecord],
    pub condition: Condition,
    pub error: &'a HandlerError,
    pub invokes: u32,
    pub function: &'a str,
    pub context: &'a EventContext,
}

impl Failure<'_> {
    fn head(&self, batch_size: usize, payload_size: usize) -> FailureRecord {
        let arn = match &self.context.source {
            super::config::EventSource::Msk { arn } => arn.clone(),
            super::config::EventSource::SelfManaged => None,
        };
        FailureRecord {
            request_context: RequestContext {
                request_id: uuid::Builder::from_random_bytes(rand::rng().random())
                    .into_uuid()
                    .to_string(),
                function_arn: self.function.to_owned(),
                condition: self.condition.as_str().to_owned(),
                approximate_invoke_count: self.invokes,
            },
            response_context: Some(ResponseContext {
                status_code: 200,
                executed_version: "$LATEST".to_owned(),
                function_error: self.error.error_type.clone(),
            }),
            version: "1.0".to_owned(),
            timestamp: iso_millis(now_ms()),
            kafka_batch_info: KafkaBatchInfo {
                batch_size,
                event_source_arn: arn,
                bootstrap_servers: self.context.bootstrap_servers.clone(),
                payload_size,
                records_info: None,
                record_info: None,
            },
            payload: None,
        }
    }

    /// The batch's failure record, with the event as a JSON string in `payload`.
    pub fn batch_record(&self) -> FailureRecord {
        let event =
            serde_json::to_string(&event_of(self.records, self.context)).unwrap_or_default();
        let mut record = self.head(self.records.len(), event.len());
        let mut info: BTreeMap<String, RecordsInfo> = BTreeMap::new();
        for r in self.records {
            let ts = iso_millis(r.timestamp);
            info.entry(format!("{}-{}", r.topic, r.partition))
                .and_modify(|i| {
                    i.last_record_offset = r.offset.to_string();
                    i.last_record_timestamp = ts.clone();
                })
                .or_insert_with(|| RecordsInfo {
                    first_record_offset: r.offset.to_string(),
                    first_record_timestamp: ts.clone(),
                    last_record_offset: r.offset.to_string(),
                    last_record_timestamp: ts.clone(),
                });
        }
        record.kafka_batch_info.records_info = Some(info);
        record.payload = Some(serde_json::Value::String(event));
        record
    }

    /// One Kafka destination record per record, the one-record event as `payload`.
    pub fn per_record(&self) -> Vec<(ConsumerRecord, FailureRecord)> {
        self.records
            .iter()
            .map(|r| {
                let event: KafkaEvent = event_of(std::slice::from_ref(r), self.context);
                let payload = serde_json::to_value(&event).unwrap_or_default();
                let mut record = self.head(1, payload.to_string().len());
                record.kafka_batch_info.record_info = Some(RecordInfo {
                    offset: r.offset.to_string(),
                    timestamp: iso_millis(r.timestamp),
                });
                record.payload = Some(payload);
                (r.clone(), record)
            })
            .collect()
    }
}

/// `2019-11-14T00:38:06.021Z` for ms since the epoch (the epoch itself when out of range).
pub(crate) fn iso_millis(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use bytes::Bytes;
    use ottla_protocol::records::TimestampType;

    use super::*;
    use crate::processor::config::EventSource;

    fn record(partition: i32, offset: i64, ts: i64) -> ConsumerRecord {
        ConsumerRecord {
            topic: Arc::from("orders"),
            partition,
            offset,
            timestamp: ts,
            timestamp_type: TimestampType::CreateTime,
            leader_epoch: None,
            key: Some(Bytes::from_static(b"k")),
            value: Some(Bytes::from_static(b"v")),
            headers: Vec::new(),
        }
    }

    #[test]
    fn times_are_iso_with_milliseconds() {
        assert_eq!(iso_millis(1_573_691_886_021), "2019-11-14T00:38:06.021Z");
        assert_eq!(iso_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_millis(i64::MAX), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn failure_records_in_lambdas_shapes() {
        let records = [
            record(0, 10, 1_573_691_884_835),
            record(0, 11, 1_573_691_885_580),
            record(2, 4, 1_573_691_885_000),
        ];
        let context = EventContext {
            source: EventSource::Msk {
                arn: Some("arn:aws:kafka:us-east-1:1:cluster/c/x".to_owned()),
            },
            bootstrap_servers: "b-1:9092".to_owned(),
        };
        let error = HandlerError::new("Unhandled", "boom");
        let f = Failure {
            records: &records,
            condition: Condition::RetryAttemptsExhausted,
            error: &error,
            invokes: 3,
            function: "ottla:processor:g",
            context: &context,
        };
        let json = serde_json::to_value(f.batch_record()).unwrap();
        assert_eq!(
            json["requestContext"]["condition"],
            "RetryAttemptsExhausted"
        );
        assert_eq!(json["requestContext"]["approximateInvokeCount"], 3);
        assert_eq!(json["responseContext"]["functionError"], "Unhandled");
        assert_eq!(json["version"], "1.0");
        let info = &json["KafkaBatchInfo"];
        assert_eq!(info["batchSize"], 3);
        assert_eq!(
            info["eventSourceArn"],
            "arn:aws:kafka:us-east-1:1:cluster/c/x"
        );
        assert_eq!(
            info["recordsInfo"]["orders-0"],
            serde_json::json!({
                "firstRecordOffset": "10",
                "firstRecordTimestamp": "2019-11-14T00:38:04.835Z",
                "lastRecordOffset": "11",
                "lastRecordTimestamp": "2019-11-14T00:38:05.580Z"
            })
        );
        let payload = json["payload"].as_str().unwrap();
        assert_eq!(info["payloadSize"], payload.len());
        let event: KafkaEvent = serde_json::from_str(payload).unwrap();
        assert_eq!(event.records["orders-2"][0].offset, 4);

        let per = f.per_record();
        assert_eq!(per.len(), 3);
        let one = serde_json::to_value(&per[1].1).unwrap();
        assert_eq!(one["KafkaBatchInfo"]["batchSize"], 1);
        assert_eq!(one["KafkaBatchInfo"]["recordInfo"]["offset"], "11");
        assert_eq!(one["payload"]["records"]["orders-0"][0]["offset"], 11);
        assert!(one["KafkaBatchInfo"].get("recordsInfo").is_none());
    }
}
