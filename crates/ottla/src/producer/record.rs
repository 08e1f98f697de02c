//! What goes in (a record to send) and what comes back (where it landed).

use std::sync::Arc;

use bytes::Bytes;
use ottla_protocol::records::Header;

/// A record to send.
///
/// ```
/// use ottla::producer::ProducerRecord;
/// let record = ProducerRecord::new("orders", "payload")
///     .with_key("customer-7")
///     .with_header("source", "web")
///     .with_partition(3);
/// assert_eq!(record.partition, Some(3));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProducerRecord {
    /// The topic. Share one `Arc<str>` between records to avoid an allocation per record.
    pub topic: Arc<str>,
    /// The partition; `None` lets the partitioner choose.
    pub partition: Option<i32>,
    /// The key (`None` for null).
    pub key: Option<Bytes>,
    /// The value (`None` for null: a tombstone on compacted topics).
    pub value: Option<Bytes>,
    /// Headers, in order; keys may repeat.
    pub headers: Vec<Header>,
    /// Create time in ms since the epoch; `None` uses the time of `send`.
    pub timestamp: Option<i64>,
}

impl ProducerRecord {
    /// A record with a value and nothing else.
    pub fn new(topic: impl Into<Arc<str>>, value: impl Into<Bytes>) -> Self {
        Self {
            topic: topic.into(),
            partition: None,
            key: None,
            value: Some(value.into()),
            headers: Vec::new(),
            timestamp: None,
        }
    }

    /// A record with a null value (a tombstone).
    pub fn tombstone(topic: impl Into<Arc<str>>, key: impl Into<Bytes>) -> Self {
        Self {
            topic: topic.into(),
            partition: None,
            key: Some(key.into()),
            value: None,
            headers: Vec::new(),
            timestamp: None,
        }
    }

    /// Sets the key.
    pub fn with_key(mut self, key: impl Into<Bytes>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Sets the partition.
    pub fn with_partition(mut self, partition: i32) -> Self {
        self.partition = Some(partition);
        self
    }

    /// Adds a header.
    pub fn with_header(mut self, key: &str, value: impl Into<Bytes>) -> Self {
        self.headers
            .push(Header::new(key.to_owned(), Some(value.into())));
        self
    }

    /// Sets the create time (ms since the epoch).
    pub fn with_timestamp(mut self, timestamp: i64) -> Self {
        self.timestamp = Some(timestamp);
        self
    }
}

/// Where a record landed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordMetadata {
    /// The topic.
    pub topic: Arc<str>,
    /// The partition.
    pub partition: i32,
    /// The record's offset; -1 when the broker does not say (`acks=0`, or a retry the
    /// broker recognised as a duplicate of a batch it wrote long ago).
    pub offset: i64,
    /// The record's timestamp: the broker's append time when the topic uses LogAppendTime,
    /// else the create time.
    pub timestamp: i64,
}
