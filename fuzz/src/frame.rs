//! Target `frame`: the incremental frame decoder over any chunking of a byte stream.
//!
//! Input: byte 0 picks the chunk size (1..=256), the rest is the stream. Every frame returned
//! must be at most the maximum size and re-encode to exactly the bytes it was cut from; bytes
//! not yet consumed stay in the buffer unchanged.

use bytes::{BufMut, BytesMut};
use ottla_protocol::frame::{encode_frame, FrameDecoder, LENGTH_PREFIX};

/// The maximum frame size the decoder is built with.
pub const MAX_FRAME: usize = 1 << 20;

/// Runs the decoder over `data`; `true` if at least one frame came out.
pub fn check(data: &[u8]) -> bool {
    let Some((&chunk_byte, stream)) = data.split_first() else {
        return false;
    };
    let chunk = usize::from(chunk_byte) + 1;
    let decoder = FrameDecoder::new(MAX_FRAME);
    let mut buf = BytesMut::new();
    // `stream[consumed..fed]` is what `buf` must hold.
    let mut consumed = 0usize;
    let mut fed = 0usize;
    let mut frames = 0usize;
    for piece in stream.chunks(chunk) {
        buf.put_slice(piece);
        fed += piece.len();
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(frame)) => {
                    assert!(frame.len() <= MAX_FRAME, "frame of {} bytes", frame.len());
                    let end = consumed + LENGTH_PREFIX + frame.len();
                    let mut encoded = BytesMut::new();
                    encode_frame(&frame, &mut encoded).expect("a decoded frame re-encodes");
                    let cut_from = stream
                        .get(consumed..end)
                        .expect("a frame extends past the bytes fed");
                    assert_eq!(
                        &encoded[..],
                        cut_from,
                        "re-encoded frame differs from the bytes it was cut from"
                    );
                    consumed = end;
                    frames += 1;
                }
                Ok(None) => break,
                // A connection would be closed here: nothing more to check.
                Err(_) => return frames > 0,
            }
            assert_eq!(&buf[..], &stream[consumed..fed], "unconsumed bytes changed");
        }
        assert_eq!(&buf[..], &stream[consumed..fed], "unconsumed bytes changed");
        assert!(
            buf.len() < LENGTH_PREFIX + MAX_FRAME,
            "a whole frame was left in the buffer"
        );
    }
    frames > 0
}
