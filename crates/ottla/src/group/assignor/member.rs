//! What the leader knows of each member when it assigns.

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::sync::Arc;

use crate::group::TopicPartition;

/// One member of the group, as its JoinGroup subscription describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The member id the coordinator gave it.
    pub member_id: String,
    /// `group.instance.id` of a static member (KIP-345).
    pub group_instance_id: Option<String>,
    /// The topics it subscribes to.
    pub topics: BTreeSet<Arc<str>>,
    /// The partitions it owns now (cooperative protocol; empty under eager).
    pub owned: Vec<TopicPartition>,
    /// The generation in which it got `owned`; -1 when unknown.
    pub generation: i32,
    /// Its `client.rack`.
    pub rack: Option<String>,
}

impl Member {
    /// A dynamic member subscribing to `topics` and owning nothing.
    pub fn new<T: Into<Arc<str>>>(
        member_id: impl Into<String>,
        topics: impl IntoIterator<Item = T>,
    ) -> Self {
        Self {
            member_id: member_id.into(),
            group_instance_id: None,
            topics: topics.into_iter().map(Into::into).collect(),
            owned: Vec::new(),
            generation: -1,
            rack: None,
        }
    }

    /// The same member owning `owned` since `generation`.
    pub fn owning(mut self, owned: Vec<TopicPartition>, generation: i32) -> Self {
        self.owned = owned;
        self.generation = generation;
        self
    }

    /// The order the Java client's assignors deal to members in: static members first, by
    /// `group.instance.id`, then dynamic members by member id.
    pub fn java_order(&self, other: &Self) -> Ordering {
        match (&self.group_instance_id, &other.group_instance_id) {
            (Some(a), Some(b)) => a.cmp(b).then_with(|| self.member_id.cmp(&other.member_id)),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => self.member_id.cmp(&other.member_id),
        }
    }

    /// Whether it subscribes to `topic`.
    pub fn subscribes(&self, topic: &str) -> bool {
        self.topics.contains(topic)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_members_come_first_by_instance_id() {
        let mut a = Member::new("a", ["t"]);
        let mut z = Member::new("z", ["t"]);
        let d = Member::new("d", ["t"]);
        a.group_instance_id = Some("2".into());
        z.group_instance_id = Some("1".into());
        let mut all = [d.clone(), a.clone(), z.clone()];
        all.sort_by(Member::java_order);
        let ids: Vec<&str> = all.iter().map(|m| m.member_id.as_str()).collect();
        assert_eq!(ids, ["z", "a", "d"]);
    }
}
