//! The error type of this crate.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::config_error::TlsConfigError;
use crate::tls_problem::TlsProblem;

/// Why a connection could not be set up.
#[non_exhaustive]
#[derive(Debug, Clone, thiserror::Error)]
pub enum ConnectError {
    /// The host name did not resolve.
    #[error("cannot resolve {host}:{port}: {source}")]
    Resolve {
        /// Host as given.
        host: String,
        /// Port as given.
        port: u16,
        /// The resolver's error.
        source: Arc<std::io::Error>,
    },
    /// The host name resolved to no address.
    #[error("{host}:{port} resolved to no address")]
    NoAddress {
        /// Host as given.
        host: String,
        /// Port as given.
        port: u16,
    },
    /// Every resolved address was tried and refused or failed.
    #[error("cannot connect to {host}:{port}: {}", describe(.attempts))]
    AllAddressesFailed {
        /// Host as given.
        host: String,
        /// Port as given.
        port: u16,
        /// Each address tried and why it failed.
        attempts: Vec<(SocketAddr, Arc<std::io::Error>)>,
    },
    /// The setup deadline (`socket.connection.setup.timeout.ms`) passed.
    #[error("connecting to {host}:{port} timed out after {timeout:?} (socket.connection.setup.timeout.ms); tried {tried} address(es)")]
    Timeout {
        /// Host as given.
        host: String,
        /// Port as given.
        port: u16,
        /// The deadline.
        timeout: Duration,
        /// How many addresses were tried before it passed.
        tried: usize,
    },
    /// The TCP connection was made but the TLS handshake did not finish before the setup
    /// deadline (`socket.connection.setup.timeout.ms`).
    #[error("TLS handshake with {host}:{port} did not finish within {timeout:?} (socket.connection.setup.timeout.ms)")]
    TlsTimeout {
        /// Host as given.
        host: String,
        /// Port as given.
        port: u16,
        /// The deadline (it covers TCP connect and handshake together).
        timeout: Duration,
    },
    /// The TLS session with a broker failed: its certificate was rejected, it rejected ours,
    /// or the handshake broke down. Also carried (inside an `std::io::Error`) by reads and
    /// writes on a [`Transport`](crate::Transport) whose TLS session fails later, which is how
    /// a rejected client certificate shows up with TLS 1.3.
    #[error("TLS with {host}:{port} failed: {problem}")]
    Tls {
        /// Host as given.
        host: String,
        /// Port as given.
        port: u16,
        /// What went wrong.
        problem: TlsProblem,
    },
    /// The host cannot be used as a TLS server name (neither a DNS name nor an IP address).
    #[error("{host:?} is not a valid TLS server name (DNS name or IP address)")]
    InvalidServerName {
        /// Host as given.
        host: String,
    },
    /// The TLS settings are invalid: a file is missing or unreadable, a key does not decrypt, ….
    #[error("invalid TLS configuration: {0}")]
    Config(#[from] TlsConfigError),
    /// The default pure-Rust crypto provider (graviola) cannot run on this CPU.
    #[error(
        "the pure-Rust TLS crypto provider ({provider}) needs CPU features this {arch} CPU lacks: \
         {}; build ottla-tls with the `ring` or `aws-lc-rs` feature instead",
        .missing.join(", ")
    )]
    UnsupportedCpu {
        /// The crypto provider that cannot run.
        provider: &'static str,
        /// The CPU architecture (`std::env::consts::ARCH`).
        arch: &'static str,
        /// The required CPU features that were not detected.
        missing: Vec<&'static str>,
    },
}

fn describe(attempts: &[(SocketAddr, Arc<std::io::Error>)]) -> String {
    attempts
        .iter()
        .map(|(a, e)| format!("{a}: {e}"))
        .collect::<Vec<_>>()
        .join("; ")
}
