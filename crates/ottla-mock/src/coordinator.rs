//! Which broker coordinates a consumer group or a transactional id.
//!
//! Kafka hashes the key onto a partition of `__consumer_offsets` or `__transaction_state`, and
//! that partition's leader is the coordinator. The mock hashes the key onto a broker instead:
//! the key's preferred broker coordinates it while it runs; when it is stopped, the next running
//! broker in node id order does (as if leadership of that partition moved), and the key returns
//! when the preferred broker starts again. Stopping another broker never moves it. A test may
//! move a key to another broker ([`MockCluster::move_group_coordinator`],
//! [`MockCluster::move_transaction_coordinator`]): it stays there while that broker runs.
//!
//! [`MockCluster::move_group_coordinator`]: crate::MockCluster::move_group_coordinator
//! [`MockCluster::move_transaction_coordinator`]: crate::MockCluster::move_transaction_coordinator

use crate::state::ClusterState;

/// The `key_type` of FindCoordinator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum CoordinatorKind {
    /// A consumer group (key type 0).
    Group,
    /// A transactional id (key type 1).
    Transaction,
}

impl CoordinatorKind {
    /// The kind with FindCoordinator key type `key_type`.
    pub fn from_key_type(key_type: i8) -> Option<Self> {
        match key_type {
            0 => Some(Self::Group),
            1 => Some(Self::Transaction),
            _ => None,
        }
    }

    fn tag(self) -> u8 {
        match self {
            Self::Group => b'g',
            Self::Transaction => b't',
        }
    }
}

/// The running broker that coordinates `key`, or `None` if no broker runs.
pub(crate) fn coordinator(state: &ClusterState, kind: CoordinatorKind, key: &str) -> Option<i32> {
    if let Some(&node) = state
        .coordinator_moves
        .get(&(kind, key.to_owned()))
        .filter(|&&n| state.is_running(n))
    {
        return Some(node);
    }
    let nodes: Vec<(i32, bool)> = state
        .brokers
        .iter()
        .map(|(&id, b)| (id, b.running))
        .collect();
    let n = u64::try_from(nodes.len()).ok().filter(|&n| n > 0)?;
    let start = usize::try_from(fnv1a(kind.tag(), key.as_bytes()) % n).ok()?;
    nodes
        .iter()
        .cycle()
        .skip(start)
        .take(nodes.len())
        .find(|(_, running)| *running)
        .map(|(id, _)| *id)
}

/// Whether `node` coordinates `key`.
pub(crate) fn is_coordinator(
    state: &ClusterState,
    node: i32,
    kind: CoordinatorKind,
    key: &str,
) -> bool {
    coordinator(state, kind, key) == Some(node)
}

/// FNV-1a (64-bit) of a tag byte and the key: stable across runs and platforms.
fn fnv1a(tag: u8, bytes: &[u8]) -> u64 {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0100_0000_01b3;
    std::iter::once(&tag)
        .chain(bytes)
        .fold(OFFSET_BASIS, |h, &b| (h ^ u64::from(b)).wrapping_mul(PRIME))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::tests::cluster;

    #[test]
    fn stable_spread_and_failover() {
        let mut c = cluster(3);
        let keys: Vec<String> = (0..30).map(|i| format!("key-{i}")).collect();
        let homes: Vec<i32> = keys
            .iter()
            .map(|k| coordinator(&c, CoordinatorKind::Transaction, k).unwrap())
            .collect();
        // Every broker coordinates something.
        for node in 1..=3 {
            assert!(homes.contains(&node), "{homes:?}");
        }
        let key = keys.first().unwrap();
        let home = coordinator(&c, CoordinatorKind::Group, key).unwrap();
        assert!(is_coordinator(&c, home, CoordinatorKind::Group, key));
        // Stopping another broker does not move it; stopping its own does, and it comes back.
        let other = (1..=3).find(|&n| n != home).unwrap();
        c.broker_stopped(other);
        assert_eq!(coordinator(&c, CoordinatorKind::Group, key), Some(home));
        c.broker_stopped(home);
        let moved = coordinator(&c, CoordinatorKind::Group, key).unwrap();
        assert!(moved != home && moved != other);
        c.broker_started(home);
        c.broker_started(other);
        assert_eq!(coordinator(&c, CoordinatorKind::Group, key), Some(home));
        for node in 1..=3 {
            c.broker_stopped(node);
        }
        assert_eq!(coordinator(&c, CoordinatorKind::Group, key), None);
        assert_eq!(
            CoordinatorKind::from_key_type(1),
            Some(CoordinatorKind::Transaction)
        );
        assert_eq!(CoordinatorKind::from_key_type(2), None);
        // Published FNV-1a 64 vectors: "a" and "foobar".
        assert_eq!(fnv1a(b'a', b""), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b'f', b"oobar"), 0x8594_4171_f739_67e8);
    }
}
