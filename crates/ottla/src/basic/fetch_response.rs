//! Reading a Fetch answer: each asked partition's entry (by topic name, or by topic id from
//! v13), decoded into records, its error, or — when the broker is no longer the leader and
//! names the one that is (KIP-951) — that news, applied to the client's metadata.

use std::collections::HashMap;

use ottla_protocol::error_code::ErrorCode;
use ottla_protocol::messages::fetch_response::{NodeEndpoint, PartitionData};
use ottla_protocol::messages::{ApiKey, FetchResponse};
use ottla_protocol::records::{
    filter_aborted, AbortedTransaction, BatchReader, ConsumedRecord, DecodeLimits,
};
use uuid::Uuid;

use super::fetch::{EpochEnd, FetchOptions, FetchPosition, FetchedPartition};
use super::partition_result;
use crate::cluster::{BrokerInfo, ClusterMetadata};
use crate::{Client, Error};

/// Topic ids by name, from metadata (topics without one left out).
#[derive(Debug, Default)]
pub(super) struct TopicIds(HashMap<String, Uuid>);

impl TopicIds {
    pub fn from_metadata(m: Option<&ClusterMetadata>) -> Self {
        Self(
            m.into_iter()
                .flat_map(|m| m.topics.values())
                .filter(|t| t.topic_id != [0; 16])
                .map(|t| (t.name.clone(), Uuid::from_bytes(t.topic_id)))
                .collect(),
        )
    }

    pub fn id(&self, topic: &str) -> Option<Uuid> {
        self.0.get(topic).copied()
    }

    /// Whether every one of `topics` has an id.
    pub fn all_known<'a>(&self, mut topics: impl Iterator<Item = &'a str>) -> bool {
        topics.all(|t| self.0.contains_key(t))
    }
}

/// How to read an answer.
pub(super) struct Reading<'a> {
    /// The ids the request named topics by (`None`: by name).
    pub ids: Option<&'a TopicIds>,
    /// Whether the request was incremental: partitions left out have nothing new.
    pub incremental: bool,
    pub options: &'a FetchOptions,
}

/// Each of `wanted`'s result, in order.
pub(super) fn read(
    client: &Client,
    wanted: &[FetchPosition],
    response: &FetchResponse,
    how: &Reading<'_>,
) -> Vec<(FetchPosition, Result<FetchedPartition, Error>)> {
    wanted
        .iter()
        .map(|w| {
            let id = how.ids.and_then(|ids| ids.id(&w.topic));
            let entry = response
                .responses
                .iter()
                .filter(|t| match id {
                    Some(id) => t.topic_id == id,
                    None => t.topic.0.as_str() == w.topic,
                })
                .flat_map(|t| t.partitions.iter())
                .find(|p| p.partition_index == w.partition);
            let result = match entry {
                Some(p) => decode_partition(client, w, p, &response.node_endpoints, how.options),
                None if how.incremental => Ok(unchanged(w)),
                None => Err(Error::UnknownTopicOrPartition {
                    topic: w.topic.clone(),
                    partition: Some(w.partition),
                }),
            };
            (w.clone(), result)
        })
        .collect()
}

/// KIP-951: NOT_LEADER_OR_FOLLOWER or FENCED_LEADER_EPOCH with the current leader named
/// (and its endpoint among the answer's): the client's metadata takes it, and the error
/// says so. `None` when there is no such news, or it is older than what the client knows.
fn leader_hint(
    client: &Client,
    w: &FetchPosition,
    p: &PartitionData,
    endpoints: &[NodeEndpoint],
) -> Option<Error> {
    let code = ErrorCode(p.error_code);
    if code != ErrorCode::NOT_LEADER_OR_FOLLOWER && code != ErrorCode::FENCED_LEADER_EPOCH {
        return None;
    }
    let (leader, epoch) = (p.current_leader.leader_id.0, p.current_leader.leader_epoch);
    if leader < 0 || epoch < 0 {
        return None;
    }
    let endpoint = endpoints
        .iter()
        .find(|e| e.node_id.0 == leader)
        .and_then(|e| {
            Some(BrokerInfo {
                node_id: leader,
                host: e.host.to_string(),
                port: u16::try_from(e.port).ok().filter(|p| *p != 0)?,
                rack: e.rack.as_ref().map(|r| r.to_string()),
            })
        });
    client
        .apply_leader_hint(&w.topic, w.partition, leader, epoch, endpoint)
        .then(|| Error::LeaderMoved {
            topic: w.topic.clone(),
            partition: w.partition,
            leader,
            epoch,
        })
}

/// A partition an incremental fetch's answer left out: nothing new.
fn unchanged(w: &FetchPosition) -> FetchedPartition {
    FetchedPartition {
        records: Vec::new(),
        next_offset: w.offset,
        high_watermark: -1,
        last_stable_offset: -1,
        log_start_offset: -1,
        last_epoch: -1,
        diverging: None,
        preferred_read_replica: None,
        changed: false,
    }
}

/// One partition's part of a Fetch response: its error, or its records from `w.offset` on.
fn decode_partition(
    client: &Client,
    w: &FetchPosition,
    p: &PartitionData,
    endpoints: &[NodeEndpoint],
    options: &FetchOptions,
) -> Result<FetchedPartition, Error> {
    let (topic, partition, offset) = (&w.topic, w.partition, w.offset);
    if let Some(moved) = leader_hint(client, w, p, endpoints) {
        return Err(moved);
    }
    partition_result::check(
        client,
        ApiKey::Fetch,
        p.error_code,
        || format!("{topic}-{partition} at offset {offset}"),
        None,
    )?;
    let limits = DecodeLimits {
        max_decompressed_bytes: client.config().receive_message_max_bytes.max(1 << 20) * 4,
    };
    // Every batch's records straight into one vector (one copy of each record).
    let mut records: Vec<ConsumedRecord> = Vec::new();
    let mut batches = Vec::new();
    if let Some(bytes) = &p.records {
        let mut reader = BatchReader::new(bytes.clone(), limits);
        while let Some(batch) = reader.next_into(&mut records) {
            batches.push(batch.map_err(|e| Error::Decode {
                context: format!("{topic}-{partition} at offset {offset}"),
                source: e.into(),
            })?);
        }
    }
    let diverging =
        (p.diverging_epoch.epoch >= 0 && p.diverging_epoch.end_offset >= 0).then_some(EpochEnd {
            epoch: p.diverging_epoch.epoch,
            end_offset: p.diverging_epoch.end_offset,
        });
    let last_epoch = batches.last().map_or(-1, |b| b.partition_leader_epoch);
    let next_offset = batches
        .last()
        .map(|b| b.base_offset + i64::from(b.last_offset_delta) + 1)
        .map_or(offset, |n| n.max(offset));
    if options.read_committed {
        let aborted: Vec<AbortedTransaction> = p
            .aborted_transactions
            .iter()
            .flatten()
            .map(|a| AbortedTransaction {
                producer_id: a.producer_id.0,
                first_offset: a.first_offset,
            })
            .collect();
        if !aborted.is_empty() {
            // Keep the records of the batches that survive, by their offset ranges.
            let kept: Vec<(i64, i64)> = filter_aborted(batches, &aborted)
                .iter()
                .map(|b| (b.base_offset, b.last_offset()))
                .collect();
            let mut ranges = kept.iter().peekable();
            records.retain(|r| {
                while ranges.next_if(|(_, last)| *last < r.offset).is_some() {}
                ranges.peek().is_some_and(|(first, _)| *first <= r.offset)
            });
        }
    }
    // Only the first batch can start before the asked offset.
    let before = records.iter().take_while(|r| r.offset < offset).count();
    records.drain(..before);
    Ok(FetchedPartition {
        records,
        next_offset,
        high_watermark: p.high_watermark,
        last_stable_offset: p.last_stable_offset,
        log_start_offset: p.log_start_offset,
        last_epoch,
        diverging,
        preferred_read_replica: (p.preferred_read_replica.0 >= 0)
            .then_some(p.preferred_read_replica.0),
        changed: true,
    })
}
