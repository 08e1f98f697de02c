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
    /// The epoch of the partition leader that appended it, when the batch says (KIP-320).
    pub leader_epoch: Option<i32>,
    /// The key (`None` for null).
    pub key: Option<Bytes>,
    /// The value (`None` for null).
    pub value: Option<Bytes>,
    /// Headers, in order.
    pub headers: Vec<Header>,
}

/// What [`Consumer::recv_event`](super::Consumer::recv_event) hands out.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConsumerEvent {
    /// A record.
    Record(ConsumerRecord),
    /// The position of `partition` reached its end, `offset` (with `enable.partition.eof`):
    /// every record written so far has been handed out. Once per arrival at the end: the
    /// next comes after more records.
    PartitionEof {
        /// The partition.
        partition: super::super::group::TopicPartition,
        /// Its end (high watermark, or last stable offset with read_committed).
        offset: i64,
    },
}
