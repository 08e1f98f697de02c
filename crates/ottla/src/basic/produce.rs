//! Produce one record batch to one partition.

use bytes::BytesMut;
use ottla_protocol::compression::Compression;
use ottla_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use ottla_protocol::messages::{ApiKey, ProduceRequest, TopicName};
use ottla_protocol::records::{encode_batch, BatchOptions, Record};
use ottla_protocol::StrBytes;

use super::partition_result;
use crate::{Client, Error};

/// `acks`: how many replicas must have the batch before the broker answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Acks {
    /// No response at all (`acks=0`).
    None,
    /// The leader only (`acks=1`).
    Leader,
    /// Every in-sync replica (`acks=all` / `-1`).
    #[default]
    All,
}

impl Acks {
    /// The wire value.
    pub fn wire(self) -> i16 {
        match self {
            Acks::None => 0,
            Acks::Leader => 1,
            Acks::All => -1,
        }
    }
}

/// How to produce.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProduceOptions {
    /// `acks`.
    pub acks: Acks,
    /// `compression.type`.
    pub compression: Compression,
    /// `compression.level`, for codecs that have levels.
    pub compression_level: Option<i32>,
}

/// Where a batch landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Produced {
    /// Offset of the batch's first record (-1 with `acks=0`).
    pub base_offset: i64,
    /// Broker append time when the topic uses LogAppendTime, else -1.
    pub log_append_time: i64,
}

/// Writes `records` as one batch to `topic`/`partition` at its leader.
pub async fn produce_batch(
    client: &Client,
    topic: &str,
    partition: i32,
    records: &[Record],
    options: &ProduceOptions,
) -> Result<Produced, Error> {
    let mut buf = BytesMut::new();
    let batch_options = BatchOptions {
        compression: options.compression,
        compression_level: options.compression_level,
        ..BatchOptions::default()
    };
    encode_batch(records, &batch_options, &mut buf).map_err(|e| Error::Encode {
        context: format!("{topic}-{partition}"),
        source: e.into(),
    })?;
    let timeout_ms = i32::try_from(client.config().request_timeout.as_millis()).unwrap_or(i32::MAX);
    let request = ProduceRequest::default()
        .with_acks(options.acks.wire())
        .with_timeout_ms(timeout_ms)
        .with_topic_data(vec![TopicProduceData::default()
            .with_name(TopicName(StrBytes::from_string(topic.to_owned())))
            .with_partition_data(vec![PartitionProduceData::default()
                .with_index(partition)
                .with_records(Some(buf.freeze()))])]);
    let leader = client.leader_of(topic, partition).await?;
    let conn = client.connection(leader).await?;
    let version = conn.version_of(ApiKey::Produce)?;
    if options.acks == Acks::None {
        conn.send_no_response(&request, version).await?;
        return Ok(Produced {
            base_offset: -1,
            log_append_time: -1,
        });
    }
    let response = conn
        .send_versioned(&request, version)
        .await
        .inspect_err(|e| {
            if e.is_retriable() {
                client.invalidate_metadata();
            }
        })?;
    let p = partition_result::find(
        response
            .responses
            .iter()
            .filter(|t| t.name.0.as_str() == topic)
            .flat_map(|t| t.partition_responses.iter()),
        |p| p.index,
        topic,
        partition,
    )?;
    partition_result::check(
        client,
        ApiKey::Produce,
        p.error_code,
        || format!("{topic}-{partition}"),
        p.error_message.as_ref(),
    )?;
    Ok(Produced {
        base_offset: p.base_offset,
        log_append_time: p.log_append_time_ms,
    })
}
