//! What the client knows about the cluster: metadata, the pool of broker connections, and
//! where the group and transaction coordinators are.

mod backoff;
mod coordinator;
mod metadata;
mod pool;

pub use backoff::Backoff;
pub(crate) use coordinator::{find_coordinator, kafka_error, with_retries, CoordinatorKind};
pub use metadata::{BrokerInfo, ClusterMetadata, PartitionMetadata, TopicMetadata};
pub(crate) use pool::ConnectionPool;
