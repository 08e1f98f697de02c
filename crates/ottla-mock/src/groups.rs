//! Consumer groups' committed offsets, and the offsets transactions have sent
//! (TxnOffsetCommit) that wait for the transaction's end, as Kafka's group coordinator keeps
//! them: a commit makes them the group's offsets, an abort drops them.

use std::collections::BTreeMap;

/// One committed offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OffsetCommit {
    pub offset: i64,
    pub leader_epoch: i32,
    pub metadata: Option<String>,
}

/// An offset and when it was written, in the group coordinator's write order: of a pending and
/// a committed offset, the later write wins when the transaction commits (Kafka compares their
/// positions in `__consumer_offsets`).
#[derive(Debug, Clone)]
struct Written {
    commit: OffsetCommit,
    seq: u64,
}

type TopicPartition = (String, i32);

#[derive(Debug, Default)]
struct GroupOffsets {
    committed: BTreeMap<TopicPartition, Written>,
    /// Producer id → offsets its open transaction has sent.
    pending: BTreeMap<i64, BTreeMap<TopicPartition, Written>>,
}

/// Every group's offsets.
#[derive(Debug, Default)]
pub(crate) struct Groups {
    groups: BTreeMap<String, GroupOffsets>,
    writes: u64,
}

impl Groups {
    /// Holds an offset sent by `producer_id`'s transaction until it ends.
    pub fn stage(
        &mut self,
        group: &str,
        producer_id: i64,
        topic: &str,
        partition: i32,
        commit: OffsetCommit,
    ) {
        self.writes += 1;
        let seq = self.writes;
        self.groups
            .entry(group.to_owned())
            .or_default()
            .pending
            .entry(producer_id)
            .or_default()
            .insert((topic.to_owned(), partition), Written { commit, seq });
    }

    /// Ends `producer_id`'s transaction for `group`: on commit its offsets become the group's
    /// (unless a later write is already there), on abort they are dropped.
    pub fn complete(&mut self, group: &str, producer_id: i64, commit: bool) {
        let Some(g) = self.groups.get_mut(group) else {
            return;
        };
        let Some(pending) = g.pending.remove(&producer_id) else {
            return;
        };
        if !commit {
            return;
        }
        for (tp, written) in pending {
            if g.committed.get(&tp).is_none_or(|c| c.seq < written.seq) {
                g.committed.insert(tp, written);
            }
        }
    }

    /// Commits an offset outside any transaction (OffsetCommit).
    pub fn commit(&mut self, group: &str, topic: &str, partition: i32, commit: OffsetCommit) {
        self.writes += 1;
        let seq = self.writes;
        self.groups
            .entry(group.to_owned())
            .or_default()
            .committed
            .insert((topic.to_owned(), partition), Written { commit, seq });
    }

    /// Every partition the group has committed, by topic.
    pub fn committed_partitions(&self, group: &str) -> Vec<(String, Vec<i32>)> {
        let mut out: Vec<(String, Vec<i32>)> = Vec::new();
        for (topic, partition) in self
            .groups
            .get(group)
            .into_iter()
            .flat_map(|g| g.committed.keys())
        {
            match out.last_mut() {
                Some((t, ps)) if t == topic => ps.push(*partition),
                _ => out.push((topic.clone(), vec![*partition])),
            }
        }
        out
    }

    /// The group's committed offset for a partition.
    pub fn committed(&self, group: &str, topic: &str, partition: i32) -> Option<&OffsetCommit> {
        self.groups
            .get(group)?
            .committed
            .get(&(topic.to_owned(), partition))
            .map(|w| &w.commit)
    }

    /// Every group with offsets (committed or pending).
    pub fn group_ids(&self) -> impl Iterator<Item = &String> {
        self.groups.keys()
    }

    /// Whether `group` has offsets.
    pub fn contains(&self, group: &str) -> bool {
        self.groups.contains_key(group)
    }

    /// Forgets a group's offsets (DeleteGroups).
    pub fn remove(&mut self, group: &str) {
        self.groups.remove(group);
    }

    /// Offsets waiting for transactions to end, over all groups.
    pub fn pending_count(&self) -> usize {
        self.groups
            .values()
            .flat_map(|g| g.pending.values())
            .map(BTreeMap::len)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(offset: i64) -> OffsetCommit {
        OffsetCommit {
            offset,
            leader_epoch: -1,
            metadata: None,
        }
    }

    #[test]
    fn commit_publishes_and_abort_drops() {
        let mut g = Groups::default();
        g.stage("g", 1, "t", 0, at(5));
        g.stage("g", 2, "t", 1, at(7));
        assert_eq!(g.pending_count(), 2);
        assert_eq!(g.committed("g", "t", 0), None);
        g.complete("g", 1, true);
        assert_eq!(g.committed("g", "t", 0), Some(&at(5)));
        g.complete("g", 2, false);
        assert_eq!(g.committed("g", "t", 1), None);
        assert_eq!(g.pending_count(), 0);
        // Nothing pending: nothing changes.
        g.complete("g", 1, true);
        g.complete("nope", 1, true);
        assert_eq!(g.committed("g", "t", 0), Some(&at(5)));
    }

    #[test]
    fn the_later_write_wins() {
        let mut g = Groups::default();
        g.stage("g", 1, "t", 0, at(5));
        g.stage("g", 2, "t", 0, at(9));
        g.complete("g", 2, true);
        // Producer 1's offset was written before producer 2's: it does not replace it.
        g.complete("g", 1, true);
        assert_eq!(g.committed("g", "t", 0), Some(&at(9)));
        g.stage("g", 1, "t", 0, at(11));
        g.complete("g", 1, true);
        assert_eq!(g.committed("g", "t", 0), Some(&at(11)));
    }
}
