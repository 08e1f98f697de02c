//! What the mock-based command-line tests of settings share: running `ottla`, a mock with
//! topic `t`, and reading `t` back with `ottla consume`.
// Each test file uses some of these.
#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

use ottla_mock::MockCluster;

/// Runs `ottla` with `args`, `stdin` on its standard input.
pub fn ottla(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ottla"))
        .args(args)
        .env_remove("OTTLA_BROKERS")
        .env_remove("OTTLA_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run ottla");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

/// Runs ottla off the async runtime (the mock cluster lives on it).
pub async fn run(args: &[&str], stdin: &str) -> Output {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let stdin = stdin.to_owned();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        ottla(&args, stdin.as_bytes())
    })
    .await
    .unwrap()
}

/// Its standard error.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Its standard output; it must have succeeded.
pub fn stdout_ok(out: &Output) -> String {
    assert!(out.status.success(), "ottla failed: {}", stderr(out));
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// Exit status 1 and one line on stderr containing `needle`.
pub fn fails_with(out: &Output, needle: &str) -> String {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.contains(needle), "{needle:?} not in: {err}");
    err
}

/// A one-broker mock with topic `t` of `partitions` partitions.
pub async fn mock(partitions: i32) -> MockCluster {
    MockCluster::builder()
        .brokers(1)
        .topic("t", partitions)
        .start()
        .await
        .unwrap()
}

/// `n` lines `<prefix><i>`.
pub fn lines(n: usize, prefix: &str) -> String {
    (0..n).map(|i| format!("{prefix}{i}\n")).collect()
}

/// `ottla -b B consume -t t -e` with `extra` arguments: the lines printed.
pub async fn consume(b: &str, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["-b", b, "consume", "-t", "t", "-e"];
    args.extend_from_slice(extra);
    let out = run(&args, "").await;
    stdout_ok(&out).lines().map(str::to_owned).collect()
}
