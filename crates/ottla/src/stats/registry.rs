//! The counters of one client, one set per broker, found by node id.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use super::{BrokerCounters, BrokerStats};

#[derive(Debug, Default)]
pub(crate) struct StatsRegistry {
    brokers: Mutex<BTreeMap<i32, (String, Arc<BrokerCounters>)>>,
}

impl StatsRegistry {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<i32, (String, Arc<BrokerCounters>)>> {
        // Every update is one insert: a panic elsewhere cannot leave it half-done.
        self.brokers.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The counters of broker `node_id` at `address`, made on first use.
    pub fn broker(&self, node_id: i32, address: &str) -> Arc<BrokerCounters> {
        let mut brokers = self.lock();
        let entry = brokers
            .entry(node_id)
            .or_insert_with(|| (address.to_owned(), Arc::default()));
        Arc::clone(&entry.1)
    }

    /// A snapshot of every broker, by node id.
    pub fn snapshot(&self) -> Vec<BrokerStats> {
        self.lock()
            .iter()
            .map(|(id, (address, c))| c.snapshot(*id, address.clone()))
            .collect()
    }
}
