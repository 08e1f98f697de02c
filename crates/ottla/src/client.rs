//! The low-level client: bootstrap, metadata, pooled connections, typed requests.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock, Weak};

use ottla_protocol::error_code::ErrorCode;
use ottla_protocol::kafka_protocol::protocol::Request;
use ottla_protocol::messages::metadata_request::MetadataRequestTopic;
use ottla_protocol::messages::{ApiKey, MetadataRequest, TopicName};
use ottla_protocol::StrBytes;
use tokio::time::Instant;

use crate::cluster::{Backoff, BrokerInfo, ClusterMetadata, ConnectionPool};
use crate::config::ClientConfig;
use crate::connection::{BrokerConnection, ConnectParams, SaslFactory};
use crate::error::ConnectionError;
use crate::error::Error;
use crate::stats::{BrokerStats, StatsRegistry};

/// A Kafka client: knows the cluster, keeps one connection per broker, and sends typed
/// requests to a broker, to a partition's leader, or to any broker. Cheap to clone.
///
/// ```no_run
/// # async fn run() -> Result<(), ottla::Error> {
/// use ottla::{Client, ClientConfig};
/// let config = ClientConfig::builder().bootstrap_servers("localhost:9092").build()?;
/// let client = Client::connect(config).await?;
/// let metadata = client.metadata().await?;
/// for broker in metadata.brokers.values() {
///     println!("{} at {}:{}", broker.node_id, broker.host, broker.port);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: ClientConfig,
    sasl: Option<Arc<dyn SaslFactory>>,
    tls: Option<ottla_tls::TlsConnector>,
    pool: ConnectionPool,
    /// Connections that carry only Produce requests (franz-go's traffic classes): a produce
    /// never waits behind a fetch long-poll or a group request to the same broker.
    produce_pool: ConnectionPool,
    /// Connections that carry only Fetch requests: a long poll holds back nothing else.
    fetch_pool: ConnectionPool,
    metadata: RwLock<Option<Arc<ClusterMetadata>>>,
    stale: AtomicBool,
    refreshing: tokio::sync::Mutex<()>,
    /// Per-broker counters, shared by every connection to a broker.
    stats: StatsRegistry,
}

impl Client {
    /// Bootstraps: fetches cluster metadata from the first `bootstrap.servers` entry that
    /// answers, and starts refreshing it every `metadata.max.age.ms`.
    pub async fn connect(config: ClientConfig) -> Result<Self, Error> {
        let backoff = Backoff {
            base: config.reconnect_backoff,
            max: config.reconnect_backoff_max,
        };
        let sasl = crate::security::sasl_factory(&config)?;
        let tls = crate::security::tls_connector(&config.security)
            .map_err(|source| Error::Tls { source })?;
        let client = Client {
            inner: Arc::new(Inner {
                sasl,
                tls,
                config,
                pool: ConnectionPool::new(backoff),
                produce_pool: ConnectionPool::new(backoff),
                fetch_pool: ConnectionPool::new(backoff),
                metadata: RwLock::new(None),
                stale: AtomicBool::new(true),
                refreshing: tokio::sync::Mutex::new(()),
                stats: StatsRegistry::default(),
            }),
        };
        client.refresh_metadata().await?;
        tokio::spawn(refresh_periodically(Arc::downgrade(&client.inner)));
        Ok(client)
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// What this client exchanged with each broker so far (bootstrap servers under their
    /// negative keys until metadata named them), by node id.
    pub fn stats(&self) -> Vec<BrokerStats> {
        self.inner.stats.snapshot()
    }

    /// Current metadata; refreshed first when older than `metadata.max.age.ms` or marked stale.
    pub async fn metadata(&self) -> Result<Arc<ClusterMetadata>, Error> {
        match self.cached() {
            Some(m) if self.metadata_is_fresh() => Ok(m),
            _ => self.refresh_metadata().await,
        }
    }

    /// Whether the cached metadata is younger than `metadata.max.age.ms` and not marked
    /// stale: what [`metadata`](Self::metadata) returns without a refresh.
    pub(crate) fn metadata_is_fresh(&self) -> bool {
        self.cached().is_some_and(|m| {
            m.fetched_at.elapsed() < self.inner.config.metadata_max_age
                && !self.inner.stale.load(Ordering::Acquire)
        })
    }

    /// The last metadata fetched, however old.
    pub fn cached(&self) -> Option<Arc<ClusterMetadata>> {
        self.inner
            .metadata
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Takes a broker's word that `leader` now leads `topic`/`partition` at `epoch` (KIP-951:
    /// Fetch and Produce errors name the new leader, and its endpoint when the client may not
    /// know it). The cached metadata changes when the epoch is newer than the one it has and
    /// the leader's address is known; returns whether it did.
    pub fn apply_leader_hint(
        &self,
        topic: &str,
        partition: i32,
        leader: i32,
        epoch: i32,
        endpoint: Option<BrokerInfo>,
    ) -> bool {
        let mut guard = self
            .inner
            .metadata
            .write()
            .unwrap_or_else(|p| p.into_inner());
        let Some(current) = guard.as_ref() else {
            return false;
        };
        let Some(p) = current
            .topics
            .get(topic)
            .and_then(|t| t.partitions.get(&partition))
        else {
            return false;
        };
        let known = current.brokers.contains_key(&leader) || endpoint.is_some();
        if epoch <= p.leader_epoch || !known {
            return false;
        }
        let mut next = (**current).clone();
        if let Some(b) = endpoint {
            next.brokers.entry(leader).or_insert(b);
        }
        if let Some(p) = next
            .topics
            .get_mut(topic)
            .and_then(|t| t.partitions.get_mut(&partition))
        {
            p.leader = Some(leader);
            p.leader_epoch = epoch;
        }
        *guard = Some(Arc::new(next));
        true
    }

    /// Marks metadata stale: the next [`metadata`](Self::metadata) call refreshes it.
    pub fn invalidate_metadata(&self) {
        self.inner.stale.store(true, Ordering::Release);
    }

    /// Marks metadata stale when `code` says the client's view of leaders or topics is out of
    /// date (NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION, …). Returns whether it did.
    pub fn note_error_code(&self, code: ErrorCode) -> bool {
        let refresh = code.needs_metadata_refresh();
        if refresh {
            self.invalidate_metadata();
        }
        refresh
    }

    /// Fetches metadata now (all topics). Concurrent callers share one request.
    pub async fn refresh_metadata(&self) -> Result<Arc<ClusterMetadata>, Error> {
        let started = Instant::now();
        let _guard = self.inner.refreshing.lock().await;
        // Someone else refreshed while we waited.
        if let Some(m) = self.cached() {
            if m.fetched_at >= started {
                return Ok(m);
            }
        }
        // A broker that takes the request and then fails it (times out: its connections
        // stalled; or drops the connection) is passed over for the next, as the Java client's
        // metadata updater picks another node: one broker in trouble must not fail a refresh
        // that another could answer.
        let request = MetadataRequest::default().with_topics(None);
        let mut tried = Vec::new();
        let response = loop {
            let (key, conn) = self.any_connection_except(&tried).await?;
            match self.observe(conn.send(&request).await) {
                Ok(r) => break r,
                Err(e) if broker_in_trouble(&e) && self.has_other_broker(&tried, key) => {
                    tracing::debug!(error = %e, broker = key, "metadata refresh failed; trying another broker");
                    tried.push(key);
                }
                Err(e) => return Err(e),
            }
        };
        let m = Arc::new(ClusterMetadata::from_response(&response));
        *self
            .inner
            .metadata
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Some(Arc::clone(&m));
        self.inner.stale.store(false, Ordering::Release);
        tracing::debug!(
            brokers = m.brokers.len(),
            topics = m.topics.len(),
            "metadata refreshed"
        );
        Ok(m)
    }

    /// Fetches metadata for `topics` only and merges it into the cached view: their entries
    /// and the broker list are replaced, other topics keep what the last refresh said (and
    /// their age). With `allow_auto_create`, a broker whose `auto.create.topics.enable` is on
    /// creates a topic it does not have, as for the Java producer; pass `false` to only look
    /// (Metadata v1–v3 cannot say so, and against such a broker all topics are fetched
    /// instead). Concurrent refreshes take turns.
    pub async fn refresh_topics(
        &self,
        topics: &[&str],
        allow_auto_create: bool,
    ) -> Result<Arc<ClusterMetadata>, Error> {
        let guard = self.inner.refreshing.lock().await;
        let conn = self.any_connection().await?;
        let version = conn.version_of(ApiKey::Metadata)?;
        if !allow_auto_create && version < 4 {
            drop(guard);
            return self.refresh_metadata().await;
        }
        let request = MetadataRequest::default()
            .with_topics(Some(
                topics
                    .iter()
                    .map(|t| {
                        MetadataRequestTopic::default()
                            .with_name(Some(TopicName(StrBytes::from_string((*t).to_owned()))))
                    })
                    .collect(),
            ))
            .with_allow_auto_topic_creation(allow_auto_create);
        let response = self.observe(conn.send_versioned(&request, version).await)?;
        let fresh = ClusterMetadata::from_response(&response);
        let merged = match self.cached() {
            Some(old) => Arc::new(old.merge_topics(fresh)),
            None => Arc::new(fresh),
        };
        *self
            .inner
            .metadata
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Some(Arc::clone(&merged));
        drop(guard);
        tracing::debug!(?topics, allow_auto_create, "topic metadata refreshed");
        Ok(merged)
    }

    /// `key` names the broker in the stats: its node id, or the bootstrap key (-1, -2, …).
    fn params(&self, host: &str, port: u16, node_id: Option<i32>, key: i32) -> ConnectParams {
        let c = &self.inner.config;
        ConnectParams {
            stats: self.inner.stats.broker(key, &format!("{host}:{port}")),
            host: host.to_owned(),
            port,
            node_id,
            client_id: c.client_id.clone(),
            request_timeout: c.request_timeout,
            setup_timeout: c.connection_setup_timeout,
            max_in_flight: c.max_in_flight,
            max_frame_size: c.receive_message_max_bytes,
            sasl: self.inner.sasl.clone(),
            tls: self.inner.tls.clone(),
        }
    }

    /// The connection to broker `node_id`, opened if needed.
    pub async fn connection(&self, node_id: i32) -> Result<BrokerConnection, Error> {
        self.pooled(&self.inner.pool, node_id).await
    }

    /// The connection to broker `node_id` reserved for Produce requests, opened if needed. It
    /// is separate from [`connection`](Self::connection)'s, so produce traffic never queues
    /// behind a fetch long-poll or a group request.
    pub async fn produce_connection(&self, node_id: i32) -> Result<BrokerConnection, Error> {
        self.pooled(&self.inner.produce_pool, node_id).await
    }

    /// The connection to broker `node_id` reserved for Fetch requests, opened if needed: a
    /// long poll waits there (up to `fetch.max.wait.ms`) without holding back metadata,
    /// ListOffsets or other requests, which Kafka would answer only after it.
    pub async fn fetch_connection(&self, node_id: i32) -> Result<BrokerConnection, Error> {
        self.pooled(&self.inner.fetch_pool, node_id).await
    }

    /// A new connection to broker `node_id` that no one else uses, for a consumer group
    /// member's requests to its coordinator. Kafka answers a connection's requests one at a
    /// time, and a JoinGroup waits there until the whole group has joined: on a shared
    /// connection one member's JoinGroup held back another's SyncGroup until its session
    /// expired.
    pub async fn open_connection(&self, node_id: i32) -> Result<BrokerConnection, Error> {
        let params = self.broker_params(node_id).await?;
        BrokerConnection::open(&params).await
    }

    async fn pooled(&self, pool: &ConnectionPool, node_id: i32) -> Result<BrokerConnection, Error> {
        let params = self.broker_params(node_id).await?;
        let result = pool.get(node_id, &params).await;
        if result.is_err() {
            // The broker may have moved or gone: look again next time.
            self.invalidate_metadata();
        }
        result
    }

    /// The live produce connection to `node_id`, if one is open (no connecting).
    pub fn existing_produce_connection(&self, node_id: i32) -> Option<BrokerConnection> {
        self.inner.produce_pool.existing(node_id)
    }

    async fn broker_params(&self, node_id: i32) -> Result<ConnectParams, Error> {
        let metadata = match self.cached() {
            Some(m) if m.brokers.contains_key(&node_id) => m,
            _ => self.metadata().await?,
        };
        let broker = metadata
            .brokers
            .get(&node_id)
            .ok_or(Error::UnknownBroker(node_id))?;
        Ok(self.params(&broker.host, broker.port, Some(node_id), node_id))
    }

    /// Sends `request` to broker `node_id` at the highest common version.
    pub async fn send_to<R: Request>(
        &self,
        node_id: i32,
        request: &R,
    ) -> Result<R::Response, Error> {
        let conn = self.connection(node_id).await?;
        self.observe(conn.send(request).await)
    }

    /// Sends `request` to the leader of `topic`/`partition`.
    pub async fn send_to_leader<R: Request>(
        &self,
        topic: &str,
        partition: i32,
        request: &R,
    ) -> Result<R::Response, Error> {
        let leader = self.leader_of(topic, partition).await?;
        self.send_to(leader, request).await
    }

    /// The leader of `topic`/`partition`, refreshing metadata once if it is unknown.
    pub async fn leader_of(&self, topic: &str, partition: i32) -> Result<i32, Error> {
        Ok(self.leader_and_epoch(topic, partition).await?.0)
    }

    /// The leader of `topic`/`partition` and its leader epoch (-1 when unknown), from
    /// metadata (fetched again when the cached view does not know the partition's leader).
    pub async fn leader_and_epoch(&self, topic: &str, partition: i32) -> Result<(i32, i32), Error> {
        let m = self.metadata().await?;
        match m.leader_and_epoch(topic, partition) {
            Ok(l) => Ok(l),
            Err(_) => self
                .refresh_metadata()
                .await?
                .leader_and_epoch(topic, partition),
        }
    }

    /// Sends `request` to the controller when known, else to any broker.
    pub async fn send_to_controller<R: Request>(&self, request: &R) -> Result<R::Response, Error> {
        match self.metadata().await?.controller_id {
            Some(id) => self.send_to(id, request).await,
            None => self.send_to_any(request).await,
        }
    }

    /// Sends `request` to any broker: one already connected if possible, else each known broker
    /// in turn (those whose last connection attempts failed last), else each bootstrap server
    /// in turn.
    pub async fn send_to_any<R: Request>(&self, request: &R) -> Result<R::Response, Error> {
        let conn = self.any_connection().await?;
        self.observe(conn.send(request).await)
    }

    /// A connection to any broker (see [`send_to_any`](Self::send_to_any)).
    pub async fn any_connection(&self) -> Result<BrokerConnection, Error> {
        Ok(self.any_connection_except(&[]).await?.1)
    }

    /// Whether a broker (or bootstrap server) other than `tried` and `key` is there to try.
    fn has_other_broker(&self, tried: &[i32], key: i32) -> bool {
        let known = self
            .cached()
            .map(|m| m.brokers.keys().copied().collect::<Vec<_>>())
            .unwrap_or_default();
        let bootstrap = (0..self.inner.config.bootstrap_servers.len()).map(|i| -(i as i32) - 1);
        known
            .into_iter()
            .chain(bootstrap)
            .any(|k| k != key && !tried.contains(&k))
    }

    /// [`any_connection`](Self::any_connection) passing over the brokers (node ids, or the
    /// bootstrap servers' negative keys) in `skip`; the key of the one connected.
    async fn any_connection_except(&self, skip: &[i32]) -> Result<(i32, BrokerConnection), Error> {
        let pool = &self.inner.pool;
        let known: Vec<(i32, String, u16)> = self
            .cached()
            .map(|m| {
                m.brokers
                    .values()
                    .map(|b| (b.node_id, b.host.clone(), b.port))
                    .collect()
            })
            .unwrap_or_default();
        let known: Vec<_> = known
            .into_iter()
            .filter(|(id, _, _)| !skip.contains(id))
            .collect();
        for (id, _, _) in &known {
            if let Some(c) = pool.existing(*id) {
                return Ok((*id, c));
            }
        }
        // Brokers that failed last are tried last: a broker that stopped answering costs a
        // whole connect timeout each time it is tried first.
        let mut known = known;
        known.sort_by_key(|(id, _, _)| pool.failures(*id));
        let mut errors = Vec::new();
        for (id, host, port) in &known {
            match pool
                .get(*id, &self.params(host, *port, Some(*id), *id))
                .await
            {
                Ok(c) => return Ok((*id, c)),
                Err(e) => errors.push(e),
            }
        }
        for (i, (host, port)) in self.inner.config.bootstrap_servers.iter().enumerate() {
            let key = -(i as i32) - 1;
            if skip.contains(&key) {
                continue;
            }
            match pool.get(key, &self.params(host, *port, None, key)).await {
                Ok(c) => return Ok((key, c)),
                Err(e) => errors.push(e),
            }
        }
        Err(Error::Bootstrap {
            attempts: errors.iter().map(ToString::to_string).collect(),
            errors,
        })
    }

    /// Consecutive failed connection attempts to `node_id`.
    pub fn connect_failures(&self, node_id: i32) -> u32 {
        self.inner.pool.failures(node_id)
    }

    fn observe<T>(&self, result: Result<T, Error>) -> Result<T, Error> {
        if let Err(Error::Connection { .. } | Error::Timeout { .. }) = &result {
            self.invalidate_metadata();
        }
        result
    }
}

/// Refreshes metadata every `metadata.max.age.ms` while the client lives.
async fn refresh_periodically(inner: Weak<Inner>) {
    loop {
        let Some(age) = inner.upgrade().map(|i| i.config.metadata_max_age) else {
            return;
        };
        tokio::time::sleep(age).await;
        let Some(inner) = inner.upgrade() else {
            return;
        };
        let client = Client { inner };
        if let Err(e) = client.metadata().await {
            tracing::warn!(error = %e, "periodic metadata refresh failed");
        }
    }
}

/// Whether `e` says the broker did not answer (no answer in time, the connection lost or
/// refused) rather than answered wrongly: another broker may answer then. A malformed answer
/// stays an error for the caller to see.
fn broker_in_trouble(e: &Error) -> bool {
    match e {
        Error::Timeout { .. } => true,
        Error::Connection { source, .. } => matches!(
            **source,
            ConnectionError::Io(_)
                | ConnectionError::ClosedByPeer { .. }
                | ConnectionError::TruncatedFrame { .. }
                | ConnectionError::RequestTimedOut { .. }
        ),
        _ => false,
    }
}
