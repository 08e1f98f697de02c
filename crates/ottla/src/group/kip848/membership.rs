//! One member of a KIP-848 consumer group, as a state machine.
//!
//! The caller loops as with the classic machine: [`Membership::poll`] says what to do next,
//! answers come back through [`Membership::on_response`] under the token they were sent with,
//! and the clock and the member id are arguments.
//!
//! What happens, as in the Java client's `ConsumerMembershipManager` and
//! `ConsumerHeartbeatRequestManager`:
//! - **Join**: a heartbeat with epoch 0 and every field (subscription, rebalance timeout,
//!   instance id, rack, server assignor, an empty owned list). The coordinator answers with
//!   the member's epoch, the heartbeat interval and, when it changed, its target assignment
//!   (topic ids).
//! - **Heartbeats** every interval the coordinator gives. After a success only the fields
//!   that changed are sent again (the owned partitions when they changed); after a failure or
//!   a new coordinator, every field.
//! - **Reconciling**: topic ids are named from metadata ([`Action::NeedMetadata`]). What is
//!   owned but not in the target is revoked first ([`Action::Revoked`]; the coordinator still
//!   counts it as ours until the application is done with it and the next heartbeat says
//!   so); then what is new is assigned, and a heartbeat acknowledges at once.
//! - **Fenced** (FENCED_MEMBER_EPOCH, UNKNOWN_MEMBER_ID): everything owned is lost and the
//!   member joins again with epoch 0 under the same member id. NOT_COORDINATOR and
//!   COORDINATOR_NOT_AVAILABLE look the coordinator up again; other retriable errors back off.
//!   UNSUPPORTED_VERSION (a broker without KIP-848 groups), FENCED_INSTANCE_ID,
//!   UNRELEASED_INSTANCE_ID, UNSUPPORTED_ASSIGNOR, GROUP_MAX_SIZE_REACHED, INVALID_REQUEST and
//!   authorization errors are fatal.
//! - **`max.poll.interval.ms`**: without a poll for that long the member leaves (epoch -1, or
//!   -2 for a static member), its partitions are lost, and it joins again at the next poll.
//! - **Leave**: revokes what is owned, then a heartbeat with epoch -1 (dynamic) or -2 (static:
//!   the coordinator keeps its assignment for the session timeout, KIP-345's promise).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use kafka_protocol::messages::consumer_group_heartbeat_request::TopicPartitions;
use kafka_protocol::messages::{
    ApiKey, ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse, GroupId, TopicName,
};
use ottla_protocol::error_code::ErrorCode;
use ottla_protocol::StrBytes;
use tokio::time::Instant;
use uuid::Uuid;

use crate::cluster::Backoff;
use crate::error::Error;
use crate::group::retry::{millis, Retry};
use crate::group::{Identity, TopicPartition};

/// Epoch of a heartbeat that leaves the group.
const LEAVE_EPOCH: i32 = -1;
/// Epoch of a static member's leave: it will be back under its instance id.
const STATIC_LEAVE_EPOCH: i32 = -2;
/// Heartbeat interval until the coordinator has given one (the broker's default).
const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);

/// What a member needs to know about its group and itself.
#[derive(Debug, Clone)]
pub struct MembershipConfig {
    /// `group.id`.
    pub group_id: String,
    /// `group.instance.id` (static membership).
    pub group_instance_id: Option<String>,
    /// `max.poll.interval.ms`: also the rebalance timeout the member sends.
    pub rebalance_timeout: Duration,
    /// `retry.backoff.ms` … `retry.backoff.max.ms`, between failed tries.
    pub retry_backoff: Backoff,
    /// `group.remote.assignor`: the assignor the coordinator runs (its default when `None`).
    pub remote_assignor: Option<String>,
    /// `client.rack`.
    pub rack: Option<String>,
}

/// A request for the group coordinator.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// ConsumerGroupHeartbeat.
    pub heartbeat: ConsumerGroupHeartbeatRequest,
    /// The version to send it at.
    pub version: i16,
}

/// The coordinator's answer.
pub type Response = ConsumerGroupHeartbeatResponse;

/// What the caller does next.
pub type Action = crate::group::Action<Request>;

/// Where the member is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Not in the group (nothing subscribed, fenced, or about to join).
    Unjoined,
    /// The joining heartbeat (epoch 0) is out.
    Joining,
    /// In the group, with an epoch.
    Stable,
    /// Leaving: revoking, then the leave heartbeat.
    Leaving,
    /// Left; nothing more happens.
    Left,
    /// A fatal error; see [`Action::Failed`].
    Failed,
}

/// What the coordinator was last told (and acknowledged).
#[derive(Debug, Clone, PartialEq, Default)]
struct Told {
    topics: BTreeSet<Arc<str>>,
    owned: Vec<TopicPartition>,
}

/// One member of a KIP-848 consumer group (see the module doc).
#[derive(Debug)]
pub struct Membership {
    config: MembershipConfig,
    topics: BTreeSet<Arc<str>>,
    member_id: String,
    epoch: i32,
    phase: Phase,
    /// Partitions the application reads now, sorted.
    owned: Vec<TopicPartition>,
    /// Revoked, and the application is not done with them yet: still ours for the
    /// coordinator.
    revoking: Vec<TopicPartition>,
    /// The coordinator's latest assignment for this member, until reached.
    target: Option<Vec<(Uuid, Vec<i32>)>>,
    names: BTreeMap<Uuid, Arc<str>>,
    ids: BTreeMap<Arc<str>, Uuid>,
    /// Metadata was asked for since the last answer.
    metadata_asked: bool,
    /// The coordinator's ConsumerGroupHeartbeat version, while it is known.
    coordinator: Option<i16>,
    finding: bool,
    /// Token of the request out, and what it tells the coordinator.
    in_flight: Option<(u64, Told)>,
    next_token: u64,
    /// What the coordinator acknowledged; `None` means the next heartbeat carries every field.
    told: Option<Told>,
    queued: VecDeque<Action>,
    retry: Retry,
    interval: Duration,
    next_heartbeat: Option<Instant>,
    last_app_poll: Instant,
    poll_expired: bool,
    awaiting_revocation: bool,
    fatal: Option<Error>,
}

impl Membership {
    /// A member that has not joined yet, with the member id it keeps for its lifetime
    /// (KIP-1082: the client chooses it; any unique string); `now` counts as the
    /// application's first poll.
    pub fn new(config: MembershipConfig, member_id: String, now: Instant) -> Self {
        let retry = Retry::new(config.retry_backoff);
        Self {
            config,
            topics: BTreeSet::new(),
            member_id,
            epoch: 0,
            phase: Phase::Unjoined,
            owned: Vec::new(),
            revoking: Vec::new(),
            target: None,
            names: BTreeMap::new(),
            ids: BTreeMap::new(),
            metadata_asked: false,
            coordinator: None,
            finding: false,
            in_flight: None,
            next_token: 0,
            told: None,
            queued: VecDeque::new(),
            retry,
            interval: DEFAULT_INTERVAL,
            next_heartbeat: None,
            last_app_poll: now,
            poll_expired: false,
            awaiting_revocation: false,
            fatal: None,
        }
    }

    /// A member id for [`Membership::new`]: 16 random bytes, as a UUID.
    pub fn random_member_id() -> String {
        Uuid::from_bytes(rand::random()).to_string()
    }

    /// Where the member is.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// The group.
    pub fn group_id(&self) -> &str {
        &self.config.group_id
    }

    /// The member id.
    pub fn member_id(&self) -> &str {
        &self.member_id
    }

    /// The member epoch (0 outside the group).
    pub fn epoch(&self) -> i32 {
        self.epoch
    }

    /// The partitions the application reads now.
    pub fn owned(&self) -> &[TopicPartition] {
        &self.owned
    }

    /// Who this member is in offset commits: the member epoch stands for the generation.
    pub(crate) fn identity(&self) -> Identity<'_> {
        let joined = self.phase == Phase::Stable;
        Identity {
            group_id: &self.config.group_id,
            member_id: if joined { &self.member_id } else { "" },
            instance_id: self.config.group_instance_id.as_deref(),
            generation: if joined { self.epoch } else { -1 },
        }
    }

    /// Subscribes to `topics` (replacing the subscription); the next heartbeat says so.
    pub fn subscribe(&mut self, topics: impl IntoIterator<Item = Arc<str>>) {
        self.topics = topics.into_iter().collect();
    }

    /// The application polled (`max.poll.interval.ms` starts again).
    pub fn app_polled(&mut self, now: Instant) {
        self.last_app_poll = now;
        self.poll_expired = false;
    }

    /// The coordinator is known and speaks ConsumerGroupHeartbeat at `version`.
    pub fn coordinator_found(&mut self, version: i16) {
        self.finding = false;
        self.coordinator = Some(version);
        self.told = None;
    }

    /// The coordinator could not be found: retriable errors are tried again after the
    /// backoff, others are fatal.
    pub fn coordinator_unavailable(&mut self, now: Instant, error: Error) {
        self.finding = false;
        self.coordinator = None;
        if error.is_retriable() {
            self.back_off(now);
        } else {
            self.fail(error);
        }
    }

    /// Topic names and ids from metadata, for [`Action::NeedMetadata`].
    pub fn topic_ids<'a>(&mut self, topics: impl IntoIterator<Item = (&'a str, [u8; 16])>) {
        for (name, id) in topics {
            let id = Uuid::from_bytes(id);
            if id.is_nil() {
                continue;
            }
            let name: Arc<str> = Arc::from(name);
            self.names.insert(id, Arc::clone(&name));
            self.ids.insert(name, id);
        }
    }

    /// Leaves the group: revokes what is owned and, once the application is done with that,
    /// sends the leave heartbeat.
    pub fn leave(&mut self) {
        if matches!(self.phase, Phase::Leaving | Phase::Left | Phase::Failed) {
            return;
        }
        self.target = None;
        self.revoke(self.owned.clone());
        self.in_flight = None;
        self.phase = Phase::Leaving;
    }

    /// The application has finished with the last [`Action::Revoked`].
    pub fn revocation_done(&mut self) {
        self.awaiting_revocation = false;
        self.revoking.clear();
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
        if self.check_poll_interval(now) {
            return self.poll(now);
        }
        if self.in_flight.is_some() || self.finding {
            return Action::Wait(None);
        }
        if self.phase == Phase::Leaving {
            return self.send_leave();
        }
        if self.phase == Phase::Unjoined && (self.topics.is_empty() || self.poll_expired) {
            return Action::Wait(None);
        }
        if let Some(at) = self.retry.wait_until(now) {
            return Action::Wait(Some(at));
        }
        let Some(version) = self.coordinator else {
            self.finding = true;
            return Action::FindCoordinator;
        };
        if self.phase == Phase::Stable && self.reconcile() {
            return self.poll(now);
        }
        let changed = self.told.as_ref() != Some(&self.telling());
        let due = if changed || self.phase == Phase::Unjoined {
            now
        } else {
            self.next_heartbeat.unwrap_or(now)
        };
        if due > now {
            let poll_deadline = self.last_app_poll + self.config.rebalance_timeout;
            return Action::Wait(Some(due.min(poll_deadline)));
        }
        self.send_heartbeat(now, version)
    }

    /// The coordinator's answer (or why there is none) to the request sent under `token`.
    pub fn on_response(&mut self, token: u64, now: Instant, response: Result<Response, Error>) {
        let Some((sent, told)) = self.in_flight.take() else {
            return;
        };
        if sent != token {
            self.in_flight = Some((sent, told));
            return;
        }
        let leaving = self.phase == Phase::Leaving;
        let r = match response {
            Ok(r) => r,
            Err(e) => return self.request_failed(now, leaving, e),
        };
        if leaving {
            self.phase = Phase::Left;
            return;
        }
        let code = ErrorCode(r.error_code);
        if code.is_ok() {
            return self.on_heartbeat(now, r, told);
        }
        self.told = None;
        let message = r.error_message.as_ref().map(|m| m.to_string());
        match code {
            ErrorCode::FENCED_MEMBER_EPOCH | ErrorCode::UNKNOWN_MEMBER_ID => {
                tracing::info!(group = %self.config.group_id, code = %code.name(), "fenced: partitions lost, joining again");
                self.fenced();
            }
            ErrorCode::NOT_COORDINATOR | ErrorCode::COORDINATOR_NOT_AVAILABLE => {
                self.coordinator = None;
                self.next_heartbeat = Some(now);
            }
            ErrorCode::UNSUPPORTED_VERSION => self.fail(unsupported(&self.config.group_id)),
            _ if code.is_retriable() => {
                self.next_heartbeat = Some(now);
                self.back_off(now);
            }
            _ => self.fail(Error::Kafka {
                api: ApiKey::ConsumerGroupHeartbeat,
                code,
                context: format!("group {}", self.config.group_id),
                message,
            }),
        }
    }

    fn on_heartbeat(&mut self, now: Instant, r: Response, told: Told) {
        self.retry.succeeded();
        if let Some(id) = r.member_id.as_ref().filter(|id| !id.is_empty()) {
            self.member_id = id.to_string();
        }
        self.epoch = r.member_epoch;
        if let Ok(ms) = u64::try_from(r.heartbeat_interval_ms) {
            if ms > 0 {
                self.interval = Duration::from_millis(ms);
            }
        }
        if self.phase != Phase::Stable {
            self.phase = Phase::Stable;
        }
        if let Some(assignment) = r.assignment {
            self.target = Some(
                assignment
                    .topic_partitions
                    .into_iter()
                    .map(|t| (t.topic_id, t.partitions))
                    .collect(),
            );
        }
        self.metadata_asked = false;
        self.told = Some(told);
        self.next_heartbeat = Some(now + self.interval);
    }

    /// Moves towards the target assignment; returns whether an action was queued.
    fn reconcile(&mut self) -> bool {
        if self.awaiting_revocation {
            return false;
        }
        let Some(target) = &self.target else {
            return false;
        };
        let mut unresolved = false;
        let mut wanted: Vec<TopicPartition> = Vec::new();
        for (id, partitions) in target {
            match self.names.get(id) {
                Some(name) => wanted.extend(
                    partitions
                        .iter()
                        .map(|&p| TopicPartition::new(Arc::clone(name), p)),
                ),
                None => unresolved = true,
            }
        }
        if unresolved && !self.metadata_asked {
            self.metadata_asked = true;
            self.queued
                .push_back(Action::NeedMetadata(self.topics.clone()));
            return true;
        }
        wanted.sort();
        wanted.dedup();
        let revoked: Vec<TopicPartition> = self
            .owned
            .iter()
            .filter(|tp| wanted.binary_search(tp).is_err())
            .cloned()
            .collect();
        if !revoked.is_empty() {
            self.revoke(revoked);
            return true;
        }
        let added: Vec<TopicPartition> = wanted
            .iter()
            .filter(|tp| self.owned.binary_search(tp).is_err())
            .cloned()
            .collect();
        if !unresolved {
            self.target = None;
        }
        if added.is_empty() && unresolved {
            return false;
        }
        self.owned = wanted;
        self.queued.push_back(Action::Assigned(added));
        true
    }

    /// What the next heartbeat would tell the coordinator.
    fn telling(&self) -> Told {
        let mut owned: Vec<TopicPartition> =
            self.owned.iter().chain(&self.revoking).cloned().collect();
        owned.sort();
        Told {
            topics: self.topics.clone(),
            owned,
        }
    }

    fn send_heartbeat(&mut self, now: Instant, version: i16) -> Action {
        let telling = self.telling();
        let joining = self.phase == Phase::Unjoined || self.epoch == 0;
        let all = joining || self.told.is_none();
        let told = self.told.clone().unwrap_or_default();
        let mut r = ConsumerGroupHeartbeatRequest::default()
            .with_group_id(GroupId(str_bytes(&self.config.group_id)))
            .with_member_id(if version == 0 && joining {
                StrBytes::default()
            } else {
                str_bytes(&self.member_id)
            })
            .with_member_epoch(if joining { 0 } else { self.epoch })
            .with_rebalance_timeout_ms(-1);
        if all {
            r = r
                .with_instance_id(self.config.group_instance_id.as_deref().map(str_bytes))
                .with_rack_id(self.config.rack.as_deref().map(str_bytes))
                .with_rebalance_timeout_ms(millis(self.config.rebalance_timeout))
                .with_server_assignor(self.config.remote_assignor.as_deref().map(str_bytes));
        }
        if all || told.topics != telling.topics {
            r = r.with_subscribed_topic_names(Some(
                telling
                    .topics
                    .iter()
                    .map(|t| TopicName(str_bytes(t)))
                    .collect(),
            ));
        }
        if all || told.owned != telling.owned {
            r = r.with_topic_partitions(Some(self.by_topic_id(&telling.owned)));
        }
        if joining {
            self.phase = Phase::Joining;
        }
        self.next_heartbeat = Some(now + self.interval);
        self.next_token += 1;
        self.in_flight = Some((self.next_token, telling));
        Action::Send {
            token: self.next_token,
            request: Request {
                heartbeat: r,
                version,
            },
        }
    }

    fn send_leave(&mut self) -> Action {
        if self.awaiting_revocation {
            return Action::Wait(None);
        }
        let Some(version) = self.coordinator.filter(|_| self.epoch > 0) else {
            self.phase = Phase::Left;
            return Action::Wait(None);
        };
        self.next_token += 1;
        self.in_flight = Some((self.next_token, Told::default()));
        Action::Send {
            token: self.next_token,
            request: Request {
                heartbeat: self.leave_request(),
                version,
            },
        }
    }

    fn leave_request(&self) -> ConsumerGroupHeartbeatRequest {
        let epoch = if self.config.group_instance_id.is_some() {
            STATIC_LEAVE_EPOCH
        } else {
            LEAVE_EPOCH
        };
        ConsumerGroupHeartbeatRequest::default()
            .with_group_id(GroupId(str_bytes(&self.config.group_id)))
            .with_member_id(str_bytes(&self.member_id))
            .with_member_epoch(epoch)
            .with_instance_id(self.config.group_instance_id.as_deref().map(str_bytes))
            .with_rebalance_timeout_ms(-1)
    }

    /// Owned partitions grouped by topic id (every owned topic's id is known: it came from
    /// an assignment that was named).
    fn by_topic_id(&self, owned: &[TopicPartition]) -> Vec<TopicPartitions> {
        let mut out: Vec<TopicPartitions> = Vec::new();
        for tp in owned {
            let Some(&id) = self.ids.get(&tp.topic) else {
                continue;
            };
            match out.last_mut() {
                Some(t) if t.topic_id == id => t.partitions.push(tp.partition),
                _ => out.push(
                    TopicPartitions::default()
                        .with_topic_id(id)
                        .with_partitions(vec![tp.partition]),
                ),
            }
        }
        out
    }

    fn request_failed(&mut self, now: Instant, leaving: bool, error: Error) {
        tracing::debug!(group = %self.config.group_id, error = %error, "group heartbeat failed");
        if leaving {
            self.phase = Phase::Left;
            return;
        }
        if !error.is_retriable() {
            return self.fail(error);
        }
        self.told = None;
        self.coordinator = None;
        self.next_heartbeat = Some(now);
        if self.phase == Phase::Joining {
            self.phase = Phase::Unjoined;
        }
        self.back_off(now);
    }

    /// Fenced: what is owned (and revoking) is lost; join again with epoch 0.
    fn fenced(&mut self) {
        let mut lost = std::mem::take(&mut self.owned);
        lost.append(&mut self.revoking);
        lost.sort();
        if !lost.is_empty() {
            self.queued.push_back(Action::Lost(lost));
        }
        self.awaiting_revocation = false;
        self.target = None;
        self.epoch = 0;
        self.phase = Phase::Unjoined;
    }

    fn check_poll_interval(&mut self, now: Instant) -> bool {
        let joined = matches!(self.phase, Phase::Stable | Phase::Joining);
        if !joined || self.poll_expired || now < self.last_app_poll + self.config.rebalance_timeout
        {
            return false;
        }
        tracing::warn!(group = %self.config.group_id, "max.poll.interval.ms passed without a poll: leaving the group");
        self.poll_expired = true;
        if let Some(version) = self.coordinator.filter(|_| self.epoch > 0) {
            self.next_token += 1;
            // The answer is not waited for: a new token supersedes it.
            self.queued.push_back(Action::Send {
                token: self.next_token,
                request: Request {
                    heartbeat: self.leave_request(),
                    version,
                },
            });
        }
        self.in_flight = None;
        self.told = None;
        self.fenced();
        true
    }

    fn revoke(&mut self, partitions: Vec<TopicPartition>) {
        if partitions.is_empty() {
            return;
        }
        self.owned.retain(|tp| !partitions.contains(tp));
        self.revoking.extend(partitions.iter().cloned());
        self.awaiting_revocation = true;
        self.queued.push_back(Action::Revoked(partitions));
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
}

/// The error for a coordinator without KIP-848 groups.
pub(crate) fn unsupported(group: &str) -> Error {
    Error::Kafka {
        api: ApiKey::ConsumerGroupHeartbeat,
        code: ErrorCode::UNSUPPORTED_VERSION,
        context: format!(
            "group {group}: group.protocol=consumer (KIP-848) needs a group coordinator that runs it (Kafka 4.0+; 3.7-3.9 only with group.coordinator.rebalance.protocols including consumer); use group.protocol=classic with this cluster"
        ),
        message: None,
    }
}

fn str_bytes(s: &str) -> StrBytes {
    StrBytes::from_string(s.to_owned())
}
