//! ListOffsets for one partition.

use ottla_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use ottla_protocol::messages::{ApiKey, BrokerId, ListOffsetsRequest, TopicName};
use ottla_protocol::StrBytes;

use super::partition_result;
use crate::{Client, Error};

/// Which offset to look up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetSpec {
    /// The log start offset.
    Earliest,
    /// The high watermark (next offset to be written).
    Latest,
    /// The last stable offset: where a `read_committed` reader ends (the first offset of the
    /// oldest transaction still open, else the high watermark).
    LastStable,
    /// The first offset whose timestamp is at or after this (ms since the epoch).
    Timestamp(i64),
}

impl OffsetSpec {
    fn wire(self) -> i64 {
        match self {
            OffsetSpec::Earliest => -2,
            OffsetSpec::Latest | OffsetSpec::LastStable => -1,
            OffsetSpec::Timestamp(t) => t,
        }
    }
}

/// Looks up an offset of `topic`/`partition` at its leader. For a timestamp with no record at
/// or after it, returns -1 (as Kafka does).
pub async fn list_offset(
    client: &Client,
    topic: &str,
    partition: i32,
    spec: OffsetSpec,
) -> Result<i64, Error> {
    let request = ListOffsetsRequest::default()
        .with_replica_id(BrokerId(-1))
        .with_isolation_level(i8::from(spec == OffsetSpec::LastStable))
        .with_topics(vec![ListOffsetsTopic::default()
            .with_name(TopicName(StrBytes::from_string(topic.to_owned())))
            .with_partitions(vec![ListOffsetsPartition::default()
                .with_partition_index(partition)
                .with_current_leader_epoch(-1)
                .with_timestamp(spec.wire())])]);
    let response = client.send_to_leader(topic, partition, &request).await?;
    let p = partition_result::find(
        response
            .topics
            .iter()
            .filter(|t| t.name.0.as_str() == topic)
            .flat_map(|t| t.partitions.iter()),
        |p| p.partition_index,
        topic,
        partition,
    )?;
    partition_result::check(
        client,
        ApiKey::ListOffsets,
        p.error_code,
        || format!("{topic}-{partition}"),
        None,
    )?;
    Ok(p.offset)
}
