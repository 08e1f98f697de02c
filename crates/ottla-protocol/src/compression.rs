//! Record batch compression codecs, all pure Rust.
//!
//! [`compress`] appends to a `Vec<u8>`; [`decompress`] returns a fresh `Vec<u8>` (turn it into
//! [`bytes::Bytes`] without copying with `Bytes::from`). The record-batch encoder writes
//! straight into its `BytesMut` through [`compress_into`].
//!
//! | codec  | written as | read | `compression.level` |
//! |--------|------------|------|---------------------|
//! | gzip   | one gzip member (miniz_oxide) | any number of members | 1–9 (-1: default, 6) |
//! | snappy | xerial framing, 32 KiB blocks, like the Java client | xerial or raw snappy | none: ignored |
//! | lz4    | LZ4 frame, independent blocks of up to 4 MiB, no checksums, like franz-go | any frame(s) | 1–17 accepted, ignored: lz4_flex has one level (≈ lz4 level 1) |
//! | zstd   | one zstd frame with checksum | any frames, skippable frames, with or without content size | -131072–22 accepted, ignored: ruzstd has one level, `Fastest` (≈ zstd level 1) |
//!
//! A level outside the codec's range is an error ([`CompressionError::InvalidLevel`]).
//! Decompression takes a `max_output` and stops with [`CompressionError::TooLarge`] as soon
//! as the output would exceed it, so a small input cannot make us allocate without bound.
//!
//! [`kafka_protocol_compressor`] and [`kafka_protocol_decompressor`] plug the same codecs into
//! kafka-protocol's record codec.

use std::fmt;
use std::io::Write;
use std::ops::RangeInclusive;
use std::str::FromStr;

mod bounded_output;
mod gzip;
mod kafka_protocol_hooks;
mod lz4;
mod snappy;
mod zstd;

pub use kafka_protocol_hooks::{kafka_protocol_compressor, kafka_protocol_decompressor};

/// The codec of a record batch (attributes bits 0–2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Compression {
    /// No compression.
    #[default]
    None,
    /// gzip (flate2 on miniz_oxide).
    Gzip,
    /// Snappy in Kafka's xerial framing (snap).
    Snappy,
    /// LZ4 frame format (lz4_flex).
    Lz4,
    /// Zstandard (ruzstd).
    Zstd,
}

impl Compression {
    /// The attributes bits Kafka uses for this codec.
    pub fn attribute_bits(self) -> i16 {
        match self {
            Compression::None => 0,
            Compression::Gzip => 1,
            Compression::Snappy => 2,
            Compression::Lz4 => 3,
            Compression::Zstd => 4,
        }
    }

    /// The codec named by attributes bits 0–2, if known.
    pub fn from_attribute_bits(bits: i16) -> Option<Self> {
        Some(match bits & 0x7 {
            0 => Compression::None,
            1 => Compression::Gzip,
            2 => Compression::Snappy,
            3 => Compression::Lz4,
            4 => Compression::Zstd,
            _ => return None,
        })
    }

    /// Kafka's name (`compression.type` values).
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Snappy => "snappy",
            Compression::Lz4 => "lz4",
            Compression::Zstd => "zstd",
        }
    }

    /// All codecs.
    pub const ALL: [Compression; 5] = [
        Compression::None,
        Compression::Gzip,
        Compression::Snappy,
        Compression::Lz4,
        Compression::Zstd,
    ];
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A `compression.type` value that is not one of Kafka's codecs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown compression type {0:?} (expected none, gzip, snappy, lz4 or zstd)")]
pub struct UnknownCompression(pub String);

impl FromStr for Compression {
    type Err = UnknownCompression;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Compression::ALL
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownCompression(s.to_owned()))
    }
}

/// Why data could not be compressed or decompressed.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompressionError {
    /// `compression.level` is outside the codec's range.
    #[error("compression level {level} is out of range for {codec} ({min}..={max})")]
    InvalidLevel {
        /// The codec.
        codec: Compression,
        /// The level asked for.
        level: i32,
        /// The lowest level the codec accepts.
        min: i32,
        /// The highest level the codec accepts.
        max: i32,
    },
    /// Decompressed data would exceed the caller's limit.
    #[error("{codec} data decompresses to more than the limit of {limit} bytes")]
    TooLarge {
        /// The codec.
        codec: Compression,
        /// The limit, in bytes.
        limit: usize,
    },
    /// Compressed data was not valid for its codec.
    #[error("corrupt {codec} data: {message}")]
    Corrupt {
        /// The codec.
        codec: Compression,
        /// What the decoder said.
        message: String,
    },
    /// The encoder failed (for example, the output could not be written).
    #[error("{codec} compression failed: {message}")]
    Encode {
        /// The codec.
        codec: Compression,
        /// What the encoder said.
        message: String,
    },
}

impl CompressionError {
    fn corrupt(codec: Compression, message: impl fmt::Display) -> Self {
        CompressionError::Corrupt {
            codec,
            message: message.to_string(),
        }
    }

    fn encode(codec: Compression, message: impl fmt::Display) -> Self {
        CompressionError::Encode {
            codec,
            message: message.to_string(),
        }
    }
}

impl Compression {
    /// The `compression.level` values this codec accepts, or `None` for codecs without levels
    /// (none, snappy), for which any level is ignored.
    pub fn level_range(self) -> Option<RangeInclusive<i32>> {
        match self {
            Compression::None | Compression::Snappy => None,
            // Java's Deflater.DEFAULT_COMPRESSION (-1) is checked separately.
            Compression::Gzip => Some(1..=9),
            // Kafka's LZ4 range (KIP-390).
            Compression::Lz4 => Some(1..=17),
            // ZSTD_minCLevel()..=ZSTD_maxCLevel(), as Kafka accepts.
            Compression::Zstd => Some(-131_072..=22),
        }
    }

    /// Checks `level` against [`Compression::level_range`].
    pub fn validate_level(self, level: Option<i32>) -> Result<(), CompressionError> {
        self.gzip_level(level).map(|_| ())
    }

    /// The flate2 level for gzip, after validating `level` for any codec.
    fn gzip_level(self, level: Option<i32>) -> Result<u32, CompressionError> {
        let Some(level) = level else {
            return Ok(gzip::DEFAULT_LEVEL);
        };
        if self == Compression::Gzip && level == -1 {
            return Ok(gzip::DEFAULT_LEVEL);
        }
        match self.level_range() {
            None => Ok(gzip::DEFAULT_LEVEL),
            Some(range) if range.contains(&level) => {
                Ok(u32::try_from(level).unwrap_or(gzip::DEFAULT_LEVEL))
            }
            Some(range) => Err(CompressionError::InvalidLevel {
                codec: self,
                level,
                min: *range.start(),
                max: *range.end(),
            }),
        }
    }
}

/// Compresses `input` with `codec` at `level` (see the module docs for what each codec does
/// with it), appending the result to `out`. [`Compression::None`] appends `input` unchanged.
pub fn compress(
    codec: Compression,
    level: Option<i32>,
    input: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), CompressionError> {
    compress_into(codec, level, input, out).map(|_| ())
}

/// Like [`compress`], writing to any [`Write`] (e.g. `bytes::BufMut::writer` over a
/// `BytesMut`), and giving the writer back.
pub fn compress_into<W: Write>(
    codec: Compression,
    level: Option<i32>,
    input: &[u8],
    mut out: W,
) -> Result<W, CompressionError> {
    let gzip_level = codec.gzip_level(level)?;
    match codec {
        Compression::None => {
            out.write_all(input)
                .map_err(|e| CompressionError::encode(codec, e))?;
            Ok(out)
        }
        Compression::Gzip => gzip::compress(gzip_level, input, out),
        Compression::Snappy => snappy::compress(input, out),
        Compression::Lz4 => lz4::compress(input, out),
        Compression::Zstd => zstd::compress(input, out),
    }
}

/// Decompresses `input`, failing with [`CompressionError::TooLarge`] as soon as the output
/// would exceed `max_output` bytes. [`Compression::None`] copies `input` (still bounded).
pub fn decompress(
    codec: Compression,
    input: &[u8],
    max_output: usize,
) -> Result<Vec<u8>, CompressionError> {
    match codec {
        Compression::None => {
            if input.len() > max_output {
                return Err(CompressionError::TooLarge {
                    codec,
                    limit: max_output,
                });
            }
            Ok(input.to_vec())
        }
        Compression::Gzip => gzip::decompress(input, max_output),
        Compression::Snappy => snappy::decompress(input, max_output),
        Compression::Lz4 => lz4::decompress(input, max_output),
        Compression::Zstd => zstd::decompress(input, max_output),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> Vec<u8> {
        (0..200_000u32)
            .map(|i| if i % 7 == 0 { (i % 251) as u8 } else { b'k' })
            .collect()
    }

    #[test]
    fn every_codec_round_trips_and_compresses() {
        let input = sample();
        for codec in Compression::ALL {
            let mut out = Vec::new();
            compress(codec, None, &input, &mut out).unwrap();
            if codec != Compression::None {
                assert!(out.len() < input.len() / 2, "{codec}: {}", out.len());
            }
            assert_eq!(
                decompress(codec, &out, input.len()).unwrap(),
                input,
                "{codec}"
            );
        }
    }

    #[test]
    fn compress_appends() {
        for codec in Compression::ALL {
            let mut out = b"prefix".to_vec();
            compress(codec, None, b"data data data", &mut out).unwrap();
            assert!(out.starts_with(b"prefix"));
            assert_eq!(
                decompress(codec, &out[6..], 100).unwrap(),
                b"data data data"
            );
        }
    }

    #[test]
    fn levels() {
        let input = sample();
        for level in [-1, 1, 5, 9] {
            let mut out = Vec::new();
            compress(Compression::Gzip, Some(level), &input, &mut out).unwrap();
            assert_eq!(
                decompress(Compression::Gzip, &out, usize::MAX).unwrap(),
                input
            );
        }
        let mut fast = Vec::new();
        let mut best = Vec::new();
        compress(Compression::Gzip, Some(1), &input, &mut fast).unwrap();
        compress(Compression::Gzip, Some(9), &input, &mut best).unwrap();
        assert!(best.len() <= fast.len());
        for (codec, bad) in [
            (Compression::Gzip, 0),
            (Compression::Gzip, 10),
            (Compression::Gzip, -2),
            (Compression::Lz4, 0),
            (Compression::Lz4, 18),
            (Compression::Zstd, 23),
            (Compression::Zstd, -131_073),
        ] {
            let err = compress(codec, Some(bad), b"x", &mut Vec::new()).unwrap_err();
            assert!(
                matches!(err, CompressionError::InvalidLevel { level, .. } if level == bad),
                "{codec} {bad}: {err}"
            );
        }
        for (codec, ok) in [
            (Compression::Lz4, 17),
            (Compression::Zstd, -5),
            (Compression::Zstd, 22),
            (Compression::Snappy, 1000),
            (Compression::None, -7),
        ] {
            let mut out = Vec::new();
            compress(codec, Some(ok), b"levels", &mut out).unwrap();
            assert_eq!(decompress(codec, &out, 6).unwrap(), b"levels");
        }
    }

    #[test]
    fn bomb_limit_for_every_codec() {
        let input = vec![0u8; 1 << 20];
        for codec in Compression::ALL {
            let mut out = Vec::new();
            compress(codec, None, &input, &mut out).unwrap();
            let err = decompress(codec, &out, (1 << 20) - 1).unwrap_err();
            assert_eq!(
                err,
                CompressionError::TooLarge {
                    codec,
                    limit: (1 << 20) - 1
                }
            );
            assert_eq!(decompress(codec, &out, 1 << 20).unwrap().len(), 1 << 20);
        }
    }

    #[test]
    fn writer_errors_are_errors_not_panics() {
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("full"))
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        for codec in Compression::ALL {
            let err = compress_into(codec, None, &sample(), Full).err();
            assert!(
                matches!(err, Some(CompressionError::Encode { .. })),
                "{codec}: {err:?}"
            );
        }
    }

    #[test]
    fn gzip_reads_several_members() {
        let mut out = Vec::new();
        compress(Compression::Gzip, None, b"first ", &mut out).unwrap();
        compress(Compression::Gzip, Some(1), b"second", &mut out).unwrap();
        assert_eq!(
            decompress(Compression::Gzip, &out, 100).unwrap(),
            b"first second"
        );
    }

    #[test]
    fn zstd_reads_several_frames_with_and_without_content_size() {
        // A frame from ruzstd, then a hand-made single-segment frame with a content size and
        // one raw block, then a skippable frame.
        let mut out = Vec::new();
        compress(Compression::Zstd, None, b"ruzstd frame ", &mut out).unwrap();
        out.extend_from_slice(&[0x28, 0xb5, 0x2f, 0xfd]);
        // Frame header descriptor: single segment, 1-byte content size, no checksum.
        out.push(0b0010_0000);
        out.push(5);
        // Last raw block of 5 bytes: header = last(1) | raw(0 << 1) | size << 3.
        let block_header: u32 = 1 | (5 << 3);
        out.extend_from_slice(&block_header.to_le_bytes()[..3]);
        out.extend_from_slice(b"hello");
        out.extend_from_slice(&[0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 9, 9, 9]);
        assert_eq!(
            decompress(Compression::Zstd, &out, 100).unwrap(),
            b"ruzstd frame hello"
        );
    }

    #[test]
    fn zstd_detects_checksum_mismatch_and_truncation() {
        let input = sample();
        let mut out = Vec::new();
        compress(Compression::Zstd, None, &input, &mut out).unwrap();
        let mut bad = out.clone();
        let last = bad.len() - 1;
        bad[last] ^= 0xff;
        assert!(matches!(
            decompress(Compression::Zstd, &bad, usize::MAX),
            Err(CompressionError::Corrupt { .. })
        ));
        out.truncate(out.len() / 2);
        assert!(matches!(
            decompress(Compression::Zstd, &out, usize::MAX),
            Err(CompressionError::Corrupt { .. })
        ));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for codec in [
            Compression::Gzip,
            Compression::Snappy,
            Compression::Lz4,
            Compression::Zstd,
        ] {
            assert!(decompress(codec, b"\x00\x01garbage that is not compressed", 1000).is_err());
        }
    }

    proptest! {
        #[test]
        fn round_trip(
            data in proptest::collection::vec(any::<u8>(), 0..5000),
            repeat in 1usize..20,
        ) {
            let input = data.repeat(repeat);
            for codec in Compression::ALL {
                let mut out = Vec::new();
                compress(codec, None, &input, &mut out).unwrap();
                prop_assert_eq!(&decompress(codec, &out, input.len()).unwrap(), &input);
            }
        }

        #[test]
        fn arbitrary_input_never_panics(
            data in proptest::collection::vec(any::<u8>(), 0..2000),
        ) {
            for codec in Compression::ALL {
                let _ = decompress(codec, &data, 1 << 16);
            }
        }

        #[test]
        fn corrupted_output_never_panics(
            data in proptest::collection::vec(any::<u8>(), 1..3000),
            flip in any::<prop::sample::Index>(),
            xor in 1u8..=255,
        ) {
            for codec in Compression::ALL {
                let mut out = Vec::new();
                compress(codec, None, &data, &mut out).unwrap();
                let i = flip.index(out.len());
                out[i] ^= xor;
                let _ = decompress(codec, &out, 1 << 16);
            }
        }
    }
}
