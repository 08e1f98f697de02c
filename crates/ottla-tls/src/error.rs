//! The error type of this crate.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

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
}

fn describe(attempts: &[(SocketAddr, Arc<std::io::Error>)]) -> String {
    attempts
        .iter()
        .map(|(a, e)| format!("{a}: {e}"))
        .collect::<Vec<_>>()
        .join("; ")
}
