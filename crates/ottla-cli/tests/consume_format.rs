//! `ottla consume -J`, `-f` and `-o s@TIMESTAMP` against kcat (`OTTLA_KCAT`) on the real
//! broker (`OTTLA_BOOTSTRAP`): for the same records — headers (one null), null keys and
//! values, quotes, control characters, non-ASCII text, chosen timestamps — ottla prints
//! what kcat prints, byte for byte, alone and as a group member.

mod support;

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use ottla::producer::{Producer, ProducerConfig, ProducerRecord};
use ottla_tests::{bootstrap, client, create_unique_topic, unique_topic};
use support::{ottla, stderr};

/// Timestamp of record `i`: 1,000 ms apart from 2023-11-14.
const T0: i64 = 1_700_000_000_000;

fn record(topic: &Arc<str>, i: i64) -> ProducerRecord {
    let value = match i % 4 {
        0 => format!("plain {i}"),
        1 => format!("q\"uo\\te\u{1} {i}"),
        2 => format!("ünïcødé ✓ {i}"),
        _ => format!("{{\"json\":{i}}}"),
    };
    let mut r = ProducerRecord::new(Arc::clone(topic), value)
        .with_partition((i % 2) as i32)
        .with_timestamp(T0 + i * 1_000);
    if i % 3 != 0 {
        r = r.with_key(format!("key-{i}"));
    }
    if i % 2 == 0 {
        r = r
            .with_header("trace", format!("t{i}"))
            .with_header("empty", "");
    }
    r
}

/// 20 records over two partitions, and one with a null value.
async fn produce(b: &str, topic: &str) {
    let mut config = ProducerConfig::builder();
    config.bootstrap_servers(b);
    let producer = Producer::new(config.build().unwrap()).await.unwrap();
    let topic: Arc<str> = Arc::from(topic);
    let mut deliveries = Vec::new();
    for i in 0..20 {
        deliveries.push(producer.send(record(&topic, i)).await.unwrap());
    }
    let mut tombstone = ProducerRecord::new(Arc::clone(&topic), bytes::Bytes::new())
        .with_partition(1)
        .with_key("gone")
        .with_timestamp(T0 + 20_000);
    tombstone.value = None;
    deliveries.push(producer.send(tombstone).await.unwrap());
    for d in deliveries {
        d.await.unwrap();
    }
    producer.close(Duration::from_secs(10)).await.unwrap();
}

fn kcat_out(kcat: &std::path::Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new(kcat)
        .args(["-C", "-q"])
        .args(args)
        .output()
        .expect("run kcat");
    assert!(
        out.status.success(),
        "kcat {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn ottla_out(args: &[&str]) -> Vec<u8> {
    let out = ottla(args, b"");
    assert!(out.status.success(), "ottla {args:?}: {}", stderr(&out));
    out.stdout
}

fn sorted_lines(bytes: &[u8]) -> Vec<String> {
    let mut lines: Vec<String> = String::from_utf8_lossy(bytes)
        .lines()
        .map(str::to_owned)
        .collect();
    lines.sort();
    lines
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_format_strings_and_timestamps_print_as_kcat_prints_them() {
    let (Some(b), Some(kcat)) = (bootstrap(), ottla_tests::kcat()) else {
        return;
    };
    let c = client(&b).await;
    let topic = create_unique_topic(&c, "cli-format", 2, &[]).await;
    produce(&b, &topic).await;

    let template = r"%t|%p|%o|%T|%k|%K|%s|%S|%h|%R\x21\n";
    for p in ["0", "1"] {
        let base = ["-b", &b, "-t", &topic, "-p", p, "-e"];
        for format in [vec!["-J"], vec!["-f", template]] {
            for start in ["beginning", "s@1700000005000", "s@1700000099000"] {
                let mut args: Vec<&str> = base.to_vec();
                args.extend(["-o", start]);
                args.extend(format.iter().copied());
                let want = kcat_out(&kcat, &args);
                let mut ours = vec!["-b", &b, "consume"];
                ours.extend(args[2..].iter().copied());
                let got = ottla_out(&ours);
                assert_eq!(
                    String::from_utf8_lossy(&got),
                    String::from_utf8_lossy(&want),
                    "partition {p}, -o {start}, {format:?}"
                );
                let lines = got.iter().filter(|&&b| b == b'\n').count();
                let want_lines = match (p, start) {
                    ("0", "beginning") => 10,
                    ("1", "beginning") => 11,
                    // Records 5.. (timestamps T0 + 5 s on) of each partition, the null one too.
                    ("0", "s@1700000005000") => 7,
                    ("1", "s@1700000005000") => 9,
                    _ => 0,
                };
                if format[0] == "-J" {
                    assert_eq!(lines, want_lines, "partition {p}, -o {start}");
                }
            }
        }
    }

    // As a group member: the same envelopes (order across partitions aside).
    let group = unique_topic("cli-format-group");
    let got = ottla_out(&[
        "-b", &b, "consume", "-t", &topic, "-G", &group, "-c", "21", "-J",
    ]);
    let want = kcat_out(&kcat, &["-b", &b, "-t", &topic, "-e", "-J"]);
    assert_eq!(sorted_lines(&got), sorted_lines(&want));
}
