//! A bounds-checked cursor over a `Bytes` buffer that hands out zero-copy slices.

use bytes::Bytes;

use super::varint::{read_unsigned, unzigzag32, unzigzag64, MAX_VARINT_SIZE, MAX_VARLONG_SIZE};
use super::RecordError;

/// Reads big-endian integers, varints and byte slices from `buf`, failing with
/// [`RecordError::Malformed`] instead of reading past the end.
pub(crate) struct Reader<'a> {
    buf: &'a Bytes,
    pos: usize,
    end: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a Bytes) -> Self {
        Reader {
            buf,
            pos: 0,
            end: buf.len(),
        }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.end.saturating_sub(self.pos)
    }

    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    /// Restricts reading to the next `len` bytes until [`Reader::set_end`] restores the end.
    pub(crate) fn limit(&mut self, len: usize, what: &str) -> Result<usize, RecordError> {
        let outer = self.end;
        if len > self.remaining() {
            return Err(RecordError::malformed(format!(
                "{what} of {len} bytes runs past the end ({} left)",
                self.remaining()
            )));
        }
        self.end = self.pos + len;
        Ok(outer)
    }

    pub(crate) fn set_end(&mut self, end: usize) {
        self.end = end.min(self.buf.len());
    }

    fn take(&mut self, len: usize, what: &str) -> Result<&'a [u8], RecordError> {
        let end = self
            .pos
            .checked_add(len)
            .filter(|&end| end <= self.end)
            .ok_or_else(|| RecordError::malformed(format!("{what} cut short")))?;
        let slice = self
            .buf
            .get(self.pos..end)
            .ok_or_else(|| RecordError::malformed(format!("{what} cut short")))?;
        self.pos = end;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], RecordError> {
        let slice = self.take(N, what)?;
        <[u8; N]>::try_from(slice).map_err(|_| RecordError::malformed(format!("{what} cut short")))
    }

    pub(crate) fn i8(&mut self, what: &str) -> Result<i8, RecordError> {
        Ok(i8::from_be_bytes(self.array(what)?))
    }

    pub(crate) fn i16(&mut self, what: &str) -> Result<i16, RecordError> {
        Ok(i16::from_be_bytes(self.array(what)?))
    }

    pub(crate) fn i32(&mut self, what: &str) -> Result<i32, RecordError> {
        Ok(i32::from_be_bytes(self.array(what)?))
    }

    pub(crate) fn u32(&mut self, what: &str) -> Result<u32, RecordError> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }

    pub(crate) fn i64(&mut self, what: &str) -> Result<i64, RecordError> {
        Ok(i64::from_be_bytes(self.array(what)?))
    }

    pub(crate) fn varint(&mut self, what: &str) -> Result<i32, RecordError> {
        let rest = self.buf.get(self.pos..self.end).unwrap_or_default();
        let (raw, used) = read_unsigned(rest, MAX_VARINT_SIZE)
            .ok_or_else(|| RecordError::malformed(format!("bad varint for {what}")))?;
        self.pos += used;
        Ok(unzigzag32(raw as u32))
    }

    pub(crate) fn varlong(&mut self, what: &str) -> Result<i64, RecordError> {
        let rest = self.buf.get(self.pos..self.end).unwrap_or_default();
        let (raw, used) = read_unsigned(rest, MAX_VARLONG_SIZE)
            .ok_or_else(|| RecordError::malformed(format!("bad varlong for {what}")))?;
        self.pos += used;
        Ok(unzigzag64(raw))
    }

    /// `len` bytes as a zero-copy slice of the buffer.
    pub(crate) fn bytes(&mut self, len: usize, what: &str) -> Result<Bytes, RecordError> {
        let start = self.pos;
        self.take(len, what)?;
        Ok(self.buf.slice(start..self.pos))
    }

    /// A varint length followed by that many bytes; length -1 is null, below -1 an error.
    pub(crate) fn nullable_bytes(&mut self, what: &str) -> Result<Option<Bytes>, RecordError> {
        let len = self.varint(what)?;
        match len {
            -1 => Ok(None),
            len if len < -1 => Err(RecordError::malformed(format!(
                "negative length {len} for {what}"
            ))),
            len => self.bytes(len as usize, what).map(Some),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_reads_past_the_end() {
        let buf = Bytes::from_static(&[0, 1, 2, 3, 4, 5]);
        let mut r = Reader::new(&buf);
        assert_eq!(r.i32("a").unwrap(), 0x0001_0203);
        assert!(r.i32("b").is_err());
        assert_eq!(r.i16("c").unwrap(), 0x0405);
        assert!(r.i8("d").is_err());
        assert_eq!(r.remaining(), 0);

        let buf = Bytes::from_static(&[4, b'a', b'b', b'c']);
        let mut r = Reader::new(&buf);
        let outer = r.limit(3, "x").unwrap();
        // Varint 4 is length 2: "ab" fits inside the limit; a third byte would not.
        assert_eq!(r.nullable_bytes("k").unwrap().as_deref(), Some(&b"ab"[..]));
        assert!(r.i8("y").is_err());
        r.set_end(outer);
        assert_eq!(r.i8("z").unwrap(), b'c' as i8);
        assert!(r.limit(1, "w").is_err());
    }
}
