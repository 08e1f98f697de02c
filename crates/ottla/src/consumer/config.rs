//! The consumer's settings, by the Java client's and librdkafka's names.

use std::sync::Arc;
use std::time::Duration;

use crate::basic::FetchOptions;
use crate::cluster::Backoff;
use crate::config::parse::{parse_bool, parse_u64};
use crate::config::{ClientConfig, ClientConfigBuilder, ConfigError, Properties};
use crate::group::assignor::{self, Assignor};
use crate::group::{classic, kip848, GroupConfig};

/// Where to start in a partition the group has no committed offset for
/// (`auto.offset.reset`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetReset {
    /// The log start.
    Earliest,
    /// The end: only records written from now on.
    Latest,
    /// Fail: the application must seek.
    None,
    /// The first record written at or after this time (ms since the epoch); the end when
    /// there is none. Lambda's `AT_TIMESTAMP` starting position; set with
    /// [`ConsumerConfigBuilder::auto_offset_reset`].
    Timestamp(i64),
    /// The first record written within this long before the reset (KIP-1106's
    /// `by_duration:PnDTnHnMnS`, Kafka 4.0); the end when there is none.
    ByDuration(Duration),
}

/// An ISO-8601 duration of days and time (`P1D`, `PT1H30M`, `P2DT0.5S`), as Java's
/// `Duration.parse` reads it for KIP-1106; `None` when it is not one, is negative or
/// overflows.
fn parse_iso_duration(s: &str) -> Option<Duration> {
    let s = s.trim().to_ascii_uppercase();
    let rest = s.strip_prefix('P')?;
    let (days, time) = match rest.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (rest, None),
    };
    let mut secs = 0f64;
    let mut any = false;
    if !days.is_empty() {
        secs += days.strip_suffix('D')?.parse::<u32>().ok()? as f64 * 86_400.0;
        any = true;
    }
    if let Some(mut t) = time {
        if t.is_empty() {
            return None;
        }
        for (unit, factor) in [('H', 3_600.0), ('M', 60.0), ('S', 1.0)] {
            if let Some((n, after)) = t.split_once(unit) {
                let n: f64 = n.parse().ok()?;
                if !n.is_finite() || n < 0.0 || (unit != 'S' && n.fract() != 0.0) {
                    return None;
                }
                secs += n * factor;
                t = after;
                any = true;
            }
        }
        if !t.is_empty() {
            return None;
        }
    }
    (any && secs < 1e12).then(|| Duration::from_secs_f64(secs))
}

/// Which consumer group protocol a member speaks (`group.protocol`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupProtocol {
    /// JoinGroup, SyncGroup and Heartbeat; the client's assignor (the default, as in the
    /// Java client and librdkafka).
    Classic,
    /// KIP-848's ConsumerGroupHeartbeat; the coordinator assigns (Kafka 4.0+).
    Consumer,
}

/// Keys only the classic protocol uses: with `group.protocol=consumer` the coordinator owns
/// them, and setting one is an error (librdkafka's and the Java client's rule).
const CLASSIC_ONLY: [&str; 3] = [
    "session.timeout.ms",
    "heartbeat.interval.ms",
    "partition.assignment.strategy",
];

/// The consumer's own property names; every client key is accepted too.
pub const CONSUMER_KEYS: &[&str] = &[
    "group.id",
    "group.protocol",
    "group.remote.assignor",
    "group.instance.id",
    "auto.offset.reset",
    "enable.auto.commit",
    "auto.commit.interval.ms",
    "session.timeout.ms",
    "heartbeat.interval.ms",
    "max.poll.interval.ms",
    "partition.assignment.strategy",
    "isolation.level",
    "fetch.min.bytes",
    "fetch.max.bytes",
    "fetch.max.wait.ms",
    "fetch.wait.max.ms",
    "max.partition.fetch.bytes",
    "client.rack",
    "retry.backoff.ms",
    "retry.backoff.max.ms",
    "enable.partition.eof",
    "default.api.timeout.ms",
    "queued.max.messages.kbytes",
];

/// A consumer's configuration; build it with [`ConsumerConfig::builder`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ConsumerConfig {
    /// Connection, security and timeouts.
    pub(crate) client: ClientConfig,
    /// `group.id`.
    pub(crate) group_id: Option<String>,
    /// `group.instance.id` (static membership).
    pub(crate) group_instance_id: Option<String>,
    /// `auto.offset.reset` (default latest, as the Java client).
    pub(crate) auto_offset_reset: OffsetReset,
    /// `enable.auto.commit` (default true with a group).
    pub(crate) enable_auto_commit: bool,
    /// `auto.commit.interval.ms` (default 5 s).
    pub(crate) auto_commit_interval: Duration,
    /// `session.timeout.ms` (default 45 s).
    pub(crate) session_timeout: Duration,
    /// `heartbeat.interval.ms` (default 3 s).
    pub(crate) heartbeat_interval: Duration,
    /// `max.poll.interval.ms` (default 5 min).
    pub(crate) max_poll_interval: Duration,
    /// `partition.assignment.strategy` (default range, cooperative-sticky: the Java client's).
    pub(crate) assignors: Vec<Arc<dyn Assignor>>,
    /// Fetch sizes, wait and `isolation.level`.
    pub(crate) fetch: FetchOptions,
    /// `client.rack`.
    pub(crate) client_rack: Option<String>,
    /// `retry.backoff.ms` … `retry.backoff.max.ms`.
    pub(crate) retry_backoff: Backoff,
    /// `group.protocol` (default classic).
    pub(crate) group_protocol: GroupProtocol,
    /// `group.remote.assignor` (`group.protocol=consumer` only; the coordinator's default
    /// when unset).
    pub(crate) group_remote_assignor: Option<String>,
    /// `enable.partition.eof` (librdkafka's key; default false): an
    /// [`ConsumerEvent::PartitionEof`](super::ConsumerEvent::PartitionEof) each time a
    /// partition's position reaches its end.
    pub(crate) enable_partition_eof: bool,
    /// `queued.max.messages.kbytes` (librdkafka's key, and its default: 64 MB): fetched
    /// records waiting for the application, in bytes of keys, values and headers. Past it
    /// no Fetch starts until the application catches up, so memory stays under this plus
    /// the Fetches in flight (`fetch.max.bytes` per broker).
    pub(crate) max_buffered_bytes: usize,
    /// `default.api.timeout.ms` (default 60 s): how long `commit` and `committed` retry
    /// retriable failures (a coordinator being looked up or moving) before giving up.
    pub(crate) default_api_timeout: Duration,
}

/// Read-only access: a `ConsumerConfig` is made only by its builder, which validates it.
impl ConsumerConfig {
    /// Connection, security and timeouts.
    pub fn client(&self) -> &ClientConfig {
        &self.client
    }

    /// `group.id`.
    pub fn group_id(&self) -> Option<&str> {
        self.group_id.as_deref()
    }

    /// `group.instance.id` (static membership).
    pub fn group_instance_id(&self) -> Option<&str> {
        self.group_instance_id.as_deref()
    }

    /// `auto.offset.reset` (default latest, as the Java client).
    pub fn auto_offset_reset(&self) -> OffsetReset {
        self.auto_offset_reset
    }

    /// `enable.auto.commit` (default true with a group).
    pub fn enable_auto_commit(&self) -> bool {
        self.enable_auto_commit
    }

    /// `auto.commit.interval.ms` (default 5 s).
    pub fn auto_commit_interval(&self) -> Duration {
        self.auto_commit_interval
    }

    /// `session.timeout.ms` (default 45 s).
    pub fn session_timeout(&self) -> Duration {
        self.session_timeout
    }

    /// `heartbeat.interval.ms` (default 3 s).
    pub fn heartbeat_interval(&self) -> Duration {
        self.heartbeat_interval
    }

    /// `max.poll.interval.ms` (default 5 min).
    pub fn max_poll_interval(&self) -> Duration {
        self.max_poll_interval
    }

    /// `partition.assignment.strategy` (default range, cooperative-sticky: the Java client's).
    pub fn assignors(&self) -> &[Arc<dyn Assignor>] {
        &self.assignors
    }

    /// Fetch sizes, wait and `isolation.level`.
    pub fn fetch(&self) -> &FetchOptions {
        &self.fetch
    }

    /// `client.rack`.
    pub fn client_rack(&self) -> Option<&str> {
        self.client_rack.as_deref()
    }

    /// `retry.backoff.ms` … `retry.backoff.max.ms`.
    pub fn retry_backoff(&self) -> Backoff {
        self.retry_backoff
    }

    /// `group.protocol` (default classic).
    pub fn group_protocol(&self) -> GroupProtocol {
        self.group_protocol
    }

    /// `group.remote.assignor` (`group.protocol=consumer` only; the coordinator's default
    /// when unset).
    pub fn group_remote_assignor(&self) -> Option<&str> {
        self.group_remote_assignor.as_deref()
    }

    /// `enable.partition.eof` (librdkafka's key; default false): an
    /// [`ConsumerEvent::PartitionEof`](super::ConsumerEvent::PartitionEof) each time a
    /// partition's position reaches its end.
    pub fn enable_partition_eof(&self) -> bool {
        self.enable_partition_eof
    }

    /// `queued.max.messages.kbytes` (librdkafka's key, and its default: 64 MB): fetched
    /// records waiting for the application, in bytes of keys, values and headers. Past it
    /// no Fetch starts until the application catches up, so memory stays under this plus
    /// the Fetches in flight (`fetch.max.bytes` per broker).
    pub fn max_buffered_bytes(&self) -> usize {
        self.max_buffered_bytes
    }

    /// `default.api.timeout.ms` (default 60 s): how long `commit` and `committed` retry
    /// retriable failures (a coordinator being looked up or moving) before giving up.
    pub fn default_api_timeout(&self) -> Duration {
        self.default_api_timeout
    }
}

impl ConsumerConfig {
    /// A builder with the defaults above.
    pub fn builder() -> ConsumerConfigBuilder {
        ConsumerConfigBuilder::default()
    }

    /// Builds a configuration from Kafka properties (client and consumer keys).
    pub fn from_properties(props: &Properties) -> Result<Self, ConfigError> {
        let mut b = Self::builder();
        for (k, v) in props.iter() {
            b.set(k, v)?;
        }
        b.build()
    }

    /// The group member's settings, when there is a group.
    pub(crate) fn membership(&self) -> Option<GroupConfig> {
        let group_id = self.group_id.clone()?;
        Some(match self.group_protocol {
            GroupProtocol::Classic => GroupConfig::Classic(classic::MembershipConfig {
                group_id,
                group_instance_id: self.group_instance_id.clone(),
                session_timeout: self.session_timeout,
                rebalance_timeout: self.max_poll_interval,
                heartbeat_interval: self.heartbeat_interval,
                retry_backoff: self.retry_backoff,
                assignors: self.assignors.clone(),
                rack: self.client_rack.clone(),
            }),
            GroupProtocol::Consumer => GroupConfig::Consumer(kip848::MembershipConfig {
                group_id,
                group_instance_id: self.group_instance_id.clone(),
                rebalance_timeout: self.max_poll_interval,
                retry_backoff: self.retry_backoff,
                remote_assignor: self.group_remote_assignor.clone(),
                rack: self.client_rack.clone(),
            }),
        })
    }
}

/// Builds a [`ConsumerConfig`]; checked at [`build`](Self::build).
#[derive(Debug, Clone)]
pub struct ConsumerConfigBuilder {
    client: ClientConfigBuilder,
    group_id: Option<String>,
    group_instance_id: Option<String>,
    auto_offset_reset: OffsetReset,
    enable_auto_commit: Option<bool>,
    auto_commit_interval_ms: u64,
    session_timeout_ms: u64,
    heartbeat_interval_ms: u64,
    max_poll_interval_ms: u64,
    assignors: Vec<Arc<dyn Assignor>>,
    fetch: FetchOptions,
    client_rack: Option<String>,
    retry_backoff_ms: u64,
    retry_backoff_max_ms: u64,
    group_protocol: GroupProtocol,
    group_remote_assignor: Option<String>,
    enable_partition_eof: bool,
    queued_max_kbytes: u64,
    default_api_timeout_ms: u64,
    /// Classic-only keys set, with their values (an error with `group.protocol=consumer`).
    classic_only: Vec<(&'static str, String)>,
}

impl Default for ConsumerConfigBuilder {
    fn default() -> Self {
        Self {
            client: ClientConfig::builder(),
            group_id: None,
            group_instance_id: None,
            auto_offset_reset: OffsetReset::Latest,
            enable_auto_commit: None,
            auto_commit_interval_ms: 5_000,
            session_timeout_ms: 45_000,
            heartbeat_interval_ms: 3_000,
            max_poll_interval_ms: 300_000,
            assignors: vec![
                Arc::new(assignor::Range),
                Arc::new(assignor::CooperativeSticky),
            ],
            fetch: FetchOptions::default(),
            client_rack: None,
            retry_backoff_ms: 100,
            retry_backoff_max_ms: 1_000,
            group_protocol: GroupProtocol::Classic,
            group_remote_assignor: None,
            enable_partition_eof: false,
            queued_max_kbytes: 65_536,
            default_api_timeout_ms: 60_000,
            classic_only: Vec::new(),
        }
    }
}

const DAY_MS: u64 = 86_400_000;

fn non_empty(key: &str, value: &str) -> Result<String, ConfigError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(ConfigError::invalid(key, value, "a non-empty string"));
    }
    Ok(v.to_owned())
}

impl ConsumerConfigBuilder {
    /// Sets one property by its Kafka name (consumer keys above, else client keys); an
    /// unknown key or a bad value is a [`ConfigError`] naming the key.
    pub fn set(&mut self, key: &str, value: &str) -> Result<&mut Self, ConfigError> {
        let i32_max = i32::MAX as u64;
        if let Some(k) = CLASSIC_ONLY.iter().find(|k| **k == key) {
            self.classic_only.retain(|(set, _)| set != k);
            self.classic_only.push((k, value.to_owned()));
        }
        match key {
            "group.id" => self.group_id = Some(non_empty(key, value)?),
            "group.protocol" => {
                self.group_protocol = match value.trim().to_ascii_lowercase().as_str() {
                    "classic" => GroupProtocol::Classic,
                    "consumer" => GroupProtocol::Consumer,
                    _ => return Err(ConfigError::invalid(key, value, "classic or consumer")),
                }
            }
            "group.remote.assignor" => self.group_remote_assignor = Some(non_empty(key, value)?),
            "enable.partition.eof" => self.enable_partition_eof = parse_bool(key, value)?,
            // librdkafka's range: 1 KB to 2 GB.
            "queued.max.messages.kbytes" => {
                self.queued_max_kbytes = parse_u64(key, value, 1, 2_097_151)?
            }
            "default.api.timeout.ms" => {
                self.default_api_timeout_ms = parse_u64(key, value, 0, i32_max)?
            }
            "group.instance.id" => self.group_instance_id = Some(non_empty(key, value)?),
            "auto.offset.reset" => {
                self.auto_offset_reset = match value.trim().to_ascii_lowercase().as_str() {
                    "earliest" | "smallest" | "beginning" => OffsetReset::Earliest,
                    "latest" | "largest" | "end" => OffsetReset::Latest,
                    "none" | "error" => OffsetReset::None,
                    v => match v.strip_prefix("by_duration:") {
                        Some(d) => {
                            OffsetReset::ByDuration(parse_iso_duration(d).ok_or_else(|| {
                                ConfigError::invalid(
                            key,
                            value,
                            "by_duration:PnDTnHnMnS (an ISO-8601 duration, e.g. by_duration:PT1H)",
                        )
                            })?)
                        }
                        None => {
                            return Err(ConfigError::invalid(
                                key,
                                value,
                                "earliest, latest, none or by_duration:PnDTnHnMnS",
                            ))
                        }
                    },
                }
            }
            "enable.auto.commit" => self.enable_auto_commit = Some(parse_bool(key, value)?),
            "auto.commit.interval.ms" => {
                self.auto_commit_interval_ms = parse_u64(key, value, 1, DAY_MS)?
            }
            "session.timeout.ms" => self.session_timeout_ms = parse_u64(key, value, 1, i32_max)?,
            "heartbeat.interval.ms" => {
                self.heartbeat_interval_ms = parse_u64(key, value, 1, i32_max)?
            }
            "max.poll.interval.ms" => {
                self.max_poll_interval_ms = parse_u64(key, value, 1, i32_max)?
            }
            "partition.assignment.strategy" => {
                let mut assignors = Vec::new();
                for name in value.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                    assignors.push(Arc::from(assignor::by_name(name).ok_or_else(|| {
                        ConfigError::invalid(key, value, "range, roundrobin or cooperative-sticky (or the Java class names), comma-separated")
                    })?));
                }
                if assignors.is_empty() {
                    return Err(ConfigError::invalid(key, value, "at least one assignor"));
                }
                self.assignors = assignors;
            }
            "isolation.level" => {
                self.fetch.set(key, value)?;
            }
            "fetch.min.bytes" => self.fetch.min_bytes = parse_u64(key, value, 0, i32_max)? as i32,
            "fetch.max.bytes" => self.fetch.max_bytes = parse_u64(key, value, 1, i32_max)? as i32,
            "fetch.max.wait.ms" | "fetch.wait.max.ms" => {
                self.fetch.max_wait = Duration::from_millis(parse_u64(key, value, 0, 300_000)?)
            }
            "max.partition.fetch.bytes" => {
                self.fetch.partition_max_bytes = parse_u64(key, value, 1, i32_max)? as i32
            }
            "client.rack" => self.client_rack = Some(non_empty(key, value)?),
            "retry.backoff.ms" => self.retry_backoff_ms = parse_u64(key, value, 1, DAY_MS)?,
            "retry.backoff.max.ms" => self.retry_backoff_max_ms = parse_u64(key, value, 1, DAY_MS)?,
            // A producer's key in a pasted config: accepted and named in build's warning.
            _ if crate::producer::PRODUCER_KEYS.contains(&key)
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

    /// `bootstrap.servers`.
    pub fn bootstrap_servers(&mut self, servers: impl Into<String>) -> &mut Self {
        self.client.bootstrap_servers(servers);
        self
    }

    /// `auto.offset.reset`, including the forms no key names ([`OffsetReset::Timestamp`]).
    pub fn auto_offset_reset(&mut self, reset: OffsetReset) -> &mut Self {
        self.auto_offset_reset = reset;
        self
    }

    /// `group.id`.
    pub fn group_id(&mut self, group: impl Into<String>) -> &mut Self {
        self.group_id = Some(group.into());
        self
    }

    /// The client settings (bootstrap servers, security, timeouts).
    pub fn client(&mut self) -> &mut ClientConfigBuilder {
        &mut self.client
    }

    /// Checks the settings together and builds the configuration.
    pub fn build(&self) -> Result<ConsumerConfig, ConfigError> {
        let client = self.client.build()?;
        match self.group_protocol {
            GroupProtocol::Consumer => {
                if let Some((key, value)) = self.classic_only.first() {
                    return Err(ConfigError::invalid(
                        key,
                        value,
                        "nothing with group.protocol=consumer: the group coordinator sets it (group.consumer.* broker configs; group.remote.assignor picks the assignor); remove it or use group.protocol=classic",
                    ));
                }
            }
            GroupProtocol::Classic => {
                if let Some(assignor) = &self.group_remote_assignor {
                    return Err(ConfigError::invalid(
                        "group.remote.assignor",
                        assignor,
                        "group.protocol=consumer (with classic, partition.assignment.strategy picks the assignor)",
                    ));
                }
            }
        }
        if self.heartbeat_interval_ms >= self.session_timeout_ms {
            return Err(ConfigError::invalid(
                "heartbeat.interval.ms",
                &self.heartbeat_interval_ms.to_string(),
                format!("less than session.timeout.ms ({})", self.session_timeout_ms),
            ));
        }
        if self.retry_backoff_max_ms < self.retry_backoff_ms {
            return Err(ConfigError::invalid(
                "retry.backoff.max.ms",
                &self.retry_backoff_max_ms.to_string(),
                format!("at least retry.backoff.ms ({})", self.retry_backoff_ms),
            ));
        }
        if self.group_id.is_none() {
            if let Some(instance) = &self.group_instance_id {
                return Err(ConfigError::invalid(
                    "group.instance.id",
                    instance,
                    "a group.id set too",
                ));
            }
            if self.enable_auto_commit == Some(true) {
                return Err(ConfigError::invalid(
                    "enable.auto.commit",
                    "true",
                    "a group.id to commit to (set group.id, or enable.auto.commit=false)",
                ));
            }
        }
        Ok(ConsumerConfig {
            client,
            group_id: self.group_id.clone(),
            group_instance_id: self.group_instance_id.clone(),
            auto_offset_reset: self.auto_offset_reset,
            enable_auto_commit: self.enable_auto_commit.unwrap_or(self.group_id.is_some()),
            auto_commit_interval: Duration::from_millis(self.auto_commit_interval_ms),
            session_timeout: Duration::from_millis(self.session_timeout_ms),
            heartbeat_interval: Duration::from_millis(self.heartbeat_interval_ms),
            max_poll_interval: Duration::from_millis(self.max_poll_interval_ms),
            assignors: self.assignors.clone(),
            fetch: FetchOptions {
                rack: self.client_rack.clone(),
                ..self.fetch.clone()
            },
            client_rack: self.client_rack.clone(),
            retry_backoff: Backoff {
                base: Duration::from_millis(self.retry_backoff_ms),
                max: Duration::from_millis(self.retry_backoff_max_ms.max(self.retry_backoff_ms)),
            },
            group_protocol: self.group_protocol,
            group_remote_assignor: self.group_remote_assignor.clone(),
            enable_partition_eof: self.enable_partition_eof,
            max_buffered_bytes: (self.queued_max_kbytes * 1024) as usize,
            default_api_timeout: Duration::from_millis(self.default_api_timeout_ms),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(props: &[(&str, &str)]) -> Result<ConsumerConfig, ConfigError> {
        let mut b = ConsumerConfig::builder();
        b.bootstrap_servers("127.0.0.1:9092");
        for (k, v) in props {
            b.set(k, v)?;
        }
        b.build()
    }

    /// The confluent-kafka consumer config of Amazon MSK's guide works unchanged.
    #[test]
    fn an_msk_guide_consumer_config_works_as_it_is() {
        let c = build(&[
            ("group.id", "orders"),
            ("client.id", "svc-1"),
            ("auto.offset.reset", "earliest"),
            ("enable.auto.commit", "true"),
            ("auto.commit.interval.ms", "5000"),
            ("session.timeout.ms", "30000"),
            ("heartbeat.interval.ms", "10000"),
        ])
        .unwrap();
        assert_eq!(c.group_id.as_deref(), Some("orders"));
        assert_eq!(c.auto_offset_reset, OffsetReset::Earliest);
        assert!(c.enable_auto_commit);
        assert_eq!(c.session_timeout, Duration::from_secs(30));
        assert_eq!(c.heartbeat_interval, Duration::from_secs(10));
        let names: Vec<&str> = c.assignors.iter().map(|a| a.name()).collect();
        assert_eq!(names, ["range", "cooperative-sticky"]);
        let Some(GroupConfig::Classic(m)) = c.membership() else {
            panic!("classic is the default");
        };
        assert_eq!(m.rebalance_timeout, Duration::from_secs(300));
    }

    /// KIP-1106's `by_duration:` reads ISO-8601 durations as Java's `Duration.parse` does.
    #[test]
    fn auto_offset_reset_by_duration() {
        for (text, secs) in [
            ("by_duration:PT1H", 3_600.0),
            ("by_duration:P1D", 86_400.0),
            ("by_duration:p2dt30m", 2.0 * 86_400.0 + 1_800.0),
            ("BY_DURATION:PT0.5S", 0.5),
            ("by_duration:P1DT1H1M1S", 90_061.0),
        ] {
            let c = build(&[("auto.offset.reset", text)]).unwrap();
            assert_eq!(
                c.auto_offset_reset,
                OffsetReset::ByDuration(Duration::from_secs_f64(secs)),
                "{text}"
            );
        }
        for bad in [
            "by_duration:",
            "by_duration:P",
            "by_duration:PT",
            "by_duration:1H",
            "by_duration:PT-1H",
            "by_duration:PT1.5H",
            "by_duration:PT1X",
            "by_duration:P1W",
            "by_duration:PTNaNS",
            "by_duration:P99999999999D",
        ] {
            let e = build(&[("auto.offset.reset", bad)]).unwrap_err();
            assert!(
                matches!(&e, ConfigError::InvalidValue { key, .. } if key == "auto.offset.reset"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn bad_values_name_their_key() {
        for (props, key) in [
            (
                vec![("auto.offset.reset", "sometimes")],
                "auto.offset.reset",
            ),
            (
                vec![("partition.assignment.strategy", "range,sticky-ish")],
                "partition.assignment.strategy",
            ),
            (
                vec![
                    ("session.timeout.ms", "3000"),
                    ("heartbeat.interval.ms", "3000"),
                ],
                "heartbeat.interval.ms",
            ),
            (vec![("enable.auto.commit", "true")], "enable.auto.commit"),
            (vec![("group.instance.id", "pod-1")], "group.instance.id"),
            (vec![("isolation.level", "dirty")], "isolation.level"),
        ] {
            let e = build(&props).unwrap_err();
            assert!(
                matches!(&e, ConfigError::InvalidValue { key: k, .. } if k == key),
                "{props:?}: {e}"
            );
        }
        assert!(matches!(
            build(&[("group.idd", "x")]),
            Err(ConfigError::UnknownKey { .. })
        ));
        let c = build(&[(
            "partition.assignment.strategy",
            "org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
        )])
        .unwrap();
        assert_eq!(c.assignors[0].name(), "cooperative-sticky");
        assert!(!c.enable_auto_commit, "no group, no auto commit");
    }

    /// KIP-848: the coordinator owns the session, the heartbeat interval and the assignor,
    /// so those keys are errors that name themselves (librdkafka's and Java's rule); the
    /// remote assignor means nothing to a classic member.
    #[test]
    fn keys_of_the_other_group_protocol_are_errors() {
        let c = build(&[
            ("group.id", "g"),
            ("group.protocol", "consumer"),
            ("group.remote.assignor", "uniform"),
            ("max.poll.interval.ms", "60000"),
        ])
        .unwrap();
        let Some(GroupConfig::Consumer(m)) = c.membership() else {
            panic!("group.protocol=consumer gives a KIP-848 member");
        };
        assert_eq!(m.remote_assignor.as_deref(), Some("uniform"));
        assert_eq!(m.rebalance_timeout, Duration::from_secs(60));
        for key in CLASSIC_ONLY {
            let value = if key == "partition.assignment.strategy" {
                "range"
            } else {
                "3000"
            };
            let e = build(&[
                ("group.id", "g"),
                (key, value),
                ("group.protocol", "consumer"),
            ])
            .unwrap_err();
            assert!(
                matches!(&e, ConfigError::InvalidValue { key: k, .. } if k == key),
                "{key}: {e}"
            );
            assert!(e.to_string().contains("group.protocol=consumer"), "{e}");
        }
        let e = build(&[("group.id", "g"), ("group.remote.assignor", "range")]).unwrap_err();
        assert!(
            matches!(&e, ConfigError::InvalidValue { key, .. } if key == "group.remote.assignor"),
            "{e}"
        );
        let e = build(&[("group.protocol", "streams")]).unwrap_err();
        assert!(matches!(&e, ConfigError::InvalidValue { key, .. } if key == "group.protocol"));
    }
}
