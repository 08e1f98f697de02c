//! The Lambda-style processor against Kafka (`OTTLA_BOOTSTRAP`): retries until success with
//! each record committed once; a partition that always fails sends one failure record per
//! record to a Kafka destination while the others flow; bisection isolates a poison record;
//! partial batch responses resume at the failed record; batch size and window; starting
//! positions with and without committed offsets.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ottla::processor::{
    Batch, BatchResponse, FailedRecord, HandlerError, Processor, ProcessorConfig, ProcessorStats,
};
use ottla_tests::cluster::{number, producer, send_numbers};
use ottla_tests::{bootstrap, create_unique_topic, init_logs, unique_topic};

struct Setup {
    b: String,
    client: ottla::Client,
    topic: String,
    group: String,
}

async fn setup(prefix: &str, partitions: i32) -> Option<Setup> {
    init_logs();
    let b = bootstrap()?;
    let client = ottla_tests::client(&b).await;
    let topic = create_unique_topic(&client, prefix, partitions, &[]).await;
    Some(Setup {
        b,
        client,
        topic,
        group: unique_topic(&format!("{prefix}-group")),
    })
}

fn config(s: &Setup, settings: &[(&str, &str)]) -> ProcessorConfig {
    let mut c = ProcessorConfig::builder();
    c.bootstrap_servers(s.b.as_str())
        .group_id(s.group.as_str())
        .topics([s.topic.as_str()]);
    for (k, v) in [
        ("starting.position", "TRIM_HORIZON"),
        ("fetch.max.wait.ms", "50"),
        ("retry.backoff.ms", "20"),
        ("retry.backoff.max.ms", "100"),
        ("batch.window.ms", "100"),
    ]
    .iter()
    .chain(settings)
    {
        c.set(k, v).unwrap();
    }
    c.build().unwrap()
}

/// Runs `processor` until `done` says so (checked every 50 ms) or 60 s pass.
async fn run_until(
    processor: Processor,
    done: impl Fn(&ProcessorStats) -> bool + Send + 'static,
) -> ProcessorStats {
    let handle = processor.handle();
    let started = Instant::now();
    let stop = async move {
        while !done(&handle.stats()) {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "not done in 60 s: {:?}",
                handle.stats()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    processor.run_until(stop).await.unwrap()
}

/// The group's committed offsets, summed.
async fn committed_total(s: &Setup) -> i64 {
    ottla::group::admin::committed_offsets(&s.client, &s.group)
        .await
        .unwrap()
        .values()
        .flatten()
        .map(|o| o.offset)
        .sum()
}

/// Every third batch fails its first two attempts: every record is processed after
/// success, none twice in a successful call, and the group's commits cover them all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_batches_are_retried_until_they_succeed_and_committed_once() {
    let Some(s) = setup("processor-retry", 3).await else {
        return;
    };
    let p = producer(&s.b).await;
    send_numbers(&p, &s.topic, 3, 0, 3_000).await;
    let succeeded = Arc::new(Mutex::new(Vec::<u32>::new()));
    let batches = Arc::new(Mutex::new(0u32));
    let (ok, n) = (Arc::clone(&succeeded), Arc::clone(&batches));
    let handler = move |batch: Batch| {
        let first = batch.attempt() == 1;
        let fail = {
            let mut n = n.lock().unwrap();
            if first {
                *n += 1;
            }
            *n % 3 == 0 && batch.attempt() <= 2
        };
        if !fail {
            ok.lock()
                .unwrap()
                .extend(batch.records().iter().map(number));
        }
        async move {
            if fail {
                Err(HandlerError::new("Unhandled", "not yet"))
            } else {
                Ok(BatchResponse::success())
            }
        }
    };
    let processor = Processor::new(config(&s, &[("batch.size", "100")]), handler)
        .await
        .unwrap();
    let stats = run_until(processor, |st| st.records_processed >= 3_000).await;
    let seen = succeeded.lock().unwrap().clone();
    println!("{stats:?}; {} batches", batches.lock().unwrap());
    assert_eq!(
        seen.len(),
        3_000,
        "each record in exactly one successful call"
    );
    assert_eq!(seen.iter().collect::<BTreeSet<_>>().len(), 3_000);
    assert!(stats.failed_calls >= 2, "{stats:?}");
    assert_eq!(stats.calls, stats.batches + stats.failed_calls, "{stats:?}");
    assert_eq!(
        committed_total(&s).await,
        3_000,
        "committed to the end of each partition"
    );
    assert_eq!(stats.total_offset_lag(), 0);
    p.close(Duration::from_secs(10)).await.unwrap();
}

/// Partition 1 always fails: with max.retries=1 and a Kafka destination, exactly one
/// failure record per record of partition 1 reaches the destination topic, each naming its
/// record, while partitions 0 and 2 are processed; the offsets move on past the failures.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_partition_goes_to_the_kafka_destination_and_the_others_flow() {
    let Some(s) = setup("processor-dlq", 3).await else {
        return;
    };
    let dlq = create_unique_topic(&s.client, "processor-dlq-failures", 1, &[]).await;
    let p = producer(&s.b).await;
    send_numbers(&p, &s.topic, 3, 0, 600).await;
    let processed = Arc::new(Mutex::new(Vec::<u32>::new()));
    let seen = Arc::clone(&processed);
    let handler = move |batch: Batch| {
        let bad = batch.records().iter().any(|r| r.partition == 1);
        if !bad {
            seen.lock()
                .unwrap()
                .extend(batch.records().iter().map(number));
        }
        async move {
            if bad {
                Err(HandlerError::new("Unhandled", "partition 1 is broken"))
            } else {
                Ok(BatchResponse::success())
            }
        }
    };
    let c = config(
        &s,
        &[
            ("batch.size", "50"),
            ("max.retries", "1"),
            ("bisect.on.error", "false"),
            ("failure.destination", &format!("kafka://{dlq}")),
        ],
    );
    let processor = Processor::new(c, handler).await.unwrap();
    let stats = run_until(processor, |st| st.records_processed >= 600).await;
    println!("{stats:?}");
    // Partitions 0 and 2 (numbers ≡ 0, 2 mod 3) were processed; a batch mixing partition 1
    // with others failed as a whole, so those records went to the destination too.
    let ok: BTreeSet<u32> = processed.lock().unwrap().iter().copied().collect();
    assert!(
        ok.iter().all(|n| n % 3 != 1),
        "no partition-1 record succeeded"
    );
    assert_eq!(stats.records_failed + ok.len() as u64, 600, "{stats:?}");
    assert_eq!(stats.destination_writes, stats.records_failed);
    assert!(ok.len() >= 300, "the other partitions flowed: {}", ok.len());

    let mut consumer = ottla_tests::consumer(&s.b, &[("auto.offset.reset", "earliest")]).await;
    consumer
        .assign(vec![ottla::group::TopicPartition::new(dlq.as_str(), 0)])
        .unwrap();
    let mut failures = Vec::new();
    while (failures.len() as u64) < stats.destination_writes {
        let r = tokio::time::timeout(Duration::from_secs(30), consumer.recv())
            .await
            .expect("failure records")
            .unwrap();
        failures.push(r);
    }
    let mut named = BTreeSet::new();
    for r in &failures {
        let json: serde_json::Value = serde_json::from_slice(r.value.as_deref().unwrap()).unwrap();
        assert_eq!(
            json["requestContext"]["condition"],
            "RetryAttemptsExhausted"
        );
        assert_eq!(json["requestContext"]["approximateInvokeCount"], 2);
        assert_eq!(json["responseContext"]["functionError"], "Unhandled");
        assert_eq!(json["KafkaBatchInfo"]["batchSize"], 1);
        let records = json["payload"]["records"].as_object().unwrap();
        let (key, list) = records.iter().next().unwrap();
        let rec = &list[0];
        assert_eq!(key, &format!("{}-{}", s.topic, rec["partition"]));
        assert_eq!(
            json["KafkaBatchInfo"]["recordInfo"]["offset"],
            rec["offset"].to_string()
        );
        named.insert((
            rec["partition"].as_i64().unwrap(),
            rec["offset"].as_i64().unwrap(),
        ));
    }
    assert_eq!(
        named.len(),
        failures.len(),
        "one failure record per failed record"
    );
    assert!(
        named.iter().filter(|(p, _)| *p == 1).count() == 200,
        "all of partition 1"
    );
    println!(
        "sample failure record: {}",
        String::from_utf8_lossy(failures[0].value.as_deref().unwrap())
    );
    assert_eq!(
        committed_total(&s).await,
        600,
        "offsets moved on past the failures"
    );
    consumer.close().await.unwrap();
    p.close(Duration::from_secs(10)).await.unwrap();
}

/// Bisection on a batch of 100 with one poison record: at most 7 failing calls after the
/// first, the poison alone in the file destination (Lambda's failure record), every other
/// record processed once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bisection_isolates_a_poison_record_into_the_file_destination() {
    let Some(s) = setup("processor-bisect", 1).await else {
        return;
    };
    let p = producer(&s.b).await;
    send_numbers(&p, &s.topic, 1, 0, 100).await;
    let file = std::env::temp_dir().join(format!("{}.jsonl", s.group));
    let calls = Arc::new(Mutex::new(Vec::<(usize, bool)>::new()));
    let processed = Arc::new(Mutex::new(Vec::<u32>::new()));
    let (c2, p2) = (Arc::clone(&calls), Arc::clone(&processed));
    let handler = move |batch: Batch| {
        let bad = batch.records().iter().any(|r| number(r) == 37);
        c2.lock().unwrap().push((batch.records().len(), bad));
        if !bad {
            p2.lock()
                .unwrap()
                .extend(batch.records().iter().map(number));
        }
        async move {
            if bad {
                Err(HandlerError::new("PoisonError", "record 37"))
            } else {
                Ok(BatchResponse::success())
            }
        }
    };
    let c = config(
        &s,
        &[
            ("batch.size", "100"),
            ("batch.window.ms", "2000"),
            ("bisect.on.error", "true"),
            ("max.retries", "0"),
            ("failure.destination", &format!("file://{}", file.display())),
        ],
    );
    let stats = run_until(Processor::new(c, handler).await.unwrap(), |st| {
        st.records_processed >= 100
    })
    .await;
    let calls = calls.lock().unwrap().clone();
    let failing = calls.iter().filter(|(_, bad)| *bad).count();
    println!(
        "bisection: {} calls ({failing} failing): {calls:?}",
        calls.len()
    );
    assert_eq!(calls[0], (100, true), "one batch of 100 first");
    assert!(failing - 1 <= 7, "{failing} failing calls");
    let mut ok = processed.lock().unwrap().clone();
    ok.sort();
    assert_eq!(ok, (0..100).filter(|&n| n != 37).collect::<Vec<_>>());
    let text = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "{text}");
    println!("file destination record: {}", lines[0]);
    let json: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    let info = &json["KafkaBatchInfo"]["recordsInfo"][format!("{}-0", s.topic)];
    assert_eq!(info["firstRecordOffset"], "37");
    assert_eq!(info["lastRecordOffset"], "37");
    assert_eq!(json["responseContext"]["functionError"], "PoisonError");
    assert_eq!(json["KafkaBatchInfo"]["batchSize"], 1);
    assert_eq!(stats.records_failed, 1);
    std::fs::remove_file(&file).ok();
    p.close(Duration::from_secs(10)).await.unwrap();
}

/// Partial batch responses: the handler names record 25 of each batch's partition as
/// failed the first time; the next call starts there, and nothing before it comes again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_batch_responses_resume_at_the_failed_record() {
    let Some(s) = setup("processor-partial", 1).await else {
        return;
    };
    let p = producer(&s.b).await;
    send_numbers(&p, &s.topic, 1, 0, 100).await;
    let starts = Arc::new(Mutex::new(Vec::<(i64, usize)>::new()));
    let st2 = Arc::clone(&starts);
    let handler = move |batch: Batch| {
        let recs = batch.records();
        st2.lock().unwrap().push((recs[0].offset, recs.len()));
        let failed = (batch.attempt() == 1 && recs.len() > 25).then(|| FailedRecord {
            topic: recs[25].topic.to_string(),
            partition: recs[25].partition,
            offset: recs[25].offset,
        });
        async move { Ok(BatchResponse::failed(failed)) }
    };
    let c = config(
        &s,
        &[
            ("batch.size", "100"),
            ("batch.window.ms", "2000"),
            ("report.batch.item.failures", "true"),
        ],
    );
    let stats = run_until(Processor::new(c, handler).await.unwrap(), |st| {
        st.records_processed >= 100
    })
    .await;
    let starts = starts.lock().unwrap().clone();
    println!("calls (first offset, records): {starts:?}; {stats:?}");
    assert_eq!(starts, [(0, 100), (25, 75)]);
    assert_eq!(stats.records_processed, 100);
    assert_eq!(committed_total(&s).await, 100);
    p.close(Duration::from_secs(10)).await.unwrap();
}

/// batch.size and batch.window.ms: 1,000 records written at once come in full batches of
/// 100; records written one every 20 ms come in batches closed by the 300 ms window, each
/// handed over at most one window (plus slack) after its first record was written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_close_when_full_or_when_the_window_ends() {
    let Some(s) = setup("processor-window", 1).await else {
        return;
    };
    let p = producer(&s.b).await;
    send_numbers(&p, &s.topic, 1, 0, 1_000).await;
    let sizes = Arc::new(Mutex::new(Vec::<(usize, i64)>::new()));
    let s2 = Arc::clone(&sizes);
    let handler = move |batch: Batch| {
        let now = ottla_now_ms();
        let oldest = batch
            .records()
            .iter()
            .map(|r| r.timestamp)
            .min()
            .unwrap_or(now);
        s2.lock()
            .unwrap()
            .push((batch.records().len(), now - oldest));
        async { Ok::<_, HandlerError>(BatchResponse::success()) }
    };
    let c = config(
        &s,
        &[
            ("batch.size", "100"),
            ("batch.window.ms", "300"),
            ("max.concurrency", "1"),
        ],
    );
    let processor = Processor::new(c, handler).await.unwrap();
    let handle = processor.handle();
    let run = tokio::spawn(processor.run_until(async move {
        while handle.stats().records_processed < 1_200 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }));
    // Wait for the first 1,000, then trickle 200 more.
    while sizes.lock().unwrap().iter().map(|(n, _)| n).sum::<usize>() < 1_000 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for i in 1_000..1_200 {
        send_numbers(&p, &s.topic, 1, i, i + 1).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let stats = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let sizes = sizes.lock().unwrap().clone();
    let mut total = 0;
    let split = sizes
        .iter()
        .position(|(n, _)| {
            total += n;
            total >= 1_000
        })
        .unwrap();
    let (bulk, trickle) = sizes.split_at(split + 1);
    println!(
        "bulk batches: {:?}",
        bulk.iter().map(|(n, _)| n).collect::<Vec<_>>()
    );
    println!("trickle batches (records, ms since the oldest was written): {trickle:?}");
    println!("{stats:?}");
    assert!(
        bulk.iter().all(|(n, _)| *n == 100),
        "full batches of batch.size"
    );
    assert_eq!(trickle.iter().map(|(n, _)| n).sum::<usize>(), 200);
    assert!(
        trickle.iter().all(|(n, _)| *n < 100),
        "the window closed them"
    );
    // Written every ~20 ms (plus the producer's round trip): a 300 ms window holds several.
    let mean = 200.0 / trickle.len() as f64;
    assert!(mean >= 3.0, "mean trickle batch {mean:.1}");
    // Each handed over within the window plus fetch wait and slack of its oldest record.
    let worst = trickle.iter().map(|(_, age)| *age).max().unwrap();
    assert!(worst < 300 + 500, "worst latency {worst} ms");
    p.close(Duration::from_secs(10)).await.unwrap();
}

fn ottla_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Starting positions apply only where the group has no committed offset: LATEST skips what
/// was written before, TRIM_HORIZON reads it, AT_TIMESTAMP starts at the first record at or
/// after the time; a group with commits resumes there whatever the starting position.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starting_positions_apply_only_without_committed_offsets() {
    let Some(s) = setup("processor-start", 1).await else {
        return;
    };
    let p = producer(&s.b).await;
    send_numbers(&p, &s.topic, 1, 0, 50).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let middle = ottla_now_ms();
    tokio::time::sleep(Duration::from_millis(50)).await;
    send_numbers(&p, &s.topic, 1, 50, 100).await;

    let collect = |into: Arc<Mutex<Vec<u32>>>| {
        move |batch: Batch| {
            into.lock()
                .unwrap()
                .extend(batch.records().iter().map(number));
            async { Ok::<_, HandlerError>(BatchResponse::success()) }
        }
    };
    let run = |settings: Vec<(&'static str, String)>, group: String, until: u64| {
        let s = Setup {
            b: s.b.clone(),
            client: s.client.clone(),
            topic: s.topic.clone(),
            group,
        };
        async move {
            let got = Arc::new(Mutex::new(Vec::new()));
            let settings: Vec<(&str, &str)> =
                settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let c = config(&s, &settings);
            let processor = Processor::new(c, collect(Arc::clone(&got))).await.unwrap();
            run_until(processor, move |st| st.records_processed >= until).await;
            let v = got.lock().unwrap().clone();
            v
        }
    };

    // TRIM_HORIZON: all 100.
    let g1 = unique_topic("processor-start-trim");
    let all = run(
        vec![("starting.position", "TRIM_HORIZON".into())],
        g1.clone(),
        100,
    )
    .await;
    assert_eq!(all, (0..100).collect::<Vec<_>>());
    // AT_TIMESTAMP between the two writes: 50..100.
    let at = run(
        vec![
            ("starting.position", "AT_TIMESTAMP".into()),
            ("starting.position.timestamp.ms", middle.to_string()),
        ],
        unique_topic("processor-start-at"),
        50,
    )
    .await;
    assert_eq!(at, (50..100).collect::<Vec<_>>());
    // LATEST: nothing old; the next records written.
    let g3 = unique_topic("processor-start-latest");
    let latest_group = g3.clone();
    let (b, topic) = (s.b.clone(), s.topic.clone());
    let writer = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(3)).await;
        let p = producer(&b).await;
        send_numbers(&p, &topic, 1, 100, 110).await;
        p.close(Duration::from_secs(10)).await.unwrap();
    });
    let latest = run(
        vec![("starting.position", "LATEST".into())],
        latest_group,
        10,
    )
    .await;
    writer.await.unwrap();
    assert_eq!(latest, (100..110).collect::<Vec<_>>());
    // The TRIM_HORIZON group again, now asking for LATEST: its commit (100) wins, and it reads
    // 100..110 from there.
    let again = run(vec![("starting.position", "LATEST".into())], g1, 10).await;
    assert_eq!(again, (100..110).collect::<Vec<_>>());
    p.close(Duration::from_secs(10)).await.unwrap();
}

/// max.concurrency: 4 partitions, a slow handler, at most 2 batches at once — and 2 reached;
/// no partition is ever in two calls at once, and each partition's records come in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partitions_run_concurrently_up_to_the_limit_and_alone_each() {
    let Some(s) = setup("processor-concurrency", 4).await else {
        return;
    };
    let p = producer(&s.b).await;
    send_numbers(&p, &s.topic, 4, 0, 400).await;
    #[derive(Default)]
    struct Seen {
        running: Vec<i32>,
        calls_in_flight: usize,
        most_calls: usize,
        overlap: bool,
        last: std::collections::BTreeMap<i32, i64>,
        out_of_order: bool,
    }
    let seen = Arc::new(Mutex::new(Seen::default()));
    let s2 = Arc::clone(&seen);
    let handler = move |batch: Batch| {
        let s2 = Arc::clone(&s2);
        async move {
            let parts: BTreeSet<i32> = batch.records().iter().map(|r| r.partition).collect();
            {
                let mut st = s2.lock().unwrap();
                st.overlap |= parts.iter().any(|p| st.running.contains(p));
                st.running.extend(parts.iter().copied());
                st.calls_in_flight += 1;
                st.most_calls = st.most_calls.max(st.calls_in_flight);
                for r in batch.records() {
                    let last = st.last.insert(r.partition, r.offset);
                    st.out_of_order |= last.is_some_and(|l| l >= r.offset);
                }
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
            let mut st = s2.lock().unwrap();
            st.running.retain(|p| !parts.contains(p));
            st.calls_in_flight -= 1;
            Ok::<_, HandlerError>(BatchResponse::success())
        }
    };
    let c = config(
        &s,
        &[
            ("batch.size", "50"),
            ("max.concurrency", "2"),
            ("batch.window.ms", "0"),
        ],
    );
    let stats = run_until(Processor::new(c, handler).await.unwrap(), |st| {
        st.records_processed >= 400
    })
    .await;
    p.close(Duration::from_secs(10)).await.unwrap();
    let st = seen.lock().unwrap();
    println!("most calls at once: {}; {stats:?}", st.most_calls);
    assert!(!st.overlap, "a partition in two calls at once");
    assert!(
        !st.out_of_order,
        "records of a partition out of order or twice"
    );
    assert_eq!(st.most_calls, 2, "up to max.concurrency, and no more");
}

/// A callback destination gets one failure record per given-up batch, with recordsInfo
/// naming each partition's first and last record.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_destination_gets_one_failure_record_per_batch() {
    let Some(s) = setup("processor-callback", 1).await else {
        return;
    };
    let p = producer(&s.b).await;
    send_numbers(&p, &s.topic, 1, 0, 30).await;
    let got = Arc::new(Mutex::new(Vec::<ottla::processor::FailureRecord>::new()));
    let g2 = Arc::clone(&got);
    let callback: ottla::processor::FailureCallback = Arc::new(move |f| {
        g2.lock().unwrap().push(f);
        Box::pin(async { Ok(()) })
    });
    let mut b = ProcessorConfig::builder();
    b.bootstrap_servers(s.b.as_str())
        .group_id(s.group.as_str())
        .topics([s.topic.as_str()]);
    for (k, v) in [
        ("starting.position", "TRIM_HORIZON"),
        ("batch.size", "10"),
        ("batch.window.ms", "0"),
        ("max.retries", "0"),
        ("fetch.max.wait.ms", "50"),
    ] {
        b.set(k, v).unwrap();
    }
    b.destination(ottla::processor::Destination::Callback(callback));
    let handler =
        |_b: Batch| async { Err::<BatchResponse, _>(HandlerError::new("Handled", "always")) };
    let stats = run_until(
        Processor::new(b.build().unwrap(), handler).await.unwrap(),
        |st| st.records_processed >= 30,
    )
    .await;
    p.close(Duration::from_secs(10)).await.unwrap();
    let got = got.lock().unwrap();
    println!("{} failure records; {stats:?}", got.len());
    println!(
        "callback failure record: {}",
        serde_json::to_string(&got[0]).unwrap()
    );
    assert_eq!(got.len() as u64, stats.batches);
    assert_eq!(stats.records_failed, 30);
    let mut covered = 0;
    for f in got.iter() {
        assert_eq!(f.request_context.condition, "RetryAttemptsExhausted");
        assert_eq!(
            f.response_context.as_ref().unwrap().function_error,
            "Handled"
        );
        let info = f.kafka_batch_info.records_info.as_ref().unwrap();
        let part = &info[&format!("{}-0", s.topic)];
        let (first, last): (i64, i64) = (
            part.first_record_offset.parse().unwrap(),
            part.last_record_offset.parse().unwrap(),
        );
        assert_eq!(f.kafka_batch_info.batch_size as i64, last - first + 1);
        covered += f.kafka_batch_info.batch_size;
    }
    assert_eq!(covered, 30);
}

/// A second processor joins the group while records flow, then leaves: every record is
/// processed, and none twice — a revoked partition's batch finishes and is committed
/// before the partition moves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_join_and_leave_without_losing_or_repeating_records() {
    let Some(s) = setup("processor-rebalance", 4).await else {
        return;
    };
    let seen = Arc::new(Mutex::new(Vec::<u32>::new()));
    let handler = |seen: Arc<Mutex<Vec<u32>>>| {
        move |batch: Batch| {
            let seen = Arc::clone(&seen);
            async move {
                tokio::time::sleep(Duration::from_millis(30)).await;
                seen.lock()
                    .unwrap()
                    .extend(batch.records().iter().map(number));
                Ok::<_, HandlerError>(BatchResponse::success())
            }
        }
    };
    let settings = [
        ("batch.size", "20"),
        ("batch.window.ms", "50"),
        ("max.concurrency", "4"),
    ];
    let first = Processor::new(config(&s, &settings), handler(Arc::clone(&seen)))
        .await
        .unwrap();
    let done = Arc::new(tokio::sync::Notify::new());
    let d1 = Arc::clone(&done);
    let first = tokio::spawn(first.run_until(async move { d1.notified().await }));
    let b = s.b.clone();
    let topic = s.topic.clone();
    let writer = tokio::spawn(async move {
        let p = producer(&b).await;
        for chunk in 0..40 {
            send_numbers(&p, &topic, 4, chunk * 50, chunk * 50 + 50).await;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        p.close(Duration::from_secs(10)).await.unwrap();
    });
    tokio::time::sleep(Duration::from_millis(600)).await;
    let second = Processor::new(config(&s, &settings), handler(Arc::clone(&seen)))
        .await
        .unwrap();
    let handle = second.handle();
    // The second leaves once it has processed 300 records.
    let second = tokio::spawn(second.run_until(async move {
        while handle.stats().records_processed < 300 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }));
    writer.await.unwrap();
    let second_stats = second.await.unwrap().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while seen.lock().unwrap().iter().collect::<BTreeSet<_>>().len() < 2_000 {
        assert!(
            Instant::now() < deadline,
            "only {} distinct records",
            seen.lock().unwrap().len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    done.notify_one();
    let first_stats = first.await.unwrap().unwrap();
    assert_eq!(committed_total(&s).await, 2_000);
    let seen = seen.lock().unwrap();
    let distinct = seen.iter().collect::<BTreeSet<_>>().len();
    let repeated = seen.len() - distinct;
    println!(
        "first processed {}, second {}; {} records handed to successful calls, {repeated} of them twice",
        first_stats.records_processed,
        second_stats.records_processed,
        seen.len()
    );
    assert!(
        second_stats.records_processed > 0,
        "the second member took partitions"
    );
    assert_eq!(distinct, 2_000);
    assert_eq!(repeated, 0, "no record processed twice");
}

/// A function written for `lambda_runtime` runs as it is: it gets `LambdaEvent<KafkaEvent>`
/// (aws_lambda_events' type) with a context, and its `batchItemFailures` answer (a
/// serde_json value, as such functions return) resumes at the failed record.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lambda_runtime_function_runs_as_it_is() {
    use aws_lambda_events::event::kafka::KafkaEvent;
    use lambda_runtime::{Error, LambdaEvent};

    let Some(s) = setup("processor-lambda", 1).await else {
        return;
    };
    let p = producer(&s.b).await;
    send_numbers(&p, &s.topic, 1, 0, 40).await;
    p.close(Duration::from_secs(10)).await.unwrap();
    let calls = Arc::new(Mutex::new(Vec::<(i64, usize, String)>::new()));
    let c2 = Arc::clone(&calls);
    let function = move |event: LambdaEvent<KafkaEvent>| {
        let c2 = Arc::clone(&c2);
        async move {
            let (key, records) = event.payload.records.iter().next().unwrap();
            let first = records[0].offset;
            c2.lock().unwrap().push((
                first,
                records.len(),
                event.context.invoked_function_arn.clone(),
            ));
            assert_eq!(
                event.payload.event_source.as_deref(),
                Some("SelfManagedKafka")
            );
            assert!(!event.context.request_id.is_empty());
            let answer = if first == 0 {
                serde_json::json!({"batchItemFailures": [{"itemIdentifier": {"partition": key, "offset": 15}}]})
            } else {
                serde_json::json!({})
            };
            Ok::<_, Error>(answer)
        }
    };
    let c = config(
        &s,
        &[
            ("batch.size", "100"),
            ("batch.window.ms", "1000"),
            ("report.batch.item.failures", "true"),
        ],
    );
    let processor = Processor::new(
        c,
        ottla::processor::lambda_handler(function, "arn:aws:lambda:local:0:function:f"),
    )
    .await
    .unwrap();
    let stats = run_until(processor, |st| st.records_processed >= 40).await;
    let calls = calls.lock().unwrap().clone();
    println!("{calls:?}; {stats:?}");
    let arn = "arn:aws:lambda:local:0:function:f".to_owned();
    assert_eq!(calls, [(0, 40, arn.clone()), (15, 25, arn)]);
}
