//! Fetch from one partition, or from several partitions of one leader in one request.

use std::time::Duration;
use tracing::Instrument;

use ottla_protocol::error_code::ErrorCode;
use ottla_protocol::messages::fetch_request::{FetchPartition, FetchTopic, ForgottenTopic};
use ottla_protocol::messages::{ApiKey, BrokerId, FetchRequest, TopicName};
use ottla_protocol::records::ConsumedRecord;
use ottla_protocol::StrBytes;

use super::fetch_response::{self, TopicIds};
use super::partition_result;
use super::FetchSession;
use crate::connection::BrokerConnection;
use crate::{Client, ConfigError, Error};

/// The fetch settings [`FetchOptions::set`] takes by their Kafka names.
pub const FETCH_KEYS: &[&str] = &["isolation.level"];

/// How to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchOptions {
    /// `fetch.max.wait.ms`: how long the broker may hold the request waiting for data.
    pub max_wait: Duration,
    /// `fetch.min.bytes`.
    pub min_bytes: i32,
    /// `fetch.max.bytes`.
    pub max_bytes: i32,
    /// `max.partition.fetch.bytes`.
    pub partition_max_bytes: i32,
    /// `isolation.level=read_committed`: read up to the last stable offset only, and skip
    /// records of aborted transactions.
    pub read_committed: bool,
    /// `client.rack`: sent with each Fetch (v11+), so a broker with a rack-aware replica
    /// selector can name a replica in the same rack to read from (KIP-392).
    pub rack: Option<String>,
}

impl FetchOptions {
    /// Sets one setting by its Kafka property name: `isolation.level` (`read_uncommitted`,
    /// the default, or `read_committed`, as the Java consumer and librdkafka spell them; case
    /// does not matter). Another key is [`ConfigError::UnknownKey`], a bad value
    /// [`ConfigError::InvalidValue`] naming the key.
    pub fn set(&mut self, key: &str, value: &str) -> Result<&mut Self, ConfigError> {
        match key {
            "isolation.level" => {
                self.read_committed = match value.trim().to_ascii_lowercase().as_str() {
                    "read_committed" => true,
                    "read_uncommitted" => false,
                    _ => {
                        return Err(ConfigError::invalid(
                            key,
                            value,
                            "read_committed or read_uncommitted",
                        ))
                    }
                }
            }
            other => return Err(ConfigError::unknown_key(other)),
        }
        Ok(self)
    }
}

impl Default for FetchOptions {
    fn default() -> Self {
        Self {
            max_wait: Duration::from_millis(500),
            min_bytes: 1,
            max_bytes: 52_428_800,
            partition_max_bytes: 1_048_576,
            read_committed: false,
            rack: None,
        }
    }
}

/// What one fetch returned for the partition.
#[derive(Debug, Clone)]
pub struct FetchedPartition {
    /// Records at or after the requested offset, control records and (with read_committed)
    /// aborted records removed.
    pub records: Vec<ConsumedRecord>,
    /// The offset to fetch next.
    pub next_offset: i64,
    /// The partition's high watermark.
    pub high_watermark: i64,
    /// The last stable offset (-1 when the broker did not say).
    pub last_stable_offset: i64,
    /// The log start offset (-1 when the broker did not say).
    pub log_start_offset: i64,
    /// The leader epoch of the last batch returned (-1 when none came).
    pub last_epoch: i32,
    /// The broker found the log diverging from what this client read (KIP-320): the
    /// requested `last_fetched_epoch` ends at this epoch and offset on the leader. No records
    /// come with it.
    pub diverging: Option<EpochEnd>,
    /// The replica the leader wants this client to read the partition from (KIP-392).
    pub preferred_read_replica: Option<i32>,
    /// Whether the broker said anything about the partition: false when an incremental
    /// fetch session (KIP-227) left it out of the answer because nothing was new (no
    /// records, and the watermarks are then -1: unchanged).
    pub changed: bool,
}

/// Where a leader epoch ends: the offset after its last record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EpochEnd {
    /// The epoch.
    pub epoch: i32,
    /// The first offset after it.
    pub end_offset: i64,
}

/// Fetches from `topic`/`partition` starting at `offset`.
pub async fn fetch_partition(
    client: &Client,
    topic: &str,
    partition: i32,
    offset: i64,
    options: &FetchOptions,
) -> Result<FetchedPartition, Error> {
    let leader = client.leader_of(topic, partition).await?;
    let conn = client.fetch_connection(leader).await?;
    let wanted = [FetchPosition {
        topic: topic.to_owned(),
        partition,
        offset,
        current_leader_epoch: -1,
        last_fetched_epoch: -1,
    }];
    let mut results = fetch_positions(client, &conn, &wanted, options, None).await?;
    results.pop().map_or_else(
        || {
            Err(Error::UnknownTopicOrPartition {
                topic: topic.to_owned(),
                partition: Some(partition),
            })
        },
        |(_, r)| r,
    )
}

/// Where to fetch one partition from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchPosition {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
    /// The offset to read from.
    pub offset: i64,
    /// The leader epoch this client knows from metadata (-1: unknown, not checked). A
    /// broker with another epoch answers FENCED_LEADER_EPOCH or UNKNOWN_LEADER_EPOCH.
    pub current_leader_epoch: i32,
    /// The leader epoch of the record before `offset` (-1: unknown). The broker checks
    /// that the log still holds that epoch up to `offset` and answers with the point of
    /// divergence when it does not ([`FetchedPartition::diverging`]).
    pub last_fetched_epoch: i32,
}

/// One Fetch request on `conn` for all of `wanted` (partitions this broker leads, or was
/// named the preferred read replica of); each partition's result (records or its own error)
/// in the order asked. A request-level failure is the `Err`. With a `session`, the request is
/// part of that broker's incremental fetch session (KIP-227).
pub async fn fetch_positions(
    client: &Client,
    conn: &BrokerConnection,
    wanted: &[FetchPosition],
    options: &FetchOptions,
    session: Option<&mut FetchSession>,
) -> Result<Vec<(FetchPosition, Result<FetchedPartition, Error>)>, Error> {
    let max_wait_ms = i32::try_from(options.max_wait.as_millis()).unwrap_or(i32::MAX);
    let negotiated = conn.version_of(ApiKey::Fetch)?;
    // Without a session, a request as from a broker that has none (below v7): full, and
    // asking for no session.
    let mut sessionless = FetchSession::new();
    let (session, session_version) = match session {
        Some(s) => (s, negotiated),
        None => (&mut sessionless, 0),
    };
    let plan = session.next_request(wanted, session_version);
    // v13+ names topics by id: used when metadata gave an id for every topic named.
    let ids = TopicIds::from_metadata(client.cached().as_deref());
    let named = plan
        .listed
        .iter()
        .map(|&i| wanted[i].topic.as_str())
        .chain(plan.forgotten.iter().map(|(t, _)| t.as_str()));
    let version = match ids.all_known(named) {
        true => negotiated,
        false => negotiated.min(12),
    };
    let by_id = version >= 13;
    let mut topics: Vec<FetchTopic> = Vec::new();
    for w in plan.listed.iter().map(|&i| &wanted[i]) {
        let partition = FetchPartition::default()
            .with_partition(w.partition)
            .with_current_leader_epoch(w.current_leader_epoch)
            .with_fetch_offset(w.offset)
            .with_last_fetched_epoch(w.last_fetched_epoch)
            .with_log_start_offset(-1)
            .with_partition_max_bytes(options.partition_max_bytes);
        match topics.last_mut() {
            Some(t) if t.topic.0.as_str() == w.topic => t.partitions.push(partition),
            _ => topics.push(
                FetchTopic::default()
                    .with_topic(TopicName(StrBytes::from_string(w.topic.clone())))
                    .with_topic_id(ids.id(&w.topic).filter(|_| by_id).unwrap_or_default())
                    .with_partitions(vec![partition]),
            ),
        }
    }
    let mut forgotten: Vec<ForgottenTopic> = Vec::new();
    for (topic, partition) in &plan.forgotten {
        match forgotten.last_mut() {
            Some(t) if t.topic.0.as_str() == topic => t.partitions.push(*partition),
            _ => forgotten.push(
                ForgottenTopic::default()
                    .with_topic(TopicName(StrBytes::from_string(topic.clone())))
                    .with_topic_id(ids.id(topic).filter(|_| by_id).unwrap_or_default())
                    .with_partitions(vec![*partition]),
            ),
        }
    }
    let request = FetchRequest::default()
        .with_replica_id(BrokerId(-1))
        .with_max_wait_ms(max_wait_ms)
        .with_min_bytes(options.min_bytes)
        .with_max_bytes(options.max_bytes)
        .with_isolation_level(i8::from(options.read_committed))
        .with_session_id(plan.session_id)
        .with_session_epoch(plan.session_epoch)
        .with_topics(topics)
        .with_forgotten_topics_data(forgotten)
        .with_rack_id(StrBytes::from_string(
            options.rack.clone().unwrap_or_default(),
        ));
    let timeout = client.config().request_timeout + options.max_wait;
    let span = tracing::debug_span!("fetch", broker = %conn.broker(), partitions = wanted.len());
    let response = match conn
        .send_with_timeout(&request, version, timeout)
        .instrument(span)
        .await
    {
        Ok(r) => r,
        Err(e) => {
            session.on_failure();
            if e.is_retriable() {
                client.invalidate_metadata();
            }
            return Err(e);
        }
    };
    if !session.on_response(&plan, ErrorCode(response.error_code), response.session_id) {
        tracing::debug!(broker = %conn.broker(), error = ?ErrorCode(response.error_code),
            "fetch session lost; the next fetch starts a new one");
    }
    partition_result::check(
        client,
        ApiKey::Fetch,
        response.error_code,
        || format!("fetch from broker {}", conn.broker()),
        None,
    )?;
    Ok(fetch_response::read(
        client,
        wanted,
        &response,
        &fetch_response::Reading {
            ids: by_id.then_some(&ids),
            incremental: plan.is_incremental(),
            options,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isolation_level_by_its_kafka_name() {
        let mut o = FetchOptions::default();
        assert!(!o.read_committed, "read_uncommitted by default");
        o.set("isolation.level", "read_committed").unwrap();
        assert!(o.read_committed);
        o.set("isolation.level", " READ_UNCOMMITTED ").unwrap();
        assert!(!o.read_committed);
        let e = o.set("isolation.level", "serializable").unwrap_err();
        assert!(
            matches!(&e, ConfigError::InvalidValue { key, .. } if key == "isolation.level"),
            "{e}"
        );
        assert!(
            e.to_string().contains("read_committed or read_uncommitted"),
            "{e}"
        );
        let e = o.set("fetch.isolation", "x").unwrap_err();
        assert!(matches!(e, ConfigError::UnknownKey { .. }), "{e}");
        for key in FETCH_KEYS {
            assert!(!crate::config::is_client_key(key), "{key}");
        }
    }
}
