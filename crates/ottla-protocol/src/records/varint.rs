//! Kafka's zig-zag variable-length integers (protobuf style), as used inside record batches v2.

use bytes::BufMut;

/// Bytes `value` takes as a zig-zag varint.
pub(crate) fn varint_size(value: i32) -> usize {
    unsigned_size(u64::from(zigzag32(value)))
}

/// Bytes `value` takes as a zig-zag varlong.
pub(crate) fn varlong_size(value: i64) -> usize {
    unsigned_size(zigzag64(value))
}

/// The most bytes a varint takes.
pub(crate) const MAX_VARINT_SIZE: usize = 5;
/// The most bytes a varlong takes.
pub(crate) const MAX_VARLONG_SIZE: usize = 10;

pub(crate) fn put_varint<B: BufMut>(out: &mut B, value: i32) {
    put_unsigned(out, u64::from(zigzag32(value)));
}

pub(crate) fn put_varlong<B: BufMut>(out: &mut B, value: i64) {
    put_unsigned(out, zigzag64(value));
}

fn zigzag32(value: i32) -> u32 {
    ((value << 1) ^ (value >> 31)) as u32
}

fn zigzag64(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

pub(crate) fn unzigzag32(raw: u32) -> i32 {
    ((raw >> 1) as i32) ^ -((raw & 1) as i32)
}

pub(crate) fn unzigzag64(raw: u64) -> i64 {
    ((raw >> 1) as i64) ^ -((raw & 1) as i64)
}

fn unsigned_size(mut value: u64) -> usize {
    let mut size = 1;
    while value >= 0x80 {
        value >>= 7;
        size += 1;
    }
    size
}

pub(crate) fn put_unsigned<B: BufMut>(out: &mut B, mut value: u64) {
    while value >= 0x80 {
        out.put_u8((value as u8) | 0x80);
        value >>= 7;
    }
    out.put_u8(value as u8);
}

/// Reads an unsigned LEB128 value of at most `max_bytes` bytes from the front of `input`,
/// returning it and the bytes used, or `None` if the input ends first or the value is longer.
/// Bits beyond 64 are dropped, as Java's `ByteUtils` does beyond 32/64.
pub(crate) fn read_unsigned(input: &[u8], max_bytes: usize) -> Option<(u64, usize)> {
    let mut value: u64 = 0;
    for (i, &byte) in input.iter().take(max_bytes).enumerate() {
        value |= u64::from(byte & 0x7f).wrapping_shl(7 * i as u32);
        if byte & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn decode32(bytes: &[u8]) -> Option<(i32, usize)> {
        read_unsigned(bytes, MAX_VARINT_SIZE).map(|(v, n)| (unzigzag32(v as u32), n))
    }

    #[test]
    fn known_encodings() {
        let cases: [(i32, &[u8]); 6] = [
            (0, &[0]),
            (-1, &[1]),
            (1, &[2]),
            (63, &[0x7e]),
            (-64, &[0x7f]),
            (64, &[0x80, 0x01]),
        ];
        for (value, bytes) in cases {
            let mut out = Vec::new();
            put_varint(&mut out, value);
            assert_eq!(out, bytes, "{value}");
            assert_eq!(varint_size(value), bytes.len());
            assert_eq!(decode32(bytes), Some((value, bytes.len())));
        }
        let mut out = Vec::new();
        put_varint(&mut out, i32::MIN);
        assert_eq!(out, [0xff, 0xff, 0xff, 0xff, 0x0f]);
        assert_eq!(varlong_size(i64::MIN), 10);
    }

    #[test]
    fn rejects_too_long_or_cut_short() {
        assert_eq!(decode32(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), None);
        assert_eq!(decode32(&[0x80]), None);
        assert_eq!(decode32(&[]), None);
    }

    proptest! {
        #[test]
        fn round_trip_32(value in any::<i32>()) {
            let mut out = Vec::new();
            put_varint(&mut out, value);
            prop_assert_eq!(out.len(), varint_size(value));
            prop_assert_eq!(decode32(&out), Some((value, out.len())));
        }

        #[test]
        fn round_trip_64(value in any::<i64>()) {
            let mut out = Vec::new();
            put_varlong(&mut out, value);
            prop_assert_eq!(out.len(), varlong_size(value));
            let (raw, n) = read_unsigned(&out, MAX_VARLONG_SIZE).unwrap();
            prop_assert_eq!((unzigzag64(raw), n), (value, out.len()));
        }
    }
}
