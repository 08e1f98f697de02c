//! Partition assignors: pure functions from a group's members (what each subscribes to and
//! owns) and the partition counts of their topics to an assignment. The group leader runs one
//! when the group rebalances; which one is the first that every member lists
//! (`partition.assignment.strategy`).
//!
//! | file | assignor | rebalance protocol |
//! |---|---|---|
//! | `range.rs` | `range`: per topic, consecutive partitions to members in order | eager |
//! | `round_robin.rs` | `roundrobin`: all partitions dealt to members in turn | eager |
//! | `cooperative_sticky.rs` | `cooperative-sticky` (KIP-429): balanced, moves the fewest, and a moved partition is revoked before it is assigned again | cooperative |
//!
//! Each gives the assignment the Java client's assignor of the same name gives for the same
//! input (members ordered the Java way: static members by `group.instance.id` first, then the
//! others by member id); the rack-aware refinements of KIP-881 are not made.

mod cooperative_sticky;
mod member;
#[cfg(test)]
mod properties_tests;
mod range;
mod round_robin;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

pub use cooperative_sticky::CooperativeSticky;
pub use member::Member;
pub use range::Range;
pub use round_robin::RoundRobin;

use super::TopicPartition;

/// Partitions per member id. Every member of the input has an entry (maybe empty), its
/// partitions sorted.
pub type Assignment = BTreeMap<String, Vec<TopicPartition>>;

/// Partition counts per topic (topics without metadata are left out and get no assignment).
pub type PartitionCounts = BTreeMap<Arc<str>, i32>;

/// How members give up partitions in a rebalance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RebalanceProtocol {
    /// Every member revokes everything before the group rejoins.
    Eager,
    /// Members revoke only the partitions that move (KIP-429); the rest keep flowing.
    Cooperative,
}

/// A partition assignor (the leader's side of `partition.assignment.strategy`).
pub trait Assignor: fmt::Debug + Send + Sync {
    /// The protocol name members advertise in JoinGroup (`range`, `roundrobin`,
    /// `cooperative-sticky`).
    fn name(&self) -> &'static str;

    /// Eager or cooperative.
    fn protocol(&self) -> RebalanceProtocol;

    /// Assigns the partitions of the topics the members subscribe to.
    fn assign(&self, members: &[Member], partitions: &PartitionCounts) -> Assignment;
}

/// The assignor a `partition.assignment.strategy` entry names: librdkafka's names
/// (`range`, `roundrobin`, `cooperative-sticky`) or the Java client's class names.
pub fn by_name(name: &str) -> Option<Box<dyn Assignor>> {
    let short = name
        .trim()
        .strip_prefix("org.apache.kafka.clients.consumer.")
        .unwrap_or(name.trim());
    match short {
        "range" | "RangeAssignor" => Some(Box::new(Range)),
        "roundrobin" | "RoundRobinAssignor" => Some(Box::new(RoundRobin)),
        "cooperative-sticky" | "CooperativeStickyAssignor" => Some(Box::new(CooperativeSticky)),
        _ => None,
    }
}

/// Indices of `members` in the Java order (see [`Member::java_order`]).
fn sorted_indices(members: &[Member]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..members.len()).collect();
    order.sort_by(|&a, &b| members[a].java_order(&members[b]));
    order
}

/// An assignment with an empty entry for every member.
fn empty_assignment(members: &[Member]) -> Assignment {
    members
        .iter()
        .map(|m| (m.member_id.clone(), Vec::new()))
        .collect()
}

/// Sorts every member's partitions.
fn sorted(mut assignment: Assignment) -> Assignment {
    for partitions in assignment.values_mut() {
        partitions.sort();
    }
    assignment
}

/// The partitions of `topic` (none when it has no metadata).
fn partitions_of(topic: &Arc<str>, counts: &PartitionCounts) -> Vec<TopicPartition> {
    let n = counts.get(topic).copied().unwrap_or(0).max(0);
    (0..n)
        .map(|p| TopicPartition::new(Arc::clone(topic), p))
        .collect()
}

/// Partition counts from `(topic, count)` pairs (tests).
#[cfg(test)]
fn counts(topics: &[(&str, i32)]) -> PartitionCounts {
    topics.iter().map(|&(t, n)| (Arc::from(t), n)).collect()
}

/// Partitions from `(topic, partition)` pairs (tests).
#[cfg(test)]
fn tps(list: &[(&str, i32)]) -> Vec<TopicPartition> {
    list.iter()
        .map(|&(t, p)| TopicPartition::new(t, p))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_librdkafka_and_java_find_the_same_assignor() {
        for (short, java) in [
            ("range", "org.apache.kafka.clients.consumer.RangeAssignor"),
            (
                "roundrobin",
                "org.apache.kafka.clients.consumer.RoundRobinAssignor",
            ),
            (
                "cooperative-sticky",
                "org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
            ),
        ] {
            assert_eq!(by_name(short).map(|a| a.name()), Some(short));
            assert_eq!(by_name(java).map(|a| a.name()), Some(short));
        }
        assert!(by_name("sticky-ish").is_none());
        assert_eq!(
            by_name("cooperative-sticky").map(|a| a.protocol()),
            Some(RebalanceProtocol::Cooperative)
        );
        assert_eq!(
            by_name("range").map(|a| a.protocol()),
            Some(RebalanceProtocol::Eager)
        );
    }
}
