//! Idempotence and transactions over TCP: producer ids, coordinators, fencing, markers,
//! transactional offsets and READ_COMMITTED fetches, answered as Kafka 3.x answers them.

mod common;

use std::collections::HashMap;

use bytes::Bytes;
use common::*;
use kafka_protocol::messages::add_partitions_to_txn_request::AddPartitionsToTxnTopic;
use kafka_protocol::messages::fetch_response::PartitionData;
use kafka_protocol::messages::txn_offset_commit_request::{
    TxnOffsetCommitRequestPartition, TxnOffsetCommitRequestTopic,
};
use kafka_protocol::messages::{
    AddOffsetsToTxnRequest, AddPartitionsToTxnRequest, ApiKey, EndTxnRequest,
    FindCoordinatorRequest, GroupId, InitProducerIdRequest, ProducerId, TransactionalId,
    TxnOffsetCommitRequest,
};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;
use ottla_mock::{ErrorTarget, Fault, MockCluster};
use ottla_protocol::records::{decode_batches, ControlKind, DecodeLimits};

const CONCURRENT_TRANSACTIONS: i16 = ResponseError::ConcurrentTransactions.code();
const INVALID_PRODUCER_EPOCH: i16 = ResponseError::InvalidProducerEpoch.code();
const INVALID_PRODUCER_ID_MAPPING: i16 = ResponseError::InvalidProducerIdMapping.code();
const INVALID_REQUEST: i16 = ResponseError::InvalidRequest.code();
const INVALID_TXN_STATE: i16 = ResponseError::InvalidTxnState.code();
const NOT_COORDINATOR: i16 = ResponseError::NotCoordinator.code();
const PRODUCER_FENCED: i16 = ResponseError::ProducerFenced.code();
const TRANSACTION_ABORTABLE: i16 = ResponseError::TransactionAbortable.code();
const UNKNOWN_TOPIC: i16 = ResponseError::UnknownTopicOrPartition.code();

/// Three brokers; topic "t" with three partitions (partition p led by broker p + 1).
async fn three_brokers() -> MockCluster {
    MockCluster::builder()
        .brokers(3)
        .topic("t", 3)
        .start()
        .await
        .unwrap()
}

/// One connection per broker, opened on first use.
struct Clients<'c> {
    cluster: &'c MockCluster,
    open: HashMap<i32, RawClient>,
}

impl<'c> Clients<'c> {
    fn new(cluster: &'c MockCluster) -> Self {
        Self {
            cluster,
            open: HashMap::new(),
        }
    }

    async fn node(&mut self, node: i32) -> &mut RawClient {
        if !self.open.contains_key(&node) {
            let client = RawClient::connect(self.cluster.broker_addr(node).unwrap()).await;
            self.open.insert(node, client);
        }
        self.open.get_mut(&node).unwrap()
    }

    async fn txn_coordinator(&mut self, transactional_id: &str) -> &mut RawClient {
        let node = self
            .cluster
            .transaction_coordinator(transactional_id)
            .unwrap();
        self.node(node).await
    }

    async fn leader(&mut self, topic: &str, partition: i32) -> &mut RawClient {
        let node = self.cluster.leader(topic, partition).unwrap().unwrap();
        self.node(node).await
    }
}

fn txn_id(id: &str) -> TransactionalId {
    TransactionalId(StrBytes::from_string(id.to_owned()))
}

fn init_request(transactional_id: Option<&str>) -> InitProducerIdRequest {
    InitProducerIdRequest::default()
        .with_transactional_id(transactional_id.map(txn_id))
        .with_transaction_timeout_ms(60_000)
}

/// (error code, producer id, epoch).
async fn init(c: &mut RawClient, request: &InitProducerIdRequest, version: i16) -> (i16, i64, i16) {
    let r = c.call(request, version).await;
    (r.error_code, r.producer_id.0, r.producer_epoch)
}

fn add_partitions_request(
    id: &str,
    (pid, epoch): (i64, i16),
    partitions: &[(&str, i32)],
) -> AddPartitionsToTxnRequest {
    let mut topics: Vec<AddPartitionsToTxnTopic> = Vec::new();
    for &(topic, p) in partitions {
        match topics.iter_mut().find(|t| t.name.0.as_str() == topic) {
            Some(t) => t.partitions.push(p),
            None => topics.push(
                AddPartitionsToTxnTopic::default()
                    .with_name(topic_name(topic))
                    .with_partitions(vec![p]),
            ),
        }
    }
    AddPartitionsToTxnRequest::default()
        .with_v3_and_below_transactional_id(txn_id(id))
        .with_v3_and_below_producer_id(ProducerId(pid))
        .with_v3_and_below_producer_epoch(epoch)
        .with_v3_and_below_topics(topics)
}

/// Every (topic, partition, code) of an AddPartitionsToTxn answer, in order.
async fn add_partitions(
    c: &mut RawClient,
    id: &str,
    producer: (i64, i16),
    partitions: &[(&str, i32)],
    version: i16,
) -> Vec<(String, i32, i16)> {
    let r = c
        .call(&add_partitions_request(id, producer, partitions), version)
        .await;
    r.results_by_topic_v3_and_below
        .iter()
        .flat_map(|t| {
            t.results_by_partition.iter().map(|p| {
                (
                    t.name.0.to_string(),
                    p.partition_index,
                    p.partition_error_code,
                )
            })
        })
        .collect()
}

async fn add_offsets(
    c: &mut RawClient,
    id: &str,
    (pid, epoch): (i64, i16),
    group: &str,
    version: i16,
) -> i16 {
    let request = AddOffsetsToTxnRequest::default()
        .with_transactional_id(txn_id(id))
        .with_producer_id(ProducerId(pid))
        .with_producer_epoch(epoch)
        .with_group_id(GroupId(StrBytes::from_string(group.to_owned())));
    c.call(&request, version).await.error_code
}

async fn end_txn(
    c: &mut RawClient,
    id: &str,
    (pid, epoch): (i64, i16),
    commit: bool,
    version: i16,
) -> i16 {
    let request = EndTxnRequest::default()
        .with_transactional_id(txn_id(id))
        .with_producer_id(ProducerId(pid))
        .with_producer_epoch(epoch)
        .with_committed(commit);
    c.call(&request, version).await.error_code
}

fn txn_offset_commit_request(
    id: &str,
    (pid, epoch): (i64, i16),
    group: &str,
    offsets: &[(&str, i32, i64)],
) -> TxnOffsetCommitRequest {
    let topics = offsets
        .iter()
        .map(|&(topic, p, offset)| {
            TxnOffsetCommitRequestTopic::default()
                .with_name(topic_name(topic))
                .with_partitions(vec![TxnOffsetCommitRequestPartition::default()
                    .with_partition_index(p)
                    .with_committed_offset(offset)])
        })
        .collect();
    TxnOffsetCommitRequest::default()
        .with_transactional_id(txn_id(id))
        .with_group_id(GroupId(StrBytes::from_string(group.to_owned())))
        .with_producer_id(ProducerId(pid))
        .with_producer_epoch(epoch)
        .with_topics(topics)
}

/// The code of every partition of a TxnOffsetCommit answer.
async fn txn_offset_commit(c: &mut RawClient, request: &TxnOffsetCommitRequest) -> Vec<i16> {
    let r = c.call(request, 3).await;
    r.topics
        .iter()
        .flat_map(|t| t.partitions.iter().map(|p| p.error_code))
        .collect()
}

/// Produces one batch with `transactional_id` at `version`: (error code, base offset).
async fn produce_txn(
    c: &mut RawClient,
    id: Option<&str>,
    (topic, partition): (&str, i32),
    records: Bytes,
    version: i16,
) -> (i16, i64) {
    let request =
        produce_request(topic, partition, records, -1).with_transactional_id(id.map(txn_id));
    let r = c.call(&request, version).await;
    let p = &r.responses[0].partition_responses[0];
    (p.error_code, p.base_offset)
}

/// One partition of a Fetch v12 answer at `isolation_level`.
async fn fetch(c: &mut RawClient, topic: &str, partition: i32, isolation: i8) -> PartitionData {
    let request = fetch_request(topic, partition, 0, 0).with_isolation_level(isolation);
    let mut r = c.call(&request, 12).await;
    r.responses.remove(0).partitions.remove(0)
}

/// (base offset, producer id, control kind) of every batch in `records`.
fn batches_of(records: Option<Bytes>) -> Vec<(i64, i64, Option<ControlKind>)> {
    let decoded = decode_batches(records.unwrap_or_default(), &DecodeLimits::default()).unwrap();
    decoded
        .batches
        .iter()
        .map(|b| (b.base_offset, b.producer_id, b.control.map(|c| c.kind)))
        .collect()
}

/// (producer id, first offset) of a fetch answer's aborted transactions.
fn aborted_of(p: &PartitionData) -> Option<Vec<(i64, i64)>> {
    p.aborted_transactions.as_ref().map(|list| {
        list.iter()
            .map(|t| (t.producer_id.0, t.first_offset))
            .collect()
    })
}

/// Starts a transactional producer: (producer id, epoch).
async fn start_transactional(clients: &mut Clients<'_>, id: &str) -> (i64, i16) {
    let (code, pid, epoch) = init(
        clients.txn_coordinator(id).await,
        &init_request(Some(id)),
        5,
    )
    .await;
    assert_eq!(code, 0, "InitProducerId for {id}");
    (pid, epoch)
}

#[tokio::test]
async fn idempotent_producers_get_fresh_ids_from_any_broker() {
    let cluster = three_brokers().await;
    let mut clients = Clients::new(&cluster);
    assert_eq!(
        init(clients.node(1).await, &init_request(None), 5).await,
        (0, 1000, 0)
    );
    assert_eq!(
        init(clients.node(3).await, &init_request(None), 0).await,
        (0, 1001, 0)
    );
    // A producer id and epoch from an idempotent producer (v3+): still a fresh id (Kafka bumps
    // an idempotent producer's epoch on the client side).
    let again = init_request(None)
        .with_producer_id(ProducerId(1000))
        .with_producer_epoch(0);
    assert_eq!(init(clients.node(2).await, &again, 4).await, (0, 1002, 0));
    // Only one of the two: INVALID_REQUEST.
    let half = init_request(None).with_producer_id(ProducerId(1000));
    assert_eq!(
        init(clients.node(2).await, &half, 4).await,
        (INVALID_REQUEST, -1, -1)
    );
    assert_eq!(cluster.request_count(ApiKey::InitProducerId), 4);
}

#[tokio::test]
async fn find_coordinator_one_key_or_a_batch() {
    let cluster = three_brokers().await;
    let mut c = RawClient::connect(cluster.broker_addr(2).unwrap()).await;
    let keys = ["tx-a", "tx-b", "tx-c", "tx-d"];
    for version in 0..=3 {
        let key_type = if version == 0 { 0 } else { 1 };
        for key in keys {
            let request = FindCoordinatorRequest::default()
                .with_key(StrBytes::from_static_str(key))
                .with_key_type(key_type);
            let r = c.call(&request, version).await;
            let expected = if key_type == 1 {
                cluster.transaction_coordinator(key)
            } else {
                cluster.group_coordinator(key)
            }
            .unwrap();
            assert_eq!(r.error_code, 0);
            assert_eq!(r.node_id.0, expected);
            let addr = cluster.broker_addr(expected).unwrap();
            assert_eq!(r.host.to_string(), addr.ip().to_string());
            assert_eq!(r.port, i32::from(addr.port()));
        }
    }
    for version in 4..=6 {
        let request = FindCoordinatorRequest::default()
            .with_key_type(0)
            .with_coordinator_keys(keys.iter().map(|k| StrBytes::from_static_str(k)).collect());
        let r = c.call(&request, version).await;
        let got: Vec<(String, i32, i16)> = r
            .coordinators
            .iter()
            .map(|co| (co.key.to_string(), co.node_id.0, co.error_code))
            .collect();
        let expected: Vec<(String, i32, i16)> = keys
            .iter()
            .map(|k| (k.to_string(), cluster.group_coordinator(k).unwrap(), 0))
            .collect();
        assert_eq!(got, expected);
    }
    // An unknown key type.
    let bad = FindCoordinatorRequest::default()
        .with_key(StrBytes::from_static_str("x"))
        .with_key_type(7);
    let r = c.call(&bad, 3).await;
    assert_eq!(
        (r.error_code, r.node_id.0, r.port),
        (INVALID_REQUEST, -1, -1)
    );
    // The coordinator moves when its broker stops, and the moved-to broker answers for it.
    let key = "tx-a";
    let home = cluster.transaction_coordinator(key).unwrap();
    let asked = (1..=3).find(|&n| n != home).unwrap();
    let mut other = RawClient::connect(cluster.broker_addr(asked).unwrap()).await;
    assert_eq!(
        init(&mut other, &init_request(Some(key)), 5).await.0,
        NOT_COORDINATOR
    );
    cluster.stop_broker(home).await.unwrap();
    let moved = cluster.transaction_coordinator(key).unwrap();
    assert_ne!(moved, home);
    let mut there = RawClient::connect(cluster.broker_addr(moved).unwrap()).await;
    let request = FindCoordinatorRequest::default()
        .with_key_type(1)
        .with_coordinator_keys(vec![StrBytes::from_static_str(key)]);
    let r = there.call(&request, 6).await;
    assert_eq!(r.coordinators[0].node_id.0, moved);
    assert_eq!(init(&mut there, &init_request(Some(key)), 5).await.0, 0);
}

#[tokio::test]
async fn transactional_init_bumps_the_epoch() {
    let cluster = three_brokers().await;
    let mut clients = Clients::new(&cluster);
    let (pid, e0) = start_transactional(&mut clients, "tx").await;
    assert_eq!((pid, e0), (1000, 0));
    assert_eq!(cluster.producer_epoch("tx"), Some((pid, 0)));
    let c = clients.txn_coordinator("tx").await;
    // Another instance: same id, next epoch.
    assert_eq!(init(c, &init_request(Some("tx")), 5).await, (0, pid, 1));
    // KIP-360 bump by the current producer, and its retry.
    let bump = init_request(Some("tx"))
        .with_producer_id(ProducerId(pid))
        .with_producer_epoch(1);
    assert_eq!(init(c, &bump, 3).await, (0, pid, 2));
    assert_eq!(init(c, &bump, 3).await, (0, pid, 2));
    // An older epoch is fenced: PRODUCER_FENCED from v4, INVALID_PRODUCER_EPOCH before.
    let stale = init_request(Some("tx"))
        .with_producer_id(ProducerId(pid))
        .with_producer_epoch(0);
    assert_eq!(init(c, &stale, 5).await, (PRODUCER_FENCED, -1, -1));
    assert_eq!(init(c, &stale, 3).await, (INVALID_PRODUCER_EPOCH, -1, -1));
    assert_eq!(cluster.producer_epoch("tx"), Some((pid, 2)));
    // Bad requests.
    let no_timeout = init_request(Some("tx")).with_transaction_timeout_ms(0);
    assert_eq!(
        init(c, &no_timeout, 5).await.0,
        ResponseError::InvalidTransactionTimeout.code()
    );
    assert_eq!(init(c, &init_request(Some("")), 5).await.0, INVALID_REQUEST);
    assert_eq!(cluster.producer_epoch("nope"), None);
}

#[tokio::test]
async fn second_instance_fences_the_first_and_aborts_its_transaction() {
    let cluster = three_brokers().await;
    let mut clients = Clients::new(&cluster);
    let old = start_transactional(&mut clients, "tx").await;
    let c = clients.txn_coordinator("tx").await;
    assert_eq!(
        add_partitions(c, "tx", old, &[("t", 0), ("t", 1)], 3).await,
        vec![("t".into(), 0, 0), ("t".into(), 1, 0)]
    );
    assert_eq!(add_offsets(c, "tx", old, "g", 3).await, 0);
    assert_eq!(
        produce_txn(
            clients.leader("t", 0).await,
            Some("tx"),
            ("t", 0),
            transactional_batch(&["a", "b"], old.0, old.1, 0),
            11,
        )
        .await,
        (0, 0)
    );
    assert_eq!(cluster.open_transactions(), 1);
    assert_eq!(cluster.last_stable_offset("t", 0).unwrap(), 0);

    // The new instance: the ongoing transaction is aborted with a bumped epoch and the answer
    // is CONCURRENT_TRANSACTIONS; the retry gets the epoch after that.
    let c = clients.txn_coordinator("tx").await;
    assert_eq!(
        init(c, &init_request(Some("tx")), 5).await,
        (CONCURRENT_TRANSACTIONS, -1, -1)
    );
    assert_eq!(cluster.open_transactions(), 0);
    for p in [0, 1] {
        let stored = cluster.batches("t", p).unwrap();
        let last = stored.last().cloned();
        let decoded = decode_batches(last.unwrap_or_default(), &DecodeLimits::default()).unwrap();
        let marker = &decoded.batches[0];
        assert_eq!(
            (
                marker.producer_id,
                marker.producer_epoch,
                marker.control.map(|c| c.kind)
            ),
            (old.0, old.1 + 1, Some(ControlKind::Abort)),
            "partition {p}"
        );
    }
    assert_eq!(cluster.last_stable_offset("t", 0).unwrap(), 3);
    let (code, pid, epoch) = init(c, &init_request(Some("tx")), 5).await;
    assert_eq!((code, pid, epoch), (0, old.0, old.1 + 2));

    // The old instance is fenced everywhere.
    let c = clients.txn_coordinator("tx").await;
    for (version, code) in [(3, PRODUCER_FENCED), (1, INVALID_PRODUCER_EPOCH)] {
        assert_eq!(
            add_partitions(c, "tx", old, &[("t", 2)], version).await,
            vec![("t".into(), 2, code)]
        );
        assert_eq!(end_txn(c, "tx", old, true, version).await, code);
        assert_eq!(end_txn(c, "tx", old, false, version).await, code);
        assert_eq!(add_offsets(c, "tx", old, "g", version).await, code);
    }
    // Produce answers INVALID_PRODUCER_EPOCH, whether the partition was in its transaction or
    // not.
    for p in [0, 2] {
        assert_eq!(
            produce_txn(
                clients.leader("t", p).await,
                Some("tx"),
                ("t", p),
                transactional_batch(&["zombie"], old.0, old.1, 2),
                11,
            )
            .await,
            (INVALID_PRODUCER_EPOCH, -1)
        );
    }
    // The new instance works.
    let new = (pid, epoch);
    let c = clients.txn_coordinator("tx").await;
    assert_eq!(
        add_partitions(c, "tx", new, &[("t", 2)], 3).await,
        vec![("t".into(), 2, 0)]
    );
    assert_eq!(
        produce_txn(
            clients.leader("t", 2).await,
            Some("tx"),
            ("t", 2),
            transactional_batch(&["fresh"], new.0, new.1, 0),
            11,
        )
        .await
        .0,
        0
    );
    // A READ_COMMITTED consumer is told the old transaction aborted.
    let p = fetch(clients.leader("t", 0).await, "t", 0, 1).await;
    assert_eq!(aborted_of(&p), Some(vec![(old.0, 0)]));
}

#[tokio::test]
async fn commit_writes_markers_and_publishes_offsets() {
    let cluster = three_brokers().await;
    let mut clients = Clients::new(&cluster);
    // A plain record first, so the transaction starts at offset 1 on partition 0.
    assert_eq!(
        produce(
            clients.leader("t", 0).await,
            "t",
            0,
            batch(&["plain"], &[1])
        )
        .await,
        (0, 0)
    );
    let producer = start_transactional(&mut clients, "tx").await;
    let c = clients.txn_coordinator("tx").await;
    add_partitions(c, "tx", producer, &[("t", 0), ("t", 1)], 3).await;
    assert_eq!(
        cluster.transaction_partitions("tx"),
        Some(vec![("t".into(), 0), ("t".into(), 1)])
    );
    assert_eq!(add_offsets(c, "tx", producer, "g", 3).await, 0);
    for p in [0, 1] {
        let (code, _) = produce_txn(
            clients.leader("t", p).await,
            Some("tx"),
            ("t", p),
            transactional_batch(&["x", "y"], producer.0, producer.1, 0),
            11,
        )
        .await;
        assert_eq!(code, 0);
    }
    // Offsets go to the group's coordinator and wait for the commit.
    let group_node = cluster.group_coordinator("g").unwrap();
    let request = txn_offset_commit_request("tx", producer, "g", &[("t", 0, 42), ("t", 1, 7)]);
    assert_eq!(
        txn_offset_commit(clients.node(group_node).await, &request).await,
        vec![0, 0]
    );
    assert_eq!(cluster.committed_offset("g", "t", 0), None);
    assert_eq!(cluster.pending_transactional_offsets(), 2);

    // While open: READ_COMMITTED stops at the transaction, READ_UNCOMMITTED does not.
    let leader0 = clients.leader("t", 0).await;
    let p = fetch(leader0, "t", 0, 1).await;
    assert_eq!((p.high_watermark, p.last_stable_offset), (3, 1));
    assert_eq!(batches_of(p.records.clone()), vec![(0, -1, None)]);
    assert_eq!(aborted_of(&p), Some(vec![]));
    let p = fetch(leader0, "t", 0, 0).await;
    assert_eq!(batches_of(p.records.clone()).len(), 2);
    assert_eq!(p.last_stable_offset, 1);
    assert_eq!(aborted_of(&p), None);
    let latest = |isolation: i8| list_offsets_request("t", 0, -1).with_isolation_level(isolation);
    let r = leader0.call(&latest(1), 9).await;
    assert_eq!(r.topics[0].partitions[0].offset, 1);
    let r = leader0.call(&latest(0), 9).await;
    assert_eq!(r.topics[0].partitions[0].offset, 3);

    let c = clients.txn_coordinator("tx").await;
    assert_eq!(end_txn(c, "tx", producer, true, 3).await, 0);
    assert_eq!(cluster.open_transactions(), 0);
    assert_eq!(cluster.committed_offset("g", "t", 0), Some(42));
    assert_eq!(cluster.committed_offset("g", "t", 1), Some(7));
    assert_eq!(cluster.pending_transactional_offsets(), 0);
    for p in [0, 1] {
        let hw = cluster.high_watermark("t", p).unwrap();
        assert_eq!(cluster.last_stable_offset("t", p).unwrap(), hw);
    }
    let p = fetch(clients.leader("t", 0).await, "t", 0, 1).await;
    assert_eq!(
        batches_of(p.records.clone()),
        vec![
            (0, -1, None),
            (1, producer.0, None),
            (3, producer.0, Some(ControlKind::Commit)),
        ]
    );
    assert_eq!((p.high_watermark, p.last_stable_offset), (4, 4));
    assert_eq!(aborted_of(&p), Some(vec![]));
    // The commit's retry is accepted; an abort now is not; nor is a commit with nothing added
    // after it.
    let c = clients.txn_coordinator("tx").await;
    assert_eq!(end_txn(c, "tx", producer, true, 3).await, 0);
    assert_eq!(
        end_txn(c, "tx", producer, false, 3).await,
        INVALID_TXN_STATE
    );
    assert_eq!(cluster.high_watermark("t", 0).unwrap(), 4);
}

#[tokio::test]
async fn abort_writes_markers_drops_offsets_and_read_committed_sees_it() {
    let cluster = three_brokers().await;
    let mut clients = Clients::new(&cluster);
    let producer = start_transactional(&mut clients, "tx").await;
    let c = clients.txn_coordinator("tx").await;
    // Right after InitProducerId nothing is ongoing: EndTxn either way is INVALID_TXN_STATE.
    assert_eq!(
        end_txn(c, "tx", producer, false, 3).await,
        INVALID_TXN_STATE
    );
    assert_eq!(end_txn(c, "tx", producer, true, 3).await, INVALID_TXN_STATE);
    add_partitions(c, "tx", producer, &[("t", 0)], 3).await;
    assert_eq!(add_offsets(c, "tx", producer, "g", 3).await, 0);
    let (code, first) = produce_txn(
        clients.leader("t", 0).await,
        Some("tx"),
        ("t", 0),
        transactional_batch(&["doomed"], producer.0, producer.1, 0),
        11,
    )
    .await;
    assert_eq!((code, first), (0, 0));
    let group_node = cluster.group_coordinator("g").unwrap();
    let request = txn_offset_commit_request("tx", producer, "g", &[("t", 0, 1)]);
    assert_eq!(
        txn_offset_commit(clients.node(group_node).await, &request).await,
        vec![0]
    );
    let c = clients.txn_coordinator("tx").await;
    assert_eq!(end_txn(c, "tx", producer, false, 3).await, 0);
    // A retried abort is fine.
    assert_eq!(end_txn(c, "tx", producer, false, 3).await, 0);
    assert_eq!(cluster.committed_offset("g", "t", 0), None);
    assert_eq!(cluster.pending_transactional_offsets(), 0);
    // After the abort a plain record from someone else.
    produce(
        clients.leader("t", 0).await,
        "t",
        0,
        batch(&["after"], &[1]),
    )
    .await;

    let p = fetch(clients.leader("t", 0).await, "t", 0, 1).await;
    assert_eq!(
        batches_of(p.records.clone()),
        vec![
            (0, producer.0, None),
            (1, producer.0, Some(ControlKind::Abort)),
            (2, -1, None),
        ]
    );
    assert_eq!(aborted_of(&p), Some(vec![(producer.0, 0)]));
    assert_eq!((p.high_watermark, p.last_stable_offset), (3, 3));
    // READ_UNCOMMITTED gets no aborted-transaction list.
    let p = fetch(clients.leader("t", 0).await, "t", 0, 0).await;
    assert_eq!(aborted_of(&p), None);
    // A fetch that starts after the aborted transaction is not told about it.
    let request = fetch_request("t", 0, 2, 0).with_isolation_level(1);
    let r = clients.leader("t", 0).await.call(&request, 12).await;
    assert_eq!(aborted_of(&r.responses[0].partitions[0]), Some(vec![]));
}

#[tokio::test]
async fn produce_needs_the_partition_in_the_transaction() {
    let cluster = three_brokers().await;
    let mut clients = Clients::new(&cluster);
    let producer = start_transactional(&mut clients, "tx").await;
    let c = clients.txn_coordinator("tx").await;
    add_partitions(c, "tx", producer, &[("t", 0)], 3).await;
    let attempt = |seq| transactional_batch(&["x"], producer.0, producer.1, seq);
    // Partition 1 was not added: TRANSACTION_ABORTABLE from v11, INVALID_TXN_STATE before.
    for (version, code) in [
        (11, TRANSACTION_ABORTABLE),
        (10, INVALID_TXN_STATE),
        (3, INVALID_TXN_STATE),
    ] {
        assert_eq!(
            produce_txn(
                clients.leader("t", 1).await,
                Some("tx"),
                ("t", 1),
                attempt(0),
                version
            )
            .await,
            (code, -1),
            "v{version}"
        );
    }
    assert_eq!(cluster.high_watermark("t", 1).unwrap(), 0);
    // Without a transactional id: the whole request is refused.
    assert_eq!(
        produce_txn(clients.leader("t", 0).await, None, ("t", 0), attempt(0), 11).await,
        (ResponseError::TransactionalIdAuthorizationFailed.code(), -1)
    );
    // Under another transactional id: that id does not hold this producer.
    assert_eq!(
        produce_txn(
            clients.leader("t", 0).await,
            Some("other"),
            ("t", 0),
            attempt(0),
            11
        )
        .await,
        (INVALID_PRODUCER_ID_MAPPING, -1)
    );
    // The added partition takes it; then a plain batch of the producer there is refused.
    let leader0 = clients.leader("t", 0).await;
    assert_eq!(
        produce_txn(leader0, Some("tx"), ("t", 0), attempt(0), 11).await,
        (0, 0)
    );
    let plain = idempotent_batch(&["y"], producer.0, producer.1, 1);
    assert_eq!(
        produce_txn(leader0, Some("tx"), ("t", 0), plain, 11).await,
        (INVALID_TXN_STATE, -1)
    );
    // Unknown partitions in AddPartitionsToTxn: nothing is added.
    let c = clients.txn_coordinator("tx").await;
    assert_eq!(
        add_partitions(c, "tx", producer, &[("t", 2), ("t", 9), ("nope", 0)], 3).await,
        vec![
            ("t".into(), 2, ResponseError::OperationNotAttempted.code()),
            ("t".into(), 9, UNKNOWN_TOPIC),
            ("nope".into(), 0, UNKNOWN_TOPIC),
        ]
    );
    assert_eq!(
        cluster.transaction_partitions("tx"),
        Some(vec![("t".into(), 0)])
    );
    // Unknown transactional id or producer id.
    assert_eq!(
        add_partitions(c, "tx", (producer.0 + 1, producer.1), &[("t", 2)], 3).await,
        vec![("t".into(), 2, INVALID_PRODUCER_ID_MAPPING)]
    );
    let nobody = "nobody";
    let c = clients.txn_coordinator(nobody).await;
    assert_eq!(
        end_txn(c, nobody, producer, true, 3).await,
        INVALID_PRODUCER_ID_MAPPING
    );
}

#[tokio::test]
async fn txn_offset_commit_checks_group_transaction_and_member() {
    let cluster = three_brokers().await;
    let mut clients = Clients::new(&cluster);
    let producer = start_transactional(&mut clients, "tx").await;
    let group_node = cluster.group_coordinator("g").unwrap();
    let request = txn_offset_commit_request("tx", producer, "g", &[("t", 0, 5), ("t", 8, 1)]);
    // The group was not added to a transaction.
    assert_eq!(
        txn_offset_commit(clients.node(group_node).await, &request).await,
        vec![INVALID_TXN_STATE, UNKNOWN_TOPIC]
    );
    let c = clients.txn_coordinator("tx").await;
    assert_eq!(add_offsets(c, "tx", producer, "g", 3).await, 0);
    // Another broker is not the group's coordinator.
    let elsewhere = (1..=3).find(|&n| n != group_node).unwrap();
    assert_eq!(
        txn_offset_commit(clients.node(elsewhere).await, &request).await,
        vec![NOT_COORDINATOR, UNKNOWN_TOPIC]
    );
    // A member the group does not have.
    let member = request
        .clone()
        .with_generation_id(3)
        .with_member_id(StrBytes::from_static_str("m-1"));
    assert_eq!(
        txn_offset_commit(clients.node(group_node).await, &member).await,
        vec![ResponseError::UnknownMemberId.code(), UNKNOWN_TOPIC]
    );
    // Another epoch.
    let wrong = txn_offset_commit_request("tx", (producer.0, producer.1 + 1), "g", &[("t", 0, 5)]);
    assert_eq!(
        txn_offset_commit(clients.node(group_node).await, &wrong).await,
        vec![INVALID_PRODUCER_EPOCH]
    );
    assert_eq!(
        txn_offset_commit(clients.node(group_node).await, &request).await,
        vec![0, UNKNOWN_TOPIC]
    );
    assert_eq!(cluster.pending_transactional_offsets(), 1);
}

#[tokio::test]
async fn expired_transaction_is_aborted_and_its_producer_fenced() {
    let cluster = three_brokers().await;
    let mut clients = Clients::new(&cluster);
    let producer = start_transactional(&mut clients, "tx").await;
    assert!(!cluster.expire_transaction("tx"));
    let c = clients.txn_coordinator("tx").await;
    add_partitions(c, "tx", producer, &[("t", 1)], 3).await;
    produce_txn(
        clients.leader("t", 1).await,
        Some("tx"),
        ("t", 1),
        transactional_batch(&["x"], producer.0, producer.1, 0),
        11,
    )
    .await;
    assert!(cluster.expire_transaction("tx"));
    assert_eq!(
        cluster.producer_epoch("tx"),
        Some((producer.0, producer.1 + 1))
    );
    assert_eq!(cluster.last_stable_offset("t", 1).unwrap(), 2);
    let c = clients.txn_coordinator("tx").await;
    assert_eq!(end_txn(c, "tx", producer, true, 3).await, PRODUCER_FENCED);
}

#[tokio::test]
async fn injected_coordinator_errors_leave_the_transaction_alone() {
    let cluster = three_brokers().await;
    let mut clients = Clients::new(&cluster);
    let producer = start_transactional(&mut clients, "tx").await;
    cluster.inject(
        Fault::new(ApiKey::AddPartitionsToTxn)
            .error(ErrorTarget::AllEntries, CONCURRENT_TRANSACTIONS),
    );
    cluster
        .inject(Fault::new(ApiKey::EndTxn).error(ErrorTarget::Response, CONCURRENT_TRANSACTIONS));
    let c = clients.txn_coordinator("tx").await;
    assert_eq!(
        add_partitions(c, "tx", producer, &[("t", 0)], 3).await,
        vec![("t".into(), 0, CONCURRENT_TRANSACTIONS)]
    );
    assert_eq!(cluster.open_transactions(), 0);
    add_partitions(c, "tx", producer, &[("t", 0)], 3).await;
    assert_eq!(
        end_txn(c, "tx", producer, true, 3).await,
        CONCURRENT_TRANSACTIONS
    );
    assert_eq!(cluster.open_transactions(), 1);
    assert_eq!(end_txn(c, "tx", producer, true, 3).await, 0);
    assert_eq!(cluster.open_transactions(), 0);
}

#[tokio::test]
async fn duplicates_answer_the_original_offset_and_are_counted() {
    let cluster = three_brokers().await;
    let mut clients = Clients::new(&cluster);
    let (code, pid, epoch) = init(clients.node(1).await, &init_request(None), 5).await;
    assert_eq!(code, 0);
    let leader = clients.leader("t", 0).await;
    let first = idempotent_batch(&["a", "b"], pid, epoch, 0);
    let second = idempotent_batch(&["c"], pid, epoch, 2);
    assert_eq!(produce(leader, "t", 0, first.clone()).await, (0, 0));
    assert_eq!(produce(leader, "t", 0, second.clone()).await, (0, 2));
    assert_eq!(produce(leader, "t", 0, second).await, (0, 2));
    assert_eq!(produce(leader, "t", 0, first).await, (0, 0));
    assert_eq!(cluster.duplicate_batches(), 2);
    assert_eq!(cluster.high_watermark("t", 0).unwrap(), 3);
    // A gap is out of order; an older epoch after a newer one is fenced.
    assert_eq!(
        produce(leader, "t", 0, idempotent_batch(&["d"], pid, epoch, 5))
            .await
            .0,
        ResponseError::OutOfOrderSequenceNumber.code()
    );
    assert_eq!(
        produce(leader, "t", 0, idempotent_batch(&["e"], pid, epoch + 1, 0)).await,
        (0, 3)
    );
    assert_eq!(
        produce(leader, "t", 0, idempotent_batch(&["f"], pid, epoch, 3))
            .await
            .0,
        INVALID_PRODUCER_EPOCH
    );
    assert_eq!(cluster.duplicate_batches(), 2);
}

#[tokio::test]
async fn forgotten_producers_per_kafka_version() {
    // Kafka 2.5+ (the default): a forgotten producer's next sequence is accepted.
    let cluster = three_brokers().await;
    let mut c = RawClient::connect(cluster.broker_addr(1).unwrap()).await;
    assert_eq!(
        produce(&mut c, "t", 0, idempotent_batch(&["a"], 1000, 0, 0)).await,
        (0, 0)
    );
    assert_eq!(cluster.forget_producers("t", 0).unwrap(), 1);
    assert_eq!(
        produce(&mut c, "t", 0, idempotent_batch(&["b"], 1000, 0, 1)).await,
        (0, 1)
    );

    // Brokers before 2.5: UNKNOWN_PRODUCER_ID, until the producer starts a new epoch at 0.
    let old = MockCluster::builder()
        .topic("t", 1)
        .unknown_producer_id_errors(true)
        .start()
        .await
        .unwrap();
    let mut c = RawClient::connect(old.broker_addr(1).unwrap()).await;
    assert_eq!(
        produce(&mut c, "t", 0, idempotent_batch(&["a", "b"], 1000, 0, 0)).await,
        (0, 0)
    );
    assert_eq!(old.forget_producers("t", 0).unwrap(), 1);
    let retry = idempotent_batch(&["a", "b"], 1000, 0, 0);
    let next = idempotent_batch(&["c"], 1000, 0, 2);
    assert_eq!(
        produce(&mut c, "t", 0, next).await,
        (ResponseError::UnknownProducerId.code(), -1)
    );
    // The forgotten batch is no longer recognised as a duplicate.
    assert_eq!(produce(&mut c, "t", 0, retry).await, (0, 2));
    assert_eq!(old.duplicate_batches(), 0);
    assert_eq!(
        produce(&mut c, "t", 0, idempotent_batch(&["d"], 1000, 1, 0)).await,
        (0, 4)
    );
    assert_eq!(
        old.forget_producers("t", 9)
            .map_err(|e| e.to_string())
            .unwrap_err(),
        "topic \"t\" has no partition 9"
    );
}
