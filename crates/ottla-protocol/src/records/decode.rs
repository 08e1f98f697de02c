//! Decoding the record batches of a Fetch response (the consumer side).
//!
//! Uncompressed records are zero-copy: keys, values and header values are slices of the input
//! `Bytes`. Compressed records are slices of one decompressed buffer per batch.

use bytes::Bytes;
use kafka_protocol::protocol::StrBytes;

use super::control::ControlRecord;
use super::layout::{
    ATTRIBUTES_OFFSET, BATCH_LENGTH_OFFSET, COMPRESSION_MASK, CONTROL_BIT, HEADER_SIZE,
    LOG_OVERHEAD, MAGIC_OFFSET, MAGIC_V2, MIN_RECORD_SIZE, TIMESTAMP_TYPE_BIT, TRANSACTIONAL_BIT,
};
use super::reader::Reader;
use super::record::Header;
use super::RecordError;
use crate::compression::{decompress, Compression};

/// Bounds on what decoding may allocate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    /// The most bytes one batch's records may decompress to; more is an error
    /// ([`crate::compression::CompressionError::TooLarge`]).
    pub max_decompressed_bytes: usize,
}

impl DecodeLimits {
    /// The default limit: 64 MiB per batch, far above any batch a broker accepts with default
    /// settings (`message.max.bytes` ≈ 1 MiB) even at high compression ratios.
    pub const DEFAULT_MAX_DECOMPRESSED_BYTES: usize = 64 * 1024 * 1024;
}

impl Default for DecodeLimits {
    fn default() -> Self {
        DecodeLimits {
            max_decompressed_bytes: Self::DEFAULT_MAX_DECOMPRESSED_BYTES,
        }
    }
}

/// What a record's timestamp means (attributes bit 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimestampType {
    /// Set by the producer.
    CreateTime,
    /// Set by the broker when appending; every record of the batch has the batch's max
    /// timestamp.
    LogAppendTime,
}

/// A record as consumed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumedRecord {
    /// The record's offset in its partition.
    pub offset: i64,
    /// Its timestamp.
    pub timestamp: i64,
    /// What the timestamp means (its batch's).
    pub timestamp_type: TimestampType,
    /// The epoch of the leader that appended it (its batch's partition leader epoch; -1
    /// for batches written before leader epochs existed).
    pub leader_epoch: i32,
    /// The key, `None` for null.
    pub key: Option<Bytes>,
    /// The value, `None` for null.
    pub value: Option<Bytes>,
    /// Headers in wire order, duplicate keys kept.
    pub headers: Vec<Header>,
}

/// One decoded record batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedBatch {
    /// Offset of the batch's first record (as assigned by the broker).
    pub base_offset: i64,
    /// Offset of the last offset the batch covered when written, relative to `base_offset`
    /// (compaction may have removed records, even all of them).
    pub last_offset_delta: i32,
    /// Epoch of the leader that appended the batch.
    pub partition_leader_epoch: i32,
    /// The producer id, -1 for none.
    pub producer_id: i64,
    /// The producer epoch, -1 for none.
    pub producer_epoch: i16,
    /// Sequence number of the first record, -1 for none.
    pub base_sequence: i32,
    /// Whether the batch is part of a transaction.
    pub transactional: bool,
    /// Whether the batch holds a control record (a transaction marker) instead of data.
    pub is_control: bool,
    /// What the timestamps mean.
    pub timestamp_type: TimestampType,
    /// The codec of the records section.
    pub compression: Compression,
    /// The batch's base timestamp (of its first record, unless compaction set a delete
    /// horizon).
    pub first_timestamp: i64,
    /// The largest timestamp in the batch.
    pub max_timestamp: i64,
    /// The data records; empty for control batches.
    pub records: Vec<ConsumedRecord>,
    /// The control record of a control batch (`None` for data batches, and for control
    /// batches compaction emptied).
    pub control: Option<ControlRecord>,
}

impl DecodedBatch {
    /// The last offset the batch covers.
    pub fn last_offset(&self) -> i64 {
        self.base_offset
            .wrapping_add(i64::from(self.last_offset_delta))
    }

    /// The offset to fetch after this batch.
    pub fn next_offset(&self) -> i64 {
        self.last_offset().wrapping_add(1)
    }

    /// Whether the batch was written by an idempotent or transactional producer.
    pub fn has_producer_id(&self) -> bool {
        self.producer_id >= 0
    }
}

/// Every whole batch of a Fetch response's `records`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DecodedBatches {
    /// The batches, in order.
    pub batches: Vec<DecodedBatch>,
    /// Whether the input ended with part of a batch, which Kafka sends when a batch does not
    /// fit in the fetch size. The consumer fetches again from
    /// [`DecodedBatches::next_offset`] (or the fetch offset if no batch was whole).
    pub truncated_tail: bool,
}

impl DecodedBatches {
    /// The offset after the last whole batch, if any.
    pub fn next_offset(&self) -> Option<i64> {
        self.batches.last().map(DecodedBatch::next_offset)
    }

    /// How many data records the batches hold.
    pub fn record_count(&self) -> usize {
        self.batches.iter().map(|b| b.records.len()).sum()
    }
}

/// Decodes every whole batch in `input` (a Fetch response partition's `records`). A final
/// batch cut short is reported in [`DecodedBatches::truncated_tail`], not as an error; any
/// corruption in a whole batch is an error.
pub fn decode_batches(input: Bytes, limits: &DecodeLimits) -> Result<DecodedBatches, RecordError> {
    let mut reader = BatchReader::new(input, *limits);
    let mut batches = Vec::new();
    for batch in &mut reader {
        batches.push(batch?);
    }
    Ok(DecodedBatches {
        batches,
        truncated_tail: reader.truncated_tail(),
    })
}

/// Decodes batches one at a time, so a consumer can hand out the batches before a corrupt one.
/// After the first error, iteration ends.
#[derive(Debug)]
pub struct BatchReader {
    rest: Bytes,
    limits: DecodeLimits,
    truncated_tail: bool,
    failed: bool,
}

impl BatchReader {
    /// A reader over `input`.
    pub fn new(input: Bytes, limits: DecodeLimits) -> Self {
        BatchReader {
            rest: input,
            limits,
            truncated_tail: false,
            failed: false,
        }
    }

    /// Whether iteration stopped at a batch cut short by the end of the input.
    pub fn truncated_tail(&self) -> bool {
        self.truncated_tail
    }

    /// The bytes not decoded yet (the truncated tail, after iteration ends there).
    pub fn remaining(&self) -> &Bytes {
        &self.rest
    }

    fn next_batch(&mut self) -> Option<Result<DecodedBatch, RecordError>> {
        self.next_batch_with(decode_batch)
    }

    fn next_batch_with(
        &mut self,
        decode: impl FnOnce(&Bytes, &DecodeLimits) -> Result<DecodedBatch, RecordError>,
    ) -> Option<Result<DecodedBatch, RecordError>> {
        if self.rest.is_empty() {
            return None;
        }
        let Some(length_bytes) = self
            .rest
            .get(BATCH_LENGTH_OFFSET..LOG_OVERHEAD)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
        else {
            self.truncated_tail = true;
            return None;
        };
        let batch_length = i32::from_be_bytes(length_bytes);
        if batch_length < 0 {
            return Some(Err(RecordError::malformed(format!(
                "negative batch length {batch_length}"
            ))));
        }
        if let Some(&magic) = self.rest.get(MAGIC_OFFSET) {
            let magic = magic as i8;
            if magic != MAGIC_V2 {
                return Some(Err(RecordError::UnsupportedMagic(magic)));
            }
        }
        // batch_length is non-negative, so this fits.
        let total = LOG_OVERHEAD + batch_length as usize;
        if self.rest.len() < total {
            self.truncated_tail = true;
            return None;
        }
        if total < HEADER_SIZE {
            return Some(Err(RecordError::malformed(format!(
                "batch length {batch_length} is shorter than the v2 header"
            ))));
        }
        let batch = self.rest.split_to(total);
        Some(decode(&batch, &self.limits))
    }

    /// The next batch, its records appended to `out` instead of kept in the batch (whose
    /// `records` is then empty): the records of many batches land in one vector, copied
    /// once. On an error nothing is appended, and iteration ends.
    pub fn next_into(
        &mut self,
        out: &mut Vec<ConsumedRecord>,
    ) -> Option<Result<DecodedBatch, RecordError>> {
        if self.failed {
            return None;
        }
        // The same framing checks as `next`, then the records straight into `out`.
        let start = out.len();
        let item = self.next_batch_with(|batch, limits| decode_batch_into(batch, limits, out));
        if matches!(item, Some(Err(_))) {
            self.failed = true;
            out.truncate(start);
        }
        item
    }
}

impl Iterator for BatchReader {
    type Item = Result<DecodedBatch, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let item = self.next_batch();
        if matches!(item, Some(Err(_))) {
            self.failed = true;
        }
        item
    }
}

/// Decodes one whole batch (`batch` is exactly the batch's bytes).
fn decode_batch(batch: &Bytes, limits: &DecodeLimits) -> Result<DecodedBatch, RecordError> {
    let mut records = Vec::new();
    let mut decoded = decode_batch_into(batch, limits, &mut records)?;
    decoded.records = records;
    Ok(decoded)
}

/// [`decode_batch`] with the data records appended to `out` (the batch's own `records`
/// empty). Control records are not appended.
fn decode_batch_into(
    batch: &Bytes,
    limits: &DecodeLimits,
    out: &mut Vec<ConsumedRecord>,
) -> Result<DecodedBatch, RecordError> {
    let mut r = Reader::new(batch);
    let base_offset = r.i64("base offset")?;
    let _batch_length = r.i32("batch length")?;
    let partition_leader_epoch = r.i32("partition leader epoch")?;
    let _magic = r.i8("magic")?;
    let expected_crc = r.u32("CRC")?;
    let actual_crc = crc32c::crc32c(batch.get(ATTRIBUTES_OFFSET..).unwrap_or_default());
    if expected_crc != actual_crc {
        return Err(RecordError::CrcMismatch {
            base_offset,
            expected: expected_crc,
            actual: actual_crc,
        });
    }
    let attributes = r.i16("attributes")?;
    let last_offset_delta = r.i32("last offset delta")?;
    let first_timestamp = r.i64("base timestamp")?;
    let max_timestamp = r.i64("max timestamp")?;
    let producer_id = r.i64("producer id")?;
    let producer_epoch = r.i16("producer epoch")?;
    let base_sequence = r.i32("base sequence")?;
    let record_count = r.i32("record count")?;

    let compression = Compression::from_attribute_bits(attributes & COMPRESSION_MASK).ok_or(
        RecordError::UnknownCompression(attributes & COMPRESSION_MASK),
    )?;
    let timestamp_type = if attributes & TIMESTAMP_TYPE_BIT != 0 {
        TimestampType::LogAppendTime
    } else {
        TimestampType::CreateTime
    };
    let transactional = attributes & TRANSACTIONAL_BIT != 0;
    let is_control = attributes & CONTROL_BIT != 0;
    let record_count = usize::try_from(record_count)
        .map_err(|_| RecordError::malformed(format!("negative record count {record_count}")))?;

    let records_section = batch.slice(r.position()..);
    let data = match compression {
        Compression::None => records_section,
        // A batch emptied by compaction may keep its codec bit with nothing to decompress.
        _ if record_count == 0 && records_section.is_empty() => records_section,
        codec => Bytes::from(decompress(
            codec,
            &records_section,
            limits.max_decompressed_bytes,
        )?),
    };
    // Bound the allocation by what the bytes can hold before trusting the count.
    if record_count > data.len() / MIN_RECORD_SIZE {
        return Err(RecordError::RecordCountMismatch {
            base_offset,
            declared: record_count,
            message: format!("{} bytes cannot hold that many records", data.len()),
        });
    }

    let context = RecordContext {
        base_offset,
        first_timestamp,
        max_timestamp,
        timestamp_type,
        leader_epoch: partition_leader_epoch,
    };
    let start = out.len();
    out.reserve(record_count);
    let records = out;
    let mut r = Reader::new(&data);
    for i in 0..record_count {
        if r.remaining() == 0 {
            return Err(RecordError::RecordCountMismatch {
                base_offset,
                declared: record_count,
                message: format!("only {i} present"),
            });
        }
        records.push(decode_record(&mut r, &context)?);
    }
    if r.remaining() != 0 {
        return Err(RecordError::RecordCountMismatch {
            base_offset,
            declared: record_count,
            message: format!("{} bytes left after the last record", r.remaining()),
        });
    }

    let mut control = None;
    if is_control {
        if let Some(first) = records.get(start) {
            control = Some(ControlRecord::parse(
                first.key.as_ref(),
                first.value.as_ref(),
            )?);
        }
        records.truncate(start);
    }

    Ok(DecodedBatch {
        base_offset,
        last_offset_delta,
        partition_leader_epoch,
        producer_id,
        producer_epoch,
        base_sequence,
        transactional,
        is_control,
        timestamp_type,
        compression,
        first_timestamp,
        max_timestamp,
        records: Vec::new(),
        control,
    })
}

struct RecordContext {
    base_offset: i64,
    first_timestamp: i64,
    max_timestamp: i64,
    timestamp_type: TimestampType,
    leader_epoch: i32,
}

fn decode_record(r: &mut Reader<'_>, ctx: &RecordContext) -> Result<ConsumedRecord, RecordError> {
    let length = r.varint("record length")?;
    let length = usize::try_from(length)
        .map_err(|_| RecordError::malformed(format!("negative record length {length}")))?;
    let outer_end = r.limit(length, "record")?;
    let _attributes = r.i8("record attributes")?;
    let timestamp_delta = r.varlong("timestamp delta")?;
    let offset_delta = r.varint("offset delta")?;
    let key = r.nullable_bytes("record key")?;
    let value = r.nullable_bytes("record value")?;
    let header_count = r.varint("header count")?;
    let header_count = usize::try_from(header_count)
        .map_err(|_| RecordError::malformed(format!("negative header count {header_count}")))?;
    // Each header takes at least two bytes (key length and value length).
    if header_count > r.remaining() / 2 {
        return Err(RecordError::malformed(format!(
            "{header_count} headers cannot fit in {} bytes",
            r.remaining()
        )));
    }
    let mut headers = Vec::with_capacity(header_count);
    for _ in 0..header_count {
        let key_len = r.varint("header key length")?;
        let key_len = usize::try_from(key_len)
            .map_err(|_| RecordError::malformed(format!("negative header key length {key_len}")))?;
        let key = header_key(r.bytes(key_len, "header key")?);
        let value = r.nullable_bytes("header value")?;
        headers.push(Header { key, value });
    }
    if r.remaining() != 0 {
        return Err(RecordError::malformed(format!(
            "record declared {length} bytes but {} were left unread",
            r.remaining()
        )));
    }
    r.set_end(outer_end);

    let timestamp = match ctx.timestamp_type {
        TimestampType::LogAppendTime => ctx.max_timestamp,
        TimestampType::CreateTime => ctx.first_timestamp.wrapping_add(timestamp_delta),
    };
    Ok(ConsumedRecord {
        offset: ctx.base_offset.wrapping_add(i64::from(offset_delta)),
        timestamp,
        timestamp_type: ctx.timestamp_type,
        leader_epoch: ctx.leader_epoch,
        key,
        value,
        headers,
    })
}

/// Header keys are UTF-8; invalid bytes are replaced (U+FFFD) as Java's `Utils.utf8` does,
/// so a producer's bad key does not make the whole batch unreadable.
fn header_key(bytes: Bytes) -> StrBytes {
    // Checking first (keys are short) avoids cloning `bytes`, an atomic increment and
    // decrement per header.
    if std::str::from_utf8(&bytes).is_ok() {
        StrBytes::from_utf8(bytes).unwrap_or_default()
    } else {
        StrBytes::from_string(String::from_utf8_lossy(&bytes).into_owned())
    }
}
