//! A group member's pause between failed tries: `retry.backoff.ms`, growing with each failure
//! in a row up to `retry.backoff.max.ms`, and back to the start after a success.

use std::time::Duration;

use tokio::time::Instant;

use crate::cluster::Backoff;

#[derive(Debug)]
pub(crate) struct Retry {
    backoff: Backoff,
    failures: u32,
    at: Option<Instant>,
}

impl Retry {
    pub fn new(backoff: Backoff) -> Self {
        Self {
            backoff,
            failures: 0,
            at: None,
        }
    }

    /// A try failed at `now`: the next waits.
    pub fn failed(&mut self, now: Instant) {
        self.failures = self.failures.saturating_add(1);
        self.at = Some(now + self.backoff.delay_with(self.failures, 1.0));
    }

    /// A try succeeded: the next failure waits the shortest time again.
    pub fn succeeded(&mut self) {
        self.failures = 0;
    }

    /// When the next try may go, if that is after `now`.
    pub fn wait_until(&self, now: Instant) -> Option<Instant> {
        self.at.filter(|&at| at > now)
    }
}

/// A duration in the milliseconds of a request field (`i32::MAX` at most).
pub(crate) fn millis(d: Duration) -> i32 {
    i32::try_from(d.as_millis()).unwrap_or(i32::MAX)
}
