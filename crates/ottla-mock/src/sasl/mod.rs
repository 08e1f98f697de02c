//! Server-side SASL, as a Kafka broker's `SaslServerAuthenticator` does it: configuration,
//! the mechanisms (independent of `ottla-sasl`, so client and server cannot share a bug), and
//! the per-connection state machine that gates every request.

mod config;
mod exchange;
mod nonce;
mod oauthbearer;
mod plain;
mod scram;
mod session;
mod stats;

pub(crate) use config::SaslServer;
pub use config::{MockSasl, OAuthValidator, SaslMechanism, DEFAULT_SCRAM_ITERATIONS};
pub(crate) use session::{Gate, SaslSession};
pub use stats::SaslCounter;
pub(crate) use stats::SaslStats;
