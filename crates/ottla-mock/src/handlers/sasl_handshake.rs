//! SaslHandshake v1: picks the mechanism for the SaslAuthenticate exchange that follows, or
//! starts a KIP-368 re-authentication on an authenticated connection.

use kafka_protocol::messages::{SaslHandshakeRequest, SaslHandshakeResponse};
use kafka_protocol::protocol::StrBytes;

use super::Ctx;
use crate::sasl::{SaslServer, SaslSession};

/// The response, and whether to close the connection after sending it. An injected error is
/// answered without touching the session, and closes the connection (as every SASL failure
/// does on a Kafka broker).
pub(crate) fn handle(
    ctx: &Ctx<'_>,
    session: &mut SaslSession,
    server: &SaslServer,
    request: &SaslHandshakeRequest,
) -> (SaslHandshakeResponse, bool) {
    let (error_code, close) = match ctx.injected.any() {
        Some(code) => (code, true),
        None => {
            let out = session.handshake(request.mechanism.as_str(), server);
            (out.error_code, out.close)
        }
    };
    (response(server, error_code), close)
}

/// A SaslHandshake response listing the enabled mechanisms.
pub(crate) fn response(server: &SaslServer, error_code: i16) -> SaslHandshakeResponse {
    SaslHandshakeResponse::default()
        .with_error_code(error_code)
        .with_mechanisms(
            server
                .mechanism_names()
                .into_iter()
                .map(StrBytes::from_static_str)
                .collect(),
        )
}
