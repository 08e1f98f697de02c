//! Draining: which batches go now, to which broker, in which request. Pure: the sender task
//! calls this under the lock and does the I/O afterwards.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::time::Instant;

use super::accumulator::{Accumulator, PartitionQueue};
use super::batch::{add_sequence, Batch, Sequence};
use super::config::ProducerConfig;
use crate::cluster::ClusterMetadata;
use crate::error::Error;

/// The broker keeps the state of an idempotent producer's last 5 batches per partition, so
/// no more than 5 may be unacknowledged at once.
pub(crate) const MAX_IN_FLIGHT_PER_PARTITION: usize = 5;

/// Kafka's `socket.request.max.bytes` is 100 MiB; stay well below it.
pub(crate) const MAX_REQUEST_BYTES: usize = 64 * 1024 * 1024;

/// What one drain decided.
#[derive(Debug, Default)]
pub(crate) struct Drained {
    /// One request per broker: the batches it carries (one per partition).
    pub requests: Vec<(i32, Vec<Batch>)>,
    /// When a lingering batch or a retry backoff ends.
    pub next_wake: Option<Instant>,
    /// A partition has no known leader.
    pub need_metadata: bool,
    /// Brokers that lead a ready partition but have no produce connection yet.
    pub need_connection: Vec<i32>,
    /// Partitions to add to the transaction before their first batch goes.
    pub need_txn_add: Vec<(Arc<str>, i32)>,
}

fn earliest(a: Option<Instant>, b: Instant) -> Option<Instant> {
    Some(a.map_or(b, |a| a.min(b)))
}

impl Accumulator {
    /// Closes lingering batches whose time is up, fails batches past `delivery.timeout.ms`,
    /// and takes at most one batch per partition for each broker that has room.
    pub fn drain(
        &mut self,
        now: Instant,
        config: &ProducerConfig,
        metadata: Option<&ClusterMetadata>,
        connected: &dyn Fn(i32) -> bool,
    ) -> Drained {
        let mut out = Drained::default();
        let hurry = self.flushes > 0 || self.closing;
        let idempotent = config.idempotence;
        let identity = self.identity;
        let waiting_for_identity = idempotent && (identity.is_none() || self.bump_needed);
        let txn_ready = self.txn.as_ref().is_none_or(|t| t.can_drain());
        let mut planned: HashMap<i32, (Vec<Batch>, usize)> = HashMap::new();
        let mut expired: Vec<Batch> = Vec::new();
        let mut gap = false;
        for (topic, tq) in &mut self.topics {
            let leaders = metadata.and_then(|m| m.topics.get(&**topic));
            for (index, pq) in tq.partitions.iter_mut().enumerate() {
                let partition = index as i32;
                if let Some(open) = &pq.open {
                    let due = open.created + config.linger;
                    if hurry || now >= due {
                        pq.seal();
                    } else {
                        out.next_wake = earliest(out.next_wake, due);
                    }
                }
                // Batches past delivery.timeout.ms fail, oldest first.
                while let Some(front) = pq.queue.front() {
                    if now < front.created + config.delivery_timeout {
                        break;
                    }
                    if let Some(b) = pq.queue.pop_front() {
                        gap |= idempotent && b.sequence.is_some();
                        expired.push(b);
                    }
                }
                let Some(front) = pq.queue.front() else {
                    continue;
                };
                out.next_wake = earliest(out.next_wake, front.created + config.delivery_timeout);
                if let Some(at) = front.retry_at.filter(|at| *at > now) {
                    out.next_wake = earliest(out.next_wake, at);
                    continue;
                }
                if waiting_for_identity || !txn_ready {
                    continue;
                }
                if !may_send(pq, front, idempotent, identity.map(|i| i.epoch)) {
                    continue;
                }
                let leader = leaders
                    .and_then(|t| t.partitions.get(&partition))
                    .and_then(|p| p.leader);
                let Some(leader) = leader else {
                    out.need_metadata = true;
                    continue;
                };
                if self.txn.is_some() && !pq.in_txn {
                    if !pq.adding_to_txn {
                        pq.adding_to_txn = true;
                        out.need_txn_add.push((Arc::clone(topic), partition));
                    }
                    continue;
                }
                if !connected(leader) {
                    if !out.need_connection.contains(&leader) {
                        out.need_connection.push(leader);
                    }
                    continue;
                }
                let busy = self.broker_in_flight.get(&leader).copied().unwrap_or(0);
                let entry = planned.entry(leader).or_default();
                if entry.0.is_empty() && busy >= config.client.max_in_flight {
                    continue;
                }
                let size = front.size_in_bytes();
                if !entry.0.is_empty() && entry.1 + size > MAX_REQUEST_BYTES {
                    continue;
                }
                let Some(mut batch) = pq.queue.pop_front() else {
                    continue;
                };
                if idempotent && batch.sequence.is_none() {
                    if let Some(id) = identity {
                        if pq.epoch != Some(id.epoch) || pq.producer_id != Some(id.producer_id) {
                            // First batch of this partition under this epoch.
                            pq.epoch = Some(id.epoch);
                            pq.producer_id = Some(id.producer_id);
                            pq.next_sequence = 0;
                            pq.last_acked = -1;
                        }
                        batch.sequence = Some(Sequence {
                            producer_id: id.producer_id,
                            epoch: id.epoch,
                            base: pq.next_sequence,
                        });
                        pq.next_sequence = add_sequence(pq.next_sequence, batch.records);
                    }
                }
                batch.attempts += 1;
                batch.retry_at = None;
                pq.in_flight += 1;
                entry.1 += size;
                entry.0.push(batch);
            }
        }
        for (broker, (batches, _)) in planned {
            if batches.is_empty() {
                continue;
            }
            *self.broker_in_flight.entry(broker).or_default() += 1;
            out.requests.push((broker, batches));
        }
        for mut b in expired {
            let error = Error::DeliveryTimeout {
                topic: b.topic.to_string(),
                partition: b.partition,
                timeout: config.delivery_timeout,
                last_error: b.last_error.clone().map(Box::new),
            };
            b.complete(Err(error));
            self.release(&b);
        }
        if gap {
            // A batch that may or may not have been written is given up: later sequence
            // numbers of its partition can no longer line up. A new epoch starts them over.
            self.bump_needed = true;
        }
        out
    }
}

/// Whether the front batch of `pq` may go now.
fn may_send(pq: &PartitionQueue, front: &Batch, idempotent: bool, epoch: Option<i16>) -> bool {
    if !idempotent {
        return true;
    }
    if pq.in_flight >= MAX_IN_FLIGHT_PER_PARTITION {
        return false;
    }
    // A retry goes alone: the batches after it failed too (out of order) and follow it.
    if front.attempts > 0 && pq.in_flight > 0 {
        return false;
    }
    // Until the broker acknowledged a batch of this producer id and epoch here, one batch at a
    // time: a broker with no state for the producer accepts any sequence number, so a later
    // batch could be written while the first one fails (seen on Kafka 3.9 just after a topic
    // was created: NOT_LEADER_OR_FOLLOWER for the first batch, the second one appended).
    if pq.last_acked < 0 && pq.in_flight > 0 {
        return false;
    }
    // The first batch under a new epoch waits until the old epoch's batches are settled.
    let new_epoch = front.sequence.is_none() && pq.epoch.is_some() && pq.epoch != epoch;
    !(new_epoch && pq.in_flight > 0)
}
