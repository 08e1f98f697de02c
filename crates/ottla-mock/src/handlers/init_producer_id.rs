//! InitProducerId: a producer id and epoch for an idempotent producer (any broker), or for a
//! transactional id (its transaction coordinator only), as Kafka 3.x's `TransactionCoordinator`
//! answers.
//!
//! - No transactional id: a fresh producer id at epoch 0, always — also when the request
//!   carries a producer id and epoch (Kafka bumps an idempotent producer's epoch on the
//!   client side, KIP-360).
//! - A producer id without an epoch, or the other way round: INVALID_REQUEST.
//! - A transactional id: empty is INVALID_REQUEST; a timeout outside 1..=900000 ms
//!   INVALID_TRANSACTION_TIMEOUT; another broker's id NOT_COORDINATOR. Then
//!   [`TxnCoordinator::init_producer_id`](crate::txn_coordinator::TxnCoordinator::init_producer_id):
//!   an ongoing transaction is fenced and aborted (ABORT markers written) and the answer is
//!   CONCURRENT_TRANSACTIONS, so the client retries and gets the next epoch; PRODUCER_FENCED
//!   is INVALID_PRODUCER_EPOCH before v4.

use kafka_protocol::messages::{InitProducerIdRequest, InitProducerIdResponse, ProducerId};
use kafka_protocol::ResponseError;

use super::{coordinated_here, txn_error_code, Ctx};
use crate::coordinator::CoordinatorKind;
use crate::txn_coordinator::{InitOutcome, MAX_TRANSACTION_TIMEOUT_MS};
use crate::txn_markers;

/// The first version that may answer PRODUCER_FENCED.
const PRODUCER_FENCED_SINCE: i16 = 4;

pub(crate) fn handle(ctx: &Ctx<'_>, request: &InitProducerIdRequest) -> InitProducerIdResponse {
    let (outcome, markers) = match ctx.injected.any() {
        Some(code) => (Err(code), false),
        None => init(ctx, request),
    };
    if markers {
        ctx.shared.notify_changed();
    }
    match outcome {
        Ok((producer_id, epoch)) => InitProducerIdResponse::default()
            .with_producer_id(ProducerId(producer_id))
            .with_producer_epoch(epoch),
        Err(code) => {
            tracing::debug!(node = ctx.node, code, "InitProducerId refused");
            InitProducerIdResponse::default()
                .with_error_code(code)
                .with_producer_id(ProducerId(-1))
                .with_producer_epoch(-1)
        }
    }
}

/// The producer id and epoch or the error code, and whether markers were written.
fn init(ctx: &Ctx<'_>, request: &InitProducerIdRequest) -> (Result<(i64, i16), i16>, bool) {
    let invalid_request = ResponseError::InvalidRequest.code();
    let expected = match (request.producer_id.0, request.producer_epoch) {
        (-1, -1) => None,
        (-1, _) | (_, -1) => return (Err(invalid_request), false),
        (producer_id, epoch) => Some((producer_id, epoch)),
    };
    let mut state = ctx.shared.lock();
    let Some(transactional_id) = request.transactional_id.as_ref().map(|t| t.0.as_str()) else {
        return (Ok((state.txns.next_producer_id(), 0)), false);
    };
    if transactional_id.is_empty() {
        return (Err(invalid_request), false);
    }
    if !(1..=MAX_TRANSACTION_TIMEOUT_MS).contains(&request.transaction_timeout_ms) {
        return (Err(ResponseError::InvalidTransactionTimeout.code()), false);
    }
    if let Err(code) = coordinated_here(
        &state,
        ctx.node,
        CoordinatorKind::Transaction,
        transactional_id,
    ) {
        return (Err(code), false);
    }
    match state
        .txns
        .init_producer_id(transactional_id, request.transaction_timeout_ms, expected)
    {
        Ok(InitOutcome::Granted {
            producer_id,
            producer_epoch,
        }) => (Ok((producer_id, producer_epoch)), false),
        Ok(InitOutcome::Fenced(ended)) => {
            let written = txn_markers::complete(&mut state, &ended);
            (
                Err(ResponseError::ConcurrentTransactions.code()),
                written > 0,
            )
        }
        Err(e) => (
            Err(txn_error_code(e, ctx.version >= PRODUCER_FENCED_SINCE)),
            false,
        ),
    }
}
