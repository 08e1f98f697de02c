//! Encoding record batches v2 (the producer side).

use bytes::{BufMut, BytesMut};

use super::control::ControlKind;
use super::layout::{
    ATTRIBUTES_OFFSET, BATCH_LENGTH_OFFSET, CONTROL_BIT, CRC_OFFSET, HEADER_SIZE, LOG_OVERHEAD,
    MAGIC_V2, TRANSACTIONAL_BIT,
};
use super::record::{Header, Record};
use super::varint::{
    put_varint, put_varlong, varint_size, varlong_size, MAX_VARINT_SIZE, MAX_VARLONG_SIZE,
};
use super::RecordError;
use crate::compression::{compress_into, Compression};

/// The bytes a batch takes besides its records (the v2 header).
pub const RECORD_BATCH_OVERHEAD: usize = HEADER_SIZE;

/// How a batch is written: codec and the producer fields of the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchOptions {
    /// The codec of the records section.
    pub compression: Compression,
    /// `compression.level`; see [`crate::compression`] for what each codec accepts.
    pub compression_level: Option<i32>,
    /// The producer id, -1 for none (not idempotent).
    pub producer_id: i64,
    /// The producer epoch, -1 for none.
    pub producer_epoch: i16,
    /// The sequence number of the first record, -1 for none.
    pub base_sequence: i32,
    /// Whether the batch belongs to a transaction.
    pub transactional: bool,
    /// The partition leader epoch, -1 for unknown (the broker sets it).
    pub partition_leader_epoch: i32,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            compression: Compression::None,
            compression_level: None,
            producer_id: -1,
            producer_epoch: -1,
            base_sequence: -1,
            transactional: false,
            partition_leader_epoch: -1,
        }
    }
}

/// An upper bound of the bytes `record` takes in a batch, whatever its offset and timestamp
/// deltas turn out to be. Add [`RECORD_BATCH_OVERHEAD`] once per batch. Compression can only
/// make the batch smaller (or a few bytes larger for incompressible data, which the
/// producer's `batch.size` leaves room for, as in Java).
pub fn record_size_estimate(record: &Record) -> usize {
    record_size_bound(
        record.key.as_deref(),
        record.value.as_deref(),
        &record.headers,
    )
}

/// [`record_size_estimate`] from the parts of a record, for callers that do not hold a
/// [`Record`] (the producer sizes each record before it queues it).
pub fn record_size_bound(key: Option<&[u8]>, value: Option<&[u8]>, headers: &[Header]) -> usize {
    let body = 1 // attributes
        + MAX_VARLONG_SIZE
        + MAX_VARINT_SIZE
        + nullable_size(key)
        + nullable_size(value)
        + MAX_VARINT_SIZE
        + headers
            .iter()
            .map(|h| MAX_VARINT_SIZE + h.key.len() + nullable_size(h.value.as_deref()))
            .sum::<usize>();
    MAX_VARINT_SIZE + body
}

fn nullable_size(bytes: Option<&[u8]>) -> usize {
    bytes.map_or(1, |b| MAX_VARINT_SIZE + b.len())
}

/// Encodes one batch of `records` into `out`: base offset 0, offset deltas `0..n`, timestamp
/// deltas from the first record's timestamp, CRC-32C over attributes..end. On error nothing is
/// left in `out`.
///
/// This allocates a scratch buffer for compressed batches; a producer encoding many batches
/// should keep a [`BatchEncoder`] instead.
pub fn encode_batch(
    records: &[Record],
    options: &BatchOptions,
    out: &mut BytesMut,
) -> Result<(), RecordError> {
    BatchEncoder::new().encode(records, options, out)
}

/// Encodes batches, reusing one scratch buffer for the records of compressed batches.
#[derive(Debug, Default)]
pub struct BatchEncoder {
    scratch: Vec<u8>,
}

impl BatchEncoder {
    /// An encoder with an empty scratch buffer.
    pub fn new() -> Self {
        BatchEncoder::default()
    }

    /// Like [`encode_batch`].
    pub fn encode(
        &mut self,
        records: &[Record],
        options: &BatchOptions,
        out: &mut BytesMut,
    ) -> Result<(), RecordError> {
        let start = out.len();
        let result = self.encode_inner(records, options, false, out);
        if result.is_err() {
            out.truncate(start);
        }
        result
    }

    /// Encodes a control batch holding one transaction marker (`kind` ABORT or COMMIT, key
    /// version 0, value `[version 0, coordinator_epoch]`), as a transaction coordinator writes
    /// it. Used to build fetch responses in tests and mock brokers.
    pub fn encode_control(
        &mut self,
        kind: ControlKind,
        coordinator_epoch: i32,
        timestamp: i64,
        options: &BatchOptions,
        out: &mut BytesMut,
    ) -> Result<(), RecordError> {
        let mut key = BytesMut::with_capacity(4);
        key.put_i16(0);
        key.put_i16(kind.type_id());
        let mut value = BytesMut::with_capacity(6);
        value.put_i16(0);
        value.put_i32(coordinator_epoch);
        let record = Record {
            key: Some(key.freeze()),
            value: Some(value.freeze()),
            headers: Vec::new(),
            timestamp,
        };
        let start = out.len();
        let result = self.encode_inner(std::slice::from_ref(&record), options, true, out);
        if result.is_err() {
            out.truncate(start);
        }
        result
    }

    fn encode_inner(
        &mut self,
        records: &[Record],
        options: &BatchOptions,
        control: bool,
        out: &mut BytesMut,
    ) -> Result<(), RecordError> {
        let first = records.first().ok_or(RecordError::EmptyBatch)?;
        let count =
            i32::try_from(records.len()).map_err(|_| RecordError::TooManyRecords(records.len()))?;
        options
            .compression
            .validate_level(options.compression_level)?;
        let first_timestamp = first.timestamp;
        let max_timestamp = records
            .iter()
            .map(|r| r.timestamp)
            .max()
            .unwrap_or(first_timestamp);

        let mut attributes = options.compression.attribute_bits();
        if options.transactional || control {
            attributes |= TRANSACTIONAL_BIT;
        }
        if control {
            attributes |= CONTROL_BIT;
        }

        let start = out.len();
        let records_size: usize = records.iter().map(record_size_estimate).sum();
        out.reserve(HEADER_SIZE + records_size);
        out.put_i64(0); // base offset
        out.put_i32(0); // batch length, filled in below
        out.put_i32(options.partition_leader_epoch);
        out.put_i8(MAGIC_V2);
        out.put_u32(0); // CRC, filled in below
        out.put_i16(attributes);
        out.put_i32(count - 1); // last offset delta
        out.put_i64(first_timestamp);
        out.put_i64(max_timestamp);
        out.put_i64(options.producer_id);
        out.put_i16(options.producer_epoch);
        out.put_i32(options.base_sequence);
        out.put_i32(count);

        if options.compression == Compression::None {
            write_records(records, first_timestamp, out)?;
        } else {
            self.scratch.clear();
            self.scratch.reserve(records_size);
            write_records(records, first_timestamp, &mut self.scratch)?;
            let writer = (&mut *out).writer();
            compress_into(
                options.compression,
                options.compression_level,
                &self.scratch,
                writer,
            )?;
        }

        let batch_length = out.len() - start - LOG_OVERHEAD;
        let batch_length = i32::try_from(batch_length).map_err(|_| RecordError::TooLarge {
            what: "record batch",
            size: batch_length,
        })?;
        let batch = out.get_mut(start..).unwrap_or_default();
        if let Some(field) = batch.get_mut(BATCH_LENGTH_OFFSET..BATCH_LENGTH_OFFSET + 4) {
            field.copy_from_slice(&batch_length.to_be_bytes());
        }
        let crc = crc32c::crc32c(batch.get(ATTRIBUTES_OFFSET..).unwrap_or_default());
        if let Some(field) = batch.get_mut(CRC_OFFSET..CRC_OFFSET + 4) {
            field.copy_from_slice(&crc.to_be_bytes());
        }
        Ok(())
    }
}

/// Encodes a control batch; see [`BatchEncoder::encode_control`].
pub fn encode_control_batch(
    kind: ControlKind,
    coordinator_epoch: i32,
    timestamp: i64,
    options: &BatchOptions,
    out: &mut BytesMut,
) -> Result<(), RecordError> {
    BatchEncoder::new().encode_control(kind, coordinator_epoch, timestamp, options, out)
}

/// Sets the base offset of the encoded batch at the start of `batch` (it is outside the CRC,
/// so a broker assigns offsets this way). Returns `false` if `batch` is shorter than the field.
pub fn set_base_offset(batch: &mut [u8], base_offset: i64) -> bool {
    match batch.get_mut(..8) {
        Some(field) => {
            field.copy_from_slice(&base_offset.to_be_bytes());
            true
        }
        None => false,
    }
}

fn length_i32(len: usize, what: &'static str) -> Result<i32, RecordError> {
    i32::try_from(len).map_err(|_| RecordError::TooLarge { what, size: len })
}

fn nullable_len(bytes: Option<&[u8]>, what: &'static str) -> Result<i32, RecordError> {
    bytes.map_or(Ok(-1), |b| length_i32(b.len(), what))
}

/// One record whose fields have been checked to fit their i32 lengths and whose size is known,
/// ready to be written. [`encode_batch`] and [`super::BatchBuilder`] both write records
/// through this, so their bytes are the same.
#[derive(Debug, Clone, Copy)]
pub(super) struct SizedRecord<'a> {
    timestamp_delta: i64,
    offset_delta: i32,
    key: Option<&'a [u8]>,
    value: Option<&'a [u8]>,
    headers: &'a [Header],
    /// Bytes after the length prefix.
    body_len: i32,
}

impl<'a> SizedRecord<'a> {
    /// Sizes a record, failing if a length does not fit in its i32 field.
    #[inline(always)]
    pub(super) fn new(
        offset_delta: i32,
        timestamp_delta: i64,
        key: Option<&'a [u8]>,
        value: Option<&'a [u8]>,
        headers: &'a [Header],
    ) -> Result<Self, RecordError> {
        // Each length is a summand of `body`, so if `body` fits in an i32 every length does
        // (a saturated one cannot); only then are the fields checked one by one, for the error.
        let mut body = 1 // attributes
            + varlong_size(timestamp_delta)
            + varint_size(offset_delta)
            + nullable_exact_size(key)
            + nullable_exact_size(value)
            + varint_size(saturating_i32(headers.len()));
        for header in headers {
            body += varint_size(saturating_i32(header.key.len()))
                + header.key.len()
                + nullable_exact_size(header.value.as_deref());
        }
        match i32::try_from(body) {
            // Each header takes at least two bytes, so their count is below `body` too.
            Ok(body_len) => Ok(SizedRecord {
                timestamp_delta,
                offset_delta,
                key,
                value,
                headers,
                body_len,
            }),
            Err(_) => Err(too_large(key, value, headers, body)),
        }
    }

    /// The bytes [`SizedRecord::write`] writes: the length prefix and the body.
    #[inline]
    pub(super) fn encoded_size(&self) -> usize {
        // `body_len` is non-negative: it was a usize.
        varint_size(self.body_len) + self.body_len as usize
    }

    /// Writes the record: exactly [`SizedRecord::encoded_size`] bytes.
    #[inline]
    pub(super) fn write<B: BufMut>(&self, out: &mut B) {
        // Every length below fits in an i32: `new` checked their sum.
        put_varint(out, self.body_len);
        out.put_i8(0); // attributes
        put_varlong(out, self.timestamp_delta);
        put_varint(out, self.offset_delta);
        put_nullable(out, self.key);
        put_nullable(out, self.value);
        put_varint(out, self.headers.len() as i32);
        for header in self.headers {
            put_varint(out, header.key.len() as i32);
            out.put_slice(header.key.as_bytes());
            put_nullable(out, header.value.as_deref());
        }
    }
}

/// `len` as an i32 for sizing its varint, `i32::MAX` if larger (which the caller rejects).
#[inline]
fn saturating_i32(len: usize) -> i32 {
    i32::try_from(len).unwrap_or(i32::MAX)
}

/// Bytes a nullable field takes: its length varint and its bytes.
#[inline]
fn nullable_exact_size(bytes: Option<&[u8]>) -> usize {
    match bytes {
        Some(bytes) => varint_size(saturating_i32(bytes.len())) + bytes.len(),
        None => 1,
    }
}

/// Names the first field of a record too large to encode (the record itself if every field
/// fits but not their sum).
#[cold]
fn too_large(
    key: Option<&[u8]>,
    value: Option<&[u8]>,
    headers: &[Header],
    body: usize,
) -> RecordError {
    let check = || -> Result<(), RecordError> {
        nullable_len(key, "record key")?;
        nullable_len(value, "record value")?;
        length_i32(headers.len(), "header count")?;
        for header in headers {
            length_i32(header.key.len(), "header key")?;
            nullable_len(header.value.as_deref(), "header value")?;
        }
        length_i32(body, "record")?;
        Ok(())
    };
    check().err().unwrap_or(RecordError::TooLarge {
        what: "record",
        size: body,
    })
}

/// A length-prefixed nullable field whose length was checked to fit in an i32.
#[inline]
fn put_nullable<B: BufMut>(out: &mut B, bytes: Option<&[u8]>) {
    match bytes {
        Some(bytes) => {
            put_varint(out, bytes.len() as i32);
            out.put_slice(bytes);
        }
        None => put_varint(out, -1),
    }
}

fn write_records<B: BufMut>(
    records: &[Record],
    first_timestamp: i64,
    out: &mut B,
) -> Result<(), RecordError> {
    for (offset_delta, record) in records.iter().enumerate() {
        // `records.len()` fits in i32, checked by the caller.
        let offset_delta =
            i32::try_from(offset_delta).map_err(|_| RecordError::TooManyRecords(records.len()))?;
        SizedRecord::new(
            offset_delta,
            record.timestamp.wrapping_sub(first_timestamp),
            record.key.as_deref(),
            record.value.as_deref(),
            &record.headers,
        )?
        .write(out);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    #[test]
    fn header_layout() {
        let records = vec![
            Record {
                key: Some(Bytes::from_static(b"k")),
                value: Some(Bytes::from_static(b"v")),
                headers: vec![],
                timestamp: 1000,
            },
            Record {
                key: None,
                value: None,
                headers: vec![Header::new("h", None)],
                timestamp: 900,
            },
        ];
        let options = BatchOptions {
            producer_id: 5,
            producer_epoch: 2,
            base_sequence: 10,
            transactional: true,
            partition_leader_epoch: 7,
            ..BatchOptions::default()
        };
        let mut out = BytesMut::from(&b"xx"[..]);
        encode_batch(&records, &options, &mut out).unwrap();
        let b = &out[2..];
        assert_eq!(&b[0..8], &0i64.to_be_bytes());
        assert_eq!(
            i32::from_be_bytes(b[8..12].try_into().unwrap()) as usize,
            b.len() - 12
        );
        assert_eq!(&b[12..16], &7i32.to_be_bytes());
        assert_eq!(b[16], 2);
        let crc = u32::from_be_bytes(b[17..21].try_into().unwrap());
        assert_eq!(crc, crc32c::crc32c(&b[21..]));
        assert_eq!(&b[21..23], &TRANSACTIONAL_BIT.to_be_bytes());
        assert_eq!(&b[23..27], &1i32.to_be_bytes());
        assert_eq!(&b[27..35], &1000i64.to_be_bytes());
        assert_eq!(&b[35..43], &1000i64.to_be_bytes());
        assert_eq!(&b[43..51], &5i64.to_be_bytes());
        assert_eq!(&b[51..53], &2i16.to_be_bytes());
        assert_eq!(&b[53..57], &10i32.to_be_bytes());
        assert_eq!(&b[57..61], &2i32.to_be_bytes());
        // First record: length 8, attributes 0, ts delta 0, offset delta 0, key "k", value "v",
        // no headers.
        assert_eq!(&b[61..70], &[16, 0, 0, 0, 2, b'k', 2, b'v', 0]);
        // Second: ts delta -100 (zig-zag 199 = 0xc7 0x01), offset delta 1, null key and value,
        // one header "h" with a null value.
        assert_eq!(&b[70..], &[20, 0, 0xc7, 0x01, 2, 1, 1, 2, 2, b'h', 1]);
    }

    #[test]
    fn errors_leave_out_untouched() {
        let mut out = BytesMut::from(&b"keep"[..]);
        assert_eq!(
            encode_batch(&[], &BatchOptions::default(), &mut out),
            Err(RecordError::EmptyBatch)
        );
        let options = BatchOptions {
            compression: Compression::Gzip,
            compression_level: Some(42),
            ..BatchOptions::default()
        };
        let err = encode_batch(&[Record::default()], &options, &mut out).unwrap_err();
        assert!(matches!(err, RecordError::Compression(_)), "{err}");
        assert_eq!(&out[..], b"keep");
    }

    #[test]
    fn size_estimate_is_an_upper_bound() {
        let record = Record {
            key: Some(Bytes::from(vec![1; 300])),
            value: Some(Bytes::from(vec![2; 5000])),
            headers: vec![
                Header::new("a", Some(Bytes::from_static(b"b"))),
                Header::new("c", None),
            ],
            timestamp: i64::MAX,
        };
        let records = vec![
            Record {
                timestamp: i64::MIN,
                ..Record::default()
            },
            record.clone(),
        ];
        let mut out = BytesMut::new();
        encode_batch(&records, &BatchOptions::default(), &mut out).unwrap();
        let estimate: usize = records.iter().map(record_size_estimate).sum();
        assert!(out.len() <= RECORD_BATCH_OVERHEAD + estimate);
        // And not a wild one: at most the varints' worst case over their actual size.
        let slack: usize = records.iter().map(|r| 35 + 10 * r.headers.len()).sum();
        assert!(RECORD_BATCH_OVERHEAD + estimate - out.len() <= slack);
    }

    #[test]
    fn base_offset_can_be_set_after_encoding() {
        let mut out = BytesMut::new();
        encode_batch(&[Record::default()], &BatchOptions::default(), &mut out).unwrap();
        assert!(set_base_offset(&mut out, 1234));
        assert_eq!(&out[..8], &1234i64.to_be_bytes());
        assert!(!set_base_offset(&mut [0u8; 7], 1));
    }
}
