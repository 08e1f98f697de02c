//! `ottla consume -o end` and `-o -N` against `ottla-mock`, which answers ListOffsets as Kafka
//! does, with offsets a test fully controls. (They were moved here when the suite's broker was
//! tansu, whose memory storage answered ListOffsets LATEST wrongly.)

use std::io::Write;
use std::process::{Command, Output, Stdio};

use ottla_mock::MockCluster;

fn ottla(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ottla"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run ottla");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "ottla {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs ottla off the async runtime (the mock cluster lives on it).
async fn run(args: &[&str], stdin: &str) -> String {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let stdin = stdin.to_owned();
    let out = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        ottla(&args, stdin.as_bytes())
    })
    .await
    .unwrap();
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consume_from_end_and_from_end_minus_n() {
    let cluster = MockCluster::builder()
        .brokers(1)
        .topic("t", 1)
        .start()
        .await
        .unwrap();
    let b = cluster.bootstrap();
    let input: String = (0..20).map(|i| format!("m{i}\n")).collect();
    // Several batches, so a per-batch high watermark would be wrong.
    run(
        &[
            "-b",
            &b,
            "-X",
            "batch.num.messages=3",
            "produce",
            "-t",
            "t",
            "-p",
            "0",
        ],
        &input,
    )
    .await;
    assert_eq!(cluster.high_watermark("t", 0).unwrap(), 20);
    assert!(cluster.batches("t", 0).unwrap().len() >= 7);
    assert_eq!(
        run(&["-b", &b, "consume", "-t", "t", "-o", "end", "-e"], "").await,
        ""
    );
    assert_eq!(
        run(&["-b", &b, "consume", "-t", "t", "-o", "-4", "-e"], "").await,
        "m16\nm17\nm18\nm19\n"
    );
    assert_eq!(
        run(
            &["-b", &b, "consume", "-t", "t", "-o", "beginning", "-c", "2"],
            ""
        )
        .await,
        "m0\nm1\n"
    );
}
