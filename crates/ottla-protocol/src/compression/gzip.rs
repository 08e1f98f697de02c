//! gzip: flate2 on miniz_oxide. Encodes one gzip member; decodes any number of members.

use std::io::Write;

use flate2::write::GzEncoder;

use super::bounded_output::{initial_capacity, read_to_end_bounded};
use super::{Compression, CompressionError};

/// The level used when none is given (zlib's default, what Java's `GZIPOutputStream` uses).
pub(super) const DEFAULT_LEVEL: u32 = 6;

pub(super) fn compress<W: Write>(level: u32, input: &[u8], out: W) -> Result<W, CompressionError> {
    let mut encoder = GzEncoder::new(out, flate2::Compression::new(level));
    encoder
        .write_all(input)
        .map_err(|e| CompressionError::encode(Compression::Gzip, e))?;
    encoder
        .finish()
        .map_err(|e| CompressionError::encode(Compression::Gzip, e))
}

pub(super) fn decompress(input: &[u8], max_output: usize) -> Result<Vec<u8>, CompressionError> {
    let mut out = Vec::with_capacity(initial_capacity(input.len(), max_output));
    let decoder = flate2::read::MultiGzDecoder::new(input);
    read_to_end_bounded(Compression::Gzip, decoder, max_output, &mut out)?;
    Ok(out)
}
