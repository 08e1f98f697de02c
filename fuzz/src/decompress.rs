//! Target `decompress`: every codec's decompressor, with the output limit.
//!
//! Input: byte 0 picks the codec (modulo 5, in [`Compression::ALL`] order), the rest is the
//! compressed data. When decompression succeeds the output is within the limit, and compressing
//! it again and decompressing that (with the limit set to exactly its size) gives it back.

use ottla_protocol::compression::{compress, decompress, Compression};

use crate::MAX_DECOMPRESSED;

/// The codec byte 0 selects.
pub fn codec_of(byte: u8) -> Compression {
    let all = Compression::ALL;
    all[usize::from(byte) % all.len()]
}

/// The byte that selects `codec` (for building seeds).
pub fn codec_byte(codec: Compression) -> u8 {
    Compression::ALL
        .iter()
        .position(|&c| c == codec)
        .and_then(|i| u8::try_from(i).ok())
        .unwrap_or(0)
}

/// Decompresses `data[1..]` with the codec `data[0]` picks; `true` if it decompressed.
pub fn check(data: &[u8]) -> bool {
    let Some((&codec_byte, input)) = data.split_first() else {
        return false;
    };
    let codec = codec_of(codec_byte);
    let Ok(output) = decompress(codec, input, MAX_DECOMPRESSED) else {
        return false;
    };
    assert!(
        output.len() <= MAX_DECOMPRESSED,
        "{codec}: {} bytes out, over the limit",
        output.len()
    );
    let mut again = Vec::new();
    compress(codec, None, &output, &mut again).expect("compressing decompressed data");
    let round = decompress(codec, &again, output.len())
        .expect("our own compressed output decompresses within its exact size");
    assert!(round == output, "{codec}: round trip changed the data");
    true
}
