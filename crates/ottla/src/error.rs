//! The error type of the `ottla` crate.

use std::sync::Arc;
use std::time::Duration;

use ottla_protocol::error_code::ErrorCode;
use ottla_protocol::messages::ApiKey;
use ottla_protocol::versions::VersionError;
use ottla_protocol::ProtocolError;

use crate::config::ConfigError;
use crate::producer::TransactionPhase;

/// Everything that can go wrong in the client. Cheap to clone: a connection's fatal error is
/// shared by every request that was waiting on it.
#[non_exhaustive]
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// The configuration was rejected.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A connection to a broker could not be set up.
    #[error("broker {broker}: {source}")]
    Connect {
        /// The broker (`host:port`, with node id when known).
        broker: String,
        /// Why.
        source: ottla_tls::ConnectError,
    },
    /// The connection to a broker failed while in use; every request on it got this error.
    #[error("broker {broker}: connection failed: {source}")]
    Connection {
        /// The broker.
        broker: String,
        /// The shared cause.
        source: Arc<ConnectionError>,
    },
    /// A request's deadline (`request.timeout.ms`) passed before its response arrived.
    #[error("broker {broker}: {api:?} request timed out after {timeout:?} (request.timeout.ms)")]
    Timeout {
        /// The broker.
        broker: String,
        /// The request's API.
        api: ApiKey,
        /// The deadline.
        timeout: Duration,
    },
    /// The broker speaks no version of an API that ottla needs.
    #[error("broker {broker}: {source}")]
    Version {
        /// The broker.
        broker: String,
        /// The negotiation failure.
        source: VersionError,
    },
    /// The broker answered with a Kafka error code.
    #[error("{api:?} failed{}: {code}", context_suffix(.context))]
    Kafka {
        /// The request's API.
        api: ApiKey,
        /// The error code.
        code: ErrorCode,
        /// Topic, partition or broker the error is about.
        context: String,
        /// The broker's message, when it sent one.
        message: Option<String>,
    },
    /// Records could not be encoded for a request.
    #[error("cannot encode records for {context}: {source}")]
    Encode {
        /// Topic and partition.
        context: String,
        /// Why.
        source: ProtocolError,
    },
    /// Records in a response could not be decoded.
    #[error("cannot decode records of {context}: {source}")]
    Decode {
        /// Topic, partition and offset.
        context: String,
        /// Why.
        source: ProtocolError,
    },
    /// The broker does not offer the SASL mechanism configured.
    #[error("broker {broker} does not offer SASL mechanism {mechanism}; it offers: {}", offered.join(", "))]
    SaslMechanismNotOffered {
        /// The broker.
        broker: String,
        /// The mechanism asked for.
        mechanism: &'static str,
        /// What the broker offers.
        offered: Vec<String>,
    },
    /// The broker rejected the credentials (not retried: the same credentials fail again).
    #[error("broker {broker}: SASL/{mechanism} authentication failed: {}", message.as_deref().unwrap_or(code.description()))]
    Authentication {
        /// The broker.
        broker: String,
        /// The mechanism.
        mechanism: &'static str,
        /// The error code (SASL_AUTHENTICATION_FAILED, …).
        code: ErrorCode,
        /// The broker's message.
        message: Option<String>,
    },
    /// The client side of the SASL exchange failed (bad server message, server signature
    /// that does not verify, token provider error, …).
    #[error("broker {broker}: {source}")]
    Sasl {
        /// The broker.
        broker: String,
        /// The mechanism.
        mechanism: &'static str,
        /// Why.
        source: ottla_sasl::SaslError,
    },
    /// The broker closed the connection during SASL authentication.
    #[error(
        "broker {broker} closed the connection during SASL/{mechanism} authentication: {source}"
    )]
    ClosedDuringAuthentication {
        /// The broker.
        broker: String,
        /// The mechanism.
        mechanism: &'static str,
        /// What the connection saw.
        source: Arc<ConnectionError>,
    },
    /// The TLS settings (`ssl.*`) could not be loaded: a file, key or password is wrong, or
    /// the CPU cannot run the crypto provider.
    #[error("{source}")]
    Tls {
        /// Why.
        source: ottla_tls::ConnectError,
    },
    /// No broker in `bootstrap.servers` could be reached.
    #[error("no bootstrap server reachable: {}", attempts.join("; "))]
    Bootstrap {
        /// One line per server tried.
        attempts: Vec<String>,
        /// The error of each attempt, typed (same order as `attempts`).
        errors: Vec<Error>,
    },
    /// The metadata names no broker with this node id.
    #[error("no broker with node id {0} in the cluster metadata")]
    UnknownBroker(i32),
    /// The topic or partition is not in the cluster metadata.
    #[error("unknown topic or partition {topic}{}", partition.map(|p| format!("-{p}")).unwrap_or_default())]
    UnknownTopicOrPartition {
        /// The topic.
        topic: String,
        /// The partition, when one was asked for.
        partition: Option<i32>,
    },
    /// The partition has no leader right now.
    #[error("partition {topic}-{partition} has no leader")]
    LeaderNotAvailable {
        /// The topic.
        topic: String,
        /// The partition.
        partition: i32,
    },
    /// The broker asked no longer leads the partition and named the one that does (KIP-951):
    /// the client's metadata already points there, so a retry goes to the new leader at once.
    #[error("broker is no longer the leader of {topic}-{partition}: broker {leader} is, at leader epoch {epoch}")]
    LeaderMoved {
        /// The topic.
        topic: String,
        /// The partition.
        partition: i32,
        /// The new leader's node id.
        leader: i32,
        /// Its leader epoch.
        epoch: i32,
    },
    /// The partition's log lost records this consumer had read (a leader change truncated
    /// it: KIP-320), and `auto.offset.reset=none` says not to move on by itself.
    #[error("the log of {topic}-{partition} was truncated under the consumer's position {position}: the new leader's log agrees only up to offset {diverged_at}; seek to go on")]
    LogTruncated {
        /// The topic.
        topic: String,
        /// The partition.
        partition: i32,
        /// Where the consumer was.
        position: i64,
        /// The first offset the logs disagree on: records from here to `position` were
        /// read by the consumer and are gone.
        diverged_at: i64,
    },
    /// An offset to commit or seek to that cannot be one (below 0).
    #[error("offset {offset} for {topic}-{partition} is not an offset (0 or more)")]
    InvalidOffset {
        /// The topic.
        topic: String,
        /// The partition.
        partition: i32,
        /// The offset asked for.
        offset: i64,
    },
    /// The client was closed.
    #[error("the client is closed")]
    Closed,
    /// A record is larger than a limit allows; it was not queued.
    #[error("record of {size} bytes is larger than {key} ({max} bytes)")]
    RecordTooLarge {
        /// The record's encoded size (in a batch of its own).
        size: usize,
        /// The limit.
        max: usize,
        /// The setting that sets the limit.
        key: &'static str,
    },
    /// `send` waited `max.block.ms` and could not queue the record.
    #[error("send gave up after {waited:?} (max.block.ms) waiting for {what}")]
    MaxBlock {
        /// How long it waited.
        waited: Duration,
        /// What it waited for.
        what: BlockedOn,
    },
    /// The record was not delivered within `delivery.timeout.ms`.
    #[error("{topic}-{partition}: not delivered within {timeout:?} (delivery.timeout.ms){}", last_error.as_ref().map(|e| format!("; last error: {e}")).unwrap_or_default())]
    DeliveryTimeout {
        /// The topic.
        topic: String,
        /// The partition.
        partition: i32,
        /// The timeout.
        timeout: Duration,
        /// The error of the last attempt, if there was one.
        last_error: Option<Box<Error>>,
    },
    /// Another producer with the same `transactional.id` (or a newer epoch of this one) took
    /// over; this producer cannot send any more.
    #[error("producer fenced{}: {code}", transactional_id.as_ref().map(|t| format!(" (transactional.id {t})")).unwrap_or_default())]
    ProducerFenced {
        /// The transactional id, for a transactional producer.
        transactional_id: Option<String>,
        /// PRODUCER_FENCED, INVALID_PRODUCER_EPOCH, …
        code: ErrorCode,
    },
    /// A transaction method was called in a state that does not allow it (commit without
    /// begin, send outside a transaction, …).
    #[error("{call} needs a producer {expected}; it is {actual}")]
    TransactionState {
        /// The method (`send`, `begin_transaction`, `commit_transaction`, …).
        call: &'static str,
        /// The state it needs.
        expected: TransactionPhase,
        /// The state the producer is in.
        actual: TransactionPhase,
    },
    /// A transaction method was called on a producer without `transactional.id`.
    #[error("the producer has no transactional.id")]
    NotTransactional,
    /// An invariant of ottla itself does not hold: a bug, reported instead of a panic.
    #[error("internal error (a bug in ottla; please report it): {0}")]
    Internal(&'static str),
    /// A send of the transaction failed, so it cannot commit: it can only be aborted.
    #[error("a send of this transaction failed ({cause}); the transaction can only be aborted")]
    TransactionAbortable {
        /// The first failure of the transaction.
        cause: Box<Error>,
    },
    /// The record was not sent because its transaction was aborted.
    #[error("record not sent: its transaction was aborted")]
    TransactionAborted,
}

fn unexpected_suffix(expected: Option<i32>, api: Option<ApiKey>) -> String {
    match (expected, api) {
        (Some(id), Some(api)) => {
            format!(", but the oldest request in flight is {api:?} with correlation id {id}")
        }
        (Some(id), None) => format!(", but correlation id {id} was expected next"),
        (None, _) => " while no request was in flight".to_owned(),
    }
}

fn context_suffix(context: &str) -> String {
    if context.is_empty() {
        String::new()
    } else {
        format!(" for {context}")
    }
}

impl Error {
    /// Whether trying again (after a metadata refresh or backoff) may succeed.
    pub fn is_retriable(&self) -> bool {
        match self {
            Error::Connect { .. }
            | Error::Connection { .. }
            | Error::Timeout { .. }
            | Error::LeaderNotAvailable { .. }
            | Error::LeaderMoved { .. } => true,
            Error::Kafka { code, .. } => code.is_retriable(),
            _ => false,
        }
    }

    /// The Kafka error code, when the broker sent one.
    pub fn kafka_code(&self) -> Option<ErrorCode> {
        match self {
            Error::Kafka { code, .. } => Some(*code),
            _ => None,
        }
    }
}

/// Why a live connection failed.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    /// Reading or writing the socket failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The broker closed the connection.
    #[error("closed by the broker{}", if *.in_flight > 0 { format!(" with {} request(s) in flight", .in_flight) } else { String::new() })]
    ClosedByPeer {
        /// Requests that were waiting for a response.
        in_flight: usize,
    },
    /// The broker closed the connection in the middle of a frame.
    #[error(
        "closed by the broker in the middle of a {expected}-byte frame ({received} bytes received)"
    )]
    TruncatedFrame {
        /// The frame size announced.
        expected: usize,
        /// Bytes of it received.
        received: usize,
    },
    /// A frame or response broke the protocol; the stream cannot be trusted any more.
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    /// A response's correlation id is not the one of the oldest request in flight (Kafka
    /// answers a connection's requests in order).
    #[error("response with correlation id {actual}{}", unexpected_suffix(*.expected, *.api))]
    UnexpectedResponse {
        /// The correlation id of the oldest request in flight, if any.
        expected: Option<i32>,
        /// The correlation id received.
        actual: i32,
        /// The API of the oldest request in flight, if any.
        api: Option<ApiKey>,
    },
    /// The broker sent bytes while no request was waiting for a response: bytes after a
    /// response, or a response to nothing.
    #[error("{bytes} byte(s) arrived with no request in flight{}", .after.map(|a| format!(" (after the response to {a:?})")).unwrap_or_default())]
    UnsolicitedBytes {
        /// How many bytes were buffered.
        bytes: usize,
        /// The API of the last response read on the connection, if any.
        after: Option<ApiKey>,
    },
    /// A request's deadline passed; Kafka answers in order, so the connection is dropped.
    #[error("{api:?} request (correlation id {correlation_id}) timed out after {timeout:?}; connection dropped")]
    RequestTimedOut {
        /// The request that timed out.
        api: ApiKey,
        /// Its correlation id.
        correlation_id: i32,
        /// The deadline.
        timeout: Duration,
    },
    /// KIP-368 re-authentication failed; the connection is closed and the next request opens
    /// a new one (authenticating afresh).
    #[error("re-authentication failed: {0}")]
    Reauthentication(String),
    /// The connection's queue of requests waiting for a slot is full (retriable: the
    /// producer tries again when a response frees a slot).
    #[error("too many requests queued on the connection")]
    QueueFull,
    /// The client shut the connection down.
    #[error("connection shut down by the client")]
    Shutdown,
}

/// What a producer call waited for until it gave up ([`Error::MaxBlock`]).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlockedOn {
    /// The topic's partitions: its metadata never named any (does the topic exist?).
    TopicMetadata {
        /// The topic.
        topic: String,
    },
    /// Room in the producer's buffer (`buffer.memory`, `queue.buffering.max.messages`).
    BufferSpace,
    /// `close`: the delivery of what was queued; these batches failed with
    /// [`Error::Closed`].
    PendingDeliveries {
        /// Batches not delivered in time.
        batches: usize,
    },
}

impl std::fmt::Display for BlockedOn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BlockedOn::TopicMetadata { topic } => {
                write!(f, "metadata of topic {topic:?} (does it exist?)")
            }
            BlockedOn::BufferSpace => f.write_str(
                "room in the producer buffer (buffer.memory, queue.buffering.max.messages)",
            ),
            BlockedOn::PendingDeliveries { batches } => write!(
                f,
                "delivery of {batches} batch(es) on close; they failed with `the client is closed`"
            ),
        }
    }
}
