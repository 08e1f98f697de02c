//! The processor's loop: records from the consumer into the batcher, batches out to jobs
//! (at most `max.concurrency` at once), processed offsets committed, partitions paused while
//! their records pile up, and a rebalance listener that lets a revoked partition's batch
//! finish and commits it before the partition moves.

use std::collections::{BTreeMap, HashSet};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use futures::FutureExt as _;
use tokio::io::AsyncWriteExt as _;
use tokio::sync::Notify;
use tokio::task::JoinSet;

use super::batcher::Batcher;
use super::config::{Destination, ProcessorConfig};
use super::event::{EventContext, Handler, HandlerError};
use super::failure::{Condition, Failure};
use super::job::{run_job, JobSettings, JobSink};
use super::stats::{Counters, ProcessorStats};
use crate::consumer::{Consumer, ConsumerRecord, Rebalance, RebalanceListener};
use crate::error::Error;
use crate::group::{OffsetAndMetadata, TopicPartition};
use crate::producer::{Producer, ProducerConfig, ProducerRecord};

/// Records taken from the consumer at a time.
const CHUNK: usize = 2_000;
/// Longest wait for records before looking at batches and jobs again.
const TICK: Duration = Duration::from_millis(100);
/// How long a revocation waits for the revoked partitions' batches to finish.
const DRAIN: Duration = Duration::from_secs(60);

#[derive(Debug)]
struct State {
    batcher: Batcher,
    owned: HashSet<TopicPartition>,
    /// Next offset to process per owned partition.
    next: BTreeMap<TopicPartition, i64>,
    committed: BTreeMap<TopicPartition, i64>,
    paused: HashSet<TopicPartition>,
    ends: BTreeMap<TopicPartition, i64>,
    /// Partitions whose job panicked, with where to read again.
    rewind: Vec<(TopicPartition, i64)>,
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    /// Woken when a job ends.
    job_ended: Notify,
    counters: Counters,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn stats(&self) -> ProcessorStats {
        let mut stats = self.counters.snapshot();
        let st = self.state();
        for tp in &st.owned {
            if let (Some(end), Some(next)) = (st.ends.get(tp), st.next.get(tp)) {
                stats.offset_lag.insert(tp.clone(), (end - next).max(0));
            }
        }
        stats
    }

    /// Offsets processed past what was committed, for partitions still owned.
    fn to_commit(
        &self,
        only: Option<&[TopicPartition]>,
    ) -> BTreeMap<TopicPartition, OffsetAndMetadata> {
        let st = self.state();
        st.next
            .iter()
            .filter(|(tp, _)| st.owned.contains(*tp) && only.is_none_or(|o| o.contains(tp)))
            .filter(|(tp, next)| st.committed.get(*tp) != Some(next))
            .map(|(tp, &next)| (tp.clone(), OffsetAndMetadata::new(next)))
            .collect()
    }

    fn committed(&self, offsets: &BTreeMap<TopicPartition, OffsetAndMetadata>) {
        let mut st = self.state();
        for (tp, o) in offsets {
            let c = st.committed.entry(tp.clone()).or_insert(o.offset);
            *c = (*c).max(o.offset);
        }
    }
}

/// Reads a processor's counters while it runs.
#[derive(Debug, Clone)]
pub struct ProcessorHandle {
    shared: Arc<Shared>,
}

impl ProcessorHandle {
    /// Counters so far and each owned partition's OffsetLag.
    pub fn stats(&self) -> ProcessorStats {
        self.shared.stats()
    }
}

/// Consumes topics as a group member and calls a [`Handler`] with batches, with the
/// semantics of Lambda's Kafka event source mapping.
pub struct Processor {
    consumer: Consumer,
    config: ProcessorConfig,
    handler: Arc<dyn Handler>,
    shared: Arc<Shared>,
    sink: Arc<Sink>,
}

impl std::fmt::Debug for Processor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Processor")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Processor {
    /// Connects (and, with a Kafka failure destination, starts its producer).
    pub async fn new(config: ProcessorConfig, handler: impl Handler) -> Result<Self, Error> {
        let consumer = Consumer::new(config.consumer.clone()).await?;
        let bootstrap_servers = config.consumer.client.bootstrap_servers_text();
        let destination = match &config.destination {
            None => Writer::None,
            Some(Destination::Kafka(topic)) => {
                // The consumer's connection and security settings; the producer's defaults
                // (acks=all, idempotent) for the rest.
                let mut pc = ProducerConfig::builder()
                    .bootstrap_servers(bootstrap_servers.as_str())
                    .build()?;
                pc.client = config.consumer.client.clone();
                Writer::Kafka(Producer::new(pc).await?, Arc::from(topic.as_str()))
            }
            Some(Destination::File(path)) => Writer::File(path.clone()),
            Some(Destination::Callback(cb)) => Writer::Callback(Arc::clone(cb)),
        };
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                batcher: Batcher::new(
                    config.batch_size,
                    config.batch_window,
                    config.max_batch_bytes,
                ),
                owned: HashSet::new(),
                next: BTreeMap::new(),
                committed: BTreeMap::new(),
                paused: HashSet::new(),
                ends: BTreeMap::new(),
                rewind: Vec::new(),
            }),
            job_ended: Notify::new(),
            counters: Counters::default(),
        });
        let function = format!(
            "ottla:processor:{}",
            config.consumer.group_id.as_deref().unwrap_or_default()
        );
        let sink = Arc::new(Sink {
            shared: Arc::clone(&shared),
            destination,
            function,
            context: Arc::new(EventContext {
                source: config.event_source.clone(),
                bootstrap_servers,
            }),
        });
        Ok(Self {
            consumer,
            config,
            handler: Arc::new(handler),
            shared,
            sink,
        })
    }

    /// Reads the counters while [`run_until`](Self::run_until) runs.
    pub fn handle(&self) -> ProcessorHandle {
        ProcessorHandle {
            shared: Arc::clone(&self.shared),
        }
    }

    /// Runs until `shutdown` completes: then no new batch starts, batches in flight finish
    /// (for up to 60 s), their offsets are committed, and the member leaves the group.
    /// Returns the final counters, or the error that stopped the consumer.
    pub async fn run_until(
        mut self,
        shutdown: impl Future<Output = ()>,
    ) -> Result<ProcessorStats, Error> {
        self.consumer.set_rebalance_listener(Arc::new(Listener {
            shared: Arc::clone(&self.shared),
        }));
        self.consumer
            .subscribe(self.config.topics.iter().map(String::as_str))?;
        let settings = JobSettings {
            retry_limit: self.config.retry_limit(),
            max_record_age: self.config.max_record_age,
            bisect: self.config.bisect_on_error,
            partial: self.config.report_batch_item_failures,
            backoff: self.config.retry_backoff,
        };
        let mut jobs: JoinSet<()> = JoinSet::new();
        let mut shutdown = std::pin::pin!(shutdown);
        let mut failure = None;
        loop {
            self.start_jobs(&mut jobs, &settings);
            let wait = self
                .shared
                .state()
                .batcher
                .deadline()
                .map_or(TICK, |d| d.saturating_duration_since(Instant::now()))
                .clamp(Duration::from_millis(1), TICK);
            tokio::select! {
                biased;
                () = &mut shutdown => break,
                Some(_) = jobs.join_next(), if !jobs.is_empty() => self.commit(),
                got = self.consumer.recv_batch(CHUNK, wait) => match got {
                    Ok(records) => self.accept(records),
                    Err(e) => {
                        failure = Some(e);
                        break;
                    }
                },
            }
            self.rewind().await;
            self.flow_control().await;
        }
        if tokio::time::timeout(DRAIN, async { while jobs.join_next().await.is_some() {} })
            .await
            .is_err()
        {
            tracing::warn!("batches still failing at shutdown: stopped; their records are read again on the next start");
            jobs.abort_all();
        }
        let last = self.shared.to_commit(None);
        if !last.is_empty() {
            match self.consumer.commit_offsets(last.clone()).await {
                Ok(()) => self.shared.committed(&last),
                Err(e) => tracing::warn!(error = %e, "last commit failed"),
            }
        }
        let stats = self.shared.stats();
        let closed = self.consumer.close().await;
        if let Writer::Kafka(p, _) = &self.sink.destination {
            let _ = p.close(Duration::from_secs(30)).await;
        }
        match (failure, closed) {
            (Some(e), _) | (None, Err(e)) => Err(e),
            (None, Ok(())) => Ok(stats),
        }
    }

    /// Starts a job for each batch due, up to `max.concurrency`.
    fn start_jobs(&self, jobs: &mut JoinSet<()>, settings: &JobSettings) {
        while jobs.len() < self.config.max_concurrency {
            let Some(records) = self.shared.state().batcher.take(Instant::now()) else {
                return;
            };
            crate::stats::add(&self.shared.counters.batches, 1);
            let handler = Arc::clone(&self.handler);
            let sink = Arc::clone(&self.sink);
            let settings = settings.clone();
            jobs.spawn(async move {
                let partitions: Vec<(TopicPartition, i64)> = first_offsets(&records);
                let job = run_job(records, &*handler, &sink.context, &settings, &*sink);
                let panicked = AssertUnwindSafe(job).catch_unwind().await.is_err();
                {
                    let mut st = sink.shared.state();
                    if panicked {
                        tracing::error!("the handler panicked: its partitions are read again from the first record not processed");
                        let rewind: Vec<(TopicPartition, i64)> = partitions
                            .iter()
                            .map(|(tp, first)| (tp.clone(), st.next.get(tp).copied().unwrap_or(*first).max(*first)))
                            .collect();
                        st.rewind.extend(rewind);
                    }
                    st.batcher.release(partitions.iter().map(|(tp, _)| tp));
                }
                sink.shared.job_ended.notify_waiters();
            });
        }
    }

    /// Queues records received. Those of a partition no longer assigned are left out: it was
    /// revoked after they were handed out, and its next owner reads them from the committed
    /// offset. (Records are handed out only for partitions assigned at that moment, and a
    /// revocation waits for the partition's batch; a partition revoked and assigned again
    /// while the consumer waited hands out records of its new assignment only.)
    fn accept(&self, records: Vec<ConsumerRecord>) {
        let assigned: HashSet<TopicPartition> = self.consumer.assignment().into_iter().collect();
        let mut st = self.shared.state();
        let now = Instant::now();
        for r in records {
            let tp = TopicPartition::new(Arc::clone(&r.topic), r.partition);
            if assigned.contains(&tp) {
                st.batcher.push(tp, r, now);
            }
        }
        let owned: Vec<TopicPartition> = st.owned.iter().cloned().collect();
        for tp in owned {
            if let (Some(position), Some(lag)) =
                (self.consumer.position(&tp), self.consumer.lag(&tp))
            {
                st.ends.insert(tp, position + lag);
            }
        }
    }

    /// Commits what was processed since the last commit, without waiting.
    fn commit(&self) {
        let offsets = self.shared.to_commit(None);
        if offsets.is_empty() {
            return;
        }
        let pending = self.consumer.commit_offsets_async(offsets.clone());
        let shared = Arc::clone(&self.shared);
        tokio::spawn(async move {
            match pending.await {
                Ok(()) => shared.committed(&offsets),
                Err(e) => {
                    tracing::debug!(error = %e, "commit failed; the next one carries the offsets")
                }
            }
        });
    }

    /// Partitions whose handler panicked are read again from their first record not
    /// processed.
    async fn rewind(&mut self) {
        let rewind = std::mem::take(&mut self.shared.state().rewind);
        for (tp, offset) in rewind {
            self.shared.state().batcher.drop_partition(&tp);
            if let Err(e) = self.consumer.seek(tp.clone(), offset).await {
                tracing::debug!(partition = %tp, error = %e, "rewind after a panic: partition gone");
            }
        }
    }

    /// Pauses partitions with more than two batches waiting; resumes them under one.
    async fn flow_control(&self) {
        let (pause, resume) = {
            let mut st = self.shared.state();
            let high = 2 * self.config.batch_size;
            let owned: Vec<TopicPartition> = st.owned.iter().cloned().collect();
            let mut pause = Vec::new();
            let mut resume = Vec::new();
            for tp in owned {
                let queued = st.batcher.queued(&tp);
                if queued >= high && st.paused.insert(tp.clone()) {
                    pause.push(tp);
                } else if queued < self.config.batch_size && st.paused.remove(&tp) {
                    resume.push(tp);
                }
            }
            (pause, resume)
        };
        if !pause.is_empty() {
            if let Err(e) = self.consumer.pause(pause).await {
                tracing::debug!(error = %e, "pause failed");
            }
        }
        if !resume.is_empty() {
            if let Err(e) = self.consumer.resume(resume).await {
                tracing::debug!(error = %e, "resume failed");
            }
        }
    }
}

fn first_offsets(records: &[ConsumerRecord]) -> Vec<(TopicPartition, i64)> {
    let mut out: Vec<(TopicPartition, i64)> = Vec::new();
    for r in records {
        if !out
            .iter()
            .any(|(tp, _)| tp.partition == r.partition && *tp.topic == *r.topic)
        {
            out.push((
                TopicPartition::new(Arc::clone(&r.topic), r.partition),
                r.offset,
            ));
        }
    }
    out
}

/// Where given-up records go.
enum Writer {
    None,
    Kafka(Producer, Arc<str>),
    File(std::path::PathBuf),
    Callback(super::config::FailureCallback),
}

struct Sink {
    shared: Arc<Shared>,
    destination: Writer,
    function: String,
    context: Arc<EventContext>,
}

impl JobSink for Sink {
    fn processed(&self, records: &[ConsumerRecord]) {
        let mut st = self.shared.state();
        for r in records {
            let tp = TopicPartition::new(Arc::clone(&r.topic), r.partition);
            let next = st.next.entry(tp).or_insert(r.offset + 1);
            *next = (*next).max(r.offset + 1);
        }
        drop(st);
        crate::stats::add(
            &self.shared.counters.records_processed,
            records.len() as u64,
        );
    }

    fn called(&self, ok: bool, invoke: u32) {
        crate::stats::add(&self.shared.counters.calls, 1);
        if invoke > 1 {
            crate::stats::add(&self.shared.counters.retries, 1);
        }
        if !ok {
            crate::stats::add(&self.shared.counters.failed_calls, 1);
        }
    }

    fn give_up<'a>(
        &'a self,
        records: &'a [ConsumerRecord],
        condition: Condition,
        error: &'a HandlerError,
        invokes: u32,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let failure = Failure {
                records,
                condition,
                error,
                invokes,
                function: &self.function,
                context: &self.context,
            };
            let written = match &self.destination {
                Writer::None => {
                    tracing::warn!(records = records.len(), condition = condition.as_str(), error = %error,
                        "batch given up with no failure destination: its records are skipped");
                    0
                }
                Writer::Kafka(producer, topic) => {
                    let mut deliveries = Vec::new();
                    for (record, failure) in failure.per_record() {
                        let value = serde_json::to_vec(&failure).map_err(|e| e.to_string())?;
                        let mut out = ProducerRecord::new(Arc::clone(topic), value);
                        out.key = record.key.clone();
                        deliveries.push(producer.send(out).await.map_err(|e| e.to_string())?);
                    }
                    for d in &mut deliveries {
                        d.await.map_err(|e| e.to_string())?;
                    }
                    deliveries.len()
                }
                Writer::File(path) => {
                    let mut line =
                        serde_json::to_vec(&failure.batch_record()).map_err(|e| e.to_string())?;
                    line.push(b'\n');
                    let mut file = tokio::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(path)
                        .await
                        .map_err(|e| format!("{}: {e}", path.display()))?;
                    file.write_all(&line).await.map_err(|e| e.to_string())?;
                    file.flush().await.map_err(|e| e.to_string())?;
                    1
                }
                Writer::Callback(cb) => {
                    cb(failure.batch_record()).await?;
                    1
                }
            };
            crate::stats::add(&self.shared.counters.records_failed, records.len() as u64);
            crate::stats::add(&self.shared.counters.destination_writes, written as u64);
            Ok(())
        })
    }
}

/// Lets a revoked partition's batch finish and commits it before the partition moves.
struct Listener {
    shared: Arc<Shared>,
}

impl Listener {
    /// No new batch of these partitions: their waiting records go (the consumer hands out
    /// none of theirs any more; the next owner reads them from the committed offset).
    fn stop_batching(&self, partitions: &[TopicPartition]) {
        let mut st = self.shared.state();
        for tp in partitions {
            st.batcher.drop_partition(tp);
            st.paused.remove(tp);
        }
    }

    fn clear(&self, partitions: &[TopicPartition]) {
        let mut st = self.shared.state();
        for tp in partitions {
            st.owned.remove(tp);
            st.next.remove(tp);
            st.committed.remove(tp);
            st.ends.remove(tp);
        }
    }
}

impl RebalanceListener for Listener {
    fn on_assigned<'a>(
        &'a self,
        rebalance: &'a Rebalance<'a>,
        partitions: &'a [TopicPartition],
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let mut st = self.shared.state();
            for tp in partitions {
                st.owned.insert(tp.clone());
                if let Some(position) = rebalance.position(tp) {
                    st.next.insert(tp.clone(), position);
                    st.committed.insert(tp.clone(), position);
                }
            }
        })
    }

    fn on_revoked<'a>(
        &'a self,
        rebalance: &'a Rebalance<'a>,
        partitions: &'a [TopicPartition],
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            self.stop_batching(partitions);
            // The batch in flight finishes; what was processed is committed before the
            // partitions go.
            let deadline = tokio::time::Instant::now() + DRAIN;
            loop {
                let ended = self.shared.job_ended.notified();
                let mut ended = std::pin::pin!(ended);
                ended.as_mut().enable();
                let busy = {
                    let st = self.shared.state();
                    partitions.iter().any(|tp| st.batcher.is_busy(tp))
                };
                if !busy {
                    break;
                }
                if tokio::time::timeout_at(deadline, ended).await.is_err() {
                    tracing::warn!(
                        "revoked partitions still in a batch after 60 s: moving on without it"
                    );
                    break;
                }
            }
            let offsets = self.shared.to_commit(Some(partitions));
            if !offsets.is_empty() {
                match rebalance.commit(offsets.clone()).await {
                    Ok(()) => self.shared.committed(&offsets),
                    Err(e) => tracing::warn!(error = %e, "commit of revoked partitions failed"),
                }
            }
            self.clear(partitions);
        })
    }

    fn on_lost<'a>(
        &'a self,
        _rebalance: &'a Rebalance<'a>,
        partitions: &'a [TopicPartition],
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            self.stop_batching(partitions);
            self.clear(partitions);
        })
    }
}
