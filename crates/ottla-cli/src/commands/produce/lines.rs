//! Input split into lines without a copy per line: each line is a slice of a shared chunk.

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt};

/// Bytes read from the input at a time. Large: a file is read through tokio's blocking pool,
/// one hand-off per read (64 KiB chunks cost ottla perf's 1 GB file 16,000 of them).
pub const CHUNK: usize = 1024 * 1024;

/// A line longer than the limit.
#[derive(Debug, thiserror::Error)]
pub enum LineError {
    /// Reading failed.
    #[error("cannot read the input: {0}")]
    Io(#[from] std::io::Error),
    /// A line is longer than any record may be.
    #[error("line {line} is longer than {limit} bytes (message.max.bytes)")]
    TooLong {
        /// 1-based line number.
        line: u64,
        /// The limit.
        limit: usize,
    },
}

/// Reads lines ending in `\n` (a `\r` before it is dropped; a last line without `\n` counts).
#[derive(Debug)]
pub struct Lines<R> {
    input: R,
    buf: BytesMut,
    chunk: usize,
    max_line: usize,
    line: u64,
    eof: bool,
}

impl<R: AsyncRead + Unpin> Lines<R> {
    /// Lines of `input`; a line of more than `max_line` bytes is an error (it could not be
    /// sent anyway, and reading it whole would take memory without bound).
    pub fn new(input: R, max_line: usize) -> Self {
        Self::with_chunk(input, max_line, CHUNK)
    }

    fn with_chunk(input: R, max_line: usize, chunk: usize) -> Self {
        Self {
            input,
            buf: BytesMut::new(),
            chunk: chunk.max(1),
            max_line,
            line: 0,
            eof: false,
        }
    }

    /// The next line, `None` at the end of the input.
    pub async fn next_line(&mut self) -> Result<Option<Bytes>, LineError> {
        let mut scanned = 0;
        loop {
            let found = self
                .buf
                .get(scanned..)
                .and_then(|rest| memchr::memchr(b'\n', rest));
            if let Some(i) = found {
                let mut line = self.buf.split_to(scanned + i + 1);
                line.truncate(scanned + i);
                return self.finish(line).map(Some);
            }
            scanned = self.buf.len();
            if self.eof {
                if self.buf.is_empty() {
                    return Ok(None);
                }
                let line = self.buf.split();
                return self.finish(line).map(Some);
            }
            if scanned > self.max_line + 1 {
                return Err(LineError::TooLong {
                    line: self.line + 1,
                    limit: self.max_line,
                });
            }
            self.buf.reserve(self.chunk);
            if self.input.read_buf(&mut self.buf).await? == 0 {
                self.eof = true;
            }
        }
    }

    fn finish(&mut self, mut line: BytesMut) -> Result<Bytes, LineError> {
        self.line += 1;
        if line.last() == Some(&b'\r') {
            line.truncate(line.len() - 1);
        }
        if line.len() > self.max_line {
            return Err(LineError::TooLong {
                line: self.line,
                limit: self.max_line,
            });
        }
        Ok(line.freeze())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn all(input: &[u8], chunk: usize, max: usize) -> Result<Vec<Bytes>, LineError> {
        let mut lines = Lines::with_chunk(input, max, chunk);
        let mut out = Vec::new();
        while let Some(l) = lines.next_line().await? {
            out.push(l);
        }
        Ok(out)
    }

    #[tokio::test]
    async fn lines_across_chunk_boundaries() {
        let input = b"alpha\r\nbe\n\nlast without newline";
        for chunk in [1, 2, 3, 7, 64] {
            let got = all(input, chunk, 100).await.unwrap();
            assert_eq!(
                got,
                vec![
                    Bytes::from_static(b"alpha"),
                    Bytes::from_static(b"be"),
                    Bytes::new(),
                    Bytes::from_static(b"last without newline"),
                ],
                "chunk {chunk}"
            );
        }
        assert!(all(b"", 4, 10).await.unwrap().is_empty());
        assert_eq!(all(b"\n", 4, 10).await.unwrap(), vec![Bytes::new()]);
    }

    #[tokio::test]
    async fn a_line_over_the_limit_is_an_error_naming_it() {
        for chunk in [1, 4, 1024] {
            let err = all(b"ok\n0123456789\n", chunk, 5).await.unwrap_err();
            assert!(
                matches!(err, LineError::TooLong { line: 2, limit: 5 }),
                "chunk {chunk}: {err}"
            );
        }
        // Exactly at the limit (with \r\n) is fine.
        assert_eq!(all(b"12345\r\n", 2, 5).await.unwrap().len(), 1);
        // An endless line stops being read soon after the limit.
        let endless = vec![b'x'; 10_000];
        let err = all(&endless, 16, 100).await.unwrap_err();
        assert!(matches!(err, LineError::TooLong { line: 1, .. }));
    }
}
