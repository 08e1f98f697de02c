//! Length-prefixed framing: every Kafka request and response is a big-endian `i32` size
//! followed by that many bytes.
//!
//! Decoding is incremental: [`FrameDecoder::decode`] returns `Ok(None)` until a whole frame is
//! buffered. The announced size is checked against the configured maximum
//! (`receive.message.max.bytes`) *before* any buffer grows for it, so a corrupt or hostile length
//! costs nothing.

use bytes::{Buf, BufMut, Bytes, BytesMut};

/// librdkafka's default for `receive.message.max.bytes`.
pub const DEFAULT_MAX_FRAME_SIZE: usize = 100_000_000;

/// Size of the length prefix.
pub const LENGTH_PREFIX: usize = 4;

/// The room [`FrameDecoder::decode`] may reserve for a frame's missing bytes even when fewer
/// are buffered (it reserves at most as many as are buffered otherwise).
pub const RESERVE_AHEAD_MIN: usize = 64 * 1024;

/// Why a frame was rejected.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The length prefix was negative.
    #[error("frame length {0} is negative")]
    NegativeLength(i32),
    /// The length prefix was larger than the configured maximum.
    #[error("frame length {size} exceeds the maximum of {max} bytes (receive.message.max.bytes)")]
    TooLarge {
        /// Announced size.
        size: usize,
        /// Configured maximum.
        max: usize,
    },
    /// A frame was too short to hold the header it must carry.
    #[error("frame of {size} bytes is too short for a {what}")]
    TooShort {
        /// Actual size.
        size: usize,
        /// What it should have held.
        what: &'static str,
    },
}

/// Splits a byte stream into frames.
#[derive(Debug, Clone, Copy)]
pub struct FrameDecoder {
    max_frame_size: usize,
}

impl Default for FrameDecoder {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_FRAME_SIZE)
    }
}

impl FrameDecoder {
    /// A decoder that rejects frames larger than `max_frame_size` bytes (not counting the prefix).
    pub fn new(max_frame_size: usize) -> Self {
        Self { max_frame_size }
    }

    /// The configured maximum frame size.
    pub fn max_frame_size(&self) -> usize {
        self.max_frame_size
    }

    /// Takes one whole frame (without its length prefix) off the front of `buf`.
    ///
    /// Returns `Ok(None)` when more bytes are needed; the buffer is then left untouched except
    /// that, once it is (nearly) full, room for more of the frame is reserved: as much as is
    /// buffered already (at least [`RESERVE_AHEAD_MIN`] bytes), never more than the frame
    /// still lacks. The buffer doubles as the frame's bytes arrive — at most twice what
    /// arrived — and an announced size that is never sent costs nothing.
    pub fn decode(&self, buf: &mut BytesMut) -> Result<Option<Bytes>, FrameError> {
        let Some(size) = self.peek_size(buf)? else {
            return Ok(None);
        };
        let total = LENGTH_PREFIX + size;
        if buf.len() < total {
            let missing = total - buf.len();
            if buf.capacity() - buf.len() < missing.min(RESERVE_AHEAD_MIN) {
                buf.reserve(missing.min(buf.len().max(RESERVE_AHEAD_MIN)));
            }
            return Ok(None);
        }
        buf.advance(LENGTH_PREFIX);
        Ok(Some(buf.split_to(size).freeze()))
    }

    /// Reads and validates the length prefix at the front of `buf`, if it is there yet.
    pub fn peek_size(&self, buf: &[u8]) -> Result<Option<usize>, FrameError> {
        let Some(prefix) = buf.get(..LENGTH_PREFIX) else {
            return Ok(None);
        };
        let raw = i32::from_be_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]);
        let size = usize::try_from(raw).map_err(|_| FrameError::NegativeLength(raw))?;
        if size > self.max_frame_size {
            return Err(FrameError::TooLarge {
                size,
                max: self.max_frame_size,
            });
        }
        Ok(Some(size))
    }
}

/// Writes `body` as one frame: length prefix, then the bytes.
pub fn encode_frame(body: &[u8], out: &mut BytesMut) -> Result<(), FrameError> {
    let size = i32::try_from(body.len()).map_err(|_| FrameError::TooLarge {
        size: body.len(),
        max: i32::MAX as usize,
    })?;
    out.reserve(LENGTH_PREFIX + body.len());
    out.put_i32(size);
    out.put_slice(body);
    Ok(())
}

/// Reads the correlation id that starts every response frame.
pub fn peek_correlation_id(frame: &[u8]) -> Result<i32, FrameError> {
    match frame.get(..4) {
        Some(b) => Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]])),
        None => Err(FrameError::TooShort {
            size: frame.len(),
            what: "response header",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn needs_more_bytes_until_whole() {
        let d = FrameDecoder::new(64);
        let mut buf = BytesMut::new();
        assert_eq!(d.decode(&mut buf), Ok(None));
        buf.put_slice(&[0, 0]);
        assert_eq!(d.decode(&mut buf), Ok(None));
        buf.put_slice(&[0, 3, b'a', b'b']);
        assert_eq!(d.decode(&mut buf), Ok(None));
        buf.put_slice(b"c!");
        assert_eq!(d.decode(&mut buf), Ok(Some(Bytes::from_static(b"abc"))));
        assert_eq!(&buf[..], b"!");
    }

    #[test]
    fn negative_length_rejected() {
        let mut buf = BytesMut::from(&[0xff, 0xff, 0xff, 0xfe][..]);
        assert_eq!(
            FrameDecoder::default().decode(&mut buf),
            Err(FrameError::NegativeLength(-2))
        );
    }

    #[test]
    fn oversized_length_rejected_before_allocating() {
        let mut buf = BytesMut::from(&[0x7f, 0xff, 0xff, 0xff][..]);
        let before = buf.capacity();
        assert_eq!(
            FrameDecoder::new(1024).decode(&mut buf),
            Err(FrameError::TooLarge {
                size: i32::MAX as usize,
                max: 1024
            })
        );
        assert_eq!(buf.capacity(), before);
    }

    #[test]
    fn an_announced_size_is_not_reserved_before_its_bytes_arrive() {
        let d = FrameDecoder::new(DEFAULT_MAX_FRAME_SIZE);
        let mut buf = BytesMut::new();
        buf.put_i32(90_000_000);
        buf.put_slice(&[0; 10]);
        assert_eq!(d.decode(&mut buf), Ok(None));
        assert!(
            buf.capacity() <= 2 * RESERVE_AHEAD_MIN,
            "{}",
            buf.capacity()
        );
        // Filled up to 1 MiB: room for about as much again, once.
        let mut buf = BytesMut::with_capacity(1 << 20);
        buf.put_i32(90_000_000);
        buf.put_slice(&vec![0; (1 << 20) - 4]);
        assert_eq!(d.decode(&mut buf), Ok(None));
        let grown = buf.capacity();
        assert!((2 << 20..=(2 << 20) + 64).contains(&grown), "{grown}");
        buf.put_slice(&[0; 10]);
        assert_eq!(d.decode(&mut buf), Ok(None));
        assert_eq!(buf.capacity(), grown);
    }

    #[test]
    fn short_correlation_id() {
        assert!(peek_correlation_id(&[1, 2]).is_err());
        assert_eq!(peek_correlation_id(&[0, 0, 1, 0, 9]), Ok(256));
    }

    proptest! {
        #[test]
        fn frames_round_trip_in_any_chunking(
            bodies in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..8),
            chunk in 1usize..50,
        ) {
            let mut wire = BytesMut::new();
            for b in &bodies {
                encode_frame(b, &mut wire).unwrap();
            }
            let d = FrameDecoder::new(1000);
            let mut buf = BytesMut::new();
            let mut got = Vec::new();
            for piece in wire.chunks(chunk) {
                buf.put_slice(piece);
                while let Some(f) = d.decode(&mut buf).unwrap() {
                    got.push(f.to_vec());
                }
            }
            prop_assert!(buf.is_empty());
            prop_assert_eq!(got, bodies);
        }
    }
}
