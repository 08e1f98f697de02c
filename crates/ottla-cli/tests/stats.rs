//! `--stats` against Kafka (`OTTLA_BOOTSTRAP`): `consume` prints its brokers' counters as
//! JSON, `consume -G` its consumer stats (rebalances, lag per partition) as a Prometheus page.

mod support;

use std::time::Duration;

use ottla_tests::cluster::{producer, send_numbers};
use ottla_tests::{bootstrap, client, create_unique_topic, unique_topic};
use support::{run, stderr};

/// The sum of the samples of `metric` (any labels) on a Prometheus page.
fn metric(page: &str, name: &str) -> f64 {
    page.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| l.split(['{', ' ']).next() == Some(name))
        .map(|l| l.rsplit_once(' ').unwrap().1.parse::<f64>().unwrap())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consume_prints_its_stats_as_json_or_prometheus() {
    let Some(b) = bootstrap() else { return };
    let c = client(&b).await;
    let topic = create_unique_topic(&c, "cli-stats", 2, &[]).await;
    let p = producer(&b).await;
    send_numbers(&p, &topic, 2, 0, 500).await;
    p.close(Duration::from_secs(10)).await.unwrap();

    // Without a group: the brokers' counters, as JSON.
    let out = run(&["-b", &b, "consume", "-t", &topic, "-e", "--stats"], "").await;
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 500);
    let stats: serde_json::Value = err
        .lines()
        .find_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .unwrap_or_else(|| panic!("no JSON stats: {err}"));
    let brokers = stats["brokers"].as_array().unwrap();
    let sum = |k: &str| brokers.iter().map(|b| b[k].as_u64().unwrap()).sum::<u64>();
    assert!(sum("requests") >= 3, "{stats}"); // metadata, list offsets, fetches
    assert_eq!(sum("requests"), sum("responses"), "{stats}");
    assert!(sum("bytes_received") > 500, "{stats}");
    assert!(sum("rtt_us_total") > 0 && sum("connects") >= 1, "{stats}");

    // As a group member: a Prometheus page with the rebalance and no lag left.
    let group = unique_topic("cli-stats-group");
    let out = run(
        &[
            "-b",
            &b,
            "consume",
            "-t",
            &topic,
            "-G",
            &group,
            "-c",
            "500",
            "--stats",
            "prometheus",
        ],
        "",
    )
    .await;
    let page = stderr(&out);
    assert!(out.status.success(), "{page}");
    assert!(
        page.contains("# TYPE ottla_consumer_rebalances_total counter"),
        "{page}"
    );
    assert_eq!(
        metric(&page, "ottla_consumer_rebalances_total"),
        1.0,
        "{page}"
    );
    assert!(
        metric(&page, "ottla_consumer_records_fetched_total") >= 500.0,
        "{page}"
    );
    assert_eq!(metric(&page, "ottla_consumer_position"), 500.0, "{page}");
    assert!(
        metric(&page, "ottla_broker_received_bytes_total") > 500.0,
        "{page}"
    );
    println!("{page}");
}
