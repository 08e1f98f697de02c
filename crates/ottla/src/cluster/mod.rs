//! What the client knows about the cluster: metadata, and the pool of broker connections.

mod backoff;
mod metadata;
mod pool;

pub use backoff::Backoff;
pub use metadata::{BrokerInfo, ClusterMetadata, PartitionMetadata, TopicMetadata};
pub(crate) use pool::ConnectionPool;
