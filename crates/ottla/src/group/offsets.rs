//! Committed offsets: OffsetCommit (as a member of the group's current generation) and
//! OffsetFetch, built for the coordinator's versions, and their answers read per partition.

use std::collections::BTreeMap;
use std::sync::Arc;

use kafka_protocol::messages::offset_commit_request::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use kafka_protocol::messages::offset_fetch_request::{
    OffsetFetchRequestGroup, OffsetFetchRequestTopic, OffsetFetchRequestTopics,
};
use kafka_protocol::messages::{
    ApiKey, GroupId, OffsetCommitRequest, OffsetCommitResponse, OffsetFetchRequest,
    OffsetFetchResponse, TopicName,
};
use ottla_protocol::error_code::ErrorCode;
use ottla_protocol::StrBytes;

use super::{Identity, TopicPartition};
use crate::cluster::kafka_error;
use crate::error::Error;

/// A committed position: the offset of the next record to read (the last one processed
/// plus one), the leader epoch of the record before it when known (KIP-320), and metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetAndMetadata {
    /// The next offset to read.
    pub offset: i64,
    /// The leader epoch of the last record read, when known.
    pub leader_epoch: Option<i32>,
    /// Free text stored with the offset (`None` and `""` are the same to Kafka; an empty
    /// one reads back as `None`).
    pub metadata: Option<String>,
}

impl OffsetAndMetadata {
    /// `offset` with no epoch and no metadata.
    pub fn new(offset: i64) -> Self {
        Self {
            offset,
            leader_epoch: None,
            metadata: None,
        }
    }
}

fn text(s: &str) -> StrBytes {
    StrBytes::from_string(s.to_owned())
}

/// OffsetCommit at `version` (2–9).
pub(crate) fn commit_request(
    who: Identity<'_>,
    version: i16,
    offsets: &BTreeMap<TopicPartition, OffsetAndMetadata>,
) -> OffsetCommitRequest {
    let mut topics: Vec<OffsetCommitRequestTopic> = Vec::new();
    for (tp, o) in offsets {
        let mut partition = OffsetCommitRequestPartition::default()
            .with_partition_index(tp.partition)
            .with_committed_offset(o.offset)
            .with_committed_metadata(o.metadata.as_deref().map(text));
        if version >= 6 {
            partition.committed_leader_epoch = o.leader_epoch.unwrap_or(-1);
        }
        match topics.last_mut() {
            Some(t) if t.name.0.as_str() == &*tp.topic => t.partitions.push(partition),
            _ => topics.push(
                OffsetCommitRequestTopic::default()
                    .with_name(TopicName(text(&tp.topic)))
                    .with_partitions(vec![partition]),
            ),
        }
    }
    let mut r = OffsetCommitRequest::default()
        .with_group_id(GroupId(text(who.group_id)))
        .with_generation_id_or_member_epoch(who.generation)
        .with_member_id(text(who.member_id))
        .with_topics(topics);
    if version >= 7 {
        r.group_instance_id = who.instance_id.map(text);
    }
    r
}

/// The first partition error of an OffsetCommit answer, if any.
pub(crate) fn commit_result(group: &str, response: &OffsetCommitResponse) -> Result<(), Error> {
    for t in &response.topics {
        for p in &t.partitions {
            let code = ErrorCode(p.error_code);
            if code.is_err() {
                let context = format!("group {group}, {}-{}", t.name.0, p.partition_index);
                return Err(kafka_error(ApiKey::OffsetCommit, code, &context, None));
            }
        }
    }
    Ok(())
}

/// OffsetFetch at `version` (1–9) for `partitions`; `require_stable` (v7+) waits for offsets
/// of open transactions to settle (KIP-447).
pub(crate) fn fetch_request(
    group: &str,
    version: i16,
    partitions: &[TopicPartition],
    require_stable: bool,
) -> OffsetFetchRequest {
    let mut by_topic: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
    for tp in partitions {
        by_topic.entry(&tp.topic).or_default().push(tp.partition);
    }
    let mut r = OffsetFetchRequest::default();
    if version >= 7 {
        r.require_stable = require_stable;
    }
    if version >= 8 {
        let topics = by_topic
            .into_iter()
            .map(|(t, ps)| {
                OffsetFetchRequestTopics::default()
                    .with_name(TopicName(text(t)))
                    .with_partition_indexes(ps)
            })
            .collect();
        r.groups = vec![OffsetFetchRequestGroup::default()
            .with_group_id(GroupId(text(group)))
            .with_topics(Some(topics))];
    } else {
        r.group_id = GroupId(text(group));
        r.topics = Some(
            by_topic
                .into_iter()
                .map(|(t, ps)| {
                    OffsetFetchRequestTopic::default()
                        .with_name(TopicName(text(t)))
                        .with_partition_indexes(ps)
                })
                .collect(),
        );
    }
    r
}

/// Committed offsets per partition (`None`: nothing committed) from an OffsetFetch answer.
pub(crate) fn fetch_result(
    group: &str,
    version: i16,
    response: &OffsetFetchResponse,
) -> Result<BTreeMap<TopicPartition, Option<OffsetAndMetadata>>, Error> {
    let fail =
        |code: ErrorCode, context: String| kafka_error(ApiKey::OffsetFetch, code, &context, None);
    let mut out = BTreeMap::new();
    let mut add = |topic: &str,
                   partition: i32,
                   offset: i64,
                   epoch: i32,
                   metadata: Option<&StrBytes>,
                   code: i16| {
        let code = ErrorCode(code);
        if code.is_err() {
            return Err(fail(code, format!("group {group}, {topic}-{partition}")));
        }
        let committed = (offset >= 0).then(|| OffsetAndMetadata {
            offset,
            leader_epoch: (epoch >= 0).then_some(epoch),
            // Kafka stores no metadata as "" (the Java client's default): both read as None.
            metadata: metadata.filter(|m| !m.is_empty()).map(|m| m.to_string()),
        });
        out.insert(
            TopicPartition::new(Arc::<str>::from(topic), partition),
            committed,
        );
        Ok(())
    };
    type Row<'r> = (&'r str, i32, i64, i32, Option<&'r StrBytes>, i16);
    // The v8+ (per group) and older answers have partitions of different types with the
    // same fields.
    macro_rules! rows {
        ($topics:expr) => {
            $topics
                .iter()
                .flat_map(|t| {
                    t.partitions.iter().map(move |p| {
                        let row: Row<'_> = (
                            t.name.0.as_str(),
                            p.partition_index,
                            p.committed_offset,
                            p.committed_leader_epoch,
                            p.metadata.as_ref(),
                            p.error_code,
                        );
                        row
                    })
                })
                .collect()
        };
    }
    let rows: Vec<Row<'_>> = if version >= 8 {
        let g = response
            .groups
            .iter()
            .find(|g| g.group_id.0.as_str() == group)
            .ok_or_else(|| {
                fail(
                    ErrorCode::UNKNOWN_SERVER_ERROR,
                    format!("group {group}: not in the answer"),
                )
            })?;
        let code = ErrorCode(g.error_code);
        if code.is_err() {
            return Err(fail(code, format!("group {group}")));
        }
        rows!(g.topics)
    } else {
        let code = ErrorCode(response.error_code);
        if code.is_err() {
            return Err(fail(code, format!("group {group}")));
        }
        rows!(response.topics)
    };
    for (topic, partition, offset, epoch, metadata, code) in rows {
        add(topic, partition, offset, epoch, metadata, code)?;
    }
    Ok(out)
}

/// Commits `offsets` for `group` outside any generation (a consumer with assigned
/// partitions, not a member: generation -1, no member id), at the group's coordinator.
pub(crate) async fn commit_standalone(
    client: &crate::Client,
    group: &str,
    offsets: &BTreeMap<TopicPartition, OffsetAndMetadata>,
) -> Result<(), Error> {
    let conn = coordinator_connection(client, group).await?;
    let version = conn.version_of(ApiKey::OffsetCommit)?;
    let who = Identity {
        group_id: group,
        member_id: "",
        instance_id: None,
        generation: -1,
    };
    let response = conn
        .send_versioned(&commit_request(who, version, offsets), version)
        .await?;
    commit_result(group, &response)
}

/// `group`'s committed offsets for `partitions`, asked of its coordinator.
pub(crate) async fn committed_standalone(
    client: &crate::Client,
    group: &str,
    partitions: &[TopicPartition],
) -> Result<BTreeMap<TopicPartition, Option<OffsetAndMetadata>>, Error> {
    let conn = coordinator_connection(client, group).await?;
    let version = conn.version_of(ApiKey::OffsetFetch)?;
    let request = fetch_request(group, version, partitions, true);
    let response = conn.send_versioned(&request, version).await?;
    fetch_result(group, version, &response)
}

async fn coordinator_connection(
    client: &crate::Client,
    group: &str,
) -> Result<crate::connection::BrokerConnection, Error> {
    use crate::cluster::{find_coordinator, CoordinatorKind};
    let node = find_coordinator(client, CoordinatorKind::Group, group).await?;
    client.connection(node).await
}

#[cfg(test)]
mod tests {
    use kafka_protocol::messages::offset_commit_response::{
        OffsetCommitResponsePartition, OffsetCommitResponseTopic,
    };
    use kafka_protocol::messages::offset_fetch_response::{
        OffsetFetchResponseGroup, OffsetFetchResponsePartitions, OffsetFetchResponseTopics,
    };

    use super::*;

    fn who() -> Identity<'static> {
        Identity {
            group_id: "g",
            member_id: "m-1",
            instance_id: Some("pod-1"),
            generation: 7,
        }
    }

    #[test]
    fn commits_carry_the_generation_and_only_the_fields_of_the_version() {
        let offsets: BTreeMap<TopicPartition, OffsetAndMetadata> = [
            (
                TopicPartition::new("a", 0),
                OffsetAndMetadata {
                    offset: 5,
                    leader_epoch: Some(2),
                    metadata: Some("m".into()),
                },
            ),
            (TopicPartition::new("a", 3), OffsetAndMetadata::new(9)),
            (TopicPartition::new("b", 1), OffsetAndMetadata::new(1)),
        ]
        .into_iter()
        .collect();
        let r = commit_request(who(), 9, &offsets);
        assert_eq!(
            (r.generation_id_or_member_epoch, r.member_id.as_str()),
            (7, "m-1")
        );
        assert_eq!(
            r.group_instance_id.as_ref().map(|i| i.as_str()),
            Some("pod-1")
        );
        assert_eq!(r.topics.len(), 2);
        assert_eq!(r.topics[0].partitions[0].committed_leader_epoch, 2);
        assert_eq!(r.topics[0].partitions[1].committed_offset, 9);
        let old = commit_request(who(), 5, &offsets);
        assert!(old.group_instance_id.is_none());
        assert_eq!(old.topics[0].partitions[0].committed_leader_epoch, -1);
    }

    #[test]
    fn a_partition_error_names_group_and_partition() {
        let response =
            OffsetCommitResponse::default().with_topics(vec![OffsetCommitResponseTopic::default()
                .with_name(TopicName(text("a")))
                .with_partitions(vec![
                    OffsetCommitResponsePartition::default().with_partition_index(0),
                    OffsetCommitResponsePartition::default()
                        .with_partition_index(3)
                        .with_error_code(ErrorCode::ILLEGAL_GENERATION.0),
                ])]);
        let e = commit_result("g", &response).unwrap_err();
        assert_eq!(e.kafka_code(), Some(ErrorCode::ILLEGAL_GENERATION));
        assert!(e.to_string().contains("group g, a-3"), "{e}");
    }

    #[test]
    fn fetched_offsets_by_partition_with_nothing_committed_as_none() {
        let response =
            OffsetFetchResponse::default().with_groups(vec![OffsetFetchResponseGroup::default()
                .with_group_id(GroupId(text("g")))
                .with_topics(vec![OffsetFetchResponseTopics::default()
                    .with_name(TopicName(text("a")))
                    .with_partitions(vec![
                        OffsetFetchResponsePartitions::default()
                            .with_partition_index(0)
                            .with_committed_offset(5)
                            .with_committed_leader_epoch(2)
                            .with_metadata(Some(text("m"))),
                        OffsetFetchResponsePartitions::default()
                            .with_partition_index(1)
                            .with_committed_offset(-1),
                    ])])]);
        let got = fetch_result("g", 9, &response).unwrap();
        assert_eq!(
            got[&TopicPartition::new("a", 0)],
            Some(OffsetAndMetadata {
                offset: 5,
                leader_epoch: Some(2),
                metadata: Some("m".into())
            })
        );
        assert_eq!(got[&TopicPartition::new("a", 1)], None);
        let r = fetch_request(
            "g",
            9,
            &[TopicPartition::new("a", 0), TopicPartition::new("a", 1)],
            true,
        );
        assert!(r.require_stable);
        assert_eq!(
            r.groups[0]
                .topics
                .as_ref()
                .map(|t| t[0].partition_indexes.clone()),
            Some(vec![0, 1])
        );
        let old = fetch_request("g", 6, &[TopicPartition::new("a", 0)], true);
        assert!(!old.require_stable && old.groups.is_empty());
        assert_eq!(old.group_id.0.as_str(), "g");
    }
}
