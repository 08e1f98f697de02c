//! The coordinator side of the classic consumer group protocol, as Kafka's `GroupCoordinator`
//! runs it, reduced to what a client can observe:
//!
//! - **Join.** A JoinGroup (v4+) without a member id gets MEMBER_ID_REQUIRED and an id
//!   (KIP-394); with one, the member joins and a rebalance starts (or goes on): every member
//!   must send JoinGroup again (heartbeats answer REBALANCE_IN_PROGRESS until it does). The
//!   round completes when every member has rejoined and no handed-out id is still to come, or
//!   at the rebalance deadline (the longest rebalance timeout), when members that did not
//!   rejoin are removed. The generation goes up; the leader (the old one if it stayed, else
//!   the first to join) gets every member's subscription for the chosen protocol.
//! - **Sync.** The leader's SyncGroup carries the assignments and makes the group stable;
//!   the others' wait for it. A new rebalance meanwhile answers REBALANCE_IN_PROGRESS.
//! - **Heartbeat / commit checks.** UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION,
//!   REBALANCE_IN_PROGRESS as Kafka answers them.
//! - **Sessions.** A member not heard from for its session timeout (and not waiting in a
//!   JoinGroup) is removed, which starts a rebalance.
//! - **Static members** (KIP-345): a JoinGroup with a known `group.instance.id` takes the
//!   instance's place under a new member id; the old id is fenced (FENCED_INSTANCE_ID).
//!
//! Time is passed in, so the state machine runs without a clock of its own.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::ResponseError;
use tokio::time::Instant;

/// Where a group is in its cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// No members.
    Empty,
    /// Waiting for every member to (re)join.
    Preparing,
    /// Joined; waiting for the leader's assignments.
    Completing,
    /// Assignments handed out.
    Stable,
}

/// One member.
#[derive(Debug, Clone)]
pub(crate) struct Member {
    pub instance_id: Option<String>,
    /// The client id it joined with.
    pub client_id: String,
    pub session_timeout: Duration,
    pub rebalance_timeout: Duration,
    /// Protocol name → subscription, in the member's order of preference.
    pub protocols: Vec<(String, Bytes)>,
    pub last_seen: Instant,
    /// Has sent JoinGroup in the rebalance under way and waits for its answer.
    pub joined: bool,
}

/// One group.
#[derive(Debug, Clone)]
pub(crate) struct Group {
    pub phase: Phase,
    pub generation: i32,
    pub protocol_type: Option<String>,
    pub protocol: Option<String>,
    pub leader: Option<String>,
    pub members: BTreeMap<String, Member>,
    /// Member ids handed out with MEMBER_ID_REQUIRED, until when they may join.
    pending: BTreeMap<String, Instant>,
    /// Member ids fenced by a static member's rejoin.
    fenced: BTreeSet<String>,
    deadline: Option<Instant>,
    assignments: BTreeMap<String, Bytes>,
}

impl Group {
    fn new() -> Self {
        Self {
            phase: Phase::Empty,
            generation: 0,
            protocol_type: None,
            protocol: None,
            leader: None,
            members: BTreeMap::new(),
            pending: BTreeMap::new(),
            fenced: BTreeSet::new(),
            deadline: None,
            assignments: BTreeMap::new(),
        }
    }

    /// Starts a rebalance (every member must join again), or keeps the one under way.
    fn prepare(&mut self, now: Instant) {
        if self.phase == Phase::Preparing {
            return;
        }
        self.phase = Phase::Preparing;
        for m in self.members.values_mut() {
            m.joined = false;
        }
        let longest = self
            .members
            .values()
            .map(|m| m.rebalance_timeout)
            .max()
            .unwrap_or_default();
        self.deadline = Some(now + longest);
        self.assignments.clear();
    }

    /// Completes the join round when everyone is in, or the deadline passed.
    fn maybe_complete(&mut self, now: Instant) {
        if self.phase != Phase::Preparing {
            return;
        }
        self.pending.retain(|_, until| *until > now);
        let all_in = self.members.values().all(|m| m.joined) && self.pending.is_empty();
        let late = self.deadline.is_some_and(|d| d <= now);
        if !all_in && !late {
            return;
        }
        self.members.retain(|_, m| m.joined);
        self.generation += 1;
        self.deadline = None;
        if self.members.is_empty() {
            self.phase = Phase::Empty;
            self.leader = None;
            self.protocol = None;
            return;
        }
        if self
            .leader
            .as_ref()
            .is_none_or(|l| !self.members.contains_key(l))
        {
            self.leader = self.members.keys().next().cloned();
        }
        // The first of the leader's protocols that every member supports.
        let leader = &self.members[self.leader.as_deref().unwrap_or_default()];
        self.protocol = leader
            .protocols
            .iter()
            .map(|(name, _)| name)
            .find(|name| {
                self.members
                    .values()
                    .all(|m| m.protocols.iter().any(|(n, _)| n == *name))
            })
            .cloned();
        self.phase = Phase::Completing;
        for m in self.members.values_mut() {
            m.last_seen = now;
        }
    }

    /// Removes members whose session expired (those waiting in a JoinGroup are alive).
    fn expire(&mut self, now: Instant) {
        let expired: Vec<String> = self
            .members
            .iter()
            .filter(|(_, m)| !(self.phase == Phase::Preparing && m.joined))
            .filter(|(_, m)| m.last_seen + m.session_timeout <= now)
            .map(|(id, _)| id.clone())
            .collect();
        if expired.is_empty() {
            return;
        }
        for id in &expired {
            self.members.remove(id);
        }
        self.prepare(now);
    }

    /// The check every request of a member makes: known, not fenced, this generation.
    fn member_check(&self, member_id: &str, generation: i32) -> Result<(), i16> {
        if self.fenced.contains(member_id) {
            return Err(ResponseError::FencedInstanceId.code());
        }
        if !self.members.contains_key(member_id) {
            return Err(ResponseError::UnknownMemberId.code());
        }
        if generation != self.generation {
            return Err(ResponseError::IllegalGeneration.code());
        }
        Ok(())
    }
}

/// What a JoinGroup asks.
#[derive(Debug, Clone)]
pub(crate) struct JoinRequest {
    pub member_id: String,
    pub instance_id: Option<String>,
    pub client_id: String,
    pub protocol_type: String,
    pub protocols: Vec<(String, Bytes)>,
    pub session_timeout: Duration,
    pub rebalance_timeout: Duration,
    /// Whether the version knows MEMBER_ID_REQUIRED (v4+).
    pub member_id_required: bool,
}

/// A JoinGroup's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Joined {
    pub generation: i32,
    pub protocol_type: Option<String>,
    pub protocol: Option<String>,
    pub leader: String,
    pub member_id: String,
    /// Every member's id, instance id and subscription: for the leader only.
    pub members: Vec<(String, Option<String>, Bytes)>,
}

impl Group {
    /// The state name ListGroups and DescribeGroups report.
    pub fn state_name(&self) -> &'static str {
        match self.phase {
            Phase::Empty => "Empty",
            Phase::Preparing => "PreparingRebalance",
            Phase::Completing => "CompletingRebalance",
            Phase::Stable => "Stable",
        }
    }

    /// The assignment the leader gave `member_id` in the current generation.
    pub fn assignment(&self, member_id: &str) -> Option<&Bytes> {
        self.assignments.get(member_id)
    }
}

/// Every group.
#[derive(Debug, Default)]
pub(crate) struct GroupCoordinator {
    groups: BTreeMap<String, Group>,
    next_member: u64,
}

impl GroupCoordinator {
    pub fn group(&self, group_id: &str) -> Option<&Group> {
        self.groups.get(group_id)
    }

    /// Every group that ever had a member, by id.
    pub fn groups(&self) -> impl Iterator<Item = (&String, &Group)> {
        self.groups.iter()
    }

    /// Forgets a group (DeleteGroups; the caller checked it has no members).
    pub fn remove(&mut self, group_id: &str) {
        self.groups.remove(group_id);
    }

    /// Moves time on: expired sessions, join rounds past their deadline.
    pub fn tick(&mut self, now: Instant) {
        for g in self.groups.values_mut() {
            g.expire(now);
            g.maybe_complete(now);
        }
    }

    /// Registers a JoinGroup. `Ok(member id, generation before)`: wait for
    /// [`joined`](Self::joined); `Err(code, member id)`: answer at once (MEMBER_ID_REQUIRED
    /// carries the new id).
    pub fn join(
        &mut self,
        group_id: &str,
        r: JoinRequest,
        now: Instant,
    ) -> Result<(String, i32), (i16, String)> {
        self.next_member += 1;
        let fresh = format!("{}-{}", r.client_id, self.next_member);
        let g = self
            .groups
            .entry(group_id.to_owned())
            .or_insert_with(Group::new);
        if r.protocols.is_empty()
            || g.phase != Phase::Empty
                && g.protocol_type.as_deref() != Some(r.protocol_type.as_str())
            || g.phase != Phase::Empty
                && !r.protocols.iter().any(|(n, _)| {
                    g.members
                        .values()
                        .all(|m| m.protocols.iter().any(|(o, _)| o == n))
                })
        {
            return Err((ResponseError::InconsistentGroupProtocol.code(), r.member_id));
        }
        let member_id = if let Some(instance) = &r.instance_id {
            // A static member: a known instance takes its place under a new id.
            let old = g
                .members
                .iter()
                .find(|(_, m)| m.instance_id.as_ref() == Some(instance))
                .map(|(id, _)| id.clone());
            match old.and_then(|old| g.members.remove_entry(&old)) {
                Some((old, member)) if old == r.member_id => {
                    g.members.insert(old.clone(), member);
                    old
                }
                Some((old, member)) => {
                    g.fenced.insert(old.clone());
                    if g.leader.as_ref() == Some(&old) {
                        g.leader = Some(fresh.clone());
                    }
                    g.members.insert(fresh.clone(), member);
                    fresh
                }
                None => fresh,
            }
        } else if r.member_id.is_empty() {
            if r.member_id_required {
                g.pending.insert(fresh.clone(), now + r.session_timeout);
                return Err((ResponseError::MemberIdRequired.code(), fresh));
            }
            fresh
        } else if g.members.contains_key(&r.member_id) || g.pending.remove(&r.member_id).is_some() {
            r.member_id.clone()
        } else {
            return Err((ResponseError::UnknownMemberId.code(), r.member_id));
        };
        g.protocol_type = Some(r.protocol_type.clone());
        g.members.insert(
            member_id.clone(),
            Member {
                instance_id: r.instance_id.clone(),
                client_id: r.client_id.clone(),
                session_timeout: r.session_timeout,
                rebalance_timeout: r.rebalance_timeout,
                protocols: r.protocols,
                last_seen: now,
                joined: false,
            },
        );
        g.prepare(now);
        if let Some(m) = g.members.get_mut(&member_id) {
            m.joined = true;
        }
        let before = g.generation;
        g.maybe_complete(now);
        Ok((member_id, before))
    }

    /// The answer to `member_id`'s JoinGroup made at generation `before`, once the round
    /// completed (`None` while it goes on).
    pub fn joined(
        &self,
        group_id: &str,
        member_id: &str,
        before: i32,
    ) -> Option<Result<Joined, i16>> {
        let g = self.groups.get(group_id)?;
        if g.generation == before {
            return None;
        }
        if !g.members.contains_key(member_id) {
            return Some(Err(ResponseError::UnknownMemberId.code()));
        }
        let leader = g.leader.clone().unwrap_or_default();
        let members = if leader == member_id {
            g.members
                .iter()
                .map(|(id, m)| {
                    let subscription = m
                        .protocols
                        .iter()
                        .find(|(n, _)| Some(n) == g.protocol.as_ref())
                        .map(|(_, s)| s.clone())
                        .unwrap_or_default();
                    (id.clone(), m.instance_id.clone(), subscription)
                })
                .collect()
        } else {
            Vec::new()
        };
        Some(Ok(Joined {
            generation: g.generation,
            protocol_type: g.protocol_type.clone(),
            protocol: g.protocol.clone(),
            leader,
            member_id: member_id.to_owned(),
            members,
        }))
    }

    /// A SyncGroup: the leader's assignments make the group stable.
    pub fn sync(
        &mut self,
        group_id: &str,
        member_id: &str,
        generation: i32,
        assignments: BTreeMap<String, Bytes>,
        now: Instant,
    ) -> Result<(), i16> {
        let g = self.known(group_id)?;
        g.member_check(member_id, generation)?;
        if g.phase == Phase::Preparing {
            return Err(ResponseError::RebalanceInProgress.code());
        }
        if let Some(m) = g.members.get_mut(member_id) {
            m.last_seen = now;
        }
        if g.phase == Phase::Completing && g.leader.as_deref() == Some(member_id) {
            g.assignments = assignments;
            g.phase = Phase::Stable;
        }
        Ok(())
    }

    /// `member_id`'s assignment once the group is stable at `generation`.
    pub fn synced(
        &self,
        group_id: &str,
        member_id: &str,
        generation: i32,
    ) -> Option<Result<Bytes, i16>> {
        let Some(g) = self.groups.get(group_id) else {
            return Some(Err(ResponseError::UnknownMemberId.code()));
        };
        if let Err(code) = g.member_check(member_id, generation) {
            return Some(Err(code));
        }
        match g.phase {
            Phase::Stable => Some(Ok(g
                .assignments
                .get(member_id)
                .cloned()
                .unwrap_or_default())),
            Phase::Completing => None,
            Phase::Preparing | Phase::Empty => Some(Err(ResponseError::RebalanceInProgress.code())),
        }
    }

    /// A Heartbeat's error code.
    pub fn heartbeat(
        &mut self,
        group_id: &str,
        member_id: &str,
        generation: i32,
        now: Instant,
    ) -> i16 {
        let g = match self.known(group_id) {
            Ok(g) => g,
            Err(code) => return code,
        };
        if let Err(code) = g.member_check(member_id, generation) {
            return code;
        }
        if let Some(m) = g.members.get_mut(member_id) {
            m.last_seen = now;
        }
        match g.phase {
            Phase::Preparing => ResponseError::RebalanceInProgress.code(),
            _ => 0,
        }
    }

    /// A member leaves; the others rebalance.
    pub fn leave(&mut self, group_id: &str, member_id: &str, now: Instant) -> i16 {
        let g = match self.known(group_id) {
            Ok(g) => g,
            Err(code) => return code,
        };
        if g.members.remove(member_id).is_none() {
            return ResponseError::UnknownMemberId.code();
        }
        g.prepare(now);
        g.maybe_complete(now);
        0
    }

    /// Whether an OffsetCommit by `member_id` at `generation` may commit: a member of this
    /// generation (not while assignments are being handed out), or anyone (generation -1)
    /// to a group without members.
    pub fn may_commit(
        &mut self,
        group_id: &str,
        member_id: &str,
        generation: i32,
        now: Instant,
    ) -> Result<(), i16> {
        let g = self
            .groups
            .entry(group_id.to_owned())
            .or_insert_with(Group::new);
        if generation < 0 && member_id.is_empty() {
            return match g.phase {
                Phase::Empty => Ok(()),
                _ => Err(ResponseError::UnknownMemberId.code()),
            };
        }
        g.member_check(member_id, generation)?;
        if g.phase == Phase::Completing {
            return Err(ResponseError::RebalanceInProgress.code());
        }
        if let Some(m) = g.members.get_mut(member_id) {
            m.last_seen = now;
        }
        Ok(())
    }

    fn known(&mut self, group_id: &str) -> Result<&mut Group, i16> {
        self.groups
            .get_mut(group_id)
            .ok_or(ResponseError::UnknownMemberId.code())
    }
}

#[cfg(test)]
#[path = "group_coordinator_tests.rs"]
mod tests;
