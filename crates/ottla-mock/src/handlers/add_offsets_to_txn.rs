//! AddOffsetsToTxn: adds a consumer group to the ongoing transaction (starting one if none is
//! ongoing), so its TxnOffsetCommit offsets are settled when the transaction ends. Served by
//! the transaction coordinator; one error code, as Kafka 3.x answers it: INVALID_REQUEST
//! (empty transactional id), NOT_COORDINATOR, INVALID_PRODUCER_ID_MAPPING (unknown
//! transactional id, other producer id), PRODUCER_FENCED (another epoch; INVALID_PRODUCER_EPOCH
//! before v2).

use kafka_protocol::messages::{AddOffsetsToTxnRequest, AddOffsetsToTxnResponse};

use super::{txn_coordinated_here, txn_error_code, Ctx};

/// The first version that may answer PRODUCER_FENCED.
const PRODUCER_FENCED_SINCE: i16 = 2;

pub(crate) fn handle(ctx: &Ctx<'_>, request: &AddOffsetsToTxnRequest) -> AddOffsetsToTxnResponse {
    let result = match ctx.injected.any() {
        Some(code) => Err(code),
        None => add(ctx, request),
    };
    let code = result.err().unwrap_or(0);
    if code != 0 {
        tracing::debug!(node = ctx.node, code, "AddOffsetsToTxn refused");
    }
    AddOffsetsToTxnResponse::default().with_error_code(code)
}

fn add(ctx: &Ctx<'_>, request: &AddOffsetsToTxnRequest) -> Result<(), i16> {
    let transactional_id = request.transactional_id.0.as_str();
    let mut state = ctx.shared.lock();
    txn_coordinated_here(&state, ctx.node, transactional_id)?;
    state
        .txns
        .add_group(
            transactional_id,
            request.producer_id.0,
            request.producer_epoch,
            request.group_id.0.as_str(),
        )
        .map_err(|e| txn_error_code(e, ctx.version >= PRODUCER_FENCED_SINCE))
}
