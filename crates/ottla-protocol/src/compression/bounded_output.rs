//! Reading a decompressor's output with a hard limit (the decompression-bomb guard).

use std::io::Read;

use super::{Compression, CompressionError};

/// Reads `reader` to its end, appending to `out`, and fails with
/// [`CompressionError::TooLarge`] as soon as `out` would grow past `max_output` bytes.
pub(super) fn read_to_end_bounded<R: Read>(
    codec: Compression,
    reader: R,
    max_output: usize,
    out: &mut Vec<u8>,
) -> Result<(), CompressionError> {
    let room = max_output.saturating_sub(out.len());
    // One byte more than the room left: reading it proves the output is too large.
    let limit = u64::try_from(room).unwrap_or(u64::MAX).saturating_add(1);
    reader
        .take(limit)
        .read_to_end(out)
        .map_err(|e| CompressionError::corrupt(codec, e))?;
    if out.len() > max_output {
        return Err(CompressionError::TooLarge {
            codec,
            limit: max_output,
        });
    }
    Ok(())
}

/// A first capacity for the output of decompressing `input_len` bytes: a guess of 4× the
/// input, never more than the limit.
pub(super) fn initial_capacity(input_len: usize, max_output: usize) -> usize {
    input_len.saturating_mul(4).min(max_output)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_past_the_limit() {
        let data = [7u8; 100];
        let mut out = Vec::new();
        read_to_end_bounded(Compression::Gzip, &data[..], 100, &mut out).unwrap();
        assert_eq!(out.len(), 100);
        let mut out = Vec::new();
        let err = read_to_end_bounded(Compression::Gzip, &data[..], 99, &mut out).unwrap_err();
        assert_eq!(
            err,
            CompressionError::TooLarge {
                codec: Compression::Gzip,
                limit: 99
            }
        );
        assert!(out.len() <= 100);
    }
}
