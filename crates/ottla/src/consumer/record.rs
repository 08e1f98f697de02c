//! What the consumer hands the application.

use std::sync::Arc;

use bytes::Bytes;
use ottla_protocol::records::{Header, TimestampType};

/// One record read from a partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerRecord {
    /// The topic.
    pub topic: Arc<str>,
    /// The partition.
    pub partition: i32,
    /// The record's offset.
    pub offset: i64,
    /// Its timestamp (ms since the epoch): create time, or the broker's append time on
    /// LogAppendTime topics.
    pub timestamp: i64,
    /// Whether the timestamp is the producer's or the broker's.
    pub timestamp_type: TimestampType,
    /// The key (`None` for null).
    pub key: Option<Bytes>,
    /// The value (`None` for null).
    pub value: Option<Bytes>,
    /// Headers, in order.
    pub headers: Vec<Header>,
}
