//! Leader changes and brokers going down and coming back, as clients see them.

mod common;

use common::*;
use kafka_protocol::messages::{MetadataRequest, MetadataResponse};
use kafka_protocol::ResponseError;
use ottla_mock::{MockCluster, MockError};

fn leader_of(m: &MetadataResponse, topic: &str, partition: usize) -> (i32, i32, i16) {
    let t = m
        .topics
        .iter()
        .find(|t| t.name.as_deref().map(|n| n.as_str()) == Some(topic))
        .unwrap();
    let p = &t.partitions[partition];
    (p.leader_id.0, p.leader_epoch, p.error_code)
}

fn broker_ids(m: &MetadataResponse) -> Vec<i32> {
    let mut ids: Vec<i32> = m.brokers.iter().map(|b| b.node_id.0).collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn set_leader_moves_the_partition() {
    let cluster = MockCluster::builder()
        .brokers(3)
        .topic("t", 1)
        .start()
        .await
        .unwrap();
    let mut c1 = RawClient::connect(cluster.broker_addr(1).unwrap()).await;
    let mut c3 = RawClient::connect(cluster.broker_addr(3).unwrap()).await;
    let all = MetadataRequest::default().with_topics(None);
    assert_eq!(leader_of(&c1.call(&all, 12).await, "t", 0), (1, 0, 0));
    assert_eq!(produce(&mut c1, "t", 0, batch(&["a"], &[1])).await, (0, 0));

    cluster.set_leader("t", 0, 3).unwrap();
    assert_eq!(cluster.leader("t", 0).unwrap(), Some(3));
    assert_eq!(cluster.leader_epoch("t", 0).unwrap(), 1);
    let m = c1.call(&all, 12).await;
    assert_eq!(leader_of(&m, "t", 0), (3, 1, 0));
    let replicas: Vec<i32> = m.topics[0].partitions[0]
        .replica_nodes
        .iter()
        .map(|n| n.0)
        .collect();
    assert_eq!(replicas, vec![3, 1]);

    // The old leader refuses; the new one serves the same log.
    assert_eq!(
        produce(&mut c1, "t", 0, batch(&["b"], &[1])).await.0,
        ResponseError::NotLeaderOrFollower.code()
    );
    assert_eq!(produce(&mut c3, "t", 0, batch(&["b"], &[1])).await, (0, 1));
    let r = c3.call(&fetch_request("t", 0, 0, 0), 12).await;
    assert_eq!(r.responses[0].partitions[0].high_watermark, 2);
    // Batches carry the epoch of the leader that appended them.
    let stored = cluster.batches("t", 0).unwrap();
    assert_eq!(&stored[0][12..16], &0i32.to_be_bytes());
    assert_eq!(&stored[1][12..16], &1i32.to_be_bytes());

    // A client with an old epoch is fenced; one from the future is told to wait.
    let mut req = list_offsets_request("t", 0, -1);
    req.topics[0].partitions[0].current_leader_epoch = 0;
    let r = c3.call(&req, 9).await;
    assert_eq!(
        r.topics[0].partitions[0].error_code,
        ResponseError::FencedLeaderEpoch.code()
    );
    req.topics[0].partitions[0].current_leader_epoch = 2;
    let r = c3.call(&req, 9).await;
    assert_eq!(
        r.topics[0].partitions[0].error_code,
        ResponseError::UnknownLeaderEpoch.code()
    );
    let mut fetch = fetch_request("t", 0, 0, 0);
    fetch.topics[0].partitions[0].current_leader_epoch = 0;
    let r = c3.call(&fetch, 12).await;
    assert_eq!(
        r.responses[0].partitions[0].error_code,
        ResponseError::FencedLeaderEpoch.code()
    );

    assert!(matches!(
        cluster.set_leader("t", 0, 9),
        Err(MockError::UnknownBroker(9))
    ));
    assert!(matches!(
        cluster.set_leader("t", 4, 1),
        Err(MockError::UnknownPartition { .. })
    ));
}

#[tokio::test]
async fn stopped_broker_refuses_and_returns_on_the_same_port() {
    let cluster = MockCluster::builder()
        .brokers(3)
        .topic_with_replication("t", 3, 2)
        .start()
        .await
        .unwrap();
    let addr2 = cluster.broker_addr(2).unwrap();
    let mut c2 = RawClient::connect(addr2).await;
    // A long poll in progress on broker 2 when it goes down.
    c2.send(&fetch_request("t", 1, 0, 4000), 12).await;
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    cluster.stop_broker(2).await.unwrap();
    assert!(!cluster.is_running(2));
    c2.expect_closed().await;
    assert!(tokio::net::TcpStream::connect(addr2).await.is_err());

    let mut c1 = RawClient::connect(cluster.broker_addr(1).unwrap()).await;
    let all = MetadataRequest::default().with_topics(None);
    let m = c1.call(&all, 12).await;
    assert_eq!(broker_ids(&m), vec![1, 3]);
    // Partition 1 (replicas 2, 3) fails over to 3; partition 0 (replicas 1, 2) keeps 1 but
    // loses 2 from its ISR.
    assert_eq!(leader_of(&m, "t", 1), (3, 1, 0));
    let p0 = &m.topics[0].partitions[0];
    assert_eq!(
        p0.isr_nodes.iter().map(|n| n.0).collect::<Vec<_>>(),
        vec![1]
    );
    assert_eq!(
        p0.offline_replicas.iter().map(|n| n.0).collect::<Vec<_>>(),
        vec![2]
    );

    cluster.start_broker(2).await.unwrap();
    let mut c2 = RawClient::connect(addr2).await;
    let m = c2.call(&all, 12).await;
    assert_eq!(broker_ids(&m), vec![1, 2, 3]);
    // No preferred-leader election: 3 keeps partition 1.
    assert_eq!(leader_of(&m, "t", 1), (3, 1, 0));
    assert_eq!(m.topics[0].partitions[1].isr_nodes.len(), 2);
    assert_eq!(cluster.connection_count_on(2), 2);
}

#[tokio::test]
async fn partition_without_replicas_has_no_leader_while_down() {
    let cluster = MockCluster::builder()
        .brokers(2)
        .topic("t", 2)
        .start()
        .await
        .unwrap();
    cluster.stop_broker(2).await.unwrap();
    assert_eq!(cluster.leader("t", 1).unwrap(), None);
    let mut c1 = RawClient::connect(cluster.broker_addr(1).unwrap()).await;
    let all = MetadataRequest::default().with_topics(None);
    let m = c1.call(&all, 12).await;
    assert_eq!(
        leader_of(&m, "t", 1),
        (-1, 1, ResponseError::LeaderNotAvailable.code())
    );
    // Stopping twice is harmless; so is starting twice.
    cluster.stop_broker(2).await.unwrap();
    cluster.start_broker(2).await.unwrap();
    cluster.start_broker(2).await.unwrap();
    let m = c1.call(&all, 12).await;
    assert_eq!(leader_of(&m, "t", 1), (2, 2, 0));
    assert!(matches!(
        cluster.stop_broker(5).await,
        Err(MockError::UnknownBroker(5))
    ));
}

#[tokio::test]
async fn shutdown_closes_everything() {
    let cluster = MockCluster::builder().brokers(2).start().await.unwrap();
    let mut c = RawClient::connect(cluster.broker_addr(1).unwrap()).await;
    cluster.shutdown().await;
    c.expect_closed().await;
    for node in [1, 2] {
        assert!(
            tokio::net::TcpStream::connect(cluster.broker_addr(node).unwrap())
                .await
                .is_err()
        );
    }
}

#[tokio::test]
async fn dropping_the_cluster_stops_the_brokers() {
    let cluster = MockCluster::builder().start().await.unwrap();
    let addr = cluster.broker_addr(1).unwrap();
    let mut c = RawClient::connect(addr).await;
    drop(cluster);
    c.expect_closed().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}
