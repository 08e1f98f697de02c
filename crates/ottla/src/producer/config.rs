//! The producer's configuration: the client's settings plus batching, delivery and
//! idempotence, with Kafka's property names accepted as strings.

use std::sync::Arc;
use std::time::Duration;

use ottla_protocol::compression::Compression;

use crate::basic::Acks;
use crate::config::parse::{parse_bool, parse_u64};
use crate::config::{ClientConfig, ClientConfigBuilder, ConfigError, Properties};
use crate::partitioner::Partitioner;

/// How a [`Producer`](super::Producer) batches, retries and delivers. Made only by
/// [`ProducerConfig::builder`], which validates it; read it through its getters. A value
/// cannot be changed afterwards around the validation:
///
/// ```compile_fail
/// fn bypass(mut config: ottla::ProducerConfig) {
///     config.batch_size = 0; // private field
/// }
/// ```
#[derive(Debug, Clone)]
pub struct ProducerConfig {
    /// Connections, security, timeouts.
    pub(crate) client: ClientConfig,
    /// `acks`.
    pub(crate) acks: Acks,
    /// Whether the producer is idempotent (`enable.idempotence`, on by default).
    pub(crate) idempotence: bool,
    /// `transactional.id`.
    pub(crate) transactional_id: Option<String>,
    /// `transaction.timeout.ms`.
    pub(crate) transaction_timeout: Duration,
    /// `linger.ms`: how long a batch waits for more records.
    pub(crate) linger: Duration,
    /// `batch.size`: the most bytes of records in one batch.
    pub(crate) batch_size: usize,
    /// `batch.num.messages`: the most records in one batch.
    pub(crate) batch_num_messages: usize,
    /// `buffer.memory`: bytes of records waiting for delivery, at most.
    pub(crate) buffer_memory: usize,
    /// `queue.buffering.max.messages`: records waiting for delivery, at most.
    pub(crate) buffer_max_messages: usize,
    /// `max.block.ms`: how long `send` waits for room in the buffer or for topic metadata.
    pub(crate) max_block: Duration,
    /// `compression.type`.
    pub(crate) compression: Compression,
    /// `compression.level`.
    pub(crate) compression_level: Option<i32>,
    /// `message.max.bytes`: the largest record batch (and so the largest record) sent.
    pub(crate) message_max_bytes: usize,
    /// `retries`: attempts after the first, at most (delivery.timeout.ms bounds them too).
    pub(crate) retries: u32,
    /// `retry.backoff.ms`.
    pub(crate) retry_backoff: Duration,
    /// `retry.backoff.max.ms`.
    pub(crate) retry_backoff_max: Duration,
    /// `delivery.timeout.ms`: from `send` to success or failure, at most.
    pub(crate) delivery_timeout: Duration,
    /// A partitioner for records without an explicit partition; `None` uses murmur2 for keys
    /// and uniform sticky partitioning (KIP-794) for keyless records.
    pub(crate) partitioner: Option<Arc<dyn Partitioner>>,
}

/// Read-only access: a `ProducerConfig` is made only by its builder, which validates it.
impl ProducerConfig {
    /// Connections, security, timeouts.
    pub fn client(&self) -> &ClientConfig {
        &self.client
    }

    /// `acks`.
    pub fn acks(&self) -> Acks {
        self.acks
    }

    /// Whether the producer is idempotent (`enable.idempotence`, on by default).
    pub fn idempotence(&self) -> bool {
        self.idempotence
    }

    /// `transactional.id`.
    pub fn transactional_id(&self) -> Option<&str> {
        self.transactional_id.as_deref()
    }

    /// `transaction.timeout.ms`.
    pub fn transaction_timeout(&self) -> Duration {
        self.transaction_timeout
    }

    /// `linger.ms`: how long a batch waits for more records.
    pub fn linger(&self) -> Duration {
        self.linger
    }

    /// `batch.size`: the most bytes of records in one batch.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// `batch.num.messages`: the most records in one batch.
    pub fn batch_num_messages(&self) -> usize {
        self.batch_num_messages
    }

    /// `buffer.memory`: bytes of records waiting for delivery, at most.
    pub fn buffer_memory(&self) -> usize {
        self.buffer_memory
    }

    /// `queue.buffering.max.messages`: records waiting for delivery, at most.
    pub fn buffer_max_messages(&self) -> usize {
        self.buffer_max_messages
    }

    /// `max.block.ms`: how long `send` waits for room in the buffer or for topic metadata.
    pub fn max_block(&self) -> Duration {
        self.max_block
    }

    /// `compression.type`.
    pub fn compression(&self) -> Compression {
        self.compression
    }

    /// `compression.level`.
    pub fn compression_level(&self) -> Option<i32> {
        self.compression_level
    }

    /// `message.max.bytes`: the largest record batch (and so the largest record) sent.
    pub fn message_max_bytes(&self) -> usize {
        self.message_max_bytes
    }

    /// `retries`: attempts after the first, at most (delivery.timeout.ms bounds them too).
    pub fn retries(&self) -> u32 {
        self.retries
    }

    /// `retry.backoff.ms`.
    pub fn retry_backoff(&self) -> Duration {
        self.retry_backoff
    }

    /// `retry.backoff.max.ms`.
    pub fn retry_backoff_max(&self) -> Duration {
        self.retry_backoff_max
    }

    /// `delivery.timeout.ms`: from `send` to success or failure, at most.
    pub fn delivery_timeout(&self) -> Duration {
        self.delivery_timeout
    }

    /// A partitioner for records without an explicit partition; `None` uses murmur2 for keys
    /// and uniform sticky partitioning (KIP-794) for keyless records.
    pub fn partitioner(&self) -> Option<&Arc<dyn Partitioner>> {
        self.partitioner.as_ref()
    }
}

impl ProducerConfig {
    /// A builder with the defaults below.
    pub fn builder() -> ProducerConfigBuilder {
        ProducerConfigBuilder::default()
    }

    /// Builds a configuration from Kafka properties (client and producer keys).
    pub fn from_properties(props: &Properties) -> Result<Self, ConfigError> {
        let mut b = Self::builder();
        for (k, v) in props.iter() {
            b.set(k, v)?;
        }
        b.build()
    }
}

/// The producer's own property names; every client key is accepted too.
pub const PRODUCER_KEYS: &[&str] = &[
    "acks",
    "request.required.acks",
    "enable.idempotence",
    "transactional.id",
    "transaction.timeout.ms",
    "linger.ms",
    "queue.buffering.max.ms",
    "batch.size",
    "batch.num.messages",
    "buffer.memory",
    "queue.buffering.max.kbytes",
    "queue.buffering.max.messages",
    "max.block.ms",
    "compression.type",
    "compression.codec",
    "compression.level",
    "message.max.bytes",
    "max.request.size",
    "retries",
    "message.send.max.retries",
    "retry.backoff.ms",
    "retry.backoff.max.ms",
    "delivery.timeout.ms",
    "message.timeout.ms",
];

/// Builds a [`ProducerConfig`]; checked at [`build`](Self::build).
#[derive(Debug, Clone)]
pub struct ProducerConfigBuilder {
    client: ClientConfigBuilder,
    acks: Option<Acks>,
    idempotence: Option<bool>,
    transactional_id: Option<String>,
    transaction_timeout_ms: u64,
    linger_ms: u64,
    batch_size: u64,
    batch_num_messages: u64,
    buffer_memory: u64,
    buffer_max_messages: u64,
    max_block_ms: u64,
    compression: Compression,
    compression_level: Option<i32>,
    message_max_bytes: u64,
    retries: Option<u32>,
    retry_backoff_ms: u64,
    retry_backoff_max_ms: u64,
    delivery_timeout_ms: u64,
    partitioner: Option<Arc<dyn Partitioner>>,
}

impl Default for ProducerConfigBuilder {
    fn default() -> Self {
        Self {
            client: ClientConfig::builder(),
            acks: None,
            idempotence: None,
            transactional_id: None,
            transaction_timeout_ms: 60_000,
            linger_ms: 5,
            // librdkafka's and franz-go's batch limits (Java's 16 KiB batches cost a request
            // per 16 KiB per partition).
            batch_size: 1_000_000,
            batch_num_messages: 10_000,
            buffer_memory: 32 * 1024 * 1024,
            buffer_max_messages: 100_000,
            max_block_ms: 60_000,
            compression: Compression::None,
            compression_level: None,
            message_max_bytes: 1_000_000,
            retries: None,
            retry_backoff_ms: 100,
            retry_backoff_max_ms: 1_000,
            delivery_timeout_ms: 120_000,
            partitioner: None,
        }
    }
}

const DAY_MS: u64 = 86_400_000;

fn parse_acks(key: &str, value: &str) -> Result<Acks, ConfigError> {
    match value.trim() {
        "0" => Ok(Acks::None),
        "1" => Ok(Acks::Leader),
        "all" | "-1" => Ok(Acks::All),
        _ => Err(ConfigError::invalid(key, value, "0, 1, all or -1")),
    }
}

impl ProducerConfigBuilder {
    /// Sets one property by its Kafka (or librdkafka) name; client keys go to the client
    /// settings. Unknown keys are rejected.
    pub fn set(&mut self, key: &str, value: &str) -> Result<&mut Self, ConfigError> {
        match key {
            "acks" | "request.required.acks" => self.acks = Some(parse_acks(key, value)?),
            "enable.idempotence" => self.idempotence = Some(parse_bool(key, value)?),
            "transactional.id" => {
                let id = value.trim();
                if id.is_empty() {
                    return Err(ConfigError::invalid(key, value, "a non-empty id"));
                }
                self.transactional_id = Some(id.to_owned());
            }
            "transaction.timeout.ms" => {
                self.transaction_timeout_ms = parse_u64(key, value, 1, i32::MAX as u64)?
            }
            "linger.ms" | "queue.buffering.max.ms" => {
                self.linger_ms = parse_u64(key, value, 0, 900_000)?
            }
            "batch.size" => self.batch_size = parse_u64(key, value, 1, i32::MAX as u64)?,
            "batch.num.messages" => self.batch_num_messages = parse_u64(key, value, 1, 1_000_000)?,
            "buffer.memory" => self.buffer_memory = parse_u64(key, value, 1, u64::MAX / 2)?,
            "queue.buffering.max.kbytes" => {
                self.buffer_memory = parse_u64(key, value, 1, i32::MAX as u64)? * 1024
            }
            "queue.buffering.max.messages" => {
                self.buffer_max_messages = parse_u64(key, value, 1, i32::MAX as u64)?
            }
            "max.block.ms" => self.max_block_ms = parse_u64(key, value, 0, DAY_MS)?,
            "compression.type" | "compression.codec" => {
                self.compression = value.trim().parse().map_err(|_| {
                    ConfigError::invalid(key, value, "none, gzip, snappy, lz4 or zstd")
                })?
            }
            "compression.level" => {
                let level = value
                    .trim()
                    .parse::<i32>()
                    .map_err(|_| ConfigError::invalid(key, value, "an integer"))?;
                // -1 is librdkafka's "codec default".
                self.compression_level = (level != -1).then_some(level);
            }
            "message.max.bytes" | "max.request.size" => {
                self.message_max_bytes = parse_u64(key, value, 1_000, i32::MAX as u64)?
            }
            "retries" | "message.send.max.retries" => {
                self.retries = Some(parse_u64(key, value, 0, i32::MAX as u64)? as u32)
            }
            "retry.backoff.ms" => self.retry_backoff_ms = parse_u64(key, value, 1, DAY_MS)?,
            "retry.backoff.max.ms" => self.retry_backoff_max_ms = parse_u64(key, value, 1, DAY_MS)?,
            "delivery.timeout.ms" | "message.timeout.ms" => {
                self.delivery_timeout_ms = parse_u64(key, value, 1, i32::MAX as u64)?
            }
            // A consumer's key in a pasted config: accepted and named in build's warning.
            _ if crate::consumer::CONSUMER_KEYS.contains(&key)
                && !crate::config::is_client_key(key) =>
            {
                self.client.ignore(key);
            }
            _ => {
                self.client.set(key, value)?;
            }
        }
        Ok(self)
    }

    /// The client settings (bootstrap servers, security, timeouts).
    pub fn client(&mut self) -> &mut ClientConfigBuilder {
        &mut self.client
    }

    /// `bootstrap.servers`.
    pub fn bootstrap_servers(&mut self, servers: impl Into<String>) -> &mut Self {
        self.client.bootstrap_servers(servers);
        self
    }

    /// `acks`.
    pub fn acks(&mut self, acks: Acks) -> &mut Self {
        self.acks = Some(acks);
        self
    }

    /// `enable.idempotence`.
    pub fn idempotence(&mut self, on: bool) -> &mut Self {
        self.idempotence = Some(on);
        self
    }

    /// `transactional.id`.
    pub fn transactional_id(&mut self, id: impl Into<String>) -> &mut Self {
        self.transactional_id = Some(id.into());
        self
    }

    /// `linger.ms`.
    pub fn linger(&mut self, linger: Duration) -> &mut Self {
        self.linger_ms = duration_ms(linger);
        self
    }

    /// `batch.size` in bytes.
    pub fn batch_size(&mut self, bytes: usize) -> &mut Self {
        self.batch_size = bytes as u64;
        self
    }

    /// `compression.type`.
    pub fn compression(&mut self, compression: Compression) -> &mut Self {
        self.compression = compression;
        self
    }

    /// `delivery.timeout.ms`.
    pub fn delivery_timeout(&mut self, timeout: Duration) -> &mut Self {
        self.delivery_timeout_ms = duration_ms(timeout);
        self
    }

    /// `retry.backoff.ms` and `retry.backoff.max.ms`.
    pub fn retry_backoff(&mut self, base: Duration, max: Duration) -> &mut Self {
        self.retry_backoff_ms = duration_ms(base);
        self.retry_backoff_max_ms = duration_ms(max);
        self
    }

    /// `max.block.ms`.
    pub fn max_block(&mut self, timeout: Duration) -> &mut Self {
        self.max_block_ms = duration_ms(timeout);
        self
    }

    /// A custom partitioner for records without an explicit partition.
    pub fn partitioner(&mut self, partitioner: Arc<dyn Partitioner>) -> &mut Self {
        self.partitioner = Some(partitioner);
        self
    }

    /// Checks every value and the rules between them, as the Java client does: an explicit
    /// `enable.idempotence=true` with `acks` other than all, more than 5 requests in flight,
    /// or `retries=0` is an error; when idempotence is only the default, those settings turn
    /// it off. `transactional.id` needs idempotence.
    pub fn build(&self) -> Result<ProducerConfig, ConfigError> {
        let client = self.client.build()?;
        let acks = self.acks.unwrap_or_default();
        let retries = self.retries.unwrap_or(i32::MAX as u32);
        let conflict = if acks != Acks::All {
            let written = match acks {
                Acks::None => "0",
                Acks::Leader => "1",
                Acks::All => "all",
            };
            Some((
                "acks",
                written.to_owned(),
                "acks=all (-1) when enable.idempotence=true",
            ))
        } else if client.max_in_flight > 5 {
            Some((
                "max.in.flight.requests.per.connection",
                client.max_in_flight.to_string(),
                "at most 5 when enable.idempotence=true",
            ))
        } else if retries == 0 {
            Some((
                "retries",
                "0".to_owned(),
                "at least 1 when enable.idempotence=true",
            ))
        } else {
            None
        };
        let idempotence = match (self.idempotence, &conflict) {
            (Some(true), Some((key, value, expected))) => {
                return Err(ConfigError::invalid(key, value, *expected))
            }
            (Some(on), _) => on,
            (None, Some((key, _, _))) => {
                if self.transactional_id.is_some() {
                    let (key, value, expected) = conflict.clone().unwrap_or_default();
                    return Err(ConfigError::invalid(key, &value, expected));
                }
                tracing::info!(key, "idempotence turned off: {key} conflicts with it");
                false
            }
            (None, None) => true,
        };
        if self.transactional_id.is_some() && !idempotence {
            return Err(ConfigError::invalid(
                "enable.idempotence",
                "false",
                "true when transactional.id is set",
            ));
        }
        if self.batch_size > self.message_max_bytes {
            return Err(ConfigError::invalid(
                "batch.size",
                &self.batch_size.to_string(),
                format!("at most message.max.bytes ({})", self.message_max_bytes),
            ));
        }
        if self.retry_backoff_max_ms < self.retry_backoff_ms {
            return Err(ConfigError::invalid(
                "retry.backoff.max.ms",
                &self.retry_backoff_max_ms.to_string(),
                format!("at least retry.backoff.ms ({})", self.retry_backoff_ms),
            ));
        }
        let request_timeout_ms = duration_ms(client.request_timeout);
        if self.delivery_timeout_ms < self.linger_ms + request_timeout_ms {
            return Err(ConfigError::invalid(
                "delivery.timeout.ms",
                &self.delivery_timeout_ms.to_string(),
                format!(
                    "at least linger.ms + request.timeout.ms ({})",
                    self.linger_ms + request_timeout_ms
                ),
            ));
        }
        self.compression
            .validate_level(self.compression_level)
            .map_err(|e| {
                ConfigError::invalid(
                    "compression.level",
                    &self.compression_level.unwrap_or_default().to_string(),
                    e.to_string(),
                )
            })?;
        Ok(ProducerConfig {
            client,
            acks,
            idempotence,
            transactional_id: self.transactional_id.clone(),
            transaction_timeout: Duration::from_millis(self.transaction_timeout_ms),
            linger: Duration::from_millis(self.linger_ms),
            batch_size: self.batch_size as usize,
            batch_num_messages: self.batch_num_messages as usize,
            buffer_memory: usize::try_from(self.buffer_memory).unwrap_or(usize::MAX),
            buffer_max_messages: self.buffer_max_messages as usize,
            max_block: Duration::from_millis(self.max_block_ms),
            compression: self.compression,
            compression_level: self.compression_level,
            message_max_bytes: self.message_max_bytes as usize,
            retries,
            retry_backoff: Duration::from_millis(self.retry_backoff_ms),
            retry_backoff_max: Duration::from_millis(self.retry_backoff_max_ms),
            delivery_timeout: Duration::from_millis(self.delivery_timeout_ms),
            partitioner: self.partitioner.clone(),
        })
    }
}

fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builder() -> ProducerConfigBuilder {
        let mut b = ProducerConfig::builder();
        b.bootstrap_servers("h:1");
        b
    }

    #[test]
    fn defaults_are_idempotent_acks_all() {
        let c = builder().build().unwrap();
        assert!(c.idempotence);
        assert_eq!(c.acks, Acks::All);
        assert_eq!(c.linger, Duration::from_millis(5));
        assert_eq!(c.client.max_in_flight, 5);
    }

    #[test]
    fn explicit_contradictions_are_errors() {
        let mut b = builder();
        b.set("enable.idempotence", "true").unwrap();
        b.set("acks", "1").unwrap();
        assert_eq!(b.build().unwrap_err().key(), Some("acks"));
        let mut b = builder();
        b.set("enable.idempotence", "true").unwrap();
        b.set("max.in.flight.requests.per.connection", "6").unwrap();
        assert_eq!(
            b.build().unwrap_err().key(),
            Some("max.in.flight.requests.per.connection")
        );
        let mut b = builder();
        b.set("enable.idempotence", "true").unwrap();
        b.set("retries", "0").unwrap();
        assert_eq!(b.build().unwrap_err().key(), Some("retries"));
        let mut b = builder();
        b.set("transactional.id", "t").unwrap();
        b.set("enable.idempotence", "false").unwrap();
        assert_eq!(b.build().unwrap_err().key(), Some("enable.idempotence"));
        let mut b = builder();
        b.set("transactional.id", "t").unwrap();
        b.set("acks", "1").unwrap();
        assert_eq!(b.build().unwrap_err().key(), Some("acks"));
    }

    #[test]
    fn default_idempotence_yields_to_explicit_settings() {
        let mut b = builder();
        b.set("acks", "1").unwrap();
        let c = b.build().unwrap();
        assert!(!c.idempotence);
        assert_eq!(c.acks, Acks::Leader);
    }

    #[test]
    fn other_rules_name_their_key() {
        let mut b = builder();
        b.set("batch.size", "2000000").unwrap();
        assert_eq!(b.build().unwrap_err().key(), Some("batch.size"));
        let mut b = builder();
        b.set("delivery.timeout.ms", "1000").unwrap();
        assert_eq!(b.build().unwrap_err().key(), Some("delivery.timeout.ms"));
        let mut b = builder();
        b.set("retry.backoff.ms", "500").unwrap();
        b.set("retry.backoff.max.ms", "100").unwrap();
        assert_eq!(b.build().unwrap_err().key(), Some("retry.backoff.max.ms"));
        let mut b = builder();
        b.set("compression.type", "gzip").unwrap();
        b.set("compression.level", "42").unwrap();
        assert_eq!(b.build().unwrap_err().key(), Some("compression.level"));
        assert_eq!(builder().set("acks", "2").unwrap_err().key(), Some("acks"));
        assert_eq!(
            builder().set("no.such", "1").unwrap_err().key(),
            Some("no.such")
        );
    }

    #[test]
    fn every_listed_key_is_accepted() {
        for key in PRODUCER_KEYS {
            let value = match *key {
                "acks" | "request.required.acks" => "all",
                "enable.idempotence" => "true",
                "transactional.id" => "tx",
                "compression.type" | "compression.codec" => "lz4",
                "compression.level" => "-1",
                "message.max.bytes" | "max.request.size" => "1000000",
                "delivery.timeout.ms" | "message.timeout.ms" => "120000",
                _ => "1000",
            };
            builder()
                .set(key, value)
                .unwrap_or_else(|e| panic!("{key}: {e}"));
        }
    }
}
