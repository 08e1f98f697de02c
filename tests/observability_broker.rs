//! Observability against Kafka (`OTTLA_BOOTSTRAP`; `OTTLA_SCRAM_BOOTSTRAP` for the SASL span):
//! the stats snapshots of a producer, a consumer group member and a processor after real
//! traffic, a broker quota showing up as throttle time, the tracing spans the client opens,
//! and the Prometheus page built from the snapshots.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use ottla::admin::QuotaEntity;
use ottla::consumer::{Consumer, ConsumerConfig};
use ottla::processor::{Batch, BatchResponse, HandlerError, Processor, ProcessorConfig};
use ottla::producer::{Producer, ProducerConfig, ProducerRecord};
use ottla::stats::prometheus::Exposition;
use ottla_tests::cluster::send_numbers;
use ottla_tests::{bootstrap, create_unique_topic, scram_bootstrap, unique_topic};
use tracing::span::{Attributes, Id};
use tracing::Subscriber;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

/// Remembers the name of every span opened.
#[derive(Clone, Default)]
struct SpanNames(Arc<Mutex<BTreeSet<String>>>);

impl<S: Subscriber> Layer<S> for SpanNames {
    fn on_new_span(&self, attrs: &Attributes<'_>, _id: &Id, _ctx: Context<'_, S>) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(attrs.metadata().name().to_owned());
    }
}

impl SpanNames {
    fn seen(&self) -> BTreeSet<String> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// The span names of this test binary: one global subscriber (tracing caches whether a
/// callsite is enabled process-wide, so per-thread subscribers in parallel tests would miss
/// spans first seen on another test's thread).
fn spans() -> SpanNames {
    static NAMES: OnceLock<SpanNames> = OnceLock::new();
    NAMES
        .get_or_init(|| {
            let names = SpanNames::default();
            tracing::subscriber::set_global_default(
                tracing_subscriber::registry().with(names.clone()),
            )
            .expect("no other global subscriber in this test binary");
            names
        })
        .clone()
}

const RECORDS: u32 = 2_000;

#[tokio::test]
async fn stats_spans_and_prometheus_after_real_traffic() {
    let Some(b) = bootstrap() else { return };
    let spans = spans();

    let client = ottla_tests::client(&b).await;
    let topic = create_unique_topic(&client, "obs", 3, &[]).await;

    // Producer: every record delivered and counted per partition; nothing left queued.
    let mut pc = ProducerConfig::builder();
    pc.bootstrap_servers(b.as_str());
    pc.set("linger.ms", "5").unwrap();
    let producer = Producer::new(pc.build().unwrap()).await.unwrap();
    send_numbers(&producer, &topic, 3, 0, RECORDS).await;
    producer.flush().await.unwrap();
    let ps = producer.stats();
    assert_eq!(ps.records_delivered, u64::from(RECORDS), "{ps:?}");
    assert_eq!(
        (ps.queued_records, ps.queued_bytes, ps.records_failed),
        (0, 0, 0)
    );
    assert_eq!(ps.partitions.len(), 3, "{ps:?}");
    assert_eq!(
        ps.partitions.iter().map(|p| p.records).sum::<u64>(),
        u64::from(RECORDS)
    );
    assert_eq!(
        ps.partitions.iter().map(|p| p.batches).sum::<u64>(),
        ps.batches_delivered
    );
    assert!(ps
        .partitions
        .iter()
        .all(|p| p.bytes > 0 && p.max_batch_records > 0));
    let sent: u64 = ps.brokers.iter().map(|b| b.bytes_sent).sum();
    let requests: u64 = ps.brokers.iter().map(|b| b.requests).sum();
    assert!(requests >= ps.batches_delivered.div_ceil(3), "{ps:?}");
    // Every record's value went over the wire at least once.
    assert!(sent > u64::from(RECORDS), "{ps:?}");
    assert!(ps
        .brokers
        .iter()
        .any(|b| b.responses > 0 && b.rtt_us_total > 0 && b.connects > 0));

    // A consumer group member: one rebalance, every record, and no lag once it has read all.
    let mut cc = ConsumerConfig::builder();
    cc.bootstrap_servers(b.as_str())
        .group_id(unique_topic("obs-group"));
    cc.set("auto.offset.reset", "earliest").unwrap();
    cc.set("fetch.max.wait.ms", "50").unwrap();
    let mut consumer = Consumer::new(cc.build().unwrap()).await.unwrap();
    consumer.subscribe([topic.as_str()]).unwrap();
    let mut read = 0u32;
    while read < RECORDS {
        let batch = tokio::time::timeout(
            Duration::from_secs(30),
            consumer.recv_batch(1_000, Duration::from_secs(30)),
        )
        .await
        .expect("records within 30 s")
        .unwrap();
        read += batch.len() as u32;
    }
    // One more fetch answer so every partition's end is known at the final position.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let cs = consumer.stats();
    assert_eq!(cs.rebalances, 1, "{cs:?}");
    assert!(cs.records_fetched >= u64::from(RECORDS), "{cs:?}");
    assert_eq!(cs.partitions.len(), 3, "{cs:?}");
    assert_eq!(
        cs.partitions.iter().filter_map(|p| p.position).sum::<i64>(),
        i64::from(RECORDS),
        "{cs:?}"
    );
    assert!(cs.partitions.iter().all(|p| p.lag == Some(0)), "{cs:?}");
    assert!(cs.brokers.iter().map(|b| b.bytes_received).sum::<u64>() > u64::from(RECORDS));
    consumer.close().await.unwrap();

    // A processor whose first call fails once: one retry, then every record, OffsetLag 0.
    let mut xc = ProcessorConfig::builder();
    xc.bootstrap_servers(b.as_str())
        .group_id(unique_topic("obs-processor"))
        .topics([topic.as_str()]);
    for (k, v) in [
        ("starting.position", "TRIM_HORIZON"),
        ("fetch.max.wait.ms", "50"),
        ("retry.backoff.ms", "20"),
        ("batch.window.ms", "100"),
    ] {
        xc.set(k, v).unwrap();
    }
    let failed_once = Arc::new(Mutex::new(false));
    let flag = Arc::clone(&failed_once);
    let processor = Processor::new(xc.build().unwrap(), move |_batch: Batch| {
        let flag = Arc::clone(&flag);
        async move {
            let mut failed = flag.lock().unwrap_or_else(|p| p.into_inner());
            if !*failed {
                *failed = true;
                return Err(HandlerError::new("Test", "fails once"));
            }
            Ok(BatchResponse::success())
        }
    })
    .await
    .unwrap();
    let handle = processor.handle();
    let stats = processor
        .run_until(async move {
            for _ in 0..600 {
                let s = handle.stats();
                if s.records_processed >= u64::from(RECORDS) && s.total_offset_lag() == 0 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await
        .unwrap();
    assert_eq!(stats.records_processed, u64::from(RECORDS), "{stats:?}");
    assert_eq!((stats.retries, stats.records_failed), (1, 0), "{stats:?}");
    assert!(
        stats.failed_calls >= 1 && stats.calls > stats.retries,
        "{stats:?}"
    );

    // The spans the client opened on the way.
    let seen = spans.seen();
    for name in [
        "connection",
        "request",
        "produce",
        "fetch",
        "rebalance",
        "processor.batch",
    ] {
        assert!(seen.contains(name), "no {name} span; saw {seen:?}");
    }

    // The Prometheus page of all three.
    let mut page = Exposition::with_labels(&[("test", "obs")]);
    page.producer(&ps).consumer(&cs).processor(&stats);
    let text = page.finish();
    let value = |prefix: &str| -> f64 {
        text.lines()
            .filter(|l| l.starts_with(prefix))
            .map(|l| l.rsplit_once(' ').unwrap().1.parse::<f64>().unwrap())
            .sum()
    };
    assert_eq!(
        value("ottla_producer_records_delivered_total{"),
        f64::from(RECORDS)
    );
    assert_eq!(value("ottla_consumer_rebalances_total{"), 1.0);
    assert_eq!(value("ottla_processor_retries_total{"), 1.0);
    assert_eq!(value("ottla_consumer_lag_records{"), 0.0);
    assert!(value("ottla_broker_sent_bytes_total{") > 0.0, "{text}");
    assert!(text.contains("# TYPE ottla_broker_rtt_seconds_total counter\n"));
}

/// `entity`'s quotas once `ready` says so (or after 10 s: the last answer).
async fn quotas_when(
    admin: &ottla::admin::Admin,
    entity: &QuotaEntity,
    ready: impl Fn(&BTreeMap<String, f64>) -> bool,
) -> BTreeMap<String, f64> {
    let mut quotas = BTreeMap::new();
    for _ in 0..100 {
        quotas = admin.describe_client_quotas(entity).await.unwrap();
        if ready(&quotas) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    quotas
}

/// A produce quota on the client id: the broker throttles, and the producer's broker stats
/// say for how long.
#[tokio::test]
async fn a_quota_shows_up_as_throttle_time() {
    let Some(b) = bootstrap() else { return };
    spans();
    let client = ottla_tests::client(&b).await;
    let topic = create_unique_topic(&client, "obs-quota", 1, &[]).await;
    let client_id = unique_topic("obs-throttled");
    let admin = ottla::admin::Admin::new(client.clone());
    let entity = QuotaEntity::ClientId(Some(client_id.clone()));
    admin
        .alter_client_quotas(&entity, &[("producer_byte_rate", Some(20_000.0))])
        .await
        .unwrap();
    // Quotas reach the brokers through the metadata log.
    let described = quotas_when(&admin, &entity, |q| !q.is_empty()).await;
    assert_eq!(described.get("producer_byte_rate"), Some(&20_000.0));

    let mut pc = ProducerConfig::builder();
    pc.bootstrap_servers(b.as_str());
    pc.set("client.id", &client_id).unwrap();
    pc.set("batch.size", "16384").unwrap();
    let producer = Producer::new(pc.build().unwrap()).await.unwrap();
    // Quotas reach the broker through the metadata log: keep producing until it throttles
    // (20 KB/s; each round is 100 KB).
    let mut throttled = 0;
    for _ in 0..20 {
        let mut deliveries = Vec::new();
        for _ in 0..100 {
            let record = ProducerRecord::new(topic.as_str(), vec![b'x'; 1_000]);
            deliveries.push(producer.send(record).await.unwrap());
        }
        for d in deliveries {
            d.await.unwrap();
        }
        throttled = producer
            .stats()
            .brokers
            .iter()
            .map(|b| b.throttle_ms_total)
            .sum::<u64>();
        if throttled > 0 {
            break;
        }
    }
    admin
        .alter_client_quotas(&entity, &[("producer_byte_rate", None)])
        .await
        .unwrap();
    let left = quotas_when(&admin, &entity, BTreeMap::is_empty).await;
    assert!(
        left.is_empty(),
        "the quota is still described after its removal: {left:?}"
    );
    let stats = producer.stats();
    assert!(throttled > 0, "no throttle time counted: {stats:?}");
    assert!(
        stats.brokers.iter().any(|b| b.throttled_responses > 0),
        "{stats:?}"
    );
    producer.close(Duration::from_secs(10)).await.unwrap();
}

/// Connecting with SASL opens a `sasl` span.
#[tokio::test]
async fn sasl_authentication_has_a_span() {
    let Some(b) = scram_bootstrap() else { return };
    let spans = spans();
    ottla_tests::client_with(
        &b,
        &[
            ("security.protocol", "SASL_PLAINTEXT"),
            ("sasl.mechanism", "SCRAM-SHA-512"),
            ("sasl.username", "alice"),
            ("sasl.password", "alice-secret"),
        ],
    )
    .await
    .unwrap();
    assert!(spans.seen().contains("sasl"), "{:?}", spans.seen());
}
