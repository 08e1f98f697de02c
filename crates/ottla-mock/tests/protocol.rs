//! The mock answers each implemented API like a broker would.

mod common;

use std::time::{Duration, Instant};

use bytes::{Buf, BytesMut};
use common::*;
use kafka_protocol::messages::create_topics_request::CreatableTopic;
use kafka_protocol::messages::delete_topics_request::DeleteTopicState;
use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, CreateTopicsRequest, DeleteTopicsRequest, MetadataRequest,
    ResponseHeader,
};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};
use kafka_protocol::ResponseError;
use ottla_mock::MockCluster;
use ottla_protocol::versions::{client_range, BrokerVersions};

const NOT_LEADER: i16 = ResponseError::NotLeaderOrFollower.code();
const UNKNOWN_TOPIC: i16 = ResponseError::UnknownTopicOrPartition.code();

#[tokio::test]
async fn api_versions_advertises_client_ranges() {
    let cluster = MockCluster::builder().start().await.unwrap();
    let mut c = RawClient::connect(cluster.broker_addr(1).unwrap()).await;
    for version in [0, 3] {
        let mut request = ApiVersionsRequest::default();
        if version >= 3 {
            request = request
                .with_client_software_name(StrBytes::from_static_str("ottla-test"))
                .with_client_software_version(StrBytes::from_static_str("0.1"));
        }
        let r = c.call(&request, version).await;
        assert_eq!(r.error_code, 0);
        let versions = BrokerVersions::from_response(&r);
        for api in [
            ApiKey::ApiVersions,
            ApiKey::Metadata,
            ApiKey::Produce,
            ApiKey::ListOffsets,
            ApiKey::CreateTopics,
            ApiKey::DeleteTopics,
            ApiKey::FindCoordinator,
            ApiKey::InitProducerId,
            ApiKey::AddPartitionsToTxn,
            ApiKey::AddOffsetsToTxn,
            ApiKey::EndTxn,
            ApiKey::TxnOffsetCommit,
            ApiKey::JoinGroup,
            ApiKey::SyncGroup,
            ApiKey::Heartbeat,
            ApiKey::LeaveGroup,
            ApiKey::OffsetCommit,
            ApiKey::OffsetFetch,
        ] {
            assert_eq!(versions.offered(api), client_range(api), "{api:?}");
        }
        // Fetch by topic name only.
        let fetch = versions.offered(ApiKey::Fetch).unwrap();
        assert_eq!((fetch.min, fetch.max), (4, 12));
        assert_eq!(r.api_keys.len(), 36);
        assert!(versions.offered(ApiKey::ElectLeaders).is_none());
        if version == 3 {
            assert_eq!(r.supported_features.len(), 1);
            assert_eq!(r.finalized_features_epoch, 1);
        }
    }
}

#[tokio::test]
async fn api_versions_unknown_version_answers_v0_unsupported() {
    let cluster = MockCluster::builder().start().await.unwrap();
    let mut c = RawClient::connect(cluster.broker_addr(1).unwrap()).await;
    // v4 is newer than the mock advertises (the codec knows it): the answer is v0.
    let corr = c.send(&ApiVersionsRequest::default(), 4).await;
    let mut frame = c.expect_frame().await;
    let header = ResponseHeader::decode(&mut frame, 0).unwrap();
    assert_eq!(header.correlation_id, corr);
    let r = kafka_protocol::messages::ApiVersionsResponse::decode(&mut frame, 0).unwrap();
    assert!(!frame.has_remaining());
    assert_eq!(r.error_code, ResponseError::UnsupportedVersion.code());
    assert!(r
        .api_keys
        .iter()
        .any(|k| k.api_key == ApiKey::ApiVersions as i16 && k.max_version == 3));
    // A version the codec does not know either (header v2, empty body): same answer.
    let mut raw = BytesMut::new();
    let header = kafka_protocol::messages::RequestHeader::default()
        .with_request_api_key(ApiKey::ApiVersions as i16)
        .with_request_api_version(99)
        .with_correlation_id(77);
    header.encode(&mut raw, 2).unwrap();
    let mut framed = BytesMut::new();
    ottla_protocol::frame::encode_frame(&raw, &mut framed).unwrap();
    c.write_raw(&framed).await;
    let mut frame = c.expect_frame().await;
    assert_eq!(
        ResponseHeader::decode(&mut frame, 0)
            .unwrap()
            .correlation_id,
        77
    );
    let r = kafka_protocol::messages::ApiVersionsResponse::decode(&mut frame, 0).unwrap();
    assert_eq!(r.error_code, ResponseError::UnsupportedVersion.code());
}

#[tokio::test]
async fn metadata_lists_brokers_topics_and_leaders() {
    let cluster = MockCluster::builder()
        .brokers(3)
        .topic("a", 4)
        .topic_with_replication("b", 2, 3)
        .cluster_id("test-cluster")
        .start()
        .await
        .unwrap();
    let mut c = RawClient::connect(cluster.broker_addr(2).unwrap()).await;
    for version in [1, 9, 12] {
        let r = c
            .call(&MetadataRequest::default().with_topics(None), version)
            .await;
        let mut brokers: Vec<(i32, String, i32)> = r
            .brokers
            .iter()
            .map(|b| (b.node_id.0, b.host.to_string(), b.port))
            .collect();
        brokers.sort();
        let expected: Vec<(i32, String, i32)> = (1..=3)
            .map(|n| {
                let a = cluster.broker_addr(n).unwrap();
                (n, a.ip().to_string(), i32::from(a.port()))
            })
            .collect();
        assert_eq!(brokers, expected);
        assert_eq!(r.controller_id.0, 1);
        if version >= 2 {
            assert_eq!(r.cluster_id.as_deref(), Some("test-cluster"));
        }
        let names: Vec<_> = r
            .topics
            .iter()
            .map(|t| t.name.as_ref().unwrap().to_string())
            .collect();
        assert_eq!(names, vec!["a", "b"]);
        let a = &r.topics[0];
        assert_eq!(a.error_code, 0);
        let leaders: Vec<i32> = a.partitions.iter().map(|p| p.leader_id.0).collect();
        assert_eq!(leaders, vec![1, 2, 3, 1]);
        let b = &r.topics[1];
        let p1 = &b.partitions[1];
        assert_eq!(p1.partition_index, 1);
        assert_eq!(
            p1.replica_nodes.iter().map(|n| n.0).collect::<Vec<_>>(),
            vec![2, 3, 1]
        );
        assert_eq!(p1.isr_nodes.len(), 3);
        if version >= 10 {
            assert!(!a.topic_id.is_nil());
            assert_ne!(a.topic_id, b.topic_id);
        }
    }
    // Requested topics: known and unknown, in request order.
    let r = c
        .call(&metadata_request(Some(&["b", "nope", "bad name"])), 12)
        .await;
    let codes: Vec<i16> = r.topics.iter().map(|t| t.error_code).collect();
    assert_eq!(
        codes,
        vec![
            0,
            UNKNOWN_TOPIC,
            ResponseError::InvalidTopicException.code()
        ]
    );
    assert!(cluster.topics().len() == 2, "no auto-creation by default");
    // An empty list asks for no topics.
    let r = c.call(&metadata_request(Some(&[])), 12).await;
    assert!(r.topics.is_empty());
}

#[tokio::test]
async fn metadata_auto_creates_when_enabled() {
    let cluster = MockCluster::builder()
        .brokers(2)
        .auto_create_topics(true)
        .default_partitions(3)
        .start()
        .await
        .unwrap();
    let mut c = RawClient::connect(cluster.broker_addr(1).unwrap()).await;
    // v4+ lets the client opt out.
    let r = c
        .call(
            &metadata_request(Some(&["x"])).with_allow_auto_topic_creation(false),
            12,
        )
        .await;
    assert_eq!(r.topics[0].error_code, UNKNOWN_TOPIC);
    let r = c.call(&metadata_request(Some(&["x"])), 12).await;
    assert_eq!(r.topics[0].error_code, 0);
    assert_eq!(r.topics[0].partitions.len(), 3);
    assert_eq!(cluster.partition_count("x").unwrap(), 3);
}

#[tokio::test]
async fn produce_then_fetch_returns_the_batch_with_offsets() {
    let cluster = MockCluster::builder().topic("t", 1).start().await.unwrap();
    let mut c = RawClient::connect(cluster.broker_addr(1).unwrap()).await;
    let first = batch(&["a", "b", "c"], &[10, 11, 12]);
    let second = batch(&["d"], &[13]);
    assert_eq!(produce(&mut c, "t", 0, first.clone()).await, (0, 0));
    // The oldest Produce version ottla speaks, too.
    let r = c.call(&produce_request("t", 0, second.clone(), 1), 3).await;
    assert_eq!(r.responses[0].partition_responses[0].base_offset, 3);
    assert_eq!(cluster.high_watermark("t", 0).unwrap(), 4);
    assert_eq!(cluster.record_count("t", 0).unwrap(), 4);

    let mut expected = as_stored(&first, 0, 0);
    expected.extend_from_slice(&as_stored(&second, 3, 0));
    for version in [4, 12] {
        let r = c.call(&fetch_request("t", 0, 0, 0), version).await;
        let p = &r.responses[0].partitions[0];
        assert_eq!(p.error_code, 0);
        assert_eq!(p.high_watermark, 4);
        assert_eq!(p.last_stable_offset, 4);
        if version >= 5 {
            assert_eq!(p.log_start_offset, 0);
        }
        assert_eq!(p.records.as_deref(), Some(&expected[..]), "v{version}");
    }
    let stored: Vec<Vec<u8>> = cluster
        .batches("t", 0)
        .unwrap()
        .iter()
        .map(|b| b.to_vec())
        .collect();
    assert_eq!(
        stored,
        vec![as_stored(&first, 0, 0), as_stored(&second, 3, 0)]
    );

    // From the middle of the first batch: whole batches from the one containing the offset.
    let r = c.call(&fetch_request("t", 0, 1, 0), 12).await;
    assert_eq!(
        r.responses[0].partitions[0].records.as_deref(),
        Some(&expected[..])
    );
    // From the second batch.
    let r = c.call(&fetch_request("t", 0, 3, 0), 12).await;
    assert_eq!(
        r.responses[0].partitions[0].records.as_deref(),
        Some(&as_stored(&second, 3, 0)[..])
    );
    // At the high watermark: nothing, no error. Beyond it: OFFSET_OUT_OF_RANGE.
    let r = c.call(&fetch_request("t", 0, 4, 0), 12).await;
    assert_eq!(r.responses[0].partitions[0].error_code, 0);
    assert_eq!(
        r.responses[0].partitions[0].records.as_deref(),
        Some(&[][..])
    );
    let r = c.call(&fetch_request("t", 0, 5, 0), 12).await;
    assert_eq!(
        r.responses[0].partitions[0].error_code,
        ResponseError::OffsetOutOfRange.code()
    );
    // Below the log start.
    cluster.set_log_start_offset("t", 0, 3).unwrap();
    let r = c.call(&fetch_request("t", 0, 2, 0), 12).await;
    assert_eq!(
        r.responses[0].partitions[0].error_code,
        ResponseError::OffsetOutOfRange.code()
    );
}

#[tokio::test]
async fn fetch_respects_byte_limits_but_returns_one_batch() {
    let cluster = MockCluster::builder()
        .topic("t", 2)
        .brokers(1)
        .start()
        .await
        .unwrap();
    let mut c = RawClient::connect(cluster.broker_addr(1).unwrap()).await;
    let b = batch(&["0123456789"; 5], &[1; 5]);
    for _ in 0..3 {
        produce(&mut c, "t", 0, b.clone()).await;
    }
    let len = b.len() as i32;
    let mut req = fetch_request("t", 0, 0, 0);
    // Smaller than one batch: still one batch.
    req.topics[0].partitions[0].partition_max_bytes = 10;
    let r = c.call(&req, 12).await;
    assert_eq!(
        r.responses[0].partitions[0].records.as_ref().unwrap().len(),
        b.len()
    );
    // Room for two batches.
    req.topics[0].partitions[0].partition_max_bytes = 2 * len + 1;
    let r = c.call(&req, 12).await;
    assert_eq!(
        r.responses[0].partitions[0].records.as_ref().unwrap().len(),
        2 * b.len()
    );
    // The response-wide limit applies across partitions: partition 1 is empty anyway, and a
    // second fetch entry for partition 0 gets nothing once the limit is used up.
    req.topics[0].partitions[0].partition_max_bytes = 10 * len;
    req.max_bytes = len;
    let second = req.topics[0].partitions[0].clone();
    req.topics[0].partitions.push(second);
    let r = c.call(&req, 12).await;
    let ps = &r.responses[0].partitions;
    assert_eq!(ps[0].records.as_ref().unwrap().len(), b.len());
    assert_eq!(ps[1].records.as_ref().unwrap().len(), 0);
}

#[tokio::test]
async fn fetch_long_polls_and_wakes_on_append() {
    let cluster = MockCluster::builder().topic("t", 1).start().await.unwrap();
    let addr = cluster.broker_addr(1).unwrap();
    let mut c = RawClient::connect(addr).await;
    // No data: the answer comes after max_wait_ms.
    let start = Instant::now();
    let r = c.call(&fetch_request("t", 0, 0, 300), 12).await;
    let waited = start.elapsed();
    assert!(waited >= Duration::from_millis(300), "{waited:?}");
    assert!(r.responses[0].partitions[0]
        .records
        .as_ref()
        .unwrap()
        .is_empty());

    // Data arriving during the wait ends it early.
    let start = Instant::now();
    let corr = c.send(&fetch_request("t", 0, 0, 4000), 12).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut producer = RawClient::connect(addr).await;
    produce(&mut producer, "t", 0, batch(&["x"], &[1])).await;
    let frame = c.expect_frame().await;
    let waited = start.elapsed();
    let r = ottla_protocol::response::decode_response::<kafka_protocol::messages::FetchRequest>(
        frame, 12, corr,
    )
    .unwrap();
    assert_eq!(r.responses[0].partitions[0].high_watermark, 1);
    assert!(!r.responses[0].partitions[0]
        .records
        .as_ref()
        .unwrap()
        .is_empty());
    assert!(waited < Duration::from_millis(2000), "{waited:?}");
}

#[tokio::test]
async fn produce_checks_leader_topic_batch_and_acks() {
    let cluster = MockCluster::builder()
        .brokers(2)
        .topic("t", 2)
        .start()
        .await
        .unwrap();
    let mut c1 = RawClient::connect(cluster.broker_addr(1).unwrap()).await;
    // Partition 1 is led by broker 2.
    assert_eq!(
        produce(&mut c1, "t", 1, batch(&["x"], &[1])).await.0,
        NOT_LEADER
    );
    assert_eq!(
        produce(&mut c1, "nope", 0, batch(&["x"], &[1])).await.0,
        UNKNOWN_TOPIC
    );
    assert_eq!(
        produce(&mut c1, "t", 7, batch(&["x"], &[1])).await.0,
        UNKNOWN_TOPIC
    );
    let mut corrupt = batch(&["x"], &[1]).to_vec();
    let last = corrupt.len() - 1;
    corrupt[last] ^= 1;
    assert_eq!(
        produce(&mut c1, "t", 0, corrupt.into()).await.0,
        ResponseError::CorruptMessage.code()
    );
    let mut two = BytesMut::new();
    two.extend_from_slice(&batch(&["x"], &[1]));
    two.extend_from_slice(&batch(&["y"], &[1]));
    assert_eq!(
        produce(&mut c1, "t", 0, two.freeze()).await.0,
        ResponseError::InvalidRecord.code()
    );
    let r = c1
        .call(&produce_request("t", 0, batch(&["x"], &[1]), 2), 11)
        .await;
    assert_eq!(
        r.responses[0].partition_responses[0].error_code,
        ResponseError::InvalidRequiredAcks.code()
    );
    assert_eq!(cluster.high_watermark("t", 0).unwrap(), 0);

    // acks=0: appended, no response; the next request's answer is the next frame.
    c1.send(&produce_request("t", 0, batch(&["x", "y"], &[1, 2]), 0), 11)
        .await;
    let r = c1.call(&list_offsets_request("t", 0, -1), 9).await;
    assert_eq!(r.topics[0].partitions[0].offset, 2);
}

#[tokio::test]
async fn list_offsets_earliest_latest_and_by_time() {
    let cluster = MockCluster::builder().topic("t", 1).start().await.unwrap();
    let mut c = RawClient::connect(cluster.broker_addr(1).unwrap()).await;
    let offsets = |r: kafka_protocol::messages::ListOffsetsResponse| {
        let p = &r.topics[0].partitions[0];
        (p.error_code, p.offset, p.timestamp)
    };
    // Empty partition.
    assert_eq!(
        offsets(c.call(&list_offsets_request("t", 0, -2), 1).await),
        (0, 0, -1)
    );
    assert_eq!(
        offsets(c.call(&list_offsets_request("t", 0, -1), 9).await),
        (0, 0, -1)
    );
    assert_eq!(
        offsets(c.call(&list_offsets_request("t", 0, 5), 9).await),
        (0, -1, -1)
    );

    produce(&mut c, "t", 0, batch(&["a", "b"], &[100, 200])).await;
    produce(&mut c, "t", 0, batch(&["c", "d", "e"], &[300, 250, 400])).await;
    for version in [1, 4, 9] {
        assert_eq!(
            offsets(c.call(&list_offsets_request("t", 0, -2), version).await),
            (0, 0, -1)
        );
        // Latest is the high watermark: the offset after the last record.
        assert_eq!(
            offsets(c.call(&list_offsets_request("t", 0, -1), version).await),
            (0, 5, -1)
        );
        assert_eq!(
            offsets(c.call(&list_offsets_request("t", 0, 150), version).await),
            (0, 1, 200)
        );
        assert_eq!(
            offsets(c.call(&list_offsets_request("t", 0, 260), version).await),
            (0, 2, 300)
        );
        assert_eq!(
            offsets(c.call(&list_offsets_request("t", 0, 401), version).await),
            (0, -1, -1)
        );
    }
    assert_eq!(
        offsets(c.call(&list_offsets_request("t", 0, -3), 9).await),
        (0, 4, 400)
    );
    let r = c.call(&list_offsets_request("t", 0, -1), 9).await;
    assert_eq!(r.topics[0].partitions[0].leader_epoch, 0);
    cluster.set_log_start_offset("t", 0, 2).unwrap();
    assert_eq!(
        offsets(c.call(&list_offsets_request("t", 0, -2), 9).await),
        (0, 2, -1)
    );
    assert_eq!(
        offsets(c.call(&list_offsets_request("t", 0, 0), 9).await),
        (0, 2, 300)
    );
    assert_eq!(
        offsets(c.call(&list_offsets_request("u", 0, -1), 9).await).0,
        UNKNOWN_TOPIC
    );
}

fn creatable(name: &str, partitions: i32, rf: i16) -> CreatableTopic {
    CreatableTopic::default()
        .with_name(topic_name(name))
        .with_num_partitions(partitions)
        .with_replication_factor(rf)
}

#[tokio::test]
async fn create_and_delete_topics() {
    let cluster = MockCluster::builder()
        .brokers(3)
        .topic("old", 1)
        .start()
        .await
        .unwrap();
    let mut c = RawClient::connect(cluster.broker_addr(3).unwrap()).await;
    let request = CreateTopicsRequest::default()
        .with_timeout_ms(1000)
        .with_topics(vec![
            creatable("new", 5, 2),
            creatable("old", 1, 1),
            creatable("zero", 0, 1),
            creatable("wide", 1, 4),
            creatable("bad/name", 1, 1),
            creatable("dflt", -1, -1),
        ]);
    // validate_only checks everything and creates nothing.
    let r = c.call(&request.clone().with_validate_only(true), 7).await;
    let codes: Vec<i16> = r.topics.iter().map(|t| t.error_code).collect();
    let expected = vec![
        0,
        ResponseError::TopicAlreadyExists.code(),
        ResponseError::InvalidPartitions.code(),
        ResponseError::InvalidReplicationFactor.code(),
        ResponseError::InvalidTopicException.code(),
        0,
    ];
    assert_eq!(codes, expected);
    assert_eq!(cluster.topics(), vec!["old"]);
    assert!(r.topics[0].topic_id.is_nil());

    for version in [2, 7] {
        if version == 7 {
            for t in ["new", "dflt"] {
                cluster.delete_topic(t).unwrap();
            }
        }
        let r = c.call(&request, version).await;
        let codes: Vec<i16> = r.topics.iter().map(|t| t.error_code).collect();
        assert_eq!(codes, expected, "v{version}");
        assert!(r.topics[1].error_message.is_some());
        if version >= 5 {
            assert_eq!(r.topics[0].num_partitions, 5);
            assert_eq!(r.topics[0].replication_factor, 2);
        }
        if version >= 7 {
            assert!(!r.topics[0].topic_id.is_nil());
        }
    }
    assert_eq!(cluster.topics(), vec!["dflt", "new", "old"]);
    assert_eq!(cluster.partition_count("new").unwrap(), 5);
    assert_eq!(cluster.partition_count("dflt").unwrap(), 1);
    let m = c.call(&metadata_request(Some(&["new"])), 12).await;
    let p3 = &m.topics[0].partitions[3];
    assert_eq!(p3.leader_id.0, 1);
    assert_eq!(
        p3.replica_nodes.iter().map(|n| n.0).collect::<Vec<_>>(),
        vec![1, 2]
    );

    // DeleteTopics by name (v1..5) and by id (v6).
    let r = c
        .call(
            &DeleteTopicsRequest::default()
                .with_topic_names(vec![topic_name("old"), topic_name("ghost")])
                .with_timeout_ms(1000),
            1,
        )
        .await;
    let codes: Vec<i16> = r.responses.iter().map(|t| t.error_code).collect();
    assert_eq!(codes, vec![0, UNKNOWN_TOPIC]);
    let new_id = m.topics[0].topic_id;
    let r = c
        .call(
            &DeleteTopicsRequest::default()
                .with_topics(vec![DeleteTopicState::default().with_topic_id(new_id)])
                .with_timeout_ms(1000),
            6,
        )
        .await;
    assert_eq!(r.responses[0].error_code, 0);
    assert_eq!(
        r.responses[0].name.as_deref().map(|n| n.as_str()),
        Some("new")
    );
    assert_eq!(cluster.topics(), vec!["dflt"]);
    let m = c.call(&metadata_request(Some(&["new"])), 12).await;
    assert_eq!(m.topics[0].error_code, UNKNOWN_TOPIC);
}
