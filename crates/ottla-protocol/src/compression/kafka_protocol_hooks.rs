//! Our codecs plugged into kafka-protocol's custom-compression hooks
//! (`RecordBatchEncoder::encode_with_custom_compression` and
//! `RecordBatchDecoder::decode_with_custom_compression`), so its record codec never needs its
//! own C-backed codec features.

use bytes::{Bytes, BytesMut};
use kafka_protocol::protocol::buf::ByteBufMut;
use kafka_protocol::records::Compression as KpCompression;

use super::{compress, decompress, Compression};

impl From<KpCompression> for Compression {
    fn from(c: KpCompression) -> Self {
        match c {
            KpCompression::None => Compression::None,
            KpCompression::Gzip => Compression::Gzip,
            KpCompression::Snappy => Compression::Snappy,
            KpCompression::Lz4 => Compression::Lz4,
            KpCompression::Zstd => Compression::Zstd,
        }
    }
}

impl From<Compression> for KpCompression {
    fn from(c: Compression) -> Self {
        match c {
            Compression::None => KpCompression::None,
            Compression::Gzip => KpCompression::Gzip,
            Compression::Snappy => KpCompression::Snappy,
            Compression::Lz4 => KpCompression::Lz4,
            Compression::Zstd => KpCompression::Zstd,
        }
    }
}

/// A compressor for `RecordBatchEncoder::encode_with_custom_compression`: compresses the
/// encoded records with `level` (see [`compress`]) and appends them to the batch buffer.
///
/// ```
/// use kafka_protocol::records::{RecordBatchEncoder, RecordEncodeOptions};
/// use ottla_protocol::compression::kafka_protocol_compressor;
/// # let records: Vec<kafka_protocol::records::Record> = Vec::new();
/// let mut buf = bytes::BytesMut::new();
/// let options = RecordEncodeOptions {
///     version: 2,
///     compression: kafka_protocol::records::Compression::Lz4,
/// };
/// RecordBatchEncoder::encode_with_custom_compression(
///     &mut buf,
///     &records,
///     &options,
///     Some(kafka_protocol_compressor(None)),
/// )
/// .unwrap();
/// ```
pub fn kafka_protocol_compressor<B: ByteBufMut>(
    level: Option<i32>,
) -> impl Fn(&mut BytesMut, &mut B, KpCompression) -> anyhow::Result<()> {
    move |records: &mut BytesMut, out: &mut B, codec: KpCompression| {
        let codec = Compression::from(codec);
        if codec == Compression::None {
            out.put_slice(records);
            return Ok(());
        }
        let mut compressed = Vec::new();
        compress(codec, level, records, &mut compressed)?;
        out.put_slice(&compressed);
        Ok(())
    }
}

/// A decompressor for `RecordBatchDecoder::decode_with_custom_compression`, refusing to
/// produce more than `max_output` bytes per batch. Uncompressed records are passed through
/// without copying.
pub fn kafka_protocol_decompressor(
    max_output: usize,
) -> impl Fn(&mut Bytes, KpCompression) -> anyhow::Result<Bytes> {
    move |input: &mut Bytes, codec: KpCompression| {
        let codec = Compression::from(codec);
        let input = std::mem::take(input);
        if codec == Compression::None {
            return Ok(input);
        }
        Ok(Bytes::from(decompress(codec, &input, max_output)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use indexmap::IndexMap;
    use kafka_protocol::protocol::StrBytes;
    use kafka_protocol::records::{
        Record, RecordBatchDecoder, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
    };

    fn records() -> Vec<Record> {
        (0..200i64)
            .map(|i| Record {
                transactional: false,
                control: false,
                delete_horizon: false,
                partition_leader_epoch: 3,
                producer_id: 77,
                producer_epoch: 1,
                timestamp_type: TimestampType::Creation,
                offset: i,
                sequence: i as i32,
                timestamp: 1_700_000_000_000 + i,
                key: (i % 3 != 0).then(|| Bytes::from(format!("key-{i}"))),
                value: (i % 5 != 0).then(|| Bytes::from(format!("value {i} ").repeat(20))),
                headers: IndexMap::from([(
                    StrBytes::from_string(format!("h{i}")),
                    Some(Bytes::from_static(b"v")),
                )]),
            })
            .collect()
    }

    #[test]
    fn kafka_protocol_round_trip_through_our_hooks_for_every_codec() {
        let records = records();
        for codec in Compression::ALL {
            let mut buf = BytesMut::new();
            let options = RecordEncodeOptions {
                version: 2,
                compression: codec.into(),
            };
            RecordBatchEncoder::encode_with_custom_compression(
                &mut buf,
                &records,
                &options,
                Some(kafka_protocol_compressor(None)),
            )
            .unwrap();
            let mut bytes = buf.freeze();
            let set = RecordBatchDecoder::decode_with_custom_compression(
                &mut bytes,
                Some(kafka_protocol_decompressor(64 << 20)),
            )
            .unwrap();
            assert!(bytes.is_empty(), "{codec}");
            assert_eq!(Compression::from(set.compression), codec);
            assert_eq!(set.records, records, "{codec}");
        }
    }

    #[test]
    fn decompressor_enforces_its_limit() {
        let records = records();
        let mut buf = BytesMut::new();
        let options = RecordEncodeOptions {
            version: 2,
            compression: KpCompression::Gzip,
        };
        RecordBatchEncoder::encode_with_custom_compression(
            &mut buf,
            &records,
            &options,
            Some(kafka_protocol_compressor(Some(9))),
        )
        .unwrap();
        let mut bytes = buf.freeze();
        let err = RecordBatchDecoder::decode_with_custom_compression(
            &mut bytes,
            Some(kafka_protocol_decompressor(1000)),
        )
        .unwrap_err();
        assert!(err.to_string().contains("limit"), "{err}");
    }
}
