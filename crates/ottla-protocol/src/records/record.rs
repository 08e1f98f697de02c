//! The records a producer hands to [`encode_batch`](super::encode_batch).

use bytes::Bytes;
use kafka_protocol::protocol::StrBytes;

/// A record header. Kafka allows several headers with the same key; order is kept.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Header {
    /// The header key (UTF-8).
    pub key: StrBytes,
    /// The header value, `None` for null.
    pub value: Option<Bytes>,
}

impl Header {
    /// A header from a key and an optional value.
    pub fn new(key: impl Into<StrBytes>, value: Option<Bytes>) -> Self {
        Header {
            key: key.into(),
            value,
        }
    }
}

/// A record to produce.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Record {
    /// The key, `None` for null.
    pub key: Option<Bytes>,
    /// The value, `None` for null (a tombstone on compacted topics).
    pub value: Option<Bytes>,
    /// Headers, in order, duplicates allowed.
    pub headers: Vec<Header>,
    /// Create time in milliseconds since the epoch.
    pub timestamp: i64,
}
