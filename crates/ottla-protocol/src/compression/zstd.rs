//! Zstandard (ruzstd). ruzstd implements one compression level, `Fastest` (roughly zstd level
//! 1), so every `compression.level` is encoded with it. Decoding reads any number of frames,
//! with or without content size, skips skippable frames and checks content checksums.

use std::io::Write;

use ruzstd::decoding::errors::{FrameDecoderError, ReadFrameHeaderError};
use ruzstd::decoding::{FrameDecoder, StreamingDecoder};
use ruzstd::encoding::CompressionLevel;

use super::bounded_output::{initial_capacity, read_to_end_bounded};
use super::{Compression, CompressionError};

/// The largest window a frame may ask for: the library's default bound (128 MiB, enough for
/// zstd level 22), raised to the output limit when that is larger.
const DEFAULT_MAX_WINDOW: u64 = 128 * 1024 * 1024;

pub(super) fn compress<W: Write>(input: &[u8], mut out: W) -> Result<W, CompressionError> {
    // ruzstd panics if its writer fails, so it writes to a Vec (which cannot fail) and the
    // caller's writer gets the result.
    let compressed = ruzstd::encoding::compress_to_vec(input, CompressionLevel::Fastest);
    out.write_all(&compressed)
        .map_err(|e| CompressionError::encode(Compression::Zstd, e))?;
    Ok(out)
}

pub(super) fn decompress(input: &[u8], max_output: usize) -> Result<Vec<u8>, CompressionError> {
    let mut out = Vec::with_capacity(initial_capacity(input.len(), max_output));
    let max_window = DEFAULT_MAX_WINDOW.max(u64::try_from(max_output).unwrap_or(u64::MAX));
    let mut rest = input;
    let mut decoder = FrameDecoder::new();
    decoder.set_max_window_size(max_window);
    while !rest.is_empty() {
        // Reads the frame header from `rest`, which advances past it.
        let frame = match StreamingDecoder::new_with_decoder(&mut rest, &mut decoder) {
            Ok(frame) => frame,
            Err(FrameDecoderError::ReadFrameHeaderError(ReadFrameHeaderError::SkipFrame {
                length,
                ..
            })) => {
                let length = usize::try_from(length).unwrap_or(usize::MAX);
                rest = rest
                    .get(length..)
                    .ok_or_else(|| corrupt("skippable frame runs past the end of the input"))?;
                continue;
            }
            Err(e) => return Err(corrupt(e)),
        };
        // The frame borrows `decoder` until it is consumed here.
        read_to_end_bounded(Compression::Zstd, frame, max_output, &mut out)?;
        if !decoder.is_finished() {
            return Err(corrupt("frame cut short"));
        }
        if let (Some(expected), Some(actual)) = (
            decoder.get_checksum_from_data(),
            decoder.get_calculated_checksum(),
        ) {
            if expected != actual {
                return Err(corrupt(format!(
                    "content checksum mismatch ({expected:#010x} != {actual:#010x})"
                )));
            }
        }
    }
    Ok(out)
}

fn corrupt(message: impl std::fmt::Display) -> CompressionError {
    CompressionError::corrupt(Compression::Zstd, message)
}
