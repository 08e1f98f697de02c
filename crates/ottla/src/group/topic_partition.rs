//! A topic and one of its partitions.

use std::fmt;
use std::sync::Arc;

/// A topic and one of its partitions. Ordered by topic name, then partition, as the Java
/// client's assignors sort them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicPartition {
    /// The topic.
    pub topic: Arc<str>,
    /// The partition.
    pub partition: i32,
}

impl TopicPartition {
    /// `topic`-`partition`.
    pub fn new(topic: impl Into<Arc<str>>, partition: i32) -> Self {
        Self {
            topic: topic.into(),
            partition,
        }
    }
}

/// `topic`'s `partitions` as [`TopicPartition`]s (one name shared by all).
pub(crate) fn expand<'a>(
    topic: &str,
    partitions: &'a [i32],
) -> impl Iterator<Item = TopicPartition> + 'a {
    let topic: Arc<str> = Arc::from(topic);
    partitions
        .iter()
        .map(move |&p| TopicPartition::new(Arc::clone(&topic), p))
}

impl fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition)
    }
}
