//! Target `record_batches`: the record-batch decoder over a whole records field.
//!
//! Input: byte 0 is the mode, the rest the bytes of a Fetch response's `records` (any number of
//! v2 batches, possibly with a truncated last one). In mode "fix CRCs" (bit 0 of byte 0 set)
//! the CRC-32C of every whole batch is recomputed before decoding, so that mutations reach the
//! record parser and the decompressors instead of stopping at the CRC check; otherwise the bytes
//! are decoded as they are. When decoding succeeds, every non-control batch with records is encoded
//! again with [`encode_batch`] and the same codec and decoded again: keys, values, headers and
//! timestamps must match, offsets run from 0.

use bytes::{Bytes, BytesMut};
use ottla_protocol::records::{
    decode_batches, encode_batch, BatchOptions, ConsumedRecord, DecodeLimits, DecodedBatch, Record,
};

use crate::MAX_DECOMPRESSED;

/// The limits the target decodes with.
pub fn limits() -> DecodeLimits {
    DecodeLimits {
        max_decompressed_bytes: MAX_DECOMPRESSED,
    }
}

/// Byte 0 of an input whose batches get their CRCs recomputed.
pub const FIX_CRCS: u8 = 1;

/// Byte 0 of an input decoded as it is.
pub const AS_IS: u8 = 0;

// Offsets in a v2 batch (see ottla_protocol::records::layout).
const BATCH_LENGTH_OFFSET: usize = 8;
const LOG_OVERHEAD: usize = 12;
const CRC_OFFSET: usize = 17;
const ATTRIBUTES_OFFSET: usize = 21;
const HEADER_SIZE: usize = 61;

/// Decodes `data[1..]` as record batches in the mode `data[0]` selects; `true` if it decoded.
pub fn check(data: &[u8]) -> bool {
    let Some((&mode, records)) = data.split_first() else {
        return false;
    };
    let mut records = records.to_vec();
    if mode & FIX_CRCS != 0 {
        fix_crcs(&mut records);
    }
    let Ok(decoded) = decode_batches(Bytes::from(records), &limits()) else {
        return false;
    };
    for batch in &decoded.batches {
        assert!(
            !batch.is_control || batch.records.is_empty(),
            "a control batch returned data records"
        );
        if !batch.is_control && !batch.records.is_empty() {
            re_encode(batch);
        }
    }
    true
}

/// Recomputes the CRC of every whole batch in `records`, walking them by their length fields;
/// stops at the first length that is negative, too short or runs past the end.
pub fn fix_crcs(records: &mut [u8]) {
    let mut start = 0usize;
    while let Some(length) = records
        .get(start + BATCH_LENGTH_OFFSET..start + LOG_OVERHEAD)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map(i32::from_be_bytes)
    {
        let Ok(length) = usize::try_from(length) else {
            return;
        };
        let end = start + LOG_OVERHEAD + length;
        if LOG_OVERHEAD + length < HEADER_SIZE || end > records.len() {
            return;
        }
        let crc = crc32c::crc32c(&records[start + ATTRIBUTES_OFFSET..end]);
        records[start + CRC_OFFSET..start + ATTRIBUTES_OFFSET].copy_from_slice(&crc.to_be_bytes());
        start = end;
    }
}

fn re_encode(batch: &DecodedBatch) {
    let records: Vec<Record> = batch.records.iter().map(to_record).collect();
    let options = BatchOptions {
        compression: batch.compression,
        ..BatchOptions::default()
    };
    let mut encoded = BytesMut::new();
    encode_batch(&records, &options, &mut encoded)
        .unwrap_or_else(|e| panic!("decoded records do not re-encode: {e}"));
    let again = decode_batches(encoded.freeze(), &limits())
        .unwrap_or_else(|e| panic!("a re-encoded batch does not decode: {e}"));
    assert!(
        !again.truncated_tail,
        "a re-encoded batch reads as truncated"
    );
    let [batch_again] = &again.batches[..] else {
        panic!("one batch re-encoded, {} decoded", again.batches.len());
    };
    assert_eq!(batch_again.compression, batch.compression);
    assert_eq!(batch_again.records.len(), records.len());
    for (i, (first, second)) in batch.records.iter().zip(&batch_again.records).enumerate() {
        assert_eq!(second.offset, i64::try_from(i).unwrap_or(i64::MAX));
        assert_eq!(first.key, second.key, "record {i}: key");
        assert_eq!(first.value, second.value, "record {i}: value");
        assert_eq!(first.headers, second.headers, "record {i}: headers");
        assert_eq!(first.timestamp, second.timestamp, "record {i}: timestamp");
    }
}

/// What the producer would send to reproduce a consumed record.
pub fn to_record(consumed: &ConsumedRecord) -> Record {
    Record {
        key: consumed.key.clone(),
        value: consumed.value.clone(),
        headers: consumed.headers.clone(),
        timestamp: consumed.timestamp,
    }
}
