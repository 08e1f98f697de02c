//! Fault injection: what a test asks the mock to do wrong, and for which requests.
//!
//! A [`Fault`] matches requests of one API (optionally on one broker) and applies to the next
//! N of them, or to all, optionally only those a predicate over the request
//! ([`RequestView`]) accepts. Faults are tried in the order they were injected; the first one
//! that matches and has uses left is applied (and one use is spent); others are not consulted.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use kafka_protocol::messages::ApiKey;

use crate::request_view::RequestView;

/// Which part of a response an injected error code goes into.
///
/// Responses with a single error code (InitProducerId, AddOffsetsToTxn, EndTxn, each key of
/// FindCoordinator, SaslHandshake, SaslAuthenticate) get the code whatever the target, and the
/// request is not acted on. AddPartitionsToTxn and TxnOffsetCommit have partition entries, like
/// Produce.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorTarget {
    /// The response's top-level error code (ApiVersions; Fetch v7+). For APIs or versions that
    /// have none, every entry of the response gets the code instead, as with
    /// [`ErrorTarget::AllEntries`].
    Response,
    /// Every entry of the response: each partition (Produce, Fetch, ListOffsets,
    /// AddPartitionsToTxn, TxnOffsetCommit) or each topic (Metadata, CreateTopics,
    /// DeleteTopics).
    AllEntries,
    /// One topic: its topic-level entry (Metadata, CreateTopics, DeleteTopics) or each of its
    /// partitions (Produce, Fetch, ListOffsets, AddPartitionsToTxn, TxnOffsetCommit).
    Topic(String),
    /// One partition of a topic (Produce, Fetch, ListOffsets, AddPartitionsToTxn,
    /// TxnOffsetCommit, and Metadata's partition entries).
    Partition(String, i32),
}

/// What a fault does to a request it matches.
///
/// A Produce with `acks=0` never gets a response, so the actions that shape a response
/// (`Error` aside, which still keeps the partition from being appended) send nothing for it.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultAction {
    /// Handle the request and answer normally (useful with a delay).
    Respond,
    /// Answer with `code` in the `target` entries. Entries that get the error are not acted on
    /// (a Produce partition with an injected error appends nothing); the others are handled
    /// normally.
    Error {
        /// Where the code goes.
        target: ErrorTarget,
        /// The Kafka error code.
        code: i16,
    },
    /// Handle the request and answer with a correlation id that is not the request's (its
    /// bitwise complement, which a client with non-negative ids never has in flight).
    WrongCorrelationId,
    /// Handle the request and answer with `count` zero bytes after the response body (the
    /// length prefix counts them), as a broker whose answer the client misreads would.
    TrailingBytes {
        /// How many bytes follow the body.
        count: usize,
    },
    /// Handle the request, then send a frame whose length prefix announces the whole response
    /// but only half of it follows, and close the connection.
    TruncatedFrame,
    /// Handle the request, then send a length prefix of `i32::MAX` (larger than any client's
    /// maximum) followed by the response, and close the connection.
    OversizedFrame,
    /// Close the connection without handling the request (nothing is appended or created);
    /// with a delay, the connection stays silent that long first.
    DropConnection,
    /// Handle the request (a Produce appends its batches) and then close the connection
    /// without answering: the "appended but the response was lost" case.
    DropAfterHandling,
    /// Handle the request and answer at once with `throttle_time_ms` set to `ms`, then read
    /// nothing more from the connection for `ms` (KIP-219: a Kafka 2.0+ broker answers a client
    /// over its quota at once and mutes the channel; the client is expected to hold back its
    /// next requests to that broker for the throttle time). Responses without the field
    /// (SaslHandshake, SaslAuthenticate) are answered unchanged and the connection is muted.
    Throttle {
        /// The throttle time in milliseconds.
        ms: i32,
    },
}

/// A predicate over a request, for [`Fault::when`]. Two predicates are equal when they are
/// the same closure (one `Arc`).
#[derive(Clone)]
pub struct RequestPredicate(Arc<dyn Fn(&RequestView) -> bool + Send + Sync>);

impl RequestPredicate {
    /// Wraps `f`.
    pub fn new(f: impl Fn(&RequestView) -> bool + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }

    /// Whether `request` is accepted.
    pub fn accepts(&self, request: &RequestView) -> bool {
        (self.0)(request)
    }
}

impl fmt::Debug for RequestPredicate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RequestPredicate(..)")
    }
}

impl PartialEq for RequestPredicate {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for RequestPredicate {}

/// How many matching requests a fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Times {
    /// The next N.
    Next(u32),
    /// Every one, until removed.
    Always,
}

/// A fault a test injects with [`MockCluster::inject`](crate::MockCluster::inject).
///
/// ```
/// use std::time::Duration;
/// use ottla_mock::{ApiKey, ErrorTarget, Fault};
///
/// // The next two Produce requests on broker 2: partition 0 of "t" fails with
/// // NOT_LEADER_OR_FOLLOWER, after a 100 ms delay.
/// let fault = Fault::new(ApiKey::Produce)
///     .on_node(2)
///     .times(2)
///     .delay(Duration::from_millis(100))
///     .error(ErrorTarget::Partition("t".into(), 0), 6);
/// assert_eq!(fault.api(), ApiKey::Produce);
///
/// // Every Produce that writes to topic "t" from client "billing" is throttled for 200 ms.
/// let fault = Fault::new(ApiKey::Produce)
///     .always()
///     .when(|r| r.topics().contains("t") && r.client_id() == Some("billing"))
///     .throttle(200);
/// assert!(fault.predicate().is_some());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    api: ApiKey,
    node: Option<i32>,
    when: Option<RequestPredicate>,
    times: Times,
    delay: Option<Duration>,
    action: FaultAction,
}

impl Fault {
    /// A fault for the next request of `api` on any broker that, until given an action, answers
    /// normally.
    pub fn new(api: ApiKey) -> Self {
        Self {
            api,
            node: None,
            when: None,
            times: Times::Next(1),
            delay: None,
            action: FaultAction::Respond,
        }
    }

    /// Only requests to broker `node`.
    pub fn on_node(mut self, node: i32) -> Self {
        self.node = Some(node);
        self
    }

    /// Only requests `predicate` accepts (see [`RequestView`] for what it sees). A request it
    /// rejects neither spends a use nor counts as a hit.
    pub fn when(
        mut self,
        predicate: impl Fn(&RequestView) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.when = Some(RequestPredicate::new(predicate));
        self
    }

    /// Applies to the next `n` matching requests.
    pub fn times(mut self, n: u32) -> Self {
        self.times = Times::Next(n);
        self
    }

    /// Applies to every matching request until removed.
    pub fn always(mut self) -> Self {
        self.times = Times::Always;
        self
    }

    /// Waits `delay` after handling the request before answering or applying the action
    /// (before closing, for [`FaultAction::DropConnection`]).
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }

    /// Sets the action.
    pub fn action(mut self, action: FaultAction) -> Self {
        self.action = action;
        self
    }

    /// [`FaultAction::Error`].
    pub fn error(self, target: ErrorTarget, code: i16) -> Self {
        self.action(FaultAction::Error { target, code })
    }

    /// [`FaultAction::WrongCorrelationId`].
    pub fn wrong_correlation_id(self) -> Self {
        self.action(FaultAction::WrongCorrelationId)
    }

    /// [`FaultAction::TrailingBytes`].
    pub fn trailing_bytes(self, count: usize) -> Self {
        self.action(FaultAction::TrailingBytes { count })
    }

    /// [`FaultAction::TruncatedFrame`].
    pub fn truncated_frame(self) -> Self {
        self.action(FaultAction::TruncatedFrame)
    }

    /// [`FaultAction::OversizedFrame`].
    pub fn oversized_frame(self) -> Self {
        self.action(FaultAction::OversizedFrame)
    }

    /// [`FaultAction::DropConnection`].
    pub fn drop_connection(self) -> Self {
        self.action(FaultAction::DropConnection)
    }

    /// [`FaultAction::DropAfterHandling`].
    pub fn drop_after_handling(self) -> Self {
        self.action(FaultAction::DropAfterHandling)
    }

    /// [`FaultAction::Throttle`].
    pub fn throttle(self, ms: i32) -> Self {
        self.action(FaultAction::Throttle { ms })
    }

    /// The predicate it is limited to, if any.
    pub fn predicate(&self) -> Option<&RequestPredicate> {
        self.when.as_ref()
    }

    /// The API it matches.
    pub fn api(&self) -> ApiKey {
        self.api
    }

    /// The broker it is limited to, if any.
    pub fn node(&self) -> Option<i32> {
        self.node
    }

    /// How often it applies, as configured (the registered copy counts down; see
    /// [`MockCluster::pending_faults`](crate::MockCluster::pending_faults)).
    pub fn times_left(&self) -> Times {
        self.times
    }

    /// Matches on everything but the predicate.
    fn matches_route(&self, api: ApiKey, node: i32) -> bool {
        self.api == api && self.node.is_none_or(|n| n == node) && self.times != Times::Next(0)
    }

    fn matches(&self, api: ApiKey, node: i32, view: Option<&RequestView>) -> bool {
        self.matches_route(api, node)
            && match (&self.when, view) {
                (None, _) => true,
                (Some(p), Some(v)) => p.accepts(v),
                (Some(_), None) => false,
            }
    }
}

/// Names an injected fault, for [`MockCluster::remove_fault`](crate::MockCluster::remove_fault)
/// and [`MockCluster::fault_hits`](crate::MockCluster::fault_hits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FaultId(u64);

/// What the connection does with one request, taken from the fault that matched it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    pub delay: Option<Duration>,
    pub action: FaultAction,
}

impl Plan {
    /// The throttle time a [`FaultAction::Throttle`] puts into the response.
    pub fn throttle_ms(&self) -> Option<i32> {
        match self.action {
            FaultAction::Throttle { ms } => Some(ms),
            _ => None,
        }
    }
}

#[derive(Debug)]
struct Entry {
    id: FaultId,
    fault: Fault,
    hits: u64,
}

/// The injected faults, in injection order.
#[derive(Debug, Default)]
pub(crate) struct FaultRegistry {
    next_id: u64,
    entries: Vec<Entry>,
}

impl FaultRegistry {
    pub fn add(&mut self, fault: Fault) -> FaultId {
        self.next_id += 1;
        let id = FaultId(self.next_id);
        self.entries.push(Entry { id, fault, hits: 0 });
        id
    }

    pub fn remove(&mut self, id: FaultId) -> bool {
        let before = self.entries.len();
        self.entries.retain(|e| e.id != id);
        self.entries.len() != before
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }

    pub fn hits(&self, id: FaultId) -> Option<u64> {
        self.entries.iter().find(|e| e.id == id).map(|e| e.hits)
    }

    /// Uses left of all faults with a limited count (`Always` faults are not counted).
    pub fn pending(&self) -> u64 {
        self.entries
            .iter()
            .map(|e| match e.fault.times {
                Times::Next(n) => u64::from(n),
                Times::Always => 0,
            })
            .sum()
    }

    /// Whether a fault with a predicate could match a request of `api` on `node` (so the
    /// request's [`RequestView`] is worth decoding).
    pub fn wants_view(&self, api: ApiKey, node: i32) -> bool {
        self.entries
            .iter()
            .any(|e| e.fault.when.is_some() && e.fault.matches_route(api, node))
    }

    /// Takes one use of the first fault matching a request of `api` on `node` (`view`: the
    /// request, for faults with a predicate; without it those never match).
    pub fn take(&mut self, api: ApiKey, node: i32, view: Option<&RequestView>) -> Option<Plan> {
        let entry = self
            .entries
            .iter_mut()
            .find(|e| e.fault.matches(api, node, view))?;
        if let Times::Next(n) = &mut entry.fault.times {
            *n = n.saturating_sub(1);
        }
        entry.hits += 1;
        Some(Plan {
            delay: entry.fault.delay,
            action: entry.fault.action.clone(),
        })
    }
}

/// The error a handler must put into its response, seen from the handler's side.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Injected<'a> {
    error: Option<(&'a ErrorTarget, i16)>,
    has_top_level: bool,
}

impl<'a> Injected<'a> {
    /// The error of `plan` (if it has one) for a response that has a top-level error code or not.
    pub fn from_plan(plan: Option<&'a Plan>, has_top_level: bool) -> Self {
        let error = plan.and_then(|p| match &p.action {
            FaultAction::Error { target, code } => Some((target, *code)),
            _ => None,
        });
        Self {
            error,
            has_top_level,
        }
    }

    /// The code whatever its target (for responses with a single error code: SaslHandshake,
    /// SaslAuthenticate).
    pub fn any(&self) -> Option<i16> {
        self.error.map(|(_, code)| code)
    }

    /// The code for the top-level error field.
    pub fn top_level(&self) -> Option<i16> {
        match self.error {
            Some((ErrorTarget::Response, code)) if self.has_top_level => Some(code),
            _ => None,
        }
    }

    /// The code for `topic`'s entry (or each of its partitions' entries).
    pub fn topic(&self, topic: &str) -> Option<i16> {
        match self.error? {
            (ErrorTarget::Response, code) if !self.has_top_level => Some(code),
            (ErrorTarget::AllEntries, code) => Some(code),
            (ErrorTarget::Topic(t), code) if t == topic => Some(code),
            _ => None,
        }
    }

    /// The code for exactly this partition's entry (not counting topic-wide targets).
    pub fn partition_only(&self, topic: &str, partition: i32) -> Option<i16> {
        match self.error? {
            (ErrorTarget::Partition(t, p), code) if t == topic && *p == partition => Some(code),
            _ => None,
        }
    }

    /// The code for a partition entry of Produce, Fetch or ListOffsets.
    pub fn partition(&self, topic: &str, partition: i32) -> Option<i16> {
        self.topic(topic)
            .or_else(|| self.partition_only(topic, partition))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_matching_fault_spends_a_use() {
        let mut r = FaultRegistry::default();
        let a = r.add(
            Fault::new(ApiKey::Fetch)
                .on_node(2)
                .times(2)
                .drop_connection(),
        );
        let b = r.add(Fault::new(ApiKey::Fetch).always().wrong_correlation_id());
        assert_eq!(r.pending(), 2);
        assert_eq!(
            r.take(ApiKey::Fetch, 1, None).unwrap().action,
            FaultAction::WrongCorrelationId
        );
        assert_eq!(
            r.take(ApiKey::Fetch, 2, None).unwrap().action,
            FaultAction::DropConnection
        );
        assert_eq!(
            r.take(ApiKey::Fetch, 2, None).unwrap().action,
            FaultAction::DropConnection
        );
        assert_eq!(
            r.take(ApiKey::Fetch, 2, None).unwrap().action,
            FaultAction::WrongCorrelationId
        );
        assert_eq!(r.hits(a), Some(2));
        assert_eq!(r.hits(b), Some(2));
        assert!(r.take(ApiKey::Produce, 2, None).is_none());
        assert!(r.remove(b));
        assert!(r.take(ApiKey::Fetch, 1, None).is_none());
        assert_eq!(r.hits(b), None);
    }

    #[test]
    fn predicates_choose_requests() {
        let mut r = FaultRegistry::default();
        let id = r.add(
            Fault::new(ApiKey::Produce)
                .always()
                .when(|v| v.topics().contains("t") && v.has_partition("t", 1))
                .throttle(5),
        );
        let other = RequestView::new(ApiKey::Produce, 9, 1, Some("c")).with_partition("t", 0);
        let hit = RequestView::new(ApiKey::Produce, 9, 1, Some("c")).with_partition("t", 1);
        assert!(r.wants_view(ApiKey::Produce, 1));
        assert!(!r.wants_view(ApiKey::Fetch, 1));
        assert!(r.take(ApiKey::Produce, 1, Some(&other)).is_none());
        assert!(r.take(ApiKey::Produce, 1, None).is_none());
        let plan = r.take(ApiKey::Produce, 1, Some(&hit)).unwrap();
        assert_eq!(plan.throttle_ms(), Some(5));
        assert_eq!(r.hits(id), Some(1));
        let f = Fault::new(ApiKey::Fetch).when(|v| v.group_id() == Some("g"));
        assert_eq!(f.clone(), f);
        assert_ne!(
            f,
            Fault::new(ApiKey::Fetch).when(|v| v.group_id() == Some("g"))
        );
        assert_eq!(
            format!("{:?}", f.predicate().unwrap()),
            "RequestPredicate(..)"
        );
    }

    #[test]
    fn targets_route_codes() {
        let plan = |target| Plan {
            delay: None,
            action: FaultAction::Error { target, code: 9 },
        };
        let p = plan(ErrorTarget::Response);
        let with_top = Injected::from_plan(Some(&p), true);
        assert_eq!(with_top.top_level(), Some(9));
        assert_eq!(with_top.partition("t", 0), None);
        let without_top = Injected::from_plan(Some(&p), false);
        assert_eq!(without_top.top_level(), None);
        assert_eq!(without_top.partition("t", 0), Some(9));

        let p = plan(ErrorTarget::Partition("t".into(), 1));
        let i = Injected::from_plan(Some(&p), false);
        assert_eq!(i.topic("t"), None);
        assert_eq!(i.partition("t", 1), Some(9));
        assert_eq!(i.partition("t", 0), None);
        assert_eq!(i.partition("u", 1), None);

        let p = plan(ErrorTarget::Topic("t".into()));
        let i = Injected::from_plan(Some(&p), true);
        assert_eq!(i.topic("t"), Some(9));
        assert_eq!(i.partition("t", 3), Some(9));
        assert_eq!(i.partition_only("t", 3), None);
        assert_eq!(Injected::from_plan(None, true).partition("t", 0), None);
    }
}
