//! Server-side SASL, as a Kafka broker's `SaslServerAuthenticator` does it: configuration,
//! the mechanisms (independent of `ottla-sasl`, so client and server cannot share a bug; MSK
//! IAM's SigV4 is verified by hand, not with an AWS signer), and the per-connection state
//! machine that gates every request.

mod aws_msk_iam;
mod config;
mod exchange;
mod msk_iam;
mod msk_iam_token;
mod nonce;
mod oauthbearer;
mod plain;
mod scram;
mod session;
mod sigv4_verify;
mod stats;

pub(crate) use config::SaslServer;
pub use config::{MockSasl, OAuthValidator, SaslMechanism, DEFAULT_SCRAM_ITERATIONS};
pub use msk_iam::{IamRejection, MockIam, MAX_CLOCK_SKEW, MAX_EXPIRES_SECS};
pub(crate) use session::{Gate, SaslSession};
pub use stats::SaslCounter;
pub(crate) use stats::SaslStats;
