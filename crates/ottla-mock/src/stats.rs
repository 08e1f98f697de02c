//! Counters a test reads back: requests per API key and broker, connections per broker,
//! duplicate batches.

use std::collections::HashMap;

use crate::sasl::SaslStats;

/// Request and connection counts.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    /// (raw API key, node) → requests whose header decoded.
    requests: HashMap<(i16, i32), u64>,
    /// node → connections accepted.
    connections: HashMap<i32, u64>,
    /// SASL outcomes and principals.
    pub sasl: SaslStats,
    /// Produce batches answered as retries of stored ones.
    duplicate_batches: u64,
}

impl Stats {
    pub fn record_request(&mut self, api_key: i16, node: i32) {
        *self.requests.entry((api_key, node)).or_default() += 1;
    }

    pub fn record_connection(&mut self, node: i32) {
        *self.connections.entry(node).or_default() += 1;
    }

    pub fn record_duplicate(&mut self) {
        self.duplicate_batches += 1;
    }

    /// Produce batches recognised as duplicates.
    pub fn duplicates(&self) -> u64 {
        self.duplicate_batches
    }

    /// Requests of `api_key`, on `node` or on all brokers.
    pub fn requests(&self, api_key: i16, node: Option<i32>) -> u64 {
        self.requests
            .iter()
            .filter(|((k, n), _)| *k == api_key && node.is_none_or(|want| want == *n))
            .map(|(_, c)| c)
            .sum()
    }

    /// Connections accepted, by `node` or by all brokers.
    pub fn connections(&self, node: Option<i32>) -> u64 {
        self.connections
            .iter()
            .filter(|(n, _)| node.is_none_or(|want| want == **n))
            .map(|(_, c)| c)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_key_and_node() {
        let mut s = Stats::default();
        s.record_request(3, 1);
        s.record_request(3, 2);
        s.record_request(3, 2);
        s.record_request(0, 1);
        s.record_connection(2);
        s.record_duplicate();
        assert_eq!(s.duplicates(), 1);
        assert_eq!(s.requests(3, None), 3);
        assert_eq!(s.requests(3, Some(2)), 2);
        assert_eq!(s.requests(1, None), 0);
        assert_eq!(s.connections(None), 1);
        assert_eq!(s.connections(Some(1)), 0);
    }
}
