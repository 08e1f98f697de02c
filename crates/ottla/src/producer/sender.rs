//! The sender task: drains ready batches into one Produce request per broker, on the
//! producer's own connections, and applies the outcomes. It alone does I/O for batches; `send`
//! only appends under the lock.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tracing::Instrument;

use futures::future::BoxFuture;
use futures::stream::{FuturesUnordered, StreamExt};
use futures::FutureExt;
use ottla_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use ottla_protocol::messages::{
    ApiKey, ProduceRequest, ProduceResponse, TopicName, TransactionalId,
};
use ottla_protocol::records::BatchOptions;
use ottla_protocol::StrBytes;
use tokio::sync::Notify;
use tokio::time::Instant;

use super::accumulator::{Accumulator, Identity};
use super::batch::Batch;
use super::config::ProducerConfig;
use super::coordinator;
use super::outcome::Verdict;
use crate::basic::Acks;
use crate::connection::BrokerConnection;
use crate::error::Error;
use crate::Client;

/// What the producer handles and the sender task share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub config: ProducerConfig,
    pub client: Client,
    pub acc: Mutex<Accumulator>,
    /// Wakes the sender: a batch started or closed, a flush, a close.
    pub wake: Notify,
    /// Wakes `send`s waiting for buffer space.
    pub room: Notify,
}

impl Shared {
    /// The transaction coordinator: `known`, or, when the last try said it moved, looked up
    /// again and remembered.
    pub async fn txn_coordinator(&self, refind: bool, known: i32) -> Result<i32, Error> {
        if !refind {
            return Ok(known);
        }
        let txn_id = self.config.transactional_id.as_deref().unwrap_or_default();
        let node = coordinator::find_coordinator(
            &self.client,
            coordinator::CoordinatorKind::Transaction,
            txn_id,
        )
        .await?;
        if let Some(t) = self.lock().txn.as_mut() {
            t.coordinator = Some(node);
        }
        Ok(node)
    }

    pub fn lock(&self) -> MutexGuard<'_, Accumulator> {
        // Every update under this lock leaves the accumulator consistent between statements
        // that can panic only on bugs; recover rather than poison every later send.
        self.acc.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Something the sender task waited for.
enum Event {
    Produced {
        broker: i32,
        batches: Vec<Batch>,
        result: Result<Option<ProduceResponse>, Error>,
    },
    /// A produce connection to this node was opened (`true`) or could not be.
    Connected(i32, bool),
    /// A metadata refresh ended (`true`: it succeeded).
    MetadataRefreshed(bool),
    TxnAdded {
        partitions: Vec<(Arc<str>, i32)>,
        result: Result<(), Error>,
    },
    Bumped(Result<Identity, Error>),
    /// Nothing to apply (a request whose every batch failed to encode).
    Nothing,
}

/// Runs until the producer is closed and everything is delivered or failed.
pub(crate) async fn run(shared: Arc<Shared>) {
    let config = &shared.config;
    let client = &shared.client;
    let mut pending: FuturesUnordered<BoxFuture<'static, Event>> = FuturesUnordered::new();
    let mut connecting: HashSet<i32> = HashSet::new();
    let mut refreshing = false;
    // A response said leaders moved or a topic is unknown.
    let mut refresh_wanted = false;
    let mut bumping = false;
    let options = BatchOptions {
        compression: config.compression,
        compression_level: config.compression_level,
        ..BatchOptions::default()
    };
    loop {
        let now = Instant::now();
        let metadata = client.cached();
        let connections: HashMap<i32, BrokerConnection> = metadata
            .as_ref()
            .map(|m| {
                m.brokers
                    .keys()
                    .filter_map(|id| client.existing_produce_connection(*id).map(|c| (*id, c)))
                    .collect()
            })
            .unwrap_or_default();
        let mut next_wake;
        loop {
            let drained = shared
                .lock()
                .drain(now, config, metadata.as_deref(), &|id| {
                    connections.contains_key(&id)
                });
            next_wake = drained.next_wake;
            if (drained.need_metadata || refresh_wanted) && !refreshing {
                refresh_wanted = false;
                refreshing = true;
                client.invalidate_metadata();
                let c = client.clone();
                pending.push(
                    async move {
                        let result = c.metadata().await;
                        if let Err(e) = &result {
                            tracing::debug!(error = %e, "producer metadata refresh failed");
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                        Event::MetadataRefreshed(result.is_ok())
                    }
                    .boxed(),
                );
            }
            for node in drained.need_connection {
                if connecting.insert(node) {
                    let c = client.clone();
                    pending.push(
                        async move {
                            let result = c.produce_connection(node).await;
                            if let Err(e) = &result {
                                tracing::debug!(node, error = %e, "produce connection failed");
                            }
                            Event::Connected(node, result.is_ok())
                        }
                        .boxed(),
                    );
                }
            }
            if !drained.need_txn_add.is_empty() {
                pending.push(add_to_txn(&shared, drained.need_txn_add));
            }
            if drained.requests.is_empty() {
                break;
            }
            for (broker, batches) in drained.requests {
                let Some(conn) = connections.get(&broker) else {
                    continue;
                };
                match start_request(&shared, conn, broker, batches, &options) {
                    Started::Sent(f) => pending.push(f),
                    Started::Failed(batches, e) => {
                        let follow = shared.lock().finish_request(
                            broker,
                            batches,
                            Err(e),
                            Instant::now(),
                            config,
                        );
                        if follow.released {
                            shared.room.notify_waiters();
                        }
                    }
                }
            }
        }
        let (bump_now, done) = {
            let acc = shared.lock();
            let in_flight: usize = acc.broker_in_flight.values().sum();
            let bump = config.idempotence
                && acc.bump_needed
                && in_flight == 0
                && !bumping
                && acc.fatal.is_none();
            let done = acc.closing && acc.is_idle() && pending.is_empty();
            (
                bump.then_some((acc.identity, acc.txn.as_ref().and_then(|t| t.coordinator))),
                done,
            )
        };
        if done {
            tracing::debug!("producer sender finished");
            return;
        }
        if let Some((current, coordinator)) = bump_now {
            bumping = true;
            let c = client.clone();
            let txn_id = config.transactional_id.clone();
            let timeout = config.transaction_timeout;
            pending.push(
                async move {
                    // An idempotent producer bumps its own epoch (KIP-360); only when the
                    // epoch is used up, or for a transactional producer, does the broker
                    // hand one out.
                    let local = match (&txn_id, current) {
                        (None, Some(id)) if id.epoch < i16::MAX - 1 => Some(Identity {
                            producer_id: id.producer_id,
                            epoch: id.epoch + 1,
                        }),
                        _ => None,
                    };
                    let result = match local {
                        Some(id) => Ok(id),
                        None => {
                            let current = if txn_id.is_some() { current } else { None };
                            coordinator::init_producer_id(
                                &c,
                                txn_id.as_deref(),
                                coordinator,
                                timeout,
                                current,
                            )
                            .await
                        }
                    };
                    Event::Bumped(result)
                }
                .boxed(),
            );
        }
        let sleep_until = next_wake.unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
        let mut events = Vec::new();
        tokio::select! {
            _ = shared.wake.notified() => {}
            _ = tokio::time::sleep_until(sleep_until) => {}
            Some(e) = pending.next(), if !pending.is_empty() => {
                events.push(e);
                while let Some(Some(e)) = pending.next().now_or_never() {
                    events.push(e);
                }
            }
        }
        let mut released = false;
        for event in events {
            match event {
                Event::Produced {
                    broker,
                    batches,
                    result,
                } => {
                    let follow = shared.lock().finish_request(
                        broker,
                        batches,
                        result,
                        Instant::now(),
                        config,
                    );
                    if follow.refresh_metadata {
                        refresh_wanted = true;
                    }
                    released |= follow.released;
                }
                Event::Nothing => {}
                Event::Connected(node, connected) => {
                    connecting.remove(&node);
                    // The leader may have moved off a broker that cannot be reached (as the
                    // Java producer does on a disconnect, look at metadata again).
                    refresh_wanted |= !connected;
                }
                Event::MetadataRefreshed(ok) => {
                    refreshing = false;
                    // A failed refresh is tried again (after its 100 ms pause), not left until
                    // metadata.max.age.ms.
                    refresh_wanted |= !ok;
                    if let Some(m) = client.cached() {
                        let mut acc = shared.lock();
                        let known: Vec<Arc<str>> = acc.topics.keys().cloned().collect();
                        for t in known {
                            if let Some(tm) = m.topics.get(&*t) {
                                let count = tm.partitions.len() as i32;
                                let available = tm
                                    .partitions
                                    .values()
                                    .filter(|p| p.leader.is_some())
                                    .map(|p| p.partition)
                                    .collect();
                                acc.set_topic(&t, count, available);
                            }
                        }
                    }
                }
                Event::TxnAdded { partitions, result } => {
                    let mut acc = shared.lock();
                    for (topic, p) in &partitions {
                        if let Some(pq) = acc.queue_of(topic, *p) {
                            pq.adding_to_txn = false;
                            pq.in_txn = result.is_ok();
                        }
                    }
                    if let (Ok(()), Some(t)) = (&result, acc.txn.as_mut()) {
                        t.has_work = true;
                    }
                    if let Err(e) = result {
                        released |= fail_txn_partitions(&mut acc, &partitions, e, config);
                    }
                }
                Event::Bumped(result) => {
                    bumping = false;
                    let mut acc = shared.lock();
                    match result {
                        Ok(identity) => {
                            tracing::info!(
                                producer_id = identity.producer_id,
                                epoch = identity.epoch,
                                "producer epoch bumped"
                            );
                            acc.apply_bump(identity);
                        }
                        Err(e) if e.is_retriable() => {
                            tracing::debug!(error = %e, "epoch bump failed; will retry");
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "epoch bump failed; producer cannot continue");
                            acc.fatal = Some(e.clone());
                            for mut b in acc.take_unsent() {
                                b.complete(Err(e.clone()));
                                acc.release(&b);
                            }
                            released = true;
                        }
                    }
                }
            }
        }
        if released {
            shared.room.notify_waiters();
        }
    }
}

/// Fails the queued batches of partitions the transaction could not take.
fn fail_txn_partitions(
    acc: &mut Accumulator,
    partitions: &[(Arc<str>, i32)],
    error: Error,
    config: &ProducerConfig,
) -> bool {
    let fenced = super::transaction::as_fenced(config, &error);
    let mut released = false;
    for (topic, p) in partitions {
        let batches: Vec<Batch> = acc
            .queue_of(topic, *p)
            .map(|pq| pq.queue.drain(..).chain(pq.open.take()).collect())
            .unwrap_or_default();
        for b in batches {
            let verdict = match &fenced {
                Some(f) => Verdict::Fenced(f.clone()),
                None => Verdict::Fail(error.clone()),
            };
            released |= acc.apply(b, verdict, Instant::now(), config);
        }
    }
    released
}

fn add_to_txn(shared: &Arc<Shared>, partitions: Vec<(Arc<str>, i32)>) -> BoxFuture<'static, Event> {
    let shared = Arc::clone(shared);
    async move {
        let (identity, coordinator) = {
            let acc = shared.lock();
            (acc.identity, acc.txn.as_ref().and_then(|t| t.coordinator))
        };
        let config = &shared.config;
        let result = match (identity, coordinator, &config.transactional_id) {
            (Some(identity), Some(coordinator), Some(txn_id)) => {
                let list: Vec<(String, i32)> = partitions
                    .iter()
                    .map(|(t, p)| (t.to_string(), *p))
                    .collect();
                let backoff = crate::cluster::Backoff {
                    base: config.retry_backoff,
                    max: config.retry_backoff_max,
                };
                let deadline = Instant::now() + config.delivery_timeout;
                coordinator::with_retries(deadline, backoff, |refind| {
                    let shared = Arc::clone(&shared);
                    let list = list.clone();
                    let txn_id = txn_id.clone();
                    async move {
                        let node = shared.txn_coordinator(refind, coordinator).await?;
                        coordinator::add_partitions(&shared.client, node, &txn_id, identity, &list)
                            .await
                    }
                })
                .await
            }
            _ => Err(Error::Internal(
                "partitions added to a transaction without a producer id or coordinator",
            )),
        };
        Event::TxnAdded { partitions, result }
    }
    .boxed()
}

/// Builds the request for one broker and puts it on the connection now (so requests reach
/// the broker in drain order). On failure the batches come back with the error.
/// A request on its way, or the batches back with why it could not start.
enum Started {
    Sent(BoxFuture<'static, Event>),
    Failed(Vec<Batch>, Error),
}

fn start_request(
    shared: &Arc<Shared>,
    conn: &BrokerConnection,
    broker: i32,
    mut batches: Vec<Batch>,
    options: &BatchOptions,
) -> Started {
    let config = &shared.config;
    let mut topics: Vec<TopicProduceData> = Vec::new();
    let mut failed = Vec::new();
    let mut kept = Vec::with_capacity(batches.len());
    for mut b in batches.drain(..) {
        match b.payload(options) {
            Ok(bytes) => {
                let data = PartitionProduceData::default()
                    .with_index(b.partition)
                    .with_records(Some(bytes));
                match topics.iter_mut().find(|t| t.name.0.as_str() == &*b.topic) {
                    Some(t) => t.partition_data.push(data),
                    None => topics.push(
                        TopicProduceData::default()
                            .with_name(TopicName(StrBytes::from_string(b.topic.to_string())))
                            .with_partition_data(vec![data]),
                    ),
                }
                kept.push(b);
            }
            Err(e) => {
                let context = format!("{}-{}", b.topic, b.partition);
                failed.push((
                    b,
                    Error::Encode {
                        context,
                        source: e.into(),
                    },
                ));
            }
        }
    }
    if !failed.is_empty() {
        let mut acc = shared.lock();
        for (b, e) in failed {
            acc.landed(&b);
            acc.apply(b, Verdict::Fail(e), Instant::now(), config);
        }
    }
    if kept.is_empty() {
        if let Some(n) = shared.lock().broker_in_flight.get_mut(&broker) {
            *n = n.saturating_sub(1);
        }
        return Started::Sent(async { Event::Nothing }.boxed());
    }
    let timeout_ms = i32::try_from(config.client.request_timeout.as_millis()).unwrap_or(i32::MAX);
    let request = ProduceRequest::default()
        .with_acks(config.acks.wire())
        .with_timeout_ms(timeout_ms)
        .with_transactional_id(
            config
                .transactional_id
                .as_ref()
                .map(|t| TransactionalId(StrBytes::from_string(t.clone()))),
        )
        .with_topic_data(topics);
    let version = match conn.version_of(ApiKey::Produce) {
        Ok(v) => v,
        Err(e) => return Started::Failed(kept, e),
    };
    let span = tracing::debug_span!(
        "produce",
        broker = %conn.broker(),
        batches = kept.len(),
        records = kept.iter().map(|b| b.records).sum::<usize>(),
    );
    match conn.start_produce(&request, version, config.acks != Acks::None) {
        Ok(response) => Started::Sent(
            async move {
                let result = response.await;
                Event::Produced {
                    broker,
                    batches: kept,
                    result,
                }
            }
            .instrument(span)
            .boxed(),
        ),
        Err(e) => Started::Failed(kept, e),
    }
}
