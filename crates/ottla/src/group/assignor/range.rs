//! `range`: for each topic, the members subscribing to it take consecutive runs of its
//! partitions in member order, the first `partitions % members` of them one more.

use super::{empty_assignment, partitions_of, sorted, sorted_indices};
use super::{Assignment, Assignor, Member, PartitionCounts, RebalanceProtocol};

/// The range assignor (Java's `RangeAssignor`, librdkafka's `range`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Range;

impl Assignor for Range {
    fn name(&self) -> &'static str {
        "range"
    }

    fn protocol(&self) -> RebalanceProtocol {
        RebalanceProtocol::Eager
    }

    fn assign(&self, members: &[Member], partitions: &PartitionCounts) -> Assignment {
        let order = sorted_indices(members);
        let mut out = empty_assignment(members);
        for topic in partitions.keys() {
            let takers: Vec<&Member> = order
                .iter()
                .filter_map(|&i| members.get(i))
                .filter(|m| m.subscribes(topic))
                .collect();
            if takers.is_empty() {
                continue;
            }
            let all = partitions_of(topic, partitions);
            let per = all.len() / takers.len();
            let extra = all.len() % takers.len();
            for (i, member) in takers.iter().enumerate() {
                let start = per * i + i.min(extra);
                let len = per + usize::from(i < extra);
                let run = all.get(start..start + len).unwrap_or_default();
                out.entry(member.member_id.clone())
                    .or_default()
                    .extend_from_slice(run);
            }
        }
        sorted(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::group::assignor::{counts, tps};

    /// The example of Java's `RangeAssignor` documentation: two consumers, two topics of three
    /// partitions each.
    #[test]
    fn javas_documented_example() {
        let members = [
            Member::new("C1", ["t0", "t1"]),
            Member::new("C0", ["t0", "t1"]),
        ];
        let got = Range.assign(&members, &counts(&[("t0", 3), ("t1", 3)]));
        assert_eq!(
            got["C0"],
            tps(&[("t0", 0), ("t0", 1), ("t1", 0), ("t1", 1)])
        );
        assert_eq!(got["C1"], tps(&[("t0", 2), ("t1", 2)]));
    }

    #[test]
    fn only_subscribers_of_a_topic_share_it() {
        let members = [Member::new("a", ["t0"]), Member::new("b", ["t0", "t1"])];
        let got = Range.assign(&members, &counts(&[("t0", 2), ("t1", 3), ("other", 4)]));
        assert_eq!(got["a"], tps(&[("t0", 0)]));
        assert_eq!(got["b"], tps(&[("t0", 1), ("t1", 0), ("t1", 1), ("t1", 2)]));
    }

    #[test]
    fn more_members_than_partitions_leaves_the_last_ones_empty() {
        let members = [
            Member::new("a", ["t"]),
            Member::new("b", ["t"]),
            Member::new("c", ["t"]),
        ];
        let got = Range.assign(&members, &counts(&[("t", 2)]));
        assert_eq!(got["a"], tps(&[("t", 0)]));
        assert_eq!(got["b"], tps(&[("t", 1)]));
        assert!(got["c"].is_empty());
    }
}
