//! A consumer group member in its own task: it runs a group protocol's state machine (the
//! classic [`Membership`](super::classic::Membership) or KIP-848's
//! [`Membership`](super::kip848::Membership)) against the group coordinator on a
//! connection of its own (Kafka answers a connection's requests in turn, and a JoinGroup
//! waits there for the whole group), and hands the application what it is assigned, what it must
//! give up, and what it lost. Heartbeats go on whatever the application does; only
//! `max.poll.interval.ms` without a call to [`GroupMember::next_event`] or
//! [`GroupMember::polled`] takes the member out of the group.
//!
//! The consumer builds on this; it is public for applications that do their own fetching.
//!
//! ```no_run
//! # async fn run(client: ottla::Client, config: ottla::group::classic::MembershipConfig) {
//! use ottla::group::{GroupEvent, GroupMember};
//! let mut member = GroupMember::start(client, config, ["orders"]);
//! while let Some(event) = member.next_event().await {
//!     match event {
//!         GroupEvent::Assigned(partitions) => println!("now reading {partitions:?}"),
//!         GroupEvent::Revoked { partitions, done } => {
//!             // Commit the offsets of `partitions` here; they are still ours.
//!             done.done();
//!         }
//!         GroupEvent::Lost(partitions) => println!("lost {partitions:?}"),
//!         GroupEvent::Failed(e) => eprintln!("{e}"),
//!     }
//! }
//! # }
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tracing::Instrument;

use ottla_protocol::messages::ApiKey;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::classic;
use super::machine::{GroupConfig, Incoming, Machine, Outgoing, Step, Versions};
use super::offsets::{self, OffsetAndMetadata};
use super::TopicPartition;
use crate::cluster::{find_coordinator, CoordinatorKind};
use crate::connection::BrokerConnection;
use crate::error::Error;
use crate::Client;

/// What happened to the member's partitions.
#[derive(Debug)]
pub enum GroupEvent {
    /// These partitions are now this member's.
    Assigned(Vec<TopicPartition>),
    /// These partitions go elsewhere: they are still this member's until `done` is called or
    /// dropped (commit their offsets before), and the member does not rejoin or leave before.
    Revoked {
        /// The partitions given up.
        partitions: Vec<TopicPartition>,
        /// Lets the member go on.
        done: RevocationDone,
    },
    /// These partitions were taken away without a rebalance: another member may own them
    /// already, so their offsets cannot be committed.
    Lost(Vec<TopicPartition>),
    /// The member cannot go on; no event follows.
    Failed(Error),
}

/// Tells the member the application is done with a revocation (also when dropped).
#[derive(Debug)]
pub struct RevocationDone(Option<oneshot::Sender<()>>);

impl RevocationDone {
    /// Done: the member may rejoin or leave.
    pub fn done(mut self) {
        if let Some(tx) = self.0.take() {
            let _ = tx.send(());
        }
    }
}

type Committed = BTreeMap<TopicPartition, Option<OffsetAndMetadata>>;

#[derive(Debug)]
enum Command {
    Polled,
    Leave,
    Subscribe(BTreeSet<Arc<str>>),
    Commit {
        offsets: BTreeMap<TopicPartition, OffsetAndMetadata>,
        reply: oneshot::Sender<Result<(), Error>>,
    },
    Committed {
        partitions: Vec<TopicPartition>,
        reply: oneshot::Sender<Result<Committed, Error>>,
    },
}

/// Tells a [`GroupMember`] the application polls (see [`GroupMember::poll_handle`]).
#[derive(Debug, Clone)]
pub(crate) struct PollHandle {
    commands: mpsc::UnboundedSender<Command>,
    waiting: Arc<AtomicBool>,
}

impl PollHandle {
    /// The application polled.
    pub fn polled(&self) {
        let _ = self.commands.send(Command::Polled);
    }

    /// The application is waiting for records (that counts as polling) or not.
    pub fn waiting(&self, waiting: bool) {
        self.waiting.store(waiting, Ordering::Relaxed);
        self.polled();
    }
}

/// A running group member (see the module doc).
pub struct GroupMember {
    commands: mpsc::UnboundedSender<Command>,
    events: mpsc::Receiver<GroupEvent>,
    /// Set while the application waits in [`next_event`](Self::next_event): waiting for the
    /// group counts as polling.
    waiting: Arc<AtomicBool>,
    task: JoinHandle<()>,
}

impl fmt::Debug for GroupMember {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupMember")
            .field("running", &!self.task.is_finished())
            .finish_non_exhaustive()
    }
}

impl GroupMember {
    /// Starts a member of the configured group subscribing to `topics`, with the classic
    /// protocol ([`MembershipConfig`](super::classic::MembershipConfig)) or KIP-848's
    /// ([`kip848::MembershipConfig`](super::kip848::MembershipConfig)).
    pub fn start<T: Into<Arc<str>>>(
        client: Client,
        config: impl Into<GroupConfig>,
        topics: impl IntoIterator<Item = T>,
    ) -> Self {
        let (commands, command_rx) = mpsc::unbounded_channel();
        let (event_tx, events) = mpsc::channel(16);
        let topics = topics.into_iter().map(Into::into).collect();
        let membership = Machine::new(config.into(), Instant::now(), topics);
        let waiting = Arc::new(AtomicBool::new(false));
        let task = tokio::spawn(run(
            client,
            membership,
            command_rx,
            event_tx,
            Arc::clone(&waiting),
        ));
        Self {
            commands,
            events,
            waiting,
            task,
        }
    }

    /// The next event; `None` once the member has left (or failed and said so). Counts as a
    /// poll for `max.poll.interval.ms`.
    pub async fn next_event(&mut self) -> Option<GroupEvent> {
        self.polled();
        self.waiting.store(true, Ordering::Relaxed);
        let event = self.events.recv().await;
        self.waiting.store(false, Ordering::Relaxed);
        self.polled();
        event
    }

    /// The application is alive and polling (`max.poll.interval.ms` starts again).
    pub fn polled(&self) {
        let _ = self.commands.send(Command::Polled);
    }

    /// A handle that tells the member the application polls, for a consumer whose
    /// application reads records elsewhere than [`next_event`](Self::next_event).
    pub(crate) fn poll_handle(&self) -> PollHandle {
        PollHandle {
            commands: self.commands.clone(),
            waiting: Arc::clone(&self.waiting),
        }
    }

    /// The next event, without counting as a poll (the consumer's task reads them).
    pub(crate) async fn event(&mut self) -> Option<GroupEvent> {
        self.events.recv().await
    }

    /// Replaces the subscription (the classic protocol rejoins when it changed; KIP-848's
    /// next heartbeat says so).
    pub fn subscribe<T: Into<Arc<str>>>(&self, topics: impl IntoIterator<Item = T>) {
        let topics = topics.into_iter().map(Into::into).collect();
        let _ = self.commands.send(Command::Subscribe(topics));
    }

    /// Starts leaving: a [`GroupEvent::Revoked`] for what is owned follows, then the member
    /// sends LeaveGroup (dynamic members) and the events end.
    pub fn close(&self) {
        let _ = self.commands.send(Command::Leave);
    }

    /// Commits `offsets` as a member of the current generation (OffsetCommit to the
    /// coordinator). Fails with ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID or
    /// REBALANCE_IN_PROGRESS when the group has moved on, and with a retriable error while the
    /// coordinator is not known.
    pub async fn commit(
        &self,
        offsets: BTreeMap<TopicPartition, OffsetAndMetadata>,
    ) -> Result<(), Error> {
        let (reply, rx) = oneshot::channel();
        self.commands
            .send(Command::Commit { offsets, reply })
            .map_err(|_| Error::Closed)?;
        rx.await.map_err(|_| Error::Closed)?
    }

    /// The group's committed offsets for `partitions` (`None`: nothing committed), waiting
    /// for offsets of open transactions to settle.
    pub async fn committed(&self, partitions: Vec<TopicPartition>) -> Result<Committed, Error> {
        let (reply, rx) = oneshot::channel();
        self.commands
            .send(Command::Committed { partitions, reply })
            .map_err(|_| Error::Closed)?;
        rx.await.map_err(|_| Error::Closed)?
    }

    /// Leaves the group and waits until it has (revocations are acknowledged at once).
    pub async fn leave(mut self) -> Result<(), Error> {
        self.close();
        let mut failed = None;
        while let Some(event) = self.events.recv().await {
            match event {
                GroupEvent::Revoked { done, .. } => done.done(),
                GroupEvent::Failed(e) => failed = Some(e),
                GroupEvent::Assigned(_) | GroupEvent::Lost(_) => {}
            }
        }
        let _ = (&mut self.task).await;
        failed.map_or(Ok(()), Err)
    }
}

impl Drop for GroupMember {
    fn drop(&mut self) {
        // Dropped without `leave`: leave anyway, without waiting.
        let _ = self.commands.send(Command::Leave);
    }
}

type Pending<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// What the task is waiting for besides commands and the clock.
#[derive(Default)]
struct Waits {
    lookup: Option<Pending<Result<(BrokerConnection, Versions), Error>>>,
    request: Option<(u64, Pending<Result<Incoming, Error>>)>,
    revocation: Option<oneshot::Receiver<()>>,
}

async fn run(
    client: Client,
    mut m: Machine,
    mut commands: mpsc::UnboundedReceiver<Command>,
    events: mpsc::Sender<GroupEvent>,
    waiting: Arc<AtomicBool>,
) {
    let group = m.group_id().to_owned();
    let mut coordinator: Option<BrokerConnection> = None;
    let mut waits = Waits::default();
    let mut app_gone = false;
    loop {
        let now = Instant::now();
        if waiting.load(Ordering::Relaxed) {
            m.app_polled(now);
        }
        let action = m.poll(now);
        tracing::trace!(group = %group, phase = m.phase(), "group member");
        let deadline = match action {
            Step::FindCoordinator => {
                let (client, group) = (client.clone(), group.clone());
                let conn = async move {
                    let node = find_coordinator(&client, CoordinatorKind::Group, &group).await?;
                    client.open_connection(node).await
                };
                waits.lookup = Some(Box::pin(conn_versions(conn, &m)));
                continue;
            }
            Step::Send { token, request } => {
                let Some(conn) = coordinator.clone().filter(|c| !c.is_closed()) else {
                    m.on_response(token, now, Err(not_coordinator(&group)));
                    continue;
                };
                let timeout = client.config().request_timeout;
                waits.request = Some((
                    token,
                    Box::pin(async move { send(&conn, timeout, request).await }),
                ));
                continue;
            }
            Step::NeedMetadata(topics) => {
                let metadata = metadata(&client, &topics).await;
                m.on_metadata(&topics, metadata.as_deref());
                continue;
            }
            Step::Revoked(partitions) => {
                let span = tracing::info_span!("rebalance", group = %group, event = "revoked");
                span.in_scope(|| {
                    tracing::info!(partitions = partitions.len(), "partitions revoked")
                });
                let (tx, rx) = oneshot::channel();
                let done = RevocationDone(Some(tx));
                waits.revocation = Some(rx);
                if app_gone
                    || events
                        .send(GroupEvent::Revoked { partitions, done })
                        .instrument(span)
                        .await
                        .is_err()
                {
                    app_gone = true;
                    waits.revocation = None;
                    m.revocation_done();
                }
                continue;
            }
            Step::Assigned(partitions) => {
                let span = tracing::info_span!("rebalance", group = %group, event = "assigned");
                span.in_scope(|| {
                    tracing::info!(partitions = partitions.len(), "partitions assigned")
                });
                app_gone |= events
                    .send(GroupEvent::Assigned(partitions))
                    .instrument(span)
                    .await
                    .is_err();
                continue;
            }
            Step::Lost(partitions) => {
                tracing::info_span!("rebalance", group = %group, event = "lost")
                    .in_scope(|| tracing::info!(partitions = partitions.len(), "partitions lost"));
                app_gone |= events.send(GroupEvent::Lost(partitions)).await.is_err();
                continue;
            }
            Step::Failed(e) => {
                let _ = events.send(GroupEvent::Failed(e)).await;
                return;
            }
            Step::Wait(deadline) => deadline,
        };
        if m.has_left() {
            return;
        }
        let sleep = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            command = commands.recv() => match command {
                Some(Command::Polled) => m.app_polled(Instant::now()),
                Some(Command::Subscribe(topics)) => m.subscribe(topics),
                Some(Command::Leave) | None => {
                    app_gone |= events.is_closed();
                    m.leave();
                }
                Some(Command::Commit { offsets, reply }) => {
                    offsets_request(&m, coordinator.as_ref(), Offsets::Commit(offsets, reply));
                }
                Some(Command::Committed { partitions, reply }) => {
                    offsets_request(&m, coordinator.as_ref(), Offsets::Fetch(partitions, reply));
                }
            },
            found = settle(waits.lookup.as_mut()) => {
                waits.lookup = None;
                match found {
                    Ok((conn, versions)) => {
                        coordinator = Some(conn);
                        m.coordinator_found(versions);
                    }
                    Err(e) => {
                        coordinator = None;
                        m.coordinator_unavailable(Instant::now(), e);
                    }
                }
            }
            answer = settle(waits.request.as_mut().map(|(_, r)| r)) => {
                if let Some((token, _)) = waits.request.take() {
                    tracing::debug!(group = %group, ?answer, "group coordinator answered");
                    m.on_response(token, Instant::now(), answer);
                }
            }
            _ = settle(waits.revocation.as_mut()) => {
                waits.revocation = None;
                m.revocation_done();
            }
            () = sleep => {}
        }
    }
}

enum Offsets {
    Commit(
        BTreeMap<TopicPartition, OffsetAndMetadata>,
        oneshot::Sender<Result<(), Error>>,
    ),
    Fetch(
        Vec<TopicPartition>,
        oneshot::Sender<Result<Committed, Error>>,
    ),
}

/// Sends an OffsetCommit or OffsetFetch on the member's coordinator connection (beside its
/// group requests) and answers the caller when it returns.
fn offsets_request(m: &Machine, coordinator: Option<&BrokerConnection>, work: Offsets) {
    let who = m.identity();
    let group = who.group_id.to_owned();
    let Some(conn) = coordinator.filter(|c| !c.is_closed()).cloned() else {
        let e = not_coordinator(&group);
        match work {
            Offsets::Commit(_, reply) => drop(reply.send(Err(e))),
            Offsets::Fetch(_, reply) => drop(reply.send(Err(e))),
        }
        return;
    };
    match work {
        Offsets::Commit(offsets, reply) => {
            let version = conn.version_of(ApiKey::OffsetCommit);
            let request = version.map(|v| (v, offsets::commit_request(who, v, &offsets)));
            tokio::spawn(async move {
                let result = async {
                    let (version, request) = request?;
                    let response = conn.send_versioned(&request, version).await?;
                    offsets::commit_result(&group, &response)
                };
                let _ = reply.send(result.await);
            });
        }
        Offsets::Fetch(partitions, reply) => {
            tokio::spawn(async move {
                let result = async {
                    let version = conn.version_of(ApiKey::OffsetFetch)?;
                    let request = offsets::fetch_request(&group, version, &partitions, true);
                    let response = conn.send_versioned(&request, version).await?;
                    offsets::fetch_result(&group, version, &response)
                };
                let _ = reply.send(result.await);
            });
        }
    }
}

/// What `future` gives, or never when there is none.
async fn settle<F: Future + Unpin>(future: Option<&mut F>) -> F::Output {
    match future {
        Some(f) => f.await,
        None => std::future::pending().await,
    }
}

fn not_coordinator(group: &str) -> Error {
    Error::Kafka {
        api: ApiKey::FindCoordinator,
        code: ottla_protocol::error_code::ErrorCode::COORDINATOR_NOT_AVAILABLE,
        context: format!("group {group}"),
        message: None,
    }
}

/// The coordinator connection `conn` gives, with the versions `m` needs of it; a future
/// that owns what it needs, so the member task can poll it beside its other work.
fn conn_versions(
    conn: impl Future<Output = Result<BrokerConnection, Error>> + Send + 'static,
    m: &Machine,
) -> impl Future<Output = Result<(BrokerConnection, Versions), Error>> + Send + 'static {
    let consumer = matches!(m, Machine::Consumer(_));
    let group = m.group_id().to_owned();
    async move {
        let conn = conn.await?;
        let versions = if consumer {
            Versions::Consumer(
                conn.version_of(ApiKey::ConsumerGroupHeartbeat)
                    .map_err(|_| super::kip848::unsupported(&group))?,
            )
        } else {
            Versions::Classic(classic::GroupVersions {
                join: conn.version_of(ApiKey::JoinGroup)?,
                sync: conn.version_of(ApiKey::SyncGroup)?,
                heartbeat: conn.version_of(ApiKey::Heartbeat)?,
                leave: conn.version_of(ApiKey::LeaveGroup)?,
            })
        };
        Ok((conn, versions))
    }
}

async fn send(
    conn: &BrokerConnection,
    request_timeout: std::time::Duration,
    request: Outgoing,
) -> Result<Incoming, Error> {
    use classic::{Request, Response};
    let request = match request {
        Outgoing::Consumer(r) => {
            let answer = conn.send_versioned(&r.heartbeat, r.version).await?;
            return Ok(Incoming::Consumer(answer));
        }
        Outgoing::Classic(r) => r,
    };
    Ok(Incoming::Classic(match request {
        Request::Join(r) => {
            // JoinGroup waits up to the rebalance timeout for the other members.
            let wait = u64::try_from(r.rebalance_timeout_ms.max(r.session_timeout_ms)).unwrap_or(0);
            let timeout = std::time::Duration::from_millis(wait) + request_timeout;
            let version = conn.version_of(ApiKey::JoinGroup)?;
            Response::Join(conn.send_with_timeout(&r, version, timeout).await?)
        }
        Request::Sync(r) => Response::Sync(conn.send(&r).await?),
        Request::Heartbeat(r) => Response::Heartbeat(conn.send(&r).await?),
        Request::Leave(r) => Response::Leave(conn.send(&r).await?),
    }))
}

/// Fresh metadata for `topics`, or what is cached when the refresh fails (a topic missing
/// from it gets no assignment).
async fn metadata(
    client: &Client,
    topics: &BTreeSet<Arc<str>>,
) -> Option<Arc<crate::cluster::ClusterMetadata>> {
    let names: Vec<&str> = topics.iter().map(|t| &**t).collect();
    match client.refresh_topics(&names, false).await {
        Ok(m) => Some(m),
        Err(e) => {
            tracing::warn!(error = %e, "metadata for the group's assignment failed; going on with what is cached");
            client.cached()
        }
    }
}
