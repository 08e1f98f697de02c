//! Choosing a record's partition: murmur2 of the key exactly as the Java client does, uniform
//! sticky partitioning for keyless records (KIP-794), or a partitioner of your own.

mod murmur2;
mod sticky;

pub use murmur2::{murmur2, partition_for_key};
pub use sticky::StickyPartitioner;

/// Picks partitions for records that name none. Return `None` to leave the choice to the
/// default (murmur2 of the key; uniform sticky for keyless records).
///
/// ```
/// use ottla::partitioner::Partitioner;
///
/// /// Every record of a tenant to one partition: the tenant is the key's prefix before `/`.
/// #[derive(Debug)]
/// struct ByTenant;
///
/// impl Partitioner for ByTenant {
///     fn partition(&self, _topic: &str, key: Option<&[u8]>, _value: Option<&[u8]>, partitions: i32) -> Option<i32> {
///         let key = key?;
///         let tenant = key.split(|b| *b == b'/').next().unwrap_or(key);
///         Some(ottla::partitioner::partition_for_key(tenant, partitions))
///     }
/// }
/// assert_eq!(ByTenant.partition("t", Some(b"acme/1"), None, 8), ByTenant.partition("t", Some(b"acme/2"), None, 8));
/// ```
pub trait Partitioner: Send + Sync + std::fmt::Debug {
    /// The partition (`0..partitions`) for a record of `topic`, or `None` for the default.
    /// A value outside `0..partitions` fails the send with a clear error.
    fn partition(
        &self,
        topic: &str,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        partitions: i32,
    ) -> Option<i32>;
}
