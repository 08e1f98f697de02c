//! Record batches (magic v2) as the broker sees them: a fixed 61-byte header read in place, the
//! CRC checked, the base offset and leader epoch rewritten (both lie outside the CRC), and the
//! records of an uncompressed batch walked for their timestamps.

use bytes::{Bytes, BytesMut};
use kafka_protocol::ResponseError;

/// Size of the v2 batch header, up to and including the record count.
pub(crate) const HEADER_LEN: usize = 61;
/// Bytes before the `batch_length` field's count starts (base offset + the length itself).
const LOG_OVERHEAD: usize = 12;
const PARTITION_LEADER_EPOCH_AT: usize = 12;
const MAGIC_AT: usize = 16;
const CRC_AT: usize = 17;
const ATTRIBUTES_AT: usize = 21;
const COMPRESSION_MASK: i16 = 0x07;
const TRANSACTIONAL_BIT: i16 = 0x10;
const CONTROL_BIT: i16 = 0x20;

/// Why a batch was refused, with the Kafka error code a Produce response carries for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BatchError {
    /// `CORRUPT_MESSAGE` (2) or `INVALID_RECORD` (87).
    pub code: i16,
    /// What was wrong.
    pub reason: String,
}

const CORRUPT_MESSAGE: i16 = ResponseError::CorruptMessage.code();
const INVALID_RECORD: i16 = ResponseError::InvalidRecord.code();

impl BatchError {
    fn corrupt(reason: impl Into<String>) -> Self {
        Self {
            code: CORRUPT_MESSAGE,
            reason: reason.into(),
        }
    }

    fn invalid(reason: impl Into<String>) -> Self {
        Self {
            code: INVALID_RECORD,
            reason: reason.into(),
        }
    }
}

/// The header fields the mock uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BatchHeader {
    /// Offset of the first record.
    pub base_offset: i64,
    /// Records in the batch minus one (offset of the last record relative to the first).
    pub last_offset_delta: i32,
    /// Timestamp of the first record.
    pub base_timestamp: i64,
    /// Largest timestamp in the batch.
    pub max_timestamp: i64,
    /// Producer id, or -1.
    pub producer_id: i64,
    /// Producer epoch, or -1.
    pub producer_epoch: i16,
    /// Sequence number of the first record, or -1.
    pub base_sequence: i32,
    /// Number of records.
    pub records_count: i32,
    /// Attribute bits.
    pub attributes: i16,
}

impl BatchHeader {
    /// Whether the records are compressed.
    pub fn is_compressed(&self) -> bool {
        self.attributes & COMPRESSION_MASK != 0
    }

    /// Whether the batch belongs to a transaction.
    pub fn is_transactional(&self) -> bool {
        self.attributes & TRANSACTIONAL_BIT != 0
    }

    /// Whether the batch holds control records (transaction markers).
    pub fn is_control(&self) -> bool {
        self.attributes & CONTROL_BIT != 0
    }
}

fn be_i16(b: &[u8], at: usize) -> Option<i16> {
    Some(i16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn be_i32(b: &[u8], at: usize) -> Option<i32> {
    Some(i32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn be_i64(b: &[u8], at: usize) -> Option<i64> {
    Some(i64::from_be_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// Reads the header of the batch that fills all of `batch`, checking magic, length and CRC.
pub(crate) fn parse_header(batch: &[u8]) -> Result<BatchHeader, BatchError> {
    if batch.len() < HEADER_LEN {
        return Err(BatchError::corrupt(format!(
            "batch of {} bytes is shorter than a v2 header",
            batch.len()
        )));
    }
    let short = || BatchError::corrupt("batch header cut short");
    let magic = batch.get(MAGIC_AT).copied().ok_or_else(short)?;
    if magic != 2 {
        return Err(BatchError::invalid(format!(
            "record batch magic {magic} (only v2 is accepted)"
        )));
    }
    let length = be_i32(batch, 8).ok_or_else(short)?;
    if usize::try_from(length).ok().map(|l| l + LOG_OVERHEAD) != Some(batch.len()) {
        return Err(BatchError::corrupt(format!(
            "batch length field {length} does not match the {} bytes present",
            batch.len()
        )));
    }
    let crc = be_u32(batch, CRC_AT).ok_or_else(short)?;
    let covered = batch.get(ATTRIBUTES_AT..).ok_or_else(short)?;
    let actual = crc32c::crc32c(covered);
    if crc != actual {
        return Err(BatchError::corrupt(format!(
            "CRC mismatch: header says {crc:#010x}, content has {actual:#010x}"
        )));
    }
    let header = BatchHeader {
        base_offset: be_i64(batch, 0).ok_or_else(short)?,
        attributes: be_i16(batch, ATTRIBUTES_AT).ok_or_else(short)?,
        last_offset_delta: be_i32(batch, 23).ok_or_else(short)?,
        base_timestamp: be_i64(batch, 27).ok_or_else(short)?,
        max_timestamp: be_i64(batch, 35).ok_or_else(short)?,
        producer_id: be_i64(batch, 43).ok_or_else(short)?,
        producer_epoch: be_i16(batch, 51).ok_or_else(short)?,
        base_sequence: be_i32(batch, 53).ok_or_else(short)?,
        records_count: be_i32(batch, 57).ok_or_else(short)?,
    };
    if header.records_count < 1 {
        return Err(BatchError::invalid(format!(
            "batch holds {} records",
            header.records_count
        )));
    }
    if header.last_offset_delta != header.records_count - 1 {
        return Err(BatchError::invalid(format!(
            "last offset delta {} does not match {} records",
            header.last_offset_delta, header.records_count
        )));
    }
    Ok(header)
}

/// Splits a produce request's `records` into batches, each checked by [`parse_header`].
pub(crate) fn split_batches(records: &Bytes) -> Result<Vec<(BatchHeader, Bytes)>, BatchError> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while at < records.len() {
        let length = be_i32(records, at + 8)
            .ok_or_else(|| BatchError::corrupt("trailing bytes too short for a batch header"))?;
        let total = usize::try_from(length)
            .ok()
            .and_then(|l| l.checked_add(LOG_OVERHEAD))
            .filter(|t| at + t <= records.len())
            .ok_or_else(|| {
                BatchError::corrupt(format!(
                    "batch length {length} at byte {at} runs past the {} bytes sent",
                    records.len()
                ))
            })?;
        let bytes = records.slice(at..at + total);
        out.push((parse_header(&bytes)?, bytes));
        at += total;
    }
    Ok(out)
}

/// A copy of `batch` with its base offset and partition leader epoch replaced; the CRC stays
/// valid because it covers neither.
pub(crate) fn rebase(batch: &[u8], base_offset: i64, leader_epoch: i32) -> Bytes {
    let mut out = BytesMut::from(batch);
    if let Some(b) = out.get_mut(0..8) {
        b.copy_from_slice(&base_offset.to_be_bytes());
    }
    if let Some(b) = out.get_mut(PARTITION_LEADER_EPOCH_AT..PARTITION_LEADER_EPOCH_AT + 4) {
        b.copy_from_slice(&leader_epoch.to_be_bytes());
    }
    out.freeze()
}

/// Offset and timestamp of one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RecordStamp {
    /// Absolute offset.
    pub offset: i64,
    /// Absolute timestamp.
    pub timestamp: i64,
}

/// The (offset, timestamp) of every record of an uncompressed batch stored at `header`'s base
/// offset, or `None` if the batch is compressed or its records do not parse.
pub(crate) fn record_stamps(batch: &[u8], header: &BatchHeader) -> Option<Vec<RecordStamp>> {
    if header.is_compressed() {
        return None;
    }
    let mut out = Vec::new();
    let mut at = HEADER_LEN;
    for _ in 0..header.records_count {
        let (length, n) = read_varlong(batch.get(at..)?)?;
        let length = usize::try_from(length).ok()?;
        let start = at + n;
        let end = start.checked_add(length)?;
        let record = batch.get(start..end)?;
        // attributes (1 byte), timestampDelta (varlong), offsetDelta (varint).
        let rest = record.get(1..)?;
        let (ts_delta, n) = read_varlong(rest)?;
        let (offset_delta, _) = read_varlong(rest.get(n..)?)?;
        out.push(RecordStamp {
            offset: header.base_offset.checked_add(offset_delta)?,
            timestamp: header.base_timestamp.checked_add(ts_delta)?,
        });
        at = end;
    }
    Some(out)
}

/// A zig-zag varlong and the number of bytes it took.
fn read_varlong(b: &[u8]) -> Option<(i64, usize)> {
    let mut raw: u64 = 0;
    for (i, &byte) in b.iter().enumerate().take(10) {
        raw |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            let value = (raw >> 1) as i64 ^ -((raw & 1) as i64);
            return Some((value, i + 1));
        }
    }
    None
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use bytes::BytesMut;
    use kafka_protocol::protocol::StrBytes;
    use kafka_protocol::records::{
        Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
    };

    /// An uncompressed batch of records with these timestamps (values "v0", "v1", …).
    pub(crate) fn batch(timestamps: &[i64]) -> Bytes {
        let records: Vec<Record> = timestamps
            .iter()
            .enumerate()
            .map(|(i, &ts)| Record {
                transactional: false,
                control: false,
                delete_horizon: false,
                partition_leader_epoch: -1,
                producer_id: -1,
                producer_epoch: -1,
                timestamp_type: TimestampType::Creation,
                offset: i as i64,
                // kafka-protocol starts a new batch where offset - sequence changes.
                sequence: i as i32,
                timestamp: ts,
                key: None,
                value: Some(Bytes::from(format!("v{i}"))),
                headers: [(StrBytes::from_static_str("h"), None)]
                    .into_iter()
                    .collect(),
            })
            .collect();
        let mut out = BytesMut::new();
        RecordBatchEncoder::encode(
            &mut out,
            &records,
            &RecordEncodeOptions {
                version: 2,
                compression: Compression::None,
            },
        )
        .unwrap();
        out.freeze()
    }

    #[test]
    fn reads_header_and_stamps() {
        let b = batch(&[100, 90, 300]);
        let h = parse_header(&b).unwrap();
        assert_eq!(h.records_count, 3);
        assert_eq!(h.last_offset_delta, 2);
        // kafka-protocol's encoder bases timestamps on the smallest one.
        assert_eq!(h.base_timestamp, 90);
        assert_eq!(h.max_timestamp, 300);
        assert!(!h.is_compressed());
        let rebased = rebase(&b, 40, 7);
        let h2 = parse_header(&rebased).unwrap();
        assert_eq!(h2.base_offset, 40);
        assert_eq!(&rebased[12..16], &7i32.to_be_bytes());
        let stamps = record_stamps(&rebased, &h2).unwrap();
        assert_eq!(
            stamps,
            vec![
                RecordStamp {
                    offset: 40,
                    timestamp: 100
                },
                RecordStamp {
                    offset: 41,
                    timestamp: 90
                },
                RecordStamp {
                    offset: 42,
                    timestamp: 300
                },
            ]
        );
    }

    #[test]
    fn rejects_bad_crc_magic_and_length() {
        let b = batch(&[1]);
        let mut bad = b.to_vec();
        let last = bad.len() - 1;
        bad[last] ^= 0xff;
        assert_eq!(parse_header(&bad).unwrap_err().code, CORRUPT_MESSAGE);
        let mut bad = b.to_vec();
        bad[MAGIC_AT] = 1;
        assert_eq!(parse_header(&bad).unwrap_err().code, INVALID_RECORD);
        assert_eq!(
            parse_header(&b[..b.len() - 1]).unwrap_err().code,
            CORRUPT_MESSAGE
        );
        assert!(parse_header(&b[..10]).is_err());
    }

    #[test]
    fn splits_concatenated_batches_and_rejects_overrun() {
        let mut two = BytesMut::new();
        two.extend_from_slice(&batch(&[1, 2]));
        two.extend_from_slice(&batch(&[3]));
        let two = two.freeze();
        let parts = split_batches(&two).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[1].0.records_count, 1);
        let cut = two.slice(..two.len() - 3);
        assert!(split_batches(&cut).is_err());
        assert!(split_batches(&Bytes::from_static(&[0; 5])).is_err());
    }

    proptest::proptest! {
        #[test]
        fn rebased_batches_keep_their_records(
            timestamps in proptest::collection::vec(0i64..1_000_000_000_000, 1..20),
            base_offset in 0i64..i64::MAX / 2,
            epoch in -1i32..1000,
        ) {
            let b = rebase(&batch(&timestamps), base_offset, epoch);
            let h = parse_header(&b).unwrap();
            proptest::prop_assert_eq!(h.base_offset, base_offset);
            proptest::prop_assert_eq!(h.records_count as usize, timestamps.len());
            let stamps = record_stamps(&b, &h).unwrap();
            let expected: Vec<RecordStamp> = timestamps
                .iter()
                .zip(base_offset..)
                .map(|(&timestamp, offset)| RecordStamp { offset, timestamp })
                .collect();
            proptest::prop_assert_eq!(stamps, expected);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            let bytes = Bytes::from(bytes);
            let _ = split_batches(&bytes);
            if let Ok(h) = parse_header(&bytes) {
                let _ = record_stamps(&bytes, &h);
            }
            // Headers that pass the CRC check are rare; walk the records of any header anyway.
            let h = BatchHeader {
                base_offset: 0,
                last_offset_delta: 3,
                base_timestamp: 0,
                max_timestamp: 0,
                producer_id: -1,
                producer_epoch: -1,
                base_sequence: -1,
                records_count: 4,
                attributes: 0,
            };
            let _ = record_stamps(&bytes, &h);
        }
    }

    #[test]
    fn varlong_decodes_zigzag() {
        assert_eq!(read_varlong(&[0x00]), Some((0, 1)));
        assert_eq!(read_varlong(&[0x01]), Some((-1, 1)));
        assert_eq!(read_varlong(&[0x02]), Some((1, 1)));
        assert_eq!(read_varlong(&[0xac, 0x02]), Some((150, 2)));
        assert_eq!(read_varlong(&[0x80]), None);
    }
}
