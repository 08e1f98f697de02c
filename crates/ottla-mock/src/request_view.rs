//! [`RequestView`]: what a fault's predicate sees of a request — its header and the names in
//! its body (topics and partitions, group id, transactional id).

use std::collections::BTreeSet;

use bytes::Bytes;
use kafka_protocol::messages::{
    AddOffsetsToTxnRequest, AddPartitionsToTxnRequest, ApiKey, ConsumerGroupHeartbeatRequest,
    CreatePartitionsRequest, CreateTopicsRequest, DeleteGroupsRequest, DeleteRecordsRequest,
    DeleteTopicsRequest, DescribeGroupsRequest, EndTxnRequest, FetchRequest, HeartbeatRequest,
    InitProducerIdRequest, JoinGroupRequest, LeaveGroupRequest, ListOffsetsRequest,
    MetadataRequest, OffsetCommitRequest, OffsetFetchRequest, ProduceRequest, SyncGroupRequest,
    TxnOffsetCommitRequest,
};
use kafka_protocol::protocol::Decodable;

use crate::state::ClusterState;

/// One request as a fault predicate sees it
/// ([`Fault::when`](crate::Fault::when)).
///
/// The body is decoded for Produce, Fetch, ListOffsets, Metadata, CreateTopics, DeleteTopics,
/// CreatePartitions, DeleteRecords, the group requests (JoinGroup, SyncGroup, Heartbeat,
/// LeaveGroup, OffsetCommit, OffsetFetch, ConsumerGroupHeartbeat, and the first group of
/// DescribeGroups and DeleteGroups) and the transactional ones (InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit,
/// EndTxn); other requests show their header only. Fetch's topic ids are resolved to names
/// (an unknown id shows no name).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestView {
    api: Option<ApiKey>,
    version: i16,
    node: i32,
    client_id: Option<String>,
    topics: BTreeSet<String>,
    partitions: BTreeSet<(String, i32)>,
    group_id: Option<String>,
    transactional_id: Option<String>,
}

impl RequestView {
    /// A view of `api` at `version` to `node` from `client_id` with nothing decoded from the
    /// body (for unit tests of a predicate).
    pub fn new(api: ApiKey, version: i16, node: i32, client_id: Option<&str>) -> Self {
        Self {
            api: Some(api),
            version,
            node,
            client_id: client_id.map(str::to_owned),
            ..Self::default()
        }
    }

    /// Adds a partition of a topic (and the topic).
    pub fn with_partition(mut self, topic: &str, partition: i32) -> Self {
        self.topics.insert(topic.to_owned());
        self.partitions.insert((topic.to_owned(), partition));
        self
    }

    /// Sets the group id.
    pub fn with_group_id(mut self, group_id: &str) -> Self {
        self.group_id = Some(group_id.to_owned());
        self
    }

    /// Sets the transactional id.
    pub fn with_transactional_id(mut self, transactional_id: &str) -> Self {
        self.transactional_id = Some(transactional_id.to_owned());
        self
    }

    /// The API key.
    pub fn api(&self) -> Option<ApiKey> {
        self.api
    }

    /// The request's version.
    pub fn version(&self) -> i16 {
        self.version
    }

    /// The broker it came to.
    pub fn node(&self) -> i32 {
        self.node
    }

    /// The client id of the request header.
    pub fn client_id(&self) -> Option<&str> {
        self.client_id.as_deref()
    }

    /// The topics the request names.
    pub fn topics(&self) -> &BTreeSet<String> {
        &self.topics
    }

    /// The partitions the request names, as (topic, partition).
    pub fn partitions(&self) -> &BTreeSet<(String, i32)> {
        &self.partitions
    }

    /// Whether the request names `partition` of `topic`.
    pub fn has_partition(&self, topic: &str, partition: i32) -> bool {
        self.partitions.contains(&(topic.to_owned(), partition))
    }

    /// The group id (group requests, AddOffsetsToTxn, TxnOffsetCommit; the first group of
    /// DescribeGroups and DeleteGroups).
    pub fn group_id(&self) -> Option<&str> {
        self.group_id.as_deref()
    }

    /// The transactional id (transactional requests, and a transactional Produce).
    pub fn transactional_id(&self) -> Option<&str> {
        self.transactional_id.as_deref()
    }

    fn topic(&mut self, name: &str) {
        self.topics.insert(name.to_owned());
    }

    fn partitions_of(&mut self, topic: &str, partitions: impl IntoIterator<Item = i32>) {
        self.topic(topic);
        for p in partitions {
            self.partitions.insert((topic.to_owned(), p));
        }
    }
}

/// Decodes the names in `body` (a copy; the request itself is decoded again by its handler).
/// A body that does not decode shows nothing (its handler reports the error).
pub(crate) fn view(
    state: &ClusterState,
    api: ApiKey,
    version: i16,
    node: i32,
    client_id: Option<&str>,
    body: &Bytes,
) -> RequestView {
    let mut v = RequestView::new(api, version, node, client_id);
    let mut b = body.clone();
    match api {
        ApiKey::Produce => {
            if let Ok(r) = ProduceRequest::decode(&mut b, version) {
                v.transactional_id = r.transactional_id.map(|t| t.to_string());
                for t in &r.topic_data {
                    v.partitions_of(&t.name, t.partition_data.iter().map(|p| p.index));
                }
            }
        }
        ApiKey::Fetch => {
            if let Ok(r) = FetchRequest::decode(&mut b, version) {
                for t in &r.topics {
                    let name = if t.topic.is_empty() {
                        state.topic_name_by_id(t.topic_id).map(str::to_owned)
                    } else {
                        Some(t.topic.to_string())
                    };
                    if let Some(name) = name {
                        v.partitions_of(&name, t.partitions.iter().map(|p| p.partition));
                    }
                }
            }
        }
        ApiKey::ListOffsets => {
            if let Ok(r) = ListOffsetsRequest::decode(&mut b, version) {
                for t in &r.topics {
                    v.partitions_of(&t.name, t.partitions.iter().map(|p| p.partition_index));
                }
            }
        }
        ApiKey::Metadata => {
            if let Ok(r) = MetadataRequest::decode(&mut b, version) {
                for t in r.topics.iter().flatten() {
                    if let Some(name) = &t.name {
                        v.topic(name);
                    }
                }
            }
        }
        ApiKey::DeleteTopics => {
            if let Ok(r) = DeleteTopicsRequest::decode(&mut b, version) {
                for name in r.topic_names.iter() {
                    v.topic(name);
                }
                for t in &r.topics {
                    if let Some(name) = &t.name {
                        v.topic(name);
                    }
                }
            }
        }
        ApiKey::CreateTopics => {
            if let Ok(r) = CreateTopicsRequest::decode(&mut b, version) {
                for t in &r.topics {
                    v.topic(&t.name);
                }
            }
        }
        ApiKey::CreatePartitions => {
            if let Ok(r) = CreatePartitionsRequest::decode(&mut b, version) {
                for t in &r.topics {
                    v.topic(&t.name);
                }
            }
        }
        ApiKey::DeleteRecords => {
            if let Ok(r) = DeleteRecordsRequest::decode(&mut b, version) {
                for t in &r.topics {
                    v.partitions_of(&t.name, t.partitions.iter().map(|p| p.partition_index));
                }
            }
        }
        ApiKey::ConsumerGroupHeartbeat => {
            if let Ok(r) = ConsumerGroupHeartbeatRequest::decode(&mut b, version) {
                v.group_id = Some(r.group_id.to_string());
            }
        }
        ApiKey::DescribeGroups => {
            if let Ok(r) = DescribeGroupsRequest::decode(&mut b, version) {
                v.group_id = r.groups.first().map(|g| g.to_string());
            }
        }
        ApiKey::DeleteGroups => {
            if let Ok(r) = DeleteGroupsRequest::decode(&mut b, version) {
                v.group_id = r.groups_names.first().map(|g| g.to_string());
            }
        }
        ApiKey::JoinGroup => {
            if let Ok(r) = JoinGroupRequest::decode(&mut b, version) {
                v.group_id = Some(r.group_id.to_string());
            }
        }
        ApiKey::SyncGroup => {
            if let Ok(r) = SyncGroupRequest::decode(&mut b, version) {
                v.group_id = Some(r.group_id.to_string());
            }
        }
        ApiKey::Heartbeat => {
            if let Ok(r) = HeartbeatRequest::decode(&mut b, version) {
                v.group_id = Some(r.group_id.to_string());
            }
        }
        ApiKey::LeaveGroup => {
            if let Ok(r) = LeaveGroupRequest::decode(&mut b, version) {
                v.group_id = Some(r.group_id.to_string());
            }
        }
        ApiKey::OffsetCommit => {
            if let Ok(r) = OffsetCommitRequest::decode(&mut b, version) {
                v.group_id = Some(r.group_id.to_string());
                for t in &r.topics {
                    v.partitions_of(&t.name, t.partitions.iter().map(|p| p.partition_index));
                }
            }
        }
        ApiKey::OffsetFetch => {
            if let Ok(r) = OffsetFetchRequest::decode(&mut b, version) {
                if !r.group_id.is_empty() {
                    v.group_id = Some(r.group_id.to_string());
                }
                for t in r.topics.iter().flatten() {
                    v.partitions_of(&t.name, t.partition_indexes.iter().copied());
                }
                if let Some(g) = r.groups.first() {
                    v.group_id = Some(g.group_id.to_string());
                    for t in g.topics.iter().flatten() {
                        v.partitions_of(&t.name, t.partition_indexes.iter().copied());
                    }
                }
            }
        }
        ApiKey::InitProducerId => {
            if let Ok(r) = InitProducerIdRequest::decode(&mut b, version) {
                v.transactional_id = r.transactional_id.map(|t| t.to_string());
            }
        }
        ApiKey::AddPartitionsToTxn => {
            if let Ok(r) = AddPartitionsToTxnRequest::decode(&mut b, version) {
                if !r.v3_and_below_transactional_id.is_empty() {
                    v.transactional_id = Some(r.v3_and_below_transactional_id.to_string());
                }
                for t in &r.v3_and_below_topics {
                    v.partitions_of(&t.name, t.partitions.iter().copied());
                }
            }
        }
        ApiKey::AddOffsetsToTxn => {
            if let Ok(r) = AddOffsetsToTxnRequest::decode(&mut b, version) {
                v.transactional_id = Some(r.transactional_id.to_string());
                v.group_id = Some(r.group_id.to_string());
            }
        }
        ApiKey::TxnOffsetCommit => {
            if let Ok(r) = TxnOffsetCommitRequest::decode(&mut b, version) {
                v.transactional_id = Some(r.transactional_id.to_string());
                v.group_id = Some(r.group_id.to_string());
                for t in &r.topics {
                    v.partitions_of(&t.name, t.partitions.iter().map(|p| p.partition_index));
                }
            }
        }
        ApiKey::EndTxn => {
            if let Ok(r) = EndTxnRequest::decode(&mut b, version) {
                v.transactional_id = Some(r.transactional_id.to_string());
            }
        }
        _ => {}
    }
    v
}
