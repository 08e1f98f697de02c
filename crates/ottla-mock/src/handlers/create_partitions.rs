//! CreatePartitions: grows a topic (never shrinks it: INVALID_PARTITIONS), with
//! `validate_only`. Explicit replica assignments are not supported (INVALID_REQUEST).

use kafka_protocol::messages::create_partitions_response::CreatePartitionsTopicResult;
use kafka_protocol::messages::{CreatePartitionsRequest, CreatePartitionsResponse};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;

use super::Ctx;

pub(crate) fn handle(ctx: &Ctx<'_>, request: &CreatePartitionsRequest) -> CreatePartitionsResponse {
    let mut results = Vec::with_capacity(request.topics.len());
    let mut grown = false;
    {
        let mut state = ctx.shared.lock();
        for t in &request.topics {
            let name = t.name.0.as_str();
            let outcome = if let Some(code) = ctx.injected.topic(name) {
                Err((code, None))
            } else if t.assignments.is_some() {
                Err((
                    ResponseError::InvalidRequest.code(),
                    Some("the mock assigns replicas itself".to_owned()),
                ))
            } else {
                state
                    .add_partitions(name, t.count, request.validate_only)
                    .map_err(|(code, message)| (code, Some(message)))
            };
            let result = CreatePartitionsTopicResult::default().with_name(t.name.clone());
            results.push(match outcome {
                Ok(()) => {
                    grown |= !request.validate_only;
                    result
                }
                Err((code, message)) => result
                    .with_error_code(code)
                    .with_error_message(message.map(StrBytes::from_string)),
            });
        }
    }
    if grown {
        ctx.shared.notify_changed();
    }
    CreatePartitionsResponse::default().with_results(results)
}
