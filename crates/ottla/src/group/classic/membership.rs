//! One member of a classic consumer group, as a state machine.
//!
//! The caller loops: [`Membership::poll`] says what to do next ([`Action`]); requests go to
//! the group coordinator and their answers come back through [`Membership::on_response`]
//! with the token they were sent under (answers to superseded requests are ignored). The
//! clock is an argument everywhere.
//!
//! What happens, as in the Java client's `AbstractCoordinator`/`ConsumerCoordinator`:
//! - **Join** with every configured assignor's subscription (owned partitions and generation
//!   included). A first JoinGroup answered MEMBER_ID_REQUIRED (KIP-394) is sent again with
//!   the member id the coordinator gave.
//! - **Leader**: asks for the partition counts of every member's topics, runs the chosen
//!   assignor, and sends the assignments in SyncGroup. **Followers** send an empty SyncGroup.
//! - **Eager** assignors: everything owned is revoked before joining. **Cooperative** (every
//!   assignor cooperative, KIP-429): only what moves is revoked, after SyncGroup, and then
//!   the member joins again so the partitions it let go can be handed out.
//! - **Heartbeats** every `heartbeat.interval.ms` while stable. REBALANCE_IN_PROGRESS means
//!   join again; UNKNOWN_MEMBER_ID and ILLEGAL_GENERATION mean the partitions are lost
//!   (someone else may have them now) and the member joins afresh; NOT_COORDINATOR and
//!   COORDINATOR_NOT_AVAILABLE, or no successful heartbeat for `session.timeout.ms`, mean
//!   the coordinator is looked up again. FENCED_INSTANCE_ID and authorization errors are
//!   fatal.
//! - **`max.poll.interval.ms`**: when the application has not polled for that long, a
//!   dynamic member leaves the group (its partitions are lost) and joins again at its next
//!   poll; a static member's partitions are lost and it rejoins under its instance id.
//! - **Leave**: revokes what is owned; a dynamic member sends LeaveGroup, a static member
//!   (KIP-345) does not, so a restart within the session timeout keeps its partitions.
//! - After every [`Action::Revoked`] the member waits for [`Membership::revocation_done`]
//!   before it joins again or leaves, so the application can commit the offsets of what it
//!   gives up while they are still its own; heartbeats go on meanwhile.

use std::collections::{BTreeSet, VecDeque};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use kafka_protocol::messages::consumer_protocol_subscription::TopicPartition as Owned;
use kafka_protocol::messages::{
    ApiKey, ConsumerProtocolSubscription, HeartbeatRequest, HeartbeatResponse, JoinGroupRequest,
    JoinGroupResponse, LeaveGroupRequest, LeaveGroupResponse, SyncGroupRequest, SyncGroupResponse,
    TopicName,
};
use ottla_protocol::consumer_protocol::{
    decode_assignment, encode_subscription, SUBSCRIPTION_VERSION,
};
use ottla_protocol::error_code::ErrorCode;
use ottla_protocol::StrBytes;
use tokio::time::Instant;

use super::leader;
use super::requests;
use crate::cluster::Backoff;
use crate::error::Error;
use crate::group::assignor::{self, Assignor, PartitionCounts, RebalanceProtocol};
use crate::group::retry::{millis, Retry};
use crate::group::{expand, Identity, TopicPartition};

/// What a member needs to know about its group and itself.
#[derive(Clone)]
pub struct MembershipConfig {
    /// `group.id`.
    pub group_id: String,
    /// `group.instance.id` (static membership, KIP-345).
    pub group_instance_id: Option<String>,
    /// `session.timeout.ms`.
    pub session_timeout: Duration,
    /// `max.poll.interval.ms`: also the rebalance timeout sent in JoinGroup.
    pub rebalance_timeout: Duration,
    /// `heartbeat.interval.ms`.
    pub heartbeat_interval: Duration,
    /// `retry.backoff.ms` … `retry.backoff.max.ms`, between failed tries.
    pub retry_backoff: Backoff,
    /// `partition.assignment.strategy`, most preferred first (at least one).
    pub assignors: Vec<Arc<dyn Assignor>>,
    /// `client.rack`, sent in the subscription.
    pub rack: Option<String>,
}

impl fmt::Debug for MembershipConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MembershipConfig")
            .field("group_id", &self.group_id)
            .field("group_instance_id", &self.group_instance_id)
            .field("session_timeout", &self.session_timeout)
            .field("rebalance_timeout", &self.rebalance_timeout)
            .field("heartbeat_interval", &self.heartbeat_interval)
            .field(
                "assignors",
                &self.assignors.iter().map(|a| a.name()).collect::<Vec<_>>(),
            )
            .field("rack", &self.rack)
            .finish_non_exhaustive()
    }
}

/// The versions the coordinator speaks of each group API (fields a version lacks are not
/// set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GroupVersions {
    /// JoinGroup.
    pub join: i16,
    /// SyncGroup.
    pub sync: i16,
    /// Heartbeat.
    pub heartbeat: i16,
    /// LeaveGroup.
    pub leave: i16,
}

/// A request for the group coordinator.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// JoinGroup.
    Join(JoinGroupRequest),
    /// SyncGroup.
    Sync(SyncGroupRequest),
    /// Heartbeat.
    Heartbeat(HeartbeatRequest),
    /// LeaveGroup.
    Leave(LeaveGroupRequest),
}

/// The coordinator's answer to a [`Request`] of the same kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Response {
    /// JoinGroup.
    Join(JoinGroupResponse),
    /// SyncGroup.
    Sync(SyncGroupResponse),
    /// Heartbeat.
    Heartbeat(HeartbeatResponse),
    /// LeaveGroup.
    Leave(LeaveGroupResponse),
}

/// What the caller does next.
pub type Action = crate::group::Action<Request>;

/// Where the member is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Not in the group (nothing subscribed, or about to join).
    Unjoined,
    /// JoinGroup sent.
    Joining,
    /// Leader, waiting for partition counts.
    AwaitingCounts,
    /// SyncGroup sent or about to be.
    Syncing,
    /// In the group with an assignment.
    Stable,
    /// LeaveGroup sent.
    Leaving,
    /// Left; nothing more happens.
    Left,
    /// A fatal error; see [`Action::Failed`].
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Join,
    Sync,
    Heartbeat,
    Leave,
}

/// One member of a classic consumer group (see the module doc).
#[derive(Debug)]
pub struct Membership {
    config: MembershipConfig,
    topics: BTreeSet<Arc<str>>,
    member_id: String,
    generation: i32,
    /// The assignor the group chose in the last JoinGroup.
    protocol: Option<String>,
    phase: Phase,
    /// Partitions assigned and not revoked or lost, sorted.
    owned: Vec<TopicPartition>,
    /// The coordinator's API versions, while it is known.
    coordinator: Option<GroupVersions>,
    finding: bool,
    in_flight: Option<(u64, Kind)>,
    next_token: u64,
    /// Listener events and the fatal error, in order.
    queued: VecDeque<Action>,
    /// Why the member must (re)join, when it must.
    rejoin: Option<String>,
    retry: Retry,
    /// The leader's view of the members, between JoinGroup and `assign`.
    members: Vec<assignor::Member>,
    /// SyncGroup's assignments, once known (empty for a follower).
    sync_assignments: Option<Vec<(String, bytes::Bytes)>>,
    next_heartbeat: Option<Instant>,
    last_heartbeat_ok: Option<Instant>,
    last_app_poll: Instant,
    /// `max.poll.interval.ms` ran out: no rejoin until the application polls.
    poll_expired: bool,
    /// A [`Action::Revoked`] went out and the application has not said it is done with it
    /// ([`Membership::revocation_done`]): no join or LeaveGroup before then (heartbeats go on).
    awaiting_revocation: bool,
    fatal: Option<Error>,
}

impl Membership {
    /// A member that has not joined yet; `now` counts as the application's first poll.
    pub fn new(config: MembershipConfig, now: Instant) -> Self {
        let retry = Retry::new(config.retry_backoff);
        Self {
            config,
            topics: BTreeSet::new(),
            member_id: String::new(),
            generation: -1,
            protocol: None,
            phase: Phase::Unjoined,
            owned: Vec::new(),
            coordinator: None,
            finding: false,
            in_flight: None,
            next_token: 0,
            queued: VecDeque::new(),
            rejoin: None,
            retry,
            members: Vec::new(),
            sync_assignments: None,
            next_heartbeat: None,
            last_heartbeat_ok: None,
            last_app_poll: now,
            poll_expired: false,
            awaiting_revocation: false,
            fatal: None,
        }
    }

    /// Where the member is.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// The group.
    pub fn group_id(&self) -> &str {
        &self.config.group_id
    }

    /// Who this member is in its group's requests (offset commits included).
    pub(crate) fn identity(&self) -> Identity<'_> {
        Identity {
            group_id: &self.config.group_id,
            member_id: &self.member_id,
            instance_id: self.config.group_instance_id.as_deref(),
            generation: self.generation,
        }
    }

    /// The member id the coordinator gave (empty before the first JoinGroup answer).
    pub fn member_id(&self) -> &str {
        &self.member_id
    }

    /// The generation of the last completed join, -1 before.
    pub fn generation(&self) -> i32 {
        self.generation
    }

    /// The partitions assigned now.
    pub fn owned(&self) -> &[TopicPartition] {
        &self.owned
    }

    /// Eager, or cooperative when every configured assignor is.
    pub fn rebalance_protocol(&self) -> RebalanceProtocol {
        let all_cooperative = !self.config.assignors.is_empty()
            && self
                .config
                .assignors
                .iter()
                .all(|a| a.protocol() == RebalanceProtocol::Cooperative);
        if all_cooperative {
            RebalanceProtocol::Cooperative
        } else {
            RebalanceProtocol::Eager
        }
    }

    /// Subscribes to `topics` (replacing the subscription); the member joins (again) when
    /// it changed.
    pub fn subscribe(&mut self, topics: impl IntoIterator<Item = Arc<str>>) {
        let topics: BTreeSet<Arc<str>> = topics.into_iter().collect();
        if topics != self.topics {
            self.topics = topics;
            self.request_rejoin("subscription changed");
        }
    }

    /// Asks for a rebalance (e.g. a subscribed topic gained partitions).
    pub fn request_rejoin(&mut self, reason: &str) {
        if matches!(self.phase, Phase::Leaving | Phase::Left | Phase::Failed) {
            return;
        }
        self.rejoin.get_or_insert_with(|| reason.to_owned());
    }

    /// The application polled (`max.poll.interval.ms` starts again).
    pub fn app_polled(&mut self, now: Instant) {
        self.last_app_poll = now;
        if self.poll_expired {
            self.poll_expired = false;
            self.request_rejoin("the application polls again");
        }
    }

    /// The coordinator is known and speaks these versions.
    pub fn coordinator_found(&mut self, versions: GroupVersions) {
        self.finding = false;
        self.coordinator = Some(versions);
    }

    /// FindCoordinator failed: retriable errors are tried again after the backoff, others are
    /// fatal.
    pub fn coordinator_unavailable(&mut self, now: Instant, error: Error) {
        self.finding = false;
        self.coordinator = None;
        if error.is_retriable() {
            self.back_off(now);
        } else {
            self.fail(error);
        }
    }

    /// The leader's partition counts for the topics of [`Action::NeedMetadata`].
    pub fn assign(&mut self, counts: &PartitionCounts) {
        if self.phase != Phase::AwaitingCounts {
            return;
        }
        let name = self.protocol.clone().unwrap_or_default();
        let Some(assignor) = self
            .config
            .assignors
            .iter()
            .find(|a| a.name() == name)
            .cloned()
        else {
            self.fail(Error::Kafka {
                api: ApiKey::JoinGroup,
                code: ErrorCode::INCONSISTENT_GROUP_PROTOCOL,
                context: format!(
                    "group {}: the group chose assignor {name:?}, which this member does not have",
                    self.config.group_id
                ),
                message: None,
            });
            return;
        };
        match leader::assignments(assignor.as_ref(), &self.members, counts) {
            Ok(assignments) => {
                self.members.clear();
                self.sync_assignments = Some(assignments);
                self.phase = Phase::Syncing;
            }
            Err(e) => self.fail(Error::Encode {
                context: format!("group {} assignments", self.config.group_id),
                source: e,
            }),
        }
    }

    /// Leaves the group: revokes what is owned and, once the application is done with that,
    /// a dynamic member sends LeaveGroup.
    pub fn leave(&mut self) {
        if matches!(self.phase, Phase::Leaving | Phase::Left | Phase::Failed) {
            return;
        }
        self.revoke_all();
        self.in_flight = None;
        self.phase = Phase::Leaving;
    }

    /// The application has finished with the last [`Action::Revoked`] (committed what it
    /// wanted to): the member may now join again or leave.
    pub fn revocation_done(&mut self) {
        self.awaiting_revocation = false;
    }

    /// What to do now.
    pub fn poll(&mut self, now: Instant) -> Action {
        if let Some(action) = self.queued.pop_front() {
            return action;
        }
        if let Some(e) = &self.fatal {
            return Action::Failed(e.clone());
        }
        if matches!(self.phase, Phase::Left | Phase::Failed) {
            return Action::Wait(None);
        }
        if self.phase == Phase::Leaving {
            return self.send_leave();
        }
        if self.check_poll_interval(now) || self.check_session(now) {
            return self.poll(now);
        }
        if self.in_flight.is_some() || self.finding {
            return Action::Wait(None);
        }
        if self.phase == Phase::Unjoined && !self.wants_join() {
            return Action::Wait(None);
        }
        if let Some(at) = self.retry.wait_until(now) {
            return Action::Wait(Some(at));
        }
        let Some(versions) = self.coordinator else {
            self.finding = true;
            return Action::FindCoordinator;
        };
        match self.phase {
            Phase::AwaitingCounts => Action::Wait(None),
            Phase::Syncing => self.send_sync(versions),
            Phase::Unjoined | Phase::Joining | Phase::Stable if self.wants_join() => {
                if self.rebalance_protocol() == RebalanceProtocol::Eager && !self.owned.is_empty() {
                    self.revoke_all();
                    return self.poll(now);
                }
                self.send_join(versions)
            }
            Phase::Stable => self.heartbeat_or_wait(now, versions),
            _ => Action::Wait(self.poll_deadline()),
        }
    }

    /// The coordinator's answer (or why there is none) to the request sent under `token`.
    pub fn on_response(&mut self, token: u64, now: Instant, response: Result<Response, Error>) {
        let Some((sent, kind)) = self.in_flight else {
            return;
        };
        if sent != token {
            return;
        }
        self.in_flight = None;
        let response = match response {
            Ok(r) => r,
            Err(e) => return self.request_failed(now, kind, e),
        };
        match response {
            Response::Join(r) if kind == Kind::Join => self.on_join(now, r),
            Response::Sync(r) if kind == Kind::Sync => self.on_sync(now, r),
            Response::Heartbeat(r) if kind == Kind::Heartbeat => self.on_heartbeat(now, r),
            Response::Leave(_) if kind == Kind::Leave => self.left(),
            _ => self.fail(Error::Kafka {
                api: api_of(kind),
                code: ErrorCode::UNKNOWN_SERVER_ERROR,
                context: format!("group {}: answer of another kind", self.config.group_id),
                message: None,
            }),
        }
    }

    fn wants_join(&self) -> bool {
        !self.topics.is_empty()
            && !self.poll_expired
            && !self.awaiting_revocation
            && (self.rejoin.is_some() || self.phase == Phase::Unjoined)
    }

    fn send_join(&mut self, versions: GroupVersions) -> Action {
        if self.config.group_instance_id.is_some() && versions.join < 5 {
            self.fail(Error::Kafka {
                api: ApiKey::JoinGroup,
                code: ErrorCode::UNSUPPORTED_VERSION,
                context: format!(
                    "group {}: static membership (group.instance.id) needs JoinGroup v5 (Kafka 2.3); the coordinator speaks v{}",
                    self.config.group_id, versions.join
                ),
                message: None,
            });
            return self.poll_fatal();
        }
        let protocols = match self.subscriptions() {
            Ok(p) => p,
            Err(e) => {
                self.fail(e);
                return self.poll_fatal();
            }
        };
        let reason = self.rejoin.take().unwrap_or_default();
        let request = requests::join(
            self.who(),
            versions,
            millis(self.config.session_timeout),
            millis(self.config.rebalance_timeout),
            protocols,
            &reason,
        );
        self.phase = Phase::Joining;
        self.members.clear();
        self.sync_assignments = None;
        let token = self.start(Kind::Join);
        Action::Send {
            token,
            request: Request::Join(request),
        }
    }

    /// LeaveGroup for a closing dynamic member, once revocation is done; a static member, or
    /// one that never joined, is done at once.
    fn send_leave(&mut self) -> Action {
        if self.in_flight.is_some() || self.awaiting_revocation {
            return Action::Wait(None);
        }
        let dynamic = self.config.group_instance_id.is_none();
        if !dynamic || self.member_id.is_empty() || self.coordinator.is_none() {
            self.phase = Phase::Left;
            return Action::Wait(None);
        }
        let request = self.build_leave("the consumer is being closed");
        let token = self.start(Kind::Leave);
        Action::Send { token, request }
    }

    fn send_sync(&mut self, versions: GroupVersions) -> Action {
        let Some(assignments) = self.sync_assignments.take() else {
            return Action::Wait(None);
        };
        let request = requests::sync(self.who(), versions, self.protocol.as_deref(), assignments);
        let token = self.start(Kind::Sync);
        Action::Send {
            token,
            request: Request::Sync(request),
        }
    }

    fn heartbeat_or_wait(&mut self, now: Instant, versions: GroupVersions) -> Action {
        let due = self.next_heartbeat.unwrap_or(now);
        if due > now {
            return Action::Wait(Some(self.poll_deadline().map_or(due, |d| d.min(due))));
        }
        self.next_heartbeat = Some(now + self.config.heartbeat_interval);
        let request = requests::heartbeat(self.who(), versions);
        let token = self.start(Kind::Heartbeat);
        Action::Send {
            token,
            request: Request::Heartbeat(request),
        }
    }

    /// Each assignor's name with this member's subscription, most preferred first.
    fn subscriptions(&self) -> Result<Vec<(&'static str, bytes::Bytes)>, Error> {
        let mut owned: Vec<Owned> = Vec::new();
        for tp in &self.owned {
            match owned.last_mut() {
                Some(o) if o.topic.0.as_str() == &*tp.topic => o.partitions.push(tp.partition),
                _ => owned.push(
                    Owned::default()
                        .with_topic(TopicName(StrBytes::from_string(tp.topic.to_string())))
                        .with_partitions(vec![tp.partition]),
                ),
            }
        }
        let subscription = ConsumerProtocolSubscription::default()
            .with_topics(
                self.topics
                    .iter()
                    .map(|t| StrBytes::from_string(t.to_string()))
                    .collect(),
            )
            .with_owned_partitions(owned)
            .with_generation_id(self.generation)
            .with_rack_id(
                self.config
                    .rack
                    .as_deref()
                    .map(|r| StrBytes::from_string(r.to_owned())),
            );
        let metadata = encode_subscription(&subscription, SUBSCRIPTION_VERSION).map_err(|e| {
            Error::Encode {
                context: format!("group {} subscription", self.config.group_id),
                source: e,
            }
        })?;
        Ok(self
            .config
            .assignors
            .iter()
            .map(|a| (a.name(), metadata.clone()))
            .collect())
    }

    fn on_join(&mut self, now: Instant, r: JoinGroupResponse) {
        let code = ErrorCode(r.error_code);
        if code.is_ok() {
            self.retry.succeeded();
            self.member_id = r.member_id.to_string();
            self.generation = r.generation_id;
            self.protocol = r.protocol_name.as_ref().map(|p| p.to_string());
            if r.leader.as_str() == self.member_id && !r.skip_assignment {
                self.members = leader::members(&r.members);
                self.phase = Phase::AwaitingCounts;
                self.queued
                    .push_back(Action::NeedMetadata(leader::topics(&self.members)));
            } else {
                self.sync_assignments = Some(Vec::new());
                self.phase = Phase::Syncing;
            }
            return;
        }
        self.phase = Phase::Unjoined;
        match code {
            ErrorCode::MEMBER_ID_REQUIRED => {
                // KIP-394: join again at once under the id the coordinator chose.
                self.member_id = r.member_id.to_string();
                self.request_rejoin("the coordinator gave a member id");
            }
            ErrorCode::UNKNOWN_MEMBER_ID | ErrorCode::ILLEGAL_GENERATION => {
                self.reset(code);
                self.request_rejoin(code.name());
            }
            ErrorCode::REBALANCE_IN_PROGRESS | ErrorCode::COORDINATOR_LOAD_IN_PROGRESS => {
                self.request_rejoin(code.name());
                self.back_off(now);
            }
            ErrorCode::NOT_COORDINATOR | ErrorCode::COORDINATOR_NOT_AVAILABLE => {
                self.coordinator = None;
                self.request_rejoin(code.name());
            }
            _ => self.fail(self.kafka_error(ApiKey::JoinGroup, code)),
        }
    }

    fn on_sync(&mut self, now: Instant, r: SyncGroupResponse) {
        let code = ErrorCode(r.error_code);
        if !code.is_ok() {
            self.phase = Phase::Unjoined;
            match code {
                ErrorCode::REBALANCE_IN_PROGRESS => self.request_rejoin(code.name()),
                ErrorCode::UNKNOWN_MEMBER_ID | ErrorCode::ILLEGAL_GENERATION => {
                    self.reset(code);
                    self.request_rejoin(code.name());
                }
                ErrorCode::NOT_COORDINATOR | ErrorCode::COORDINATOR_NOT_AVAILABLE => {
                    self.coordinator = None;
                    self.request_rejoin(code.name());
                }
                ErrorCode::COORDINATOR_LOAD_IN_PROGRESS => {
                    self.request_rejoin(code.name());
                    self.back_off(now);
                }
                _ => self.fail(self.kafka_error(ApiKey::SyncGroup, code)),
            }
            return;
        }
        let assigned = match decode_assignment(r.assignment) {
            Ok((_, a)) => a,
            Err(e) => {
                return self.fail(Error::Decode {
                    context: format!("group {} assignment from the leader", self.config.group_id),
                    source: e,
                })
            }
        };
        let mut new: Vec<TopicPartition> = assigned
            .assigned_partitions
            .iter()
            .flat_map(|t| expand(&t.topic.0, &t.partitions))
            .collect();
        new.sort();
        new.dedup();
        let revoked: Vec<TopicPartition> = self
            .owned
            .iter()
            .filter(|tp| new.binary_search(tp).is_err())
            .cloned()
            .collect();
        let added: Vec<TopicPartition> = new
            .iter()
            .filter(|tp| self.owned.binary_search(tp).is_err())
            .cloned()
            .collect();
        self.owned = new;
        if !revoked.is_empty() {
            // Cooperative: give these up, then join again so they can be handed out.
            self.awaiting_revocation = true;
            self.queued.push_back(Action::Revoked(revoked));
            self.request_rejoin("partitions were revoked for the cooperative rebalance");
        }
        self.queued.push_back(Action::Assigned(added));
        self.retry.succeeded();
        self.phase = Phase::Stable;
        self.next_heartbeat = Some(now + self.config.heartbeat_interval);
        self.last_heartbeat_ok = Some(now);
    }

    fn on_heartbeat(&mut self, now: Instant, r: HeartbeatResponse) {
        let code = ErrorCode(r.error_code);
        if code.is_ok() {
            self.retry.succeeded();
            self.last_heartbeat_ok = Some(now);
            return;
        }
        match code {
            ErrorCode::REBALANCE_IN_PROGRESS => self.request_rejoin(code.name()),
            ErrorCode::UNKNOWN_MEMBER_ID | ErrorCode::ILLEGAL_GENERATION => {
                self.reset(code);
                self.phase = Phase::Unjoined;
                self.request_rejoin(code.name());
            }
            ErrorCode::NOT_COORDINATOR | ErrorCode::COORDINATOR_NOT_AVAILABLE => {
                self.coordinator = None;
                self.next_heartbeat = Some(now);
            }
            _ if code.is_retriable() => {
                self.next_heartbeat = Some(now);
                self.back_off(now);
            }
            _ => self.fail(self.kafka_error(ApiKey::Heartbeat, code)),
        }
    }

    /// The request got no answer (connection lost, timed out): look the coordinator up again
    /// and redo the step.
    fn request_failed(&mut self, now: Instant, kind: Kind, error: Error) {
        tracing::debug!(group = %self.config.group_id, error = %error, ?kind, "group request failed");
        if !error.is_retriable() {
            return self.fail(error);
        }
        self.coordinator = None;
        self.back_off(now);
        match kind {
            Kind::Join | Kind::Sync => {
                self.phase = Phase::Unjoined;
                self.request_rejoin("the coordinator did not answer");
            }
            Kind::Heartbeat => self.next_heartbeat = Some(now),
            Kind::Leave => self.left(),
        }
    }

    /// `max.poll.interval.ms` ran out: the member gives its partitions up (lost) and, if
    /// dynamic, leaves the group. Returns whether anything happened.
    fn check_poll_interval(&mut self, now: Instant) -> bool {
        let joined = matches!(
            self.phase,
            Phase::Stable | Phase::Syncing | Phase::AwaitingCounts
        );
        if !joined || self.poll_expired || now < self.last_app_poll + self.config.rebalance_timeout
        {
            return false;
        }
        tracing::warn!(group = %self.config.group_id, "max.poll.interval.ms passed without a poll: leaving the group");
        self.poll_expired = true;
        self.lose_all();
        self.in_flight = None;
        if self.config.group_instance_id.is_none() && self.coordinator.is_some() {
            let request = self.build_leave("consumer poll timeout has expired");
            let token = self.start(Kind::Leave);
            self.queued.push_back(Action::Send { token, request });
        }
        self.member_id.clear();
        self.generation = -1;
        self.phase = Phase::Unjoined;
        true
    }

    /// No successful heartbeat for `session.timeout.ms`: look the coordinator up again (its
    /// answers then say whether the member is still in the group). Returns whether anything
    /// happened.
    fn check_session(&mut self, now: Instant) -> bool {
        let expired = self.phase == Phase::Stable
            && self.coordinator.is_some()
            && self
                .last_heartbeat_ok
                .is_some_and(|ok| now >= ok + self.config.session_timeout);
        if expired {
            tracing::info!(group = %self.config.group_id, "no heartbeat answer within session.timeout.ms: looking the coordinator up again");
            self.coordinator = None;
            self.in_flight = None;
            self.last_heartbeat_ok = Some(now);
        }
        expired
    }

    fn poll_deadline(&self) -> Option<Instant> {
        matches!(
            self.phase,
            Phase::Stable | Phase::Syncing | Phase::AwaitingCounts
        )
        .then(|| self.last_app_poll + self.config.rebalance_timeout)
    }

    /// The member's identity was lost (UNKNOWN_MEMBER_ID: a new member id; ILLEGAL_GENERATION:
    /// a new generation): what it owned is lost.
    fn reset(&mut self, code: ErrorCode) {
        if code == ErrorCode::UNKNOWN_MEMBER_ID {
            self.member_id.clear();
        }
        self.generation = -1;
        self.lose_all();
    }

    /// LeaveGroup was answered (or failed): a member closing is done; one that left because
    /// the application stopped polling stays ready to join again.
    fn left(&mut self) {
        if self.phase == Phase::Leaving {
            self.phase = Phase::Left;
        }
    }

    fn revoke_all(&mut self) {
        if !self.owned.is_empty() {
            self.awaiting_revocation = true;
            self.queued
                .push_back(Action::Revoked(std::mem::take(&mut self.owned)));
        }
    }

    fn lose_all(&mut self) {
        if !self.owned.is_empty() {
            self.queued
                .push_back(Action::Lost(std::mem::take(&mut self.owned)));
        }
    }

    fn back_off(&mut self, now: Instant) {
        self.retry.failed(now);
    }

    fn fail(&mut self, error: Error) {
        tracing::warn!(group = %self.config.group_id, error = %error, "consumer group member failed");
        self.phase = Phase::Failed;
        self.in_flight = None;
        self.fatal.get_or_insert(error);
    }

    fn poll_fatal(&mut self) -> Action {
        match &self.fatal {
            Some(e) => Action::Failed(e.clone()),
            None => Action::Wait(None),
        }
    }

    fn start(&mut self, kind: Kind) -> u64 {
        self.next_token += 1;
        self.in_flight = Some((self.next_token, kind));
        self.next_token
    }

    fn build_leave(&self, reason: &str) -> Request {
        let versions = self.coordinator.unwrap_or_default();
        Request::Leave(requests::leave(self.who(), versions, reason))
    }

    fn who(&self) -> Identity<'_> {
        self.identity()
    }

    fn kafka_error(&self, api: ApiKey, code: ErrorCode) -> Error {
        Error::Kafka {
            api,
            code,
            context: format!("group {}", self.config.group_id),
            message: None,
        }
    }
}

fn api_of(kind: Kind) -> ApiKey {
    match kind {
        Kind::Join => ApiKey::JoinGroup,
        Kind::Sync => ApiKey::SyncGroup,
        Kind::Heartbeat => ApiKey::Heartbeat,
        Kind::Leave => ApiKey::LeaveGroup,
    }
}
