//! Where each field of a record batch v2 header sits, counted from the batch's first byte.
//!
//! ```text
//! baseOffset: int64            0
//! batchLength: int32           8   (bytes after this field)
//! partitionLeaderEpoch: int32 12
//! magic: int8                 16   (2)
//! crc: uint32                 17   (CRC-32C of attributes..end)
//! attributes: int16           21
//! lastOffsetDelta: int32      23
//! baseTimestamp: int64        27
//! maxTimestamp: int64         35
//! producerId: int64           43
//! producerEpoch: int16        51
//! baseSequence: int32         53
//! recordCount: int32          57
//! records                     61
//! ```

pub(crate) const BATCH_LENGTH_OFFSET: usize = 8;
pub(crate) const MAGIC_OFFSET: usize = 16;
pub(crate) const CRC_OFFSET: usize = 17;
pub(crate) const ATTRIBUTES_OFFSET: usize = 21;
/// Base offset and batch length: the bytes before what `batchLength` counts.
pub(crate) const LOG_OVERHEAD: usize = 12;
/// The fixed header, up to the first record.
pub(crate) const HEADER_SIZE: usize = 61;
/// The magic byte of record batches v2.
pub(crate) const MAGIC_V2: i8 = 2;

/// Attribute bits (bits 0–2 are the codec).
pub(crate) const TIMESTAMP_TYPE_BIT: i16 = 1 << 3;
pub(crate) const TRANSACTIONAL_BIT: i16 = 1 << 4;
pub(crate) const CONTROL_BIT: i16 = 1 << 5;
pub(crate) const COMPRESSION_MASK: i16 = 0x7;

/// The smallest record: length, attributes, timestamp delta, offset delta, key length, value
/// length and header count, one byte each.
pub(crate) const MIN_RECORD_SIZE: usize = 7;
