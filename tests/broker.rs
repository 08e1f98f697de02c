//! Against a real broker (`OTTLA_BOOTSTRAP`): metadata, topics, version negotiation, and
//! 100 000 records produced and fetched back with each codec.

use bytes::Bytes;
use ottla::basic::{
    create_topic, delete_topic, fetch_partition, produce_batch, FetchOptions, NewTopic,
    ProduceOptions,
};
use ottla::protocol::compression::Compression;
use ottla::protocol::messages::ApiKey;
use ottla::protocol::records::{Header, Record};
use ottla::protocol::versions::client_range;
use ottla_tests::{bootstrap, client, create_unique_topic, unique_topic};

#[tokio::test]
async fn metadata_lists_brokers() {
    let Some(b) = bootstrap() else { return };
    let c = client(&b).await;
    let m = c.refresh_metadata().await.unwrap();
    assert!(!m.brokers.is_empty());
    for broker in m.brokers.values() {
        assert!(broker.port > 0);
        assert!(!broker.host.is_empty());
    }
}

#[tokio::test]
async fn api_versions_negotiated_against_broker() {
    let Some(b) = bootstrap() else { return };
    let c = client(&b).await;
    let m = c.metadata().await.unwrap();
    let node = *m.brokers.keys().next().unwrap();
    let conn = c.connection(node).await.unwrap();
    for api in [
        ApiKey::Produce,
        ApiKey::Fetch,
        ApiKey::ListOffsets,
        ApiKey::Metadata,
        ApiKey::CreateTopics,
        ApiKey::DeleteTopics,
        ApiKey::ApiVersions,
    ] {
        let ours = client_range(api).unwrap();
        let theirs = conn
            .versions()
            .offered(api)
            .unwrap_or_else(|| panic!("broker does not offer {api:?}"));
        let got = conn.version_of(api).unwrap();
        assert_eq!(
            got,
            ours.max.min(theirs.max),
            "{api:?}: ours {ours}, broker {theirs}"
        );
        assert!(got >= ours.min && got >= theirs.min);
    }
}

#[tokio::test]
async fn create_and_delete_topic() {
    let Some(b) = bootstrap() else { return };
    let c = client(&b).await;
    let name = unique_topic("create-delete");
    create_topic(
        &c,
        &NewTopic {
            name: name.clone(),
            partitions: 3,
            replication_factor: -1,
            configs: vec![],
        },
    )
    .await
    .unwrap();
    let m = c.refresh_metadata().await.unwrap();
    assert_eq!(m.topic(&name).unwrap().partitions.len(), 3);
    // Creating it again is TOPIC_ALREADY_EXISTS, a typed error.
    let again = create_topic(
        &c,
        &NewTopic {
            name: name.clone(),
            partitions: 3,
            replication_factor: -1,
            configs: vec![],
        },
    )
    .await
    .unwrap_err();
    assert_eq!(
        again.kafka_code().map(|c| c.name()),
        Some("TOPIC_ALREADY_EXISTS")
    );
    delete_topic(&c, &name).await.unwrap();
    let m = c.refresh_metadata().await.unwrap();
    assert!(m.topic(&name).is_err());
}

fn record(i: usize) -> Record {
    Record {
        key: (i % 3 != 0).then(|| Bytes::from(format!("key-{i}"))),
        value: (i % 97 != 0).then(|| Bytes::from(format!("value-{i}-{}", "x".repeat(i % 50)))),
        headers: if i % 10 == 0 {
            vec![
                Header {
                    key: "h".into(),
                    value: Some(Bytes::from(i.to_string())),
                },
                Header {
                    key: "h".into(),
                    value: None,
                },
            ]
        } else {
            vec![]
        },
        timestamp: 1_700_000_000_000 + i as i64,
    }
}

const RECORDS: usize = 100_000;
const PER_BATCH: usize = 5_000;

async fn round_trip(codec: Compression) {
    let Some(b) = bootstrap() else { return };
    let c = client(&b).await;
    let topic = create_unique_topic(&c, &format!("roundtrip-{codec}"), 1, &[]).await;
    let sent: Vec<Record> = (0..RECORDS).map(record).collect();
    let options = ProduceOptions {
        compression: codec,
        ..ProduceOptions::default()
    };
    let mut expected_offset = 0;
    for chunk in sent.chunks(PER_BATCH) {
        let p = produce_batch(&c, &topic, 0, chunk, &options).await.unwrap();
        assert_eq!(p.base_offset, expected_offset);
        expected_offset += chunk.len() as i64;
    }
    let mut got = Vec::with_capacity(RECORDS);
    let mut offset = 0;
    let fetch = FetchOptions {
        max_bytes: 8 << 20,
        partition_max_bytes: 8 << 20,
        ..FetchOptions::default()
    };
    while got.len() < RECORDS {
        let f = fetch_partition(&c, &topic, 0, offset, &fetch)
            .await
            .unwrap();
        assert!(
            f.next_offset > offset || !f.records.is_empty(),
            "no progress at {offset}"
        );
        for r in f.records {
            assert_eq!(r.offset, got.len() as i64);
            got.push(r);
        }
        offset = f.next_offset;
    }
    assert_eq!(got.len(), RECORDS);
    for (i, (s, r)) in sent.iter().zip(&got).enumerate() {
        assert_eq!(r.key, s.key, "key {i}");
        assert_eq!(r.value, s.value, "value {i}");
        assert_eq!(r.headers, s.headers, "headers {i}");
        assert_eq!(r.timestamp, s.timestamp, "timestamp {i}");
    }
    delete_topic(&c, &topic).await.unwrap();
}

#[tokio::test]
async fn produce_fetch_100k_none() {
    round_trip(Compression::None).await;
}

#[tokio::test]
async fn produce_fetch_100k_gzip() {
    round_trip(Compression::Gzip).await;
}

#[tokio::test]
async fn produce_fetch_100k_snappy() {
    round_trip(Compression::Snappy).await;
}

#[tokio::test]
async fn produce_fetch_100k_lz4() {
    round_trip(Compression::Lz4).await;
}

#[tokio::test]
async fn produce_fetch_100k_zstd() {
    round_trip(Compression::Zstd).await;
}
