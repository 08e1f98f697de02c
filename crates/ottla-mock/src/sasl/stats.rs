//! SASL counters a test reads back, and the principal of every open authenticated connection.

use std::collections::{BTreeMap, HashMap};

/// A SASL counter, for [`MockCluster::sasl_count`](crate::MockCluster::sasl_count).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SaslCounter {
    /// Successful first authentications of a connection.
    Authentications,
    /// Successful KIP-368 re-authentications on a live connection.
    Reauthentications,
    /// Failed authentications and re-authentications (each closed its connection).
    Failures,
    /// Connections closed because a request arrived after their session expired.
    ExpiredSessionCloses,
}

#[derive(Debug, Default)]
pub(crate) struct SaslStats {
    counts: HashMap<(SaslCounter, i32), u64>,
    next_connection: u64,
    /// connection id → (node, principal), while the connection is open and authenticated.
    principals: BTreeMap<u64, (i32, String)>,
}

impl SaslStats {
    pub fn record(&mut self, counter: SaslCounter, node: i32) {
        *self.counts.entry((counter, node)).or_default() += 1;
    }

    pub fn count(&self, counter: SaslCounter, node: Option<i32>) -> u64 {
        self.counts
            .iter()
            .filter(|((c, n), _)| *c == counter && node.is_none_or(|want| want == *n))
            .map(|(_, v)| v)
            .sum()
    }

    pub fn new_connection(&mut self) -> u64 {
        self.next_connection += 1;
        self.next_connection
    }

    pub fn set_principal(&mut self, connection: u64, node: i32, principal: &str) {
        self.principals
            .insert(connection, (node, principal.to_owned()));
    }

    pub fn connection_closed(&mut self, connection: u64) {
        self.principals.remove(&connection);
    }

    pub fn principals(&self) -> Vec<(i32, String)> {
        self.principals.values().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_principals() {
        let mut s = SaslStats::default();
        s.record(SaslCounter::Authentications, 1);
        s.record(SaslCounter::Authentications, 2);
        s.record(SaslCounter::Failures, 2);
        assert_eq!(s.count(SaslCounter::Authentications, None), 2);
        assert_eq!(s.count(SaslCounter::Authentications, Some(2)), 1);
        assert_eq!(s.count(SaslCounter::Reauthentications, None), 0);
        let (a, b) = (s.new_connection(), s.new_connection());
        s.set_principal(b, 2, "bob");
        s.set_principal(a, 1, "alice");
        assert_eq!(s.principals(), vec![(1, "alice".into()), (2, "bob".into())]);
        s.connection_closed(a);
        assert_eq!(s.principals(), vec![(2, "bob".into())]);
    }
}
