//! Outcomes: what a Produce response (or its failure) means for each batch it carried.

use ottla_protocol::error_code::ErrorCode;
use ottla_protocol::messages::ProduceResponse;
use tokio::time::Instant;

use super::accumulator::{Accumulator, Identity};
use super::batch::{add_sequence, Batch};
use super::config::ProducerConfig;
use super::delivery::BatchDelivered;
use crate::cluster::Backoff;
use crate::error::Error;
use ottla_protocol::messages::ApiKey;

/// What to do with one batch after an attempt.
#[derive(Debug, Clone)]
pub(crate) enum Verdict {
    /// Written.
    Delivered(BatchDelivered),
    /// Try again after a backoff.
    Retry(Error),
    /// Try again, after a new producer epoch restarts this partition's sequence numbers.
    RetryAfterBump(Error),
    /// Give up on this batch.
    Fail(Error),
    /// The producer is fenced: give up on everything.
    Fenced(Error),
}

/// What the sender should do after a request's outcomes were applied.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Followup {
    /// Leaders moved or a topic is unknown.
    pub refresh_metadata: bool,
    /// Buffer space was given back.
    pub released: bool,
}

/// The verdict for one partition's answer.
pub(crate) fn classify(
    code: ErrorCode,
    base_offset: i64,
    log_append_time: i64,
    message: Option<&str>,
    batch: &Batch,
    last_acked: i32,
    config: &ProducerConfig,
) -> Verdict {
    let error = || Error::Kafka {
        api: ApiKey::Produce,
        code,
        context: format!("{}-{}", batch.topic, batch.partition),
        message: message.map(str::to_owned),
    };
    let transactional = config.transactional_id.is_some();
    match code {
        ErrorCode::NONE => Verdict::Delivered(BatchDelivered {
            base_offset,
            log_append_time,
        }),
        // Written by an earlier attempt the broker no longer has the offset of.
        ErrorCode::DUPLICATE_SEQUENCE_NUMBER => Verdict::Delivered(BatchDelivered {
            base_offset: -1,
            log_append_time: -1,
        }),
        ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER if config.idempotence => {
            let expected = add_sequence(last_acked, 1);
            let is_next = batch.sequence.is_some_and(|s| s.base == expected);
            let overtaken = batch
                .sequence
                .is_some_and(|s| last_acked >= 0 && sequence_behind(s.base, expected));
            if overtaken {
                // A later batch was acknowledged first: this one can never follow it under
                // this epoch. A new epoch writes it (after the later one) instead of retrying
                // until delivery.timeout.ms.
                if transactional {
                    Verdict::Fail(error())
                } else {
                    Verdict::RetryAfterBump(error())
                }
            } else if !is_next {
                // An earlier batch of this partition failed and is being retried: this one
                // follows it.
                Verdict::Retry(error())
            } else if transactional {
                Verdict::Fail(error())
            } else {
                Verdict::RetryAfterBump(error())
            }
        }
        ErrorCode::UNKNOWN_PRODUCER_ID if !transactional => Verdict::RetryAfterBump(error()),
        ErrorCode::INVALID_PRODUCER_EPOCH | ErrorCode::PRODUCER_FENCED => {
            if transactional {
                Verdict::Fenced(Error::ProducerFenced {
                    transactional_id: config.transactional_id.clone(),
                    code,
                })
            } else {
                Verdict::RetryAfterBump(error())
            }
        }
        c if c.is_retriable() => Verdict::Retry(error()),
        _ => Verdict::Fail(error()),
    }
}

/// Whether sequence `base` comes before `expected` (sequences wrap from `i32::MAX` to 0; a
/// distance under 2^30 backwards counts as behind).
fn sequence_behind(base: i32, expected: i32) -> bool {
    let distance = (i64::from(expected) - i64::from(base)).rem_euclid(1 << 31);
    distance > 0 && distance < (1 << 30)
}

impl Accumulator {
    /// Applies the outcome of one Produce request (`Ok(None)` for `acks=0`).
    pub fn finish_request(
        &mut self,
        broker: i32,
        batches: Vec<Batch>,
        result: Result<Option<ProduceResponse>, Error>,
        now: Instant,
        config: &ProducerConfig,
    ) -> Followup {
        if let Some(n) = self.broker_in_flight.get_mut(&broker) {
            *n = n.saturating_sub(1);
        }
        let mut follow = Followup::default();
        for batch in batches {
            self.landed(&batch);
            let last_acked = self
                .queue_of(&batch.topic, batch.partition)
                .map_or(-1, |pq| pq.last_acked);
            let verdict = match &result {
                Err(e) if e.is_retriable() => {
                    follow.refresh_metadata = true;
                    Verdict::Retry(e.clone())
                }
                Err(e) => Verdict::Fail(e.clone()),
                Ok(None) => Verdict::Delivered(BatchDelivered {
                    base_offset: -1,
                    log_append_time: -1,
                }),
                Ok(Some(response)) => match find(response, &batch) {
                    Some((code, base, append_time, message)) => {
                        follow.refresh_metadata |= code.needs_metadata_refresh();
                        classify(
                            code,
                            base,
                            append_time,
                            message.as_deref(),
                            &batch,
                            last_acked,
                            config,
                        )
                    }
                    None => Verdict::Retry(Error::Kafka {
                        api: ApiKey::Produce,
                        code: ErrorCode::UNKNOWN_SERVER_ERROR,
                        context: format!("{}-{}", batch.topic, batch.partition),
                        message: Some("the response does not mention this partition".into()),
                    }),
                },
            };
            follow.released |= self.apply(batch, verdict, now, config);
        }
        follow
    }

    /// Counts a drained batch out of flight, before its verdict is applied.
    pub fn landed(&mut self, batch: &Batch) {
        if let Some(pq) = self.queue_of(&batch.topic, batch.partition) {
            pq.in_flight = pq.in_flight.saturating_sub(1);
        }
    }

    /// Applies one verdict to a batch not in flight; returns whether buffer space was
    /// released.
    pub fn apply(
        &mut self,
        mut batch: Batch,
        verdict: Verdict,
        now: Instant,
        config: &ProducerConfig,
    ) -> bool {
        let idempotent = config.idempotence;
        let verdict = match verdict {
            Verdict::Retry(e) | Verdict::RetryAfterBump(e)
                if batch.attempts > config.retries
                    || now >= batch.created + config.delivery_timeout =>
            {
                Verdict::Fail(if batch.attempts > config.retries {
                    e
                } else {
                    Error::DeliveryTimeout {
                        topic: batch.topic.to_string(),
                        partition: batch.partition,
                        timeout: config.delivery_timeout,
                        last_error: Some(Box::new(e)),
                    }
                })
            }
            v => v,
        };
        match verdict {
            Verdict::Delivered(d) => {
                if let (Some(last), Some(pq)) = (
                    batch.last_sequence(),
                    self.queue_of(&batch.topic, batch.partition),
                ) {
                    if batch.sequence.map(|s| s.epoch) == pq.epoch {
                        pq.last_acked = last;
                    }
                }
                self.tally.delivered(&batch);
                batch.complete(Ok(d));
                self.release(&batch);
                // Pooled buffers stay within half of buffer.memory.
                if let Some(buffer) = batch.into_buffer() {
                    self.pool.give(buffer, config.buffer_memory / 2);
                }
                true
            }
            Verdict::Retry(e) => {
                self.tally.retries += 1;
                self.retry_later(batch, e, false, now, config);
                false
            }
            Verdict::RetryAfterBump(e) => {
                self.tally.retries += 1;
                self.retry_later(batch, e, idempotent, now, config);
                false
            }
            Verdict::Fail(e) => {
                tracing::debug!(topic = %batch.topic, partition = batch.partition, error = %e, "batch failed");
                if idempotent && batch.sequence.is_some() {
                    // Its sequence numbers are a gap now.
                    if let Some(pq) = self.queue_of(&batch.topic, batch.partition) {
                        pq.reset_sequences = true;
                    }
                    if self.txn.is_none() {
                        self.bump_needed = true;
                    }
                }
                if let Some(txn) = &mut self.txn {
                    txn.abortable(e.clone());
                }
                self.tally.records_failed += batch.records as u64;
                batch.complete(Err(e));
                self.release(&batch);
                true
            }
            Verdict::Fenced(e) => {
                self.fatal = Some(e.clone());
                batch.complete(Err(e.clone()));
                self.release(&batch);
                for mut b in self.take_unsent() {
                    b.complete(Err(e.clone()));
                    self.release(&b);
                }
                true
            }
        }
    }

    fn retry_later(
        &mut self,
        mut batch: Batch,
        error: Error,
        bump: bool,
        now: Instant,
        config: &ProducerConfig,
    ) {
        let backoff = Backoff {
            base: config.retry_backoff,
            max: config.retry_backoff_max,
        };
        batch.retry_at = Some(now + backoff.delay(batch.attempts));
        tracing::debug!(topic = %batch.topic, partition = batch.partition,
            attempts = batch.attempts, error = %error, bump, "batch will be retried");
        batch.last_error = Some(error);
        if let Some(pq) = self.queue_of(&batch.topic, batch.partition) {
            pq.reset_sequences |= bump;
            pq.requeue(batch);
        }
        if bump {
            self.bump_needed = true;
        }
    }

    /// A new epoch (or producer id) arrived: partitions marked for it start their sequence
    /// numbers over, and their queued batches will be stamped again.
    pub fn apply_bump(&mut self, identity: Identity) {
        self.identity = Some(identity);
        self.bump_needed = false;
        for t in self.topics.values_mut() {
            for pq in &mut t.partitions {
                if pq.reset_sequences || pq.producer_id != Some(identity.producer_id) {
                    pq.reset_sequences = false;
                    pq.producer_id = Some(identity.producer_id);
                    pq.epoch = Some(identity.epoch);
                    pq.next_sequence = 0;
                    pq.last_acked = -1;
                    for b in &mut pq.queue {
                        b.sequence = None;
                    }
                }
            }
        }
    }
}

/// This batch's partition in the response: code, base offset, append time, message.
fn find(
    response: &ProduceResponse,
    batch: &Batch,
) -> Option<(ErrorCode, i64, i64, Option<String>)> {
    response
        .responses
        .iter()
        .filter(|t| t.name.0.as_str() == &*batch.topic)
        .flat_map(|t| t.partition_responses.iter())
        .find(|p| p.index == batch.partition)
        .map(|p| {
            (
                ErrorCode(p.error_code),
                p.base_offset,
                p.log_append_time_ms,
                p.error_message.as_ref().map(|m| m.to_string()),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::sequence_behind;

    #[test]
    fn sequences_behind_across_the_wrap() {
        assert!(sequence_behind(0, 500));
        assert!(sequence_behind(499, 500));
        assert!(!sequence_behind(500, 500));
        assert!(!sequence_behind(501, 500));
        // After the wrap from i32::MAX to 0, i32::MAX - 10 is behind 5.
        assert!(sequence_behind(i32::MAX - 10, 5));
        assert!(!sequence_behind(5, i32::MAX - 10));
    }
}
