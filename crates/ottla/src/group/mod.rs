//! Consumer groups: the partition assignors a group leader runs (`assignor/`), and what the
//! members of a group tell each other about themselves.

pub mod assignor;
mod topic_partition;

pub use topic_partition::TopicPartition;
