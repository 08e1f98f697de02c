//! The Produce and Consume steps (`--topic`): one record with a unique value written to
//! partition 0, then fetched back.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use ottla::basic::{fetch_partition, produce_batch, FetchOptions, ProduceOptions};
use ottla::protocol::error_code::ErrorCode;
use ottla::protocol::records::Record;
use ottla::{Client, Error};
use serde_json::json;
use tokio::time::Instant;

use super::report::Step;
use super::target::Target;

/// The partition written to and read from.
const PARTITION: i32 = 0;
/// How long the Consume step waits for the record.
const READ_BACK_WITHIN: Duration = Duration::from_secs(10);

/// What was written: the value and its offset.
#[derive(Debug, Clone)]
pub struct Written {
    /// The record's value.
    pub value: Bytes,
    /// Its offset.
    pub offset: i64,
}

/// A value no other run writes.
pub fn unique_value() -> Bytes {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    Bytes::from(format!("ottla-doctor {} {nanos}", std::process::id()))
}

/// Writes one record to `topic` partition 0 (acks=all).
pub async fn produce(
    target: &Target,
    client: &Client,
    topic: &str,
) -> Result<(Step, Written), Step> {
    let value = unique_value();
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let record = Record {
        key: None,
        value: Some(value.clone()),
        headers: Vec::new(),
        timestamp: now_ms,
    };
    match produce_batch(
        client,
        topic,
        PARTITION,
        &[record],
        &ProduceOptions::default(),
    )
    .await
    {
        Ok(p) => {
            let leader = client.leader_of(topic, PARTITION).await.ok();
            let step = Step::ok(
                "Produce",
                format!(
                    "wrote 1 record to {topic}-{PARTITION} at offset {}",
                    p.base_offset
                ),
            )
            .detail(leader.map(|l| format!("leader: broker {l}; acks=all")))
            .data(json!({ "topic": topic, "partition": PARTITION, "offset": p.base_offset }));
            Ok((
                step,
                Written {
                    value,
                    offset: p.base_offset,
                },
            ))
        }
        Err(e) => {
            Err(Step::fail("Produce", e.to_string()).hints(hints(target, topic, &e, "Write")))
        }
    }
}

/// Fetches from the written offset until the record comes back.
pub async fn consume(
    target: &Target,
    client: &Client,
    topic: &str,
    written: &Written,
) -> Result<Step, Step> {
    let started = Instant::now();
    let options = FetchOptions {
        max_wait: Duration::from_millis(500),
        ..FetchOptions::default()
    };
    let mut offset = written.offset;
    while started.elapsed() < READ_BACK_WITHIN {
        let fetched = match fetch_partition(client, topic, PARTITION, offset, &options).await {
            Ok(f) => f,
            Err(e) => {
                return Err(
                    Step::fail("Consume", e.to_string()).hints(hints(target, topic, &e, "Read"))
                )
            }
        };
        if let Some(r) = fetched
            .records
            .iter()
            .find(|r| r.value.as_ref() == Some(&written.value))
        {
            return Ok(Step::ok(
                "Consume",
                format!(
                    "read it back from {topic}-{PARTITION} at offset {}",
                    r.offset
                ),
            )
            .detail([format!("high watermark: {}", fetched.high_watermark)])
            .data(json!({ "topic": topic, "partition": PARTITION, "offset": r.offset })));
        }
        if fetched.next_offset > offset {
            offset = fetched.next_offset;
        }
    }
    Err(Step::fail(
        "Consume",
        format!(
            "the record written at offset {} did not come back within {READ_BACK_WITHIN:?}",
            written.offset
        ),
    )
    .hints([
        "the high watermark does not advance: followers are not in sync (acks=all waited for \
         them, fetching waits for the high watermark)"
            .to_owned(),
        "the partition was truncated or its leader changed after the write".to_owned(),
    ]))
}

/// Likely causes of a produce (`action` = "Write") or fetch ("Read") failure.
fn hints(target: &Target, topic: &str, e: &Error, action: &str) -> Vec<String> {
    let verb = if action == "Write" { "WRITE" } else { "READ" };
    let iam = format!(
        "on MSK with IAM: the policy needs kafka-cluster:{action}Data and \
         kafka-cluster:DescribeTopic on the topic (arn:aws:kafka:…:topic/<cluster>/<uuid>/{topic})"
    );
    match e {
        Error::UnknownTopicOrPartition { .. } => vec![format!(
            "topic {topic} does not exist: create it (ottla topics create {topic} -p 1)"
        )],
        Error::Kafka { code, .. } if *code == ErrorCode::UNKNOWN_TOPIC_OR_PARTITION => {
            vec![format!(
                "topic {topic} does not exist, or has no partition {PARTITION}"
            )]
        }
        Error::Kafka { code, .. } if *code == ErrorCode::TOPIC_AUTHORIZATION_FAILED => vec![
            format!(
                "the principal may not {} topic {topic} (Kafka ACL {verb})",
                verb.to_lowercase()
            ),
            iam,
        ],
        Error::Kafka { code, .. }
            if *code == ErrorCode::NOT_ENOUGH_REPLICAS
                || *code == ErrorCode::NOT_ENOUGH_REPLICAS_AFTER_APPEND =>
        {
            vec![
                "fewer replicas are in sync than min.insync.replicas asks for (brokers down?)"
                    .to_owned(),
            ]
        }
        Error::LeaderNotAvailable { .. } => {
            vec![format!(
                "partition {topic}-{PARTITION} has no leader: its brokers are down"
            )]
        }
        Error::Connect { .. } | Error::Connection { .. } | Error::Timeout { .. } => vec![
            "the partition leader cannot be reached or does not answer in time \
             (request.timeout.ms); see the Metadata step's broker list"
                .to_owned(),
        ],
        _ => {
            if target.is_msk() {
                vec![iam]
            } else {
                Vec::new()
            }
        }
    }
}
