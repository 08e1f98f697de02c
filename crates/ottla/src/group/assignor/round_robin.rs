//! `roundrobin`: every subscribed partition, sorted by topic and partition, dealt to the
//! members in turn, skipping members that do not subscribe to its topic.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::{empty_assignment, partitions_of, sorted, sorted_indices};
use super::{Assignment, Assignor, Member, PartitionCounts, RebalanceProtocol};

/// The round-robin assignor (Java's `RoundRobinAssignor`, librdkafka's `roundrobin`).
#[derive(Debug, Clone, Copy, Default)]
pub struct RoundRobin;

impl Assignor for RoundRobin {
    fn name(&self) -> &'static str {
        "roundrobin"
    }

    fn protocol(&self) -> RebalanceProtocol {
        RebalanceProtocol::Eager
    }

    fn assign(&self, members: &[Member], partitions: &PartitionCounts) -> Assignment {
        let order: Vec<&Member> = sorted_indices(members)
            .into_iter()
            .filter_map(|i| members.get(i))
            .collect();
        let mut out = empty_assignment(members);
        let topics: BTreeSet<&Arc<str>> = members
            .iter()
            .flat_map(|m| m.topics.iter())
            .filter(|t| partitions.contains_key(*t))
            .collect();
        // The position in the member circle; it moves on past each member dealt to.
        let mut turn = 0usize;
        for topic in topics {
            for tp in partitions_of(topic, partitions) {
                // Some member subscribes to `topic` (it came from a subscription), so one lap
                // of the circle finds it.
                let taker = (0..order.len())
                    .map(|step| (turn + step) % order.len())
                    .find(|&i| order[i].subscribes(topic));
                if let Some(i) = taker {
                    out.entry(order[i].member_id.clone()).or_default().push(tp);
                    turn = i + 1;
                }
            }
        }
        sorted(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::group::assignor::{counts, tps};

    /// The examples of Java's `RoundRobinAssignor` documentation.
    #[test]
    fn javas_documented_examples() {
        let members = [
            Member::new("C0", ["t0", "t1"]),
            Member::new("C1", ["t0", "t1"]),
        ];
        let got = RoundRobin.assign(&members, &counts(&[("t0", 3), ("t1", 3)]));
        assert_eq!(got["C0"], tps(&[("t0", 0), ("t0", 2), ("t1", 1)]));
        assert_eq!(got["C1"], tps(&[("t0", 1), ("t1", 0), ("t1", 2)]));

        // C0 subscribes to t0; C1 to t0 and t1; C2 to t0, t1 and t2.
        let members = [
            Member::new("C2", ["t0", "t1", "t2"]),
            Member::new("C0", ["t0"]),
            Member::new("C1", ["t0", "t1"]),
        ];
        let got = RoundRobin.assign(&members, &counts(&[("t0", 1), ("t1", 2), ("t2", 3)]));
        assert_eq!(got["C0"], tps(&[("t0", 0)]));
        assert_eq!(got["C1"], tps(&[("t1", 0)]));
        assert_eq!(
            got["C2"],
            tps(&[("t1", 1), ("t2", 0), ("t2", 1), ("t2", 2)])
        );
    }
}
