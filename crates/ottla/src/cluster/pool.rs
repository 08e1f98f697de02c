//! Connections pooled by node id, opened on demand, reopened with backoff after failures.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::time::Instant;

use super::Backoff;
use crate::connection::{BrokerConnection, ConnectParams};
use crate::error::Error;

/// Per-node connection state.
#[derive(Debug, Default)]
struct Slot {
    connection: Option<BrokerConnection>,
    failures: u32,
    next_attempt: Option<Instant>,
    /// Serialises connection attempts to one node (single flight).
    connecting: Arc<tokio::sync::Mutex<()>>,
}

/// The pool. Node ids of bootstrap servers are negative (-1, -2, …), as in the Java client.
#[derive(Debug)]
pub(crate) struct ConnectionPool {
    slots: Mutex<HashMap<i32, Slot>>,
    backoff: Backoff,
}

impl ConnectionPool {
    pub fn new(backoff: Backoff) -> Self {
        Self {
            slots: Mutex::new(HashMap::new()),
            backoff,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i32, Slot>> {
        // A panic while holding this lock cannot leave the map inconsistent: every update is a
        // single assignment. Recover the guard rather than propagate the poison.
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A live connection to `params.node_id` (or the bootstrap id `key`), opening one if needed
    /// once the backoff after earlier failures has passed.
    pub async fn get(&self, key: i32, params: &ConnectParams) -> Result<BrokerConnection, Error> {
        let connecting = {
            let mut slots = self.lock();
            let slot = slots.entry(key).or_default();
            if let Some(c) = &slot.connection {
                if !c.is_closed() {
                    return Ok(c.clone());
                }
            }
            Arc::clone(&slot.connecting)
        };
        let _turn = connecting.lock().await;
        let wait_until = {
            let mut slots = self.lock();
            let slot = slots.entry(key).or_default();
            if let Some(c) = &slot.connection {
                if !c.is_closed() {
                    return Ok(c.clone());
                }
            }
            slot.connection = None;
            slot.next_attempt
        };
        if let Some(t) = wait_until {
            tokio::time::sleep_until(t).await;
        }
        let result = BrokerConnection::open(params).await;
        let mut slots = self.lock();
        let slot = slots.entry(key).or_default();
        match &result {
            Ok(c) => {
                slot.connection = Some(c.clone());
                slot.failures = 0;
                slot.next_attempt = None;
            }
            Err(e) => {
                crate::stats::add(&params.stats.errors, 1);
                slot.failures = slot.failures.saturating_add(1);
                let delay = self.backoff.delay(slot.failures);
                slot.next_attempt = Some(Instant::now() + delay);
                tracing::debug!(broker = %params.label(), failures = slot.failures, ?delay, error = %e, "connect failed; backing off");
            }
        }
        result
    }

    /// The live connection to `key`, if there is one (no connecting).
    pub fn existing(&self, key: i32) -> Option<BrokerConnection> {
        self.lock()
            .get(&key)
            .and_then(|s| s.connection.clone())
            .filter(|c| !c.is_closed())
    }

    /// Consecutive failed attempts to reach `key`.
    pub fn failures(&self, key: i32) -> u32 {
        self.lock().get(&key).map_or(0, |s| s.failures)
    }
}
