//! Against the 3-broker Kafka cluster (`OTTLA_CLUSTER_BOOTSTRAP`, `scripts/kafka.sh start
//! --cluster`): the client sees three brokers with their racks, replicated topics have three
//! in-sync replicas with leaders spread over the brokers, and an acks=all producer's records
//! come back from every partition leader.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use ottla::basic::{create_topic, fetch_partition, FetchOptions, NewTopic};
use ottla::producer::{Producer, ProducerConfig, ProducerRecord};
use ottla_tests::{client, cluster_bootstrap, unique_topic};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_racks_replicated_topic_and_acks_all_round_trip() {
    let Some(b) = cluster_bootstrap() else { return };
    let c = client(&b).await;
    let m = c.refresh_metadata().await.unwrap();
    let racks: BTreeSet<_> = m.brokers.values().filter_map(|b| b.rack.clone()).collect();
    assert_eq!(m.brokers.len(), 3, "{:?}", m.brokers);
    assert_eq!(
        racks,
        ["rack-1", "rack-2", "rack-3"].map(String::from).into()
    );

    let topic = unique_topic("cluster-rf3");
    create_topic(
        &c,
        &NewTopic {
            name: topic.clone(),
            partitions: 6,
            replication_factor: 3,
            configs: vec![],
        },
    )
    .await
    .unwrap();
    // Replicas join the ISR as each broker learns of the topic.
    let mut leaders = BTreeSet::new();
    for _ in 0..100 {
        let m = c.refresh_metadata().await.unwrap();
        let parts = &m.topics[topic.as_str()].partitions;
        if parts.len() == 6
            && parts
                .values()
                .all(|p| p.isr.len() == 3 && p.leader.is_some())
        {
            leaders = parts.values().filter_map(|p| p.leader).collect();
            assert!(parts.values().all(|p| p.replicas.len() == 3));
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(leaders.len(), 3, "six partitions led by all three brokers");

    let mut builder = ProducerConfig::builder();
    builder.bootstrap_servers(&b);
    builder.set("acks", "all").unwrap();
    builder.set("linger.ms", "5").unwrap();
    let producer = Producer::new(builder.build().unwrap()).await.unwrap();
    let topic_arc: Arc<str> = Arc::from(topic.as_str());
    let mut deliveries = Vec::new();
    for i in 0..6_000u32 {
        let r = ProducerRecord::new(Arc::clone(&topic_arc), format!("v{i}"))
            .with_partition((i % 6) as i32);
        deliveries.push(producer.send(r).await.unwrap());
    }
    for d in deliveries {
        d.await.unwrap();
    }
    producer.close(Duration::from_secs(10)).await.unwrap();

    for p in 0..6 {
        let mut offset = 0;
        let mut values = Vec::new();
        while values.len() < 1_000 {
            let f = fetch_partition(&c, &topic, p, offset, &FetchOptions::default())
                .await
                .unwrap();
            offset = f.next_offset;
            values.extend(
                f.records
                    .into_iter()
                    .map(|r| String::from_utf8(r.value.unwrap().to_vec()).unwrap()),
            );
        }
        let want: Vec<String> = (0..1_000).map(|k| format!("v{}", 6 * k + p)).collect();
        assert_eq!(values, want, "partition {p}");
    }
}
