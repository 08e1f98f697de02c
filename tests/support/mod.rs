//! Shared support for the integration tests: where the real broker and kcat are.
//!
//! Tests read the broker from `OTTLA_BOOTSTRAP` and kcat from `OTTLA_KCAT`. When one is
//! missing, a test is skipped with a message — except in CI (`CI=true`) or with
//! `OTTLA_REQUIRE_BROKER=1`, where a missing peer fails the test.

use std::path::PathBuf;

/// Whether a missing peer must fail the test.
pub fn peers_required() -> bool {
    let set = |k: &str| std::env::var(k).is_ok_and(|v| !v.is_empty() && v != "0" && v != "false");
    set("CI") || set("OTTLA_REQUIRE_BROKER")
}

fn peer(var: &str, what: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => Some(v.trim().to_owned()),
        _ if peers_required() => {
            panic!("{var} is not set: {what} is required here (CI=true or OTTLA_REQUIRE_BROKER=1); run scripts/test.sh")
        }
        _ => {
            eprintln!("skipped: {var} is not set ({what}); run scripts/test.sh");
            None
        }
    }
}

/// The broker to test against (`OTTLA_BOOTSTRAP`).
pub fn bootstrap() -> Option<String> {
    peer("OTTLA_BOOTSTRAP", "a Kafka-compatible broker")
}

/// The reference client (`OTTLA_KCAT`: a kcat running on librdkafka ≥ 2.16).
pub fn kcat() -> Option<PathBuf> {
    peer("OTTLA_KCAT", "kcat over librdkafka 2.16").map(PathBuf::from)
}

/// A topic name no earlier run used.
pub fn unique_topic(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{prefix}-{}-{nanos}", std::process::id())
}

/// A client for the broker.
pub async fn client(bootstrap: &str) -> ottla::Client {
    let config = ottla::ClientConfig::builder()
        .bootstrap_servers(bootstrap)
        .client_id("ottla-tests")
        .build()
        .expect("valid config");
    ottla::Client::connect(config)
        .await
        .expect("connect to the test broker")
}
