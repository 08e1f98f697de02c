//! One batch of records for one partition, from its first record to its outcome.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use ottla_protocol::records::{stamp_producer, BatchBuilder, BatchOptions, RecordError};
use tokio::time::Instant;

use super::delivery::{BatchDelivered, BatchOutcome};
use crate::error::Error;

/// The producer id, epoch and first sequence number stamped on a batch (idempotence).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sequence {
    pub producer_id: i64,
    pub epoch: i16,
    pub base: i32,
}

/// A batch: open while records are appended, then queued, in flight, maybe queued again for a
/// retry, and finally completed.
#[derive(Debug)]
pub(crate) struct Batch {
    /// Unique within the producer, in creation order.
    pub id: u64,
    pub topic: Arc<str>,
    pub partition: i32,
    /// The records, until the batch is first built for sending.
    builder: Option<BatchBuilder>,
    /// The encoded batch, and the sequence it was stamped with.
    built: Option<(Bytes, Option<Sequence>)>,
    /// The records buffer a compressed batch was built from, kept for reuse.
    spent: Option<BytesMut>,
    pub records: usize,
    /// Bytes of `buffer.memory` this batch holds.
    pub bytes: usize,
    pub created: Instant,
    pub outcome: Arc<BatchOutcome>,
    /// Set when first drained by an idempotent producer; cleared by an epoch bump.
    pub sequence: Option<Sequence>,
    pub transactional: bool,
    /// Sends so far.
    pub attempts: u32,
    /// Not before this instant (retry backoff).
    pub retry_at: Option<Instant>,
    /// Why the last attempt failed.
    pub last_error: Option<Error>,
}

impl Batch {
    /// A batch building into `buffer` (see `pool.rs`) with room for `capacity` bytes.
    pub fn new(
        id: u64,
        topic: Arc<str>,
        partition: i32,
        buffer: BytesMut,
        capacity: usize,
        now: Instant,
    ) -> Self {
        Self {
            id,
            outcome: Arc::new(BatchOutcome::new(Arc::clone(&topic), partition)),
            topic,
            partition,
            builder: Some(BatchBuilder::with_buffer(buffer, capacity)),
            built: None,
            spent: None,
            records: 0,
            bytes: 0,
            created: now,
            sequence: None,
            transactional: false,
            attempts: 0,
            retry_at: None,
            last_error: None,
        }
    }

    /// The builder, while records can still be appended.
    pub fn builder_mut(&mut self) -> Option<&mut BatchBuilder> {
        self.builder.as_mut()
    }

    /// Uncompressed size of the batch so far.
    pub fn size_in_bytes(&self) -> usize {
        self.builder.as_ref().map_or(0, BatchBuilder::size_in_bytes)
    }

    /// The sequence number of the last record.
    pub fn last_sequence(&self) -> Option<i32> {
        let s = self.sequence?;
        Some(add_sequence(s.base, self.records.saturating_sub(1)))
    }

    /// The bytes to send: built on first use (compressing), stamped again when the producer
    /// epoch or sequence changed since (after an epoch bump).
    pub fn payload(&mut self, options: &BatchOptions) -> Result<Bytes, RecordError> {
        let mut options = options.clone();
        if let Some(s) = self.sequence {
            options.producer_id = s.producer_id;
            options.producer_epoch = s.epoch;
            options.base_sequence = s.base;
        }
        options.transactional = self.transactional;
        if let Some(builder) = self.builder.take() {
            let (bytes, spent) = builder.build_keeping_buffer(&options)?;
            self.outcome.keep_encoded(&bytes);
            self.built = Some((bytes.clone(), self.sequence));
            self.spent = spent;
            return Ok(bytes);
        }
        match &self.built {
            Some((bytes, stamped)) if *stamped == self.sequence => Ok(bytes.clone()),
            Some((bytes, _)) => {
                let mut restamped = BytesMut::from(&bytes[..]);
                stamp_producer(
                    &mut restamped,
                    options.producer_id,
                    options.producer_epoch,
                    options.base_sequence,
                    options.transactional,
                )?;
                let restamped = restamped.freeze();
                self.built = Some((restamped.clone(), self.sequence));
                Ok(restamped)
            }
            None => Err(RecordError::EmptyBatch),
        }
    }

    /// The batch's buffer for reuse once it is done: the records buffer of a compressed
    /// batch, else the batch's own bytes when nothing else holds them any more.
    pub fn into_buffer(self) -> Option<BytesMut> {
        if let Some(spent) = self.spent {
            return Some(spent);
        }
        self.built.and_then(|(bytes, _)| bytes.try_into_mut().ok())
    }

    /// Completes every record of the batch. A batch that fails before it was ever built is
    /// built now, so its records can be handed back.
    pub fn complete(&mut self, result: Result<BatchDelivered, Error>) {
        if result.is_err() && self.built.is_none() {
            if let Some(builder) = self.builder.take() {
                if let Ok((bytes, spent)) = builder.build_keeping_buffer(&BatchOptions::default()) {
                    self.outcome.keep_encoded(&bytes);
                    self.built = Some((bytes, self.sequence));
                    self.spent = spent;
                }
            }
        }
        self.outcome.complete(result);
    }
}

/// Sequence numbers wrap from `i32::MAX` to 0, as Kafka's do.
pub(crate) fn add_sequence(base: i32, n: usize) -> i32 {
    let n = (n % (i32::MAX as usize + 1)) as i64;
    ((i64::from(base) + n) % (i64::from(i32::MAX) + 1)) as i32
}

#[cfg(test)]
mod tests {
    use super::*;
    use ottla_protocol::records::{decode_batches, DecodeLimits};

    #[test]
    fn sequences_wrap_like_kafka() {
        assert_eq!(add_sequence(0, 5), 5);
        assert_eq!(add_sequence(i32::MAX, 1), 0);
        assert_eq!(add_sequence(i32::MAX - 1, 3), 1);
    }

    fn filled(buffer: BytesMut) -> Batch {
        let mut b = Batch::new(1, Arc::from("t"), 0, buffer, 1024, Instant::now());
        b.builder_mut()
            .unwrap()
            .append(1_000, None, Some(&[7; 100]), &[])
            .unwrap();
        b.records = 1;
        b
    }

    #[test]
    fn a_done_batch_gives_its_buffer_back() {
        // Uncompressed: the batch's own bytes, once nothing else holds them.
        let mut b = filled(BytesMut::with_capacity(4096));
        let sent = b.payload(&BatchOptions::default()).unwrap();
        let mut again = filled(BytesMut::with_capacity(8192));
        let _ = again.payload(&BatchOptions::default()).unwrap();
        // Until delivered, the outcome keeps the bytes (to hand records back on failure).
        let delivered = || {
            Ok(BatchDelivered {
                base_offset: 0,
                log_append_time: -1,
            })
        };
        again.complete(delivered());
        // The whole allocation comes back, not just the bytes the batch used.
        assert!(again
            .into_buffer()
            .is_some_and(|buf| buf.capacity() >= 8192));
        b.complete(delivered());
        assert!(b.into_buffer().is_none(), "a request still holds it");
        drop(sent);
        // Compressed: the records buffer it was compressed from.
        let lz4 = BatchOptions {
            compression: ottla_protocol::compression::Compression::Lz4,
            ..BatchOptions::default()
        };
        let mut c = filled(BytesMut::with_capacity(8192));
        let _wire = c.payload(&lz4).unwrap();
        c.complete(delivered());
        assert!(c.into_buffer().is_some_and(|buf| buf.capacity() >= 8192));
    }

    #[test]
    fn payload_is_restamped_after_a_new_sequence() {
        let mut b = Batch::new(1, Arc::from("t"), 0, BytesMut::new(), 1024, Instant::now());
        for i in 0..3u8 {
            b.builder_mut()
                .unwrap()
                .append(1_000, None, Some(&[i]), &[])
                .unwrap();
            b.records += 1;
        }
        b.sequence = Some(Sequence {
            producer_id: 7,
            epoch: 0,
            base: 10,
        });
        let first = b.payload(&BatchOptions::default()).unwrap();
        let again = b.payload(&BatchOptions::default()).unwrap();
        assert_eq!(first, again);
        assert_eq!(b.last_sequence(), Some(12));
        b.sequence = Some(Sequence {
            producer_id: 7,
            epoch: 1,
            base: 0,
        });
        let bumped = b.payload(&BatchOptions::default()).unwrap();
        let decoded = decode_batches(bumped, &DecodeLimits::default()).unwrap();
        let batch = &decoded.batches[0];
        assert_eq!(
            (batch.producer_id, batch.producer_epoch, batch.base_sequence),
            (7, 1, 0)
        );
        assert_eq!(batch.records.len(), 3);
    }
}
