//! LZ4 frame format (lz4_flex), as Kafka uses since message format v1.
//!
//! Independent blocks of up to 4 MiB, no content size, no block or content checksum: the frame
//! franz-go (and Sarama, both on pierrec/lz4) write, which Kafka's `KafkaLZ4BlockInputStream`,
//! the Java client and librdkafka read. Java's own producer writes 64 KiB blocks; each block
//! starts with no history, so whatever repeats across records at a block's start is stored
//! again. Measured on Kafka 4.4 with 99 records of the same 10 KB payload per batch: 162,813
//! bytes per batch with 64 KiB blocks, 24,482 with franz-go's 4 MiB blocks (the broker stored
//! 162 MB against franz-go's 24 MB for 100,000 records). A batch (at most `batch.size`, 1 MB
//! by default) is then one block. Any valid frame (and any number of concatenated frames) is
//! read.
//!
//! The frame around the blocks is written here, with lz4_flex's block compressor for each
//! block: its `FrameEncoder` first copies all input into a block buffer, which for a producer
//! sending 1 GB of 10 KB records was 15% of its CPU. The compressed block goes to a scratch
//! buffer kept per thread, so a batch does not allocate (and zero) a fresh one.
//!
//! Frames are read here too when they carry no checksum and no dictionary id (what Kafka's
//! clients write): each block is decompressed by lz4_flex's block decoder into a scratch
//! buffer kept per thread, then copied once into an output sized to fit. Its `FrameDecoder`
//! allocated and zeroed a buffer of the frame's maximum block size (4 MiB) per frame and grew
//! the output by doubling: reading 100,000 lz4 records of 10 KB, memset, memmove and the page
//! faults of fresh buffers were 50% of the consumer's CPU. Linked blocks are decoded with the
//! last 64 KiB of output as their dictionary. Frames with checksums (or anything else) go to
//! `FrameDecoder`, which checks them.

use std::cell::RefCell;
use std::io::Write;

use lz4_flex::block::{
    compress_into, decompress_into, decompress_into_with_dict, get_maximum_output_size,
};
use lz4_flex::frame::FrameDecoder;

use super::bounded_output::{initial_capacity, read_to_end_bounded};
use super::{Compression, CompressionError};

/// Magic number, little-endian on the wire.
const MAGIC: u32 = 0x184D_2204;
/// FLG: version 01, independent blocks, no checksums, no content size.
const FLG: u8 = 0b0110_0000;
/// BD: 4 MiB maximum block size.
const BD: u8 = 0b0111_0000;
/// Header checksum: the second byte of xxHash32 (seed 0) of FLG and BD (constant for this
/// descriptor; a test checks it against lz4_flex's encoder).
const HC: u8 = 0x73;
const BLOCK_SIZE: usize = 4 * 1024 * 1024;
/// Set in a block's size when the block is stored uncompressed.
const UNCOMPRESSED: u32 = 0x8000_0000;

thread_local! {
    /// Room for one compressed block, as large as the largest block this thread compressed.
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    /// Room for one decompressed block, as large as the largest block size this thread read.
    static BLOCK_OUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// How far back a linked block's matches reach.
const WINDOW: usize = 64 * 1024;

pub(super) fn compress<W: Write>(input: &[u8], mut out: W) -> Result<W, CompressionError> {
    let encode = |e| CompressionError::encode(Compression::Lz4, e);
    let [m0, m1, m2, m3] = MAGIC.to_le_bytes();
    out.write_all(&[m0, m1, m2, m3, FLG, BD, HC])
        .map_err(encode)?;
    SCRATCH.with_borrow_mut(|block| {
        let need = get_maximum_output_size(BLOCK_SIZE.min(input.len()));
        if block.len() < need {
            block.resize(need, 0);
        }
        for chunk in input.chunks(BLOCK_SIZE) {
            let compressed = compress_into(chunk, block)
                .map_err(|e| encode(std::io::Error::other(format!("lz4 block: {e}"))))?;
            // A block is stored as is when compressing does not make it smaller. Both lengths
            // are at most 4 MiB, so they fit the 31 bits of the size field.
            let (size, data) = match block.get(..compressed) {
                Some(c) if compressed < chunk.len() => (compressed as u32, c),
                _ => (chunk.len() as u32 | UNCOMPRESSED, chunk),
            };
            out.write_all(&size.to_le_bytes()).map_err(encode)?;
            out.write_all(data).map_err(encode)?;
        }
        Ok::<(), CompressionError>(())
    })?;
    out.write_all(&0u32.to_le_bytes()).map_err(encode)?;
    Ok(out)
}

pub(super) fn decompress(input: &[u8], max_output: usize) -> Result<Vec<u8>, CompressionError> {
    let mut out = Vec::new();
    let mut rest = input;
    // One frame per round, while bytes are left; every round consumes at least a frame
    // header or fails.
    while !rest.is_empty() {
        match plain_frame(rest) {
            Some(frame) => rest = read_plain_frame(frame, rest, max_output, &mut out)?,
            // Magic, FLG, BD and HC at the least.
            None if rest.len() < 7 => {
                return Err(CompressionError::corrupt(
                    Compression::Lz4,
                    "frame header cut short",
                ))
            }
            None => {
                // lz4_flex reports the end of each frame as the end of input, and its decoder
                // must not be reused across frames of different block modes.
                if out.capacity() == 0 {
                    out.reserve(initial_capacity(input.len(), max_output));
                }
                let decoder = FrameDecoder::new(&mut rest);
                read_to_end_bounded(Compression::Lz4, decoder, max_output, &mut out)?;
            }
        }
    }
    Ok(out)
}

/// A frame header this module reads itself.
#[derive(Debug, Clone, Copy)]
struct PlainFrame {
    /// Bytes of header (magic to HC).
    header: usize,
    block_max: usize,
    linked: bool,
}

/// The header of a frame without checksums or dictionary id, when `input` starts with one.
fn plain_frame(input: &[u8]) -> Option<PlainFrame> {
    let magic = u32::from_le_bytes(input.get(..4)?.try_into().ok()?);
    let (&flg, &bd) = (input.get(4)?, input.get(5)?);
    let version_01 = flg >> 6 == 1;
    let block_checksum = flg & 0x10 != 0;
    let content_size = flg & 0x08 != 0;
    let content_checksum = flg & 0x04 != 0;
    let reserved = flg & 0x02 != 0 || bd & 0x8F != 0;
    let dict_id = flg & 0x01 != 0;
    if magic != MAGIC || !version_01 || block_checksum || content_checksum || reserved || dict_id {
        return None;
    }
    let block_max = match (bd >> 4) & 0x7 {
        4 => 64 * 1024,
        5 => 256 * 1024,
        6 => 1024 * 1024,
        7 => 4 * 1024 * 1024,
        _ => return None,
    };
    // Magic, FLG, BD, the content size when present, HC (not checked, as no checksum is).
    let header = 4 + 2 + if content_size { 8 } else { 0 } + 1;
    (input.len() >= header).then_some(PlainFrame {
        header,
        block_max,
        linked: flg & 0x20 == 0,
    })
}

/// Reads the blocks of `frame` (at the start of `input`) into `out`; returns the bytes after
/// the frame.
fn read_plain_frame<'a>(
    frame: PlainFrame,
    input: &'a [u8],
    max_output: usize,
    out: &mut Vec<u8>,
) -> Result<&'a [u8], CompressionError> {
    let corrupt = |what: &str| CompressionError::corrupt(Compression::Lz4, what.to_owned());
    let mut rest = input.get(frame.header..).unwrap_or_default();
    BLOCK_OUT.with_borrow_mut(|scratch| {
        if scratch.len() < frame.block_max {
            scratch.resize(frame.block_max, 0);
        }
        loop {
            let size_bytes = rest
                .get(..4)
                .ok_or_else(|| corrupt("frame ends before its end mark"))?;
            let size = u32::from_le_bytes(size_bytes.try_into().unwrap_or_default());
            rest = &rest[4..];
            if size == 0 {
                return Ok(rest);
            }
            let len = (size & !UNCOMPRESSED) as usize;
            if len > frame.block_max {
                return Err(corrupt("block larger than the frame's maximum block size"));
            }
            let block = rest
                .get(..len)
                .ok_or_else(|| corrupt("block runs past the end of the input"))?;
            rest = &rest[len..];
            let decoded: &[u8] = if size & UNCOMPRESSED != 0 {
                block
            } else {
                let room = &mut scratch[..frame.block_max];
                let n = if frame.linked && !out.is_empty() {
                    let dict = &out[out.len().saturating_sub(WINDOW)..];
                    decompress_into_with_dict(block, room, dict)
                } else {
                    decompress_into(block, room)
                }
                .map_err(|e| corrupt(&format!("block: {e}")))?;
                &scratch[..n]
            };
            if out.len() + decoded.len() > max_output {
                return Err(CompressionError::TooLarge {
                    codec: Compression::Lz4,
                    limit: max_output,
                });
            }
            out.extend_from_slice(decoded);
        }
    })
}

#[cfg(test)]
mod tests {
    use lz4_flex::frame::{BlockMode, BlockSize, FrameEncoder, FrameInfo};
    use proptest::prelude::*;

    use super::*;

    /// What lz4_flex's own encoder writes with Kafka's frame settings.
    fn reference(input: &[u8]) -> Vec<u8> {
        let info = FrameInfo::new()
            .block_size(BlockSize::Max4MB)
            .block_mode(BlockMode::Independent)
            .block_checksums(false)
            .content_checksum(false);
        let mut encoder = FrameEncoder::with_frame_info(info, Vec::new());
        encoder.write_all(input).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn header_equals_lz4_flex_frame_header() {
        for input in [&b""[..], b"x", &b"kafka ".repeat(30_000)] {
            let ours = compress(input, Vec::new()).unwrap();
            assert_eq!(ours[..7], reference(input)[..7], "{} bytes", input.len());
        }
    }

    #[test]
    fn blocks_split_at_4_mib_and_incompressible_ones_are_stored() {
        // 4 MiB + 1 of bytes no LZ4 match can shorten: two stored blocks.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let input: Vec<u8> = (0..BLOCK_SIZE + 1)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        let out = compress(&input, Vec::new()).unwrap();
        let first = u32::from_le_bytes(out[7..11].try_into().unwrap());
        assert_eq!(first, BLOCK_SIZE as u32 | UNCOMPRESSED);
        let at = 11 + BLOCK_SIZE;
        assert_eq!(out[11..at], input[..BLOCK_SIZE]);
        let second = u32::from_le_bytes(out[at..at + 4].try_into().unwrap());
        assert_eq!(second, 1 | UNCOMPRESSED);
        assert_eq!(out[at + 4], input[BLOCK_SIZE]);
        assert_eq!(out[at + 5..], [0, 0, 0, 0]);
        assert_eq!(decompress(&out, usize::MAX).unwrap(), input);
    }

    proptest! {
        /// Any input, compressible or not, across block boundaries: lz4_flex's decoder reads
        /// our frame back, and the frame is no larger than lz4_flex's own.
        #[test]
        fn frames_round_trip(
            seed in proptest::collection::vec(any::<u8>(), 0..300),
            repeat in 0usize..700,
        ) {
            let input: Vec<u8> = seed.iter().copied().cycle().take(seed.len() * repeat).collect();
            let ours = compress(&input, Vec::new()).unwrap();
            prop_assert_eq!(decompress(&ours, usize::MAX).unwrap(), input.clone());
            let mut decoder = FrameDecoder::new(&ours[..]);
            let mut read = Vec::new();
            std::io::Read::read_to_end(&mut decoder, &mut read).unwrap();
            prop_assert_eq!(read, input.clone());
            prop_assert!(ours.len() <= reference(&input).len() + 16);
        }
    }

    #[test]
    fn frame_header_matches_kafka() {
        let out = compress(b"kafka lz4", Vec::new()).unwrap();
        // Magic 0x184D2204 little-endian.
        assert_eq!(&out[..4], &[0x04, 0x22, 0x4d, 0x18]);
        // FLG: version 01, independent blocks, nothing else. BD: 4 MiB blocks.
        assert_eq!(out[4], 0b0110_0000);
        assert_eq!(out[5], 0b0111_0000);
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

    /// Frames read by the block-level path (no checksums): linked and independent blocks of
    /// every size, with and without a content size, several frames in a row, as lz4_flex's
    /// encoder writes them; and the output limit holds.
    #[test]
    fn reads_plain_frames_of_every_block_mode_and_size() {
        let input: Vec<u8> = (0..600_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 % 7 + b'a')
            .collect();
        for size in [
            BlockSize::Max64KB,
            BlockSize::Max256KB,
            BlockSize::Max1MB,
            BlockSize::Max4MB,
        ] {
            for mode in [BlockMode::Linked, BlockMode::Independent] {
                for content_size in [None, Some(input.len() as u64)] {
                    let info = FrameInfo::new()
                        .block_size(size)
                        .block_mode(mode)
                        .content_size(content_size);
                    assert!(plain_frame(&[]).is_none());
                    let mut encoder = FrameEncoder::with_frame_info(info, Vec::new());
                    encoder.write_all(&input).unwrap();
                    let mut framed = encoder.finish().unwrap();
                    assert!(plain_frame(&framed).is_some(), "{size:?} {mode:?}");
                    framed = compress(b"+tail", framed).unwrap();
                    let out = decompress(&framed, usize::MAX).unwrap();
                    assert_eq!(out.len(), input.len() + 5, "{size:?} {mode:?}");
                    assert!(out[..input.len()] == input[..] && &out[input.len()..] == b"+tail");
                    let e = decompress(&framed, input.len()).unwrap_err();
                    assert!(matches!(e, CompressionError::TooLarge { .. }), "{e}");
                }
            }
        }
    }

    /// A frame cut anywhere, or with a block size past the frame's maximum, is an error.
    #[test]
    fn truncated_plain_frames_are_errors() {
        let framed = compress(&b"abcdefgh".repeat(1000), Vec::new()).unwrap();
        for cut in 1..framed.len() {
            assert!(
                decompress(&framed[..cut], usize::MAX).is_err(),
                "cut at {cut}"
            );
        }
        let mut big = framed.clone();
        big[7..11].copy_from_slice(&(5u32 * 1024 * 1024).to_le_bytes());
        let e = decompress(&big, usize::MAX).unwrap_err();
        assert!(e.to_string().contains("maximum block size"), "{e}");
    }
}
