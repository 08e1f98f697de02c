//! Produce: the leader checks each partition's record batch and appends it, assigning offsets.

use kafka_protocol::messages::produce_response::{PartitionProduceResponse, TopicProduceResponse};
use kafka_protocol::messages::{ProduceRequest, ProduceResponse};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;

use super::{led_partition, Ctx};
use crate::batch::split_batches;
use crate::state::ClusterState;

/// The answer, or `None` for `acks=0` (Kafka sends nothing back).
pub(crate) fn handle(ctx: &Ctx<'_>, request: ProduceRequest) -> Option<ProduceResponse> {
    let acks_valid = matches!(request.acks, -1..=1);
    let mut appended = false;
    let mut responses = Vec::with_capacity(request.topic_data.len());
    let mut state = ctx.shared.lock();
    for topic in request.topic_data {
        let name = topic.name.0.to_string();
        let mut partitions = Vec::with_capacity(topic.partition_data.len());
        for data in topic.partition_data {
            let index = data.index;
            let entry = PartitionProduceResponse::default().with_index(index);
            let outcome = if let Some(code) = ctx.injected.partition(&name, index) {
                Err(Refused::code(code))
            } else if !acks_valid {
                Err(Refused {
                    code: ResponseError::InvalidRequiredAcks.code(),
                    message: Some(format!("acks={}", request.acks)),
                })
            } else {
                append(ctx, &mut state, &name, index, data.records.as_ref())
            };
            partitions.push(match outcome {
                Ok((base_offset, log_start)) => {
                    appended = true;
                    entry
                        .with_base_offset(base_offset)
                        .with_log_start_offset(log_start)
                }
                Err(refused) => {
                    tracing::debug!(
                        node = ctx.node,
                        topic = %name,
                        partition = index,
                        code = refused.code,
                        message = refused.message.as_deref().unwrap_or(""),
                        "produce refused"
                    );
                    let message = refused
                        .message
                        .filter(|_| ctx.version >= 8)
                        .map(StrBytes::from_string);
                    entry
                        .with_error_code(refused.code)
                        .with_base_offset(-1)
                        .with_error_message(message)
                }
            });
        }
        responses.push(
            TopicProduceResponse::default()
                .with_name(topic.name)
                .with_partition_responses(partitions),
        );
    }
    drop(state);
    if appended {
        ctx.shared.notify_changed();
    }
    (request.acks != 0).then(|| ProduceResponse::default().with_responses(responses))
}

struct Refused {
    code: i16,
    message: Option<String>,
}

impl Refused {
    fn code(code: i16) -> Self {
        Self {
            code,
            message: None,
        }
    }
}

/// Appends one partition's records: `(base offset, log start offset)`.
fn append(
    ctx: &Ctx<'_>,
    state: &mut ClusterState,
    topic: &str,
    partition: i32,
    records: Option<&bytes::Bytes>,
) -> Result<(i64, i64), Refused> {
    led_partition(state, ctx.node, topic, partition, -1).map_err(Refused::code)?;
    let invalid = |message: String| Refused {
        code: ResponseError::InvalidRecord.code(),
        message: Some(message),
    };
    let records = records
        .filter(|r| !r.is_empty())
        .ok_or_else(|| invalid("no records".into()))?;
    let batches = split_batches(records).map_err(|e| Refused {
        code: e.code,
        message: Some(e.reason),
    })?;
    let [(header, bytes)] = batches.as_slice() else {
        return Err(invalid(format!(
            "{} record batches; Produce v3+ carries exactly one per partition",
            batches.len()
        )));
    };
    let p = state
        .partition_mut(topic, partition)
        .map_err(|_| Refused::code(ResponseError::UnknownTopicOrPartition.code()))?;
    let epoch = p.leader_epoch;
    let done = p.log.append(header, bytes, epoch).map_err(|e| Refused {
        code: e.code,
        message: Some(e.reason),
    })?;
    Ok((done.base_offset, p.log.log_start_offset()))
}
