//! The cloneable handle to a connection task.

use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;
use tracing::Instrument;

use bytes::{Bytes, BytesMut};
use ottla_protocol::frame::FrameDecoder;
use ottla_protocol::kafka_protocol::protocol::Request;
use ottla_protocol::messages::{ApiKey, ProduceRequest, ProduceResponse};
use ottla_protocol::produce_frame::encode_produce_request;
use ottla_protocol::request::{api_key_of, encode_request};
use ottla_protocol::response::decode_response;
use ottla_protocol::versions::BrokerVersions;
use ottla_protocol::ProtocolError;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::handshake;
use super::sasl::{self, SaslFactory};
use super::task::{self, Outgoing};
use super::throttle;
use super::wire::Wire;
use crate::error::{ConnectionError, Error};
use crate::stats::BrokerCounters;

/// How much longer than a request's deadline its caller waits for the task's verdict.
const TASK_DEADLINE_GRACE: Duration = Duration::from_millis(500);

/// What it takes to open a connection.
#[derive(Debug, Clone)]
pub(crate) struct ConnectParams {
    pub host: String,
    pub port: u16,
    pub node_id: Option<i32>,
    pub client_id: String,
    pub request_timeout: Duration,
    pub setup_timeout: Duration,
    pub max_in_flight: usize,
    pub max_frame_size: usize,
    pub sasl: Option<Arc<dyn SaslFactory>>,
    pub tls: Option<ottla_tls::TlsConnector>,
    /// The client's counters for this broker.
    pub stats: Arc<BrokerCounters>,
}

impl ConnectParams {
    /// How the broker is named in errors and logs.
    pub fn label(&self) -> String {
        match self.node_id {
            Some(id) => format!("{}:{} (node {id})", self.host, self.port),
            None => format!("{}:{} (bootstrap)", self.host, self.port),
        }
    }
}

/// A request handed to the connection task, waiting for its reply.
#[derive(Debug)]
struct Pending {
    api: ApiKey,
    correlation_id: i32,
    deadline: Instant,
    timeout: Duration,
    response: oneshot::Receiver<task::Reply>,
}

/// A live connection to one broker. Cloning shares the connection.
#[derive(Debug, Clone)]
pub struct BrokerConnection {
    shared: Arc<Shared>,
}

#[derive(Debug)]
pub(crate) struct Shared {
    pub broker: String,
    pub client_id: String,
    pub request_timeout: Duration,
    pub versions: BrokerVersions,
    pub next_correlation_id: AtomicI32,
    pub tx: mpsc::Sender<Outgoing>,
    /// Set once by the task when it ends; every later caller gets this error.
    pub fatal: OnceLock<Arc<ConnectionError>>,
    /// Completed re-authentications.
    pub reauthentications: AtomicU64,
    /// The SASL session lifetime the broker set at connect (KIP-368), if any.
    pub session_lifetime: Option<Duration>,
    /// The client's counters for this broker.
    pub stats: Arc<BrokerCounters>,
    /// KIP-219: until when the broker asked this connection to send nothing (the last
    /// throttle time it reported, counted from the response).
    pub throttled_until: Mutex<Option<Instant>>,
}

impl Shared {
    /// The end of the current throttle, if it is still ahead.
    pub(crate) fn throttle_end(&self) -> Option<Instant> {
        let until = *self
            .throttled_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        until.filter(|&t| t > Instant::now())
    }
}

impl BrokerConnection {
    /// Connects (TCP, then TLS when configured), negotiates API versions, authenticates
    /// with SASL when configured, and starts the connection task.
    pub(crate) async fn open(params: &ConnectParams) -> Result<Self, Error> {
        match Self::open_once(params).await {
            // A rejected secret may have been rotated since it was read: one more try when
            // the factory has fresh credentials (Secrets Manager), never a loop.
            Err(e @ Error::Authentication { .. }) => match &params.sasl {
                Some(factory) if factory.refresh_after_rejection().await => {
                    tracing::info!(broker = %params.label(), error = %e,
                        "authentication failed; retrying once with refreshed credentials");
                    Self::open_once(params).await
                }
                _ => Err(e),
            },
            other => other,
        }
    }

    async fn open_once(params: &ConnectParams) -> Result<Self, Error> {
        let broker = params.label();
        let options = ottla_tls::ConnectOptions {
            setup_timeout: params.setup_timeout,
            tls: params.tls.clone(),
        };
        let transport = ottla_tls::connect(&params.host, params.port, &options)
            .await
            .map_err(|source| Error::Connect {
                broker: broker.clone(),
                source,
            })?;
        let (mut reader, mut writer) = tokio::io::split(transport);
        let decoder = FrameDecoder::new(params.max_frame_size);
        let mut read_buf = BytesMut::with_capacity(64 * 1024);
        let next_correlation_id = AtomicI32::new(1);
        let mut wire = Wire {
            reader: &mut reader,
            writer: &mut writer,
            read_buf: &mut read_buf,
            decoder,
            client_id: &params.client_id,
            broker: &broker,
            next_correlation_id: &next_correlation_id,
        };
        let versions = handshake::negotiate_versions(&mut wire, params.request_timeout).await?;
        let sasl_started = tokio::time::Instant::now();
        let session = match &params.sasl {
            Some(factory) => Some(
                sasl::authenticate(
                    &mut wire,
                    &versions,
                    &**factory,
                    &params.host,
                    params.request_timeout,
                )
                .instrument(tracing::info_span!(
                    "sasl",
                    broker = %broker,
                    mechanism = factory.mechanism()
                ))
                .await?,
            ),
            None => None,
        };
        // Kafka sends nothing unasked: bytes after the handshake's last response are none.
        if !read_buf.is_empty() {
            let after = match params.sasl {
                Some(_) => ApiKey::SaslAuthenticate,
                None => ApiKey::ApiVersions,
            };
            return Err(Error::Connection {
                broker,
                source: Arc::new(ConnectionError::UnsolicitedBytes {
                    bytes: read_buf.len(),
                    after: Some(after),
                }),
            });
        }
        // Room for the requests in flight plus as many waiting: callers beyond that wait for a
        // slot (and their deadline keeps running).
        let (tx, rx) = mpsc::channel(params.max_in_flight.max(1) * 2);
        let shared = Arc::new(Shared {
            broker,
            client_id: params.client_id.clone(),
            request_timeout: params.request_timeout,
            versions,
            next_correlation_id,
            tx,
            fatal: OnceLock::new(),
            reauthentications: AtomicU64::new(0),
            session_lifetime: session.and_then(|s| s.lifetime),
            stats: Arc::clone(&params.stats),
            throttled_until: Mutex::new(None),
        });
        crate::stats::add(&params.stats.connects, 1);
        let reauth = match (&params.sasl, session.and_then(|s| s.lifetime)) {
            (Some(factory), Some(lifetime)) => Some(task::Reauth {
                factory: Arc::clone(factory),
                lifetime,
                started: sasl_started,
                host: params.host.clone(),
            }),
            _ => None,
        };
        let span = tracing::info_span!("connection", broker = %shared.broker);
        tokio::spawn(
            task::run(
                task::Io {
                    reader,
                    writer,
                    read_buf,
                },
                rx,
                Arc::clone(&shared),
                task::Limits {
                    max_in_flight: params.max_in_flight.max(1),
                    decoder,
                },
                reauth,
            )
            .instrument(span),
        );
        Ok(Self { shared })
    }

    /// The SASL session lifetime the broker set when this connection authenticated
    /// (KIP-368); `None` without SASL or when the broker sets none. Re-authentication starts
    /// at 85–95 % of it.
    pub fn session_lifetime(&self) -> Option<Duration> {
        self.shared.session_lifetime
    }

    /// How many times this connection re-authenticated (KIP-368).
    pub fn reauthentications(&self) -> u64 {
        self.shared.reauthentications.load(Ordering::Relaxed)
    }

    /// Records a throttle time the broker reported in a response (quotas) and, as KIP-219
    /// asks of clients of Kafka 2.0 and later (which answer at once and leave the waiting to
    /// the client), holds this connection's next requests back until it has passed. Every
    /// response decoded here is looked at.
    fn record_throttle(&self, throttle_ms: i32) {
        self.shared.stats.throttled(throttle_ms);
        if let Some(ms) = u64::try_from(throttle_ms).ok().filter(|&ms| ms > 0) {
            let end = Instant::now() + Duration::from_millis(ms);
            let mut until = self
                .shared
                .throttled_until
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            *until = Some(until.map_or(end, |u| u.max(end)));
        }
    }

    /// The broker's label (`host:port (node N)`).
    pub fn broker(&self) -> &str {
        &self.shared.broker
    }

    /// What the broker offered in ApiVersions.
    pub fn versions(&self) -> &BrokerVersions {
        &self.shared.versions
    }

    /// The highest version of `api` both sides speak.
    pub fn version_of(&self, api: ApiKey) -> Result<i16, Error> {
        self.shared
            .versions
            .negotiate(api)
            .map_err(|source| Error::Version {
                broker: self.shared.broker.clone(),
                source,
            })
    }

    /// Whether the connection has failed or been closed.
    pub fn is_closed(&self) -> bool {
        self.shared.fatal.get().is_some() || self.shared.tx.is_closed()
    }

    /// Sends `request` at the highest version both sides speak and waits for its response.
    pub async fn send<R: Request>(&self, request: &R) -> Result<R::Response, Error> {
        let version = self.version_of(api_key_of::<R>())?;
        self.send_versioned(request, version).await
    }

    /// Sends `request` at `version` and waits for its response, within `request.timeout.ms`.
    pub async fn send_versioned<R: Request>(
        &self,
        request: &R,
        version: i16,
    ) -> Result<R::Response, Error> {
        self.send_with_timeout(request, version, self.shared.request_timeout)
            .await
    }

    /// As [`send_versioned`](Self::send_versioned) with an explicit deadline, for requests the
    /// broker may hold (a Fetch long-poll needs `request.timeout.ms` plus its wait).
    pub async fn send_with_timeout<R: Request>(
        &self,
        request: &R,
        version: i16,
        timeout: Duration,
    ) -> Result<R::Response, Error> {
        let api = api_key_of::<R>();
        let span = tracing::debug_span!("request", broker = %self.shared.broker, ?api, version);
        async {
            let (frame, correlation_id) =
                self.exchange::<R>(request, version, timeout, true).await?;
            self.decode::<R>(frame.unwrap_or_default(), version, correlation_id)
        }
        .instrument(span)
        .await
    }

    /// Sends a request that gets no response (Produce with `acks=0`); returns once it is
    /// written.
    pub async fn send_no_response<R: Request>(
        &self,
        request: &R,
        version: i16,
    ) -> Result<(), Error> {
        self.exchange::<R>(request, version, self.shared.request_timeout, false)
            .await
            .map(|_| ())
    }

    /// A response that does not decode: the broker and the client disagree on the protocol,
    /// so the connection takes no more requests (those in flight still get their answers)
    /// and the pool opens a new one; later callers get this error.
    fn protocol_error(&self, api: ApiKey, e: ottla_protocol::ProtocolError) -> Error {
        tracing::warn!(broker = %self.shared.broker, ?api, error = %e, "undecodable response");
        let source = Arc::new(ConnectionError::Protocol(e));
        let _ = self.shared.fatal.set(Arc::clone(&source));
        Error::Connection {
            broker: self.shared.broker.clone(),
            source,
        }
    }

    /// Puts `request` on this connection's queue now, without waiting: requests started one
    /// after another reach the broker in that order (the producer relies on it for
    /// per-partition order). Returns a future for the response (`None` when `expect_response`
    /// is false: it resolves once the request is written). Fails at once, with a retriable
    /// error, when the connection's queue is full or closed.
    pub fn start<R: Request>(
        &self,
        request: &R,
        version: i16,
        expect_response: bool,
    ) -> Result<
        impl std::future::Future<Output = Result<Option<R::Response>, Error>> + Send + 'static,
        Error,
    > {
        let id = self.next_correlation_id();
        let frame = one_segment(request, version, id, &self.shared.client_id);
        self.start_frame::<R>(version, expect_response, id, frame)
    }

    /// [`start`](Self::start) for a Produce request, whose record batches are written from
    /// their own buffers rather than copied into the frame (`ottla_protocol::produce_frame`).
    pub fn start_produce(
        &self,
        request: &ProduceRequest,
        version: i16,
        expect_response: bool,
    ) -> Result<
        impl std::future::Future<Output = Result<Option<ProduceResponse>, Error>> + Send + 'static,
        Error,
    > {
        let id = self.next_correlation_id();
        let frame = encode_produce_request(request, version, id, Some(&self.shared.client_id));
        self.start_frame::<ProduceRequest>(version, expect_response, id, frame)
    }

    fn start_frame<R: Request>(
        &self,
        version: i16,
        expect_response: bool,
        correlation_id: i32,
        frame: Result<Vec<Bytes>, ProtocolError>,
    ) -> Result<
        impl std::future::Future<Output = Result<Option<R::Response>, Error>> + Send + 'static,
        Error,
    > {
        let timeout = self.shared.request_timeout;
        let (pending, outgoing) =
            self.prepare_frame::<R>(timeout, expect_response, correlation_id, frame)?;
        match self.shared.tx.try_send(outgoing) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                return Err(Error::Connection {
                    broker: self.shared.broker.clone(),
                    source: Arc::new(ConnectionError::QueueFull),
                })
            }
            Err(mpsc::error::TrySendError::Closed(_)) => return Err(self.closed_error()),
        }
        let conn = self.clone();
        Ok(async move {
            let frame = match conn.await_reply(pending).await? {
                Some(frame) => frame,
                None => return Ok(None),
            };
            conn.decode::<R>(frame, version, correlation_id).map(Some)
        })
    }

    /// Decodes the response to the request sent with `correlation_id`: the task matched the
    /// frame to it by correlation id; the header is checked against it again here, and bytes
    /// left after the body are an error.
    fn decode<R: Request>(
        &self,
        frame: bytes::Bytes,
        version: i16,
        correlation_id: i32,
    ) -> Result<R::Response, Error> {
        let response = decode_response::<R>(frame, version, correlation_id)
            .map_err(|e| self.protocol_error(api_key_of::<R>(), e))?;
        self.record_throttle(throttle::throttle_time_ms(&response));
        Ok(response)
    }

    fn prepare<R: Request>(
        &self,
        request: &R,
        version: i16,
        timeout: Duration,
        expect_response: bool,
    ) -> Result<(Pending, Outgoing), Error> {
        let id = self.next_correlation_id();
        let frame = one_segment(request, version, id, &self.shared.client_id);
        self.prepare_frame::<R>(timeout, expect_response, id, frame)
    }

    fn next_correlation_id(&self) -> i32 {
        self.shared
            .next_correlation_id
            .fetch_add(1, Ordering::Relaxed)
    }

    /// The queue entry and the reply slot for a frame encoded with `correlation_id`.
    fn prepare_frame<R: Request>(
        &self,
        timeout: Duration,
        expect_response: bool,
        correlation_id: i32,
        frame: Result<Vec<Bytes>, ProtocolError>,
    ) -> Result<(Pending, Outgoing), Error> {
        if self.shared.fatal.get().is_some() {
            return Err(self.closed_error());
        }
        let api = api_key_of::<R>();
        let deadline = Instant::now() + timeout;
        let frame = frame.map_err(|e| Error::Connection {
            broker: self.shared.broker.clone(),
            source: Arc::new(ConnectionError::Protocol(e)),
        })?;
        let (reply, response) = oneshot::channel();
        let outgoing = Outgoing {
            frame,
            correlation_id,
            api,
            deadline,
            timeout,
            expect_response,
            reply,
        };
        let pending = Pending {
            api,
            correlation_id,
            deadline,
            timeout,
            response,
        };
        Ok((pending, outgoing))
    }

    /// Sends `request` and waits for its reply: the response frame (`None` without one) and
    /// the correlation id it was sent with.
    async fn exchange<R: Request>(
        &self,
        request: &R,
        version: i16,
        timeout: Duration,
        expect_response: bool,
    ) -> Result<(Option<bytes::Bytes>, i32), Error> {
        let (pending, outgoing) = self.prepare::<R>(request, version, timeout, expect_response)?;
        let correlation_id = pending.correlation_id;
        match tokio::time::timeout_at(pending.deadline, self.shared.tx.send(outgoing)).await {
            Err(_) => return Err(self.timed_out(pending.api, timeout)),
            Ok(Err(_)) => return Err(self.closed_error()),
            Ok(Ok(())) => {}
        }
        Ok((self.await_reply(pending).await?, correlation_id))
    }

    fn timed_out(&self, api: ApiKey, timeout: Duration) -> Error {
        Error::Timeout {
            broker: self.shared.broker.clone(),
            api,
            timeout,
        }
    }

    async fn await_reply(&self, pending: Pending) -> Result<Option<bytes::Bytes>, Error> {
        let Pending {
            api,
            correlation_id,
            deadline,
            timeout,
            response,
        } = pending;
        // Once written, the task owns the deadline: it fails the request and drops the
        // connection (Kafka answers in order, so a late response would poison it). Waiting a
        // little longer here makes sure the connection is marked closed before we return, so
        // the next request opens a new one instead of joining the doomed one.
        match tokio::time::timeout_at(deadline + TASK_DEADLINE_GRACE, response).await {
            Err(_) => Err(self.timed_out(api, timeout)),
            Ok(Err(_)) => Err(self.closed_error()),
            Ok(Ok(Err(source))) => Err(self.shared_error(api, correlation_id, timeout, source)),
            Ok(Ok(Ok(frame))) => Ok(frame),
        }
    }

    fn shared_error(
        &self,
        api: ApiKey,
        correlation_id: i32,
        timeout: Duration,
        source: Arc<ConnectionError>,
    ) -> Error {
        match &*source {
            ConnectionError::RequestTimedOut {
                correlation_id: c, ..
            } if *c == correlation_id => Error::Timeout {
                broker: self.shared.broker.clone(),
                api,
                timeout,
            },
            _ => Error::Connection {
                broker: self.shared.broker.clone(),
                source,
            },
        }
    }

    fn closed_error(&self) -> Error {
        let source = self
            .shared
            .fatal
            .get()
            .cloned()
            .unwrap_or_else(|| Arc::new(ConnectionError::Shutdown));
        Error::Connection {
            broker: self.shared.broker.clone(),
            source,
        }
    }
}

/// A request's whole frame as one segment.
fn one_segment<R: Request>(
    request: &R,
    version: i16,
    correlation_id: i32,
    client_id: &str,
) -> Result<Vec<Bytes>, ProtocolError> {
    let mut buf = BytesMut::new();
    encode_request(request, version, correlation_id, Some(client_id), &mut buf)?;
    Ok(vec![buf.freeze()])
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::{Buf, BufMut, Bytes};
    use ottla_protocol::kafka_protocol::protocol::{Encodable, HeaderVersion};
    use ottla_protocol::messages::api_versions_response::ApiVersion;
    use ottla_protocol::messages::{ApiVersionsResponse, MetadataRequest, MetadataResponse};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    fn frame_of(mut body: BytesMut) -> BytesMut {
        let mut out = BytesMut::new();
        out.put_i32(body.len() as i32);
        out.unsplit(std::mem::take(&mut body));
        out
    }

    async fn read_frame(s: &mut tokio::net::TcpStream, buf: &mut BytesMut) -> Option<Bytes> {
        let d = FrameDecoder::default();
        loop {
            if let Some(f) = d.decode(buf).unwrap() {
                return Some(f);
            }
            if s.read_buf(buf).await.unwrap() == 0 {
                return None;
            }
        }
    }

    /// A broker that counts how many requests reach it before it answers any.
    async fn counting_broker(listener: TcpListener, hold: Duration) -> Vec<usize> {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut buf = BytesMut::new();
        // ApiVersions (v3 request, v0 response header).
        let req = read_frame(&mut s, &mut buf).await.unwrap();
        let corr = (&req[4..8]).get_i32();
        let resp = ApiVersionsResponse::default().with_api_keys(vec![ApiVersion::default()
            .with_api_key(ApiKey::Metadata as i16)
            .with_min_version(0)
            .with_max_version(12)]);
        let mut body = BytesMut::new();
        body.put_i32(corr);
        resp.encode(&mut body, 3).unwrap();
        s.write_all(&frame_of(body)).await.unwrap();
        let mut rounds = Vec::new();
        loop {
            let mut waiting = Vec::new();
            let until = Instant::now() + hold;
            while let Ok(Some(f)) =
                tokio::time::timeout_at(until, read_frame(&mut s, &mut buf)).await
            {
                waiting.push((&f[4..8]).get_i32());
            }
            if waiting.is_empty() {
                return rounds;
            }
            rounds.push(waiting.len());
            for corr in waiting {
                let mut body = BytesMut::new();
                body.put_i32(corr);
                body.put_u8(0); // response header v1 tagged fields
                MetadataResponse::default().encode(&mut body, 12).unwrap();
                s.write_all(&frame_of(body)).await.unwrap();
            }
        }
    }

    #[tokio::test]
    async fn in_flight_is_capped_per_connection() {
        assert_eq!(MetadataResponse::header_version(12), 1);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let broker = tokio::spawn(counting_broker(listener, Duration::from_millis(150)));
        let conn = BrokerConnection::open(&ConnectParams {
            host: "127.0.0.1".into(),
            port,
            node_id: Some(1),
            client_id: "t".into(),
            request_timeout: Duration::from_secs(10),
            setup_timeout: Duration::from_secs(5),
            max_in_flight: 2,
            max_frame_size: 1 << 20,
            sasl: None,
            tls: None,
            stats: Arc::default(),
        })
        .await
        .unwrap();
        let tasks: Vec<_> = (0..5)
            .map(|_| {
                let conn = conn.clone();
                tokio::spawn(async move { conn.send(&MetadataRequest::default()).await })
            })
            .collect();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        drop(conn);
        let rounds = broker.await.unwrap();
        // Five requests, at most two on the wire at a time: 2 + 2 + 1.
        assert_eq!(rounds, vec![2, 2, 1]);
    }
}
