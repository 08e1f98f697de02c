//! Delivery reports: one shared outcome per batch, one small future per record.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use ottla_protocol::records::{decode_batches, DecodeLimits};

use super::record::{ProducerRecord, RecordMetadata};
use crate::error::Error;

/// Where a batch landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BatchDelivered {
    /// Offset of the batch's first record (-1 when unknown).
    pub base_offset: i64,
    /// Broker append time with LogAppendTime topics, else -1.
    pub log_append_time: i64,
}

/// The outcome of one batch, shared by the futures of all its records (as the Java client's
/// `ProduceRequestResult`): completing a batch of 10 000 records is one store and one wake
/// per waiting task, not 10 000 channel sends. It also holds the batch's topic and
/// partition, so a record's future carries neither (no reference count to touch per record).
#[derive(Debug)]
pub(crate) struct BatchOutcome {
    topic: Arc<str>,
    partition: i32,
    result: OnceLock<Result<BatchDelivered, Error>>,
    wakers: Mutex<Vec<Waker>>,
    /// The batch as encoded, kept from its first build until it is delivered: a failed
    /// batch's records are decoded from it to hand back (nothing is kept per record, so the
    /// send path pays nothing for this).
    encoded: Mutex<Encoded>,
}

/// A batch's records for handing back on failure.
#[derive(Debug, Default)]
enum Encoded {
    /// Not built yet, or delivered (nothing to hand back).
    #[default]
    None,
    /// The record batch bytes.
    Bytes(Bytes),
    /// Decoded on the first failed future's request; each taken once.
    Records(Vec<Option<ProducerRecord>>),
}

impl BatchOutcome {
    /// The outcome-to-be of a batch for `topic`-`partition`.
    pub fn new(topic: Arc<str>, partition: i32) -> Self {
        Self {
            topic,
            partition,
            result: OnceLock::new(),
            wakers: Mutex::new(Vec::new()),
            encoded: Mutex::new(Encoded::None),
        }
    }

    fn encoded(&self) -> std::sync::MutexGuard<'_, Encoded> {
        // Each update is one assignment.
        self.encoded.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Keeps the batch's encoded bytes (a reference, not a copy) until it is delivered.
    pub fn keep_encoded(&self, bytes: &Bytes) {
        *self.encoded() = Encoded::Bytes(bytes.clone());
    }

    /// Takes back record `index` of a failed batch, as it was queued (with the partition it
    /// was given and its timestamp).
    fn take_record(&self, index: u32) -> Option<ProducerRecord> {
        let mut encoded = self.encoded();
        if let Encoded::Bytes(bytes) = &*encoded {
            let records = decode_batches(bytes.clone(), &DecodeLimits::default())
                .map(|d| {
                    d.batches
                        .into_iter()
                        .flat_map(|b| b.records)
                        .map(|r| {
                            Some(ProducerRecord {
                                topic: Arc::clone(&self.topic),
                                partition: Some(self.partition),
                                key: r.key,
                                value: r.value,
                                headers: r.headers,
                                timestamp: Some(r.timestamp),
                            })
                        })
                        .collect()
                })
                .unwrap_or_default();
            *encoded = Encoded::Records(records);
        }
        match &mut *encoded {
            Encoded::Records(records) => records.get_mut(index as usize)?.take(),
            _ => None,
        }
    }

    /// Sets the outcome (the first call wins) and wakes every waiter. A delivered batch lets
    /// go of its encoded bytes (so its buffer can be reused).
    pub fn complete(&self, result: Result<BatchDelivered, Error>) {
        if result.is_ok() {
            *self.encoded() = Encoded::None;
        }
        if self.result.set(result).is_ok() {
            let wakers = std::mem::take(&mut *self.lock());
            for w in wakers {
                w.wake();
            }
        }
    }

    /// Whether the outcome is known.
    pub fn is_done(&self) -> bool {
        self.result.get().is_some()
    }

    /// Waits until the outcome is known.
    pub fn wait(self: &Arc<Self>) -> impl Future<Output = ()> + Send + 'static {
        let outcome = Arc::clone(self);
        std::future::poll_fn(move |cx| match outcome.poll_result(cx.waker()) {
            Some(_) => Poll::Ready(()),
            None => Poll::Pending,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Waker>> {
        // Pushing or taking a waker cannot leave the list inconsistent.
        self.wakers.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The outcome, or registers `waker` to be woken when it is known.
    fn poll_result(&self, waker: &Waker) -> Option<&Result<BatchDelivered, Error>> {
        if let Some(r) = self.result.get() {
            return Some(r);
        }
        let mut wakers = self.lock();
        // Completed while we took the lock: `complete` sets the result before it takes the
        // wakers, so checking again under the lock cannot miss it.
        if let Some(r) = self.result.get() {
            return Some(r);
        }
        if !wakers.iter().any(|w| w.will_wake(waker)) {
            wakers.push(waker.clone());
        }
        None
    }
}

/// A record that was not delivered (or not even queued), handed back with why: resend it,
/// park it, or log it. Converts into [`Error`] with `?`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{error}")]
pub struct DeliveryError {
    error: Error,
    record: Option<ProducerRecord>,
}

impl DeliveryError {
    pub(crate) fn new(error: Error, record: Option<ProducerRecord>) -> Self {
        Self { error, record }
    }

    /// Why the record was not delivered.
    pub fn error(&self) -> &Error {
        &self.error
    }

    /// The record as it was sent. `None` only when the same [`DeliveryFuture`] is polled
    /// again after it completed (the record went with the first answer).
    pub fn record(&self) -> Option<&ProducerRecord> {
        self.record.as_ref()
    }

    /// The record, taken back.
    pub fn into_record(self) -> Option<ProducerRecord> {
        self.record
    }

    /// The error and the record.
    pub fn into_parts(self) -> (Error, Option<ProducerRecord>) {
        (self.error, self.record)
    }
}

impl From<DeliveryError> for Error {
    fn from(e: DeliveryError) -> Self {
        e.error
    }
}

/// Resolves when the record is delivered (or has failed for good: then the record comes
/// back in the [`DeliveryError`]). Dropping it does not cancel the send; it drops the copy of
/// the record kept for a failure.
#[derive(Debug)]
#[must_use = "the record is sent either way; await this to learn where it landed"]
pub struct DeliveryFuture {
    pub(crate) outcome: Arc<BatchOutcome>,
    pub(crate) index: u32,
    pub(crate) timestamp: i64,
}

impl DeliveryFuture {
    /// The topic the record was queued for.
    pub fn topic(&self) -> &str {
        &self.outcome.topic
    }

    /// The partition the record was queued for.
    pub fn partition(&self) -> i32 {
        self.outcome.partition
    }

    /// Whether the outcome is known.
    pub fn is_done(&self) -> bool {
        self.outcome.is_done()
    }

    /// The outcome if it is known, without waiting (awaiting the future gives the same).
    pub fn try_result(&self) -> Option<Result<RecordMetadata, Error>> {
        self.outcome.result.get().map(|r| self.resolve(r))
    }

    fn resolve(&self, result: &Result<BatchDelivered, Error>) -> Result<RecordMetadata, Error> {
        match result {
            Ok(d) => Ok(self.metadata(d)),
            Err(e) => Err(e.clone()),
        }
    }

    fn metadata(&self, d: &BatchDelivered) -> RecordMetadata {
        RecordMetadata {
            topic: Arc::clone(&self.outcome.topic),
            partition: self.outcome.partition,
            offset: if d.base_offset >= 0 {
                d.base_offset + i64::from(self.index)
            } else {
                -1
            },
            timestamp: if d.log_append_time >= 0 {
                d.log_append_time
            } else {
                self.timestamp
            },
        }
    }
}

impl Future for DeliveryFuture {
    type Output = Result<RecordMetadata, DeliveryError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let answer = match this.outcome.poll_result(cx.waker()) {
            None => return Poll::Pending,
            Some(r) => this.resolve(r),
        };
        Poll::Ready(answer.map_err(|e| DeliveryError::new(e, this.outcome.take_record(this.index))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn future(outcome: &Arc<BatchOutcome>, index: u32) -> DeliveryFuture {
        DeliveryFuture {
            outcome: Arc::clone(outcome),
            index,
            timestamp: 77,
        }
    }

    fn outcome() -> Arc<BatchOutcome> {
        Arc::new(BatchOutcome::new(Arc::from("t"), 2))
    }

    #[tokio::test]
    async fn every_record_of_a_batch_gets_its_offset() {
        let outcome = outcome();
        let waiting: Vec<_> = (0..3).map(|i| tokio::spawn(future(&outcome, i))).collect();
        tokio::task::yield_now().await;
        outcome.complete(Ok(BatchDelivered {
            base_offset: 100,
            log_append_time: -1,
        }));
        outcome.complete(Err(Error::Closed)); // ignored: the first outcome wins
        for (i, w) in waiting.into_iter().enumerate() {
            let m = w.await.unwrap().unwrap();
            assert_eq!(
                (m.partition, m.offset, m.timestamp),
                (2, 100 + i as i64, 77)
            );
            assert_eq!(&*m.topic, "t");
        }
        let late = future(&outcome, 5).await.unwrap();
        assert_eq!(late.offset, 105);
        let peeked = future(&outcome, 6).try_result().unwrap().unwrap();
        assert_eq!(peeked.offset, 106);
        assert!(future(&Arc::new(BatchOutcome::new(Arc::from("t"), 2)), 0)
            .try_result()
            .is_none());
    }

    #[tokio::test]
    async fn failure_reaches_every_record_and_append_time_wins() {
        use ottla_protocol::compression::Compression;
        use ottla_protocol::records::{encode_batch, BatchOptions, Record};
        // The batch as the producer built it (lz4: the records come back decompressed).
        let records: Vec<Record> = (0..8)
            .map(|i| Record {
                key: Some(Bytes::from(format!("k{i}"))),
                value: Some(Bytes::from(format!("record {i}"))),
                headers: Vec::new(),
                timestamp: 1_000 + i,
            })
            .collect();
        let options = BatchOptions {
            compression: Compression::Lz4,
            ..BatchOptions::default()
        };
        let mut encoded = bytes::BytesMut::new();
        encode_batch(&records, &options, &mut encoded).unwrap();
        let failed = outcome();
        failed.keep_encoded(&encoded.freeze());
        failed.complete(Err(Error::Closed));
        // Each record comes back with the error.
        for i in 0..3 {
            let e = future(&failed, i).await.unwrap_err();
            assert!(matches!(e.error(), Error::Closed), "{e}");
            let record = e.into_record().expect("the record comes back");
            assert_eq!(
                record.value.as_deref(),
                Some(format!("record {i}").as_bytes())
            );
            assert_eq!(record.key.as_deref(), Some(format!("k{i}").as_bytes()));
            assert_eq!((&*record.topic, record.partition), ("t", Some(2)));
            assert_eq!(record.timestamp, Some(1_000 + i64::from(i)));
        }
        // A delivered batch keeps nothing.
        let delivered = outcome();
        delivered.keep_encoded(&Bytes::from_static(b"x"));
        delivered.complete(Ok(BatchDelivered {
            base_offset: 0,
            log_append_time: -1,
        }));
        assert!(matches!(*delivered.encoded(), Encoded::None));
        // Polled again after it answered: the error again, the record went with the first.
        let mut twice = future(&failed, 7);
        let first = (&mut twice).await.unwrap_err();
        assert!(first.record().is_some());
        let again = std::future::poll_fn(|cx| std::pin::Pin::new(&mut twice).poll(cx)).await;
        let again = again.unwrap_err();
        assert!(matches!(again.error(), Error::Closed) && again.record().is_none());
        let appended = outcome();
        appended.complete(Ok(BatchDelivered {
            base_offset: -1,
            log_append_time: 5_000,
        }));
        let m = future(&appended, 3).await.unwrap();
        assert_eq!((m.offset, m.timestamp), (-1, 5_000));
    }
}
