//! The two group protocols behind one face, so one member task drives either: the classic
//! protocol ([`classic`]) and KIP-848's consumer protocol ([`kip848`]).

use std::collections::BTreeSet;
use std::sync::Arc;

use ottla_protocol::messages::ApiKey;
use tokio::time::Instant;

use super::assignor::PartitionCounts;
use super::{classic, kip848, Identity};
use crate::cluster::ClusterMetadata;
use crate::error::Error;

/// Which protocol a member speaks, with its settings.
#[derive(Debug, Clone)]
pub enum GroupConfig {
    /// The classic protocol (JoinGroup, SyncGroup, Heartbeat): `group.protocol=classic`.
    Classic(classic::MembershipConfig),
    /// KIP-848's protocol (ConsumerGroupHeartbeat): `group.protocol=consumer`.
    Consumer(kip848::MembershipConfig),
}

impl From<classic::MembershipConfig> for GroupConfig {
    fn from(c: classic::MembershipConfig) -> Self {
        GroupConfig::Classic(c)
    }
}

impl From<kip848::MembershipConfig> for GroupConfig {
    fn from(c: kip848::MembershipConfig) -> Self {
        GroupConfig::Consumer(c)
    }
}

pub(crate) enum Machine {
    Classic(classic::Membership),
    Consumer(kip848::Membership),
}

pub(crate) enum Outgoing {
    Classic(classic::Request),
    Consumer(kip848::Request),
}

#[derive(Debug)]
pub(crate) enum Incoming {
    Classic(classic::Response),
    Consumer(kip848::Response),
}

pub(crate) enum Versions {
    Classic(classic::GroupVersions),
    Consumer(i16),
}

/// What the member task does next (both machines' actions).
pub(crate) type Step = super::Action<Outgoing>;

impl Machine {
    pub fn new(config: GroupConfig, now: Instant, topics: BTreeSet<Arc<str>>) -> Self {
        match config {
            GroupConfig::Classic(c) => {
                let mut m = classic::Membership::new(c, now);
                m.subscribe(topics);
                Machine::Classic(m)
            }
            GroupConfig::Consumer(c) => {
                let id = kip848::Membership::random_member_id();
                let mut m = kip848::Membership::new(c, id, now);
                m.subscribe(topics);
                Machine::Consumer(m)
            }
        }
    }

    pub fn group_id(&self) -> &str {
        match self {
            Machine::Classic(m) => m.group_id(),
            Machine::Consumer(m) => m.group_id(),
        }
    }

    pub fn identity(&self) -> Identity<'_> {
        match self {
            Machine::Classic(m) => m.identity(),
            Machine::Consumer(m) => m.identity(),
        }
    }

    pub fn has_left(&self) -> bool {
        match self {
            Machine::Classic(m) => m.phase() == classic::Phase::Left,
            Machine::Consumer(m) => m.phase() == kip848::Phase::Left,
        }
    }

    pub fn phase(&self) -> &'static str {
        match self {
            Machine::Classic(m) => phase_name(m.phase()),
            Machine::Consumer(m) => match m.phase() {
                kip848::Phase::Unjoined => "unjoined",
                kip848::Phase::Joining => "joining",
                kip848::Phase::Stable => "stable",
                kip848::Phase::Leaving => "leaving",
                kip848::Phase::Left => "left",
                kip848::Phase::Failed => "failed",
            },
        }
    }

    pub fn subscribe(&mut self, topics: BTreeSet<Arc<str>>) {
        match self {
            Machine::Classic(m) => m.subscribe(topics),
            Machine::Consumer(m) => m.subscribe(topics),
        }
    }

    pub fn app_polled(&mut self, now: Instant) {
        match self {
            Machine::Classic(m) => m.app_polled(now),
            Machine::Consumer(m) => m.app_polled(now),
        }
    }

    pub fn leave(&mut self) {
        match self {
            Machine::Classic(m) => m.leave(),
            Machine::Consumer(m) => m.leave(),
        }
    }

    pub fn revocation_done(&mut self) {
        match self {
            Machine::Classic(m) => m.revocation_done(),
            Machine::Consumer(m) => m.revocation_done(),
        }
    }

    pub fn coordinator_found(&mut self, versions: Versions) {
        match (self, versions) {
            (Machine::Classic(m), Versions::Classic(v)) => m.coordinator_found(v),
            (Machine::Consumer(m), Versions::Consumer(v)) => m.coordinator_found(v),
            _ => {}
        }
    }

    pub fn coordinator_unavailable(&mut self, now: Instant, error: Error) {
        match self {
            Machine::Classic(m) => m.coordinator_unavailable(now, error),
            Machine::Consumer(m) => m.coordinator_unavailable(now, error),
        }
    }

    /// Metadata for the topics of [`Step::NeedMetadata`].
    /// (`None`: there is none, not even cached).
    pub fn on_metadata(&mut self, topics: &BTreeSet<Arc<str>>, metadata: Option<&ClusterMetadata>) {
        match self {
            Machine::Classic(m) => {
                let counts: PartitionCounts = topics
                    .iter()
                    .filter_map(|t| {
                        let metadata = metadata?;
                        let meta = metadata.topics.get(&**t).filter(|m| m.error.is_ok())?;
                        let count = i32::try_from(meta.partitions.len()).ok()?;
                        Some((Arc::clone(t), count))
                    })
                    .collect();
                m.assign(&counts);
            }
            Machine::Consumer(m) => m.topic_ids(
                metadata
                    .iter()
                    .flat_map(|md| md.topics.values())
                    .filter(|t| t.error.is_ok())
                    .map(|t| (t.name.as_str(), t.topic_id)),
            ),
        }
    }

    pub fn poll(&mut self, now: Instant) -> Step {
        match self {
            Machine::Classic(m) => m.poll(now).map_request(Outgoing::Classic),
            Machine::Consumer(m) => m.poll(now).map_request(Outgoing::Consumer),
        }
    }

    pub fn on_response(&mut self, token: u64, now: Instant, response: Result<Incoming, Error>) {
        match self {
            Machine::Classic(m) => m.on_response(
                token,
                now,
                response.and_then(|r| match r {
                    Incoming::Classic(r) => Ok(r),
                    Incoming::Consumer(_) => Err(mismatch()),
                }),
            ),
            Machine::Consumer(m) => m.on_response(
                token,
                now,
                response.and_then(|r| match r {
                    Incoming::Consumer(r) => Ok(r),
                    Incoming::Classic(_) => Err(mismatch()),
                }),
            ),
        }
    }
}

/// An answer of the other protocol: the task pairs each answer with its request, so this
/// does not happen; it is an error rather than a panic all the same.
fn mismatch() -> Error {
    Error::Kafka {
        api: ApiKey::ConsumerGroupHeartbeat,
        code: ottla_protocol::error_code::ErrorCode::UNKNOWN_SERVER_ERROR,
        context: "an answer of the other group protocol".to_owned(),
        message: None,
    }
}

fn phase_name(p: classic::Phase) -> &'static str {
    match p {
        classic::Phase::Unjoined => "unjoined",
        classic::Phase::Joining => "joining",
        classic::Phase::AwaitingCounts => "awaiting partition counts",
        classic::Phase::Syncing => "syncing",
        classic::Phase::Stable => "stable",
        classic::Phase::Leaving => "leaving",
        classic::Phase::Left => "left",
        classic::Phase::Failed => "failed",
    }
}
