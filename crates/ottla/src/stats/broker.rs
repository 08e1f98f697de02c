//! Per-broker counters: one set per broker a client talks to, shared by all its connections
//! there (the general, produce and fetch connections).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A snapshot of what one client exchanged with one broker.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct BrokerStats {
    /// The node id (negative for a bootstrap server before its id was known).
    pub node_id: i32,
    /// `host:port`.
    pub address: String,
    /// Requests written to the broker.
    pub requests: u64,
    /// Responses received.
    pub responses: u64,
    /// Bytes written (request frames with their size prefix).
    pub bytes_sent: u64,
    /// Bytes of response frames received.
    pub bytes_received: u64,
    /// Sum of the round-trip times of answered requests, in microseconds (from the request
    /// reaching the connection task to its response being read).
    pub rtt_us_total: u64,
    /// The longest round trip, in microseconds.
    pub rtt_us_max: u64,
    /// Requests that timed out, and connections that failed or could not be opened.
    pub errors: u64,
    /// Throttle time the broker reported in responses (quotas), in ms.
    pub throttle_ms_total: u64,
    /// Responses that carried a throttle time above zero.
    pub throttled_responses: u64,
    /// Requests held back until the broker's throttle time had passed (KIP-219: a Kafka 2.0+
    /// broker answers a client over its quota at once and expects it to wait).
    pub throttle_holds: u64,
    /// Connections opened (after TLS, version negotiation and SASL).
    pub connects: u64,
}

impl BrokerStats {
    /// The mean round-trip time of answered requests.
    pub fn rtt_avg(&self) -> Option<Duration> {
        (self.responses > 0).then(|| Duration::from_micros(self.rtt_us_total / self.responses))
    }
}

/// The live counters behind [`BrokerStats`].
#[derive(Debug, Default)]
pub(crate) struct BrokerCounters {
    pub requests: AtomicU64,
    pub responses: AtomicU64,
    pub bytes_sent: AtomicU64,
    pub bytes_received: AtomicU64,
    pub rtt_us_total: AtomicU64,
    pub rtt_us_max: AtomicU64,
    pub errors: AtomicU64,
    pub throttle_ms_total: AtomicU64,
    pub throttled_responses: AtomicU64,
    pub throttle_holds: AtomicU64,
    pub connects: AtomicU64,
}

impl BrokerCounters {
    /// A request of `bytes` handed to the socket.
    pub fn sent(&self, bytes: usize) {
        super::add(&self.requests, 1);
        super::add(&self.bytes_sent, bytes as u64);
    }

    /// A response of `bytes` read, `rtt` after its request.
    pub fn received(&self, bytes: usize, rtt: Duration) {
        let us = u64::try_from(rtt.as_micros()).unwrap_or(u64::MAX);
        super::add(&self.responses, 1);
        super::add(&self.bytes_received, bytes as u64);
        super::add(&self.rtt_us_total, us);
        self.rtt_us_max.fetch_max(us, Ordering::Relaxed);
    }

    /// A throttle time from a response (zero is not counted).
    pub fn throttled(&self, throttle_ms: i32) {
        if throttle_ms > 0 {
            super::add(&self.throttle_ms_total, throttle_ms as u64);
            super::add(&self.throttled_responses, 1);
        }
    }

    pub fn snapshot(&self, node_id: i32, address: String) -> BrokerStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        BrokerStats {
            node_id,
            address,
            requests: get(&self.requests),
            responses: get(&self.responses),
            bytes_sent: get(&self.bytes_sent),
            bytes_received: get(&self.bytes_received),
            rtt_us_total: get(&self.rtt_us_total),
            rtt_us_max: get(&self.rtt_us_max),
            errors: get(&self.errors),
            throttle_ms_total: get(&self.throttle_ms_total),
            throttled_responses: get(&self.throttled_responses),
            throttle_holds: get(&self.throttle_holds),
            connects: get(&self.connects),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_round_trips_and_throttling() {
        let c = BrokerCounters::default();
        c.sent(100);
        c.sent(50);
        c.received(40, Duration::from_micros(300));
        c.received(60, Duration::from_micros(900));
        c.throttled(0);
        c.throttled(250);
        let s = c.snapshot(3, "h:9092".into());
        assert_eq!((s.requests, s.bytes_sent), (2, 150));
        assert_eq!((s.responses, s.bytes_received), (2, 100));
        assert_eq!((s.rtt_us_total, s.rtt_us_max), (1_200, 900));
        assert_eq!(s.rtt_avg(), Some(Duration::from_micros(600)));
        assert_eq!((s.throttle_ms_total, s.throttled_responses), (250, 1));
        assert_eq!(BrokerStats::default().rtt_avg(), None);
    }
}
