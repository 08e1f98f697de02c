//! One client connection: read frames, answer them one at a time in order (as a Kafka broker
//! does: a connection is muted while its request is in progress), and apply faults.
//!
//! Anything malformed closes the connection and is logged; nothing here panics on input.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{ApiKey, ResponseHeader};
use kafka_protocol::protocol::{decode_request_header_from_buffer, Encodable};
use kafka_protocol::ResponseError;
use ottla_protocol::frame::{FrameDecoder, FrameError, LENGTH_PREFIX};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::dispatch::{check_supported, decode, dispatch, encode, Reply, RequestError, Route};
use crate::fault::{ErrorTarget, FaultAction, Injected, Plan};
use crate::handlers::{api_versions, sasl_authenticate, sasl_handshake, Ctx};
use crate::request_view;
use crate::sasl::{Gate, SaslCounter, SaslSession};
use crate::state::Shared;

/// Kafka's default `socket.request.max.bytes`.
pub(crate) const MAX_REQUEST_SIZE: usize = 104_857_600;

/// The length prefix of an oversized-frame fault.
const OVERSIZED_LENGTH: i32 = i32::MAX;

/// Why a connection was closed by the mock.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConnectionError {
    #[error("socket error: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Frame(#[from] FrameError),
    #[error("peer closed the connection in the middle of a frame ({0} bytes buffered)")]
    EofMidFrame(usize),
    #[error("unknown API key {0}")]
    UnknownApiKey(i16),
    #[error("malformed request header: {0}")]
    Header(String),
    #[error(transparent)]
    Request(#[from] RequestError),
    #[error("cannot encode response header: {0}")]
    EncodeHeader(String),
}

/// What to do after one request.
enum Step {
    /// Send these bytes (if any) and read the next request.
    Continue(Option<Bytes>),
    /// Send these bytes, then read nothing for the throttle time (KIP-219's muted channel).
    Throttled { send: Bytes, mute: Duration },
    /// Send these bytes (if any) and close the connection.
    Close {
        send: Option<Bytes>,
        why: &'static str,
    },
}

/// Serves one accepted connection until it closes. Errors are logged, never propagated.
pub(crate) async fn serve(shared: Arc<Shared>, node: i32, mut stream: TcpStream, peer: SocketAddr) {
    let mut conn = Conn {
        node,
        sasl: shared.sasl.as_ref().map(|_| {
            let id = shared.lock().stats.sasl.new_connection();
            (id, SaslSession::default())
        }),
    };
    let _principal = PrincipalGuard {
        shared: &shared,
        id: conn.sasl.as_ref().map(|(id, _)| *id),
    };
    match run(&shared, &mut conn, &mut stream).await {
        Ok(None) => tracing::debug!(node, %peer, "connection closed by the client"),
        Ok(Some(why)) => tracing::debug!(node, %peer, why, "connection closed by a fault"),
        Err(e @ (ConnectionError::Io(_) | ConnectionError::EofMidFrame(_))) => {
            tracing::debug!(node, %peer, "connection ended: {e}");
        }
        Err(e) => tracing::warn!(node, %peer, "closing connection: {e}"),
    }
}

/// One connection's own state.
#[derive(Debug)]
struct Conn {
    node: i32,
    /// The connection's id for SASL statistics and its SASL state, when SASL is enabled.
    sasl: Option<(u64, SaslSession)>,
}

/// Forgets the connection's principal when it ends, however it ends (even when its task is
/// aborted).
struct PrincipalGuard<'a> {
    shared: &'a Shared,
    id: Option<u64>,
}

impl Drop for PrincipalGuard<'_> {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            self.shared.lock().stats.sasl.connection_closed(id);
        }
    }
}

/// `Ok(None)` when the client closed, `Ok(Some(why))` when the mock closed it.
async fn run(
    shared: &Shared,
    conn: &mut Conn,
    stream: &mut TcpStream,
) -> Result<Option<&'static str>, ConnectionError> {
    let decoder = FrameDecoder::new(MAX_REQUEST_SIZE);
    let mut buf = BytesMut::with_capacity(8 * 1024);
    loop {
        let frame = loop {
            if let Some(frame) = decoder.decode(&mut buf)? {
                break frame;
            }
            if stream.read_buf(&mut buf).await? == 0 {
                return if buf.is_empty() {
                    Ok(None)
                } else {
                    Err(ConnectionError::EofMidFrame(buf.len()))
                };
            }
        };
        match handle_frame(shared, conn, frame).await? {
            Step::Continue(send) => {
                if let Some(bytes) = send {
                    stream.write_all(&bytes).await?;
                }
            }
            Step::Throttled { send, mute } => {
                stream.write_all(&send).await?;
                tokio::time::sleep(mute).await;
            }
            Step::Close { send, why } => {
                if let Some(bytes) = send {
                    stream.write_all(&bytes).await?;
                }
                // A FIN after the bytes, so the client sees them and then end-of-stream.
                let _ = stream.shutdown().await;
                return Ok(Some(why));
            }
        }
    }
}

async fn handle_frame(
    shared: &Shared,
    conn: &mut Conn,
    frame: Bytes,
) -> Result<Step, ConnectionError> {
    let node = conn.node;
    let raw_key = frame
        .get(..2)
        .and_then(|b| <[u8; 2]>::try_from(b).ok())
        .map(i16::from_be_bytes);
    if let Some(key) = raw_key {
        shared.lock().stats.record_request(key, node);
    }
    let api = raw_key
        .ok_or_else(|| ConnectionError::Header(format!("frame of {} bytes", frame.len())))
        .and_then(|k| ApiKey::try_from(k).map_err(|()| ConnectionError::UnknownApiKey(k)))?;
    let mut body = frame;
    let header = decode_request_header_from_buffer(&mut body)
        .map_err(|e| ConnectionError::Header(e.to_string()))?;
    let version = header.request_api_version;
    let correlation_id = header.correlation_id;
    tracing::debug!(node, ?api, version, correlation_id, "request");
    let sasl_enabled = shared.sasl.is_some();
    check_supported(api, version, sasl_enabled)?;

    let route = Route { node, api, version };
    let now = tokio::time::Instant::now();
    let gate = match &mut conn.sasl {
        Some((_, session)) => {
            session.gate(api, api_versions::accepts(api, version, sasl_enabled), now)
        }
        None => Gate::Serve,
    };
    match gate {
        Gate::Serve | Gate::Sasl => {}
        Gate::Close(why) => {
            tracing::debug!(node, ?api, "SASL: {why}");
            return Ok(Step::Close { send: None, why });
        }
        Gate::Expired => {
            shared
                .lock()
                .stats
                .sasl
                .record(SaslCounter::ExpiredSessionCloses, node);
            return Ok(Step::Close {
                send: None,
                why: "SASL session expired",
            });
        }
        Gate::IllegalStateThenClose => {
            let frame = illegal_sasl_state(shared, route, body, correlation_id).await?;
            return Ok(Step::Close {
                send: frame,
                why: "request other than SaslAuthenticate during SASL authentication",
            });
        }
    }

    let plan = {
        let mut state = shared.lock();
        let view = state.faults.wants_view(api, node).then(|| {
            request_view::view(
                &state,
                api,
                version,
                node,
                header.client_id.as_deref(),
                &body,
            )
        });
        state.faults.take(api, node, view.as_ref())
    };
    if let Some(p) = plan
        .as_ref()
        .filter(|p| p.action == FaultAction::DropConnection)
    {
        if let Some(delay) = p.delay {
            tokio::time::sleep(delay).await;
        }
        return Ok(Step::Close {
            send: None,
            why: "drop connection",
        });
    }
    let (reply, close_after) = if gate == Gate::Sasl {
        sasl_reply(shared, conn, route, body, plan.as_ref(), now)?
    } else {
        (dispatch(shared, route, body, plan.as_ref()).await?, false)
    };
    let (delay, action) = match plan {
        Some(p) => (p.delay, p.action),
        None => (None, FaultAction::Respond),
    };
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    if action == FaultAction::DropAfterHandling {
        return Ok(Step::Close {
            send: None,
            why: "drop after handling",
        });
    }
    let Reply::Body {
        header_version,
        body,
    } = reply
    else {
        return Ok(Step::Continue(None));
    };
    let correlation_id = if action == FaultAction::WrongCorrelationId {
        !correlation_id
    } else {
        correlation_id
    };
    let frame = match action {
        FaultAction::TrailingBytes { count } => {
            let mut padded = BytesMut::with_capacity(body.len() + count);
            padded.extend_from_slice(&body);
            padded.resize(body.len() + count, 0);
            response_frame(correlation_id, header_version, &padded)?
        }
        _ => response_frame(correlation_id, header_version, &body)?,
    };
    Ok(match action {
        FaultAction::TruncatedFrame => {
            let keep = LENGTH_PREFIX + (frame.len() - LENGTH_PREFIX) / 2;
            Step::Close {
                send: Some(frame.slice(..keep)),
                why: "truncated frame",
            }
        }
        FaultAction::OversizedFrame => {
            let mut out = BytesMut::with_capacity(frame.len());
            out.put_i32(OVERSIZED_LENGTH);
            out.extend_from_slice(frame.get(LENGTH_PREFIX..).unwrap_or_default());
            Step::Close {
                send: Some(out.freeze()),
                why: "oversized frame",
            }
        }
        _ if close_after => Step::Close {
            send: Some(frame),
            why: "SASL authentication failed",
        },
        FaultAction::Throttle { ms } => Step::Throttled {
            send: frame,
            mute: Duration::from_millis(u64::try_from(ms).unwrap_or(0)),
        },
        _ => Step::Continue(Some(frame)),
    })
}

/// Answers SaslHandshake or SaslAuthenticate with the connection's SASL session; `true` when
/// the connection is to be closed after the answer.
fn sasl_reply(
    shared: &Shared,
    conn: &mut Conn,
    route: Route,
    mut body: Bytes,
    plan: Option<&Plan>,
    now: tokio::time::Instant,
) -> Result<(Reply, bool), ConnectionError> {
    let Route { node, api, version } = route;
    let (Some(server), Some((conn_id, session))) = (shared.sasl.as_ref(), conn.sasl.as_mut())
    else {
        return Err(RequestError::NotImplemented { api }.into());
    };
    let ctx = Ctx {
        shared,
        node,
        version,
        injected: Injected::from_plan(plan, true),
    };
    if api == ApiKey::SaslHandshake {
        let request = decode(&mut body, api, version)?;
        let (response, close) = sasl_handshake::handle(&ctx, session, server, &request);
        return Ok((encode(&response, api, version)?, close));
    }
    let request = decode(&mut body, api, version)?;
    let (response, close, counter, principal) =
        sasl_authenticate::handle(&ctx, session, server, &request, now);
    {
        let mut state = shared.lock();
        if let Some(counter) = counter {
            state.stats.sasl.record(counter, node);
        }
        if let Some(principal) = principal {
            state.stats.sasl.set_principal(*conn_id, node, &principal);
        }
    }
    Ok((encode(&response, api, version)?, close))
}

/// The request's own response with ILLEGAL_SASL_STATE everywhere, as Kafka sends for a request
/// other than SaslAuthenticate in the middle of an exchange (`getErrorResponse`). Nothing is
/// acted on: every entry carries the error.
async fn illegal_sasl_state(
    shared: &Shared,
    route: Route,
    mut body: Bytes,
    correlation_id: i32,
) -> Result<Option<Bytes>, ConnectionError> {
    let code = ResponseError::IllegalSaslState.code();
    let reply = match (route.api, shared.sasl.as_ref()) {
        (ApiKey::SaslHandshake, Some(server)) => {
            let _request: kafka_protocol::messages::SaslHandshakeRequest =
                decode(&mut body, route.api, route.version)?;
            encode(
                &sasl_handshake::response(server, code),
                route.api,
                route.version,
            )?
        }
        _ => {
            let plan = Plan {
                delay: None,
                action: FaultAction::Error {
                    target: ErrorTarget::Response,
                    code,
                },
            };
            dispatch(shared, route, body, Some(&plan)).await?
        }
    };
    match reply {
        Reply::Body {
            header_version,
            body,
        } => Ok(Some(response_frame(correlation_id, header_version, &body)?)),
        Reply::Nothing => Ok(None),
    }
}

/// Length prefix, response header, body.
fn response_frame(
    correlation_id: i32,
    header_version: i16,
    body: &[u8],
) -> Result<Bytes, ConnectionError> {
    let mut out = BytesMut::with_capacity(LENGTH_PREFIX + 8 + body.len());
    out.put_i32(0);
    ResponseHeader::default()
        .with_correlation_id(correlation_id)
        .encode(&mut out, header_version)
        .map_err(|e| ConnectionError::EncodeHeader(e.to_string()))?;
    out.extend_from_slice(body);
    let size = i32::try_from(out.len() - LENGTH_PREFIX)
        .map_err(|_| ConnectionError::EncodeHeader(format!("response of {} bytes", out.len())))?;
    if let Some(prefix) = out.get_mut(..LENGTH_PREFIX) {
        prefix.copy_from_slice(&size.to_be_bytes());
    }
    Ok(out.freeze())
}
