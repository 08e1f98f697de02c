//! Building a record batch one record at a time (the producer's accumulator), and restamping
//! the producer fields of an encoded batch.

use std::fmt;

use bytes::{BufMut, Bytes, BytesMut};

use super::encode::{BatchOptions, SizedRecord};
use super::layout::{
    ATTRIBUTES_OFFSET, BATCH_LENGTH_OFFSET, CRC_OFFSET, HEADER_SIZE, LOG_OVERHEAD, MAGIC_OFFSET,
    MAGIC_V2, TRANSACTIONAL_BIT,
};
use super::record::Header;
use super::RecordError;
use crate::compression::{compress_into, Compression};

/// Where the producer fields sit in the header (see `layout.rs`).
const PRODUCER_ID_OFFSET: usize = 43;
const PRODUCER_EPOCH_OFFSET: usize = 51;
const BASE_SEQUENCE_OFFSET: usize = 53;

/// Encoded records up to this size are written through a zero-filled slice, larger ones
/// straight into the buffer's spare capacity.
const SMALL_RECORD: usize = 1024;

/// Appends records to a batch one at a time, encoding each as it arrives (the producer's
/// accumulator keeps one per open partition batch); the batch header is written by `build`.
///
/// The records are written after [`RECORD_BATCH_OVERHEAD`](super::RECORD_BATCH_OVERHEAD)
/// reserved bytes, so an uncompressed batch is built without copying them. The bytes equal what
/// [`encode_batch`](super::encode_batch) writes for the same records and options.
pub struct BatchBuilder {
    /// The header's bytes (filled in by `build`), then the encoded records.
    buf: BytesMut,
    count: usize,
    first_timestamp: i64,
    max_timestamp: i64,
}

impl fmt::Debug for BatchBuilder {
    // The buffer can hold a megabyte of records: show its size, not its bytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchBuilder")
            .field("record_count", &self.count)
            .field("size_in_bytes", &self.buf.len())
            .field("first_timestamp", &self.first_timestamp)
            .field("max_timestamp", &self.max_timestamp)
            .finish()
    }
}

impl BatchBuilder {
    /// An empty builder; `capacity` is a hint for the records buffer in bytes.
    pub fn new(capacity: usize) -> Self {
        Self::with_buffer(BytesMut::new(), capacity)
    }

    /// An empty builder writing into `buf` (cleared first; a spent batch's buffer, so a
    /// producer reuses memory it has already touched), with room for at least `capacity`
    /// bytes of records.
    pub fn with_buffer(mut buf: BytesMut, capacity: usize) -> Self {
        buf.clear();
        buf.reserve(HEADER_SIZE.saturating_add(capacity));
        buf.put_bytes(0, HEADER_SIZE);
        BatchBuilder {
            buf,
            count: 0,
            first_timestamp: 0,
            max_timestamp: 0,
        }
    }

    /// Appends one record. The first record's timestamp becomes the base timestamp; offset
    /// deltas are 0,1,2,…. On error nothing is appended.
    ///
    /// Errors: [`RecordError::TooLarge`] if a key, value, header or the record is longer than
    /// an i32 can say, [`RecordError::TooManyRecords`] past `i32::MAX` records.
    pub fn append(
        &mut self,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[Header],
    ) -> Result<(), RecordError> {
        let record = self.sized(timestamp, key, value, headers)?;
        let size = record.encoded_size();
        if size <= SMALL_RECORD {
            // Zero-fill, then write into the slice: for small records this beats `BytesMut`'s
            // per-field capacity checks by half (benches/batch_builder.rs).
            let start = self.buf.len();
            self.buf.resize(start + size, 0);
            let mut dst = self.buf.get_mut(start..).unwrap_or_default();
            record.write(&mut dst);
        } else {
            // For large records the zero fill would be a second pass as long as the copy.
            self.buf.reserve(size);
            record.write(&mut self.buf);
        }
        if self.count == 0 {
            self.first_timestamp = timestamp;
            self.max_timestamp = timestamp;
        } else {
            self.max_timestamp = self.max_timestamp.max(timestamp);
        }
        self.count += 1;
        Ok(())
    }

    /// Bytes `append` can add before the buffer has to grow.
    pub fn spare_capacity(&self) -> usize {
        self.buf.capacity() - self.buf.len()
    }

    /// Makes room for at least `additional` more bytes of records in one step (the producer
    /// grows a batch straight to `batch.size` rather than doubling it a few times).
    pub fn reserve(&mut self, additional: usize) {
        self.buf.reserve(additional);
    }

    /// Records appended.
    pub fn record_count(&self) -> usize {
        self.count
    }

    /// Bytes of the batch if built uncompressed now (61-byte header + records so far).
    pub fn size_in_bytes(&self) -> usize {
        self.buf.len()
    }

    /// The exact bytes `append` would add for this record (so the caller can check
    /// batch.size / message.max.bytes before appending). Fails exactly when `append` would.
    pub fn encoded_size(
        &self,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[Header],
    ) -> Result<usize, RecordError> {
        Ok(self.sized(timestamp, key, value, headers)?.encoded_size())
    }

    /// Whether no record has been appended.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Writes the v2 header (base offset 0, producer fields, attributes with codec and
    /// transactional bit, last offset delta, first/max timestamp, count, CRC-32C) and, for a
    /// codec other than none, compresses the records section. For [`Compression::None`] the
    /// records are not copied.
    ///
    /// Errors: [`RecordError::EmptyBatch`] for an empty builder, [`RecordError::Compression`]
    /// for a level the codec does not accept (or a failing codec), [`RecordError::TooLarge`]
    /// for a batch longer than an i32 can say.
    pub fn build(self, options: &BatchOptions) -> Result<Bytes, RecordError> {
        self.build_keeping_buffer(options).map(|(batch, _)| batch)
    }

    /// As [`build`](Self::build), also handing back the records buffer when the batch was
    /// compressed into a new one (for reuse; `None` when the buffer became the batch).
    pub fn build_keeping_buffer(
        self,
        options: &BatchOptions,
    ) -> Result<(Bytes, Option<BytesMut>), RecordError> {
        if self.count == 0 {
            return Err(RecordError::EmptyBatch);
        }
        // `append` keeps the count within i32.
        let count =
            i32::try_from(self.count).map_err(|_| RecordError::TooManyRecords(self.count))?;
        options
            .compression
            .validate_level(options.compression_level)?;
        let mut attributes = options.compression.attribute_bits();
        if options.transactional {
            attributes |= TRANSACTIONAL_BIT;
        }

        let (mut batch, spent) = if options.compression == Compression::None {
            (self.buf, None)
        } else {
            let records = self.buf.get(HEADER_SIZE..).unwrap_or_default();
            // Most batches compress; an incompressible one grows this once.
            let mut out = BytesMut::with_capacity(HEADER_SIZE + records.len());
            out.put_bytes(0, HEADER_SIZE);
            compress_into(
                options.compression,
                options.compression_level,
                records,
                (&mut out).writer(),
            )?;
            (out, Some(self.buf))
        };

        let batch_length = batch.len() - LOG_OVERHEAD;
        let batch_length = i32::try_from(batch_length).map_err(|_| RecordError::TooLarge {
            what: "record batch",
            size: batch_length,
        })?;
        if let Some(mut header) = batch.get_mut(..HEADER_SIZE) {
            header.put_i64(0); // base offset
            header.put_i32(batch_length);
            header.put_i32(options.partition_leader_epoch);
            header.put_i8(MAGIC_V2);
            header.put_u32(0); // CRC, filled in below
            header.put_i16(attributes);
            header.put_i32(count - 1); // last offset delta
            header.put_i64(self.first_timestamp);
            header.put_i64(self.max_timestamp);
            header.put_i64(options.producer_id);
            header.put_i16(options.producer_epoch);
            header.put_i32(options.base_sequence);
            header.put_i32(count);
        }
        write_crc(&mut batch);
        Ok((batch.freeze(), spent))
    }

    /// Checks and sizes the record `append` would write next.
    fn sized<'a>(
        &self,
        timestamp: i64,
        key: Option<&'a [u8]>,
        value: Option<&'a [u8]>,
        headers: &'a [Header],
    ) -> Result<SizedRecord<'a>, RecordError> {
        // The new count must fit in the header's i32, so the offset delta does too.
        let offset_delta = i32::try_from(self.count)
            .ok()
            .filter(|&delta| delta < i32::MAX)
            .ok_or(RecordError::TooManyRecords(self.count.saturating_add(1)))?;
        let timestamp_delta = if self.count == 0 {
            0
        } else {
            timestamp.wrapping_sub(self.first_timestamp)
        };
        SizedRecord::new(offset_delta, timestamp_delta, key, value, headers)
    }
}

/// Rewrites the producer id, epoch, base sequence and transactional bit of an encoded batch
/// (a retry after an epoch bump) and recomputes its CRC.
///
/// `batch` must be exactly one v2 batch (its length field covering the rest of the slice) whose
/// CRC is valid: anything else is an error and leaves `batch` untouched, so a corrupted batch is
/// never given a valid CRC.
pub fn stamp_producer(
    batch: &mut [u8],
    producer_id: i64,
    producer_epoch: i16,
    base_sequence: i32,
    transactional: bool,
) -> Result<(), RecordError> {
    let header = batch.get(..HEADER_SIZE).ok_or_else(|| {
        RecordError::malformed(format!(
            "{} bytes are shorter than a record batch header ({HEADER_SIZE})",
            batch.len()
        ))
    })?;
    let magic = read_at::<1>(header, MAGIC_OFFSET).map(|[b]| b as i8);
    if magic != Some(MAGIC_V2) {
        return Err(RecordError::UnsupportedMagic(magic.unwrap_or_default()));
    }
    let batch_length = read_at(header, BATCH_LENGTH_OFFSET).map(i32::from_be_bytes);
    let expected_length = batch.len() - LOG_OVERHEAD;
    if batch_length.and_then(|l| usize::try_from(l).ok()) != Some(expected_length) {
        return Err(RecordError::malformed(format!(
            "batch length {} does not match the {expected_length} bytes after it",
            batch_length.unwrap_or_default()
        )));
    }
    let expected_crc = read_at(header, CRC_OFFSET).map(u32::from_be_bytes);
    let actual_crc = crc32c::crc32c(batch.get(ATTRIBUTES_OFFSET..).unwrap_or_default());
    let base_offset = read_at(header, 0).map(i64::from_be_bytes);
    if expected_crc != Some(actual_crc) {
        return Err(RecordError::CrcMismatch {
            base_offset: base_offset.unwrap_or_default(),
            expected: expected_crc.unwrap_or_default(),
            actual: actual_crc,
        });
    }

    let attributes = read_at(header, ATTRIBUTES_OFFSET).map_or(0, i16::from_be_bytes);
    let attributes = if transactional {
        attributes | TRANSACTIONAL_BIT
    } else {
        attributes & !TRANSACTIONAL_BIT
    };
    write_at(batch, ATTRIBUTES_OFFSET, attributes.to_be_bytes());
    write_at(batch, PRODUCER_ID_OFFSET, producer_id.to_be_bytes());
    write_at(batch, PRODUCER_EPOCH_OFFSET, producer_epoch.to_be_bytes());
    write_at(batch, BASE_SEQUENCE_OFFSET, base_sequence.to_be_bytes());
    write_crc(batch);
    Ok(())
}

/// The `N` bytes at `at`, if present.
fn read_at<const N: usize>(bytes: &[u8], at: usize) -> Option<[u8; N]> {
    bytes
        .get(at..at.checked_add(N)?)
        .and_then(|b| <[u8; N]>::try_from(b).ok())
}

/// Overwrites the bytes at `at` with `value`; callers have checked the batch is header-sized.
fn write_at<const N: usize>(bytes: &mut [u8], at: usize, value: [u8; N]) {
    if let Some(field) = bytes.get_mut(at..at + N) {
        field.copy_from_slice(&value);
    }
}

/// Computes and stores the CRC-32C of a header-sized batch (attributes to the end).
fn write_crc(batch: &mut [u8]) {
    let crc = crc32c::crc32c(batch.get(ATTRIBUTES_OFFSET..).unwrap_or_default());
    write_at(batch, CRC_OFFSET, crc.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reused_buffer_builds_the_same_batch() {
        let fill = |mut b: BatchBuilder| {
            for i in 0..50u8 {
                b.append(1_000 + i64::from(i), Some(&[i]), Some(&[i; 40]), &[])
                    .unwrap();
            }
            b
        };
        for compression in [Compression::None, Compression::Lz4] {
            let options = BatchOptions {
                compression,
                ..BatchOptions::default()
            };
            let fresh = fill(BatchBuilder::new(64)).build(&options).unwrap();
            let mut used = BytesMut::from(&[0xAB; 5000][..]);
            used.truncate(3000);
            let (reused, spent) = fill(BatchBuilder::with_buffer(used, 64))
                .build_keeping_buffer(&options)
                .unwrap();
            assert_eq!(reused, fresh, "{compression:?}");
            // Compressed: the records buffer comes back, at least as large as it was.
            match compression {
                Compression::None => assert!(spent.is_none()),
                _ => assert!(spent.unwrap().capacity() >= 5000),
            }
        }
    }

    #[test]
    fn reserve_makes_room_in_one_step() {
        let mut builder = BatchBuilder::new(16);
        builder.append(5, None, Some(b"v"), &[]).unwrap();
        builder.reserve(100_000);
        let (spare, before) = (builder.spare_capacity(), builder.size_in_bytes());
        assert!(spare >= 100_000, "{spare}");
        builder.append(6, None, Some(&[7; 50_000]), &[]).unwrap();
        // The record went into the room made: the buffer did not grow again.
        let added = builder.size_in_bytes() - before;
        assert!(added > 50_000);
        assert_eq!(builder.spare_capacity(), spare - added);
    }

    #[test]
    fn refuses_a_record_past_the_i32_count() {
        let mut builder = BatchBuilder::new(0);
        builder.append(5, None, Some(b"v"), &[]).unwrap();
        let size = builder.size_in_bytes();
        // Pretend i32::MAX records are in: the next one cannot be counted.
        builder.count = i32::MAX as usize;
        assert_eq!(
            builder.encoded_size(5, None, None, &[]),
            Err(RecordError::TooManyRecords(i32::MAX as usize + 1))
        );
        assert_eq!(
            builder.append(5, None, None, &[]),
            Err(RecordError::TooManyRecords(i32::MAX as usize + 1))
        );
        assert_eq!(builder.size_in_bytes(), size);
        assert_eq!(builder.record_count(), i32::MAX as usize);
        // One fewer is fine: its offset delta is i32::MAX - 1.
        builder.count = i32::MAX as usize - 1;
        builder.append(5, None, None, &[]).unwrap();
        assert_eq!(builder.record_count(), i32::MAX as usize);
    }

    #[test]
    fn uncompressed_build_does_not_copy_the_records() {
        let mut builder = BatchBuilder::new(4096);
        for i in 0..20 {
            builder.append(i, Some(b"k"), Some(&[7; 100]), &[]).unwrap();
        }
        let buffer = builder.buf.as_ptr();
        let size = builder.size_in_bytes();
        let batch = builder.build(&BatchOptions::default()).unwrap();
        assert_eq!(batch.as_ptr(), buffer);
        assert_eq!(batch.len(), size);

        // A compressed batch is a new buffer (the records section is replaced).
        let mut builder = BatchBuilder::new(4096);
        builder.append(0, None, Some(&[7; 100]), &[]).unwrap();
        let buffer = builder.buf.as_ptr();
        let options = BatchOptions {
            compression: Compression::Lz4,
            ..BatchOptions::default()
        };
        assert_ne!(builder.build(&options).unwrap().as_ptr(), buffer);
    }

    #[test]
    fn debug_shows_sizes_not_bytes() {
        let mut builder = BatchBuilder::new(16);
        builder.append(7, None, Some(&[0xab; 40]), &[]).unwrap();
        let debug = format!("{builder:?}");
        assert!(debug.contains("record_count: 1"), "{debug}");
        assert!(debug.contains("max_timestamp: 7"), "{debug}");
        assert!(!debug.contains("xab"), "{debug}");
    }
}
