//! The task behind a [`Consumer`](super::Consumer): it follows the group's events, knows each
//! owned partition's position, keeps one Fetch in flight per partition leader, hands the
//! records over (waiting while the application is behind: the hand-over channel is bounded),
//! and commits.
//!
//! - **Assigned**: positions come from the group's committed offsets, else from
//!   `auto.offset.reset` (earliest or latest: ListOffsets; none: an error to the application).
//! - **Revoked**: with auto commit, the received offsets of the revoked partitions are
//!   committed before the revocation is acknowledged; their positions are dropped.
//! - **Lost**: positions dropped, nothing committed (another member may own them).
//! - A partition's OFFSET_OUT_OF_RANGE resets it by `auto.offset.reset`; a leader change or
//!   a failed request makes the client look at metadata again and that leader wait
//!   `retry.backoff.ms`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use futures::stream::FuturesUnordered;
use futures::StreamExt;
use ottla_protocol::records::ConsumedRecord;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::config::{ConsumerConfig, OffsetReset};
use super::handle::{Position, Shared};
use super::listener::{Rebalance, RebalanceListener};
use super::owner::Owner;
use crate::basic::{list_offset, FetchSession, OffsetSpec};
use crate::error::Error;
use crate::group::{GroupEvent, OffsetAndMetadata, TopicPartition};
use crate::Client;

/// What the task hands the application.
#[derive(Debug)]
pub(crate) enum Item {
    /// Records of one partition, in offset order, fetched under assignment number
    /// `assignment`.
    Records {
        partition: TopicPartition,
        assignment: u64,
        records: Vec<ConsumedRecord>,
        /// Their size as [`Shared::buffered`] counts it.
        bytes: usize,
    },
    /// `partition`'s position reached its end (`enable.partition.eof`): `offset` is the
    /// end, and nothing more is there for now.
    Eof {
        partition: TopicPartition,
        assignment: u64,
        offset: i64,
    },
    /// The consumer cannot go on (the group failed, or a position could not be set).
    Failed(Error),
}

/// What the handle asks of the task.
#[derive(Debug)]
pub(crate) enum TaskCommand {
    Commit(oneshot::Sender<Result<(), Error>>),
    /// Commit these offsets (the application's own).
    CommitOffsets {
        offsets: BTreeMap<TopicPartition, OffsetAndMetadata>,
        reply: oneshot::Sender<Result<(), Error>>,
    },
    Close(oneshot::Sender<Result<(), Error>>),
    /// Read `partition` from `offset` next (records fetched before are dropped).
    Seek {
        partition: TopicPartition,
        offset: i64,
        reply: oneshot::Sender<Result<(), Error>>,
    },
    /// Stop (true) or start again (false) fetching these partitions.
    Pause {
        partitions: Vec<TopicPartition>,
        paused: bool,
        reply: oneshot::Sender<Result<(), Error>>,
    },
    Committed {
        partitions: Vec<TopicPartition>,
        reply: oneshot::Sender<Result<BTreeMap<TopicPartition, Option<OffsetAndMetadata>>, Error>>,
    },
}

/// The assignment number of a partition being revoked: no batch carries it.
const REVOKING: u64 = u64::MAX;

/// The key of [`State::retry_at`] for partitions whose leader is not known yet.
const NO_LEADER: i32 = i32::MIN;

mod fetching;

type Fetching = Pin<Box<dyn Future<Output = fetching::Fetched> + Send>>;

struct State {
    client: Client,
    config: ConsumerConfig,
    shared: Arc<Shared>,
    items: mpsc::Sender<Item>,
    /// The next offset to fetch per owned partition, with the epoch of the record before it.
    positions: BTreeMap<TopicPartition, Position>,
    /// Received offsets as last committed.
    committed: BTreeMap<TopicPartition, i64>,
    next_assignment: u64,
    /// Brokers with a Fetch in flight.
    in_flight: HashSet<i32>,
    /// Brokers waiting `retry.backoff.ms` after a failure.
    retry_at: HashMap<i32, Instant>,
    /// Each broker's fetch session (KIP-227); out of the map while its Fetch is in flight.
    sessions: HashMap<i32, FetchSession>,
    /// Partitions read from a replica other than the leader (KIP-392), until when.
    preferred: HashMap<TopicPartition, (i32, Instant)>,
    app_gone: bool,
    listener: Option<Arc<dyn RebalanceListener>>,
    /// Where each partition's last end-of-partition event was (`enable.partition.eof`):
    /// one per arrival at the end.
    eof_at: HashMap<TopicPartition, i64>,
    /// A metadata refresh running beside the task: the task never waits for one (a refresh
    /// that times out on a dead broker would hold up commits and every other fetch).
    refreshing: Option<tokio::task::JoinHandle<()>>,
}

pub(crate) async fn run(
    client: Client,
    config: ConsumerConfig,
    listener: Option<Arc<dyn RebalanceListener>>,
    mut group: Owner,
    pattern: Option<regex::Regex>,
    shared: Arc<Shared>,
    (items, mut commands): (mpsc::Sender<Item>, mpsc::UnboundedReceiver<TaskCommand>),
) {
    let mut auto_commit = tokio::time::interval(config.auto_commit_interval);
    auto_commit.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut s = State {
        client,
        config,
        shared,
        items,
        positions: BTreeMap::new(),
        committed: BTreeMap::new(),
        next_assignment: 0,
        in_flight: HashSet::new(),
        retry_at: HashMap::new(),
        sessions: HashMap::new(),
        preferred: HashMap::new(),
        app_gone: false,
        listener,
        eof_at: HashMap::new(),
        refreshing: None,
    };
    let mut fetches: FuturesUnordered<Fetching> = FuturesUnordered::new();
    let mut handle_open = true;
    // A pattern subscription is matched against the cluster's topics now and every
    // metadata.max.age.ms.
    let mut pattern_check = tokio::time::interval(s.client.config().metadata_max_age);
    let mut matched: Option<Vec<Arc<str>>> = None;
    loop {
        // Past queued.max.messages.kbytes, no new Fetch until the application takes a batch.
        let full = s.shared.buffered.load(Ordering::Relaxed) >= s.config.max_buffered_bytes;
        if !full {
            for fetch in s.start_fetches().await {
                fetches.push(fetch);
            }
        }
        let next_retry = s.retry_at.values().min().copied();
        tokio::select! {
            event = group.event() => match event {
                Some(event) => {
                    if let Err(e) = s.on_group_event(&group, event).await {
                        s.fail(e).await;
                    }
                }
                None => break,
            },
            Some(fetched) = fetches.next(), if !fetches.is_empty() => {
                s.in_flight.remove(&fetched.0);
                s.on_fetched(fetched).await;
            }
            () = s.shared.drained.notified(), if full => {}
            _ = pattern_check.tick(), if pattern.is_some() => {
                if let Some(re) = &pattern {
                    s.match_pattern(re, &group, &mut matched).await;
                }
            }
            _ = auto_commit.tick(), if s.config.enable_auto_commit => {
                if let Err(e) = s.commit_consumed(&group, None).await {
                    tracing::debug!(error = %e, "auto commit failed; the next one tries again");
                }
            }
            () = sleep_until(next_retry), if next_retry.is_some() => {
                let now = Instant::now();
                s.retry_at.retain(|_, at| *at > now);
            }
            command = commands.recv(), if handle_open => match command {
                Some(TaskCommand::Commit(reply)) => {
                    let _ = reply.send(s.commit_consumed(&group, None).await);
                }
                Some(TaskCommand::CommitOffsets { offsets, reply }) => {
                    let _ = reply.send(s.commit_offsets(&group, offsets).await);
                }
                Some(TaskCommand::Seek { partition, offset, reply }) => {
                    let _ = reply.send(s.seek(partition, Position::at(offset)));
                }
                Some(TaskCommand::Pause { partitions, paused, reply }) => {
                    let _ = reply.send(s.pause(partitions, paused));
                }
                Some(TaskCommand::Committed { partitions, reply }) => {
                    let _ = reply.send(group.committed(partitions).await);
                }
                Some(TaskCommand::Close(reply)) => {
                    s.app_gone = true;
                    let committed = if s.config.enable_auto_commit {
                        s.commit_consumed(&group, None).await
                    } else {
                        Ok(())
                    };
                    if let Err(e) = &committed {
                        tracing::warn!(error = %e, "commit on close failed");
                    }
                    group.close();
                    let _ = reply.send(committed);
                    // Go on until the group member has left (its events end).
                    while let Some(event) = group.event().await {
                        let _ = s.on_group_event(&group, event).await;
                    }
                    break;
                }
                None => {
                    // Dropped without close: leave without committing.
                    handle_open = false;
                    s.app_gone = true;
                    group.close();
                }
            },
        }
    }
}

fn not_assigned(tp: &TopicPartition) -> Error {
    Error::UnknownTopicOrPartition {
        topic: tp.topic.to_string(),
        partition: Some(tp.partition),
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

impl State {
    /// Subscribes the member to the topics matching `pattern` when they changed since the
    /// last look (`matched`).
    async fn match_pattern(
        &self,
        pattern: &regex::Regex,
        group: &Owner,
        matched: &mut Option<Vec<Arc<str>>>,
    ) {
        let metadata = match self.client.refresh_metadata().await {
            Ok(m) => m,
            Err(e) => {
                tracing::debug!(error = %e, "metadata for the pattern subscription failed; trying at the next interval");
                return;
            }
        };
        let topics: Vec<Arc<str>> = metadata
            .topics
            .values()
            .filter(|t| !t.is_internal && t.error.is_ok() && pattern.is_match(&t.name))
            .map(|t| Arc::from(t.name.as_str()))
            .collect();
        if matched.as_ref() != Some(&topics) {
            tracing::info!(pattern = %pattern, topics = ?topics, "pattern subscription");
            group.subscribe(topics.clone());
            *matched = Some(topics);
        }
    }

    async fn on_group_event(&mut self, group: &Owner, event: GroupEvent) -> Result<(), Error> {
        match event {
            GroupEvent::Assigned(partitions) => {
                crate::stats::add(&self.shared.counters.rebalances, 1);
                tracing::info!(partitions = partitions.len(), "assignment received");
                if partitions.is_empty() {
                    return Ok(());
                }
                self.next_assignment += 1;
                let number = self.next_assignment;
                let committed = self
                    .retrying(|| group.committed(partitions.clone()))
                    .await?;
                let partitions_copy = partitions.clone();
                for tp in partitions {
                    // A committed epoch makes the first Fetch check the log still holds it.
                    let position = match committed.get(&tp).cloned().flatten() {
                        Some(o) => Position {
                            offset: o.offset,
                            epoch: o.leader_epoch.unwrap_or(-1),
                        },
                        None => Position::at(self.retrying(|| self.reset(&tp)).await?),
                    };
                    self.committed.insert(tp.clone(), position.offset);
                    self.positions.insert(tp.clone(), position);
                    self.shared.consumed().insert(tp.clone(), position);
                    self.shared.assigned().insert(tp, number);
                }
                if let Some(l) = &self.listener {
                    let rebalance = Rebalance {
                        owner: group,
                        shared: &self.shared,
                    };
                    l.on_assigned(&rebalance, &partitions_copy).await;
                }
            }
            GroupEvent::Revoked { partitions, done } => {
                // No record of these partitions is handed out from here on, so the positions
                // committed below are the last the application received.
                self.stop_handing_out(&partitions);
                if self.config.enable_auto_commit {
                    if let Err(e) = self.commit_consumed(group, Some(&partitions)).await {
                        tracing::warn!(error = %e, "commit before revocation failed");
                    }
                }
                if let Some(l) = &self.listener {
                    let rebalance = Rebalance {
                        owner: group,
                        shared: &self.shared,
                    };
                    l.on_revoked(&rebalance, &partitions).await;
                }
                self.forget(&partitions);
                done.done();
            }
            GroupEvent::Lost(partitions) => {
                if let Some(l) = &self.listener {
                    let rebalance = Rebalance {
                        owner: group,
                        shared: &self.shared,
                    };
                    l.on_lost(&rebalance, &partitions).await;
                }
                self.forget(&partitions);
            }
            GroupEvent::Failed(e) => return Err(e),
        }
        Ok(())
    }

    /// Marks `partitions` as being revoked: still assigned (their positions can be
    /// committed), but no record of them goes to the application any more.
    fn stop_handing_out(&self, partitions: &[TopicPartition]) {
        let mut assigned = self.shared.assigned();
        for tp in partitions {
            if let Some(number) = assigned.get_mut(tp) {
                *number = REVOKING;
            }
        }
    }

    fn forget(&mut self, partitions: &[TopicPartition]) {
        let mut assigned = self.shared.assigned();
        let mut consumed = self.shared.consumed();
        let mut paused = self.shared.paused();
        for tp in partitions {
            self.positions.remove(tp);
            self.committed.remove(tp);
            assigned.remove(tp);
            consumed.remove(tp);
            paused.remove(tp);
            self.shared.ends().remove(tp);
        }
    }

    /// The next record of `tp` handed out is the one at `offset`; what was fetched before is
    /// dropped (its assignment number changes).
    fn seek(&mut self, tp: TopicPartition, at: Position) -> Result<(), Error> {
        let mut assigned = self.shared.assigned();
        let Some(number) = assigned.get_mut(&tp) else {
            return Err(not_assigned(&tp));
        };
        self.next_assignment += 1;
        *number = self.next_assignment;
        self.positions.insert(tp.clone(), at);
        self.shared.consumed().insert(tp, at);
        Ok(())
    }

    /// Pausing also rewinds each partition to what the application has received, so records
    /// fetched but not handed out come again after the resume.
    fn pause(&mut self, partitions: Vec<TopicPartition>, pause: bool) -> Result<(), Error> {
        if let Some(tp) = partitions
            .iter()
            .find(|tp| !self.positions.contains_key(*tp))
        {
            return Err(not_assigned(tp));
        }
        for tp in partitions {
            if pause {
                let position = self.shared.consumed().get(&tp).copied();
                if let Some(at) = position {
                    self.seek(tp.clone(), at)?;
                }
                self.shared.paused().insert(tp);
            } else {
                self.shared.paused().remove(&tp);
            }
        }
        Ok(())
    }

    /// Runs `op` until it succeeds, fails for good, or a minute (the Java client's
    /// `default.api.timeout.ms`) has passed: a new topic's leader, or a coordinator still
    /// loading, answers with retriable errors for a moment.
    async fn retrying<T, F, Fut>(&self, mut op: F) -> Result<T, Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let deadline = Instant::now() + std::time::Duration::from_secs(60);
        let mut failures = 0u32;
        loop {
            match op().await {
                Err(e) if e.is_retriable() && Instant::now() < deadline => {
                    failures += 1;
                    tracing::debug!(error = %e, "retrying");
                    self.client.invalidate_metadata();
                    tokio::time::sleep(self.config.retry_backoff.delay_with(failures, 1.0)).await;
                }
                result => return result,
            }
        }
    }

    /// Where `tp` starts without a committed offset (`auto.offset.reset`).
    async fn reset(&self, tp: &TopicPartition) -> Result<i64, Error> {
        let spec = match self.config.auto_offset_reset {
            OffsetReset::Earliest => OffsetSpec::Earliest,
            OffsetReset::Latest => OffsetSpec::Latest,
            OffsetReset::Timestamp(at) => OffsetSpec::Timestamp(at),
            OffsetReset::ByDuration(d) => {
                let back = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
                OffsetSpec::Timestamp(crate::clock::now_ms().saturating_sub(back).max(0))
            }
            OffsetReset::None => {
                return Err(Error::Config(crate::ConfigError::invalid(
                    "auto.offset.reset",
                    "none",
                    format!("a committed offset for {tp}, which the group does not have"),
                )))
            }
        };
        match list_offset(&self.client, &tp.topic, tp.partition, spec).await? {
            // Nothing written at or after the time: the end (KIP-1106).
            -1 => list_offset(&self.client, &tp.topic, tp.partition, OffsetSpec::Latest).await,
            offset => Ok(offset),
        }
    }

    /// Commits what the application received (of `only`, when given) that changed since the
    /// last commit.
    async fn commit_consumed(
        &mut self,
        group: &Owner,
        only: Option<&[TopicPartition]>,
    ) -> Result<(), Error> {
        let changed: BTreeMap<TopicPartition, Position> = {
            let assigned = self.shared.assigned();
            self.shared
                .consumed()
                .iter()
                .filter(|(tp, _)| assigned.contains_key(*tp))
                .filter(|(tp, _)| only.is_none_or(|o| o.contains(tp)))
                .filter(|(tp, p)| self.committed.get(*tp) != Some(&p.offset))
                .map(|(tp, &p)| (tp.clone(), p))
                .collect()
        };
        if changed.is_empty() {
            return Ok(());
        }
        // With the epoch of the last record read, so whoever resumes from this commit can
        // tell whether the log was truncated under it (KIP-320).
        let offsets = changed
            .iter()
            .map(|(tp, p)| {
                let mut o = OffsetAndMetadata::new(p.offset);
                o.leader_epoch = (p.epoch >= 0).then_some(p.epoch);
                (tp.clone(), o)
            })
            .collect();
        group.commit(offsets).await?;
        self.committed
            .extend(changed.into_iter().map(|(tp, p)| (tp, p.offset)));
        Ok(())
    }

    /// Commits the application's `offsets`; what auto commit compares against follows them.
    async fn commit_offsets(
        &mut self,
        group: &Owner,
        offsets: BTreeMap<TopicPartition, OffsetAndMetadata>,
    ) -> Result<(), Error> {
        let done: Vec<(TopicPartition, i64)> = offsets
            .iter()
            .map(|(tp, o)| (tp.clone(), o.offset))
            .collect();
        group.commit(offsets).await?;
        self.committed.extend(done);
        Ok(())
    }

    async fn hand_over(&mut self, item: Item) {
        if self.app_gone {
            return;
        }
        if self.items.send(item).await.is_err() {
            self.app_gone = true;
        }
    }

    async fn fail(&mut self, e: Error) {
        tracing::warn!(error = %e, "consumer failed");
        self.positions.clear();
        self.hand_over(Item::Failed(e)).await;
    }
}
