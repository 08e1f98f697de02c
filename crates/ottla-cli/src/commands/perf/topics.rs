//! The fresh topic of each run: its name, and how many records it holds afterwards.

use ottla::basic::{create_topic, list_offset, NewTopic, OffsetSpec};

use super::plan::Scenario;
use crate::args::PerfClient;

/// `PREFIX-CLIENT-RECORDSxSIZE-pN-CODEC-PID-NANOS`: no earlier run used it.
pub fn fresh_topic(prefix: &str, client: PerfClient, s: &Scenario) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{prefix}-{}-{}x{}-p{}-{}-{}-{nanos}",
        client.name(),
        s.records,
        s.record_size,
        s.partitions,
        s.compression,
        std::process::id()
    )
}

/// Creates `topic` with `partitions` partitions and the broker's default replication.
pub async fn create(
    admin: &ottla::Client,
    topic: &str,
    partitions: i32,
) -> Result<(), ottla::Error> {
    create_topic(
        admin,
        &NewTopic {
            name: topic.to_owned(),
            partitions,
            replication_factor: -1,
            configs: Vec::new(),
        },
    )
    .await
}

/// The records on `topic`'s `partitions` (from the log start to the high watermark of each).
pub async fn records_on(
    admin: &ottla::Client,
    topic: &str,
    partitions: i32,
) -> Result<u64, ottla::Error> {
    let mut total = 0u64;
    for p in 0..partitions {
        let start = list_offset(admin, topic, p, OffsetSpec::Earliest).await?;
        let end = list_offset(admin, topic, p, OffsetSpec::Latest).await?;
        total += u64::try_from(end.saturating_sub(start)).unwrap_or(0);
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::super::results::tests::scenario;
    use super::*;

    #[test]
    fn topic_names_say_what_ran_and_are_legal() {
        let t = fresh_topic("p", PerfClient::KcatNoidem, &scenario(20, 100));
        assert!(t.starts_with("p-kcat-noidem-20x100-p1-none-"), "{t}");
        assert!(t.len() <= 249);
        assert!(t
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)));
        assert_ne!(
            t,
            fresh_topic("p", PerfClient::KcatNoidem, &scenario(20, 100))
        );
    }
}
