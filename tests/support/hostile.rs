//! A scripted hostile broker for the client's robustness tests: a single-node "cluster" on
//! loopback that answers ApiVersions, Metadata (naming itself as node 1, leader of topic
//! [`TOPIC`]'s one partition) and ListOffsets (offset [`OFFSET`]) correctly, except that a
//! request can be *armed*: the next request of that API, on whichever connection, gets a
//! [`Hostility`] instead of its answer, once. Arm ApiVersions to hit the first request of the
//! next connection; arm Metadata or ListOffsets to hit a later one.
//!
//! Raw bytes on a socket rather than `ottla-mock`: it sends what no well-behaved broker would
//! (lengths that lie, headers of the wrong version, bytes after a frame) and answers with the
//! `kafka-protocol` encoders everywhere else. [`HostilePeer::start_tls`] speaks TLS (the test
//! CA's `server.pem`, for 127.0.0.1); [`HostilePeer::garble_next_connection`] sends noise
//! instead of the next connection's TLS handshake.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::messages::api_versions_response::ApiVersion;
use kafka_protocol::messages::list_offsets_response::{
    ListOffsetsPartitionResponse, ListOffsetsTopicResponse,
};
use kafka_protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use kafka_protocol::messages::{
    ApiKey, ApiVersionsResponse, BrokerId, ListOffsetsRequest, ListOffsetsResponse,
    MetadataResponse, RequestHeader, ResponseHeader, TopicName,
};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};
use ottla::{ClientConfig, ClientConfigBuilder};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

/// The peer's node id.
pub const NODE: i32 = 1;
/// The one topic (one partition, led by [`NODE`]).
pub const TOPIC: &str = "t";
/// The offset every ListOffsets answer gives.
pub const OFFSET: i64 = 42;
/// `socket.connection.setup.timeout.ms` of the client configurations here.
pub const SETUP_TIMEOUT: Duration = Duration::from_secs(2);

/// A client configuration for the peer at `bootstrap`: short timeouts and backoff.
pub fn client_config(
    bootstrap: &str,
    request_timeout: Duration,
    receive_message_max_bytes: usize,
) -> ClientConfig {
    client_builder(bootstrap, request_timeout, receive_message_max_bytes)
        .build()
        .unwrap()
}

/// As [`client_config`], with `security.protocol=SSL` and the test CA, for
/// [`HostilePeer::start_tls`].
pub fn tls_client_config(bootstrap: &str, request_timeout: Duration) -> ClientConfig {
    let ca = fixture("ca.pem");
    let mut builder = client_builder(bootstrap, request_timeout, 1 << 20);
    builder.set("security.protocol", "SSL").unwrap();
    builder
        .set("ssl.ca.location", ca.to_str().unwrap())
        .unwrap();
    builder.build().unwrap()
}

fn client_builder(
    bootstrap: &str,
    request_timeout: Duration,
    receive_message_max_bytes: usize,
) -> ClientConfigBuilder {
    let mut builder = ClientConfig::builder();
    builder
        .bootstrap_servers(bootstrap)
        .request_timeout(request_timeout)
        .connection_setup_timeout(SETUP_TIMEOUT)
        .receive_message_max_bytes(receive_message_max_bytes)
        .reconnect_backoff(Duration::from_millis(5), Duration::from_millis(20));
    builder
}

/// A file of the TLS fixtures (`crates/ottla-tls/tests/fixtures`).
fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../crates/ottla-tls/tests/fixtures")
        .join(name)
}

/// Noise: `n` bytes of xorshift from a fixed seed, the same every run.
pub fn noise(n: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_le_bytes()[0]
        })
        .collect()
}

/// What the peer does instead of answering an armed request.
#[derive(Debug, Clone)]
pub enum Hostility {
    /// A length prefix of `len` (huge or negative), then `body` zero bytes, then [`Then`].
    Length {
        /// The announced length.
        len: i32,
        /// How many bytes follow it.
        body: usize,
        /// What the peer does next.
        then: Then,
    },
    /// The valid response under a length prefix `extra` bytes longer than it, then [`Then`].
    PastFrame {
        /// Bytes announced beyond the response.
        extra: usize,
        /// What the peer does next.
        then: Then,
    },
    /// The valid response with its correlation id shifted by this much.
    CorrelationShift(i32),
    /// The valid body behind a response header of the other flexibility (v0 where v1 is
    /// due, v1 — with its tagged fields — where v0 is).
    FlippedHeader,
    /// The body encoded at this version instead of the one asked for (the header is right).
    BodyVersion(i16),
    /// The valid response with these bytes after it, inside the length prefix.
    TrailingInFrame(Vec<u8>),
    /// The valid response frame, then these bytes after it (in the same write).
    TrailingAfterFrame(Vec<u8>),
    /// Nothing: the request is read and never answered (the connection stays open).
    Silent,
    /// These bytes on the TCP socket itself, under the TLS session (on a plain connection,
    /// the same as bytes where the response should be); the connection stays open.
    RawBytes(Vec<u8>),
}

/// What the peer does after a hostile answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Then {
    /// Closes the connection.
    Close,
    /// Keeps the connection open and sends nothing more.
    Silent,
}

/// One request the peer read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    /// The connection (1 for the first accepted).
    pub connection: usize,
    /// The request's place on its connection (1 for the first).
    pub request: usize,
    /// Its API.
    pub api: ApiKey,
    /// Whether it got an armed hostility.
    pub hostile: bool,
}

#[derive(Debug, Default)]
struct Script {
    armed: Mutex<Vec<(ApiKey, Hostility)>>,
    seen: Mutex<Vec<Seen>>,
    connections: AtomicUsize,
    /// Noise for the next connection, instead of anything else.
    garble: Mutex<Option<usize>>,
}

impl Script {
    fn take(&self, api: ApiKey) -> Option<Hostility> {
        let mut armed = self.armed.lock().unwrap_or_else(PoisonError::into_inner);
        let at = armed.iter().position(|(a, _)| *a == api)?;
        Some(armed.remove(at).1)
    }
}

/// The peer: a listener on 127.0.0.1 and a task per connection. Stops when dropped.
#[derive(Debug)]
pub struct HostilePeer {
    addr: SocketAddr,
    script: Arc<Script>,
    accept: JoinHandle<()>,
}

impl HostilePeer {
    /// Starts the peer on a free loopback port.
    pub async fn start() -> HostilePeer {
        Self::start_with(None).await
    }

    /// Starts a peer that speaks TLS, with the test CA's `server.pem` (127.0.0.1, localhost).
    pub async fn start_tls() -> HostilePeer {
        Self::start_with(Some(tls_acceptor())).await
    }

    async fn start_with(tls: Option<TlsAcceptor>) -> HostilePeer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let script = Arc::new(Script::default());
        let accept = tokio::spawn(accept_loop(listener, Arc::clone(&script), tls));
        HostilePeer {
            addr,
            script,
            accept,
        }
    }

    /// The next connection gets `bytes` of [`noise`] once its client has spoken (a TLS
    /// ClientHello, a Kafka request), then nothing more (with 0, nothing at all); later ones
    /// are served as usual.
    pub fn garble_next_connection(&self, bytes: usize) {
        *self
            .script
            .garble
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(bytes);
    }

    /// `bootstrap.servers` for it.
    pub fn bootstrap(&self) -> String {
        self.addr.to_string()
    }

    /// The next request of `api` gets `hostility` instead of its answer (once).
    pub fn arm(&self, api: ApiKey, hostility: Hostility) {
        self.script
            .armed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((api, hostility));
    }

    /// Every request read so far, in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.script
            .seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The request that got a hostility (the last one if several did).
    pub fn hostile_request(&self) -> Option<Seen> {
        self.seen().into_iter().rev().find(|s| s.hostile)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.script.connections.load(Ordering::SeqCst)
    }
}

impl Drop for HostilePeer {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

fn tls_acceptor() -> TlsAcceptor {
    let provider = Arc::new(ottla_tls::crypto_provider().unwrap());
    let certs = CertificateDer::pem_file_iter(fixture("server.pem"))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(fixture("server.key")).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    TlsAcceptor::from(Arc::new(config))
}

async fn accept_loop(listener: TcpListener, script: Arc<Script>, tls: Option<TlsAcceptor>) {
    let port = listener.local_addr().unwrap().port();
    // The connection tasks end with the accept loop's runtime (each test has its own).
    while let Ok((stream, _)) = listener.accept().await {
        let n = script.connections.fetch_add(1, Ordering::SeqCst) + 1;
        let garble = script
            .garble
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let (script, tls) = (Arc::clone(&script), tls.clone());
        tokio::spawn(async move {
            match (garble, tls) {
                (Some(bytes), _) => garble_connection(stream, bytes).await,
                (None, None) => serve(stream, port, n, script).await,
                (None, Some(tls)) => {
                    if let Ok(stream) = tls.accept(stream).await {
                        serve(stream, port, n, script).await;
                    }
                }
            }
        });
    }
}

/// Waits for the client's first bytes, answers with noise, then sends nothing more until
/// the client hangs up.
async fn garble_connection(mut stream: TcpStream, bytes: usize) {
    let mut hello = [0u8; 4096];
    if matches!(stream.read(&mut hello).await, Ok(n) if n > 0)
        && stream.write_all(&noise(bytes)).await.is_ok()
    {
        drain(&mut stream).await;
    }
}

/// Reads (and drops) whatever comes until the client hangs up.
async fn drain<S: AsyncRead + Unpin>(stream: &mut S) {
    let mut sink = [0u8; 4096];
    while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
}

/// A connection the peer serves: plain TCP or TLS over it.
trait PeerStream: AsyncRead + AsyncWrite + Unpin + Send {
    /// The TCP socket itself.
    fn tcp(&mut self) -> &mut TcpStream;
}

impl PeerStream for TcpStream {
    fn tcp(&mut self) -> &mut TcpStream {
        self
    }
}

impl PeerStream for tokio_rustls::server::TlsStream<TcpStream> {
    fn tcp(&mut self) -> &mut TcpStream {
        self.get_mut().0
    }
}

/// One request frame (without its length prefix), or `None` at end of stream.
async fn read_request<S: PeerStream>(stream: &mut S) -> Option<Bytes> {
    let len = stream.read_i32().await.ok()?;
    // Requests here are small; a client that announces more is broken.
    let len = usize::try_from(len).ok().filter(|&l| l < 1 << 20)?;
    let mut frame = vec![0; len];
    stream.read_exact(&mut frame).await.ok()?;
    Some(Bytes::from(frame))
}

async fn serve<S: PeerStream>(mut stream: S, port: u16, connection: usize, script: Arc<Script>) {
    let mut request = 0;
    while let Some(frame) = read_request(&mut stream).await {
        request += 1;
        let mut peek = &frame[..];
        let api = ApiKey::try_from(peek.get_i16()).expect("a known API key");
        let version = peek.get_i16();
        let correlation_id = peek.get_i32();
        let hostility = script.take(api);
        script
            .seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Seen {
                connection,
                request,
                api,
                hostile: hostility.is_some(),
            });
        let mut body_bytes = frame.clone();
        RequestHeader::decode(&mut body_bytes, api.request_header_version(version)).unwrap();
        let answer = |body_version: i16, header_version: i16, correlation_id: i32| {
            let mut out = BytesMut::new();
            ResponseHeader::default()
                .with_correlation_id(correlation_id)
                .encode(&mut out, header_version)
                .unwrap();
            encode_body(
                api,
                body_version,
                body_bytes.clone(),
                version,
                port,
                &mut out,
            );
            out
        };
        let header_version = api.response_header_version(version);
        let good = answer(version, header_version, correlation_id);
        let mut out = BytesMut::new();
        let then = match hostility {
            None => {
                put_frame(&mut out, &good);
                None
            }
            Some(Hostility::Length { len, body, then }) => {
                // The body goes out from one small buffer: the peer's own memory stays flat
                // (the allocation test measures the whole process).
                if stream.write_all(&len.to_be_bytes()).await.is_err() {
                    return;
                }
                let zeros = [0u8; 8 * 1024];
                let mut left = body;
                while left > 0 {
                    let n = left.min(zeros.len());
                    if stream.write_all(&zeros[..n]).await.is_err() {
                        return;
                    }
                    left -= n;
                }
                Some(then)
            }
            Some(Hostility::PastFrame { extra, then }) => {
                out.put_i32(i32::try_from(good.len() + extra).unwrap());
                out.put_slice(&good);
                Some(then)
            }
            Some(Hostility::CorrelationShift(shift)) => {
                put_frame(
                    &mut out,
                    &answer(version, header_version, correlation_id.wrapping_add(shift)),
                );
                None
            }
            Some(Hostility::FlippedHeader) => {
                put_frame(
                    &mut out,
                    &answer(version, 1 - header_version, correlation_id),
                );
                None
            }
            Some(Hostility::BodyVersion(v)) => {
                put_frame(&mut out, &answer(v, header_version, correlation_id));
                None
            }
            Some(Hostility::TrailingInFrame(extra)) => {
                let mut body = good;
                body.put_slice(&extra);
                put_frame(&mut out, &body);
                None
            }
            Some(Hostility::TrailingAfterFrame(extra)) => {
                put_frame(&mut out, &good);
                out.put_slice(&extra);
                None
            }
            Some(Hostility::Silent) => Some(Then::Silent),
            Some(Hostility::RawBytes(bytes)) => {
                if stream.tcp().write_all(&bytes).await.is_err() {
                    return;
                }
                Some(Then::Silent)
            }
        };
        if stream.write_all(&out).await.is_err() {
            return;
        }
        match then {
            None => {}
            Some(Then::Close) => return,
            Some(Then::Silent) => {
                drain(&mut stream).await;
                return;
            }
        }
    }
}

fn put_frame(out: &mut BytesMut, body: &[u8]) {
    out.put_i32(i32::try_from(body.len()).unwrap());
    out.put_slice(body);
}

/// Appends the correct answer's body, at `body_version`, to a request of `api` (its body is
/// `request`, sent at `request_version`).
fn encode_body(
    api: ApiKey,
    body_version: i16,
    mut request: Bytes,
    request_version: i16,
    port: u16,
    out: &mut BytesMut,
) {
    match api {
        ApiKey::ApiVersions => {
            let offered = [ApiKey::ApiVersions, ApiKey::Metadata, ApiKey::ListOffsets]
                .into_iter()
                .map(|api| {
                    let range = api.valid_versions();
                    ApiVersion::default()
                        .with_api_key(api as i16)
                        .with_min_version(range.min)
                        .with_max_version(range.max)
                })
                .collect();
            ApiVersionsResponse::default()
                .with_api_keys(offered)
                .encode(out, body_version)
                .unwrap();
        }
        ApiKey::Metadata => {
            let partition = MetadataResponsePartition::default()
                .with_partition_index(0)
                .with_leader_id(BrokerId(NODE))
                .with_replica_nodes(vec![BrokerId(NODE)])
                .with_isr_nodes(vec![BrokerId(NODE)]);
            let topic = MetadataResponseTopic::default()
                .with_name(Some(TopicName(StrBytes::from_static_str(TOPIC))))
                .with_partitions(vec![partition]);
            MetadataResponse::default()
                .with_brokers(vec![MetadataResponseBroker::default()
                    .with_node_id(BrokerId(NODE))
                    .with_host(StrBytes::from_static_str("127.0.0.1"))
                    .with_port(i32::from(port))])
                .with_cluster_id(Some(StrBytes::from_static_str("hostile")))
                .with_controller_id(BrokerId(NODE))
                .with_topics(vec![topic])
                .encode(out, body_version)
                .unwrap();
        }
        ApiKey::ListOffsets => {
            let asked = ListOffsetsRequest::decode(&mut request, request_version).unwrap();
            let topics = asked
                .topics
                .iter()
                .map(|t| {
                    ListOffsetsTopicResponse::default()
                        .with_name(t.name.clone())
                        .with_partitions(
                            t.partitions
                                .iter()
                                .map(|p| {
                                    ListOffsetsPartitionResponse::default()
                                        .with_partition_index(p.partition_index)
                                        .with_timestamp(-1)
                                        .with_offset(OFFSET)
                                })
                                .collect(),
                        )
                })
                .collect();
            ListOffsetsResponse::default()
                .with_topics(topics)
                .encode(out, body_version)
                .unwrap();
        }
        other => panic!("the hostile peer does not answer {other:?}"),
    }
}
