//! Connection setup for ottla: TCP with a setup deadline over every resolved address, and a
//! transport type that carries plain TCP today and TLS once it is configured.
//!
//! ```no_run
//! # async fn run() -> Result<(), ottla_tls::ConnectError> {
//! use std::time::Duration;
//! let opts = ottla_tls::ConnectOptions { setup_timeout: Duration::from_secs(10) };
//! let transport = ottla_tls::connect("localhost", 9092, &opts).await?;
//! println!("connected to {}", transport.peer_addr());
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

mod connect;
mod error;
mod transport;

pub use connect::{connect, ConnectOptions};
pub use error::ConnectError;
pub use transport::Transport;
