//! A bare-bones Kafka client over a raw `TcpStream` for testing the mock, plus request builders.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::{
    FetchRequest, ListOffsetsRequest, MetadataRequest, ProduceRequest, TopicName,
};
use kafka_protocol::protocol::{Request, StrBytes};
use kafka_protocol::records::{
    Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};
use ottla_protocol::frame::FrameDecoder;
use ottla_protocol::request::encode_request;
use ottla_protocol::response::decode_response;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Longest any single read in a test may take.
pub const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// How a read ended.
#[derive(Debug, PartialEq, Eq)]
pub enum ReadEnd {
    /// A whole frame.
    Frame(Bytes),
    /// The server closed the connection with this many bytes of an unfinished frame buffered.
    Eof { buffered: usize },
}

/// One connection speaking raw Kafka frames.
pub struct RawClient {
    stream: TcpStream,
    buf: BytesMut,
    decoder: FrameDecoder,
    next_correlation_id: i32,
}

impl RawClient {
    pub async fn connect(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr)
            .await
            .expect("connect to mock broker");
        Self {
            stream,
            buf: BytesMut::new(),
            decoder: FrameDecoder::default(),
            next_correlation_id: 1,
        }
    }

    /// Sends `request` at `version`; returns its correlation id.
    pub async fn send<R: Request>(&mut self, request: &R, version: i16) -> i32 {
        let correlation_id = self.next_correlation_id;
        self.next_correlation_id += 1;
        let mut out = BytesMut::new();
        encode_request(
            request,
            version,
            correlation_id,
            Some("mock-test"),
            &mut out,
        )
        .expect("encode request");
        self.write_raw(&out).await;
        correlation_id
    }

    pub async fn write_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.expect("write");
    }

    /// The next frame, or end-of-stream; panics after [`READ_TIMEOUT`].
    pub async fn read(&mut self) -> ReadEnd {
        tokio::time::timeout(READ_TIMEOUT, self.read_inner())
            .await
            .expect("read timed out")
    }

    async fn read_inner(&mut self) -> ReadEnd {
        loop {
            if let Some(frame) = self.decoder.decode(&mut self.buf).expect("frame") {
                return ReadEnd::Frame(frame);
            }
            match self.stream.read_buf(&mut self.buf).await {
                Ok(0) | Err(_) => {
                    return ReadEnd::Eof {
                        buffered: self.buf.len(),
                    }
                }
                Ok(_) => {}
            }
        }
    }

    /// Every byte until the server closes the connection (no frame decoding).
    pub async fn read_to_end(&mut self) -> Vec<u8> {
        let mut out = self.buf.split().to_vec();
        tokio::time::timeout(READ_TIMEOUT, async {
            // A reset after the data is also an end.
            let _ = self.stream.read_to_end(&mut out).await;
        })
        .await
        .expect("read_to_end timed out");
        out
    }

    /// Whether the server has closed the connection (reads until EOF, failing on a frame).
    pub async fn expect_closed(&mut self) {
        match self.read().await {
            ReadEnd::Eof { buffered: 0 } => {}
            other => panic!("expected the connection to close, got {other:?}"),
        }
    }

    pub async fn expect_frame(&mut self) -> Bytes {
        match self.read().await {
            ReadEnd::Frame(f) => f,
            other => panic!("expected a frame, got {other:?}"),
        }
    }

    /// Sends and decodes the response, checking the correlation id.
    pub async fn call<R: Request>(&mut self, request: &R, version: i16) -> R::Response {
        let correlation_id = self.send(request, version).await;
        let frame = self.expect_frame().await;
        decode_response::<R>(frame, version, correlation_id).expect("decode response")
    }
}

pub fn topic_name(name: &str) -> TopicName {
    TopicName(StrBytes::from_string(name.to_owned()))
}

/// An uncompressed record batch with `values` stamped `timestamps` (same length).
pub fn batch(values: &[&str], timestamps: &[i64]) -> Bytes {
    encode_batch(values, timestamps, (-1, -1, 0), false)
}

/// An idempotent producer's batch: `values` from `producer_id`/`epoch` starting at sequence
/// `base_sequence`.
pub fn idempotent_batch(
    values: &[&str],
    producer_id: i64,
    epoch: i16,
    base_sequence: i32,
) -> Bytes {
    encode_batch(
        values,
        &vec![1; values.len()],
        (producer_id, epoch, base_sequence),
        false,
    )
}

/// A transactional producer's batch: `values` from `producer_id`/`epoch` starting at sequence
/// `base_sequence`, with the transactional bit set.
pub fn transactional_batch(
    values: &[&str],
    producer_id: i64,
    epoch: i16,
    base_sequence: i32,
) -> Bytes {
    encode_batch(
        values,
        &vec![1; values.len()],
        (producer_id, epoch, base_sequence),
        true,
    )
}

fn encode_batch(
    values: &[&str],
    timestamps: &[i64],
    (producer_id, producer_epoch, base_sequence): (i64, i16, i32),
    transactional: bool,
) -> Bytes {
    assert_eq!(values.len(), timestamps.len());
    let records: Vec<Record> = values
        .iter()
        .zip(timestamps)
        .enumerate()
        .map(|(i, (v, &ts))| Record {
            transactional,
            control: false,
            delete_horizon: false,
            partition_leader_epoch: -1,
            producer_id,
            producer_epoch,
            timestamp_type: TimestampType::Creation,
            offset: i as i64,
            // kafka-protocol starts a new batch wherever offset - sequence changes.
            sequence: base_sequence + i as i32,
            timestamp: ts,
            key: Some(Bytes::from(format!("k{i}"))),
            value: Some(Bytes::copy_from_slice(v.as_bytes())),
            headers: Default::default(),
        })
        .collect();
    let mut out = BytesMut::new();
    RecordBatchEncoder::encode(
        &mut out,
        &records,
        &RecordEncodeOptions {
            version: 2,
            compression: Compression::None,
        },
    )
    .expect("encode batch");
    out.freeze()
}

/// `batch` as the broker stores it: base offset and partition leader epoch rewritten.
pub fn as_stored(batch: &[u8], base_offset: i64, leader_epoch: i32) -> Vec<u8> {
    let mut v = batch.to_vec();
    v[0..8].copy_from_slice(&base_offset.to_be_bytes());
    v[12..16].copy_from_slice(&leader_epoch.to_be_bytes());
    v
}

pub fn produce_request(topic: &str, partition: i32, records: Bytes, acks: i16) -> ProduceRequest {
    ProduceRequest::default()
        .with_acks(acks)
        .with_timeout_ms(5000)
        .with_topic_data(vec![TopicProduceData::default()
            .with_name(topic_name(topic))
            .with_partition_data(vec![PartitionProduceData::default()
                .with_index(partition)
                .with_records(Some(records))])])
}

pub fn fetch_request(topic: &str, partition: i32, offset: i64, max_wait_ms: i32) -> FetchRequest {
    FetchRequest::default()
        .with_max_wait_ms(max_wait_ms)
        .with_min_bytes(1)
        .with_max_bytes(50 * 1024 * 1024)
        .with_topics(vec![FetchTopic::default()
            .with_topic(topic_name(topic))
            .with_partitions(vec![FetchPartition::default()
                .with_partition(partition)
                .with_fetch_offset(offset)
                .with_partition_max_bytes(1024 * 1024)])])
}

pub fn list_offsets_request(topic: &str, partition: i32, timestamp: i64) -> ListOffsetsRequest {
    ListOffsetsRequest::default()
        .with_replica_id((-1).into())
        .with_topics(vec![ListOffsetsTopic::default()
            .with_name(topic_name(topic))
            .with_partitions(vec![ListOffsetsPartition::default()
                .with_partition_index(partition)
                .with_timestamp(timestamp)])])
}

pub fn metadata_request(topics: Option<&[&str]>) -> MetadataRequest {
    use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
    MetadataRequest::default().with_topics(topics.map(|ts| {
        ts.iter()
            .map(|t| MetadataRequestTopic::default().with_name(Some(topic_name(t))))
            .collect()
    }))
}

/// Produces one batch at Produce v11 and returns (error code, base offset).
pub async fn produce(
    client: &mut RawClient,
    topic: &str,
    partition: i32,
    records: Bytes,
) -> (i16, i64) {
    let response = client
        .call(&produce_request(topic, partition, records, -1), 11)
        .await;
    let p = &response.responses[0].partition_responses[0];
    (p.error_code, p.base_offset)
}
