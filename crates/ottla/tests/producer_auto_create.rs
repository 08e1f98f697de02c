//! The producer asks for a missing topic's metadata with auto-creation allowed, as the Java
//! producer does: the broker's `auto.create.topics.enable` decides. Metadata-only lookups
//! never create topics.

use std::time::{Duration, Instant};

use ottla::producer::{Producer, ProducerConfig, ProducerRecord};
use ottla::{Client, ClientConfig, Error};
use ottla_mock::MockCluster;

async fn cluster(auto_create: bool) -> MockCluster {
    MockCluster::builder()
        .brokers(1)
        .topic("existing", 1)
        .auto_create_topics(auto_create)
        .default_partitions(3)
        .start()
        .await
        .unwrap()
}

async fn producer(bootstrap: &str, max_block: Duration) -> Producer {
    let mut b = ProducerConfig::builder();
    b.bootstrap_servers(bootstrap).max_block(max_block);
    Producer::new(b.build().unwrap()).await.unwrap()
}

#[tokio::test]
async fn a_missing_topic_is_created_when_the_broker_allows_it() {
    let c = cluster(true).await;
    let p = producer(&c.bootstrap(), Duration::from_secs(30)).await;
    let start = Instant::now();
    let landed = p
        .send(ProducerRecord::new("fresh", "hi"))
        .await
        .unwrap()
        .await
        .unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(landed.topic.as_ref(), "fresh");
    assert_eq!(c.partition_count("fresh").unwrap(), 3);
    assert_eq!(c.record_count("fresh", landed.partition).unwrap(), 1);
    p.close(Duration::from_secs(5)).await.unwrap();
}

#[tokio::test]
async fn without_auto_creation_send_gives_up_after_max_block_naming_the_topic() {
    let c = cluster(false).await;
    let max_block = Duration::from_millis(700);
    let p = producer(&c.bootstrap(), max_block).await;
    let start = Instant::now();
    let e = p
        .send(ProducerRecord::new("fresh", "hi"))
        .await
        .unwrap_err()
        .into_parts()
        .0;
    let took = start.elapsed();
    match &e {
        Error::MaxBlock { waited, what } => {
            assert_eq!(*waited, max_block);
            assert_eq!(
                what,
                &ottla::BlockedOn::TopicMetadata {
                    topic: "fresh".into()
                },
                "{e}"
            );
            assert!(e.to_string().contains("\"fresh\""), "{e}");
        }
        other => panic!("expected MaxBlock, got {other:?}"),
    }
    assert!(
        took >= Duration::from_millis(600) && took < Duration::from_secs(5),
        "{took:?}"
    );
    assert!(!c.topics().contains(&"fresh".to_owned()));
}

#[tokio::test]
async fn metadata_lookups_do_not_create_topics() {
    let c = cluster(true).await;
    let mut b = ClientConfig::builder();
    b.bootstrap_servers(c.bootstrap());
    let client = Client::connect(b.build().unwrap()).await.unwrap();
    let m = client.refresh_metadata().await.unwrap();
    assert!(m.topic("other").is_err());
    let m = client.refresh_topics(&["other"], false).await.unwrap();
    assert!(m.topic("other").is_err());
    assert!(m.topic("existing").is_ok(), "the merge keeps known topics");
    assert_eq!(c.topics(), vec!["existing".to_owned()]);
    // Asked with creation allowed, the broker creates it.
    let m = client.refresh_topics(&["other"], true).await.unwrap();
    assert_eq!(m.topic("other").unwrap().partitions.len(), 3);
    assert!(m.topic("existing").is_ok());
}
