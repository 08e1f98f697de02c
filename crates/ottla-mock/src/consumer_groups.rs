//! The coordinator side of KIP-848 consumer groups (ConsumerGroupHeartbeat), reduced to what a
//! client can observe, with the clock passed in:
//!
//! - **Join** (member epoch 0): the member (v1: under the id it chose; v0: under one the
//!   coordinator makes) joins with its subscription; the group's target assignment is
//!   computed again.
//! - **Target assignment**: every partition of the subscribed topics, topic by topic, in
//!   contiguous ranges over the members subscribed to it (sorted by id), as the `range`
//!   assignor does; `uniform` (the default) is served the same way. It is recomputed at every
//!   heartbeat; when it changes the group epoch goes up.
//! - **Reconciliation**: a member is told its target minus what other members still own (they
//!   revoke first); once it owns nothing outside its target its epoch becomes the group's.
//! - **Heartbeats** with another epoch than the member's (or its previous one) are
//!   FENCED_MEMBER_EPOCH; an unknown member is UNKNOWN_MEMBER_ID; a member not heard from
//!   for the session timeout is removed.
//! - **Leave** (epoch -1, or -2 for a static member): the member is removed.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use kafka_protocol::ResponseError;
use tokio::time::Instant;
use uuid::Uuid;

/// A partition, by topic id.
pub(crate) type Partition = (Uuid, i32);

/// Epoch of a heartbeat that leaves.
pub(crate) const LEAVE_EPOCH: i32 = -1;
/// Epoch of a static member's leave.
pub(crate) const STATIC_LEAVE_EPOCH: i32 = -2;

/// One member.
#[derive(Debug, Clone)]
pub(crate) struct Member {
    pub epoch: i32,
    previous_epoch: i32,
    pub instance_id: Option<String>,
    pub rack_id: Option<String>,
    pub client_id: String,
    pub subscribed: Vec<String>,
    /// What the coordinator wants it to own.
    pub target: BTreeSet<Partition>,
    /// What it last said it owns.
    pub owned: BTreeSet<Partition>,
    /// The assignment last sent to it.
    sent: Option<BTreeSet<Partition>>,
    last_seen: Instant,
}

/// One group.
#[derive(Debug, Clone, Default)]
pub(crate) struct Group {
    pub epoch: i32,
    pub members: BTreeMap<String, Member>,
}

impl Group {
    /// `Stable` when every member has reached the group's epoch, `Reconciling` before,
    /// `Empty` without members.
    pub fn state_name(&self) -> &'static str {
        if self.members.is_empty() {
            "Empty"
        } else if self.members.values().all(|m| m.epoch == self.epoch) {
            "Stable"
        } else {
            "Reconciling"
        }
    }

    /// What `member_id` may own now: its target minus what others still own.
    pub fn assignable(&self, member_id: &str) -> BTreeSet<Partition> {
        let Some(m) = self.members.get(member_id) else {
            return BTreeSet::new();
        };
        let held: BTreeSet<Partition> = self
            .members
            .iter()
            .filter(|(id, _)| id.as_str() != member_id)
            .flat_map(|(_, o)| o.owned.iter().copied())
            .collect();
        m.target.difference(&held).copied().collect()
    }

    /// Recomputes every member's target from the subscriptions and `topics` (name → id and
    /// partition count); the group epoch goes up when any target changed.
    fn assign(&mut self, topics: &BTreeMap<String, (Uuid, i32)>) {
        let mut targets: BTreeMap<String, BTreeSet<Partition>> = self
            .members
            .keys()
            .map(|id| (id.clone(), BTreeSet::new()))
            .collect();
        let subscribed: BTreeSet<&String> = self
            .members
            .values()
            .flat_map(|m| m.subscribed.iter())
            .collect();
        for topic in subscribed {
            let Some(&(id, count)) = topics.get(topic) else {
                continue;
            };
            let members: Vec<&String> = self
                .members
                .iter()
                .filter(|(_, m)| m.subscribed.contains(topic))
                .map(|(id, _)| id)
                .collect();
            let n = i32::try_from(members.len()).unwrap_or(i32::MAX).max(1);
            let (per, extra) = (count / n, count % n);
            let mut next = 0;
            for (i, member) in (0..).zip(members) {
                let take = per + i32::from(i < extra);
                if let Some(t) = targets.get_mut(member) {
                    t.extend((next..next + take).map(|p| (id, p)));
                }
                next += take;
            }
        }
        let mut changed = false;
        for (id, target) in targets {
            if let Some(m) = self.members.get_mut(&id) {
                if m.target != target {
                    m.target = target;
                    changed = true;
                }
            }
        }
        if changed {
            self.epoch += 1;
        }
    }
}

/// One ConsumerGroupHeartbeat, decoded.
#[derive(Debug, Clone)]
pub(crate) struct Heartbeat {
    pub member_id: String,
    pub member_epoch: i32,
    pub instance_id: Option<String>,
    pub rack_id: Option<String>,
    pub client_id: String,
    pub subscribed: Option<Vec<String>>,
    pub owned: Option<BTreeSet<Partition>>,
    /// The coordinator names new members (v0).
    pub coordinator_names_member: bool,
}

/// The answer to a heartbeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Answer {
    pub member_id: String,
    pub member_epoch: i32,
    /// The assignment, when it is new to the member.
    pub assignment: Option<BTreeSet<Partition>>,
}

/// Every KIP-848 group.
#[derive(Debug, Default)]
pub(crate) struct ConsumerGroups {
    groups: BTreeMap<String, Group>,
    next_member: u64,
}

impl ConsumerGroups {
    pub fn group(&self, group_id: &str) -> Option<&Group> {
        self.groups.get(group_id)
    }

    /// Whether `group_id` is a KIP-848 group with members.
    pub fn has_members(&self, group_id: &str) -> bool {
        self.groups
            .get(group_id)
            .is_some_and(|g| !g.members.is_empty())
    }

    /// Every KIP-848 group, by id.
    pub fn groups(&self) -> impl Iterator<Item = (&String, &Group)> {
        self.groups.iter()
    }

    /// Forgets a group (DeleteGroups; the caller checked it has no members).
    pub fn remove(&mut self, group_id: &str) {
        self.groups.remove(group_id);
    }

    /// Whether `member_id` of `group_id` may commit offsets at `epoch` (OffsetCommit with a
    /// member epoch): STALE_MEMBER_EPOCH for another epoch, UNKNOWN_MEMBER_ID for a stranger.
    pub fn may_commit(&self, group_id: &str, member_id: &str, epoch: i32) -> Result<(), i16> {
        let m = self
            .groups
            .get(group_id)
            .and_then(|g| g.members.get(member_id))
            .ok_or(ResponseError::UnknownMemberId.code())?;
        if epoch == m.epoch || epoch == m.previous_epoch {
            Ok(())
        } else {
            Err(ResponseError::StaleMemberEpoch.code())
        }
    }

    /// Handles one heartbeat of `group_id`. `topics`: name → (id, partition count).
    pub fn heartbeat(
        &mut self,
        group_id: &str,
        hb: Heartbeat,
        topics: &BTreeMap<String, (Uuid, i32)>,
        session_timeout: Duration,
        now: Instant,
    ) -> Result<Answer, i16> {
        self.next_member += 1;
        let fresh = format!("{}-{}", hb.client_id, self.next_member);
        let g = self.groups.entry(group_id.to_owned()).or_default();
        g.members
            .retain(|_, m| now.saturating_duration_since(m.last_seen) < session_timeout);
        match hb.member_epoch {
            0 => {
                let Some(subscribed) = hb.subscribed.clone() else {
                    return Err(ResponseError::InvalidRequest.code());
                };
                let member_id = if hb.member_id.is_empty() {
                    if !hb.coordinator_names_member {
                        return Err(ResponseError::InvalidRequest.code());
                    }
                    fresh
                } else {
                    hb.member_id.clone()
                };
                // A static member takes its instance's place.
                if let Some(instance) = &hb.instance_id {
                    g.members.retain(|id, m| {
                        *id == member_id || m.instance_id.as_ref() != Some(instance)
                    });
                }
                g.members.insert(
                    member_id.clone(),
                    Member {
                        epoch: 0,
                        previous_epoch: 0,
                        instance_id: hb.instance_id.clone(),
                        rack_id: hb.rack_id.clone(),
                        client_id: hb.client_id.clone(),
                        subscribed,
                        target: BTreeSet::new(),
                        owned: hb.owned.clone().unwrap_or_default(),
                        sent: None,
                        last_seen: now,
                    },
                );
                // A new member changes the target even when it gets nothing.
                g.epoch += 1;
                g.assign(topics);
                Ok(reconcile(g, &member_id))
            }
            LEAVE_EPOCH | STATIC_LEAVE_EPOCH => {
                if g.members.remove(&hb.member_id).is_none() {
                    return Err(ResponseError::UnknownMemberId.code());
                }
                g.epoch += 1;
                g.assign(topics);
                Ok(Answer {
                    member_id: hb.member_id,
                    member_epoch: hb.member_epoch,
                    assignment: None,
                })
            }
            epoch => {
                let m = g
                    .members
                    .get_mut(&hb.member_id)
                    .ok_or(ResponseError::UnknownMemberId.code())?;
                if epoch != m.epoch && epoch != m.previous_epoch {
                    return Err(ResponseError::FencedMemberEpoch.code());
                }
                m.last_seen = now;
                if let Some(owned) = hb.owned {
                    m.owned = owned;
                }
                if let Some(subscribed) = hb.subscribed {
                    m.subscribed = subscribed;
                }
                g.assign(topics);
                Ok(reconcile(g, &hb.member_id))
            }
        }
    }
}

/// Tells `member_id` what it may own now, and moves its epoch to the group's once it owns
/// nothing outside its target.
fn reconcile(g: &mut Group, member_id: &str) -> Answer {
    let assignable = g.assignable(member_id);
    let epoch = g.epoch;
    let Some(m) = g.members.get_mut(member_id) else {
        return Answer {
            member_id: member_id.to_owned(),
            member_epoch: 0,
            assignment: None,
        };
    };
    if m.owned.is_subset(&m.target) && m.epoch != epoch {
        m.previous_epoch = m.epoch;
        m.epoch = epoch;
    }
    let assignment = (m.sent.as_ref() != Some(&assignable)).then(|| assignable.clone());
    m.sent = Some(assignable);
    Answer {
        member_id: member_id.to_owned(),
        member_epoch: m.epoch,
        assignment,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hb(member: &str, epoch: i32, owned: &[i32], t: Uuid) -> Heartbeat {
        Heartbeat {
            member_id: member.to_owned(),
            member_epoch: epoch,
            instance_id: None,
            rack_id: None,
            client_id: "c".to_owned(),
            subscribed: Some(vec!["t".to_owned()]),
            owned: Some(owned.iter().map(|&p| (t, p)).collect()),
            coordinator_names_member: false,
        }
    }

    #[test]
    fn a_second_member_gets_partitions_once_the_first_revoked_them() {
        let t = Uuid::from_u128(7);
        let topics = BTreeMap::from([("t".to_owned(), (t, 4))]);
        let mut c = ConsumerGroups::default();
        let now = Instant::now();
        let session = Duration::from_secs(45);
        let a = c
            .heartbeat("g", hb("a", 0, &[], t), &topics, session, now)
            .unwrap();
        let all: BTreeSet<Partition> = (0..4).map(|p| (t, p)).collect();
        assert_eq!(a.assignment.as_ref(), Some(&all));
        let a_epoch = a.member_epoch;
        assert!(a_epoch > 0);
        // A owns everything; B joins: B gets nothing until A gives up 2 and 3.
        let a = c
            .heartbeat(
                "g",
                hb("a", a_epoch, &[0, 1, 2, 3], t),
                &topics,
                session,
                now,
            )
            .unwrap();
        assert_eq!(a.member_epoch, a_epoch);
        let b = c
            .heartbeat("g", hb("b", 0, &[], t), &topics, session, now)
            .unwrap();
        assert_eq!(b.assignment, Some(BTreeSet::new()));
        assert_eq!(c.group("g").unwrap().state_name(), "Reconciling");
        let a = c
            .heartbeat(
                "g",
                hb("a", a_epoch, &[0, 1, 2, 3], t),
                &topics,
                session,
                now,
            )
            .unwrap();
        assert_eq!(a.member_epoch, a_epoch, "not before it revoked");
        assert_eq!(a.assignment, Some([(t, 0), (t, 1)].into()));
        let a = c
            .heartbeat("g", hb("a", a_epoch, &[0, 1], t), &topics, session, now)
            .unwrap();
        assert!(a.member_epoch > a_epoch);
        let b = c
            .heartbeat("g", hb("b", b.member_epoch, &[], t), &topics, session, now)
            .unwrap();
        assert_eq!(b.assignment, Some([(t, 2), (t, 3)].into()));
        assert_eq!(c.may_commit("g", "b", b.member_epoch), Ok(()));
        assert_eq!(
            c.may_commit("g", "b", b.member_epoch + 5),
            Err(ResponseError::StaleMemberEpoch.code())
        );
        assert_eq!(
            c.heartbeat("g", hb("b", 999, &[], t), &topics, session, now),
            Err(ResponseError::FencedMemberEpoch.code())
        );
        // B leaves; A's target is everything again.
        let left = c
            .heartbeat("g", hb("b", LEAVE_EPOCH, &[], t), &topics, session, now)
            .unwrap();
        assert_eq!(left.member_epoch, LEAVE_EPOCH);
        let a = c
            .heartbeat(
                "g",
                hb("a", a.member_epoch, &[0, 1], t),
                &topics,
                session,
                now,
            )
            .unwrap();
        assert_eq!(a.assignment, Some(all));
        // Gone quiet past the session: removed.
        let later = now + session;
        assert_eq!(
            c.heartbeat(
                "g",
                hb("a", a.member_epoch, &[], t),
                &topics,
                session,
                later
            ),
            Err(ResponseError::UnknownMemberId.code())
        );
    }
}
