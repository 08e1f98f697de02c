//! Topics and partitions.

use ottla_protocol::messages::create_partitions_request::CreatePartitionsTopic;
use ottla_protocol::messages::{ApiKey, CreatePartitionsRequest, TopicName};
use ottla_protocol::StrBytes;

use super::{check, Admin, NewTopic, TIMEOUT_MS};
use crate::basic::{create_topic, delete_topic};
use crate::Error;

impl Admin {
    /// Creates a topic (partitions, replication factor, configs) and waits until every
    /// partition has a leader.
    pub async fn create_topic(&self, topic: &NewTopic) -> Result<(), Error> {
        create_topic(&self.client, topic).await
    }

    /// Deletes a topic and waits until the metadata no longer shows it.
    pub async fn delete_topic(&self, name: &str) -> Result<(), Error> {
        delete_topic(&self.client, name).await
    }

    /// Grows `topic` to `count` partitions and waits until the metadata shows them with
    /// leaders (Kafka cannot shrink a topic: INVALID_PARTITIONS).
    pub async fn create_partitions(&self, topic: &str, count: i32) -> Result<(), Error> {
        let request = CreatePartitionsRequest::default()
            .with_timeout_ms(TIMEOUT_MS)
            .with_topics(vec![CreatePartitionsTopic::default()
                .with_name(TopicName(StrBytes::from_string(topic.to_owned())))
                .with_count(count)
                .with_assignments(None)]);
        let response = self.client.send_to_controller(&request).await?;
        for r in &response.results {
            check(
                ApiKey::CreatePartitions,
                r.error_code,
                || format!("topic {topic}"),
                r.error_message.as_ref(),
            )?;
        }
        let deadline = tokio::time::Instant::now() + self.client.config().request_timeout;
        loop {
            let m = self.client.refresh_metadata().await?;
            let t = m.topic(topic)?;
            if t.partitions.len() >= count as usize
                && t.partitions.values().all(|p| p.leader.is_some())
            {
                return Ok(());
            }
            if tokio::time::Instant::now() > deadline {
                return Err(Error::Timeout {
                    broker: "cluster".into(),
                    api: ApiKey::Metadata,
                    timeout: self.client.config().request_timeout,
                });
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}
