//! FindCoordinator: the broker that coordinates a group (key type 0) or a transactional id
//! (key type 1); see [`crate::coordinator`]. v0–v3 ask for one `key` and answer at the top
//! level; v4+ ask for a batch of `coordinator_keys` and answer one entry per key.
//!
//! Errors: an unknown key type is INVALID_REQUEST; no running broker, COORDINATOR_NOT_AVAILABLE.
//! A failed lookup answers node id -1, host "" and port -1, as Kafka's `Node.noNode()`.

use kafka_protocol::messages::find_coordinator_response::Coordinator;
use kafka_protocol::messages::{BrokerId, FindCoordinatorRequest, FindCoordinatorResponse};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;

use super::Ctx;
use crate::coordinator::{coordinator, CoordinatorKind};
use crate::state::ClusterState;

/// The first version with batched keys.
const BATCHED_SINCE: i16 = 4;

/// A coordinator's address.
struct Found {
    node: i32,
    host: String,
    port: i32,
}

/// An error code and the message Kafka puts with it.
struct Failed {
    code: i16,
    message: Option<String>,
}

pub(crate) fn handle(ctx: &Ctx<'_>, request: &FindCoordinatorRequest) -> FindCoordinatorResponse {
    let state = ctx.shared.lock();
    let find = |key: &str| lookup(ctx, &state, request.key_type, key);
    if ctx.version >= BATCHED_SINCE {
        let coordinators = request
            .coordinator_keys
            .iter()
            .map(|key| {
                let entry = Coordinator::default().with_key(key.clone());
                match find(key.as_str()) {
                    Ok(f) => entry
                        .with_node_id(BrokerId(f.node))
                        .with_host(StrBytes::from_string(f.host))
                        .with_port(f.port),
                    Err(e) => entry
                        .with_error_code(e.code)
                        .with_error_message(e.message.map(StrBytes::from_string))
                        .with_node_id(BrokerId(-1))
                        .with_host(StrBytes::default())
                        .with_port(-1),
                }
            })
            .collect();
        return FindCoordinatorResponse::default().with_coordinators(coordinators);
    }
    match find(request.key.as_str()) {
        // Kafka sends the message of Errors.NONE, "NONE", with a success.
        Ok(f) => FindCoordinatorResponse::default()
            .with_error_message(Some(StrBytes::from_static_str("NONE")))
            .with_node_id(BrokerId(f.node))
            .with_host(StrBytes::from_string(f.host))
            .with_port(f.port),
        Err(e) => FindCoordinatorResponse::default()
            .with_error_code(e.code)
            .with_error_message(e.message.map(StrBytes::from_string))
            .with_node_id(BrokerId(-1))
            .with_host(StrBytes::default())
            .with_port(-1),
    }
}

fn lookup(ctx: &Ctx<'_>, state: &ClusterState, key_type: i8, key: &str) -> Result<Found, Failed> {
    if let Some(code) = ctx.injected.any() {
        return Err(Failed {
            code,
            message: None,
        });
    }
    let kind = CoordinatorKind::from_key_type(key_type).ok_or_else(|| Failed {
        code: ResponseError::InvalidRequest.code(),
        message: Some(format!("unknown coordinator type {key_type}")),
    })?;
    let not_available = || Failed {
        code: ResponseError::CoordinatorNotAvailable.code(),
        message: Some("The coordinator is not available.".into()),
    };
    let node = coordinator(state, kind, key).ok_or_else(not_available)?;
    let broker = state.brokers.get(&node).ok_or_else(not_available)?;
    Ok(Found {
        node,
        host: broker.host.clone(),
        port: i32::from(broker.port),
    })
}
