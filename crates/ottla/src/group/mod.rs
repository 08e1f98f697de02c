//! Consumer groups.
//!
//! | module | what |
//! |---|---|
//! | `assignor/` | the partition assignors a group leader runs: range, roundrobin, cooperative-sticky |
//! | `classic/` | the classic group protocol as a sans-IO state machine |
//! | `member.rs` | [`GroupMember`]: that machine against the coordinator, in a task of its own |
//! | `offsets.rs` | OffsetCommit and OffsetFetch |
//! | `admin` | groups from outside: list, describe, lag |

pub mod admin;
pub mod assignor;
pub mod classic;
mod member;
pub(crate) mod offsets;
mod topic_partition;

pub(crate) use member::PollHandle;
pub use member::{GroupEvent, GroupMember, RevocationDone};
pub use offsets::OffsetAndMetadata;
pub(crate) use topic_partition::expand;

/// Who a member is in its group's requests: the group, its member id, instance id and
/// generation (-1 and an empty id outside any generation).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Identity<'a> {
    pub group_id: &'a str,
    pub member_id: &'a str,
    pub instance_id: Option<&'a str>,
    pub generation: i32,
}
pub use topic_partition::TopicPartition;
