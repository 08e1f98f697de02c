//! LZ4 frame format (lz4_flex), as Kafka uses since message format v1.
//!
//! Written like Java's `KafkaLZ4BlockOutputStream`: independent blocks, 64 KiB maximum block
//! size, no content size, no block or content checksum. Any valid frame (and any number of
//! concatenated frames) is read.

use std::io::Write;

use lz4_flex::frame::{BlockMode, BlockSize, FrameDecoder, FrameEncoder, FrameInfo};

use super::bounded_output::{initial_capacity, read_to_end_bounded};
use super::{Compression, CompressionError};

pub(super) fn compress<W: Write>(input: &[u8], out: W) -> Result<W, CompressionError> {
    let info = FrameInfo::new()
        .block_size(BlockSize::Max64KB)
        .block_mode(BlockMode::Independent)
        .block_checksums(false)
        .content_checksum(false);
    let mut encoder = FrameEncoder::with_frame_info(info, out);
    encoder
        .write_all(input)
        .map_err(|e| CompressionError::encode(Compression::Lz4, e))?;
    encoder
        .finish()
        .map_err(|e| CompressionError::encode(Compression::Lz4, e))
}

pub(super) fn decompress(input: &[u8], max_output: usize) -> Result<Vec<u8>, CompressionError> {
    let mut out = Vec::with_capacity(initial_capacity(input.len(), max_output));
    let mut rest = input;
    // lz4_flex reports the end of each frame as the end of input, and its decoder must not be
    // reused across frames of different block modes: one decoder per frame, while bytes are
    // left. Every round consumes at least a frame header or fails.
    while !rest.is_empty() {
        let decoder = FrameDecoder::new(&mut rest);
        read_to_end_bounded(Compression::Lz4, decoder, max_output, &mut out)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_header_matches_kafka() {
        let out = compress(b"kafka lz4", Vec::new()).unwrap();
        // Magic 0x184D2204 little-endian.
        assert_eq!(&out[..4], &[0x04, 0x22, 0x4d, 0x18]);
        // FLG: version 01, independent blocks, nothing else. BD: 64 KiB blocks.
        assert_eq!(out[4], 0b0110_0000);
        assert_eq!(out[5], 0b0100_0000);
        // Ends with the zero end mark and no content checksum.
        assert_eq!(&out[out.len() - 4..], &[0, 0, 0, 0]);
    }

    #[test]
    fn reads_frames_with_checksums_and_content_size() {
        let input = b"checksummed lz4 frame ".repeat(5000);
        let info = FrameInfo::new()
            .block_size(BlockSize::Max256KB)
            .block_mode(BlockMode::Linked)
            .block_checksums(true)
            .content_checksum(true)
            .content_size(Some(input.len() as u64));
        let mut encoder = FrameEncoder::with_frame_info(info, Vec::new());
        encoder.write_all(&input).unwrap();
        let mut framed = encoder.finish().unwrap();
        // A second frame after the first.
        framed = compress(b"second", framed).unwrap();
        let mut expected = input.clone();
        expected.extend_from_slice(b"second");
        let out = decompress(&framed, usize::MAX).unwrap();
        assert_eq!(out.len(), expected.len());
        assert!(out == expected);
    }
}
