//! The consumer handle: subscribe, receive, commit, close.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use ottla_protocol::records::ConsumedRecord;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::config::ConsumerConfig;
use super::listener::RebalanceListener;
use super::owner::Owner;
use super::record::{ConsumerEvent, ConsumerRecord};
use super::stats::{ConsumerStats, Counters, PartitionConsumeStats};
use super::task::{self, Item, TaskCommand};
use crate::error::Error;
use crate::group::{GroupMember, PollHandle, TopicPartition};
use crate::protocol::messages::ApiKey;
use crate::Client;

/// A map looked up for every record handed out: foldhash, not SipHash (SipHash was 9% of the
/// consumer's CPU on 100-byte records).
pub(crate) type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// What the handle and its task share.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    /// Partitions owned now, each with the number of the assignment that gave it: records
    /// fetched under an earlier one are dropped, not handed out.
    pub assigned: Mutex<FastMap<TopicPartition, u64>>,
    /// The next offset after the last record the application received, per partition (what
    /// a commit commits), with that record's leader epoch; the starting position until a
    /// record arrives.
    pub consumed: Mutex<FastMap<TopicPartition, Position>>,
    /// Partitions not fetched (pause); forgotten when a partition is revoked or lost.
    pub paused: Mutex<HashSet<TopicPartition>>,
    /// The high watermark (last stable offset with read_committed) each partition's last
    /// Fetch answer gave.
    pub ends: Mutex<HashMap<TopicPartition, i64>>,
    /// What the consumer counts.
    pub counters: Counters,
    /// Bytes of the record batches handed over and not yet taken by the application.
    pub buffered: AtomicUsize,
    /// Woken when the application takes a batch (the task waits on it while `buffered` is
    /// at its cap).
    pub drained: tokio::sync::Notify,
}

/// An offset in a partition and the leader epoch of the record before it (-1: unknown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Position {
    pub offset: i64,
    pub epoch: i32,
}

impl Position {
    /// `offset` with no known epoch.
    pub fn at(offset: i64) -> Self {
        Self { offset, epoch: -1 }
    }
}

impl Shared {
    pub fn assigned(&self) -> std::sync::MutexGuard<'_, FastMap<TopicPartition, u64>> {
        self.assigned.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn consumed(&self) -> std::sync::MutexGuard<'_, FastMap<TopicPartition, Position>> {
        self.consumed.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn paused(&self) -> std::sync::MutexGuard<'_, HashSet<TopicPartition>> {
        self.paused.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn ends(&self) -> std::sync::MutexGuard<'_, HashMap<TopicPartition, i64>> {
        self.ends.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// What the application gets for a record of `tp`.
fn record_of(tp: &TopicPartition, r: ConsumedRecord) -> ConsumerRecord {
    ConsumerRecord {
        topic: Arc::clone(&tp.topic),
        partition: tp.partition,
        offset: r.offset,
        timestamp: r.timestamp,
        timestamp_type: r.timestamp_type,
        leader_epoch: (r.leader_epoch >= 0).then_some(r.leader_epoch),
        key: r.key,
        value: r.value,
        headers: r.headers,
    }
}

/// The rebalance listener, if any (shown in `Debug` as whether there is one).
struct Listener(Option<Arc<dyn RebalanceListener>>);

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "Some(..)" } else { "None" })
    }
}

/// Marks the application as waiting for records until dropped.
struct Waiting<'a>(&'a PollHandle);

impl<'a> Waiting<'a> {
    fn start(poll: &'a PollHandle) -> Self {
        poll.waiting(true);
        Self(poll)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.waiting(false);
    }
}

/// A consumer in a consumer group (see the module doc). Records of one partition come in
/// offset order; with `enable.auto.commit` the offsets of records handed out are committed
/// every `auto.commit.interval.ms`, before partitions are revoked, and on close.
#[derive(Debug)]
pub struct Consumer {
    client: Client,
    config: ConsumerConfig,
    shared: Arc<Shared>,
    running: Option<Running>,
    listener: Listener,
    /// The batch being handed out: its partition, assignment number and records.
    current: Option<(TopicPartition, u64, std::vec::IntoIter<ConsumedRecord>)>,
}

#[derive(Debug)]
struct Running {
    items: mpsc::Receiver<Item>,
    commands: mpsc::UnboundedSender<TaskCommand>,
    /// The group member's, when there is a group.
    poll: Option<PollHandle>,
    task: JoinHandle<()>,
}

impl Consumer {
    /// Connects (bootstrap and metadata); nothing is read before [`subscribe`](Self::subscribe).
    pub async fn new(config: ConsumerConfig) -> Result<Self, Error> {
        let client = Client::connect(config.client.clone()).await?;
        Ok(Self {
            client,
            config,
            shared: Arc::default(),
            running: None,
            listener: Listener(None),
            current: None,
        })
    }

    /// The client underneath (its metadata says, e.g., which broker leads a partition).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Calls `listener` on every rebalance from the next [`subscribe`](Self::subscribe) or
    /// [`assign`](Self::assign) on.
    pub fn set_rebalance_listener(&mut self, listener: Arc<dyn RebalanceListener>) {
        self.listener = Listener(Some(listener));
    }

    /// Joins the group (`group.id`) subscribing to `topics`. One subscription (or
    /// [`assign`](Self::assign)) per consumer.
    pub fn subscribe<T: Into<Arc<str>>>(
        &mut self,
        topics: impl IntoIterator<Item = T>,
    ) -> Result<(), Error> {
        self.not_started()?;
        let member = self.member(topics)?;
        let poll = member.poll_handle();
        self.start(Owner::Group(member), Some(poll), None);
        Ok(())
    }

    /// Joins the group subscribing to every topic whose whole name matches `pattern` (a
    /// [`regex`](https://docs.rs/regex) expression, as the Java consumer's
    /// `subscribe(Pattern)`; internal topics excluded). The topics are matched against the
    /// cluster's metadata now and every `metadata.max.age.ms`, and the subscription follows
    /// topics created and deleted.
    pub fn subscribe_pattern(&mut self, pattern: &str) -> Result<(), Error> {
        self.not_started()?;
        let regex = regex::Regex::new(&format!("^(?:{pattern})$")).map_err(|e| {
            Error::Config(crate::ConfigError::invalid(
                "subscribe pattern",
                pattern,
                format!("a regular expression ({e})"),
            ))
        })?;
        let member = self.member(Vec::<Arc<str>>::new())?;
        let poll = member.poll_handle();
        self.start(Owner::Group(member), Some(poll), Some(regex));
        Ok(())
    }

    /// Reads `partitions` without joining a group: from the offsets committed for `group.id`
    /// when one is set (commits go there too, outside any generation), else from
    /// `auto.offset.reset`.
    pub fn assign(&mut self, partitions: Vec<TopicPartition>) -> Result<(), Error> {
        self.not_started()?;
        let owner = Owner::Assigned {
            client: self.client.clone(),
            group_id: self.config.group_id.clone(),
            pending: Some(partitions),
            closed: false,
        };
        self.start(owner, None, None);
        Ok(())
    }

    /// A member of `group.id` subscribing to `topics`.
    fn member<T: Into<Arc<str>>>(
        &self,
        topics: impl IntoIterator<Item = T>,
    ) -> Result<GroupMember, Error> {
        let membership = self.config.membership().ok_or_else(|| {
            Error::Config(crate::ConfigError::invalid(
                "group.id",
                "",
                "a group id to subscribe with",
            ))
        })?;
        Ok(GroupMember::start(self.client.clone(), membership, topics))
    }

    fn not_started(&self) -> Result<(), Error> {
        if self.running.is_some() {
            return Err(Error::Config(crate::ConfigError::invalid(
                "subscribe",
                "a second subscription or assignment",
                "one subscription or assignment per consumer",
            )));
        }
        Ok(())
    }

    fn start(&mut self, owner: Owner, poll: Option<PollHandle>, pattern: Option<regex::Regex>) {
        let (items_tx, items) = mpsc::channel(64);
        let (commands, command_rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(task::run(
            self.client.clone(),
            self.config.clone(),
            self.listener.0.clone(),
            owner,
            pattern,
            Arc::clone(&self.shared),
            (items_tx, command_rx),
        ));
        self.running = Some(Running {
            items,
            commands,
            poll,
            task,
        });
    }

    /// The partitions assigned now.
    pub fn assignment(&self) -> Vec<TopicPartition> {
        let mut v: Vec<TopicPartition> = self.shared.assigned().keys().cloned().collect();
        v.sort();
        v
    }

    /// The next record. Waiting here counts as polling (`max.poll.interval.ms`).
    pub async fn recv(&mut self) -> Result<ConsumerRecord, Error> {
        loop {
            if let ConsumerEvent::Record(r) = self.recv_event().await? {
                return Ok(r);
            }
        }
    }

    /// The next record, or the end of a partition reached (only with
    /// `enable.partition.eof=true`). Waiting here counts as polling.
    pub async fn recv_event(&mut self) -> Result<ConsumerEvent, Error> {
        let running = self.running.as_ref().ok_or(Error::Closed)?;
        if let Some(poll) = &running.poll {
            poll.polled();
        }
        loop {
            if let Some(r) = self.next_buffered() {
                return Ok(ConsumerEvent::Record(r));
            }
            let running = self.running.as_mut().ok_or(Error::Closed)?;
            let item = {
                // Waiting counts as polling, also when this future is dropped mid-wait.
                let _waiting = running.poll.as_ref().map(Waiting::start);
                running.items.recv().await
            };
            if let Some(eof) = self.take(item.ok_or(Error::Closed)?)? {
                return Ok(eof);
            }
        }
    }

    /// The records as a [`Stream`](futures::Stream) (each [`recv`](Self::recv) in turn); it
    /// ends after the first error.
    ///
    /// ```no_run
    /// # async fn run(mut consumer: ottla::consumer::Consumer) -> Result<(), ottla::Error> {
    /// use futures::StreamExt;
    /// let mut records = std::pin::pin!(consumer.stream().take(10));
    /// while let Some(record) = records.next().await {
    ///     println!("{}", record?.offset);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn stream(&mut self) -> impl futures::Stream<Item = Result<ConsumerRecord, Error>> + '_ {
        futures::stream::unfold((self, false), |(consumer, failed)| async move {
            if failed {
                return None;
            }
            let next = consumer.recv().await;
            let failed = next.is_err();
            Some((next, (consumer, failed)))
        })
    }

    /// Commits the offsets of the records received so far (OffsetCommit, waiting for it).
    /// Retriable failures (the coordinator being looked up, moving or loading) are tried
    /// again for up to `default.api.timeout.ms`, as the Java client's `commitSync` does.
    pub async fn commit(&self) -> Result<(), Error> {
        self.retrying(ApiKey::OffsetCommit, || self.ask(TaskCommand::Commit))
            .await
    }

    /// `attempt` until it succeeds, fails for good, or `default.api.timeout.ms` has passed,
    /// with `retry.backoff.ms` … `retry.backoff.max.ms` between tries.
    pub(super) async fn retrying<T, F, Fut>(&self, api: ApiKey, mut attempt: F) -> Result<T, Error>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, Error>>,
    {
        let deadline = tokio::time::Instant::now() + self.config.default_api_timeout;
        let mut failures = 0u32;
        loop {
            // The whole call keeps to the timeout, also when one attempt is slow to answer
            // (the consumer's task busy, a coordinator that does not reply).
            let Ok(outcome) = tokio::time::timeout_at(deadline, attempt()).await else {
                return Err(Error::Timeout {
                    broker: "the group coordinator".into(),
                    api,
                    timeout: self.config.default_api_timeout,
                });
            };
            match outcome {
                Err(e) if e.is_retriable() && tokio::time::Instant::now() < deadline => {
                    failures = failures.saturating_add(1);
                    let delay = self.config.retry_backoff.delay_with(failures, 1.0);
                    tracing::debug!(error = %e, ?delay, "retrying");
                    tokio::time::sleep_until(deadline.min(tokio::time::Instant::now() + delay))
                        .await;
                }
                other => return other,
            }
        }
    }

    /// The offset of the next record [`recv`](Self::recv) returns from `partition` (`None`
    /// when it is not assigned).
    pub fn position(&self, partition: &TopicPartition) -> Option<i64> {
        self.shared.consumed().get(partition).map(|p| p.offset)
    }

    /// This consumer's counters so far (fetches, fetch sessions, follower fetches,
    /// truncations found, records handed out, rebalances), its brokers', and its position
    /// and lag in each assigned partition.
    pub fn stats(&self) -> ConsumerStats {
        let mut stats = self.shared.counters.snapshot();
        stats.buffered_bytes = self.shared.buffered.load(Ordering::Relaxed) as u64;
        stats.brokers = self.client.stats();
        let mut assigned = self.assignment();
        assigned.sort_by(|a, b| (&*a.topic, a.partition).cmp(&(&*b.topic, b.partition)));
        stats.partitions = assigned
            .into_iter()
            .map(|tp| PartitionConsumeStats {
                topic: tp.topic.to_string(),
                partition: tp.partition,
                position: self.position(&tp),
                lag: self.lag(&tp),
            })
            .collect();
        stats
    }

    /// Records in `partition` after the position: its end (high watermark, or last stable
    /// offset with read_committed) at the last Fetch answer minus the position; `None` before
    /// the first answer or when the partition is not assigned.
    pub fn lag(&self, partition: &TopicPartition) -> Option<i64> {
        let end = *self.shared.ends().get(partition)?;
        Some((end - self.position(partition)?).max(0))
    }

    /// Up to `max_records` records: waits up to `timeout` for the first, then takes what has
    /// arrived without waiting more (an empty batch when nothing came in time).
    pub async fn recv_batch(
        &mut self,
        max_records: usize,
        timeout: std::time::Duration,
    ) -> Result<Vec<ConsumerRecord>, Error> {
        let mut batch = Vec::new();
        if max_records == 0 {
            return Ok(batch);
        }
        match tokio::time::timeout(timeout, self.recv()).await {
            Ok(r) => batch.push(r?),
            Err(_) => return Ok(batch),
        }
        loop {
            // Whole runs of the batch at hand under one lock, then the next batch if one is
            // here already.
            self.take_run(max_records - batch.len(), &mut batch);
            if batch.len() >= max_records {
                break;
            }
            match self.try_recv()? {
                Some(r) => batch.push(r),
                None => break,
            }
        }
        Ok(batch)
    }

    /// Moves up to `max` records of the batch at hand into `out`, checking the assignment
    /// and moving the position once for all of them (what `next_buffered` does per record).
    fn take_run(&mut self, max: usize, out: &mut Vec<ConsumerRecord>) {
        let Some((tp, number, records)) = self.current.as_mut() else {
            return;
        };
        let assigned = self.shared.assigned();
        if assigned.get(tp) != Some(number) {
            return;
        }
        let before = out.len();
        out.extend(records.by_ref().take(max).map(|r| record_of(tp, r)));
        if let Some(last) = out[before..].last() {
            let position = Position {
                offset: last.offset + 1,
                epoch: last.leader_epoch.unwrap_or(-1),
            };
            self.shared.consumed().insert(tp.clone(), position);
        }
        drop(assigned);
    }

    /// The next record if one is here already.
    fn try_recv(&mut self) -> Result<Option<ConsumerRecord>, Error> {
        loop {
            if let Some(r) = self.next_buffered() {
                return Ok(Some(r));
            }
            let running = self.running.as_mut().ok_or(Error::Closed)?;
            match running.items.try_recv() {
                // recv_batch hands out records only.
                Ok(item) => drop(self.take(item)?),
                Err(_) => return Ok(None),
            }
        }
    }

    /// The next record of the batch at hand, if it is still this consumer's.
    fn next_buffered(&mut self) -> Option<ConsumerRecord> {
        let (tp, number, records) = self.current.as_mut()?;
        // The assignment is checked and the position moved under the assignment's lock, so
        // a revocation (which marks the partition first, then commits the positions) sees
        // every record handed out, and none is handed out after it.
        let next = {
            let assigned = self.shared.assigned();
            let next = records.next().filter(|_| assigned.get(tp) == Some(number));
            if let Some(r) = &next {
                self.shared.consumed().insert(
                    tp.clone(),
                    Position {
                        offset: r.offset + 1,
                        epoch: r.leader_epoch,
                    },
                );
            }
            next
        };
        match next {
            Some(r) => Some(record_of(tp, r)),
            None => {
                self.current = None;
                None
            }
        }
    }

    /// Makes `item` the batch at hand, or returns the end-of-partition event it is (when the
    /// partition is still this consumer's), or its error.
    fn take(&mut self, item: Item) -> Result<Option<ConsumerEvent>, Error> {
        match item {
            Item::Records {
                partition,
                assignment,
                records,
                bytes,
            } => {
                self.shared.buffered.fetch_sub(bytes, Ordering::Relaxed);
                self.shared.drained.notify_one();
                self.current = Some((partition, assignment, records.into_iter()));
                Ok(None)
            }
            Item::Eof {
                partition,
                assignment,
                offset,
            } => {
                let current = self.shared.assigned().get(&partition) == Some(&assignment);
                Ok(current.then_some(ConsumerEvent::PartitionEof { partition, offset }))
            }
            Item::Failed(e) => Err(e),
        }
    }

    /// Reads `partition` (assigned to this consumer) from `offset` next; records already
    /// fetched from it are dropped. A commit then commits `offset`.
    pub async fn seek(&self, partition: TopicPartition, offset: i64) -> Result<(), Error> {
        self.ask(|reply| TaskCommand::Seek {
            partition,
            offset,
            reply,
        })
        .await
    }

    /// Seeks `partition` to the first record at or after `timestamp` (ms since the epoch), or
    /// to its end when there is none.
    pub async fn seek_to_timestamp(
        &self,
        partition: TopicPartition,
        timestamp: i64,
    ) -> Result<(), Error> {
        use crate::basic::{list_offset, OffsetSpec};
        let (topic, p) = (&partition.topic, partition.partition);
        let mut offset =
            list_offset(&self.client, topic, p, OffsetSpec::Timestamp(timestamp)).await?;
        if offset < 0 {
            offset = list_offset(&self.client, topic, p, OffsetSpec::Latest).await?;
        }
        self.seek(partition, offset).await
    }

    /// Stops fetching `partitions` (assigned to this consumer); what was fetched and not yet
    /// received comes again after [`resume`](Self::resume). A partition stays paused across
    /// rebalances while this consumer keeps it.
    pub async fn pause(&self, partitions: Vec<TopicPartition>) -> Result<(), Error> {
        self.ask(|reply| TaskCommand::Pause {
            partitions,
            paused: true,
            reply,
        })
        .await
    }

    /// Fetches `partitions` again.
    pub async fn resume(&self, partitions: Vec<TopicPartition>) -> Result<(), Error> {
        self.ask(|reply| TaskCommand::Pause {
            partitions,
            paused: false,
            reply,
        })
        .await
    }

    /// The group's committed offsets for `partitions` (`None`: nothing committed), retried as
    /// [`commit`](Self::commit) is.
    pub async fn committed(
        &self,
        partitions: Vec<TopicPartition>,
    ) -> Result<BTreeMap<TopicPartition, Option<crate::group::OffsetAndMetadata>>, Error> {
        self.retrying(ApiKey::OffsetFetch, || {
            let partitions = partitions.clone();
            self.ask(|reply| TaskCommand::Committed { partitions, reply })
        })
        .await
    }

    /// Sends a command to the task and waits for its answer.
    pub(super) async fn ask<T>(
        &self,
        command: impl FnOnce(oneshot::Sender<Result<T, Error>>) -> TaskCommand,
    ) -> Result<T, Error> {
        let (reply, rx) = oneshot::channel();
        self.send_command(command(reply))?;
        rx.await.map_err(|_| Error::Closed)?
    }

    /// Sends a command to the task (`Closed` before subscribe/assign or after close).
    pub(super) fn send_command(&self, command: TaskCommand) -> Result<(), Error> {
        let running = self.running.as_ref().ok_or(Error::Closed)?;
        running.commands.send(command).map_err(|_| Error::Closed)
    }

    /// Commits (with auto commit on) and leaves the group; records not yet received are
    /// dropped (their offsets are not committed).
    pub async fn close(mut self) -> Result<(), Error> {
        let Some(running) = self.running.take() else {
            return Ok(());
        };
        // The task may be waiting to hand over fetched records: dropping the receiver frees it.
        drop(running.items);
        let (reply, rx) = oneshot::channel();
        let sent = running.commands.send(TaskCommand::Close(reply)).is_ok();
        let result = if sent {
            rx.await.unwrap_or(Err(Error::Closed))
        } else {
            Ok(())
        };
        let _ = running.task.await;
        result
    }
}
