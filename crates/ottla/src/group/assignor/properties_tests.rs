//! Properties every assignor keeps, over generated groups: every partition goes to exactly
//! one member that subscribes to its topic; equal subscriptions give a balanced assignment;
//! cooperative-sticky keeps the most owned partitions possible and never hands out a
//! partition another member still owns.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use proptest::prelude::*;

use super::cooperative_sticky::target_for_tests;
use super::*;

#[derive(Debug, Clone)]
struct Group {
    counts: PartitionCounts,
    members: Vec<Member>,
}

/// Groups of 1–7 members over 1–4 topics of 0–12 partitions; with `equal`, every member
/// subscribes to every topic. Members own a random valid previous assignment (generation 1);
/// some are static.
fn group(equal: bool) -> impl Strategy<Value = Group> {
    (1usize..=4, 1usize..=7)
        .prop_flat_map(|(topics, members)| {
            (
                prop::collection::vec(0i32..=12, topics),
                prop::collection::vec(prop::collection::vec(any::<bool>(), topics), members),
                prop::collection::vec(0usize..members * 2, 48),
                prop::collection::vec(prop::option::of(0u8..4), members),
            )
        })
        .prop_map(move |(sizes, subscriptions, owners, statics)| {
            let names: Vec<Arc<str>> = (0..sizes.len())
                .map(|t| Arc::from(format!("t{t}")))
                .collect();
            let counts: PartitionCounts = names.iter().cloned().zip(sizes).collect();
            let mut members: Vec<Member> = subscriptions
                .iter()
                .zip(&statics)
                .enumerate()
                .map(|(i, (subscribed, instance))| {
                    let mut topics: Vec<Arc<str>> = names
                        .iter()
                        .zip(subscribed)
                        .filter(|(_, &s)| equal || s)
                        .map(|(t, _)| Arc::clone(t))
                        .collect();
                    if topics.is_empty() {
                        topics.push(Arc::clone(&names[0]));
                    }
                    let mut m = Member::new(format!("member-{}", (i * 5) % 7), topics);
                    m.member_id.push_str(&format!("-{i}"));
                    m.group_instance_id = instance.map(|n| format!("instance-{n}-{i}"));
                    m.generation = 1;
                    m
                })
                .collect();
            let all: Vec<TopicPartition> = counts
                .iter()
                .flat_map(|(t, &n)| (0..n).map(move |p| TopicPartition::new(Arc::clone(t), p)))
                .collect();
            for (k, tp) in all.into_iter().enumerate() {
                let owner = owners[k % owners.len()];
                if let Some(m) = members.get_mut(owner) {
                    if m.subscribes(&tp.topic) {
                        m.owned.push(tp);
                    }
                }
            }
            Group { counts, members }
        })
}

/// Every partition of a topic some member subscribes to.
fn expected(g: &Group) -> BTreeSet<TopicPartition> {
    g.members
        .iter()
        .flat_map(|m| m.topics.iter())
        .filter_map(|t| g.counts.get(t).map(|&n| (t, n)))
        .flat_map(|(t, n)| (0..n).map(move |p| TopicPartition::new(Arc::clone(t), p)))
        .collect()
}

/// Each assigned partition once, to a subscriber; returns the set assigned.
fn assigned_once(g: &Group, a: &Assignment) -> Result<BTreeSet<TopicPartition>, TestCaseError> {
    let mut seen = BTreeSet::new();
    prop_assert_eq!(a.len(), g.members.len(), "one entry per member");
    for m in &g.members {
        for tp in &a[&m.member_id] {
            prop_assert!(
                m.subscribes(&tp.topic),
                "{} got {} without subscribing",
                m.member_id,
                tp
            );
            prop_assert!(seen.insert(tp.clone()), "{} assigned twice", tp);
        }
    }
    Ok(seen)
}

fn sizes(a: &Assignment) -> (usize, usize) {
    let min = a.values().map(Vec::len).min().unwrap_or(0);
    let max = a.values().map(Vec::len).max().unwrap_or(0);
    (min, max)
}

fn by_id(g: &Group, target: Vec<Vec<TopicPartition>>) -> Assignment {
    g.members
        .iter()
        .map(|m| m.member_id.clone())
        .zip(target)
        .collect()
}

proptest! {
    #[test]
    fn range_and_roundrobin_assign_every_partition_once(g in group(false)) {
        for assignor in [&Range as &dyn Assignor, &RoundRobin] {
            let a = assignor.assign(&g.members, &g.counts);
            prop_assert_eq!(assigned_once(&g, &a)?, expected(&g), "{}", assignor.name());
            // The input order of the members does not matter.
            let mut reversed = g.members.clone();
            reversed.reverse();
            prop_assert_eq!(assignor.assign(&reversed, &g.counts), a);
        }
    }

    #[test]
    fn equal_subscriptions_are_balanced(g in group(true)) {
        let rr = RoundRobin.assign(&g.members, &g.counts);
        let (min, max) = sizes(&rr);
        prop_assert!(max - min <= 1, "roundrobin {min}..{max}");
        let range = Range.assign(&g.members, &g.counts);
        for topic in g.counts.keys() {
            let per: Vec<usize> = range.values().map(|l| l.iter().filter(|tp| &tp.topic == topic).count()).collect();
            let (lo, hi) = (per.iter().min().copied().unwrap_or(0), per.iter().max().copied().unwrap_or(0));
            prop_assert!(hi - lo <= 1, "range on {topic}: {lo}..{hi}");
        }
        let target = by_id(&g, target_for_tests(&g.members, &g.counts));
        prop_assert_eq!(assigned_once(&g, &target)?, expected(&g));
        let (min, max) = sizes(&target);
        prop_assert!(max - min <= 1, "cooperative-sticky {min}..{max}");
    }

    /// With equal subscriptions the members keep as many owned partitions as a balanced
    /// assignment allows: the quotas ⌈P/M⌉ go to those that own the most.
    #[test]
    fn cooperative_sticky_moves_the_fewest(g in group(true)) {
        let target = target_for_tests(&g.members, &g.counts);
        let kept: usize = g.members.iter().zip(&target)
            .map(|(m, t)| m.owned.iter().filter(|tp| t.contains(tp)).count())
            .sum();
        let total = expected(&g).len();
        let n = g.members.len();
        let mut owned: Vec<usize> = g.members.iter().map(|m| m.owned.len()).collect();
        owned.sort_unstable_by(|a, b| b.cmp(a));
        let best: usize = owned.iter().enumerate()
            .map(|(rank, &o)| o.min(total / n + usize::from(rank < total % n)))
            .sum();
        prop_assert_eq!(kept, best);
    }

    /// Unequal subscriptions: no partition could move to a member that subscribes to its
    /// topic and holds two or more fewer.
    #[test]
    fn cooperative_sticky_leaves_no_narrowing_move(g in group(false)) {
        let target = target_for_tests(&g.members, &g.counts);
        prop_assert_eq!(assigned_once(&g, &by_id(&g, target.clone()))?, expected(&g));
        for (giver, held) in target.iter().enumerate() {
            for tp in held {
                for (taker, m) in g.members.iter().enumerate() {
                    let narrowing = taker != giver && m.subscribes(&tp.topic) && target[taker].len() + 1 < held.len();
                    prop_assert!(!narrowing, "{} could move from {} to {}", tp, g.members[giver].member_id, m.member_id);
                }
            }
        }
    }

    /// KIP-429: nothing another member owns is handed out; what is held back is exactly what
    /// moves; the following rounds (each member owning what it got) hand it out and settle:
    /// at once with equal subscriptions, within a few rounds otherwise.
    #[test]
    fn cooperative_sticky_revokes_before_it_moves(g in group(false), equal in group(true)) {
        for (g, rounds) in [(g, 4), (equal, 2)] {
            let mut g = g;
            let mut settled = false;
            for round in 1..=rounds {
                let a = CooperativeSticky.assign(&g.members, &g.counts);
                let given = held_back_only_what_moves(&g, &a)?;
                let kept_all = g.members.iter().all(|m| m.owned.iter().all(|tp| a[&m.member_id].contains(tp)));
                if round > 1 && given == expected(&g) && kept_all {
                    settled = true;
                    break;
                }
                g.members = g.members.iter()
                    .map(|m| m.clone().owning(a[&m.member_id].clone(), round + 1))
                    .collect();
            }
            prop_assert!(settled, "not settled after {} rounds", rounds);
        }
    }
}

/// Checks one cooperative round; returns what it handed out.
fn held_back_only_what_moves(
    g: &Group,
    a: &Assignment,
) -> Result<BTreeSet<TopicPartition>, TestCaseError> {
    let given = assigned_once(g, a)?;
    let mut claimers: BTreeMap<&TopicPartition, Vec<&str>> = BTreeMap::new();
    for m in &g.members {
        for tp in &m.owned {
            claimers.entry(tp).or_default().push(&m.member_id);
        }
    }
    for (id, list) in a {
        for tp in list {
            let others: Vec<&&str> = claimers
                .get(tp)
                .into_iter()
                .flatten()
                .filter(|c| **c != id)
                .collect();
            prop_assert!(
                others.is_empty(),
                "{} given to {} while {:?} own it",
                tp,
                id,
                others
            );
        }
    }
    for tp in expected(g).difference(&given) {
        let from = claimers.get(tp);
        prop_assert!(from.is_some(), "{} left out but nobody owns it", tp);
    }
    Ok(given)
}

#[test]
fn claims_of_an_older_generation_or_of_two_members_do_not_count() {
    let counts: PartitionCounts = [(Arc::from("t"), 4)].into_iter().collect();
    let tp = |p| TopicPartition::new("t", p);
    let members = [
        Member::new("a", ["t"]).owning(vec![tp(0), tp(1), tp(2)], 3),
        Member::new("b", ["t"]).owning(vec![tp(2), tp(3)], 3),
        Member::new("c", ["t"]).owning(vec![tp(0), tp(1), tp(3)], 2),
        // A claim on a partition that does not exist is ignored.
        Member::new("d", ["t"]).owning(vec![tp(9)], 3),
    ];
    let a = CooperativeSticky.assign(&members, &counts);
    // Quotas of one each. a keeps t-0 (t-2 was claimed twice in generation 3, so it is
    // nobody's), b keeps t-3, c's claims are stale. t-1 moves from a and t-2 from a and b:
    // both are held back until their claimants let go.
    assert_eq!(a["a"], vec![tp(0)]);
    assert_eq!(a["b"], vec![tp(3)]);
    assert!(a["c"].is_empty() && a["d"].is_empty(), "{a:?}");
}

#[test]
fn a_new_member_gets_partitions_only_after_they_are_revoked() {
    let counts: PartitionCounts = [(Arc::from("t"), 4)].into_iter().collect();
    let tp = |p| TopicPartition::new("t", p);
    let members = [
        Member::new("a", ["t"]).owning(vec![tp(0), tp(1), tp(2), tp(3)], 5),
        Member::new("b", ["t"]),
    ];
    let first = CooperativeSticky.assign(&members, &counts);
    assert_eq!(first["a"], vec![tp(0), tp(1)]);
    assert!(
        first["b"].is_empty(),
        "t-2 and t-3 are revoked from a first"
    );
    let members = [
        Member::new("a", ["t"]).owning(first["a"].clone(), 6),
        Member::new("b", ["t"]).owning(Vec::new(), 6),
    ];
    let second = CooperativeSticky.assign(&members, &counts);
    assert_eq!(second["a"], vec![tp(0), tp(1)]);
    assert_eq!(second["b"], vec![tp(2), tp(3)]);
}
