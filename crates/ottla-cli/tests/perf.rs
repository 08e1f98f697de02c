//! `ottla perf produce` against the real broker (`OTTLA_BOOTSTRAP`) with kcat (`OTTLA_KCAT`):
//! both clients run, and the JSON report has positive figures for each. Without the peers
//! the test is skipped, except in CI (`CI=true`), where a missing peer fails it.

use std::process::{Command, Output};

use ottla_tests::{bootstrap, kcat};

fn ottla(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ottla"))
        .args(args)
        .env_remove("OTTLA_BROKERS")
        .env_remove("OTTLA_KCAT")
        .output()
        .expect("run ottla")
}

#[test]
fn kcat_is_required_unless_left_out() {
    let out = ottla(&["-b", "127.0.0.1:1", "perf", "produce", "--records", "10"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--kcat"), "{err}");
    let out = ottla(&[
        "perf",
        "produce",
        "--clients",
        "ottla",
        "--compression",
        "brotli",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--compression"), "{err}");
}

#[test]
fn both_clients_measured_on_the_broker() {
    let Some(b) = bootstrap() else { return };
    let Some(k) = kcat() else { return };
    let k = k.to_string_lossy().into_owned();
    // Any process can stand in for the broker's: this test's own (mostly idle) process.
    let watched = std::process::id().to_string();
    let out = ottla(&[
        "-b",
        &b,
        "perf",
        "produce",
        "--records",
        "20000",
        "--record-size",
        "100",
        "--partitions",
        "1",
        "--clients",
        "ottla,kcat",
        "--kcat",
        &k,
        "--topic-prefix",
        "cli-perf",
        "--repeat",
        "2",
        "--broker-pid",
        &watched,
        "--json",
    ]);
    assert!(
        out.status.success(),
        "perf failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let runs = doc["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 4, "{doc}");
    let clients = ["ottla", "kcat", "kcat", "ottla"]; // the second round in reverse
    for (run, client) in runs.iter().zip(clients) {
        assert_eq!(run["client"], client);
        assert_eq!(run["records"], 20000);
        assert_eq!(run["record_size"], 100);
        assert_eq!(run["partitions"], 1);
        for figure in [
            "wall_s",
            "cpu_s",
            "msgs_per_s",
            "mb_per_s",
            "cpu_us_per_msg",
        ] {
            let v = run[figure].as_f64().unwrap();
            assert!(v > 0.0, "{client} {figure} = {v}: {run}");
        }
        let (user, sys, cpu) = (
            run["cpu_user_s"].as_f64().unwrap(),
            run["cpu_system_s"].as_f64().unwrap(),
            run["cpu_s"].as_f64().unwrap(),
        );
        assert!((user + sys - cpu).abs() < 1e-9, "{run}");
        let (broker, busy) = (
            run["broker_cpu_s"].as_f64().unwrap(),
            run["broker_busy"].as_f64().unwrap(),
        );
        assert!(broker >= 0.0, "{run}");
        assert!(
            (busy * run["wall_s"].as_f64().unwrap() - broker).abs() < 1e-9,
            "{run}"
        );
        // Throughput is records over wall time.
        let rate = run["msgs_per_s"].as_f64().unwrap() * run["wall_s"].as_f64().unwrap();
        assert!((rate - 20000.0).abs() < 1.0, "{run}");
    }
    // With two runs each, the medians are the upper middles: each client's slower wall time
    // and larger CPU time.
    let medians = doc["medians"].as_array().unwrap();
    assert_eq!(medians.len(), 2, "{doc}");
    for (m, client) in medians.iter().zip(["ottla", "kcat"]) {
        let of = |figure: &str| {
            runs.iter()
                .filter(|r| r["client"] == client)
                .map(|r| r[figure].as_f64().unwrap())
                .fold(0.0, f64::max)
        };
        assert_eq!(
            (m["client"].as_str(), m["runs"].as_u64()),
            (Some(client), Some(2))
        );
        assert!(
            (m["wall_s"].as_f64().unwrap() - of("wall_s")).abs() < 1e-6,
            "{doc}"
        );
        assert!(
            (m["cpu_s"].as_f64().unwrap() - of("cpu_s")).abs() < 1e-6,
            "{doc}"
        );
    }
    let c = &doc["comparisons"][0];
    assert!(c["cpu_per_msg_ratio"].as_f64().unwrap() > 0.0, "{doc}");
    assert!(c["throughput_ratio"].as_f64().unwrap() > 0.0, "{doc}");
}
