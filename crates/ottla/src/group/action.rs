//! What a group protocol's state machine asks its caller to do next: the same steps for the
//! classic protocol and KIP-848's, with each protocol's own request type.

use std::collections::BTreeSet;
use std::sync::Arc;

use tokio::time::Instant;

use super::TopicPartition;
use crate::error::Error;

/// What the caller does next.
#[derive(Debug)]
pub enum Action<R> {
    /// Look up the group coordinator (FindCoordinator), then tell the machine
    /// `coordinator_found` (with the versions it speaks) or `coordinator_unavailable`.
    FindCoordinator,
    /// Send `request` to the coordinator; hand its answer (or failure) to the machine's
    /// `on_response` with `token`.
    Send {
        /// Names this request in `on_response`.
        token: u64,
        /// The request.
        request: R,
    },
    /// Metadata of these topics is needed: the classic leader's partition counts
    /// (`assign`), or KIP-848's topic ids (`topic_ids`).
    NeedMetadata(BTreeSet<Arc<str>>),
    /// Stop reading these partitions (commit their offsets first: they are still ours), then
    /// tell the machine `revocation_done`.
    Revoked(Vec<TopicPartition>),
    /// Start reading these partitions.
    Assigned(Vec<TopicPartition>),
    /// These partitions were taken away without a rebalance (the member was fenced, expired
    /// or stopped polling): another member may own them already, so offsets cannot be
    /// committed.
    Lost(Vec<TopicPartition>),
    /// Nothing to do until this instant (or until an answer or call arrives, for `None`).
    Wait(Option<Instant>),
    /// The member cannot go on; every later poll says so again.
    Failed(Error),
}

impl<R> Action<R> {
    /// The same action with its request turned into another type.
    pub(crate) fn map_request<S>(self, f: impl FnOnce(R) -> S) -> Action<S> {
        match self {
            Action::FindCoordinator => Action::FindCoordinator,
            Action::Send { token, request } => Action::Send {
                token,
                request: f(request),
            },
            Action::NeedMetadata(t) => Action::NeedMetadata(t),
            Action::Revoked(p) => Action::Revoked(p),
            Action::Assigned(p) => Action::Assigned(p),
            Action::Lost(p) => Action::Lost(p),
            Action::Wait(at) => Action::Wait(at),
            Action::Failed(e) => Action::Failed(e),
        }
    }
}
