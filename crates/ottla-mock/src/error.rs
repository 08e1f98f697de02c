//! The error type of this crate.

use std::net::SocketAddr;

/// What can go wrong setting up or steering a [`MockCluster`](crate::MockCluster).
///
/// Failures on a client connection are never returned here: the mock closes that connection and
/// logs why (with `tracing`), as a broker would.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum MockError {
    /// A broker could not listen on its address.
    #[error("broker {node} cannot listen on {addr}: {source}")]
    Bind {
        /// The broker's node id.
        node: i32,
        /// The address it tried.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// A builder setting was invalid.
    #[error("invalid mock cluster setting `{key}`: {reason}")]
    Config {
        /// The setting.
        key: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// No broker has this node id.
    #[error("no broker with node id {0}")]
    UnknownBroker(i32),
    /// The broker exists but is stopped.
    #[error("broker {0} is stopped")]
    BrokerStopped(i32),
    /// No topic has this name.
    #[error("no topic named {0:?}")]
    UnknownTopic(String),
    /// The topic exists but not this partition.
    #[error("topic {topic:?} has no partition {partition}")]
    UnknownPartition {
        /// The topic.
        topic: String,
        /// The partition.
        partition: i32,
    },
    /// A topic name or partition count Kafka would refuse.
    #[error("invalid topic {topic:?}: {reason}")]
    InvalidTopic {
        /// The topic.
        topic: String,
        /// Why.
        reason: String,
    },
    /// A topic with this name exists already.
    #[error("topic {0:?} already exists")]
    TopicExists(String),
    /// A record batch handed to [`MockCluster::append`](crate::MockCluster::append) was refused.
    #[error("record batch refused with Kafka error code {code}: {reason}")]
    BatchRefused {
        /// The error code a Produce request would have received.
        code: i16,
        /// Why.
        reason: String,
    },
    /// An offset outside the partition's log.
    #[error("offset {offset} is outside the log ({log_start}..={high_watermark})")]
    OffsetOutOfRange {
        /// The offset asked for.
        offset: i64,
        /// The log start offset.
        log_start: i64,
        /// The high watermark.
        high_watermark: i64,
    },
}
