//! `cooperative-sticky` (KIP-429 on the sticky assignment of KIP-54): the assignment is as
//! balanced as the subscriptions allow, members keep as many of the partitions they own as
//! that balance permits, and a partition that changes hands is first only revoked: its new
//! owner gets it in the next rebalance, once the old owner has let it go, so no partition is
//! ever read by two members at once and partitions that stay keep flowing.
//!
//! Which claims count: only those of the highest generation among the members (an older
//! generation's claims are stale); a partition two members claim in that generation belongs
//! to neither (as the Java client decides).
//!
//! With equal subscriptions the result is exactly balanced (sizes differ by at most one) and
//! keeps the most owned partitions possible: the members owning the most get the larger
//! quotas. With unequal subscriptions, unowned partitions go to the least loaded member that
//! subscribes, then partitions move from a member to one with at least two fewer that could
//! take them, until no such move is left.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::{empty_assignment, partitions_of, sorted, sorted_indices};
use super::{Assignment, Assignor, Member, PartitionCounts, RebalanceProtocol};
use crate::group::TopicPartition;

/// The cooperative sticky assignor (Java's `CooperativeStickyAssignor`, librdkafka's
/// `cooperative-sticky`).
#[derive(Debug, Clone, Copy, Default)]
pub struct CooperativeSticky;

impl Assignor for CooperativeSticky {
    fn name(&self) -> &'static str {
        "cooperative-sticky"
    }

    fn protocol(&self) -> RebalanceProtocol {
        RebalanceProtocol::Cooperative
    }

    fn assign(&self, members: &[Member], partitions: &PartitionCounts) -> Assignment {
        let owners = current_owners(members, partitions);
        let target = sticky_assignment(members, partitions, &owners);
        hold_back_moving(members, &owners, target)
    }
}

/// Member index per partition for every claim that counts (see the module doc).
fn current_owners(members: &[Member], counts: &PartitionCounts) -> BTreeMap<TopicPartition, usize> {
    let newest = members.iter().map(|m| m.generation).max().unwrap_or(-1);
    let mut owners = BTreeMap::new();
    let mut disputed = BTreeSet::new();
    for (i, m) in members.iter().enumerate() {
        if m.generation != newest {
            continue;
        }
        for tp in &m.owned {
            let exists = counts
                .get(&tp.topic)
                .is_some_and(|&n| (0..n).contains(&tp.partition));
            if !exists || !m.subscribes(&tp.topic) || disputed.contains(tp) {
                continue;
            }
            if owners.insert(tp.clone(), i).is_some_and(|other| other != i) {
                owners.remove(tp);
                disputed.insert(tp.clone());
            }
        }
    }
    owners
}

/// The balanced, sticky assignment, by member index, before holding anything back.
fn sticky_assignment(
    members: &[Member],
    counts: &PartitionCounts,
    owners: &BTreeMap<TopicPartition, usize>,
) -> Vec<Vec<TopicPartition>> {
    let order = sorted_indices(members);
    let mut held: Vec<Vec<TopicPartition>> = vec![Vec::new(); members.len()];
    for (tp, &i) in owners {
        if let Some(list) = held.get_mut(i) {
            list.push(tp.clone());
        }
    }
    // The topics each member can take (subscribed and known), and all partitions of them.
    let eligible: Vec<BTreeSet<&Arc<str>>> = members
        .iter()
        .map(|m| {
            m.topics
                .iter()
                .filter(|t| counts.contains_key(*t))
                .collect()
        })
        .collect();
    let all: Vec<TopicPartition> = eligible
        .iter()
        .flatten()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .flat_map(|t| partitions_of(t, counts))
        .collect();
    if eligible.windows(2).all(|w| w[0] == w[1]) {
        assign_equal(&order, held, &all)
    } else {
        assign_general(&order, &eligible, held, &all)
    }
}

/// Every member subscribes to the same topics: quotas of ⌊P/M⌋ and ⌈P/M⌉, the larger ones
/// to the members that own the most.
fn assign_equal(
    order: &[usize],
    mut held: Vec<Vec<TopicPartition>>,
    all: &[TopicPartition],
) -> Vec<Vec<TopicPartition>> {
    let m = held.len();
    if m == 0 {
        return held;
    }
    let base = all.len() / m;
    let extra = all.len() % m;
    let mut by_owned = order.to_vec();
    // Stable: among equals, the Java order decides.
    by_owned.sort_by_key(|&i| std::cmp::Reverse(held.get(i).map_or(0, Vec::len)));
    let mut quota = vec![base; m];
    for &i in by_owned.iter().take(extra) {
        if let Some(q) = quota.get_mut(i) {
            *q += 1;
        }
    }
    for (list, &q) in held.iter_mut().zip(&quota) {
        list.truncate(q);
    }
    let taken: BTreeSet<&TopicPartition> = held.iter().flatten().collect();
    let mut free: Vec<TopicPartition> = all
        .iter()
        .filter(|tp| !taken.contains(tp))
        .cloned()
        .collect();
    free.reverse(); // popped from the back: lowest partitions first
    for &i in order {
        let (Some(list), Some(&q)) = (held.get_mut(i), quota.get(i)) else {
            continue;
        };
        while list.len() < q {
            match free.pop() {
                Some(tp) => list.push(tp),
                None => break,
            }
        }
    }
    held
}

/// Subscriptions differ: greedy placement, then moves that narrow the spread.
fn assign_general(
    order: &[usize],
    eligible: &[BTreeSet<&Arc<str>>],
    mut held: Vec<Vec<TopicPartition>>,
    all: &[TopicPartition],
) -> Vec<Vec<TopicPartition>> {
    let can_take =
        |i: usize, tp: &TopicPartition| eligible.get(i).is_some_and(|e| e.contains(&tp.topic));
    let taken: BTreeSet<TopicPartition> = held.iter().flatten().cloned().collect();
    // The partitions with the fewest possible takers go first.
    let mut free: Vec<(usize, &TopicPartition)> = all
        .iter()
        .filter(|tp| !taken.contains(*tp))
        .map(|tp| (order.iter().filter(|&&i| can_take(i, tp)).count(), tp))
        .collect();
    free.sort();
    for (_, tp) in free {
        let least = order
            .iter()
            .copied()
            .filter(|&i| can_take(i, tp))
            .min_by_key(|&i| held.get(i).map_or(usize::MAX, Vec::len));
        if let Some(list) = least.and_then(|i| held.get_mut(i)) {
            list.push(tp.clone());
        }
    }
    // Each move lowers the sum of squared sizes by at least 2, so this ends; the bound is a
    // guard, not the usual exit.
    let bound = all.len().saturating_mul(order.len()).saturating_add(1);
    for _ in 0..bound {
        if !move_one(order, &can_take, &mut held) {
            break;
        }
    }
    held
}

/// Moves one partition from the most loaded member that has one to give to a member with at
/// least two fewer that can take it. Returns whether it moved one.
fn move_one(
    order: &[usize],
    can_take: &impl Fn(usize, &TopicPartition) -> bool,
    held: &mut [Vec<TopicPartition>],
) -> bool {
    let size = |held: &[Vec<TopicPartition>], i: usize| held.get(i).map_or(0, Vec::len);
    let mut givers = order.to_vec();
    givers.sort_by_key(|&i| std::cmp::Reverse(size(held, i)));
    for giver in givers {
        let Some(list) = held.get(giver) else {
            continue;
        };
        // The giver's last partitions go first: the first ones are those it keeps longest.
        let found = list.iter().enumerate().rev().find_map(|(at, tp)| {
            order
                .iter()
                .copied()
                .filter(|&j| j != giver && can_take(j, tp) && size(held, j) + 1 < list.len())
                .min_by_key(|&j| size(held, j))
                .map(|j| (at, j))
        });
        if let Some((at, j)) = found {
            let tp = held.get_mut(giver).map(|l| l.remove(at));
            if let (Some(tp), Some(dest)) = (tp, held.get_mut(j)) {
                dest.push(tp);
                return true;
            }
        }
    }
    false
}

/// KIP-429: a partition goes to a member other than its owner only once no other member
/// claims it (stale and disputed claims included: those members may still be reading it);
/// until then it is left out, the old owner revokes it, and that brings the next rebalance.
/// The owner whose claim counts keeps its partitions whatever stale claims say.
fn hold_back_moving(
    members: &[Member],
    owners: &BTreeMap<TopicPartition, usize>,
    target: Vec<Vec<TopicPartition>>,
) -> Assignment {
    let mut claimers: BTreeMap<&TopicPartition, BTreeSet<usize>> = BTreeMap::new();
    for (i, m) in members.iter().enumerate() {
        for tp in &m.owned {
            claimers.entry(tp).or_default().insert(i);
        }
    }
    let mut out = empty_assignment(members);
    for (i, (m, new)) in members.iter().zip(target).enumerate() {
        let may_take = |tp: &TopicPartition| {
            owners.get(tp) == Some(&i) || claimers.get(tp).is_none_or(|c| c.iter().all(|&o| o == i))
        };
        let kept: Vec<TopicPartition> = new.into_iter().filter(|tp| may_take(tp)).collect();
        out.insert(m.member_id.clone(), kept);
    }
    sorted(out)
}

#[cfg(test)]
pub(super) fn target_for_tests(
    members: &[Member],
    counts: &PartitionCounts,
) -> Vec<Vec<TopicPartition>> {
    sticky_assignment(members, counts, &current_owners(members, counts))
}
