//! The error type of this crate.

use crate::oauthbearer::OauthServerError;
use crate::scram::ScramServerError;

/// Why a SASL exchange failed on the client side.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SaslError {
    /// A credential cannot be sent by this mechanism.
    #[error("invalid {what} for SASL/{mechanism}: {why}")]
    InvalidCredential {
        /// The mechanism.
        mechanism: &'static str,
        /// Which credential.
        what: &'static str,
        /// What is wrong with it.
        why: &'static str,
    },
    /// The server sent something the mechanism does not allow at this point: a malformed
    /// message, a missing or misplaced attribute, bad base64, non-UTF-8 text, trailing data.
    #[error("unexpected server message in SASL/{mechanism}: {why}")]
    UnexpectedServerMessage {
        /// The mechanism.
        mechanism: &'static str,
        /// What was wrong.
        why: String,
    },
    /// The mechanism was driven out of order (e.g. `step` before `initial`, or after the
    /// exchange ended). A bug in the caller, not in the server.
    #[error("SASL/{mechanism} driven out of order: {why}")]
    OutOfOrder {
        /// The mechanism.
        mechanism: &'static str,
        /// What was called when.
        why: &'static str,
    },
    /// The SCRAM server's nonce does not extend the client's nonce.
    #[error("SASL/{mechanism}: the server nonce does not extend the client nonce")]
    NonceMismatch {
        /// The mechanism.
        mechanism: &'static str,
    },
    /// The SCRAM server asked for an iteration count outside the configured range.
    #[error(
        "SASL/{mechanism}: iteration count {iterations} outside the accepted range {minimum}..={maximum}"
    )]
    IterationCount {
        /// The mechanism.
        mechanism: &'static str,
        /// The count the server sent.
        iterations: u32,
        /// The smallest count accepted.
        minimum: u32,
        /// The largest count accepted.
        maximum: u32,
    },
    /// The SCRAM server's signature (`v=`) is wrong: the server does not know the password,
    /// or someone is in between.
    #[error("SASL/{mechanism}: the server signature does not verify")]
    ServerSignatureMismatch {
        /// The mechanism.
        mechanism: &'static str,
    },
    /// The SCRAM server ended the exchange with `e=`.
    #[error("SASL/{mechanism}: server error: {error}")]
    ScramServer {
        /// The mechanism.
        mechanism: &'static str,
        /// What the server said.
        error: ScramServerError,
    },
    /// The OAUTHBEARER server rejected the token with an error challenge.
    #[error("SASL/OAUTHBEARER: server rejected the token: {0}")]
    OauthServer(OauthServerError),
    /// A [`TokenProvider`](crate::TokenProvider) could not produce a token.
    #[error("no OAUTHBEARER token: {why}")]
    TokenUnavailable {
        /// Why not.
        why: String,
    },
    /// The mechanism's credentials could not be obtained (AWS credentials for MSK IAM, a
    /// SCRAM secret from Secrets Manager).
    #[error("SASL/{mechanism}: no credentials: {why}")]
    CredentialsUnavailable {
        /// The mechanism.
        mechanism: &'static str,
        /// Why not (never a secret).
        why: String,
    },
    /// A cryptographic primitive refused its input. HMAC takes keys of any length, so this is
    /// not expected to happen; it exists so that no code path panics.
    #[error("SASL/{mechanism}: cryptographic failure: {why}")]
    Crypto {
        /// The mechanism.
        mechanism: &'static str,
        /// What failed.
        why: &'static str,
    },
}
