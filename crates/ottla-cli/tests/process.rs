//! `ottla process` and `ottla consume -f lambda` against Kafka (`OTTLA_BOOTSTRAP`): a shell
//! handler (`--exec`) that fails each batch's first call still sees every record once in a
//! successful call; an HTTP double of the Lambda runtime's invoke API (`--invoke-url`)
//! answering an error as the emulator does, then a partial batch response, then success;
//! `consume -f lambda` prints batches of up to 100 as Lambda's event.

mod support;

use std::collections::BTreeSet;
use std::io::{BufRead as _, Read as _, Write as _};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use ottla_tests::cluster::{producer, send_numbers};
use ottla_tests::{bootstrap, client, create_unique_topic, unique_topic};
use support::{ottla, stderr};

/// Runs `ottla -b B process -G GROUP -t TOPIC --starting-position TRIM_HORIZON` with
/// `more` arguments, off the async runtime.
async fn process(b: &str, group: &str, topic: &str, more: &[&str]) -> std::process::Output {
    let mut args: Vec<String> = [
        "-b",
        b,
        "process",
        "-G",
        group,
        "-t",
        topic,
        "--starting-position",
        "TRIM_HORIZON",
    ]
    .iter()
    .chain(more)
    .map(|s| s.to_string())
    .collect();
    args.extend(["-X", "retry.backoff.ms=10"].map(String::from));
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        ottla(&args, b"")
    })
    .await
    .unwrap()
}

/// The values (decimal numbers) of every record of an event, with their offsets.
fn records_of(event: &serde_json::Value) -> Vec<(i64, u32)> {
    let mut out = Vec::new();
    for list in event["records"].as_object().unwrap().values() {
        for r in list.as_array().unwrap() {
            let value = base64::engine::general_purpose::STANDARD
                .decode(r["value"].as_str().unwrap())
                .unwrap();
            let n = String::from_utf8(value).unwrap().parse().unwrap();
            out.push((r["offset"].as_i64().unwrap(), n));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_runs_a_shell_handler_per_batch_and_retries_its_failures() {
    let Some(b) = bootstrap() else {
        return;
    };
    let c = client(&b).await;
    let topic = create_unique_topic(&c, "cli-process-exec", 2, &[]).await;
    let p = producer(&b).await;
    send_numbers(&p, &topic, 2, 0, 300).await;
    p.close(Duration::from_secs(10)).await.unwrap();
    let dir = std::env::temp_dir().join(unique_topic("cli-process"));
    std::fs::create_dir_all(&dir).unwrap();
    // Odd calls fail (exit 3, a reason on stderr); even calls append the event to ok.jsonl.
    let handler = format!(
        r#"n=$(cat {d}/count 2>/dev/null || echo 0); n=$((n+1)); echo $n > {d}/count
if [ $((n % 2)) -eq 1 ]; then cat > /dev/null; echo "call $n fails on purpose" >&2; exit 3; fi
cat >> {d}/ok.jsonl; echo >> {d}/ok.jsonl"#,
        d = dir.display()
    );
    let group = unique_topic("cli-process-exec-group");
    let out = process(
        &b,
        &group,
        &topic,
        &[
            "--exec",
            &handler,
            "-c",
            "300",
            "-X",
            "batch.size=100",
            "-X",
            "batch.window.ms=200",
            "-X",
            "max.concurrency=1",
            "--stats",
        ],
    )
    .await;
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    println!("{err}");
    assert!(err.contains("processed 300 record(s)"), "{err}");
    // --stats: the processor's counters as one JSON object on stderr.
    let stats: serde_json::Value = err
        .lines()
        .find_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .and_then(|v| v.get("processor").cloned())
        .unwrap_or_else(|| panic!("no stats line: {err}"));
    let text = std::fs::read_to_string(dir.join("ok.jsonl")).unwrap();
    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let event: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(event["eventSource"], "SelfManagedKafka");
        let records = records_of(&event);
        sizes.push(records.len());
        seen.extend(records.into_iter().map(|(_, n)| n));
    }
    println!("successful calls' batch sizes: {sizes:?}");
    assert_eq!(seen.len(), 300, "each record in one successful call");
    assert_eq!(seen.iter().collect::<BTreeSet<_>>().len(), 300);
    let calls: usize = std::fs::read_to_string(dir.join("count"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(
        calls,
        2 * sizes.len(),
        "each batch failed once, then succeeded"
    );
    assert_eq!(stats["retries"], sizes.len(), "{stats}");
    assert_eq!(stats["calls"], calls, "{stats}");
    assert_eq!(stats["records_failed"], 0, "{stats}");
    let lags = stats["offset_lag"].as_object().unwrap();
    assert!(lags.values().all(|l| l == 0), "{stats}");
    // The group committed all of it: a second run has nothing to do.
    let groups = ottla(&["-b", &b, "groups", "lag", &group], b"");
    let lag = String::from_utf8_lossy(&groups.stdout).into_owned();
    println!("{lag}");
    let rows: Vec<Vec<&str>> = lag
        .lines()
        .filter(|l| l.starts_with(topic.as_str()))
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows.len(), 2, "{lag}");
    assert!(rows.iter().all(|r| r[2] == "150" && r[4] == "0"), "{lag}");
    std::fs::remove_dir_all(&dir).ok();
}

/// One call as the HTTP double saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Call {
    path: String,
    first_offset: i64,
    records: usize,
}

/// A Lambda runtime invoke API double on 127.0.0.1: answers each POST with the next of
/// `answers` (the last one repeats), recording the calls.
fn invoke_double(answers: Vec<String>) -> (String, Arc<Mutex<Vec<Call>>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let calls = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&calls);
    std::thread::spawn(move || {
        for (i, stream) in listener.incoming().enumerate() {
            let Ok(mut stream) = stream else { return };
            let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            let mut length = 0;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if line.trim().is_empty() {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let event: serde_json::Value = serde_json::from_slice(&body).unwrap();
            let records = records_of(&event);
            seen.lock().unwrap().push(Call {
                path: request_line.split(' ').nth(1).unwrap_or("").to_owned(),
                first_offset: records[0].0,
                records: records.len(),
            });
            let answer = answers.get(i).or(answers.last()).unwrap();
            write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                answer.len()
            )
            .unwrap();
        }
    });
    (
        format!("http://{addr}/2015-03-31/functions/function/invocations"),
        calls,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoke_url_posts_events_and_reads_errors_and_partial_responses() {
    let Some(b) = bootstrap() else {
        return;
    };
    let c = client(&b).await;
    let topic = create_unique_topic(&c, "cli-process-invoke", 1, &[]).await;
    let p = producer(&b).await;
    send_numbers(&p, &topic, 1, 0, 50).await;
    p.close(Duration::from_secs(10)).await.unwrap();
    let (url, calls) = invoke_double(vec![
        // The runtime interface emulator's function error: 200, no header, this body.
        r#"{"errorType":"Error","errorMessage":"boom"}"#.to_owned(),
        format!(
            r#"{{"batchItemFailures":[{{"itemIdentifier":{{"partition":"{topic}-0","offset":10}}}}]}}"#
        ),
        "null".to_owned(),
    ]);
    let group = unique_topic("cli-process-invoke-group");
    let out = process(
        &b,
        &group,
        &topic,
        &[
            "--invoke-url",
            &url,
            "-c",
            "50",
            "-X",
            "batch.window.ms=1000",
        ],
    )
    .await;
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    println!("{err}");
    let calls = calls.lock().unwrap().clone();
    println!("{calls:?}");
    let path = "/2015-03-31/functions/function/invocations";
    assert_eq!(
        calls,
        [
            Call {
                path: path.into(),
                first_offset: 0,
                records: 50
            },
            Call {
                path: path.into(),
                first_offset: 0,
                records: 50
            },
            Call {
                path: path.into(),
                first_offset: 10,
                records: 40
            },
        ]
    );
    assert!(
        err.contains("processed 50 record(s) in 1 batch(es): 3 call(s), 2 failed"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consume_prints_lambda_events() {
    let Some(b) = bootstrap() else {
        return;
    };
    let c = client(&b).await;
    let topic = create_unique_topic(&c, "cli-lambda-format", 1, &[]).await;
    let p = producer(&b).await;
    send_numbers(&p, &topic, 1, 0, 150).await;
    p.close(Duration::from_secs(10)).await.unwrap();
    let out = ottla(
        &[
            "-b",
            &b,
            "consume",
            "-t",
            &topic,
            "-e",
            "-f",
            "lambda",
            "-X",
            "event.source.arn=arn:aws:kafka:us-east-1:123456789012:cluster/demo/1",
        ],
        b"",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    let events: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let sizes: Vec<usize> = events.iter().map(|e| records_of(e).len()).collect();
    assert_eq!(sizes.iter().sum::<usize>(), 150);
    assert!(sizes.iter().all(|&n| n <= 100), "{sizes:?}");
    let first = &events[0];
    assert_eq!(first["eventSource"], "aws:kafka");
    assert_eq!(
        first["eventSourceArn"],
        "arn:aws:kafka:us-east-1:123456789012:cluster/demo/1"
    );
    assert_eq!(first["bootstrapServers"], b.as_str());
    let r = &first["records"][format!("{topic}-0")][0];
    assert_eq!(r["topic"], topic.as_str());
    assert_eq!(r["partition"], 0);
    assert_eq!(r["offset"], 0);
    assert_eq!(r["timestampType"], "CREATE_TIME");
    assert_eq!(r["value"], "MA==");
    assert!(r.get("key").is_none(), "a null key is left out");
    assert_eq!(r["headers"], serde_json::json!([]));
    let mut one = first.clone();
    let list = one["records"][format!("{topic}-0")].as_array_mut().unwrap();
    list.truncate(1);
    println!("sample event: {one}");
    let all: Vec<u32> = events.iter().flat_map(records_of).map(|(_, n)| n).collect();
    assert_eq!(all, (0..150).collect::<Vec<_>>());
}
