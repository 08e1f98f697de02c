//! Produce: the leader checks each partition's record batch and appends it, assigning offsets.
//!
//! Producer checks, as Kafka 3.x makes them:
//! - Transactional batches in a request without a transactional id: every partition gets
//!   TRANSACTIONAL_ID_AUTHORIZATION_FAILED (Kafka refuses the whole request).
//! - A transactional batch from a producer with no transaction open on the partition is
//!   verified with the transaction coordinator (KIP-890, on by default since 3.6): unknown
//!   transactional id or other producer id INVALID_PRODUCER_ID_MAPPING, another epoch
//!   INVALID_PRODUCER_EPOCH, a partition not added to the ongoing transaction
//!   TRANSACTION_ABORTABLE (v11) or INVALID_TXN_STATE (older versions).
//! - Then the partition's producer state ([`crate::producer_state`]): duplicates answer the
//!   original offset (and are counted), an older epoch is INVALID_PRODUCER_EPOCH, a gap
//!   OUT_OF_ORDER_SEQUENCE_NUMBER, a plain batch inside an open transaction INVALID_TXN_STATE.
//! - Control batches and producer ids without a sequence are INVALID_RECORD.

use bytes::Bytes;
use kafka_protocol::messages::produce_response::{PartitionProduceResponse, TopicProduceResponse};
use kafka_protocol::messages::{ProduceRequest, ProduceResponse};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;

use super::{led_partition, verification_error_code, Ctx};
use crate::batch::split_batches;
use crate::state::ClusterState;

/// The first version that knows TRANSACTION_ABORTABLE.
const TRANSACTION_ABORTABLE_SINCE: i16 = 11;

/// The answer, or `None` for `acks=0` (Kafka sends nothing back).
pub(crate) fn handle(ctx: &Ctx<'_>, request: ProduceRequest) -> Option<ProduceResponse> {
    let acks_valid = matches!(request.acks, -1..=1);
    let transactional_id = request.transactional_id.as_ref().map(|t| t.0.to_string());
    let unauthorized = transactional_id.is_none() && has_transactional_records(&request);
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
            } else if unauthorized {
                Err(Refused {
                    code: ResponseError::TransactionalIdAuthorizationFailed.code(),
                    message: Some("transactional records without a transactional id".into()),
                })
            } else if !acks_valid {
                Err(Refused {
                    code: ResponseError::InvalidRequiredAcks.code(),
                    message: Some(format!("acks={}", request.acks)),
                })
            } else {
                append(
                    ctx,
                    &mut state,
                    transactional_id.as_deref(),
                    (&name, index),
                    data.records.as_ref(),
                )
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

/// Whether any partition's first batch is transactional (Kafka's
/// `RequestUtils.hasTransactionalRecords`).
fn has_transactional_records(request: &ProduceRequest) -> bool {
    request
        .topic_data
        .iter()
        .flat_map(|t| &t.partition_data)
        .filter_map(|d| d.records.as_ref())
        .filter_map(|r| split_batches(r).ok())
        .filter_map(|batches| batches.into_iter().next())
        .any(|(h, _)| h.is_transactional())
}

/// Appends one partition's records: `(base offset, log start offset)`.
fn append(
    ctx: &Ctx<'_>,
    state: &mut ClusterState,
    transactional_id: Option<&str>,
    (topic, partition): (&str, i32),
    records: Option<&Bytes>,
) -> Result<(i64, i64), Refused> {
    let led = led_partition(state, ctx.node, topic, partition, -1).map_err(Refused::code)?;
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
    if header.is_transactional() && !led.log.has_open_transaction(header.producer_id) {
        let transactional_id = transactional_id.unwrap_or_default();
        if transactional_id.is_empty() {
            return Err(Refused::code(ResponseError::InvalidRequest.code()));
        }
        state
            .txns
            .verify_partition(
                transactional_id,
                header.producer_id,
                header.producer_epoch,
                topic,
                partition,
            )
            .map_err(|e| Refused {
                code: verification_error_code(e, ctx.version >= TRANSACTION_ABORTABLE_SINCE),
                message: Some(format!(
                    "producer {} epoch {} may not write to {topic}-{partition} in transaction \
                     {transactional_id:?}",
                    header.producer_id, header.producer_epoch
                )),
            })?;
    }
    let unknown_producers = state.settings.unknown_producers;
    let p = state
        .partition_mut(topic, partition)
        .map_err(|_| Refused::code(ResponseError::UnknownTopicOrPartition.code()))?;
    let epoch = p.leader_epoch;
    let done = p
        .log
        .append(header, bytes, epoch, unknown_producers)
        .map_err(|e| Refused {
            code: e.code,
            message: Some(e.reason),
        })?;
    let log_start = p.log.log_start_offset();
    if done.duplicate {
        state.stats.record_duplicate();
    }
    Ok((done.base_offset, log_start))
}
