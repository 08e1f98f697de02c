//! Shared support for the integration tests: where the real broker and kcat are.
//!
//! Tests read the broker from `OTTLA_BOOTSTRAP` and kcat from `OTTLA_KCAT`; the security peers
//! (started by `scripts/test.sh`) from `OTTLA_TLS_BOOTSTRAP`, `OTTLA_TLS_BADNAME_BOOTSTRAP`,
//! `OTTLA_MTLS_BOOTSTRAP`, `OTTLA_SCRAM_BOOTSTRAP` and `OTTLA_SASL_SSL_BOOTSTRAP`. When one is
//! missing, a test is skipped with a message — except in CI (`CI=true`) or with
//! `OTTLA_REQUIRE_BROKER=1`, where a missing peer fails the test.

use std::path::PathBuf;

pub mod cluster;
pub mod group_members;
pub mod hostile;
pub mod peer_records;
pub mod proxy;

/// The repository README's Rust examples, compiled (and `no_run`) as this crate's doctests:
/// the README is the users' guide, and its examples must not rot.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeExamples;

/// Whether a missing peer must fail the test.
pub fn peers_required() -> bool {
    let set = |k: &str| std::env::var(k).is_ok_and(|v| !v.is_empty() && v != "0" && v != "false");
    set("CI") || set("OTTLA_REQUIRE_BROKER")
}

/// The value of the peer variable `var` (`what` describes the peer in the messages). `None`
/// (with a "skipped" message) when it is unset; panics instead when [`peers_required`].
pub fn peer(var: &str, what: &str) -> Option<String> {
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

/// A moto server (`OTTLA_MOTO_ENDPOINT`, e.g. `http://127.0.0.1:5000`) speaking STS and
/// Secrets Manager, started by `scripts/test.sh`.
pub fn moto_endpoint() -> Option<String> {
    peer(
        "OTTLA_MOTO_ENDPOINT",
        "a moto server (STS, Secrets Manager)",
    )
}

/// A Python with the official `aws-msk-iam-sasl-signer-python` and botocore
/// (`OTTLA_AWS_PYTHON`, installed by `scripts/install-aws-tools.sh`).
pub fn aws_python() -> Option<PathBuf> {
    peer(
        "OTTLA_AWS_PYTHON",
        "Python with aws-msk-iam-sasl-signer-python",
    )
    .map(PathBuf::from)
}

/// The reference client (`OTTLA_KCAT`: a kcat running on librdkafka ≥ 2.16).
pub fn kcat() -> Option<PathBuf> {
    peer("OTTLA_KCAT", "kcat over librdkafka 2.16").map(PathBuf::from)
}

/// The Java reference-client peer (`OTTLA_JAVA_PEER`: the wrapper `scripts/install-java-peer.sh`
/// prints, over kafka-clients of the broker's version).
pub fn java_peer() -> Option<PathBuf> {
    peer(
        "OTTLA_JAVA_PEER",
        "the Java client peer (scripts/install-java-peer.sh)",
    )
    .map(PathBuf::from)
}

/// The franz-go reference-client peer (`OTTLA_GO_PEER`: the executable
/// `scripts/install-go-peer.sh` prints).
pub fn go_peer() -> Option<PathBuf> {
    peer(
        "OTTLA_GO_PEER",
        "the franz-go peer (scripts/install-go-peer.sh)",
    )
    .map(PathBuf::from)
}

/// The SSL peer (`OTTLA_TLS_BOOTSTRAP`): Kafka's SSL listener with `server.pem` (localhost,
/// 127.0.0.1).
pub fn tls_bootstrap() -> Option<String> {
    peer(
        "OTTLA_TLS_BOOTSTRAP",
        "Kafka's SSL listener (scripts/kafka.sh)",
    )
}

/// The SSL peer whose certificate names only `broker.example`
/// (`OTTLA_TLS_BADNAME_BOOTSTRAP`).
pub fn tls_badname_bootstrap() -> Option<String> {
    peer(
        "OTTLA_TLS_BADNAME_BOOTSTRAP",
        "a Kafka SSL listener with a certificate for another name",
    )
}

/// The SSL peer that demands a client certificate signed by `ca.pem`
/// (`OTTLA_MTLS_BOOTSTRAP`).
pub fn mtls_bootstrap() -> Option<String> {
    peer(
        "OTTLA_MTLS_BOOTSTRAP",
        "a Kafka SSL listener requiring client certificates",
    )
}

/// The SASL_PLAINTEXT peer (`OTTLA_SCRAM_BOOTSTRAP`): Kafka with SCRAM users
/// alice/alice-secret (SCRAM-SHA-512) and bob/bob-secret (SCRAM-SHA-256).
pub fn scram_bootstrap() -> Option<String> {
    peer(
        "OTTLA_SCRAM_BOOTSTRAP",
        "Kafka's SASL_PLAINTEXT listener (scripts/kafka.sh)",
    )
}

/// The SASL_SSL peer (`OTTLA_SASL_SSL_BOOTSTRAP`): the same users over TLS.
pub fn sasl_ssl_bootstrap() -> Option<String> {
    peer(
        "OTTLA_SASL_SSL_BOOTSTRAP",
        "Kafka's SASL_SSL listener (scripts/kafka.sh)",
    )
}

/// The SASL_PLAINTEXT OAUTHBEARER listener (`OTTLA_OAUTH_BOOTSTRAP`): Kafka's unsecured JWS
/// validator; sessions end after `OTTLA_OAUTH_REAUTH_MS` (KIP-368).
pub fn oauth_bootstrap() -> Option<String> {
    peer(
        "OTTLA_OAUTH_BOOTSTRAP",
        "Kafka with an OAUTHBEARER listener (scripts/kafka.sh)",
    )
}

/// The 3-broker Kafka cluster (`OTTLA_CLUSTER_BOOTSTRAP`, `scripts/kafka.sh start --cluster`):
/// racks rack-1..rack-3, default replication factor 3, `min.insync.replicas=2`.
pub fn cluster_bootstrap() -> Option<String> {
    peer(
        "OTTLA_CLUSTER_BOOTSTRAP",
        "a 3-broker Kafka cluster (scripts/kafka.sh start --cluster)",
    )
}

/// The path of a TLS fixture (`crates/ottla-tls/tests/fixtures/NAME`, or under
/// `OTTLA_TLS_FIXTURES` when set).
pub fn fixture(name: &str) -> PathBuf {
    let dir = match std::env::var("OTTLA_TLS_FIXTURES") {
        Ok(d) if !d.trim().is_empty() => PathBuf::from(d.trim()),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../crates/ottla-tls/tests/fixtures"),
    };
    dir.join(name)
}

/// The path of a TLS fixture as a string, for `ssl.*` settings.
pub fn fixture_str(name: &str) -> String {
    fixture(name).to_string_lossy().into_owned()
}

/// Connects a client to `bootstrap` with extra properties (`security.protocol`, `ssl.*`,
/// `sasl.*`, …); a rejected property panics, a connect failure is returned.
pub async fn client_with(
    bootstrap: &str,
    props: &[(&str, &str)],
) -> Result<ottla::Client, ottla::Error> {
    let mut builder = ottla::ClientConfig::builder();
    builder
        .bootstrap_servers(bootstrap)
        .client_id("ottla-tests");
    for (k, v) in props {
        builder
            .set(k, v)
            .unwrap_or_else(|e| panic!("property {k}={v} rejected: {e}"));
    }
    let config = builder.build()?;
    ottla::Client::connect(config).await
}

/// A topic name no earlier run used.
pub fn unique_topic(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{prefix}-{}-{nanos}", std::process::id())
}

/// Creates a topic named from `prefix` ([`unique_topic`]) with `partitions` partitions, the
/// broker's default replication factor and `configs` set, and returns its name; panics, naming
/// the topic, when the broker refuses.
pub async fn create_unique_topic(
    client: &ottla::Client,
    prefix: &str,
    partitions: i32,
    configs: &[(&str, &str)],
) -> String {
    let topic = unique_topic(prefix);
    ottla::basic::create_topic(
        client,
        &ottla::basic::NewTopic {
            name: topic.clone(),
            partitions,
            replication_factor: -1,
            configs: configs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        },
    )
    .await
    .unwrap_or_else(|e| panic!("create topic {topic}: {e}"));
    leaders_ready(client, &topic, partitions).await;
    topic
}

/// Waits until every partition of a new topic has a leader that serves it. Kafka's metadata
/// can name a new partition's leader before that broker has made itself leader, and a
/// produce then gets NOT_LEADER_OR_FOLLOWER (CI saw it under load, in round_trip and
/// oauth_broker). A ListOffsets at the leader takes the same path as a produce and changes
/// nothing, so a test may write its first record at offset 0 as soon as this returns.
pub async fn leaders_ready(client: &ottla::Client, topic: &str, partitions: i32) {
    use ottla::basic::{list_offset, OffsetSpec};
    for partition in 0..partitions {
        let mut attempt = 0;
        loop {
            match list_offset(client, topic, partition, OffsetSpec::Latest).await {
                Ok(_) => break,
                Err(e) if e.is_retriable() && attempt < 100 => {
                    attempt += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err(e) => panic!("{topic}-{partition} has no leader serving it: {e}"),
            }
        }
    }
}

/// Expands to `$tests! { none: Compression::None, gzip: Compression::Gzip, … }`: every codec,
/// each with a name for its module, so a test file's own `$tests` macro writes one module of
/// tests per codec (`gzip::…`) without listing the codecs again.
#[macro_export]
macro_rules! for_every_codec {
    ($tests:ident) => {
        $tests! {
            none: ::ottla::protocol::compression::Compression::None,
            gzip: ::ottla::protocol::compression::Compression::Gzip,
            snappy: ::ottla::protocol::compression::Compression::Snappy,
            lz4: ::ottla::protocol::compression::Compression::Lz4,
            zstd: ::ottla::protocol::compression::Compression::Zstd,
        }
    };
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

/// Creates a topic on `c`, produces `count` keyed records to it and fetches them back, checking
/// keys and values.
pub async fn round_trip(c: &ottla::Client, prefix: &str, count: i64) {
    let topic = create_unique_topic(c, prefix, 1, &[]).await;
    let sent: Vec<ottla::protocol::records::Record> = (0..count)
        .map(|i| ottla::protocol::records::Record {
            key: Some(bytes::Bytes::from(format!("k{i}"))),
            value: Some(bytes::Bytes::from(format!("value {i} via {prefix}"))),
            headers: vec![],
            timestamp: 1_700_000_000_000 + i,
        })
        .collect();
    // create_unique_topic waited for the leader, so the first produce is accepted.
    let p = ottla::basic::produce_batch(
        c,
        &topic,
        0,
        &sent,
        &ottla::basic::ProduceOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(p.base_offset, 0);
    let mut got = Vec::new();
    let mut offset = 0;
    while got.len() < sent.len() {
        let f = ottla::basic::fetch_partition(
            c,
            &topic,
            0,
            offset,
            &ottla::basic::FetchOptions::default(),
        )
        .await
        .unwrap();
        assert!(
            f.next_offset > offset || !f.records.is_empty(),
            "no progress at {offset}"
        );
        offset = f.next_offset;
        got.extend(f.records);
    }
    assert_eq!(got.len(), sent.len());
    for (s, r) in sent.iter().zip(&got) {
        assert_eq!(r.key, s.key);
        assert_eq!(r.value, s.value);
    }
}

/// A one-broker `ottla-mock` cluster with topic `t` (1 partition) and `sasl` on its listener.
pub async fn sasl_mock(sasl: ottla_mock::MockSasl) -> ottla_mock::MockCluster {
    ottla_mock::MockCluster::builder()
        .brokers(1)
        .topic("t", 1)
        .sasl(sasl)
        .start()
        .await
        .expect("mock cluster starts")
}

/// A SASL_PLAINTEXT client configuration for `bootstrap` with `pairs` set and a 5 s request
/// timeout.
pub fn sasl_config(bootstrap: &str, pairs: &[(&str, &str)]) -> ottla::ClientConfigBuilder {
    let mut b = ottla::ClientConfig::builder();
    b.bootstrap_servers(bootstrap)
        .request_timeout(std::time::Duration::from_secs(5));
    for (k, v) in [("security.protocol", "SASL_PLAINTEXT")]
        .iter()
        .chain(pairs)
    {
        b.set(k, v)
            .unwrap_or_else(|e| panic!("property {k}={v} rejected: {e}"));
    }
    b
}

/// A record with only a value (UTF-8 `v`).
pub fn value_record(v: &str) -> ottla::protocol::records::Record {
    ottla::protocol::records::Record {
        key: None,
        value: Some(bytes::Bytes::from(v.to_owned())),
        headers: vec![],
        timestamp: 0,
    }
}

/// Produces one record with value `value` to partition 0 of topic `t` and reads it back.
pub async fn round_trip_value(client: &ottla::Client, value: &str) {
    use ottla::basic::{fetch_partition, produce_batch, FetchOptions, ProduceOptions};
    let p = produce_batch(
        client,
        "t",
        0,
        &[value_record(value)],
        &ProduceOptions::default(),
    )
    .await
    .expect("produce");
    let f = fetch_partition(client, "t", 0, p.base_offset, &FetchOptions::default())
        .await
        .expect("fetch");
    assert_eq!(f.records[0].value.as_deref(), Some(value.as_bytes()));
}

/// Fetches partition 0 of topic `t` from `*next` until `received` holds `count` values
/// (UTF-8), advancing `*next`.
pub async fn fetch_values_until(
    client: &ottla::Client,
    next: &mut i64,
    received: &mut Vec<String>,
    count: u64,
) {
    use ottla::basic::{fetch_partition, FetchOptions};
    while (received.len() as u64) < count {
        let f = fetch_partition(client, "t", 0, *next, &FetchOptions::default())
            .await
            .expect("fetch");
        *next = f.next_offset;
        received.extend(f.records.into_iter().map(|r| {
            String::from_utf8(r.value.unwrap_or_default().to_vec()).expect("UTF-8 value")
        }));
    }
}

/// Sends the library's `tracing` events to the test's output when `OTTLA_LOG` is set (an
/// `EnvFilter` such as `ottla::producer=debug`); the test harness shows them for failed tests.
pub fn init_logs() {
    if let Ok(filter) = tracing_subscriber::EnvFilter::try_from_env("OTTLA_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_test_writer()
            .try_init();
    }
}

/// Offsets strictly increase within each partition.
pub fn in_order(records: &[ottla::consumer::ConsumerRecord]) {
    let mut last: std::collections::BTreeMap<i32, i64> = std::collections::BTreeMap::new();
    for r in records {
        if let Some(prev) = last.insert(r.partition, r.offset) {
            assert!(
                r.offset > prev,
                "partition {}: {} after {prev}",
                r.partition,
                r.offset
            );
        }
    }
}

/// A consumer of `bootstrap` with `settings` (Kafka property names).
pub async fn consumer(bootstrap: &str, settings: &[(&str, &str)]) -> ottla::consumer::Consumer {
    let mut config = ottla::consumer::ConsumerConfig::builder();
    config.bootstrap_servers(bootstrap);
    for (k, v) in settings {
        config.set(k, v).unwrap();
    }
    ottla::consumer::Consumer::new(config.build().unwrap())
        .await
        .unwrap()
}

/// A consumer group member's settings for tests: 10 s sessions, 300 ms heartbeats, 30 s
/// max.poll.interval.ms, one assignor, and `instance` as group.instance.id.
pub fn group_config(
    group: &str,
    assignor: std::sync::Arc<dyn ottla::group::assignor::Assignor>,
    instance: Option<&str>,
) -> ottla::group::classic::MembershipConfig {
    use std::time::Duration;
    ottla::group::classic::MembershipConfig {
        group_id: group.to_owned(),
        group_instance_id: instance.map(str::to_owned),
        session_timeout: Duration::from_secs(10),
        rebalance_timeout: Duration::from_secs(30),
        heartbeat_interval: Duration::from_millis(300),
        retry_backoff: ottla::cluster::Backoff {
            base: Duration::from_millis(100),
            max: Duration::from_secs(1),
        },
        assignors: vec![assignor],
        rack: None,
    }
}

/// Writes one batch of `count` records (values `v0`, `v1`, …) to `topic`/`partition`,
/// retrying while the new topic's leader is not ready (NOT_LEADER_OR_FOLLOWER and other
/// retriable errors) for up to 10 s.
pub async fn produce_values(client: &ottla::Client, topic: &str, partition: i32, count: usize) {
    use ottla::basic::{produce_batch, ProduceOptions};
    let records: Vec<ottla::protocol::records::Record> = (0..count)
        .map(|i| ottla::protocol::records::Record {
            value: Some(bytes::Bytes::from(format!("v{i}"))),
            ..Default::default()
        })
        .collect();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match produce_batch(
            client,
            topic,
            partition,
            &records,
            &ProduceOptions::default(),
        )
        .await
        {
            Ok(_) => return,
            Err(e) if e.is_retriable() && std::time::Instant::now() < deadline => {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Err(e) => panic!("produce to {topic}-{partition}: {e}"),
        }
    }
}
