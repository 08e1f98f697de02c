//! The interface every mechanism offers to the connection that drives it.

use crate::SaslError;

/// One client side of a SASL exchange, driven over Kafka's SaslAuthenticate: every client
/// message is one SaslAuthenticate request, every response's `auth_bytes` go to [`step`].
///
/// The connection does:
///
/// 1. send [`initial`](Self::initial)'s bytes;
/// 2. on each response with error code 0, call [`step`](Self::step) with its `auth_bytes`:
///    `Ok(Some(bytes))` → send them and repeat; `Ok(None)` → authenticated; `Err(e)` → fail
///    with `e`;
/// 3. on a response with a non-zero error code, call [`failure`](Self::failure): when the
///    mechanism knows more than the broker's error message (OAUTHBEARER's parsed error
///    challenge), it returns that error.
///
/// Object safe: connections hold a `Box<dyn Authenticator>`.
///
/// [`step`]: Self::step
pub trait Authenticator: Send + std::fmt::Debug {
    /// The mechanism's name as SaslHandshake offers it (`PLAIN`, `SCRAM-SHA-256`, …).
    fn mechanism(&self) -> &'static str;

    /// The client's first message. Called once, before any [`step`](Self::step).
    fn initial(&mut self) -> Result<Vec<u8>, SaslError>;

    /// Takes the server's bytes; returns the next client message, or `None` once the exchange
    /// has completed successfully on the client side.
    fn step(&mut self, server: &[u8]) -> Result<Option<Vec<u8>>, SaslError>;

    /// The mechanism's own account of a failure the server reported out of band (a
    /// SaslAuthenticate error code after the client's last message), if it has one.
    fn failure(&mut self) -> Option<SaslError> {
        None
    }
}
