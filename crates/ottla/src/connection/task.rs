//! The task that owns one broker socket.

use std::collections::VecDeque;
use std::io::IoSlice;
use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument;

use bytes::{Buf, Bytes, BytesMut};
use ottla_protocol::frame::{peek_correlation_id, FrameDecoder};
use ottla_protocol::messages::ApiKey;
use rand::Rng;
use tokio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use std::sync::atomic::Ordering;

use super::handle::Shared;
use super::sasl::{self, SaslFactory};
use super::wire::Wire;
use crate::error::ConnectionError;
use crate::stats::BrokerCounters;

/// The reply to one request: the response frame (`None` for requests without a response),
/// or the connection's shared fatal error.
pub(crate) type Reply = Result<Option<Bytes>, Arc<ConnectionError>>;

/// A request on its way to the socket.
#[derive(Debug)]
pub(crate) struct Outgoing {
    /// The frame, in segments written back to back (a produce request's record batches are
    /// segments of their own, not copied into the frame).
    pub frame: Vec<Bytes>,
    pub correlation_id: i32,
    pub api: ApiKey,
    pub deadline: Instant,
    pub timeout: Duration,
    pub expect_response: bool,
    pub reply: oneshot::Sender<Reply>,
}

/// The socket halves and what was read past the handshake.
#[derive(Debug)]
pub(crate) struct Io {
    pub reader: ReadHalf<ottla_tls::Transport>,
    pub writer: WriteHalf<ottla_tls::Transport>,
    pub read_buf: BytesMut,
}

/// KIP-368: re-authenticate before the broker's session ends.
#[derive(Debug)]
pub(crate) struct Reauth {
    pub factory: Arc<dyn SaslFactory>,
    /// The lifetime the broker gave the current session.
    pub lifetime: Duration,
    /// When the authentication that started the current session began (the broker's session
    /// starts a little later, so counting from here errs on the early side).
    pub started: Instant,
    /// The broker's host name, as connected to.
    pub host: String,
}

impl Reauth {
    /// When to start the next re-authentication: at a random 85–95 % of the current session's
    /// lifetime, so connections opened together do not re-authenticate together.
    fn due(&self) -> Instant {
        let fraction = rand::rng().random_range(0.85..0.95);
        self.started + self.lifetime.mul_f64(fraction)
    }
}

/// Per-connection limits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub max_in_flight: usize,
    pub decoder: FrameDecoder,
}

/// A request written (or being written) whose response has not arrived.
#[derive(Debug)]
struct InFlight {
    correlation_id: i32,
    /// When the request reached this task (its round trip starts here).
    since: Instant,
    api: ApiKey,
    deadline: Instant,
    timeout: Duration,
    reply: Option<oneshot::Sender<Reply>>,
}

/// A frame waiting to be written, and who to tell once it is (requests without a response).
#[derive(Debug)]
struct Pending {
    frame: Bytes,
    on_written: Option<oneshot::Sender<Reply>>,
}

struct State {
    /// KIP-219: a request taken from the queue while the broker's throttle time runs waits
    /// here (one at a time: the queue behind it waits too).
    held: Option<Outgoing>,
    in_flight: VecDeque<InFlight>,
    to_write: VecDeque<Pending>,
    needs_flush: bool,
}

/// Runs until the socket fails, the broker closes it, or every handle is dropped.
pub(crate) async fn run(
    io: Io,
    rx: mpsc::Receiver<Outgoing>,
    shared: Arc<Shared>,
    limits: Limits,
    reauth: Option<Reauth>,
) {
    let mut rx = rx;
    let mut state = State {
        held: None,
        in_flight: VecDeque::with_capacity(limits.max_in_flight),
        to_write: VecDeque::new(),
        needs_flush: false,
    };
    let result = drive(io, &mut rx, &mut state, limits, &shared, reauth).await;
    let error = Arc::new(match result {
        Ok(()) => ConnectionError::Shutdown,
        Err(e) => e,
    });
    if !matches!(*error, ConnectionError::Shutdown) {
        crate::stats::add(&shared.stats.errors, 1);
        tracing::debug!(broker = %shared.broker, error = %error, "connection failed");
    }
    let _ = shared.fatal.set(Arc::clone(&error));
    // Fail everyone once, with the same error.
    rx.close();
    for f in state.in_flight.drain(..) {
        if let Some(reply) = f.reply {
            let _ = reply.send(Err(Arc::clone(&error)));
        }
    }
    for p in state.to_write.drain(..) {
        if let Some(reply) = p.on_written {
            let _ = reply.send(Err(Arc::clone(&error)));
        }
    }
    for o in state.held.take().into_iter() {
        let _ = o.reply.send(Err(Arc::clone(&error)));
    }
    while let Ok(o) = rx.try_recv() {
        let _ = o.reply.send(Err(Arc::clone(&error)));
    }
}

async fn drive(
    io: Io,
    rx: &mut mpsc::Receiver<Outgoing>,
    state: &mut State,
    limits: Limits,
    shared: &Shared,
    reauth: Option<Reauth>,
) -> Result<(), ConnectionError> {
    let Io {
        mut reader,
        mut writer,
        mut read_buf,
    } = io;
    let mut closing = false;
    let mut reauth = reauth;
    let mut reauth_at = reauth.as_ref().map(Reauth::due);
    // Set when re-authentication is due: take no new requests, let the ones in flight finish.
    let mut draining = false;
    // Frames may already be buffered from the handshake.
    dispatch_frames(&mut read_buf, state, limits.decoder, &shared.stats)?;
    loop {
        let throttle_end = shared.throttle_end();
        if let Some(o) = state.held.take() {
            if o.deadline <= Instant::now() {
                // Its deadline passed while the throttle held it: nothing was written, so it
                // fails alone and the connection goes on.
                let error = ConnectionError::RequestTimedOut {
                    api: o.api,
                    correlation_id: o.correlation_id,
                    timeout: o.timeout,
                };
                let _ = o.reply.send(Err(Arc::new(error)));
            } else if throttle_end.is_none() {
                accept_request(o, state, &shared.stats);
            } else {
                state.held = Some(o);
            }
        }
        // Wake for the throttle's end or the held request's deadline, whichever is first.
        let held_wake = state
            .held
            .as_ref()
            .map(|o| throttle_end.map_or(o.deadline, |t| t.min(o.deadline)));
        if closing
            && state.held.is_none()
            && state.in_flight.is_empty()
            && state.to_write.is_empty()
            && !state.needs_flush
        {
            let _ = writer.shutdown().await;
            return Ok(());
        }
        if draining && state.in_flight.is_empty() && state.to_write.is_empty() && !state.needs_flush
        {
            if let Some(r) = &mut reauth {
                let started = Instant::now();
                let session =
                    reauthenticate(r, shared, &mut reader, &mut writer, &mut read_buf, limits)
                        .await?;
                // Each session has its own lifetime (MSK IAM: until the new signature
                // expires), so the next re-authentication is timed from this one's.
                r.started = started;
                reauth_at = session.lifetime.map(|lifetime| {
                    r.lifetime = lifetime;
                    r.due()
                });
            }
            draining = false;
        }
        let slots = state.in_flight.len()
            + state
                .to_write
                .iter()
                .filter(|p| p.on_written.is_some())
                .count();
        let accept = !closing && !draining && state.held.is_none() && slots < limits.max_in_flight;
        let want_write = !state.to_write.is_empty() || state.needs_flush;
        let next_deadline = state.in_flight.iter().map(|f| f.deadline).min();
        tokio::select! {
            read = read_some(&mut reader, &mut read_buf) => {
                if read? == 0 {
                    return Err(eof_error(&read_buf, state, limits.decoder));
                }
                dispatch_frames(&mut read_buf, state, limits.decoder, &shared.stats)?;
            }
            written = write_some(&mut writer, state), if want_write => written?,
            msg = rx.recv(), if accept => match msg {
                None => closing = true,
                Some(o) if shared.throttle_end().is_some() => {
                    crate::stats::add(&shared.stats.throttle_holds, 1);
                    state.held = Some(o);
                }
                Some(o) => accept_request(o, state, &shared.stats),
            },
            _ = sleep_until(held_wake), if held_wake.is_some() => {}
            _ = sleep_until(reauth_at), if reauth_at.is_some() && !draining => {
                draining = true;
                reauth_at = None;
            }
            _ = sleep_until(next_deadline), if next_deadline.is_some() => {
                let now = Instant::now();
                if let Some(f) = state.in_flight.iter().find(|f| f.deadline <= now) {
                    return Err(ConnectionError::RequestTimedOut {
                        api: f.api,
                        correlation_id: f.correlation_id,
                        timeout: f.timeout,
                    });
                }
            }
        }
    }
}

/// Runs SASL again on the idle connection (nothing in flight, nothing queued for writing).
async fn reauthenticate(
    reauth: &Reauth,
    shared: &Shared,
    reader: &mut ReadHalf<ottla_tls::Transport>,
    writer: &mut WriteHalf<ottla_tls::Transport>,
    read_buf: &mut BytesMut,
    limits: Limits,
) -> Result<sasl::Session, ConnectionError> {
    let mut wire = Wire {
        reader,
        writer,
        read_buf,
        decoder: limits.decoder,
        client_id: &shared.client_id,
        broker: &shared.broker,
        next_correlation_id: &shared.next_correlation_id,
    };
    match sasl::authenticate(
        &mut wire,
        &shared.versions,
        &*reauth.factory,
        &reauth.host,
        shared.request_timeout,
    )
    .instrument(tracing::info_span!(
        "sasl",
        broker = %shared.broker,
        mechanism = reauth.factory.mechanism(),
        reauthentication = true
    ))
    .await
    {
        Ok(session) => {
            shared.reauthentications.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(broker = %shared.broker, lifetime = ?session.lifetime, "re-authenticated");
            Ok(session)
        }
        Err(e) => {
            tracing::warn!(broker = %shared.broker, error = %e, "re-authentication failed");
            Err(ConnectionError::Reauthentication(e.to_string()))
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

async fn read_some(
    reader: &mut ReadHalf<ottla_tls::Transport>,
    buf: &mut BytesMut,
) -> std::io::Result<usize> {
    if buf.capacity() - buf.len() < 8 * 1024 {
        buf.reserve(64 * 1024);
    }
    reader.read_buf(buf).await
}

fn accept_request(o: Outgoing, state: &mut State, stats: &BrokerCounters) {
    if o.reply.is_closed() {
        // The caller gave up before its frame reached the socket: nothing was written, so
        // skipping it keeps the stream in step.
        return;
    }
    stats.sent(o.frame.iter().map(Bytes::len).sum());
    if o.expect_response {
        state.in_flight.push_back(InFlight {
            correlation_id: o.correlation_id,
            since: Instant::now(),
            api: o.api,
            deadline: o.deadline,
            timeout: o.timeout,
            reply: Some(o.reply),
        });
        queue_frame(state, o.frame, None);
    } else {
        queue_frame(state, o.frame, Some(o.reply));
    }
}

/// Queues a frame's segments; `on_written` goes with the last one.
fn queue_frame(
    state: &mut State,
    segments: Vec<Bytes>,
    mut on_written: Option<oneshot::Sender<Reply>>,
) {
    let last = segments.len().saturating_sub(1);
    for (i, frame) in segments.into_iter().enumerate() {
        state.to_write.push_back(Pending {
            frame,
            on_written: if i == last { on_written.take() } else { None },
        });
    }
    // No segments: nothing to write, so it is written.
    if let Some(reply) = on_written {
        let _ = reply.send(Ok(None));
    }
}

/// Writes as much of the queue as the socket takes in one call; flushes once it is empty.
/// Cancel-safe: the queue is advanced right after the write returns, with no await between.
async fn write_some<W: AsyncWrite + Unpin>(
    writer: &mut W,
    state: &mut State,
) -> Result<(), ConnectionError> {
    if state.to_write.is_empty() {
        writer.flush().await?;
        state.needs_flush = false;
        return Ok(());
    }
    let n = {
        let slices: Vec<IoSlice<'_>> = state
            .to_write
            .iter()
            .take(64)
            .map(|p| IoSlice::new(&p.frame))
            .collect();
        writer.write_vectored(&slices).await?
    };
    if n == 0 {
        return Err(ConnectionError::Io(std::io::ErrorKind::WriteZero.into()));
    }
    state.needs_flush = true;
    let mut left = n;
    while left > 0 {
        let Some(front) = state.to_write.front_mut() else {
            break;
        };
        if left >= front.frame.len() {
            left -= front.frame.len();
            if let Some(p) = state.to_write.pop_front() {
                if let Some(reply) = p.on_written {
                    let _ = reply.send(Ok(None));
                }
            }
        } else {
            front.frame.advance(left);
            left = 0;
        }
    }
    Ok(())
}

/// Hands every whole frame in `buf` to the oldest request in flight.
fn dispatch_frames(
    buf: &mut BytesMut,
    state: &mut State,
    decoder: FrameDecoder,
    stats: &BrokerCounters,
) -> Result<(), ConnectionError> {
    let mut last_answered = None;
    while !buf.is_empty() {
        // Kafka sends nothing unasked: bytes with no request in flight cannot be a response.
        if state.in_flight.is_empty() {
            return Err(ConnectionError::UnsolicitedBytes {
                bytes: buf.len(),
                after: last_answered,
            });
        }
        let Some(frame) = decoder
            .decode(buf)
            .map_err(|e| ConnectionError::Protocol(e.into()))?
        else {
            break;
        };
        let actual =
            peek_correlation_id(&frame).map_err(|e| ConnectionError::Protocol(e.into()))?;
        let oldest = state.in_flight.front();
        let expected = oldest.map(|f| f.correlation_id);
        if expected != Some(actual) {
            return Err(ConnectionError::UnexpectedResponse {
                expected,
                actual,
                api: oldest.map(|f| f.api),
            });
        }
        if let Some(mut f) = state.in_flight.pop_front() {
            last_answered = Some(f.api);
            // The size prefix was read too.
            stats.received(frame.len() + 4, f.since.elapsed());
            if let Some(reply) = f.reply.take() {
                // A caller that gave up has dropped its receiver; the frame is discarded.
                let _ = reply.send(Ok(Some(frame)));
            }
        }
    }
    Ok(())
}

fn eof_error(buf: &BytesMut, state: &State, decoder: FrameDecoder) -> ConnectionError {
    match decoder.peek_size(buf) {
        Ok(Some(expected)) => ConnectionError::TruncatedFrame {
            expected,
            received: buf.len().saturating_sub(4),
        },
        _ if !buf.is_empty() => ConnectionError::TruncatedFrame {
            expected: 4,
            received: buf.len(),
        },
        _ => ConnectionError::ClosedByPeer {
            in_flight: state.in_flight.len(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eof_mid_frame_is_truncation() {
        let state = State {
            held: None,
            in_flight: VecDeque::new(),
            to_write: VecDeque::new(),
            needs_flush: false,
        };
        let d = FrameDecoder::new(1000);
        let buf = BytesMut::from(&[0, 0, 0, 10, 1, 2][..]);
        assert!(matches!(
            eof_error(&buf, &state, d),
            ConnectionError::TruncatedFrame {
                expected: 10,
                received: 2
            }
        ));
        assert!(matches!(
            eof_error(&BytesMut::new(), &state, d),
            ConnectionError::ClosedByPeer { in_flight: 0 }
        ));
    }

    /// Takes at most `per_write` bytes per write, across however many slices it is given.
    struct Trickle {
        out: Vec<u8>,
        per_write: usize,
    }

    impl AsyncWrite for Trickle {
        fn poll_write(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            buf: &[u8],
        ) -> std::task::Poll<std::io::Result<usize>> {
            let n = buf.len().min(self.per_write);
            self.out.extend_from_slice(&buf[..n]);
            std::task::Poll::Ready(Ok(n))
        }

        fn poll_write_vectored(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            bufs: &[IoSlice<'_>],
        ) -> std::task::Poll<std::io::Result<usize>> {
            let mut n = 0;
            for b in bufs {
                let take = b.len().min(self.per_write - n);
                self.out.extend_from_slice(&b[..take]);
                n += take;
                if n == self.per_write {
                    break;
                }
            }
            std::task::Poll::Ready(Ok(n))
        }

        fn is_write_vectored(&self) -> bool {
            true
        }

        fn poll_flush(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }

        fn poll_shutdown(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }
    }

    #[tokio::test]
    async fn segmented_frames_are_written_whole_and_in_order() {
        let mut state = State {
            held: None,
            in_flight: VecDeque::new(),
            to_write: VecDeque::new(),
            needs_flush: false,
        };
        let (first_tx, mut first_rx) = oneshot::channel();
        let (second_tx, mut second_rx) = oneshot::channel();
        let segments = |tag: u8| {
            vec![
                Bytes::from(vec![tag; 3]),
                Bytes::from(vec![tag + 1; 5]),
                Bytes::from(vec![tag + 2; 2]),
            ]
        };
        queue_frame(&mut state, segments(10), Some(first_tx));
        queue_frame(&mut state, segments(20), Some(second_tx));
        let (none_tx, none_rx) = oneshot::channel();
        queue_frame(&mut state, Vec::new(), Some(none_tx));
        // Nothing to write is written at once.
        assert!(matches!(none_rx.await, Ok(Ok(None))));
        let mut w = Trickle {
            out: Vec::new(),
            per_write: 4,
        };
        let mut writes = 0;
        while !state.to_write.is_empty() {
            write_some(&mut w, &mut state).await.unwrap();
            writes += 1;
            // The first frame is reported written only once its last segment is out.
            if w.out.len() < 10 {
                assert!(first_rx.try_recv().is_err());
            }
        }
        assert_eq!(writes, 5);
        let expected: Vec<u8> = [segments(10), segments(20)]
            .iter()
            .flatten()
            .flat_map(|s| s.iter().copied())
            .collect();
        assert_eq!(w.out, expected);
        assert!(matches!(first_rx.try_recv(), Ok(Ok(None))));
        assert!(matches!(second_rx.try_recv(), Ok(Ok(None))));
    }
}
