//! Consumer groups: listed, described, deleted, their lag, and their offsets reset (as
//! `kafka-consumer-groups.sh --reset-offsets`: only while the group has no members).

use std::collections::BTreeMap;

use ottla_protocol::error_code::ErrorCode;
use ottla_protocol::messages::{ApiKey, DeleteGroupsRequest, GroupId};
use ottla_protocol::StrBytes;

use super::{check, Admin, GroupDescription, GroupListing, OffsetSpec, PartitionLag};
use crate::basic::list_offset;
use crate::cluster::{find_coordinator, CoordinatorKind};
use crate::group::admin::{committed_offsets, describe_group, group_lag, list_groups};
use crate::group::offsets::commit_standalone;
use crate::group::{OffsetAndMetadata, TopicPartition};
use crate::Error;

/// Where [`Admin::reset_offsets`] moves a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetReset {
    /// Each partition's log start.
    Earliest,
    /// Each partition's end.
    Latest,
    /// The first record at or after this time (ms since the epoch), else the end.
    Timestamp(i64),
    /// This offset, within the partition's log start and end.
    Offset(i64),
}

/// What a reset does (or, as a dry run, would do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResetPlan {
    /// Per partition: the committed offset before (`None`: nothing committed) and the new one.
    pub partitions: BTreeMap<TopicPartition, (Option<i64>, i64)>,
    /// Whether it was committed.
    pub executed: bool,
}

impl Admin {
    /// Every group of the cluster.
    pub async fn list_groups(&self) -> Result<Vec<GroupListing>, Error> {
        list_groups(&self.client).await
    }

    /// A group's state, protocol, assignor and members with their partitions.
    pub async fn describe_group(&self, group: &str) -> Result<GroupDescription, Error> {
        describe_group(&self.client, group).await
    }

    /// A group's lag per partition: the end (ListOffsets) minus its committed offset.
    pub async fn group_lag(&self, group: &str) -> Result<Vec<PartitionLag>, Error> {
        group_lag(&self.client, group).await
    }

    /// Deletes groups (each must have no members: NON_EMPTY_GROUP otherwise) with their
    /// committed offsets.
    pub async fn delete_groups(&self, groups: &[&str]) -> Result<(), Error> {
        for group in groups {
            let node = find_coordinator(&self.client, CoordinatorKind::Group, group).await?;
            let request = DeleteGroupsRequest::default()
                .with_groups_names(vec![GroupId(StrBytes::from_string((*group).to_owned()))]);
            let response = self.client.send_to(node, &request).await?;
            for r in &response.results {
                check(
                    ApiKey::DeleteGroups,
                    r.error_code,
                    || format!("group {group}"),
                    None,
                )?;
            }
        }
        Ok(())
    }

    /// Moves `group`'s committed offsets for every partition of `topics` to `to`; commits
    /// only with `execute` (a dry run otherwise). Refused (NON_EMPTY_GROUP) while the group
    /// has members, as Kafka's tool refuses: they would commit over it.
    pub async fn reset_offsets(
        &self,
        group: &str,
        topics: &[&str],
        to: OffsetReset,
        execute: bool,
    ) -> Result<ResetPlan, Error> {
        let described = self.describe_group(group).await?;
        if !described.members.is_empty() {
            return Err(Error::Kafka {
                api: ApiKey::OffsetCommit,
                code: ErrorCode::NON_EMPTY_GROUP,
                context: format!(
                    "group {group} has {} member(s) (state {}): stop them before resetting its offsets",
                    described.members.len(),
                    described.state
                ),
                message: None,
            });
        }
        let metadata = self.client.refresh_metadata().await?;
        let mut partitions = Vec::new();
        for topic in topics {
            let t = metadata.topic(topic)?;
            partitions.extend(t.partitions.keys().map(|&p| TopicPartition::new(*topic, p)));
        }
        let committed = committed_offsets(&self.client, group).await?;
        let mut plan = BTreeMap::new();
        for tp in partitions {
            let (topic, p) = (&*tp.topic, tp.partition);
            let earliest = list_offset(&self.client, topic, p, OffsetSpec::Earliest).await?;
            let latest = list_offset(&self.client, topic, p, OffsetSpec::Latest).await?;
            let target = match to {
                OffsetReset::Earliest => earliest,
                OffsetReset::Latest => latest,
                OffsetReset::Timestamp(ms) => {
                    match list_offset(&self.client, topic, p, OffsetSpec::Timestamp(ms)).await? {
                        -1 => latest,
                        found => found,
                    }
                }
                OffsetReset::Offset(n) => n.clamp(earliest, latest),
            };
            let before = committed.get(&tp).cloned().flatten().map(|o| o.offset);
            plan.insert(tp, (before, target));
        }
        if execute && !plan.is_empty() {
            let offsets: BTreeMap<TopicPartition, OffsetAndMetadata> = plan
                .iter()
                .map(|(tp, (_, to))| (tp.clone(), OffsetAndMetadata::new(*to)))
                .collect();
            commit_standalone(&self.client, group, &offsets).await?;
        }
        Ok(ResetPlan {
            partitions: plan,
            executed: execute,
        })
    }
}
