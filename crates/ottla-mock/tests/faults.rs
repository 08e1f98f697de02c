//! Each kind of injected fault, observed from the client's side.

mod common;

use std::time::{Duration, Instant};

use bytes::BytesMut;
use common::*;
use kafka_protocol::messages::create_topics_request::CreatableTopic;
use kafka_protocol::messages::produce_request::PartitionProduceData;
use kafka_protocol::messages::{ApiKey, CreateTopicsRequest, MetadataRequest, ProduceRequest};
use kafka_protocol::ResponseError;
use ottla_mock::{ErrorTarget, Fault, MockCluster};
use ottla_protocol::frame::{FrameDecoder, FrameError};
use ottla_protocol::response::decode_response;
use ottla_protocol::ProtocolError;

const NOT_LEADER: i16 = ResponseError::NotLeaderOrFollower.code();
const LEADER_NOT_AVAILABLE: i16 = ResponseError::LeaderNotAvailable.code();

async fn one_broker() -> MockCluster {
    MockCluster::builder().topic("t", 2).start().await.unwrap()
}

#[tokio::test]
async fn produce_partition_error_skips_only_that_partition() {
    let cluster = one_broker().await;
    let mut c = RawClient::connect(cluster.broker_addr(1).unwrap()).await;
    cluster.inject(
        Fault::new(ApiKey::Produce).error(ErrorTarget::Partition("t".into(), 1), NOT_LEADER),
    );
    let mut request = produce_request("t", 0, batch(&["a"], &[1]), -1);
    request.topic_data[0].partition_data.push(
        PartitionProduceData::default()
            .with_index(1)
            .with_records(Some(batch(&["b"], &[1]))),
    );
    let r = c.call(&request, 11).await;
    let codes: Vec<(i16, i64)> = r.responses[0]
        .partition_responses
        .iter()
        .map(|p| (p.error_code, p.base_offset))
        .collect();
    assert_eq!(codes, vec![(0, 0), (NOT_LEADER, -1)]);
    assert_eq!(cluster.high_watermark("t", 0).unwrap(), 1);
    assert_eq!(cluster.high_watermark("t", 1).unwrap(), 0);
    // Used up: the same request now succeeds everywhere.
    let r = c.call(&request, 11).await;
    assert!(r.responses[0]
        .partition_responses
        .iter()
        .all(|p| p.error_code == 0));
    assert_eq!(cluster.high_watermark("t", 1).unwrap(), 1);
}

#[tokio::test]
async fn fetch_top_level_error_or_every_partition_on_old_versions() {
    let cluster = one_broker().await;
    let mut c = RawClient::connect(cluster.broker_addr(1).unwrap()).await;
    let code = ResponseError::UnknownServerError.code();
    cluster.inject(
        Fault::new(ApiKey::Fetch)
            .times(2)
            .error(ErrorTarget::Response, code),
    );
    // v7+ has a top-level error code.
    let r = c.call(&fetch_request("t", 0, 0, 0), 12).await;
    assert_eq!(r.error_code, code);
    assert!(r.responses.is_empty());
    // v4 has none: every partition carries it.
    let r = c.call(&fetch_request("t", 0, 0, 0), 4).await;
    assert_eq!(r.responses[0].partitions[0].error_code, code);
    assert_eq!(r.responses[0].partitions[0].high_watermark, -1);
    let r = c.call(&fetch_request("t", 0, 0, 0), 12).await;
    assert_eq!(r.error_code, 0);
}

#[tokio::test]
async fn metadata_topic_and_partition_errors() {
    let cluster = one_broker().await;
    let mut c = RawClient::connect(cluster.broker_addr(1).unwrap()).await;
    cluster.inject(
        Fault::new(ApiKey::Metadata).error(ErrorTarget::Topic("t".into()), LEADER_NOT_AVAILABLE),
    );
    let r = c
        .call(&MetadataRequest::default().with_topics(None), 12)
        .await;
    assert_eq!(r.topics[0].error_code, LEADER_NOT_AVAILABLE);
    assert!(r.topics[0].partitions.is_empty());
    cluster.inject(
        Fault::new(ApiKey::Metadata)
            .error(ErrorTarget::Partition("t".into(), 1), LEADER_NOT_AVAILABLE),
    );
    let r = c
        .call(&MetadataRequest::default().with_topics(None), 12)
        .await;
    assert_eq!(r.topics[0].error_code, 0);
    let codes: Vec<i16> = r.topics[0]
        .partitions
        .iter()
        .map(|p| p.error_code)
        .collect();
    assert_eq!(codes, vec![0, LEADER_NOT_AVAILABLE]);
}

#[tokio::test]
async fn list_offsets_and_create_topics_errors() {
    let cluster = one_broker().await;
    let mut c = RawClient::connect(cluster.broker_addr(1).unwrap()).await;
    let code = ResponseError::OffsetNotAvailable.code();
    cluster.inject(Fault::new(ApiKey::ListOffsets).error(ErrorTarget::AllEntries, code));
    let r = c.call(&list_offsets_request("t", 1, -1), 9).await;
    assert_eq!(r.topics[0].partitions[0].error_code, code);

    let code = ResponseError::PolicyViolation.code();
    cluster.inject(Fault::new(ApiKey::CreateTopics).error(ErrorTarget::Topic("x".into()), code));
    let request = CreateTopicsRequest::default().with_topics(vec![
        CreatableTopic::default()
            .with_name(topic_name("x"))
            .with_num_partitions(1)
            .with_replication_factor(1),
        CreatableTopic::default()
            .with_name(topic_name("y"))
            .with_num_partitions(1)
            .with_replication_factor(1),
    ]);
    let r = c.call(&request, 7).await;
    let codes: Vec<i16> = r.topics.iter().map(|t| t.error_code).collect();
    assert_eq!(codes, vec![code, 0]);
    assert_eq!(cluster.topics(), vec!["t", "y"]);
}

#[tokio::test]
async fn delay_holds_the_response() {
    let cluster = one_broker().await;
    let mut c = RawClient::connect(cluster.broker_addr(1).unwrap()).await;
    let delay = Duration::from_millis(300);
    let id = cluster.inject(Fault::new(ApiKey::Metadata).delay(delay));
    let start = Instant::now();
    c.call(&MetadataRequest::default().with_topics(None), 12)
        .await;
    let waited = start.elapsed();
    assert!(waited >= delay, "{waited:?}");
    c.call(&MetadataRequest::default().with_topics(None), 12)
        .await;
    assert_eq!(
        cluster.fault_hits(id),
        Some(1),
        "the fault applied once only"
    );
    assert_eq!(cluster.request_count(ApiKey::Metadata), 2);

    // A delayed drop: the connection stays silent, then closes.
    cluster.inject(Fault::new(ApiKey::Metadata).delay(delay).drop_connection());
    let start = Instant::now();
    c.send(&MetadataRequest::default().with_topics(None), 12)
        .await;
    c.expect_closed().await;
    let waited = start.elapsed();
    assert!(waited >= delay, "{waited:?}");
}

#[tokio::test]
async fn wrong_correlation_id_is_seen() {
    let cluster = one_broker().await;
    let mut c = RawClient::connect(cluster.broker_addr(1).unwrap()).await;
    cluster.inject(Fault::new(ApiKey::Metadata).wrong_correlation_id());
    let corr = c
        .send(&MetadataRequest::default().with_topics(None), 12)
        .await;
    let frame = c.expect_frame().await;
    match decode_response::<MetadataRequest>(frame, 12, corr) {
        Err(ProtocolError::CorrelationMismatch {
            expected, actual, ..
        }) => {
            assert_eq!(expected, corr);
            assert_eq!(actual, !corr);
        }
        other => panic!("expected a correlation mismatch, got {other:?}"),
    }
}

#[tokio::test]
async fn truncated_frame_ends_mid_frame() {
    let cluster = one_broker().await;
    let mut c = RawClient::connect(cluster.broker_addr(1).unwrap()).await;
    cluster.inject(Fault::new(ApiKey::Metadata).truncated_frame());
    c.send(&MetadataRequest::default().with_topics(None), 12)
        .await;
    let bytes = c.read_to_end().await;
    let announced = i32::from_be_bytes(bytes[..4].try_into().unwrap()) as usize;
    assert!(bytes.len() > 4, "some of the body is sent");
    assert!(
        bytes.len() - 4 < announced,
        "{} of {announced}",
        bytes.len() - 4
    );
    let mut buf = BytesMut::from(&bytes[..]);
    assert_eq!(FrameDecoder::default().decode(&mut buf), Ok(None));
}

#[tokio::test]
async fn truncated_frame_is_eof_for_a_frame_reader() {
    let cluster = one_broker().await;
    let mut c = RawClient::connect(cluster.broker_addr(1).unwrap()).await;
    cluster.inject(Fault::new(ApiKey::Fetch).truncated_frame());
    c.send(&fetch_request("t", 0, 0, 0), 12).await;
    match c.read().await {
        ReadEnd::Eof { buffered } => assert!(buffered > 4),
        other => panic!("expected EOF mid-frame, got {other:?}"),
    }
}

#[tokio::test]
async fn oversized_frame_length() {
    let cluster = one_broker().await;
    let mut c = RawClient::connect(cluster.broker_addr(1).unwrap()).await;
    cluster.inject(Fault::new(ApiKey::Metadata).oversized_frame());
    c.send(&MetadataRequest::default().with_topics(None), 12)
        .await;
    let bytes = c.read_to_end().await;
    assert_eq!(&bytes[..4], &i32::MAX.to_be_bytes());
    let mut buf = BytesMut::from(&bytes[..]);
    assert!(matches!(
        FrameDecoder::default().decode(&mut buf),
        Err(FrameError::TooLarge { .. })
    ));
}

#[tokio::test]
async fn dropped_connection_appends_nothing() {
    let cluster = one_broker().await;
    let addr = cluster.broker_addr(1).unwrap();
    let mut c = RawClient::connect(addr).await;
    cluster.inject(Fault::new(ApiKey::Produce).drop_connection());
    c.send(&produce_request("t", 0, batch(&["a"], &[1]), -1), 11)
        .await;
    c.expect_closed().await;
    assert_eq!(cluster.high_watermark("t", 0).unwrap(), 0);
    let mut c = RawClient::connect(addr).await;
    assert_eq!(produce(&mut c, "t", 0, batch(&["a"], &[1])).await, (0, 0));
    assert_eq!(cluster.connection_count(), 2);
}

#[tokio::test]
async fn appended_but_response_lost_then_retry_is_deduplicated() {
    let cluster = one_broker().await;
    let addr = cluster.broker_addr(1).unwrap();
    let mut c = RawClient::connect(addr).await;
    cluster.inject(Fault::new(ApiKey::Produce).drop_after_handling());
    let b = idempotent_batch(&["a", "b"], 42, 0, 0);
    c.send(&produce_request("t", 0, b.clone(), -1), 11).await;
    c.expect_closed().await;
    assert_eq!(cluster.high_watermark("t", 0).unwrap(), 2, "appended");
    // The producer retries the same batch on a new connection: same offset, no second copy.
    let mut c = RawClient::connect(addr).await;
    assert_eq!(produce(&mut c, "t", 0, b).await, (0, 0));
    assert_eq!(cluster.high_watermark("t", 0).unwrap(), 2);
    assert_eq!(cluster.batches("t", 0).unwrap().len(), 1);
    // The next sequence is appended; a gap is refused.
    assert_eq!(
        produce(&mut c, "t", 0, idempotent_batch(&["c"], 42, 0, 2)).await,
        (0, 2)
    );
    assert_eq!(
        produce(&mut c, "t", 0, idempotent_batch(&["e"], 42, 0, 9))
            .await
            .0,
        ResponseError::OutOfOrderSequenceNumber.code()
    );
}

#[tokio::test]
async fn node_filter_counts_and_always() {
    let cluster = MockCluster::builder()
        .brokers(2)
        .topic("t", 2)
        .start()
        .await
        .unwrap();
    let mut c1 = RawClient::connect(cluster.broker_addr(1).unwrap()).await;
    let mut c2 = RawClient::connect(cluster.broker_addr(2).unwrap()).await;
    let id = cluster.inject(
        Fault::new(ApiKey::Fetch)
            .on_node(2)
            .times(2)
            .error(ErrorTarget::AllEntries, NOT_LEADER),
    );
    assert_eq!(cluster.pending_faults(), 2);
    let code = |r: kafka_protocol::messages::FetchResponse| r.responses[0].partitions[0].error_code;
    // Broker 1 leads partition 0 and is not affected.
    assert_eq!(code(c1.call(&fetch_request("t", 0, 0, 0), 12).await), 0);
    assert_eq!(
        code(c2.call(&fetch_request("t", 1, 0, 0), 12).await),
        NOT_LEADER
    );
    assert_eq!(
        code(c2.call(&fetch_request("t", 1, 0, 0), 12).await),
        NOT_LEADER
    );
    assert_eq!(code(c2.call(&fetch_request("t", 1, 0, 0), 12).await), 0);
    assert_eq!(cluster.fault_hits(id), Some(2));
    assert_eq!(cluster.pending_faults(), 0);

    let always = cluster.inject(
        Fault::new(ApiKey::Fetch)
            .always()
            .error(ErrorTarget::AllEntries, NOT_LEADER),
    );
    for _ in 0..3 {
        assert_eq!(
            code(c1.call(&fetch_request("t", 0, 0, 0), 12).await),
            NOT_LEADER
        );
    }
    assert!(cluster.remove_fault(always));
    assert_eq!(code(c1.call(&fetch_request("t", 0, 0, 0), 12).await), 0);

    assert_eq!(cluster.request_count(ApiKey::Fetch), 8);
    assert_eq!(cluster.request_count_on(1, ApiKey::Fetch), 5);
    assert_eq!(cluster.request_count_on(2, ApiKey::Fetch), 3);
    assert_eq!(cluster.request_count(ApiKey::Produce), 0);
    assert_eq!(cluster.connection_count(), 2);
    assert_eq!(cluster.connection_count_on(2), 1);
}

#[tokio::test]
async fn acks_zero_produce_can_still_be_dropped() {
    let cluster = one_broker().await;
    let mut c = RawClient::connect(cluster.broker_addr(1).unwrap()).await;
    cluster.inject(Fault::new(ApiKey::Produce).drop_connection());
    let request: ProduceRequest = produce_request("t", 0, batch(&["a"], &[1]), 0);
    c.send(&request, 11).await;
    c.expect_closed().await;
    assert_eq!(cluster.high_watermark("t", 0).unwrap(), 0);
}

#[tokio::test]
async fn a_delayed_request_holds_only_its_own_connection() {
    let cluster = one_broker().await;
    let addr = cluster.broker_addr(1).unwrap();
    let mut slow = RawClient::connect(addr).await;
    cluster.inject(Fault::new(ApiKey::ListOffsets).delay(Duration::from_secs(3)));
    slow.send(&list_offsets_request("t", 0, -1), 9).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    drop(slow);
    let mut c = RawClient::connect(addr).await;
    let start = Instant::now();
    let r = c.call(&list_offsets_request("t", 0, -1), 9).await;
    assert_eq!(r.topics[0].partitions[0].error_code, 0);
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
}
