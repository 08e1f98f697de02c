//! What the doctor checks: the first bootstrap server, with the client's settings.

use std::time::Duration;

use ottla::config::{SaslMechanism, SecurityProtocol};
use ottla::ClientConfig;

use super::msk_ports;

/// The longest any single probe waits for an answer.
const PROBE_TIMEOUT_CAP: Duration = Duration::from_secs(10);

/// The broker under examination and the settings it is reached with.
#[derive(Debug, Clone)]
pub struct Target {
    /// The whole client configuration.
    pub config: ClientConfig,
    /// The first bootstrap server's host.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// What MSK's port convention says about this port and these settings.
    pub port_hints: Vec<String>,
}

impl Target {
    /// The first bootstrap server of `config`; `None` when there is none.
    pub fn new(config: ClientConfig) -> Option<Self> {
        let (host, port) = config.bootstrap_servers().first().cloned()?;
        let port_hints = msk_ports::port_hints(
            port,
            config.security().protocol,
            config.security().mechanism,
            &host,
        );
        Some(Self {
            config,
            host,
            port,
            port_hints,
        })
    }

    /// `security.protocol`.
    pub fn protocol(&self) -> SecurityProtocol {
        self.config.security().protocol
    }

    /// `sasl.mechanism`, when SASL is used.
    pub fn mechanism(&self) -> Option<SaslMechanism> {
        self.config
            .security()
            .mechanism
            .filter(|_| self.protocol().uses_sasl())
    }

    /// `host:port` (IPv6 in brackets).
    pub fn endpoint(&self) -> String {
        endpoint(&self.host, self.port)
    }

    /// The settings in a few words: "SASL_SSL, SCRAM-SHA-512".
    pub fn settings_text(&self) -> String {
        let p = match self.protocol() {
            SecurityProtocol::Plaintext => "PLAINTEXT",
            SecurityProtocol::Ssl => "SSL",
            SecurityProtocol::SaslPlaintext => "SASL_PLAINTEXT",
            SecurityProtocol::SaslSsl => "SASL_SSL",
        };
        match self.mechanism() {
            Some(m) => format!("{p}, {}", m.name()),
            None => p.to_owned(),
        }
    }

    /// The configuration with only this bootstrap server.
    pub fn first_server_config(&self) -> ClientConfig {
        // `new` took host and port from the first server.
        self.config
            .with_only_bootstrap_server(0)
            .unwrap_or_else(|| self.config.clone())
    }

    /// `socket.connection.setup.timeout.ms`.
    pub fn setup_timeout(&self) -> Duration {
        self.config.connection_setup_timeout()
    }

    /// How long a probe request waits: `request.timeout.ms`, at most 10 s.
    pub fn probe_timeout(&self) -> Duration {
        self.config.request_timeout().min(PROBE_TIMEOUT_CAP)
    }

    /// Whether the host looks like an MSK name.
    pub fn is_msk(&self) -> bool {
        msk_ports::host_kind(&self.host) != msk_ports::HostKind::Other
    }
}

/// `host:port`, with an IPv6 literal in brackets.
pub fn endpoint(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}
