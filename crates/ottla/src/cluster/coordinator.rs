//! The coordinators of the cluster layer: finding the broker that coordinates a consumer
//! group or a transactional id (FindCoordinator), and retrying a coordinator request until a
//! deadline. The producer's transactions and the consumer groups both use them.

use std::future::Future;

use ottla_protocol::error_code::ErrorCode;
use ottla_protocol::messages::{ApiKey, FindCoordinatorRequest};
use ottla_protocol::StrBytes;
use tokio::time::Instant;

use super::Backoff;
use crate::error::Error;
use crate::Client;

/// `FindCoordinator` key types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CoordinatorKind {
    Group = 0,
    Transaction = 1,
}

/// A broker's error code as an [`Error`], with what it was about.
pub(crate) fn kafka_error(
    api: ApiKey,
    code: ErrorCode,
    context: &str,
    message: Option<&StrBytes>,
) -> Error {
    Error::Kafka {
        api,
        code,
        context: context.to_owned(),
        message: message.map(|m| m.to_string()),
    }
}

/// Whether the coordinator should be looked up again before the next try.
fn coordinator_moved(e: &Error) -> bool {
    matches!(e.kafka_code(), Some(c) if c == ErrorCode::NOT_COORDINATOR || c == ErrorCode::COORDINATOR_NOT_AVAILABLE)
        || matches!(
            e,
            Error::Connection { .. } | Error::Connect { .. } | Error::Timeout { .. }
        )
}

/// Retries `op` while it fails with a retriable error (CONCURRENT_TRANSACTIONS included) until
/// `deadline`, backing off between tries.
pub(crate) async fn with_retries<T, F, Fut>(
    deadline: Instant,
    backoff: Backoff,
    mut op: F,
) -> Result<T, Error>
where
    F: FnMut(bool) -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    let mut attempt = 0u32;
    let mut refind = false;
    loop {
        match op(refind).await {
            Ok(v) => return Ok(v),
            Err(e) => {
                let retriable =
                    e.is_retriable() || e.kafka_code() == Some(ErrorCode::CONCURRENT_TRANSACTIONS);
                attempt += 1;
                let delay = backoff.delay(attempt);
                if !retriable || Instant::now() + delay >= deadline {
                    return Err(e);
                }
                refind = coordinator_moved(&e);
                tracing::debug!(error = %e, ?delay, "coordinator request will be retried");
                tokio::time::sleep(delay).await;
            }
        }
    }
}

/// The coordinator's node id for `key`.
pub(crate) async fn find_coordinator(
    client: &Client,
    kind: CoordinatorKind,
    key: &str,
) -> Result<i32, Error> {
    let conn = client.any_connection().await?;
    let version = conn.version_of(ApiKey::FindCoordinator)?;
    let mut request = FindCoordinatorRequest::default().with_key_type(kind as i8);
    if version >= 4 {
        request.coordinator_keys = vec![StrBytes::from_string(key.to_owned())];
    } else {
        request.key = StrBytes::from_string(key.to_owned());
    }
    let response = conn.send_versioned(&request, version).await?;
    let (code, node, message) = if version >= 4 {
        let c = response.coordinators.first().ok_or_else(|| {
            kafka_error(
                ApiKey::FindCoordinator,
                ErrorCode::COORDINATOR_NOT_AVAILABLE,
                key,
                None,
            )
        })?;
        (
            ErrorCode(c.error_code),
            c.node_id.0,
            c.error_message.clone(),
        )
    } else {
        (
            ErrorCode(response.error_code),
            response.node_id.0,
            response.error_message.clone(),
        )
    };
    if code.is_err() {
        return Err(kafka_error(
            ApiKey::FindCoordinator,
            code,
            key,
            message.as_ref(),
        ));
    }
    // The coordinator may be a broker the cached metadata does not list yet.
    if client
        .cached()
        .is_none_or(|m| !m.brokers.contains_key(&node))
    {
        client.refresh_metadata().await?;
    }
    Ok(node)
}
