//! `ottla produce` on the producer: keys (-K), headers (-H), a fixed partition (-p), input
//! from a file (-l), delivery reports (-v), and failures that must exit non-zero. Exact
//! checks run against `ottla-mock` (its stored batches are read back); a round trip runs
//! against the real broker (`OTTLA_BOOTSTRAP`).

mod support;

use std::process::Output;

use ottla_mock::{ApiKey, ErrorTarget, Fault, MockCluster};
use ottla_protocol::records::{decode_batches, ConsumedRecord, DecodeLimits};
use ottla_tests::{bootstrap, unique_topic};
use support::{mock, ottla, run, stderr};

fn ok(out: &Output) -> String {
    assert!(out.status.success(), "ottla failed: {}", stderr(out));
    stderr(out)
}

/// Every record stored in a mock partition, in offset order.
fn stored(cluster: &MockCluster, topic: &str, partition: i32) -> Vec<ConsumedRecord> {
    cluster
        .batches(topic, partition)
        .unwrap()
        .into_iter()
        .flat_map(|b| {
            decode_batches(b, &DecodeLimits::default())
                .unwrap()
                .batches
                .into_iter()
                .flat_map(|b| b.records)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_headers_and_a_fixed_partition() {
    let cluster = mock(3).await;
    let b = cluster.bootstrap();
    let input = "k1::v1\nno key here\nk2::v::2\r\n\n";
    let args = [
        "-b",
        &b,
        "produce",
        "-t",
        "t",
        "-K",
        "::",
        "-H",
        "source=cli",
        "-H",
        "flag",
        "-H",
        "source=again",
        "-p",
        "1",
    ];
    let err = ok(&run(&args, input).await);
    assert!(err.contains("produced 4 record(s) to t"), "{err}");
    assert!(stored(&cluster, "t", 0).is_empty());
    assert!(stored(&cluster, "t", 2).is_empty());
    let records = stored(&cluster, "t", 1);
    type KeyValue<'a> = (Option<&'a [u8]>, Option<&'a [u8]>);
    let got: Vec<KeyValue> = records
        .iter()
        .map(|r| (r.key.as_deref(), r.value.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            (Some(&b"k1"[..]), Some(&b"v1"[..])),
            (None, Some(&b"no key here"[..])),
            (Some(&b"k2"[..]), Some(&b"v::2"[..])),
            (None, Some(&b""[..])),
        ]
    );
    for r in &records {
        let headers: Vec<(&str, Option<&[u8]>)> = r
            .headers
            .iter()
            .map(|h| (h.key.as_str(), h.value.as_deref()))
            .collect();
        assert_eq!(
            headers,
            [
                ("source", Some(&b"cli"[..])),
                ("flag", None),
                ("source", Some(&b"again"[..]))
            ]
        );
    }
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_input_with_one_report_per_record() {
    let cluster = mock(1).await;
    let b = cluster.bootstrap();
    let dir = std::env::temp_dir().join(unique_topic("ottla-produce-file"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("records.txt");
    let lines: Vec<String> = (0..25).map(|i| format!("line {i}")).collect();
    std::fs::write(&file, lines.join("\n")).unwrap(); // no newline after the last
    let f = file.to_str().unwrap();
    // Small batches: reports must still come one per record, in order.
    let out = run(
        &[
            "-b",
            &b,
            "-X",
            "batch.num.messages=4",
            "produce",
            "-t",
            "t",
            "-l",
            f,
            "-v",
        ],
        "stdin is not read\n",
    )
    .await;
    let err = ok(&out);
    assert!(out.stdout.is_empty(), "reports go to stderr");
    let reports: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("delivered "))
        .collect();
    assert_eq!(reports.len(), 25, "{err}");
    for (i, r) in reports.iter().enumerate() {
        let (place, ts) = r
            .strip_prefix("delivered ")
            .unwrap()
            .split_once(" timestamp=")
            .unwrap();
        assert_eq!(place, format!("t-0@{i}"));
        assert!(ts.parse::<i64>().unwrap() > 1_500_000_000_000, "{r}");
    }
    let values: Vec<String> = stored(&cluster, "t", 0)
        .iter()
        .map(|r| String::from_utf8(r.value.clone().unwrap().to_vec()).unwrap())
        .collect();
    assert_eq!(values, lines);
    assert!(cluster.batches("t", 0).unwrap().len() >= 7);
    std::fs::remove_dir_all(&dir).unwrap();

    let out = run(&["-b", &b, "produce", "-t", "t", "-l", "/no/such/file"], "").await;
    assert!(!out.status.success());
    assert!(stderr(&out).contains("/no/such/file"), "{}", stderr(&out));
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_deliveries_exit_non_zero() {
    let cluster = mock(2).await;
    let b = cluster.bootstrap();
    // Every Produce answered TOPIC_AUTHORIZATION_FAILED (29): not retriable.
    cluster.inject(
        Fault::new(ApiKey::Produce)
            .always()
            .error(ErrorTarget::AllEntries, 29),
    );
    let out = run(&["-b", &b, "produce", "-t", "t", "-p", "0"], "a\nb\nc\n").await;
    assert!(!out.status.success());
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("ottla: error: 3 of 3 record(s) not delivered"),
        "{err}"
    );
    assert!(err.contains("TOPIC_AUTHORIZATION_FAILED"), "{err}");
    // With -v each failure is reported too.
    let out = run(&["-b", &b, "produce", "-t", "t", "-p", "1", "-v"], "a\nb\n").await;
    assert!(!out.status.success());
    let err = stderr(&out);
    assert_eq!(
        err.lines()
            .filter(|l| l.starts_with("failed t-1: "))
            .count(),
        2,
        "{err}"
    );
    cluster.clear_faults();

    // A partition the topic does not have.
    let out = run(&["-b", &b, "produce", "-t", "t", "-p", "7"], "a\n").await;
    assert!(!out.status.success());
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("t-7"), "{err}");
    // A bad header argument.
    let out = run(&["-b", &b, "produce", "-t", "t", "-H", "=x"], "a\n").await;
    assert!(!out.status.success());
    assert!(stderr(&out).contains("-H"), "{}", stderr(&out));
    cluster.shutdown().await;
}

#[test]
fn round_trip_on_the_broker_with_keys_partition_file_and_reports() {
    let Some(b) = bootstrap() else { return };
    let topic = unique_topic("cli-produce");
    let created = ottla(
        &["-b", &b, "topics", "create", &topic, "--partitions", "3"],
        b"",
    );
    ok(&created);
    let dir = std::env::temp_dir().join(&topic);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("in.txt");
    let lines: Vec<String> = (0..40).map(|i| format!("key{}|value {i}", i % 4)).collect();
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let out = ottla(
        &[
            "-b",
            &b,
            "-X",
            "compression.type=lz4",
            "produce",
            "-t",
            &topic,
            "-K",
            "|",
            "-H",
            "h=1",
            "-p",
            "2",
            "-l",
            file.to_str().unwrap(),
            "-v",
        ],
        b"",
    );
    let err = ok(&out);
    let reports: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("delivered "))
        .collect();
    assert_eq!(reports.len(), 40, "{err}");
    assert!(reports
        .iter()
        .all(|r| r.starts_with(&format!("delivered {topic}-2@"))));
    let consumed = ottla(
        &[
            "-b", &b, "consume", "-t", &topic, "-p", "2", "-e", "-K", "|",
        ],
        b"",
    );
    let text = String::from_utf8(consumed.stdout.clone()).unwrap();
    ok(&consumed);
    assert_eq!(text.lines().collect::<Vec<_>>(), lines);
    let empty = ottla(&["-b", &b, "consume", "-t", &topic, "-p", "0", "-e"], b"");
    assert_eq!(String::from_utf8(empty.stdout).unwrap(), "");
    ok(&ottla(&["-b", &b, "topics", "delete", &topic], b""));
    std::fs::remove_dir_all(&dir).unwrap();
}
