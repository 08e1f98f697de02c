//! Consumer groups: the partition assignors a group leader runs (`assignor/`), and what the
//! members of a group tell each other about themselves.

pub mod assignor;
pub mod classic;
mod member;
mod topic_partition;

pub use member::{GroupEvent, GroupMember, RevocationDone};
pub(crate) use topic_partition::expand;
pub use topic_partition::TopicPartition;
