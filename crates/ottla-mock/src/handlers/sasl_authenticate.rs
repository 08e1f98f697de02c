//! SaslAuthenticate v0–v2: one token of the exchange the handshake chose; v1+ carries the
//! KIP-368 session lifetime.

use bytes::Bytes;
use kafka_protocol::messages::{SaslAuthenticateRequest, SaslAuthenticateResponse};
use kafka_protocol::protocol::StrBytes;
use tokio::time::Instant;

use super::Ctx;
use crate::sasl::{SaslCounter, SaslServer, SaslSession};

/// The response, whether to close the connection after it, and the counter and principal to
/// record. An injected error is answered without evaluating the token and closes the
/// connection.
pub(crate) fn handle(
    ctx: &Ctx<'_>,
    session: &mut SaslSession,
    server: &SaslServer,
    request: &SaslAuthenticateRequest,
    now: Instant,
) -> (
    SaslAuthenticateResponse,
    bool,
    Option<SaslCounter>,
    Option<String>,
) {
    if let Some(code) = ctx.injected.any() {
        let response = SaslAuthenticateResponse::default()
            .with_error_code(code)
            .with_error_message(Some(StrBytes::from_static_str("injected fault")));
        return (response, true, None, None);
    }
    // The host this broker advertises: what an AWS_MSK_IAM payload must be signed for.
    let host = ctx
        .shared
        .lock()
        .brokers
        .get(&ctx.node)
        .map(|b| b.host.clone())
        .unwrap_or_default();
    let out = session.authenticate(&request.auth_bytes, server, now, &host);
    let response = SaslAuthenticateResponse::default()
        .with_error_code(out.error_code)
        .with_error_message(out.error_message.map(StrBytes::from_string))
        .with_auth_bytes(Bytes::from(out.auth_bytes))
        .with_session_lifetime_ms(if ctx.version >= 1 && !server.hide_session_lifetime {
            out.session_lifetime_ms
        } else {
            0
        });
    (response, out.close, out.counter, out.principal)
}
