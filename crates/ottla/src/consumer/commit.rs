//! Manual commits: offsets the application names (with metadata), and commits that do not
//! wait (the Java client's `commitAsync`).

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::sync::oneshot;

use super::handle::Consumer;
use super::task::TaskCommand;
use crate::error::Error;
use crate::group::{OffsetAndMetadata, TopicPartition};

/// A commit sent to the consumer's task: await it for the broker's answer, or drop it (the
/// commit goes on). Commits are sent in the order they were asked for.
#[derive(Debug)]
#[must_use = "a commit's failure is only seen by awaiting it"]
pub struct PendingCommit(Inner);

#[derive(Debug)]
enum Inner {
    Sent(oneshot::Receiver<Result<(), Error>>),
    Refused(Option<Error>),
}

impl Future for PendingCommit {
    type Output = Result<(), Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.get_mut().0 {
            Inner::Sent(rx) => Pin::new(rx)
                .poll(cx)
                .map(|r| r.unwrap_or(Err(Error::Closed))),
            Inner::Refused(e) => Poll::Ready(Err(e.take().unwrap_or(Error::Closed))),
        }
    }
}

impl Consumer {
    /// Commits `offsets` (each the next offset to read, with optional leader epoch and
    /// metadata) and waits for the answer; retried as [`commit`](Self::commit) is. With
    /// auto commit on, a later auto commit moves a partition on to what the application
    /// received when that differs.
    pub async fn commit_offsets(
        &self,
        offsets: BTreeMap<TopicPartition, OffsetAndMetadata>,
    ) -> Result<(), Error> {
        check(&offsets)?;
        self.retrying(crate::protocol::messages::ApiKey::OffsetCommit, || {
            let offsets = offsets.clone();
            self.ask(|reply| TaskCommand::CommitOffsets { offsets, reply })
        })
        .await
    }

    /// Commits what the application received so far without waiting: the commit is on its
    /// way when this returns. Not retried (as the Java client's `commitAsync`): a later
    /// commit carries the newer offsets anyway.
    pub fn commit_async(&self) -> PendingCommit {
        self.send_commit(TaskCommand::Commit)
    }

    /// [`commit_offsets`](Self::commit_offsets) without waiting and without retries.
    pub fn commit_offsets_async(
        &self,
        offsets: BTreeMap<TopicPartition, OffsetAndMetadata>,
    ) -> PendingCommit {
        if let Err(e) = check(&offsets) {
            return PendingCommit(Inner::Refused(Some(e)));
        }
        self.send_commit(|reply| TaskCommand::CommitOffsets { offsets, reply })
    }

    fn send_commit(
        &self,
        command: impl FnOnce(oneshot::Sender<Result<(), Error>>) -> TaskCommand,
    ) -> PendingCommit {
        let (reply, rx) = oneshot::channel();
        match self.send_command(command(reply)) {
            Ok(()) => PendingCommit(Inner::Sent(rx)),
            Err(e) => PendingCommit(Inner::Refused(Some(e))),
        }
    }
}

/// Negative offsets are refused before anything is sent (Kafka would store them, and a
/// consumer resuming there would reset by `auto.offset.reset`, which a commit never means;
/// the Java client refuses them too).
fn check(offsets: &BTreeMap<TopicPartition, OffsetAndMetadata>) -> Result<(), Error> {
    match offsets.iter().find(|(_, o)| o.offset < 0) {
        Some((tp, o)) => Err(Error::InvalidOffset {
            topic: tp.topic.to_string(),
            partition: tp.partition,
            offset: o.offset,
        }),
        None => Ok(()),
    }
}
