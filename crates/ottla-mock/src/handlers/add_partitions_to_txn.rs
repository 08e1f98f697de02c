//! AddPartitionsToTxn v0–v3 (the client's form: one transaction), served by the transaction
//! coordinator, as Kafka 3.x answers it:
//!
//! - Any partition that does not exist: UNKNOWN_TOPIC_OR_PARTITION for it and
//!   OPERATION_NOT_ATTEMPTED for the others; nothing is added.
//! - Otherwise one code for every partition: INVALID_REQUEST (empty transactional id),
//!   NOT_COORDINATOR, INVALID_PRODUCER_ID_MAPPING (unknown transactional id, other producer id),
//!   PRODUCER_FENCED (another epoch; INVALID_PRODUCER_EPOCH before v2), or 0 with the
//!   partitions added to the transaction (which starts if none is ongoing).
//!
//! A partition with an injected error gets that code and is left out; the others are handled
//! as above.

use kafka_protocol::messages::add_partitions_to_txn_response::{
    AddPartitionsToTxnPartitionResult, AddPartitionsToTxnTopicResult,
};
use kafka_protocol::messages::{AddPartitionsToTxnRequest, AddPartitionsToTxnResponse};
use kafka_protocol::ResponseError;

use super::{txn_coordinated_here, txn_error_code, Ctx};

/// The first version that may answer PRODUCER_FENCED.
const PRODUCER_FENCED_SINCE: i16 = 2;

pub(crate) fn handle(
    ctx: &Ctx<'_>,
    request: &AddPartitionsToTxnRequest,
) -> AddPartitionsToTxnResponse {
    let unknown = ResponseError::UnknownTopicOrPartition.code();
    let mut state = ctx.shared.lock();
    // Per partition: the code decided before the coordinator is asked, if any.
    let early: Vec<Vec<Option<i16>>> = request
        .v3_and_below_topics
        .iter()
        .map(|topic| {
            let name = topic.name.0.as_str();
            topic
                .partitions
                .iter()
                .map(|&p| {
                    ctx.injected
                        .partition(name, p)
                        .or_else(|| state.partition(name, p).is_err().then_some(unknown))
                })
                .collect()
        })
        .collect();
    let to_add: Vec<(String, i32)> = request
        .v3_and_below_topics
        .iter()
        .zip(&early)
        .flat_map(|(topic, codes)| {
            topic
                .partitions
                .iter()
                .zip(codes)
                .filter(|(_, code)| code.is_none())
                .map(|(&p, _)| (topic.name.0.to_string(), p))
        })
        .collect();
    let any_unknown = early.iter().flatten().any(|c| *c == Some(unknown));
    let rest = if any_unknown {
        ResponseError::OperationNotAttempted.code()
    } else if to_add.is_empty() {
        0
    } else {
        let transactional_id = request.v3_and_below_transactional_id.0.as_str();
        let result = txn_coordinated_here(&state, ctx.node, transactional_id).and_then(|()| {
            state
                .txns
                .add_partitions(
                    transactional_id,
                    request.v3_and_below_producer_id.0,
                    request.v3_and_below_producer_epoch,
                    to_add,
                )
                .map_err(|e| txn_error_code(e, ctx.version >= PRODUCER_FENCED_SINCE))
        });
        result.err().unwrap_or(0)
    };
    drop(state);
    if rest != 0 {
        tracing::debug!(node = ctx.node, code = rest, "AddPartitionsToTxn refused");
    }
    let topics = request
        .v3_and_below_topics
        .iter()
        .zip(early)
        .map(|(topic, codes)| {
            let results = topic
                .partitions
                .iter()
                .zip(codes)
                .map(|(&p, code)| {
                    AddPartitionsToTxnPartitionResult::default()
                        .with_partition_index(p)
                        .with_partition_error_code(code.unwrap_or(rest))
                })
                .collect();
            AddPartitionsToTxnTopicResult::default()
                .with_name(topic.name.clone())
                .with_results_by_partition(results)
        })
        .collect();
    AddPartitionsToTxnResponse::default().with_results_by_topic_v3_and_below(topics)
}
