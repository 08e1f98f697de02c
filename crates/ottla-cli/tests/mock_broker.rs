//! `ottla mock-broker`: three local brokers on consecutive ports, written to and read from
//! through `ottla` itself, then stopped with SIGTERM.

mod support;

use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, TcpListener};
use std::process::{Command, Stdio};
use std::time::Duration;

/// A port P with P, P+1 and P+2 free at the moment of asking.
fn three_free_ports() -> u16 {
    for _ in 0..50 {
        let first = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let base = first.local_addr().unwrap().port();
        let Some(last) = base.checked_add(2) else {
            continue;
        };
        let rest: Vec<_> = (base + 1..=last)
            .map(|p| TcpListener::bind((Ipv4Addr::LOCALHOST, p)))
            .collect();
        if rest.iter().all(Result::is_ok) {
            return base;
        }
    }
    panic!("no three consecutive free ports");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_brokers_serve_produce_and_consume_until_sigterm() {
    let port = three_free_ports();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ottla"))
        .args([
            "mock-broker",
            "--brokers",
            "3",
            "--port",
            &port.to_string(),
            "--topic",
            "t:3",
            "--topic",
            "single",
        ])
        .env_remove("OTTLA_BROKERS")
        .env_remove("OTTLA_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ottla mock-broker");
    let stdout = child.stdout.take().unwrap();
    let bootstrap = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        line.trim_end().to_owned()
    })
    .await
    .unwrap();
    let expected: Vec<String> = (0..3).map(|i| format!("127.0.0.1:{}", port + i)).collect();
    assert_eq!(bootstrap, expected.join(","));

    // Through the second broker only: the client finds the other two from metadata.
    let second = expected[1].clone();
    let input = support::lines(30, "m");
    let out = support::run(&["-b", &second, "produce", "-t", "t"], &input).await;
    support::stdout_ok(&out);
    let metadata = support::stdout_ok(&support::run(&["-b", &second, "metadata"], "").await);
    assert!(metadata.contains("3 broker(s)"), "{metadata}");
    assert!(
        metadata.contains("topic \"single\" with 1 partition(s)"),
        "{metadata}"
    );
    let mut read = support::consume(&bootstrap, &["-o", "beginning"]).await;
    read.sort();
    let mut want: Vec<String> = input.lines().map(str::to_owned).collect();
    want.sort();
    assert_eq!(read, want);

    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    let err = support::stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("ottla mock-broker: stopped"), "{err}");
    // The ports are free again.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok());
}

#[test]
fn a_bootstrap_address_for_brokers_is_refused() {
    let out = support::ottla(&["mock-broker", "--brokers", "localhost:9092"], b"");
    support::fails_with(&out, "--brokers is the number of brokers to run");
}
