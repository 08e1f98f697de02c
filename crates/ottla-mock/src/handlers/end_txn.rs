//! EndTxn: commits or aborts the ongoing transaction, served by the transaction coordinator.
//! The coordinator writes one COMMIT or ABORT marker to every partition of the transaction and
//! publishes or drops its groups' pending offsets before answering (Kafka answers first and
//! writes the markers right after; a client cannot tell the difference except that the mock's
//! markers are already readable).
//!
//! One error code, as Kafka 3.x answers it: INVALID_REQUEST (empty transactional id),
//! NOT_COORDINATOR, INVALID_PRODUCER_ID_MAPPING (unknown transactional id, other producer id),
//! PRODUCER_FENCED (another epoch; INVALID_PRODUCER_EPOCH before v2), INVALID_TXN_STATE (no
//! transaction ongoing, unless this repeats the commit or abort that just completed, which is
//! answered 0).

use kafka_protocol::messages::{EndTxnRequest, EndTxnResponse};

use super::{txn_coordinated_here, txn_error_code, Ctx};
use crate::txn_markers;

/// The first version that may answer PRODUCER_FENCED.
const PRODUCER_FENCED_SINCE: i16 = 2;

pub(crate) fn handle(ctx: &Ctx<'_>, request: &EndTxnRequest) -> EndTxnResponse {
    let result = match ctx.injected.any() {
        Some(code) => Err(code),
        None => end(ctx, request),
    };
    let code = match result {
        Ok(markers) => {
            if markers > 0 {
                ctx.shared.notify_changed();
            }
            0
        }
        Err(code) => {
            tracing::debug!(node = ctx.node, code, "EndTxn refused");
            code
        }
    };
    EndTxnResponse::default().with_error_code(code)
}

/// The number of markers written.
fn end(ctx: &Ctx<'_>, request: &EndTxnRequest) -> Result<usize, i16> {
    let transactional_id = request.transactional_id.0.as_str();
    let mut state = ctx.shared.lock();
    txn_coordinated_here(&state, ctx.node, transactional_id)?;
    let ended = state
        .txns
        .end_txn(
            transactional_id,
            request.producer_id.0,
            request.producer_epoch,
            request.committed,
        )
        .map_err(|e| txn_error_code(e, ctx.version >= PRODUCER_FENCED_SINCE))?;
    Ok(ended.map_or(0, |ended| txn_markers::complete(&mut state, &ended)))
}
