//! CreateTopics and DeleteTopics.

use ottla_protocol::error_code::ErrorCode;
use ottla_protocol::messages::create_topics_request::{CreatableTopic, CreatableTopicConfig};
use ottla_protocol::messages::delete_topics_request::DeleteTopicState;
use ottla_protocol::messages::{ApiKey, CreateTopicsRequest, DeleteTopicsRequest, TopicName};
use ottla_protocol::StrBytes;

use crate::{Client, Error};

/// A topic to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTopic {
    /// Name.
    pub name: String,
    /// Partition count.
    pub partitions: i32,
    /// Replication factor; -1 takes the broker's default.
    pub replication_factor: i16,
    /// Topic configs (`cleanup.policy`, `retention.ms`, …).
    pub configs: Vec<(String, String)>,
}

const ADMIN_TIMEOUT_MS: i32 = 30_000;

/// Creates a topic and waits until the cluster metadata shows it with a leader for each
/// partition (bounded by `request.timeout.ms`).
pub async fn create_topic(client: &Client, topic: &NewTopic) -> Result<(), Error> {
    let request = CreateTopicsRequest::default()
        .with_timeout_ms(ADMIN_TIMEOUT_MS)
        .with_topics(vec![CreatableTopic::default()
            .with_name(TopicName(StrBytes::from_string(topic.name.clone())))
            .with_num_partitions(topic.partitions)
            .with_replication_factor(topic.replication_factor)
            .with_configs(
                topic
                    .configs
                    .iter()
                    .map(|(k, v)| {
                        CreatableTopicConfig::default()
                            .with_name(StrBytes::from_string(k.clone()))
                            .with_value(Some(StrBytes::from_string(v.clone())))
                    })
                    .collect(),
            )]);
    let response = client.send_to_controller(&request).await?;
    for t in &response.topics {
        let code = ErrorCode(t.error_code);
        if code.is_err() {
            return Err(Error::Kafka {
                api: ApiKey::CreateTopics,
                code,
                context: format!("topic {}", topic.name),
                message: t.error_message.as_ref().map(|m| m.to_string()),
            });
        }
    }
    wait_for_topic(client, &topic.name, true).await
}

/// Deletes a topic and waits until the cluster metadata no longer shows it.
pub async fn delete_topic(client: &Client, name: &str) -> Result<(), Error> {
    let topic_name = TopicName(StrBytes::from_string(name.to_owned()));
    let request = DeleteTopicsRequest::default()
        .with_timeout_ms(ADMIN_TIMEOUT_MS)
        .with_topic_names(vec![topic_name.clone()])
        .with_topics(vec![DeleteTopicState::default().with_name(Some(topic_name))]);
    let response = client.send_to_controller(&request).await?;
    for r in &response.responses {
        let code = ErrorCode(r.error_code);
        if code.is_err() {
            return Err(Error::Kafka {
                api: ApiKey::DeleteTopics,
                code,
                context: format!("topic {name}"),
                message: r.error_message.as_ref().map(|m| m.to_string()),
            });
        }
    }
    wait_for_topic(client, name, false).await
}

async fn wait_for_topic(client: &Client, name: &str, present: bool) -> Result<(), Error> {
    let deadline = tokio::time::Instant::now() + client.config().request_timeout;
    let mut delay = std::time::Duration::from_millis(20);
    loop {
        let m = client.refresh_metadata().await?;
        let ready = match m.topic(name) {
            Ok(t) => {
                present
                    && !t.partitions.is_empty()
                    && t.partitions.values().all(|p| p.leader.is_some())
            }
            Err(_) => !present,
        };
        if ready {
            return Ok(());
        }
        if tokio::time::Instant::now() + delay > deadline {
            return Err(Error::Timeout {
                broker: "cluster".into(),
                api: ApiKey::Metadata,
                timeout: client.config().request_timeout,
            });
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(std::time::Duration::from_millis(500));
    }
}
