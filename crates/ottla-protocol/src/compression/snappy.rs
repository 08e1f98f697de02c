//! Snappy: written in the xerial framing Kafka's Java client uses; read both xerial-framed and
//! raw (unframed) snappy, since librdkafka may produce either.
//!
//! xerial framing: the 8-byte magic `\x82SNAPPY\x00`, a big-endian i32 version (1) and a
//! big-endian i32 minimum compatible version (1), then chunks of `[i32 BE length][raw snappy
//! block]`, each block compressing at most 32 KiB (xerial's default block size).

use std::io::Write;

use super::{Compression, CompressionError};

/// The start of a xerial snappy stream.
pub(super) const XERIAL_MAGIC: [u8; 8] = [0x82, b'S', b'N', b'A', b'P', b'P', b'Y', 0];
/// Version and minimum compatible version written after the magic.
const XERIAL_VERSION: i32 = 1;
const XERIAL_COMPATIBLE_VERSION: i32 = 1;
const XERIAL_HEADER_LEN: usize = 16;
/// Uncompressed bytes per xerial chunk.
const XERIAL_BLOCK_SIZE: usize = 32 * 1024;

pub(super) fn compress<W: Write>(input: &[u8], mut out: W) -> Result<W, CompressionError> {
    let io_err = |e: std::io::Error| CompressionError::encode(Compression::Snappy, e);
    out.write_all(&XERIAL_MAGIC).map_err(io_err)?;
    out.write_all(&XERIAL_VERSION.to_be_bytes())
        .map_err(io_err)?;
    out.write_all(&XERIAL_COMPATIBLE_VERSION.to_be_bytes())
        .map_err(io_err)?;
    let mut encoder = snap::raw::Encoder::new();
    let mut block = vec![0u8; snap::raw::max_compress_len(XERIAL_BLOCK_SIZE.min(input.len()))];
    for chunk in input.chunks(XERIAL_BLOCK_SIZE) {
        let n = encoder
            .compress(chunk, &mut block)
            .map_err(|e| CompressionError::encode(Compression::Snappy, e))?;
        let compressed = block
            .get(..n)
            .ok_or_else(|| CompressionError::encode(Compression::Snappy, "block overflow"))?;
        let len = i32::try_from(n)
            .map_err(|_| CompressionError::encode(Compression::Snappy, "block too large"))?;
        out.write_all(&len.to_be_bytes()).map_err(io_err)?;
        out.write_all(compressed).map_err(io_err)?;
    }
    Ok(out)
}

pub(super) fn decompress(input: &[u8], max_output: usize) -> Result<Vec<u8>, CompressionError> {
    let mut decoder = snap::raw::Decoder::new();
    let mut out = Vec::new();
    match input.strip_prefix(&XERIAL_MAGIC[..]) {
        Some(rest) if input.len() >= XERIAL_HEADER_LEN => {
            // Skip version and compatible version; xerial readers accept any.
            let mut chunks = rest.get(8..).unwrap_or_default();
            while !chunks.is_empty() {
                let (len_bytes, tail) = chunks
                    .split_first_chunk::<4>()
                    .ok_or_else(|| corrupt("chunk length cut short"))?;
                let len = i32::from_be_bytes(*len_bytes);
                let len = usize::try_from(len).map_err(|_| corrupt("negative chunk length"))?;
                if len > tail.len() {
                    return Err(corrupt("chunk runs past the end of the input"));
                }
                let (block, tail) = tail.split_at(len);
                decompress_block(&mut decoder, block, max_output, &mut out)?;
                chunks = tail;
            }
        }
        _ => decompress_block(&mut decoder, input, max_output, &mut out)?,
    }
    Ok(out)
}

/// Appends one raw snappy block to `out`, checking its announced length against the limit
/// before allocating.
fn decompress_block(
    decoder: &mut snap::raw::Decoder,
    block: &[u8],
    max_output: usize,
    out: &mut Vec<u8>,
) -> Result<(), CompressionError> {
    let len = snap::raw::decompress_len(block).map_err(corrupt)?;
    let start = out.len();
    let end = start
        .checked_add(len)
        .filter(|&end| end <= max_output)
        .ok_or(CompressionError::TooLarge {
            codec: Compression::Snappy,
            limit: max_output,
        })?;
    out.resize(end, 0);
    let target = out.get_mut(start..).unwrap_or_default();
    let n = decoder.decompress(block, target).map_err(corrupt)?;
    if n != len {
        return Err(corrupt("block length does not match its header"));
    }
    Ok(())
}

fn corrupt(message: impl std::fmt::Display) -> CompressionError {
    CompressionError::corrupt(Compression::Snappy, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_xerial_header_and_chunks() {
        let input: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let out = compress(&input, Vec::new()).unwrap();
        assert_eq!(&out[..8], &XERIAL_MAGIC);
        assert_eq!(&out[8..16], &[0, 0, 0, 1, 0, 0, 0, 1]);
        // Four chunks of at most 32 KiB each for 100 000 bytes.
        let mut rest = &out[16..];
        let mut chunks = 0;
        while !rest.is_empty() {
            let len = i32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
            let block = &rest[4..4 + len];
            assert!(snap::raw::decompress_len(block).unwrap() <= XERIAL_BLOCK_SIZE);
            rest = &rest[4 + len..];
            chunks += 1;
        }
        assert_eq!(chunks, 4);
        assert_eq!(decompress(&out, usize::MAX).unwrap(), input);
    }

    #[test]
    fn reads_raw_snappy() {
        let input = b"hello hello hello hello raw snappy".repeat(10);
        let raw = snap::raw::Encoder::new().compress_vec(&input).unwrap();
        assert_eq!(decompress(&raw, usize::MAX).unwrap(), input);
    }

    #[test]
    fn rejects_bad_chunks() {
        let mut framed = compress(b"abcdefgh", Vec::new()).unwrap();
        framed.truncate(framed.len() - 1);
        assert!(matches!(
            decompress(&framed, usize::MAX),
            Err(CompressionError::Corrupt { .. })
        ));
        let mut negative = XERIAL_MAGIC.to_vec();
        negative.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff]);
        assert!(matches!(
            decompress(&negative, usize::MAX),
            Err(CompressionError::Corrupt { .. })
        ));
    }
}
