//! Target `record_batches_compressed`: structure-aware. The input is turned (with `arbitrary`)
//! into records, a codec and up to three byte flips. The records are encoded with
//! [`encode_batch`], the flips applied, and the result decoded:
//!
//! - nothing flipped (or flips that cancel out): decoding succeeds with exactly the records;
//! - only bytes outside the CRC and the framing flipped (base offset, partition leader epoch):
//!   decoding still succeeds with the same records;
//! - anything else: decoding may fail, but must not panic.

use arbitrary::{Arbitrary, Unstructured};
use bytes::{Bytes, BytesMut};
use ottla_protocol::compression::Compression;
use ottla_protocol::records::{
    decode_batches, encode_batch, BatchOptions, Header, Record, RecordError,
};
use ottla_protocol::StrBytes;

use crate::record_batches::limits;

/// A codec, as `arbitrary` picks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub enum Codec {
    /// No compression.
    None,
    /// gzip.
    Gzip,
    /// Snappy (xerial framing).
    Snappy,
    /// LZ4 frame.
    Lz4,
    /// zstd.
    Zstd,
}

impl From<Codec> for Compression {
    fn from(codec: Codec) -> Self {
        match codec {
            Codec::None => Compression::None,
            Codec::Gzip => Compression::Gzip,
            Codec::Snappy => Compression::Snappy,
            Codec::Lz4 => Compression::Lz4,
            Codec::Zstd => Compression::Zstd,
        }
    }
}

/// One record to encode.
#[derive(Debug, Clone, Arbitrary)]
pub struct InputRecord {
    /// The key.
    pub key: Option<Vec<u8>>,
    /// The value before repetition.
    pub value: Option<Vec<u8>>,
    /// The value is repeated `1 + value_repeat % 16` times, so codecs see matches.
    pub value_repeat: u8,
    /// Headers, duplicates allowed.
    pub headers: Vec<(String, Option<Vec<u8>>)>,
    /// The timestamp (any i64: deltas wrap).
    pub timestamp: i64,
}

/// One byte flip: `batch[position % len] ^= xor`.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub struct Flip {
    /// Where, modulo the batch length.
    pub position: u32,
    /// What to XOR the byte with.
    pub xor: u8,
}

/// The whole input of the target.
#[derive(Debug, Clone, Arbitrary)]
pub struct Input {
    /// The batch codec.
    pub codec: Codec,
    /// `compression.level` (may be out of range: encoding must then fail cleanly).
    pub level: Option<i8>,
    /// Whether the batch is marked transactional.
    pub transactional: bool,
    /// Up to three flips.
    pub flips: [Option<Flip>; 3],
    /// The records (possibly none: encoding must then fail cleanly).
    pub records: Vec<InputRecord>,
}

/// Parses `data` the way libFuzzer's `fuzz_target!` does and runs [`check`]; `false` when the
/// bytes do not make an [`Input`].
pub fn check_bytes(data: &[u8]) -> bool {
    match Input::arbitrary_take_rest(Unstructured::new(data)) {
        Ok(input) => check(&input),
        Err(_) => false,
    }
}

/// Fields a flip may change without the batch becoming invalid: base offset (bytes 0..8) and
/// partition leader epoch (12..16). Batch length (8..12), magic (16), and the CRC and what it
/// covers (17..) may not.
fn outside_crc_and_framing(position: usize) -> bool {
    position < 8 || (12..16).contains(&position)
}

impl InputRecord {
    fn to_record(&self) -> Record {
        let value = self
            .value
            .as_ref()
            .map(|v| Bytes::from(v.repeat(1 + usize::from(self.value_repeat % 16))));
        Record {
            key: self.key.clone().map(Bytes::from),
            value,
            headers: self
                .headers
                .iter()
                .map(|(k, v)| {
                    Header::new(StrBytes::from_string(k.clone()), v.clone().map(Bytes::from))
                })
                .collect(),
            timestamp: self.timestamp,
        }
    }
}

/// Encodes, flips and decodes; `true` if the batch decoded and its records were compared.
pub fn check(input: &Input) -> bool {
    let records: Vec<Record> = input.records.iter().map(InputRecord::to_record).collect();
    let compression = Compression::from(input.codec);
    let level = input.level.map(i32::from);
    let options = BatchOptions {
        compression,
        compression_level: level,
        transactional: input.transactional,
        ..BatchOptions::default()
    };
    let mut encoded = BytesMut::new();
    let result = encode_batch(&records, &options, &mut encoded);
    if records.is_empty() {
        assert!(
            matches!(result, Err(RecordError::EmptyBatch)),
            "empty batch: {result:?}"
        );
        assert!(encoded.is_empty(), "a failed encode left bytes behind");
        return false;
    }
    if compression.validate_level(level).is_err() {
        assert!(
            matches!(result, Err(RecordError::Compression(_))),
            "{compression} level {level:?}: {result:?}"
        );
        assert!(encoded.is_empty(), "a failed encode left bytes behind");
        return false;
    }
    if let Err(e) = result {
        panic!("{} records did not encode: {e}", records.len());
    }

    let original = encoded.clone();
    for flip in input.flips.iter().flatten() {
        let len = encoded.len();
        if let Some(byte) = encoded.get_mut(flip.position as usize % len) {
            *byte ^= flip.xor;
        }
    }
    let changed: Vec<usize> = original
        .iter()
        .zip(encoded.iter())
        .enumerate()
        .filter_map(|(i, (a, b))| (a != b).then_some(i))
        .collect();
    let base_offset = encoded
        .get(..8)
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map_or(0, i64::from_be_bytes);
    let decoded = decode_batches(encoded.freeze(), &limits());
    if !changed.iter().all(|&i| outside_crc_and_framing(i)) {
        // Corrupted: any result but a panic is acceptable.
        return false;
    }

    let decoded = decoded.unwrap_or_else(|e| {
        panic!("{compression}: a batch with flips only at {changed:?} did not decode: {e}")
    });
    assert!(!decoded.truncated_tail, "a whole batch reads as truncated");
    let [batch] = &decoded.batches[..] else {
        panic!("one batch encoded, {} decoded", decoded.batches.len());
    };
    assert_eq!(batch.compression, compression);
    assert_eq!(batch.transactional, input.transactional);
    assert!(!batch.is_control);
    assert_eq!(batch.base_offset, base_offset);
    assert_eq!(batch.records.len(), records.len());
    for (i, (sent, got)) in records.iter().zip(&batch.records).enumerate() {
        let delta = i64::try_from(i).unwrap_or(i64::MAX);
        assert_eq!(
            got.offset,
            base_offset.wrapping_add(delta),
            "record {i}: offset"
        );
        assert_eq!(got.key, sent.key, "record {i}: key");
        assert_eq!(got.value, sent.value, "record {i}: value");
        assert_eq!(got.headers, sent.headers, "record {i}: headers");
        assert_eq!(got.timestamp, sent.timestamp, "record {i}: timestamp");
    }
    true
}
