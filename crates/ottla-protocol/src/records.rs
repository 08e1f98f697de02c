//! Record batches (magic v2): our own codec.
//!
//! Why not kafka-protocol's: it keeps headers in a map and so loses duplicate header keys,
//! which Kafka allows; it cannot skip the truncated last batch a Fetch response may carry; and
//! the producer wants an encoder that writes straight into its buffer. kafka-protocol's codec
//! reads what we write and the other way round (tested for every codec).
//!
//! - Producer: [`BatchBuilder`] appends records one at a time and builds the batch;
//!   [`encode_batch`] / [`BatchEncoder`] encode a slice of [`Record`]s (same bytes), with
//!   [`BatchOptions`], sized with [`record_size_estimate`] + [`RECORD_BATCH_OVERHEAD`];
//!   [`stamp_producer`] restamps the producer fields of a batch being retried.
//! - Consumer: [`decode_batches`] (or [`BatchReader`]) with [`DecodeLimits`], then
//!   [`filter_aborted`] for `read_committed`.
//!
//! Decoding never allocates from a count read off the wire without bounding it by the bytes
//! present, and never decompresses past [`DecodeLimits::max_decompressed_bytes`].

mod aborted;
mod builder;
mod control;
mod decode;
mod encode;
mod layout;
mod reader;
mod record;
pub(crate) mod varint;

#[cfg(test)]
mod builder_tests;
#[cfg(test)]
mod decode_tests;
#[cfg(test)]
mod kafka_protocol_interop_tests;
#[cfg(test)]
mod round_trip_tests;
#[cfg(test)]
mod strategies;

pub use aborted::{filter_aborted, AbortedTransaction};
pub use builder::{stamp_producer, BatchBuilder};
pub use control::{ControlKind, ControlRecord};
pub use decode::{
    decode_batches, BatchReader, ConsumedRecord, DecodeLimits, DecodedBatch, DecodedBatches,
    TimestampType,
};
pub use encode::{
    encode_batch, encode_control_batch, record_size_bound, record_size_estimate, set_base_offset,
    BatchEncoder, BatchOptions, RECORD_BATCH_OVERHEAD,
};
pub use record::{Header, Record};

use crate::compression::CompressionError;

/// Why a record batch could not be encoded or decoded.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// The batch was malformed.
    #[error("malformed record batch: {0}")]
    Malformed(String),
    /// A batch's stored CRC-32C does not match its bytes.
    #[error("record batch at offset {base_offset} failed its CRC check (stored {expected:#010x}, computed {actual:#010x})")]
    CrcMismatch {
        /// The batch's base offset.
        base_offset: i64,
        /// The CRC in the batch.
        expected: u32,
        /// The CRC of the bytes.
        actual: u32,
    },
    /// A magic byte other than 2. v0/v1 message sets (Kafka < 0.11) are not supported.
    #[error("record batch magic {0} is not supported (only v2; v0/v1 message sets are not)")]
    UnsupportedMagic(i8),
    /// Attributes name a codec Kafka does not define.
    #[error("record batch uses unknown compression codec {0}")]
    UnknownCompression(i16),
    /// The record count does not match the records present.
    #[error("record batch at offset {base_offset} declares {declared} records: {message}")]
    RecordCountMismatch {
        /// The batch's base offset.
        base_offset: i64,
        /// The count in the header.
        declared: usize,
        /// What was found instead.
        message: String,
    },
    /// Compression or decompression failed, including the decompressed-size limit.
    #[error(transparent)]
    Compression(#[from] CompressionError),
    /// [`encode_batch`] was given no records.
    #[error("cannot encode an empty record batch")]
    EmptyBatch,
    /// More records than a batch can count (i32::MAX).
    #[error("{0} records do not fit in one batch")]
    TooManyRecords(usize),
    /// A field or the whole batch exceeds what its i32 length can say.
    #[error("{what} of {size} bytes is too large to encode")]
    TooLarge {
        /// What was too large.
        what: &'static str,
        /// Its size.
        size: usize,
    },
}

impl RecordError {
    pub(crate) fn malformed(message: impl Into<String>) -> Self {
        RecordError::Malformed(message.into())
    }
}
