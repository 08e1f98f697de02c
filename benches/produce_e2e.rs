//! End to end: K records through ottla's `Producer` to the broker at `OTTLA_BOOTSTRAP`, on a
//! fresh topic, reporting records/s and MB/s of payload. Without `OTTLA_BOOTSTRAP` it prints
//! why and does nothing, so `cargo bench --no-run` and a bench run without a broker pass.
//!
//! `OTTLA_BENCH_RECORDS` (default 100,000), `OTTLA_BENCH_RECORD_SIZE` (default 100 bytes),
//! `OTTLA_BENCH_PARTITIONS` (default 1) and `OTTLA_BENCH_COMPRESSION` (default none) tune it;
//! each of `OTTLA_BENCH_ROUNDS` (default 3) rounds uses a topic of its own. For the side by
//! side with kcat and CPU time, use `ottla perf produce`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use ottla::basic::{create_topic, delete_topic, NewTopic};
use ottla::producer::{Producer, ProducerConfig, ProducerRecord};

fn env_or<T: std::str::FromStr>(key: &str, default: T) -> T {
    match std::env::var(key) {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{key}={v:?} is not valid")),
        Err(_) => default,
    }
}

fn main() {
    let bootstrap = match std::env::var("OTTLA_BOOTSTRAP") {
        Ok(b) if !b.trim().is_empty() => b.trim().to_owned(),
        _ => {
            println!("produce_e2e: skipped (OTTLA_BOOTSTRAP is not set; scripts/test.sh starts a broker)");
            return;
        }
    };
    let records: u64 = env_or("OTTLA_BENCH_RECORDS", 100_000);
    let size: usize = env_or("OTTLA_BENCH_RECORD_SIZE", 100);
    let partitions: i32 = env_or("OTTLA_BENCH_PARTITIONS", 1);
    let compression: String = env_or("OTTLA_BENCH_COMPRESSION", "none".to_owned());
    let rounds: u32 = env_or("OTTLA_BENCH_ROUNDS", 3);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        let mut best = Duration::MAX;
        for round in 0..rounds {
            let took = round_trip(&bootstrap, records, size, partitions, &compression, round).await;
            println!(
                "produce_e2e round {round}: {records} × {size} B, {partitions} partition(s), {compression}: {:.3} s, {:.0} records/s, {:.1} MB/s",
                took.as_secs_f64(),
                records as f64 / took.as_secs_f64(),
                (records * size as u64) as f64 / 1e6 / took.as_secs_f64()
            );
            best = best.min(took);
        }
        println!(
            "produce_e2e best: {:.0} records/s",
            records as f64 / best.as_secs_f64()
        );
    });
}

/// Produces `records` records to a fresh topic and waits for every delivery; returns the
/// time from the first send to the last delivery.
async fn round_trip(
    bootstrap: &str,
    records: u64,
    size: usize,
    partitions: i32,
    compression: &str,
    round: u32,
) -> Duration {
    let mut builder = ProducerConfig::builder();
    builder.bootstrap_servers(bootstrap);
    builder
        .set("compression.type", compression)
        .expect("compression.type");
    let producer = Producer::new(builder.build().expect("config"))
        .await
        .expect("connect");
    let name = format!(
        "bench-produce-e2e-{}-{round}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    );
    create_topic(
        producer.client(),
        &NewTopic {
            name: name.clone(),
            partitions,
            replication_factor: -1,
            configs: Vec::new(),
        },
    )
    .await
    .expect("create topic");
    let topic: Arc<str> = Arc::from(name.as_str());
    let value = Bytes::from(vec![b'x'; size]);
    let started = Instant::now();
    // Every delivery is checked after the flush (a future is a few words; K is small).
    let mut deliveries = Vec::with_capacity(records as usize);
    for _ in 0..records {
        let d = producer
            .send(ProducerRecord::new(Arc::clone(&topic), value.clone()))
            .await
            .expect("send");
        deliveries.push(d);
    }
    producer.flush().await.expect("flush");
    for d in deliveries {
        d.await.expect("delivery");
    }
    let took = started.elapsed();
    producer
        .close(Duration::from_secs(30))
        .await
        .expect("close");
    delete_topic(producer.client(), &name)
        .await
        .expect("delete topic");
    took
}
