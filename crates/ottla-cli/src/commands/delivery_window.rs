//! A bounded window of delivery futures, settled in the order their records were sent.
//!
//! Holding every future until the end would grow with the input (a future per record);
//! the window settles the finished ones at its front after each send and waits for the
//! oldest when it holds more than its limit, so memory stays bounded and every record's
//! outcome is still looked at: none is dropped unseen.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;

use ottla::producer::{DeliveryFuture, RecordMetadata};

/// One record's outcome as the window hands it to its observer.
pub type Outcome = Result<RecordMetadata, ottla::Error>;

/// A record's delivery as the window needs it: a future that can say it is finished.
pub trait Pending: Future<Output = Result<RecordMetadata, Self::Failure>> + Unpin {
    /// What a failure is (ottla hands the record back with it; the window needs the error).
    type Failure: Into<ottla::Error>;
    /// The outcome if it is known (awaiting would return it at once).
    fn try_result(&self) -> Option<Outcome>;
    /// The partition the record was queued for.
    fn partition(&self) -> i32;
}

impl Pending for DeliveryFuture {
    type Failure = ottla::producer::DeliveryError;
    fn try_result(&self) -> Option<Outcome> {
        DeliveryFuture::try_result(self)
    }

    fn partition(&self) -> i32 {
        DeliveryFuture::partition(self)
    }
}

/// Records sent and not yet settled, oldest first.
#[derive(Debug)]
pub struct DeliveryWindow<F = DeliveryFuture> {
    pending: VecDeque<F>,
    limit: usize,
    delivered: u64,
    failed: u64,
    first_error: Option<ottla::Error>,
}

/// Some records were not delivered.
#[derive(Debug)]
pub struct DeliveryFailed {
    /// Records not delivered.
    pub failed: u64,
    /// Records settled in all.
    pub total: u64,
    /// The first failure (boxed: `ottla::Error` is large).
    pub first: Box<ottla::Error>,
}

impl fmt::Display for DeliveryFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} of {} record(s) not delivered; first error: {}",
            self.failed, self.total, self.first
        )
    }
}

impl std::error::Error for DeliveryFailed {}

impl<F: Pending> DeliveryWindow<F> {
    /// A window that holds at most `limit` unsettled records (at least one).
    pub fn new(limit: usize) -> Self {
        Self {
            pending: VecDeque::new(),
            limit: limit.max(1),
            delivered: 0,
            failed: 0,
            first_error: None,
        }
    }

    /// Adds the future of a record just sent, then settles what is finished at the front
    /// (and waits for the oldest while the window is over its limit). `observe` sees each
    /// settled record's partition and outcome, in send order.
    ///
    /// The adding and settling happen before the returned future is first polled; the future
    /// only holds the waiting, so the common case (no wait) moves little.
    pub fn push<'a, O: FnMut(i32, &Outcome)>(
        &'a mut self,
        delivery: F,
        observe: &'a mut O,
    ) -> impl Future<Output = ()> + 'a {
        self.pending.push_back(delivery);
        self.settle_finished(observe);
        async move {
            while self.pending.len() > self.limit {
                let Some(oldest) = self.pending.pop_front() else {
                    break;
                };
                self.settle(oldest, observe).await;
            }
        }
    }

    /// Waits for every record still in the window (call after `Producer::flush`).
    pub async fn drain(&mut self, observe: &mut impl FnMut(i32, &Outcome)) {
        while let Some(oldest) = self.pending.pop_front() {
            self.settle(oldest, observe).await;
        }
    }

    /// Settles the finished records at the front, without waiting.
    fn settle_finished(&mut self, observe: &mut impl FnMut(i32, &Outcome)) {
        while let Some(front) = self.pending.front() {
            let Some(outcome) = front.try_result() else {
                break;
            };
            let partition = front.partition();
            self.pending.pop_front();
            self.record(partition, outcome, observe);
        }
    }

    async fn settle(&mut self, delivery: F, observe: &mut impl FnMut(i32, &Outcome)) {
        let partition = delivery.partition();
        let outcome = delivery.await.map_err(Into::into);
        self.record(partition, outcome, observe);
    }

    fn record(
        &mut self,
        partition: i32,
        outcome: Outcome,
        observe: &mut impl FnMut(i32, &Outcome),
    ) {
        observe(partition, &outcome);
        match outcome {
            Ok(_) => self.delivered += 1,
            Err(e) => {
                self.failed += 1;
                self.first_error.get_or_insert(e);
            }
        }
    }

    /// Records not settled yet.
    #[cfg(test)]
    pub fn unsettled(&self) -> usize {
        self.pending.len()
    }

    /// `Ok(delivered)` when every settled record was delivered, else what failed.
    pub fn result(&self) -> Result<u64, DeliveryFailed> {
        match &self.first_error {
            None => Ok(self.delivered),
            Some(first) => Err(DeliveryFailed {
                failed: self.failed,
                total: self.delivered + self.failed,
                first: Box::new(first.clone()),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::pin::Pin;
    use std::sync::{Arc, Mutex};
    use std::task::{Context, Poll, Waker};

    use super::*;

    type Slot = Arc<Mutex<(Option<Outcome>, Option<Waker>)>>;

    /// A delivery the test completes by hand.
    struct Manual {
        slot: Slot,
        partition: i32,
    }

    fn manual(partition: i32) -> (Manual, Slot) {
        let slot = Slot::default();
        (
            Manual {
                slot: Arc::clone(&slot),
                partition,
            },
            slot,
        )
    }

    fn complete(slot: &Slot, outcome: Outcome) {
        let mut s = slot.lock().unwrap();
        s.0 = Some(outcome);
        if let Some(w) = s.1.take() {
            w.wake();
        }
    }

    fn landed(partition: i32, offset: i64) -> Outcome {
        Ok(RecordMetadata {
            topic: Arc::from("t"),
            partition,
            offset,
            timestamp: 0,
        })
    }

    impl Future for Manual {
        type Output = Outcome;
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Outcome> {
            let mut s = self.slot.lock().unwrap();
            match s.0.take() {
                Some(o) => Poll::Ready(o),
                None => {
                    s.1 = Some(cx.waker().clone());
                    Poll::Pending
                }
            }
        }
    }

    impl Pending for Manual {
        type Failure = ottla::Error;
        fn try_result(&self) -> Option<Outcome> {
            self.slot.lock().unwrap().0.clone()
        }
        fn partition(&self) -> i32 {
            self.partition
        }
    }

    #[tokio::test]
    async fn settles_in_send_order_only() {
        let mut window = DeliveryWindow::new(10);
        let mut seen = Vec::new();
        let (a, slot_a) = manual(0);
        let (b, slot_b) = manual(1);
        window.push(a, &mut |p, _| seen.push(p)).await;
        // The second finishes first: it waits behind the first.
        complete(&slot_b, landed(1, 7));
        window.push(b, &mut |p, _| seen.push(p)).await;
        assert!(seen.is_empty());
        assert_eq!(window.unsettled(), 2);
        complete(&slot_a, landed(0, 3));
        let (c, slot_c) = manual(2);
        complete(&slot_c, landed(2, 9));
        window.push(c, &mut |p, _| seen.push(p)).await;
        assert_eq!(seen, [0, 1, 2]);
        assert_eq!(window.unsettled(), 0);
        assert_eq!(window.result().unwrap(), 3);
    }

    #[tokio::test]
    async fn over_the_limit_waits_for_the_oldest() {
        let mut window = DeliveryWindow::new(2);
        let mut slots = Vec::new();
        for p in 0..2 {
            let (d, slot) = manual(p);
            window.push(d, &mut |_, _| {}).await;
            slots.push(slot);
        }
        let first = Arc::clone(&slots[0]);
        let finisher = tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            complete(&first, landed(0, 0));
        });
        let (third, _slot) = manual(2);
        let mut seen = Vec::new();
        window.push(third, &mut |p, _| seen.push(p)).await;
        finisher.await.unwrap();
        assert_eq!(seen, [0], "the oldest is awaited to make room");
        assert_eq!(window.unsettled(), 2);
    }

    #[tokio::test]
    async fn failures_are_counted_and_the_first_kept() {
        let mut window = DeliveryWindow::new(8);
        let outcomes = [
            landed(0, 1),
            Err(ottla::Error::Closed),
            landed(0, 2),
            Err(ottla::Error::UnknownBroker(4)),
        ];
        for o in outcomes {
            let (d, slot) = manual(0);
            complete(&slot, o);
            window.push(d, &mut |_, _| {}).await;
        }
        window.drain(&mut |_, _| {}).await;
        let failed = window.result().unwrap_err();
        assert_eq!((failed.failed, failed.total), (2, 4));
        assert!(matches!(*failed.first, ottla::Error::Closed));
        assert_eq!(
            failed.to_string(),
            "2 of 4 record(s) not delivered; first error: the client is closed"
        );
    }
}
