//! The producer handle: `send`, `flush`, `close`.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::accumulator::{Accumulator, Appended};
use super::config::ProducerConfig;
use super::coordinator;
use super::delivery::{BatchOutcome, DeliveryError, DeliveryFuture};
use super::record::ProducerRecord;
use super::sender::{self, Shared};
use super::stats::ProducerStats;
use crate::cluster::Backoff;
use crate::error::{BlockedOn, Error};
use crate::Client;

/// A Kafka producer: batches records per partition, sends one request per broker on its own
/// connections, retries, and (by default) is idempotent, so retries never duplicate or
/// reorder a partition's records. Cheap to clone; every clone shares the buffers. When the
/// last clone is dropped, what is queued is still delivered in the background; call
/// [`close`](Self::close) to wait for it.
///
/// ```no_run
/// # async fn run() -> Result<(), ottla::Error> {
/// use ottla::producer::{Producer, ProducerConfig, ProducerRecord};
/// let config = ProducerConfig::builder().bootstrap_servers("localhost:9092").build()?;
/// let producer = Producer::new(config).await?;
/// let delivery = producer.send(ProducerRecord::new("orders", "hello").with_key("k1")).await?;
/// let landed = delivery.await?;
/// println!("{}-{} @ {}", landed.topic, landed.partition, landed.offset);
/// producer.close(std::time::Duration::from_secs(10)).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Producer {
    pub(crate) shared: Arc<Shared>,
    _handle: Arc<DropGuard>,
}

/// Starts an orderly shutdown when the last handle goes.
#[derive(Debug)]
struct DropGuard(Arc<Shared>);

impl Drop for DropGuard {
    fn drop(&mut self) {
        self.0.lock().closing = true;
        self.0.wake.notify_one();
    }
}

impl Producer {
    /// Connects (bootstrap and metadata), gets a producer id when idempotent (not for a
    /// transactional producer: see [`init_transactions`](Self::init_transactions)), and
    /// starts the sender task.
    pub async fn new(config: ProducerConfig) -> Result<Self, Error> {
        let client = Client::connect(config.client.clone()).await?;
        Self::with_client(client, config).await
    }

    /// As [`new`](Self::new) on an existing client (its metadata is shared; produce traffic
    /// still gets connections of its own).
    pub async fn with_client(client: Client, config: ProducerConfig) -> Result<Self, Error> {
        let mut acc = Accumulator::new(config.transactional_id.is_some());
        if config.idempotence && config.transactional_id.is_none() {
            let deadline = Instant::now() + config.max_block;
            let backoff = Backoff {
                base: config.retry_backoff,
                max: config.retry_backoff_max,
            };
            let identity = coordinator::with_retries(deadline, backoff, |_| {
                coordinator::init_producer_id(&client, None, None, config.transaction_timeout, None)
            })
            .await?;
            tracing::debug!(
                producer_id = identity.producer_id,
                epoch = identity.epoch,
                "idempotent producer"
            );
            acc.apply_bump(identity);
        }
        let shared = Arc::new(Shared {
            config,
            client,
            acc: std::sync::Mutex::new(acc),
            wake: tokio::sync::Notify::new(),
            room: tokio::sync::Notify::new(),
        });
        tokio::spawn(sender::run(Arc::clone(&shared)));
        Ok(Self {
            _handle: Arc::new(DropGuard(Arc::clone(&shared))),
            shared,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ProducerConfig {
        &self.shared.config
    }

    /// The client underneath (metadata, admin requests).
    pub fn client(&self) -> &Client {
        &self.shared.client
    }

    /// Queues `record` and returns the future of its delivery. Waits (up to `max.block.ms`)
    /// when the buffer is full or the topic's metadata is not known yet. Fails at once for a
    /// record larger than `message.max.bytes`, an unknown partition, or a closed producer.
    /// A record that is not queued, or not delivered, comes back in the [`DeliveryError`].
    pub async fn send(&self, record: ProducerRecord) -> Result<DeliveryFuture, DeliveryError> {
        let queued = self.queue(&record).await;
        match queued {
            Ok(delivery) => Ok(delivery),
            Err(e) => Err(DeliveryError::new(e, Some(record))),
        }
    }

    async fn queue(&self, record: &ProducerRecord) -> Result<DeliveryFuture, Error> {
        let config = &self.shared.config;
        let chosen = match (&config.partitioner, record.partition) {
            (Some(p), None) => Box::pin(self.custom_partition(p.as_ref(), record)).await?,
            _ => None,
        };
        let timestamp = record.timestamp.unwrap_or_else(crate::clock::now_ms);
        match self.try_append(record, chosen, timestamp)? {
            Ok(delivery) => Ok(delivery),
            // The waits hold metadata and timer futures: boxed, so the future of every
            // `send` stays small and cheap to move (the common case never waits).
            Err(first) => Box::pin(self.send_after_wait(record, chosen, timestamp, first)).await,
        }
    }

    /// One attempt to queue `record`: its delivery future, or what it has to wait for.
    fn try_append(
        &self,
        record: &ProducerRecord,
        chosen: Option<i32>,
        timestamp: i64,
    ) -> Result<Result<DeliveryFuture, Wait>, Error> {
        let appended = self.shared.lock().append(
            record,
            chosen,
            timestamp,
            &self.shared.config,
            Instant::now,
        )?;
        Ok(match appended {
            Appended::Queued { delivery, wake } => {
                if wake {
                    self.shared.wake.notify_one();
                }
                Ok(delivery)
            }
            Appended::NeedTopic => Err(Wait::Topic),
            Appended::NeedRoom { size } => Err(Wait::Room { size }),
        })
    }

    /// Waits (metadata or buffer room, up to `max.block.ms` in all) and tries again.
    async fn send_after_wait(
        &self,
        record: &ProducerRecord,
        chosen: Option<i32>,
        timestamp: i64,
        mut waiting: Wait,
    ) -> Result<DeliveryFuture, Error> {
        let deadline = Instant::now() + self.shared.config.max_block;
        loop {
            match waiting {
                Wait::Topic => self.learn_topic(&record.topic, deadline).await?,
                Wait::Room { size } => self.wait_for_room(size, deadline).await?,
            }
            waiting = match self.try_append(record, chosen, timestamp)? {
                Ok(delivery) => return Ok(delivery),
                Err(w) => w,
            };
        }
    }

    async fn custom_partition(
        &self,
        partitioner: &dyn crate::partitioner::Partitioner,
        record: &ProducerRecord,
    ) -> Result<Option<i32>, Error> {
        let deadline = Instant::now() + self.shared.config.max_block;
        let count = loop {
            let known = self
                .shared
                .lock()
                .topics
                .get(&*record.topic)
                .map(|t| t.partitions.len());
            match known {
                Some(n) if n > 0 => break i32::try_from(n).unwrap_or(i32::MAX),
                _ => self.learn_topic(&record.topic, deadline).await?,
            }
        };
        Ok(partitioner.partition(
            &record.topic,
            record.key.as_deref(),
            record.value.as_deref(),
            count,
        ))
    }

    /// Waits for the topic to appear in metadata until `deadline`. Its metadata is asked for
    /// by name with auto-creation allowed, as the Java producer does: a broker with
    /// `auto.create.topics.enable` creates a missing topic; any other keeps answering
    /// UNKNOWN_TOPIC_OR_PARTITION until `max.block.ms` runs out.
    async fn learn_topic(&self, topic: &str, deadline: Instant) -> Result<(), Error> {
        let client = &self.shared.client;
        let mut delay = Duration::from_millis(50);
        loop {
            let metadata = match client.refresh_topics(&[topic], true).await {
                Ok(m) => Some(m),
                // The cluster may be coming back: keep trying until max.block.ms.
                Err(e) if e.is_retriable() || matches!(e, Error::Bootstrap { .. }) => {
                    tracing::debug!(error = %e, topic, "metadata refresh failed; retrying");
                    None
                }
                Err(e) => return Err(e),
            };
            if let Some(t) = metadata
                .as_ref()
                .and_then(|m| m.topics.get(topic))
                .filter(|t| t.error.is_ok())
            {
                let count = i32::try_from(t.partitions.len()).unwrap_or(i32::MAX);
                if count > 0 {
                    let available = t
                        .partitions
                        .values()
                        .filter(|p| p.leader.is_some())
                        .map(|p| p.partition)
                        .collect();
                    self.shared.lock().set_topic(topic, count, available);
                    return Ok(());
                }
            }
            // The last look is at the deadline, so a topic gets the whole max.block.ms.
            let now = Instant::now();
            if now >= deadline {
                return Err(Error::MaxBlock {
                    waited: self.shared.config.max_block,
                    what: BlockedOn::TopicMetadata {
                        topic: topic.to_owned(),
                    },
                });
            }
            tokio::time::sleep_until((now + delay).min(deadline)).await;
            delay = (delay * 2).min(Duration::from_secs(1));
        }
    }

    async fn wait_for_room(&self, size: usize, deadline: Instant) -> Result<(), Error> {
        let room = self.shared.room.notified();
        tokio::pin!(room);
        room.as_mut().enable();
        // Room for this record may have been made between the failed append and `enable`.
        if self.shared.lock().has_room(size, &self.shared.config) {
            return Ok(());
        }
        match tokio::time::timeout_at(deadline, room).await {
            Ok(()) => Ok(()),
            Err(_) => Err(Error::MaxBlock {
                waited: self.shared.config.max_block,
                what: BlockedOn::BufferSpace,
            }),
        }
    }

    /// Sends everything queued now without waiting for `linger.ms`, and waits until each
    /// record queued before the call is delivered or has failed (each delivery future tells
    /// which).
    pub async fn flush(&self) -> Result<(), Error> {
        let outcomes: Vec<Arc<BatchOutcome>> = {
            let mut acc = self.shared.lock();
            acc.flushes += 1;
            acc.incomplete.values().cloned().collect()
        };
        let _done = FlushGuard(&self.shared);
        self.shared.wake.notify_one();
        for o in outcomes {
            o.wait().await;
        }
        Ok(())
    }

    /// Stops accepting records, delivers what is queued, and waits up to `timeout` for it.
    /// What is still pending then fails with [`Error::Closed`]: nothing is dropped silently.
    /// Returns [`Error::Closed`]-wrapped count via the error when records had to be failed.
    pub async fn close(&self, timeout: Duration) -> Result<(), Error> {
        {
            let mut acc = self.shared.lock();
            acc.closing = true;
        }
        self.shared.wake.notify_one();
        let flushed = tokio::time::timeout(timeout, self.flush()).await;
        if flushed.is_ok() {
            return Ok(());
        }
        let mut acc = self.shared.lock();
        let abandoned: Vec<Arc<BatchOutcome>> = acc.incomplete.values().cloned().collect();
        // Unsent batches fail with their records (those in flight have theirs kept too).
        for mut b in acc.take_unsent() {
            b.complete(Err(Error::Closed));
            acc.release(&b);
        }
        acc.fatal.get_or_insert(Error::Closed);
        drop(acc);
        for o in &abandoned {
            o.complete(Err(Error::Closed));
        }
        self.shared.wake.notify_one();
        Err(Error::MaxBlock {
            waited: timeout,
            what: BlockedOn::PendingDeliveries {
                batches: abandoned.len(),
            },
        })
    }

    /// A snapshot of the producer's counters and its brokers'.
    pub fn stats(&self) -> ProducerStats {
        let brokers = self.shared.client.stats();
        let acc = self.shared.lock();
        ProducerStats {
            brokers,
            queued_records: acc.buffered_records as u64,
            queued_bytes: acc.buffered_bytes as u64,
            batches_delivered: acc.tally.batches_delivered,
            records_delivered: acc.tally.records_delivered,
            retries: acc.tally.retries,
            records_failed: acc.tally.records_failed,
            partitions: acc.tally.partitions(),
        }
    }

    /// Records waiting for delivery (queued or in flight).
    pub fn pending_records(&self) -> usize {
        self.shared.lock().buffered_records
    }
}

/// What a `send` that could not queue its record at once waits for.
enum Wait {
    /// The topic's partitions.
    Topic,
    /// Room in the buffer for `size` bytes.
    Room { size: usize },
}

struct FlushGuard<'a>(&'a Shared);

impl Drop for FlushGuard<'_> {
    fn drop(&mut self) {
        let mut acc = self.0.lock();
        acc.flushes = acc.flushes.saturating_sub(1);
    }
}
