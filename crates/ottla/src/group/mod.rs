//! Consumer groups.
//!
//! | module | what |
//! |---|---|
//! | `action.rs` | [`Action`]: what either protocol's state machine asks its caller to do next |
//! | `assignor/` | the partition assignors a group leader runs: range, roundrobin, cooperative-sticky |
//! | `classic/` | the classic group protocol as a sans-IO state machine |
//! | `kip848/` | KIP-848's consumer group protocol as a sans-IO state machine |
//! | `machine.rs` | the two machines behind one face, and [`GroupConfig`] that picks one |
//! | `member.rs` | [`GroupMember`]: a machine against the coordinator, in a task of its own |
//! | `offsets.rs` | OffsetCommit and OffsetFetch |
//! | `retry.rs` | a member's backoff between failed tries |
//! | `admin` | groups from outside: list, describe, lag |

mod action;
pub mod admin;
pub mod assignor;
pub mod classic;
pub mod kip848;
mod machine;
mod member;
pub(crate) mod offsets;
mod retry;
mod topic_partition;

pub use action::Action;
pub use machine::GroupConfig;
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
