//! The error type of this crate.

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
    /// The server sent something the mechanism does not allow at this point.
    #[error("unexpected server message in SASL/{mechanism}: {why}")]
    UnexpectedServerMessage {
        /// The mechanism.
        mechanism: &'static str,
        /// What was wrong.
        why: String,
    },
}
