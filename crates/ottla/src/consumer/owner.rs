//! Where a consumer's partitions come from: a consumer group (subscribe) or the application
//! (assign), and where its offsets are committed.

use std::collections::BTreeMap;

use crate::error::Error;
use crate::group::offsets::{commit_standalone, committed_standalone};
use crate::group::{GroupEvent, GroupMember, OffsetAndMetadata, TopicPartition};
use crate::Client;

type Committed = BTreeMap<TopicPartition, Option<OffsetAndMetadata>>;

/// The source of the partitions.
pub(crate) enum Owner {
    /// A member of `group.id`: the group assigns, commits go under its generation.
    Group(GroupMember),
    /// Partitions the application assigned. With a `group.id`, offsets are read from and
    /// committed to that group outside any generation (as the Java client's assign does).
    Assigned {
        client: Client,
        group_id: Option<String>,
        /// Handed to the task as one assignment, once.
        pending: Option<Vec<TopicPartition>>,
        closed: bool,
    },
}

impl Owner {
    /// The next change of ownership; `None` once closed.
    pub async fn event(&mut self) -> Option<GroupEvent> {
        match self {
            Owner::Group(g) => g.event().await,
            Owner::Assigned { closed: true, .. } => None,
            Owner::Assigned { pending, .. } => match pending.take() {
                Some(partitions) => Some(GroupEvent::Assigned(partitions)),
                None => std::future::pending().await,
            },
        }
    }

    /// The committed offsets of `partitions` (none without a group).
    pub async fn committed(&self, partitions: Vec<TopicPartition>) -> Result<Committed, Error> {
        match self {
            Owner::Group(g) => g.committed(partitions).await,
            Owner::Assigned {
                client,
                group_id: Some(group),
                ..
            } => committed_standalone(client, group, &partitions).await,
            Owner::Assigned { group_id: None, .. } => {
                Ok(partitions.into_iter().map(|tp| (tp, None)).collect())
            }
        }
    }

    /// Commits `offsets` (an error without a group).
    pub async fn commit(
        &self,
        offsets: BTreeMap<TopicPartition, OffsetAndMetadata>,
    ) -> Result<(), Error> {
        match self {
            Owner::Group(g) => g.commit(offsets).await,
            Owner::Assigned {
                client,
                group_id: Some(group),
                ..
            } => commit_standalone(client, group, &offsets).await,
            Owner::Assigned { group_id: None, .. } => Err(Error::Config(
                crate::ConfigError::invalid("group.id", "", "a group to commit offsets to"),
            )),
        }
    }

    /// Replaces a group member's subscription (nothing for assigned partitions).
    pub fn subscribe(&self, topics: Vec<std::sync::Arc<str>>) {
        if let Owner::Group(g) = self {
            g.subscribe(topics);
        }
    }

    /// Starts leaving (a group) or stops (assigned partitions: the events end).
    pub fn close(&mut self) {
        match self {
            Owner::Group(g) => g.close(),
            Owner::Assigned { closed, .. } => *closed = true,
        }
    }
}
