//! DeleteTopics: by name (v1+) or, from v6, by name or topic id.

use kafka_protocol::messages::delete_topics_response::DeletableTopicResult;
use kafka_protocol::messages::{DeleteTopicsRequest, DeleteTopicsResponse, TopicName};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;
use uuid::Uuid;

use super::Ctx;

pub(crate) fn handle(ctx: &Ctx<'_>, request: DeleteTopicsRequest) -> DeleteTopicsResponse {
    let wanted: Vec<(Option<TopicName>, Uuid)> = if ctx.version >= 6 {
        request
            .topics
            .into_iter()
            .map(|t| (t.name, t.topic_id))
            .collect()
    } else {
        request
            .topic_names
            .into_iter()
            .map(|n| (Some(n), Uuid::nil()))
            .collect()
    };
    let mut state = ctx.shared.lock();
    let mut deleted = false;
    let mut results = Vec::with_capacity(wanted.len());
    for (name, id) in wanted {
        let result = DeletableTopicResult::default()
            .with_name(name.clone())
            .with_topic_id(id);
        let resolved = match &name {
            Some(n) => Some(n.0.to_string()).filter(|n| state.topics.contains_key(n)),
            None => state.topic_name_by_id(id).map(str::to_owned),
        };
        let injected = resolved
            .as_deref()
            .or(name.as_ref().map(|n| n.0.as_str()))
            .and_then(|n| ctx.injected.topic(n));
        results.push(match (injected, resolved) {
            (Some(code), _) => result.with_error_code(code),
            (None, Some(n)) => {
                let topic = state.remove_topic(&n);
                deleted = true;
                result
                    .with_name(Some(TopicName(StrBytes::from_string(n))))
                    .with_topic_id(topic.map_or(id, |t| t.id))
            }
            (None, None) => {
                let code = if name.is_some() {
                    ResponseError::UnknownTopicOrPartition.code()
                } else {
                    ResponseError::UnknownTopicId.code()
                };
                result.with_error_code(code)
            }
        });
    }
    drop(state);
    if deleted {
        ctx.shared.notify_changed();
    }
    DeleteTopicsResponse::default().with_responses(results)
}
