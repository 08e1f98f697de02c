//! [`MockCluster`]: the test's handle on a running fake cluster.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use kafka_protocol::messages::ApiKey;

use crate::batch::parse_header;
use crate::broker::{self, BrokerTask};
use crate::builder::MockClusterBuilder;
use crate::coordinator::{coordinator, CoordinatorKind};
use crate::error::MockError;
use crate::fault::{Fault, FaultId};
use crate::log::OutOfRange;
use crate::sasl::SaslCounter;
use crate::state::{Shared, NO_LEADER};
use crate::txn_coordinator::TxnState;
use crate::txn_markers;

/// A broker's fixed address and, while it runs, its task.
#[derive(Debug)]
pub(crate) struct BrokerSlot {
    pub addr: SocketAddr,
    pub task: Option<BrokerTask>,
}

/// An in-process fake Kafka cluster: brokers listening on loopback ports, serving from shared
/// in-memory state, steerable by the test (leaders, broker restarts, injected faults) and
/// observable (request counts, stored batches).
///
/// Start one with [`MockCluster::builder`]. Brokers run as tasks on the tokio runtime that
/// called [`MockClusterBuilder::start`]; dropping the cluster stops them all.
#[derive(Debug)]
pub struct MockCluster {
    shared: Arc<Shared>,
    brokers: Mutex<BTreeMap<i32, BrokerSlot>>,
}

impl MockCluster {
    /// A builder with one broker and no topics.
    pub fn builder() -> MockClusterBuilder {
        MockClusterBuilder::default()
    }

    pub(crate) fn new(shared: Arc<Shared>, brokers: BTreeMap<i32, BrokerSlot>) -> Self {
        Self {
            shared,
            brokers: Mutex::new(brokers),
        }
    }

    fn slots(&self) -> MutexGuard<'_, BTreeMap<i32, BrokerSlot>> {
        self.brokers.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `host:port` of every broker (running or not), comma-separated, for `bootstrap.servers`.
    pub fn bootstrap(&self) -> String {
        self.slots()
            .values()
            .map(|s| s.addr.to_string())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The address of broker `node`; it keeps it across stops and starts.
    pub fn broker_addr(&self, node: i32) -> Option<SocketAddr> {
        self.slots().get(&node).map(|s| s.addr)
    }

    /// Node ids of all brokers, ascending.
    pub fn node_ids(&self) -> Vec<i32> {
        self.slots().keys().copied().collect()
    }

    /// The cluster id Metadata reports.
    pub fn cluster_id(&self) -> String {
        self.shared.lock().settings.cluster_id.clone()
    }

    /// Whether broker `node` is running.
    pub fn is_running(&self, node: i32) -> bool {
        self.shared.lock().is_running(node)
    }

    /// Stops broker `node` as if it crashed: its port refuses connections and its open
    /// connections are closed without answering requests in progress.
    /// Partitions it led move to their next running replica, or have no leader (Metadata then
    /// reports LEADER_NOT_AVAILABLE) until it returns. Stopping a stopped broker does nothing.
    pub async fn stop_broker(&self, node: i32) -> Result<(), MockError> {
        let task = {
            let mut slots = self.slots();
            let slot = slots.get_mut(&node).ok_or(MockError::UnknownBroker(node))?;
            slot.task.take()
        };
        let Some(task) = task else {
            return Ok(());
        };
        // Like a crash: connections close first (requests in progress get no answer), then
        // leadership moves.
        task.stop().await;
        self.shared.lock().broker_stopped(node);
        self.shared.notify_changed();
        Ok(())
    }

    /// Starts broker `node` again on the same port. Partitions left without a leader that it
    /// replicates get it back as leader. Starting a running broker does nothing.
    pub async fn start_broker(&self, node: i32) -> Result<(), MockError> {
        let addr = {
            let slots = self.slots();
            let slot = slots.get(&node).ok_or(MockError::UnknownBroker(node))?;
            if slot.task.is_some() {
                return Ok(());
            }
            slot.addr
        };
        let listener = broker::bind(node, addr, true).await?;
        let task = BrokerTask::spawn(self.shared.clone(), node, listener);
        let previous = self
            .slots()
            .get_mut(&node)
            .and_then(|slot| slot.task.replace(task));
        if let Some(previous) = previous {
            // Another caller started it meanwhile; keep one.
            previous.abort();
        }
        self.shared.lock().broker_started(node);
        self.shared.notify_changed();
        Ok(())
    }

    /// Stops every broker and waits until all connections are closed.
    pub async fn shutdown(&self) {
        let tasks: Vec<(i32, BrokerTask)> = self
            .slots()
            .iter_mut()
            .filter_map(|(&node, s)| s.task.take().map(|t| (node, t)))
            .collect();
        for (node, task) in tasks {
            task.stop().await;
            self.shared.lock().broker_stopped(node);
        }
        self.shared.notify_changed();
    }

    /// Makes `node` (a running broker) the leader of a partition and bumps its leader epoch.
    /// The old leader then answers NOT_LEADER_OR_FOLLOWER for it.
    pub fn set_leader(&self, topic: &str, partition: i32, node: i32) -> Result<(), MockError> {
        self.shared.lock().set_leader(topic, partition, node)?;
        self.shared.notify_changed();
        Ok(())
    }

    /// The partition's leader, or `None` while it has none.
    pub fn leader(&self, topic: &str, partition: i32) -> Result<Option<i32>, MockError> {
        let state = self.shared.lock();
        let p = state.partition(topic, partition)?;
        Ok((p.leader != NO_LEADER).then_some(p.leader))
    }

    /// The partition's leader epoch (0 at creation, +1 per leader change).
    pub fn leader_epoch(&self, topic: &str, partition: i32) -> Result<i32, MockError> {
        Ok(self.shared.lock().partition(topic, partition)?.leader_epoch)
    }

    /// Creates a topic as the builder would (round-robin leaders over running brokers, default
    /// replication factor).
    pub fn create_topic(&self, name: &str, partitions: i32) -> Result<(), MockError> {
        self.shared.lock().create_topic(name, partitions)?;
        self.shared.notify_changed();
        Ok(())
    }

    /// Deletes a topic and its data.
    pub fn delete_topic(&self, name: &str) -> Result<(), MockError> {
        self.shared
            .lock()
            .remove_topic(name)
            .ok_or_else(|| MockError::UnknownTopic(name.to_owned()))?;
        self.shared.notify_changed();
        Ok(())
    }

    /// Names of all topics, sorted.
    pub fn topics(&self) -> Vec<String> {
        self.shared.lock().topics.keys().cloned().collect()
    }

    /// Number of partitions of a topic.
    pub fn partition_count(&self, topic: &str) -> Result<i32, MockError> {
        let state = self.shared.lock();
        let t = state
            .topics
            .get(topic)
            .ok_or_else(|| MockError::UnknownTopic(topic.to_owned()))?;
        Ok(i32::try_from(t.partitions.len()).unwrap_or(i32::MAX))
    }

    /// Registers a fault; see [`Fault`].
    pub fn inject(&self, fault: Fault) -> FaultId {
        self.shared.lock().faults.add(fault)
    }

    /// Removes a fault; `false` if it was not registered.
    pub fn remove_fault(&self, id: FaultId) -> bool {
        self.shared.lock().faults.remove(id)
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    /// How many requests a fault has been applied to, or `None` if it was removed.
    pub fn fault_hits(&self, id: FaultId) -> Option<u64> {
        self.shared.lock().faults.hits(id)
    }

    /// Uses left across all faults limited to N requests.
    pub fn pending_faults(&self) -> u64 {
        self.shared.lock().faults.pending()
    }

    /// Requests of `api` received by all brokers (every request whose frame carried an API key,
    /// including those a fault dropped or that were malformed).
    pub fn request_count(&self, api: ApiKey) -> u64 {
        self.shared.lock().stats.requests(api as i16, None)
    }

    /// Requests of `api` received by broker `node`.
    pub fn request_count_on(&self, node: i32, api: ApiKey) -> u64 {
        self.shared.lock().stats.requests(api as i16, Some(node))
    }

    /// Requests with a raw API key (including keys Kafka does not define).
    pub fn raw_request_count(&self, api_key: i16) -> u64 {
        self.shared.lock().stats.requests(api_key, None)
    }

    /// Connections accepted by all brokers.
    pub fn connection_count(&self) -> u64 {
        self.shared.lock().stats.connections(None)
    }

    /// Connections accepted by broker `node`.
    pub fn connection_count_on(&self, node: i32) -> u64 {
        self.shared.lock().stats.connections(Some(node))
    }

    /// A SASL counter over all brokers (0 when SASL is off).
    pub fn sasl_count(&self, counter: SaslCounter) -> u64 {
        self.shared.lock().stats.sasl.count(counter, None)
    }

    /// A SASL counter of broker `node`.
    pub fn sasl_count_on(&self, node: i32, counter: SaslCounter) -> u64 {
        self.shared.lock().stats.sasl.count(counter, Some(node))
    }

    /// `(node, principal)` of every open connection that has authenticated, oldest connection
    /// first.
    pub fn sasl_principals(&self) -> Vec<(i32, String)> {
        self.shared.lock().stats.sasl.principals()
    }

    /// The partition's stored record batches, oldest first, as a Fetch returns them (base offset
    /// and partition leader epoch assigned).
    pub fn batches(&self, topic: &str, partition: i32) -> Result<Vec<Bytes>, MockError> {
        let state = self.shared.lock();
        let p = state.partition(topic, partition)?;
        Ok(p.log.batches().map(|b| b.bytes.clone()).collect())
    }

    /// Records between the log start offset and the high watermark.
    pub fn record_count(&self, topic: &str, partition: i32) -> Result<i64, MockError> {
        Ok(self
            .shared
            .lock()
            .partition(topic, partition)?
            .log
            .record_count())
    }

    /// The partition's high watermark (offset of the next record).
    pub fn high_watermark(&self, topic: &str, partition: i32) -> Result<i64, MockError> {
        Ok(self
            .shared
            .lock()
            .partition(topic, partition)?
            .log
            .high_watermark())
    }

    /// The partition's log start offset.
    pub fn log_start_offset(&self, topic: &str, partition: i32) -> Result<i64, MockError> {
        Ok(self
            .shared
            .lock()
            .partition(topic, partition)?
            .log
            .log_start_offset())
    }

    /// Appends one record batch (magic v2, valid CRC) directly, as a Produce to the leader
    /// would (the partition's producer checks apply; a transactional batch is not verified with
    /// the transaction coordinator); returns its base offset.
    pub fn append(&self, topic: &str, partition: i32, batch: Bytes) -> Result<i64, MockError> {
        let header = parse_header(&batch).map_err(|e| MockError::BatchRefused {
            code: e.code,
            reason: e.reason,
        })?;
        let base_offset = {
            let mut state = self.shared.lock();
            let unknown_producers = state.settings.unknown_producers;
            let p = state.partition_mut(topic, partition)?;
            let epoch = p.leader_epoch;
            p.log
                .append(&header, &batch, epoch, unknown_producers)
                .map_err(|e| MockError::BatchRefused {
                    code: e.code,
                    reason: e.reason,
                })?
                .base_offset
        };
        self.shared.notify_changed();
        Ok(base_offset)
    }

    /// Deletes records before `offset` (like DeleteRecords): the log start moves there and
    /// batches that end before it are dropped. Fetches below it get OFFSET_OUT_OF_RANGE.
    pub fn set_log_start_offset(
        &self,
        topic: &str,
        partition: i32,
        offset: i64,
    ) -> Result<(), MockError> {
        {
            let mut state = self.shared.lock();
            let log = &mut state.partition_mut(topic, partition)?.log;
            let (log_start, high_watermark) = (log.log_start_offset(), log.high_watermark());
            log.advance_log_start(offset)
                .map_err(|OutOfRange| MockError::OffsetOutOfRange {
                    offset,
                    log_start,
                    high_watermark,
                })?;
        }
        self.shared.notify_changed();
        Ok(())
    }

    /// The partition's last stable offset: the first offset of its earliest open transaction,
    /// or the high watermark when none is open. READ_COMMITTED fetches stop there.
    pub fn last_stable_offset(&self, topic: &str, partition: i32) -> Result<i64, MockError> {
        Ok(self
            .shared
            .lock()
            .partition(topic, partition)?
            .log
            .last_stable_offset())
    }

    /// Produce batches answered as retries of stored ones (with their original offset, nothing
    /// appended), over all brokers and partitions.
    pub fn duplicate_batches(&self) -> u64 {
        self.shared.lock().stats.duplicates()
    }

    /// Drops the partition's state of every producer without an open transaction there, as
    /// Kafka does when retention removes a producer's last records. The producer's next batch is
    /// then not recognised as a duplicate, and one with a non-zero sequence is accepted as
    /// Kafka 2.5+ does, or answered UNKNOWN_PRODUCER_ID with
    /// [`MockClusterBuilder::unknown_producer_id_errors`]. Returns how many producers were
    /// forgotten.
    pub fn forget_producers(&self, topic: &str, partition: i32) -> Result<usize, MockError> {
        Ok(self
            .shared
            .lock()
            .partition_mut(topic, partition)?
            .log
            .forget_producers())
    }

    /// The producer id and current epoch of a transactional id (the epoch a fenced or timed-out
    /// transaction was aborted with counts), or `None` if no InitProducerId named it.
    pub fn producer_epoch(&self, transactional_id: &str) -> Option<(i64, i16)> {
        self.shared
            .lock()
            .txns
            .get(transactional_id)
            .map(|m| (m.producer_id, m.producer_epoch))
    }

    /// How many transactional ids have a transaction ongoing (partitions or a group added and
    /// not yet committed or aborted).
    pub fn open_transactions(&self) -> usize {
        self.shared.lock().txns.ongoing()
    }

    /// The partitions of the transactional id's ongoing transaction, sorted; `None` if no
    /// transaction is ongoing.
    pub fn transaction_partitions(&self, transactional_id: &str) -> Option<Vec<(String, i32)>> {
        self.shared
            .lock()
            .txns
            .get(transactional_id)
            .filter(|m| m.state == TxnState::Ongoing)
            .map(|m| m.partitions.iter().cloned().collect())
    }

    /// The offset `group` has committed for a partition (TxnOffsetCommit offsets count once
    /// their transaction commits).
    pub fn committed_offset(&self, group: &str, topic: &str, partition: i32) -> Option<i64> {
        self.shared
            .lock()
            .groups
            .committed(group, topic, partition)
            .map(|c| c.offset)
    }

    /// Offsets sent with TxnOffsetCommit whose transaction has not ended yet, over all groups.
    pub fn pending_transactional_offsets(&self) -> usize {
        self.shared.lock().groups.pending_count()
    }

    /// The broker that coordinates `transactional_id` (where InitProducerId,
    /// AddPartitionsToTxn, AddOffsetsToTxn and EndTxn must go), or `None` while no broker runs.
    /// Stopping it moves the coordinator to the next running broker until it starts again.
    pub fn transaction_coordinator(&self, transactional_id: &str) -> Option<i32> {
        coordinator(
            &self.shared.lock(),
            CoordinatorKind::Transaction,
            transactional_id,
        )
    }

    /// `group`'s generation (bumped by every completed rebalance) and its members' ids, or
    /// `None` for a group that never had a member.
    pub fn group_members(&self, group: &str) -> Option<(i32, Vec<String>)> {
        let state = self.shared.lock();
        let g = state.group_coordinator.group(group)?;
        Some((g.generation, g.members.keys().cloned().collect()))
    }

    /// A KIP-848 consumer group's epoch, state (`Empty`, `Reconciling`, `Stable`) and members'
    /// ids, or `None` for a group that never had one.
    pub fn consumer_group(&self, group: &str) -> Option<(i32, &'static str, Vec<String>)> {
        let state = self.shared.lock();
        let g = state.consumer_groups.group(group)?;
        Some((g.epoch, g.state_name(), g.members.keys().cloned().collect()))
    }

    /// The broker that coordinates `group` (where group requests and TxnOffsetCommit must
    /// go), or `None` while no broker runs.
    pub fn group_coordinator(&self, group: &str) -> Option<i32> {
        coordinator(&self.shared.lock(), CoordinatorKind::Group, group)
    }

    /// Moves `group`'s coordinator to broker `node`, as a leadership change of its
    /// `__consumer_offsets` partition would: from now on the old coordinator answers the
    /// group's requests NOT_COORDINATOR and FindCoordinator names `node`. The group's members,
    /// generation and committed offsets move with it (they live in the log). It stays on
    /// `node` while `node` runs; when `node` stops, the usual failover applies.
    pub fn move_group_coordinator(&self, group: &str, node: i32) -> Result<(), MockError> {
        self.move_coordinator(CoordinatorKind::Group, group, node)
    }

    /// Moves `transactional_id`'s coordinator to broker `node` (a leadership change of its
    /// `__transaction_state` partition): the old one answers NOT_COORDINATOR, FindCoordinator
    /// names `node`, and the producer id, epoch and ongoing transaction move with it.
    pub fn move_transaction_coordinator(
        &self,
        transactional_id: &str,
        node: i32,
    ) -> Result<(), MockError> {
        self.move_coordinator(CoordinatorKind::Transaction, transactional_id, node)
    }

    fn move_coordinator(
        &self,
        kind: CoordinatorKind,
        key: &str,
        node: i32,
    ) -> Result<(), MockError> {
        let mut state = self.shared.lock();
        match state.brokers.get(&node) {
            None => return Err(MockError::UnknownBroker(node)),
            Some(b) if !b.running => return Err(MockError::BrokerStopped(node)),
            Some(_) => {}
        }
        state.coordinator_moves.insert((kind, key.to_owned()), node);
        Ok(())
    }

    /// Aborts the transactional id's ongoing transaction as the coordinator does when its
    /// `transaction.timeout.ms` passes (the mock keeps no timer): the epoch is bumped, so the
    /// producer's next request is fenced, ABORT markers are written and its pending offsets
    /// dropped. Returns `false` if no transaction was ongoing.
    pub fn expire_transaction(&self, transactional_id: &str) -> bool {
        let written = {
            let mut state = self.shared.lock();
            let Some(ended) = state.txns.expire(transactional_id) else {
                return false;
            };
            txn_markers::complete(&mut state, &ended)
        };
        if written > 0 {
            self.shared.notify_changed();
        }
        true
    }
}

impl Drop for MockCluster {
    fn drop(&mut self) {
        for slot in self.slots().values() {
            if let Some(task) = &slot.task {
                task.abort();
            }
        }
    }
}
