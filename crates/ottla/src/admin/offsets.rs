//! Offsets of partitions (ListOffsets) and deleting the records before an offset
//! (DeleteRecords).

use std::collections::BTreeMap;

use ottla_protocol::messages::delete_records_request::{
    DeleteRecordsPartition, DeleteRecordsTopic,
};
use ottla_protocol::messages::{ApiKey, DeleteRecordsRequest, TopicName};
use ottla_protocol::StrBytes;

use super::{check, Admin, OffsetSpec, TIMEOUT_MS};
use crate::basic::list_offset;
use crate::group::TopicPartition;
use crate::Error;

impl Admin {
    /// Each partition's offset by `spec`: the log start, the end (high watermark), the last
    /// stable offset, or the first record at or after a time (-1 when there is none).
    pub async fn list_offsets(
        &self,
        partitions: &[TopicPartition],
        spec: OffsetSpec,
    ) -> Result<BTreeMap<TopicPartition, i64>, Error> {
        let mut out = BTreeMap::new();
        for tp in partitions {
            out.insert(
                tp.clone(),
                list_offset(&self.client, &tp.topic, tp.partition, spec).await?,
            );
        }
        Ok(out)
    }

    /// Deletes every record before the given offset of each partition (-1: up to the high
    /// watermark); returns each partition's new log start offset.
    pub async fn delete_records(
        &self,
        before: &BTreeMap<TopicPartition, i64>,
    ) -> Result<BTreeMap<TopicPartition, i64>, Error> {
        let mut out = BTreeMap::new();
        for (tp, &offset) in before {
            let request = DeleteRecordsRequest::default()
                .with_timeout_ms(TIMEOUT_MS)
                .with_topics(vec![DeleteRecordsTopic::default()
                    .with_name(TopicName(StrBytes::from_string(tp.topic.to_string())))
                    .with_partitions(vec![DeleteRecordsPartition::default()
                        .with_partition_index(tp.partition)
                        .with_offset(offset)])]);
            let response = self
                .client
                .send_to_leader(&tp.topic, tp.partition, &request)
                .await?;
            let result = response
                .topics
                .iter()
                .flat_map(|t| t.partitions.iter())
                .find(|p| p.partition_index == tp.partition)
                .ok_or_else(|| Error::UnknownTopicOrPartition {
                    topic: tp.topic.to_string(),
                    partition: Some(tp.partition),
                })?;
            check(
                ApiKey::DeleteRecords,
                result.error_code,
                || tp.to_string(),
                None,
            )?;
            out.insert(tp.clone(), result.low_watermark);
        }
        Ok(out)
    }
}
