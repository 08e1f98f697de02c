//! Configuration of the low-level client: bootstrap, timeouts, backoff, limits.

use std::sync::Arc;
use std::time::Duration;

use ottla_aws::{AwsEnv, ProvideAwsCredentials};
use ottla_sasl::TokenProvider;

use super::parse::parse_u64;
use super::{ConfigError, Properties, SecuritySettings};

/// A validated client configuration. Build it with [`ClientConfig::builder`]; read it through
/// its getters. It cannot be made or changed around the builder's validation:
///
/// ```compile_fail
/// fn bypass(mut config: ottla::ClientConfig) {
///     config.max_in_flight = 0; // private field
/// }
/// ```
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// `bootstrap.servers`: (host, port) pairs tried in turn.
    pub(crate) bootstrap_servers: Vec<(String, u16)>,
    /// `client.id`.
    pub(crate) client_id: String,
    /// `request.timeout.ms`: one deadline covering queueing, write, flush and read.
    pub(crate) request_timeout: Duration,
    /// `socket.connection.setup.timeout.ms`.
    pub(crate) connection_setup_timeout: Duration,
    /// `metadata.max.age.ms`.
    pub(crate) metadata_max_age: Duration,
    /// `reconnect.backoff.ms`.
    pub(crate) reconnect_backoff: Duration,
    /// `reconnect.backoff.max.ms`.
    pub(crate) reconnect_backoff_max: Duration,
    /// `max.in.flight.requests.per.connection`.
    pub(crate) max_in_flight: usize,
    /// `receive.message.max.bytes`: the largest response frame accepted.
    pub(crate) receive_message_max_bytes: usize,
    /// `security.protocol`, `sasl.*`, `ssl.*`.
    pub(crate) security: SecuritySettings,
    /// Where OAUTHBEARER tokens come from (`sasl.mechanism=OAUTHBEARER`).
    pub(crate) token_provider: Option<Arc<dyn TokenProvider>>,
    /// AWS credentials for MSK IAM and Secrets Manager instead of the default chain.
    pub(crate) aws_credentials: Option<Arc<dyn ProvideAwsCredentials>>,
    /// The environment the AWS chain reads (`None`: the process environment at connect).
    pub(crate) aws_env: Option<AwsEnv>,
    /// Keys accepted but not used: the Java client's or librdkafka's properties ottla has no
    /// use for, or another role's (a producer key in a consumer's config). `build` warns once
    /// naming them.
    pub(crate) ignored_keys: Vec<String>,
}

/// Read-only access: a `ClientConfig` is made only by its builder, which validates it.
impl ClientConfig {
    /// `bootstrap.servers`: (host, port) pairs tried in turn.
    pub fn bootstrap_servers(&self) -> &[(String, u16)] {
        &self.bootstrap_servers
    }

    /// `client.id`.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// `request.timeout.ms`: one deadline covering queueing, write, flush and read.
    pub fn request_timeout(&self) -> Duration {
        self.request_timeout
    }

    /// `socket.connection.setup.timeout.ms`.
    pub fn connection_setup_timeout(&self) -> Duration {
        self.connection_setup_timeout
    }

    /// `metadata.max.age.ms`.
    pub fn metadata_max_age(&self) -> Duration {
        self.metadata_max_age
    }

    /// `reconnect.backoff.ms`.
    pub fn reconnect_backoff(&self) -> Duration {
        self.reconnect_backoff
    }

    /// `reconnect.backoff.max.ms`.
    pub fn reconnect_backoff_max(&self) -> Duration {
        self.reconnect_backoff_max
    }

    /// `max.in.flight.requests.per.connection`.
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight
    }

    /// `receive.message.max.bytes`: the largest response frame accepted.
    pub fn receive_message_max_bytes(&self) -> usize {
        self.receive_message_max_bytes
    }

    /// `security.protocol`, `sasl.*`, `ssl.*`.
    pub fn security(&self) -> &SecuritySettings {
        &self.security
    }

    /// Where OAUTHBEARER tokens come from (`sasl.mechanism=OAUTHBEARER`).
    pub fn token_provider(&self) -> Option<&Arc<dyn TokenProvider>> {
        self.token_provider.as_ref()
    }

    /// AWS credentials for MSK IAM and Secrets Manager instead of the default chain.
    pub fn aws_credentials(&self) -> Option<&Arc<dyn ProvideAwsCredentials>> {
        self.aws_credentials.as_ref()
    }

    /// The environment the AWS chain reads (`None`: the process environment at connect).
    pub fn aws_env(&self) -> Option<&AwsEnv> {
        self.aws_env.as_ref()
    }

    /// Keys accepted but not used: the Java client's or librdkafka's properties ottla has no
    /// use for, or another role's (a producer key in a consumer's config). `build` warns once
    /// naming them.
    pub fn ignored_keys(&self) -> &[String] {
        &self.ignored_keys
    }
}

impl ClientConfig {
    /// The same configuration with only the `index`-th bootstrap server (as listed), e.g. to
    /// probe one broker at a time; `None` when there is no such server.
    pub fn with_only_bootstrap_server(&self, index: usize) -> Option<ClientConfig> {
        let server = self.bootstrap_servers.get(index)?.clone();
        let mut c = self.clone();
        c.bootstrap_servers = vec![server];
        Some(c)
    }

    /// `bootstrap.servers` as written: `host:port,host:port`.
    pub fn bootstrap_servers_text(&self) -> String {
        self.bootstrap_servers
            .iter()
            .map(|(h, p)| format!("{h}:{p}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// A builder with Kafka's defaults.
    pub fn builder() -> ClientConfigBuilder {
        ClientConfigBuilder::default()
    }

    /// Builds a configuration from Kafka properties; every key must be a client key.
    pub fn from_properties(props: &Properties) -> Result<Self, ConfigError> {
        let mut b = Self::builder();
        for (k, v) in props.iter() {
            b.set(k, v)?;
        }
        b.build()
    }
}

/// Builds a [`ClientConfig`]; values are checked at [`build`](Self::build).
#[derive(Debug, Clone)]
pub struct ClientConfigBuilder {
    bootstrap_servers: Option<String>,
    client_id: String,
    request_timeout_ms: u64,
    connection_setup_timeout_ms: u64,
    metadata_max_age_ms: u64,
    reconnect_backoff_ms: u64,
    reconnect_backoff_max_ms: u64,
    max_in_flight: u64,
    receive_message_max_bytes: u64,
    security: SecuritySettings,
    token_provider: Option<Arc<dyn TokenProvider>>,
    aws_credentials: Option<Arc<dyn ProvideAwsCredentials>>,
    aws_env: Option<AwsEnv>,
    ignored_keys: Vec<String>,
}

impl Default for ClientConfigBuilder {
    fn default() -> Self {
        Self {
            bootstrap_servers: None,
            client_id: "ottla".into(),
            request_timeout_ms: 30_000,
            connection_setup_timeout_ms: 10_000,
            metadata_max_age_ms: 300_000,
            reconnect_backoff_ms: 50,
            reconnect_backoff_max_ms: 1_000,
            max_in_flight: 5,
            receive_message_max_bytes: ottla_protocol::frame::DEFAULT_MAX_FRAME_SIZE as u64,
            security: SecuritySettings::default(),
            token_provider: None,
            aws_credentials: None,
            aws_env: None,
            ignored_keys: Vec::new(),
        }
    }
}

/// The client's own property names (connections, timeouts, limits); the security ones are
/// [`SECURITY_KEYS`](super::SECURITY_KEYS). See [`is_client_key`].
pub const CLIENT_KEYS: &[&str] = &[
    "bootstrap.servers",
    "metadata.broker.list",
    "client.id",
    "request.timeout.ms",
    "socket.connection.setup.timeout.ms",
    "metadata.max.age.ms",
    "reconnect.backoff.ms",
    "reconnect.backoff.max.ms",
    "max.in.flight.requests.per.connection",
    "max.in.flight",
    "receive.message.max.bytes",
];

/// Whether `key` is a property [`ClientConfigBuilder::set`] accepts.
pub fn is_client_key(key: &str) -> bool {
    CLIENT_KEYS.contains(&key) || super::SECURITY_KEYS.contains(&key)
}

impl ClientConfigBuilder {
    /// Sets one property by its Kafka name. A property of the Java client or librdkafka that
    /// ottla does not use ([`FOREIGN_KEYS`](super::FOREIGN_KEYS)) is accepted and ignored
    /// (see [`ClientConfig::ignored_keys`]); a key nobody knows is
    /// [`ConfigError::UnknownKey`], with the closest known key as a suggestion.
    pub fn set(&mut self, key: &str, value: &str) -> Result<&mut Self, ConfigError> {
        const DAY_MS: u64 = 86_400_000;
        match key {
            "bootstrap.servers" | "metadata.broker.list" => {
                self.bootstrap_servers = Some(value.to_owned())
            }
            "client.id" => self.client_id = value.to_owned(),
            "request.timeout.ms" => self.request_timeout_ms = parse_u64(key, value, 1, DAY_MS)?,
            "socket.connection.setup.timeout.ms" => {
                self.connection_setup_timeout_ms = parse_u64(key, value, 1, DAY_MS)?
            }
            "metadata.max.age.ms" => self.metadata_max_age_ms = parse_u64(key, value, 1, DAY_MS)?,
            "reconnect.backoff.ms" => self.reconnect_backoff_ms = parse_u64(key, value, 0, DAY_MS)?,
            "reconnect.backoff.max.ms" => {
                self.reconnect_backoff_max_ms = parse_u64(key, value, 0, DAY_MS)?
            }
            "max.in.flight.requests.per.connection" | "max.in.flight" => {
                self.max_in_flight = parse_u64(key, value, 1, 1_000_000)?
            }
            "receive.message.max.bytes" => {
                self.receive_message_max_bytes = parse_u64(key, value, 1_000, i32::MAX as u64)?
            }
            _ => {
                if !self.security.set(key, value)? {
                    if !super::is_foreign_key(key) {
                        return Err(ConfigError::unknown_key(key));
                    }
                    self.ignore(key);
                }
            }
        }
        Ok(self)
    }

    /// Accepts `key` without using it (a property meant for another client or role); it is
    /// listed in [`ClientConfig::ignored_keys`] and named in `build`'s warning.
    pub fn ignore(&mut self, key: &str) -> &mut Self {
        if !self.ignored_keys.iter().any(|k| k == key) {
            self.ignored_keys.push(key.to_owned());
        }
        self
    }

    /// `bootstrap.servers`: comma-separated `host:port` list.
    pub fn bootstrap_servers(&mut self, servers: impl Into<String>) -> &mut Self {
        self.bootstrap_servers = Some(servers.into());
        self
    }

    /// The OAUTHBEARER token provider, asked for a fresh token at every (re-)authentication.
    pub fn token_provider(&mut self, provider: Arc<dyn TokenProvider>) -> &mut Self {
        self.token_provider = Some(provider);
        self
    }

    /// AWS credentials for MSK IAM (`sasl.mechanism=AWS_MSK_IAM`, or OAUTHBEARER with
    /// `sasl.oauthbearer.method=aws_msk_iam`) and Secrets Manager (`sasl.scram.secret.id`),
    /// instead of the default chain (environment, web identity, profiles, ECS, EC2). They are
    /// asked again at every (re-)authentication; `aws.role.arn` still applies on top.
    pub fn aws_credentials(&mut self, provider: Arc<dyn ProvideAwsCredentials>) -> &mut Self {
        self.aws_credentials = Some(provider);
        self
    }

    /// The environment variables the AWS chain reads (`AWS_*`, `HOME`), instead of the
    /// process environment at connect time.
    pub fn aws_env(&mut self, env: AwsEnv) -> &mut Self {
        self.aws_env = Some(env);
        self
    }

    /// `client.id`.
    pub fn client_id(&mut self, id: impl Into<String>) -> &mut Self {
        self.client_id = id.into();
        self
    }

    /// `request.timeout.ms`.
    pub fn request_timeout(&mut self, d: Duration) -> &mut Self {
        self.request_timeout_ms = d.as_millis().min(u64::MAX as u128) as u64;
        self
    }

    /// `socket.connection.setup.timeout.ms`.
    pub fn connection_setup_timeout(&mut self, d: Duration) -> &mut Self {
        self.connection_setup_timeout_ms = d.as_millis().min(u64::MAX as u128) as u64;
        self
    }

    /// `metadata.max.age.ms`.
    pub fn metadata_max_age(&mut self, d: Duration) -> &mut Self {
        self.metadata_max_age_ms = d.as_millis().min(u64::MAX as u128) as u64;
        self
    }

    /// `reconnect.backoff.ms` and `reconnect.backoff.max.ms`.
    pub fn reconnect_backoff(&mut self, base: Duration, max: Duration) -> &mut Self {
        self.reconnect_backoff_ms = base.as_millis().min(u64::MAX as u128) as u64;
        self.reconnect_backoff_max_ms = max.as_millis().min(u64::MAX as u128) as u64;
        self
    }

    /// `max.in.flight.requests.per.connection`.
    pub fn max_in_flight(&mut self, n: usize) -> &mut Self {
        self.max_in_flight = n as u64;
        self
    }

    /// `receive.message.max.bytes`.
    pub fn receive_message_max_bytes(&mut self, n: usize) -> &mut Self {
        self.receive_message_max_bytes = n as u64;
        self
    }

    /// Checks every value and builds the configuration.
    pub fn build(&self) -> Result<ClientConfig, ConfigError> {
        let raw = self
            .bootstrap_servers
            .as_deref()
            .ok_or(ConfigError::Missing {
                key: "bootstrap.servers".into(),
                because: None,
            })?;
        let bootstrap_servers = parse_bootstrap(raw)?;
        let ms = |key: &str, v: u64, min: u64| {
            if v < min {
                Err(ConfigError::invalid(
                    key,
                    &v.to_string(),
                    format!("at least {min}"),
                ))
            } else {
                Ok(Duration::from_millis(v))
            }
        };
        if self.reconnect_backoff_max_ms < self.reconnect_backoff_ms {
            return Err(ConfigError::invalid(
                "reconnect.backoff.max.ms",
                &self.reconnect_backoff_max_ms.to_string(),
                format!(
                    "at least reconnect.backoff.ms ({})",
                    self.reconnect_backoff_ms
                ),
            ));
        }
        if self.max_in_flight == 0 {
            return Err(ConfigError::invalid(
                "max.in.flight.requests.per.connection",
                "0",
                "at least 1",
            ));
        }
        if self.receive_message_max_bytes < 1_000
            || self.receive_message_max_bytes > i32::MAX as u64
        {
            return Err(ConfigError::invalid(
                "receive.message.max.bytes",
                &self.receive_message_max_bytes.to_string(),
                format!("from 1000 to {}", i32::MAX),
            ));
        }
        self.security.validate(self.token_provider.is_some())?;
        if !self.ignored_keys.is_empty() {
            tracing::warn!(
                keys = %self.ignored_keys.join(", "),
                "ignoring configuration properties ottla does not use here (known to the Java client or librdkafka, or meant for another role)"
            );
        }
        Ok(ClientConfig {
            ignored_keys: self.ignored_keys.clone(),
            security: self.security.clone(),
            token_provider: self.token_provider.clone(),
            aws_credentials: self.aws_credentials.clone(),
            aws_env: self.aws_env.clone(),
            bootstrap_servers,
            client_id: self.client_id.clone(),
            request_timeout: ms("request.timeout.ms", self.request_timeout_ms, 1)?,
            connection_setup_timeout: ms(
                "socket.connection.setup.timeout.ms",
                self.connection_setup_timeout_ms,
                1,
            )?,
            metadata_max_age: ms("metadata.max.age.ms", self.metadata_max_age_ms, 1)?,
            reconnect_backoff: Duration::from_millis(self.reconnect_backoff_ms),
            reconnect_backoff_max: Duration::from_millis(self.reconnect_backoff_max_ms),
            max_in_flight: self.max_in_flight as usize,
            receive_message_max_bytes: self.receive_message_max_bytes as usize,
        })
    }
}

/// Parses `host:port[,host:port…]`; IPv6 literals go in brackets (`[::1]:9092`).
fn parse_bootstrap(raw: &str) -> Result<Vec<(String, u16)>, ConfigError> {
    let bad = |expected: &str| ConfigError::invalid("bootstrap.servers", raw, expected);
    let mut out = Vec::new();
    for entry in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        // Accept and drop a listener prefix such as PLAINTEXT://.
        let entry = entry.rsplit_once("://").map_or(entry, |(_, rest)| rest);
        let (host, port) = entry
            .rsplit_once(':')
            .ok_or_else(|| bad("host:port entries (port missing)"))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err(bad("host:port entries (host missing)"));
        }
        let port: u16 = port
            .parse()
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| bad("host:port entries with a port from 1 to 65535"))?;
        out.push((host.to_owned(), port));
    }
    if out.is_empty() {
        return Err(bad("at least one host:port"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_strings() {
        let mut b = ClientConfig::builder();
        b.set("bootstrap.servers", "a:9092, [::1]:9093,PLAINTEXT://c:1")
            .unwrap();
        b.set("request.timeout.ms", "1500").unwrap();
        let c = b.build().unwrap();
        assert_eq!(
            c.bootstrap_servers,
            vec![("a".into(), 9092), ("::1".into(), 9093), ("c".into(), 1)]
        );
        assert_eq!(c.request_timeout, Duration::from_millis(1500));
        assert_eq!(c.max_in_flight, 5);
        assert_eq!(c.metadata_max_age, Duration::from_secs(300));
    }

    #[test]
    fn errors_name_the_key() {
        let mut b = ClientConfig::builder();
        assert_eq!(
            b.set("no.such.key", "1").unwrap_err().key(),
            Some("no.such.key")
        );
        let e = b.set("request.timeout.ms", "soon").unwrap_err();
        assert_eq!(e.key(), Some("request.timeout.ms"));
        assert_eq!(b.build().unwrap_err().key(), Some("bootstrap.servers"));
        b.set("bootstrap.servers", "host-without-port").unwrap();
        assert_eq!(b.build().unwrap_err().key(), Some("bootstrap.servers"));
        b.set("bootstrap.servers", "h:1").unwrap();
        b.set("reconnect.backoff.ms", "500").unwrap();
        b.set("reconnect.backoff.max.ms", "100").unwrap();
        assert_eq!(
            b.build().unwrap_err().key(),
            Some("reconnect.backoff.max.ms")
        );
    }

    #[test]
    fn every_listed_key_is_accepted() {
        for key in CLIENT_KEYS.iter().chain(super::super::SECURITY_KEYS) {
            let mut b = ClientConfig::builder();
            let value = if key.contains("servers") || key.contains("list") {
                "h:1"
            } else if *key == "client.id"
                || key.starts_with("sasl.username")
                || key.starts_with("sasl.password")
                || key.contains(".pem")
                || key.contains("location")
            {
                "x"
            } else if *key == "security.protocol" {
                "SASL_SSL"
            } else if key.starts_with("sasl.mechanism") {
                "PLAIN"
            } else if key.contains("identification") {
                "none"
            } else if *key == "ssl.key.password" {
                "pw"
            } else if *key == "sasl.oauthbearer.method" {
                "aws_msk_iam"
            } else if key.starts_with("aws.") && key.ends_with("region") {
                "eu-west-1"
            } else {
                "5000"
            };
            b.set(key, value).unwrap_or_else(|e| panic!("{key}: {e}"));
        }
    }
}
