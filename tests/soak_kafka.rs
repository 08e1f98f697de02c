//! Soak on the real 3-broker Kafka cluster with faults: an idempotent acks=all producer writes
//! at a steady rate and a group member reads everything back, for `OTTLA_SOAK_SECONDS`
//! (default 60, the CI form; the campaign runs 600), while a TCP proxy cuts every connection
//! and stalls a leader's, and a broker is killed (`kill -9`) and started again. The test stops
//! by itself.
//!
//! The process's resident memory is sampled every second. After a warm-up (the first fifth of
//! the run) it must stay under the clients' configured memory (the producer's `buffer.memory`,
//! the consumer's `queued.max.messages.kbytes` plus one `fetch.max.bytes` per broker) plus a
//! fixed overhead measured before the clients start plus [`OVERHEAD_MB`]; and, on runs of five
//! minutes or more, it must not trend upwards: the least-squares slope over the samples after
//! the warm-up, times the run's length, stays under [`GROWTH_MB`] (the CI form's minute is
//! warm-up through and through, so it checks the bound only). The test keeps no per-record state (counters
//! and each partition's last value), so the samples are the clients'.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ottla::producer::{Producer, ProducerConfig, ProducerRecord};
use ottla_tests::cluster::{replicated_topic, wait_until_whole, Crashed, CLUSTER};
use ottla_tests::proxy::start_cluster_proxy;
use ottla_tests::{client, cluster_bootstrap};

const PARTITIONS: u32 = 6;
/// Bytes of each record's value.
const VALUE_BYTES: usize = 512;
/// Records per second the producer offers.
const RATE: u64 = 4_000;
const BUFFER_MEMORY: usize = 16 << 20;
const QUEUED_KBYTES: usize = 16 << 10;
const FETCH_MAX_BYTES: usize = 4 << 20;
/// Allowed above the clients' configured memory and the process's size before they start:
/// allocator slack, connection buffers, metadata, tasks.
const OVERHEAD_MB: f64 = 48.0;
/// Allowed growth over the run, from the trend of the samples.
const GROWTH_MB: f64 = 8.0;

const TIMEOUTS: [(&str, &str); 4] = [
    ("request.timeout.ms", "3000"),
    ("socket.connection.setup.timeout.ms", "3000"),
    ("metadata.max.age.ms", "2000"),
    ("reconnect.backoff.max.ms", "1000"),
];

fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmRSS in /proc/self/status");
    kb / 1024.0
}

/// Least-squares slope of `ys` over `xs`.
fn slope(xs: &[f64], ys: &[f64]) -> f64 {
    let n = xs.len() as f64;
    let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
    let cov: f64 = xs.iter().zip(ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let var: f64 = xs.iter().map(|x| (x - mx) * (x - mx)).sum();
    if var == 0.0 {
        0.0
    } else {
        cov / var
    }
}

/// Value `seq` of a partition, padded to [`VALUE_BYTES`].
fn value(seq: u64) -> String {
    format!("{seq:0width$}", width = VALUE_BYTES)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_stays_bounded_without_growth_under_faults() {
    let _alone = CLUSTER.lock().await;
    ottla_tests::init_logs();
    let Some(b) = cluster_bootstrap() else { return };
    let seconds = std::env::var("OTTLA_SOAK_SECONDS")
        .map(|v| v.parse::<u64>().expect("OTTLA_SOAK_SECONDS: seconds"))
        .unwrap_or(60);
    let c = client(&b).await;
    let (topic, _) = replicated_topic(&c, "soak", PARTITIONS as i32).await;
    let (proxy, proxied) = start_cluster_proxy().await;
    let base_mb = rss_mb();

    let mut pb = ProducerConfig::builder();
    pb.bootstrap_servers(&proxied);
    let buffer = BUFFER_MEMORY.to_string();
    for (k, v) in [
        ("acks", "all"),
        ("enable.idempotence", "true"),
        ("linger.ms", "5"),
        ("buffer.memory", buffer.as_str()),
    ]
    .into_iter()
    .chain(TIMEOUTS)
    {
        pb.set(k, v).unwrap();
    }
    let producer = Arc::new(Producer::new(pb.build().unwrap()).await.unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));

    // The producer: RATE records a second, partition by partition, each value its
    // partition's sequence number; deliveries awaited in a bounded queue.
    let sending = {
        let (producer, stop, acked, failed) = (
            Arc::clone(&producer),
            Arc::clone(&stop),
            Arc::clone(&acked),
            Arc::clone(&failed),
        );
        let topic: Arc<str> = Arc::from(topic.as_str());
        tokio::spawn(async move {
            let (tx, mut rx) = tokio::sync::mpsc::channel::<ottla::producer::DeliveryFuture>(4_096);
            let collector = tokio::spawn(async move {
                while let Some(d) = rx.recv().await {
                    match d.await {
                        Ok(_) => acked.fetch_add(1, Ordering::Relaxed),
                        Err(e) => {
                            tracing::warn!(error = %e.error(), "delivery failed");
                            failed.fetch_add(1, Ordering::Relaxed)
                        }
                    };
                }
            });
            let mut seq = [0u64; PARTITIONS as usize];
            let mut tick = tokio::time::interval(Duration::from_millis(10));
            let per_tick = RATE / 100;
            let mut sent = 0u64;
            while !stop.load(Ordering::SeqCst) {
                tick.tick().await;
                for _ in 0..per_tick {
                    let p = (sent % u64::from(PARTITIONS)) as usize;
                    let r = ProducerRecord::new(Arc::clone(&topic), value(seq[p]))
                        .with_partition(p as i32);
                    seq[p] += 1;
                    sent += 1;
                    tx.send(producer.send(r).await.expect("queued"))
                        .await
                        .unwrap();
                }
            }
            drop(tx);
            collector.await.unwrap();
            sent
        })
    };

    // The consumer: checks each partition's values come in order, once.
    let consumed = Arc::new(AtomicU64::new(0));
    let again = Arc::new(AtomicU64::new(0));
    let stop_reading = Arc::new(AtomicBool::new(false));
    let reading = {
        let (stop, consumed, again) = (
            Arc::clone(&stop_reading),
            Arc::clone(&consumed),
            Arc::clone(&again),
        );
        let queued = QUEUED_KBYTES.to_string();
        let fetch_max = FETCH_MAX_BYTES.to_string();
        let group = ottla_tests::unique_topic("soak-group");
        let topic = topic.clone();
        let proxied = proxied.clone();
        tokio::spawn(async move {
            let mut settings = vec![
                ("group.id", group.as_str()),
                ("auto.offset.reset", "earliest"),
                ("enable.auto.commit", "true"),
                ("queued.max.messages.kbytes", queued.as_str()),
                ("fetch.max.bytes", fetch_max.as_str()),
                ("fetch.max.wait.ms", "200"),
            ];
            settings.extend(TIMEOUTS);
            let mut consumer = ottla_tests::consumer(&proxied, &settings).await;
            consumer.subscribe([topic.as_str()]).unwrap();
            let mut next: BTreeMap<i32, u64> = BTreeMap::new();
            while !stop.load(Ordering::SeqCst) {
                let batch = match consumer.recv_batch(1_000, Duration::from_millis(200)).await {
                    Ok(b) => b,
                    Err(e) => {
                        tracing::info!(error = %e, "recv failed; going on");
                        continue;
                    }
                };
                for r in batch {
                    let v: u64 = std::str::from_utf8(r.value.as_deref().unwrap())
                        .unwrap()
                        .parse()
                        .unwrap();
                    let want = next.entry(r.partition).or_insert(0);
                    // Behind: delivered again (at least once, after a rebalance); ahead: a
                    // record skipped, which must never happen.
                    assert!(v <= *want, "partition {}: {v} after {}", r.partition, *want);
                    if v == *want {
                        *want += 1;
                        consumed.fetch_add(1, Ordering::Relaxed);
                    } else {
                        again.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            let _ = consumer.close().await;
        })
    };

    // Faults and samples, once a second.
    let started = Instant::now();
    let mut samples: Vec<(f64, f64)> = Vec::new();
    let mut crashed: Option<(Crashed, u64)> = None;
    let (mut kills, mut stalled) = (0u32, None::<i32>);
    for second in 0..seconds {
        tokio::time::sleep_until((started + Duration::from_secs(second + 1)).into()).await;
        samples.push((started.elapsed().as_secs_f64(), rss_mb()));
        match second % 30 {
            10 => {
                proxy.cut(None);
            }
            20 => {
                let m = c.refresh_metadata().await.unwrap();
                stalled = m.topics[topic.as_str()].partitions[&0].leader;
                proxy.stall(stalled, true);
            }
            24 => proxy.stall(stalled, false),
            _ => {}
        }
        // A kill every three minutes, from the 30th second; the broker comes back 10 s later.
        if second % 180 == 30 && crashed.is_none() {
            let m = c.refresh_metadata().await.unwrap();
            let victim = m.topics[topic.as_str()].partitions[&1].leader.unwrap();
            crashed = Some((Crashed::kill(victim), second));
            kills += 1;
        }
        if crashed.as_ref().is_some_and(|(_, at)| second >= at + 10) {
            if let Some((dead, _)) = crashed.take() {
                dead.restart();
            }
        }
    }
    if let Some((dead, _)) = crashed.take() {
        dead.restart();
    }
    proxy.stall(None, false);
    stop.store(true, Ordering::SeqCst);
    let sent = sending.await.unwrap();
    // The reader catches up with what was acknowledged.
    let catch_up = Instant::now() + Duration::from_secs(60);
    while consumed.load(Ordering::Relaxed) < acked.load(Ordering::Relaxed) {
        if reading.is_finished() || Instant::now() > catch_up {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop_reading.store(true, Ordering::SeqCst);
    if let Err(e) = reading.await {
        if e.is_panic() {
            std::panic::resume_unwind(e.into_panic());
        }
    }
    wait_until_whole(&c, &topic, 0).await;

    let warm = samples.len() / 5;
    let after: Vec<_> = samples[warm..].to_vec();
    let xs: Vec<f64> = after.iter().map(|s| s.0).collect();
    let ys: Vec<f64> = after.iter().map(|s| s.1).collect();
    let max = ys.iter().copied().fold(0.0, f64::max);
    let min = ys.iter().copied().fold(f64::MAX, f64::min);
    let per_s = slope(&xs, &ys);
    let growth = per_s * seconds as f64;
    let configured_mb =
        (BUFFER_MEMORY + QUEUED_KBYTES * 1024 + 3 * FETCH_MAX_BYTES) as f64 / (1 << 20) as f64;
    let bound = base_mb + configured_mb + OVERHEAD_MB;
    let by_minute: Vec<String> = samples
        .chunks(60)
        .map(|c| format!("{:.1}", c.iter().map(|s| s.1).fold(0.0, f64::max)))
        .collect();
    println!(
        "soak_kafka: {seconds} s, sent {sent}, acknowledged {}, failed {}, consumed {} (and {} again), kills {kills}, \
         cuts {}, RSS MB: before clients {base_mb:.1}, after warm-up min {min:.1} max {max:.1} \
         (bound {bound:.1} = {base_mb:.1} + configured {configured_mb:.1} + overhead {OVERHEAD_MB}), \
         max per minute [{}], trend {:.3} MB/min ({growth:.1} MB over the run)",
        acked.load(Ordering::Relaxed),
        failed.load(Ordering::Relaxed),
        consumed.load(Ordering::Relaxed),
        again.load(Ordering::Relaxed),
        proxy.cuts(),
        by_minute.join(", "),
        per_s * 60.0,
    );
    assert_eq!(failed.load(Ordering::Relaxed), 0, "deliveries failed");
    assert!(
        consumed.load(Ordering::Relaxed) >= acked.load(Ordering::Relaxed),
        "every acknowledged record read back: {} of {}",
        consumed.load(Ordering::Relaxed),
        acked.load(Ordering::Relaxed)
    );
    assert!(max <= bound, "RSS {max:.1} MB over the bound {bound:.1} MB");
    // A minute is all warm-up (buffers and connection pools reach their working size, a
    // killed broker's records pile up in the producer's buffer): the trend is judged on runs
    // of five minutes and more.
    if seconds >= 300 {
        assert!(growth < GROWTH_MB, "RSS grows {growth:.1} MB over the run");
    }
}
