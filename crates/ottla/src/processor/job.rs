//! One batch from its first call until every record in it is processed or given up: retries
//! with backoff, partial batch responses, bisection, the failure destination. What it does
//! with offsets and failures goes through [`JobSink`], so it runs without Kafka in tests.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument;

use futures::future::BoxFuture;

use super::event::{Batch, EventContext, Handler, HandlerError};
use super::failure::Condition;
use crate::clock::now_ms;
use crate::cluster::Backoff;
use crate::consumer::ConsumerRecord;

/// What a job reports.
pub(crate) trait JobSink: Send + Sync {
    /// These records are processed (in each of their partitions, a run from the first
    /// record not yet processed).
    fn processed(&self, records: &[ConsumerRecord]);
    /// The handler was called; `ok` when that call processed every record it got.
    /// A handler call ended (`invoke` 1 for a first call, more for retries).
    fn called(&self, ok: bool, invoke: u32);
    /// These records are given up: to the failure destination. An `Err` is tried again
    /// after a backoff; the offsets move on only after `Ok`.
    fn give_up<'a>(
        &'a self,
        records: &'a [ConsumerRecord],
        condition: Condition,
        error: &'a HandlerError,
        invokes: u32,
    ) -> BoxFuture<'a, Result<(), String>>;
}

/// The settings a job follows.
#[derive(Debug, Clone)]
pub(crate) struct JobSettings {
    /// Retries after the first call (`None`: no limit).
    pub retry_limit: Option<u32>,
    pub max_record_age: Option<Duration>,
    pub bisect: bool,
    pub partial: bool,
    pub backoff: Backoff,
}

/// Processes `records` until each is processed or given up.
pub(crate) async fn run_job(
    records: Vec<ConsumerRecord>,
    handler: &dyn Handler,
    context: &Arc<EventContext>,
    settings: &JobSettings,
    sink: &dyn JobSink,
) {
    let mut pending: VecDeque<Vec<ConsumerRecord>> = VecDeque::from([records]);
    'segments: while let Some(mut segment) = pending.pop_front() {
        let mut invokes = 0u32;
        loop {
            invokes += 1;
            let batch = Batch::new(Arc::from(segment.clone()), Arc::clone(context), invokes);
            let span = tracing::info_span!(
                "processor.batch",
                records = segment.len(),
                invoke = invokes,
                first_offset = segment.first().map_or(-1, |r| r.offset),
            );
            let error = match handler.call(batch).instrument(span).await {
                Ok(r) if r.failed.is_empty() || !settings.partial => {
                    sink.called(true, invokes);
                    sink.processed(&segment);
                    continue 'segments;
                }
                Ok(r) => match split_at_failures(&mut segment, &r.failed) {
                    Some(done) => {
                        sink.processed(&done);
                        HandlerError::new(
                            "BatchItemFailures",
                            format!("{} record(s) reported failed", r.failed.len()),
                        )
                    }
                    None => HandlerError::new(
                        "InvalidBatchItemFailures",
                        "the failed records named are not in the batch",
                    ),
                },
                Err(e) => e,
            };
            sink.called(false, invokes);
            tracing::debug!(records = segment.len(), invokes, error = %error, "batch failed");
            if settings.bisect && segment.len() > 1 {
                let second = segment.split_off(segment.len() / 2);
                pending.push_front(second);
                pending.push_front(segment);
                continue 'segments;
            }
            let exhausted = settings.retry_limit.is_some_and(|n| invokes > n);
            let too_old = settings.max_record_age.is_some_and(|age| {
                let oldest = segment
                    .iter()
                    .map(|r| r.timestamp)
                    .min()
                    .unwrap_or(i64::MAX);
                now_ms().saturating_sub(oldest) > age.as_millis() as i64
            });
            if exhausted || too_old {
                let condition = if exhausted {
                    Condition::RetryAttemptsExhausted
                } else {
                    Condition::RecordAgeExceeded
                };
                let mut failures = 0;
                while let Err(e) = sink.give_up(&segment, condition, &error, invokes).await {
                    failures += 1;
                    tracing::warn!(error = %e, "failure destination refused the records; trying again");
                    tokio::time::sleep(settings.backoff.delay(failures)).await;
                }
                sink.processed(&segment);
                // What bisection left of the batch follows on in one call again.
                if pending.len() > 1 {
                    let rest: Vec<ConsumerRecord> = pending.drain(..).flatten().collect();
                    pending.push_back(rest);
                }
                continue 'segments;
            }
            tokio::time::sleep(settings.backoff.delay(invokes)).await;
        }
    }
}

/// Keeps in `segment` the records from each partition's first failed record on, and returns
/// the records before them (processed). `None` when no failed record is in the segment.
fn split_at_failures(
    segment: &mut Vec<ConsumerRecord>,
    failed: &[super::event::FailedRecord],
) -> Option<Vec<ConsumerRecord>> {
    let mut first: BTreeMap<(&str, i32), i64> = BTreeMap::new();
    for f in failed {
        let known = segment
            .iter()
            .any(|r| r.offset == f.offset && r.partition == f.partition && *r.topic == *f.topic);
        if !known {
            return None;
        }
        let e = first
            .entry((f.topic.as_str(), f.partition))
            .or_insert(f.offset);
        *e = (*e).min(f.offset);
    }
    let (done, rest): (Vec<_>, Vec<_>) = std::mem::take(segment).into_iter().partition(|r| {
        first
            .get(&(&*r.topic, r.partition))
            .is_none_or(|&at| r.offset < at)
    });
    *segment = rest;
    Some(done)
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use bytes::Bytes;
    use ottla_protocol::records::TimestampType;

    use super::*;
    use crate::processor::config::EventSource;
    use crate::processor::event::{BatchResponse, FailedRecord};

    fn records(partition: i32, offsets: std::ops::Range<i64>) -> Vec<ConsumerRecord> {
        offsets
            .map(|offset| ConsumerRecord {
                topic: Arc::from("t"),
                partition,
                offset,
                timestamp: now_ms(),
                timestamp_type: TimestampType::CreateTime,
                leader_epoch: None,
                key: None,
                value: Some(Bytes::from(offset.to_string())),
                headers: Vec::new(),
            })
            .collect()
    }

    #[derive(Default)]
    struct Seen {
        processed: Mutex<Vec<(i32, i64)>>,
        calls: Mutex<Vec<bool>>,
        given_up: Mutex<Vec<(Vec<i64>, Condition, u32)>>,
    }

    impl JobSink for Seen {
        fn processed(&self, records: &[ConsumerRecord]) {
            let mut p = self.processed.lock().unwrap();
            p.extend(records.iter().map(|r| (r.partition, r.offset)));
        }
        fn called(&self, ok: bool, _invoke: u32) {
            self.calls.lock().unwrap().push(ok);
        }
        fn give_up<'a>(
            &'a self,
            records: &'a [ConsumerRecord],
            condition: Condition,
            _error: &'a HandlerError,
            invokes: u32,
        ) -> BoxFuture<'a, Result<(), String>> {
            let offsets = records.iter().map(|r| r.offset).collect();
            self.given_up
                .lock()
                .unwrap()
                .push((offsets, condition, invokes));
            Box::pin(async { Ok(()) })
        }
    }

    fn settings(retries: Option<u32>, bisect: bool, partial: bool) -> JobSettings {
        JobSettings {
            retry_limit: retries,
            max_record_age: None,
            bisect,
            partial,
            backoff: Backoff {
                base: Duration::from_millis(100),
                max: Duration::from_secs(1),
            },
        }
    }

    fn context() -> Arc<EventContext> {
        Arc::new(EventContext {
            source: EventSource::SelfManaged,
            bootstrap_servers: "b:9092".to_owned(),
        })
    }

    fn value(r: &ConsumerRecord) -> i64 {
        std::str::from_utf8(r.value.as_deref().unwrap())
            .unwrap()
            .parse()
            .unwrap()
    }

    /// Two failures, then success: three calls, each record processed once, in order.
    #[tokio::test(start_paused = true)]
    async fn retries_until_the_handler_succeeds() {
        let calls = Arc::new(Mutex::new(0));
        let c = Arc::clone(&calls);
        let handler = move |_b: Batch| {
            let n = {
                let mut n = c.lock().unwrap();
                *n += 1;
                *n
            };
            async move {
                if n <= 2 {
                    Err(HandlerError::new("Unhandled", "not yet"))
                } else {
                    Ok(BatchResponse::success())
                }
            }
        };
        let seen = Seen::default();
        run_job(
            records(0, 0..10),
            &handler,
            &context(),
            &settings(None, false, false),
            &seen,
        )
        .await;
        assert_eq!(*seen.calls.lock().unwrap(), [false, false, true]);
        assert_eq!(
            *seen.processed.lock().unwrap(),
            (0..10).map(|o| (0, o)).collect::<Vec<_>>()
        );
        assert!(seen.given_up.lock().unwrap().is_empty());
    }

    /// A handler that always fails: 1 + max.retries calls, then the batch goes to the
    /// destination and counts as processed.
    #[tokio::test(start_paused = true)]
    async fn retries_exhausted_give_the_batch_up() {
        let handler =
            |_b: Batch| async { Err::<BatchResponse, _>(HandlerError::new("Unhandled", "no")) };
        let seen = Seen::default();
        run_job(
            records(0, 0..4),
            &handler,
            &context(),
            &settings(Some(2), false, false),
            &seen,
        )
        .await;
        assert_eq!(seen.calls.lock().unwrap().len(), 3);
        assert_eq!(
            *seen.given_up.lock().unwrap(),
            [(vec![0, 1, 2, 3], Condition::RetryAttemptsExhausted, 3)]
        );
        assert_eq!(seen.processed.lock().unwrap().len(), 4);
    }

    /// Bisection finds one poison record in 100: the batch halves down to it (7 halvings,
    /// each a failing call), the poison goes alone to the destination, and what is left
    /// after it is processed in one call.
    #[tokio::test(start_paused = true)]
    async fn bisection_isolates_a_poison_record() {
        for poison in [0, 42, 63, 99] {
            let sizes = Arc::new(Mutex::new(Vec::new()));
            let s = Arc::clone(&sizes);
            let handler = move |b: Batch| {
                let bad = b.records().iter().any(|r| value(r) == poison);
                s.lock().unwrap().push((b.records().len(), bad));
                async move {
                    if bad {
                        Err(HandlerError::new("Unhandled", "poison"))
                    } else {
                        Ok(BatchResponse::success())
                    }
                }
            };
            let seen = Seen::default();
            run_job(
                records(0, 0..100),
                &handler,
                &context(),
                &settings(Some(0), true, false),
                &seen,
            )
            .await;
            let sizes = sizes.lock().unwrap();
            let failing = sizes.iter().filter(|(_, bad)| *bad).count();
            assert!(
                (7..=8).contains(&failing),
                "poison {poison}: the first call and at most 7 halvings: {sizes:?}"
            );
            assert_eq!(
                *seen.given_up.lock().unwrap(),
                [(vec![poison], Condition::RetryAttemptsExhausted, 1)]
            );
            let processed = seen.processed.lock().unwrap();
            let mut sorted = processed.clone();
            sorted.sort();
            assert_eq!(
                sorted,
                (0..100).map(|o| (0, o)).collect::<Vec<_>>(),
                "each once"
            );
            assert_eq!(*processed, sorted, "in order");
            println!(
                "poison at {poison}: {} calls, {failing} failing",
                sizes.len()
            );
        }
    }

    /// Partial batch responses: records before each partition's first failed record are
    /// processed; the call after goes on from the failed one.
    #[tokio::test(start_paused = true)]
    async fn partial_responses_resume_at_the_failed_record() {
        let starts = Arc::new(Mutex::new(Vec::new()));
        let s = Arc::clone(&starts);
        let handler = move |b: Batch| {
            let first: Vec<(i32, i64)> = [0, 1]
                .iter()
                .filter_map(|&p| b.records().iter().find(|r| r.partition == p))
                .map(|r| (r.partition, r.offset))
                .collect();
            s.lock().unwrap().push(first);
            let fail = b.attempt() == 1;
            async move {
                Ok(if fail {
                    BatchResponse::failed([
                        FailedRecord {
                            topic: "t".into(),
                            partition: 0,
                            offset: 7,
                        },
                        FailedRecord {
                            topic: "t".into(),
                            partition: 0,
                            offset: 5,
                        },
                    ])
                } else {
                    BatchResponse::success()
                })
            }
        };
        let seen = Seen::default();
        let mut batch = records(0, 0..10);
        batch.extend(records(1, 0..3));
        run_job(
            batch,
            &handler,
            &context(),
            &settings(None, false, true),
            &seen,
        )
        .await;
        assert_eq!(
            *starts.lock().unwrap(),
            [vec![(0, 0), (1, 0)], vec![(0, 5)]]
        );
        let processed = seen.processed.lock().unwrap().clone();
        let p0: Vec<i64> = processed
            .iter()
            .filter(|(p, _)| *p == 0)
            .map(|(_, o)| *o)
            .collect();
        assert_eq!(p0, (0..10).collect::<Vec<_>>());
        assert_eq!(processed.iter().filter(|(p, _)| *p == 1).count(), 3);

        // Naming a record that is not in the batch fails the whole batch.
        let handler = |b: Batch| {
            let fail = b.attempt() == 1;
            async move {
                Ok(if fail {
                    BatchResponse::failed([FailedRecord {
                        topic: "t".into(),
                        partition: 0,
                        offset: 99,
                    }])
                } else {
                    BatchResponse::success()
                })
            }
        };
        let seen = Seen::default();
        run_job(
            records(0, 0..3),
            &handler,
            &context(),
            &settings(None, false, true),
            &seen,
        )
        .await;
        assert_eq!(*seen.calls.lock().unwrap(), [false, true]);
        assert_eq!(seen.processed.lock().unwrap().len(), 3);
    }

    /// With max.record.age.ms, a failing batch whose records are too old is given up with
    /// RecordAgeExceeded, retries or not.
    #[tokio::test(start_paused = true)]
    async fn old_records_are_given_up() {
        let handler =
            |_b: Batch| async { Err::<BatchResponse, _>(HandlerError::new("Unhandled", "no")) };
        let mut old = records(0, 0..2);
        for r in &mut old {
            r.timestamp -= 120_000;
        }
        let mut s = settings(None, false, false);
        s.max_record_age = Some(Duration::from_secs(60));
        let seen = Seen::default();
        run_job(old, &handler, &context(), &s, &seen).await;
        assert_eq!(
            *seen.given_up.lock().unwrap(),
            [(vec![0, 1], Condition::RecordAgeExceeded, 1)]
        );
    }
}
