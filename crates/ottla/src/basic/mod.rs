//! Single-request operations on the low-level client: create and delete topics, list offsets,
//! produce one batch to a partition, fetch from a partition. The producer and consumer build
//! batching, retries and groups on top of these.

mod fetch;
mod fetch_response;
mod fetch_session;
mod offsets;
mod partition_result;
mod produce;
mod topics;

pub use fetch::{
    fetch_partition, fetch_positions, EpochEnd, FetchOptions, FetchPosition, FetchedPartition,
    FETCH_KEYS,
};
pub use fetch_session::{FetchSession, SessionRequest};
pub use offsets::{list_offset, OffsetSpec};
pub use produce::{produce_batch, Acks, ProduceOptions, Produced};
pub use topics::{create_topic, delete_topic, NewTopic};
