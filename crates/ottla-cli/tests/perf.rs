//! `ottla perf produce` against the real broker (`OTTLA_BOOTSTRAP`) with every client: ottla
//! and ottla-file (this binary), kcat and kcat-noidem (`OTTLA_KCAT`), the franz-go peer
//! (`OTTLA_GO_PEER`) and the Java peer (`OTTLA_JAVA_PEER`). Every run has positive figures,
//! the medians are the runs' upper middles, and the comparisons set ottla against the best of
//! franz-go/java and ottla-file against the best of kcat/kcat-noidem, figure by figure.
//! Without the broker the test is skipped; a peer that is not given is left out (with its
//! comparison) — except in CI (`CI=true` or `OTTLA_REQUIRE_BROKER=1`), where every one is
//! required.

use std::process::{Command, Output};

use ottla_tests::{bootstrap, kcat, peer};
use serde_json::Value;

fn ottla(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ottla"))
        .args(args)
        .env_remove("OTTLA_BROKERS")
        .env_remove("OTTLA_KCAT")
        .env_remove("OTTLA_GO_PEER")
        .env_remove("OTTLA_JAVA_PEER")
        .output()
        .expect("run ottla")
}

fn fails_with(args: &[&str], wanted: &[&str]) {
    let out = ottla(args);
    assert!(!out.status.success(), "{args:?} succeeded");
    let err = String::from_utf8_lossy(&out.stderr);
    for w in wanted {
        assert!(err.contains(w), "{args:?}: {w:?} not in {err}");
    }
}

#[test]
fn a_client_without_its_executable_is_an_error_naming_the_flag() {
    let perf = ["-b", "127.0.0.1:1", "perf", "produce", "--records", "10"];
    for (client, wanted) in [
        ("kcat", ["--kcat", "OTTLA_KCAT"]),
        ("kcat-noidem", ["--kcat", "OTTLA_KCAT"]),
        ("ottla,franz-go", ["--franz-go", "OTTLA_GO_PEER"]),
        ("java", ["--java", "OTTLA_JAVA_PEER"]),
    ] {
        fails_with(&[&perf[..], &["--clients", client]].concat(), &wanted);
    }
    fails_with(
        &[&perf[..], &["--clients", "rdkafka"]].concat(),
        &["rdkafka"],
    );
    fails_with(
        &[
            "perf",
            "produce",
            "--clients",
            "ottla",
            "--compression",
            "brotli",
        ],
        &["--compression"],
    );
}

/// The figures of a run or a median.
fn figure(run: &Value, name: &str) -> f64 {
    run[name]
        .as_f64()
        .unwrap_or_else(|| panic!("no {name} in {run}"))
}

#[test]
fn every_client_measured_on_the_broker() {
    let Some(b) = bootstrap() else { return };
    let kcat = kcat().map(|k| k.to_string_lossy().into_owned());
    let go = peer(
        "OTTLA_GO_PEER",
        "the franz-go peer (scripts/install-go-peer.sh)",
    );
    let java = peer(
        "OTTLA_JAVA_PEER",
        "the Java peer (scripts/install-java-peer.sh)",
    );
    // Every client whose executable is known, in the order they run.
    let mut clients = vec!["ottla"];
    let mut paths: Vec<&str> = Vec::new();
    if let Some(go) = &go {
        clients.push("franz-go");
        paths.extend(["--franz-go", go]);
    }
    if let Some(java) = &java {
        clients.push("java");
        paths.extend(["--java", java]);
    }
    clients.push("ottla-file");
    if let Some(k) = &kcat {
        clients.extend(["kcat", "kcat-noidem"]);
        paths.extend(["--kcat", k]);
    }
    let list = clients.join(",");
    // Any process can stand in for the broker's: this test's own (mostly idle) process.
    let watched = std::process::id().to_string();
    let args = [
        &[
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
            &list,
            "--topic-prefix",
            "cli-perf",
            "--repeat",
            "2",
            "--broker-pid",
            &watched,
            "--json",
        ][..],
        &paths,
    ]
    .concat();
    let out = ottla(&args);
    assert!(
        out.status.success(),
        "perf failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let runs = doc["runs"].as_array().unwrap();
    // The second round in reverse.
    let order: Vec<&str> = clients
        .iter()
        .chain(clients.iter().rev())
        .copied()
        .collect();
    assert_eq!(runs.len(), order.len(), "{doc}");
    for (run, &client) in runs.iter().zip(&order) {
        assert_eq!(run["client"], client);
        assert_eq!(run["records"], 20000);
        assert_eq!(run["record_size"], 100);
        assert_eq!(run["partitions"], 1);
        assert_eq!(run["idempotence"], true);
        for name in [
            "wall_s",
            "cpu_s",
            "msgs_per_s",
            "mb_per_s",
            "cpu_us_per_msg",
        ] {
            let v = figure(run, name);
            assert!(v > 0.0, "{client} {name} = {v}: {run}");
        }
        let (user, sys, cpu) = (
            figure(run, "cpu_user_s"),
            figure(run, "cpu_system_s"),
            figure(run, "cpu_s"),
        );
        assert!((user + sys - cpu).abs() < 1e-9, "{run}");
        let (broker, busy) = (figure(run, "broker_cpu_s"), figure(run, "broker_busy"));
        assert!(broker >= 0.0, "{run}");
        assert!(
            (busy * figure(run, "wall_s") - broker).abs() < 1e-9,
            "{run}"
        );
        // Throughput is records over wall time.
        let rate = figure(run, "msgs_per_s") * figure(run, "wall_s");
        assert!((rate - 20000.0).abs() < 1.0, "{run}");
        // The in-memory clients report their own produce time, within the wall time.
        if ["ottla", "franz-go", "java"].contains(&client) {
            let p = figure(run, "produce_s");
            assert!(p > 0.0 && p < figure(run, "wall_s"), "{run}");
        } else {
            assert!(run.get("produce_s").is_none(), "{run}");
        }
        // ottla's runs carry its client stats: every record's 100 bytes went out, in
        // requests that were answered.
        if client == "ottla" {
            let s = &run["client_stats"];
            assert!(s["requests"].as_u64().unwrap() > 0, "{run}");
            assert!(s["bytes_sent"].as_u64().unwrap() > 20_000 * 100, "{run}");
            assert!(s["rtt_avg_us"].as_u64().unwrap() > 0, "{run}");
            assert!(s["records_per_batch"].as_f64().unwrap() >= 1.0, "{run}");
        } else {
            assert!(run.get("client_stats").is_none(), "{run}");
        }
    }
    // With two runs each, the medians are the upper middles: each client's slower wall time
    // and larger CPU time.
    let medians = doc["medians"].as_array().unwrap();
    assert_eq!(medians.len(), clients.len(), "{doc}");
    for (m, &client) in medians.iter().zip(&clients) {
        let of = |name: &str| {
            runs.iter()
                .filter(|r| r["client"] == client)
                .map(|r| figure(r, name))
                .fold(0.0, f64::max)
        };
        assert_eq!(
            (m["client"].as_str(), m["runs"].as_u64()),
            (Some(client), Some(2))
        );
        assert!((figure(m, "wall_s") - of("wall_s")).abs() < 1e-6, "{doc}");
        assert!((figure(m, "cpu_s") - of("cpu_s")).abs() < 1e-6, "{doc}");
    }
    // ottla against franz-go/java, ottla-file against kcat/kcat-noidem: per figure the peer
    // best at it among the medians, and ours ÷ theirs.
    let median = |client: &str| {
        medians
            .iter()
            .find(|m| m["client"] == client)
            .unwrap_or_else(|| panic!("no median for {client}: {doc}"))
    };
    let mut expected = Vec::new();
    for (ours, peers) in [
        ("ottla", ["franz-go", "java"]),
        ("ottla-file", ["kcat", "kcat-noidem"]),
    ] {
        let ran: Vec<&str> = peers.into_iter().filter(|p| clients.contains(p)).collect();
        if !ran.is_empty() {
            expected.push((ours, ran));
        }
    }
    let comparisons = doc["comparisons"].as_array().unwrap();
    assert_eq!(comparisons.len(), expected.len(), "{doc}");
    for (c, (ours, peers)) in comparisons.iter().zip(&expected) {
        assert_eq!(c["client"], *ours, "{c}");
        assert_eq!(c["peers"], serde_json::json!(peers), "{c}");
        for (name, better) in [
            ("cpu_s", "lower"),
            ("msgs_per_s", "higher"),
            ("mb_per_s", "higher"),
        ] {
            let v = &c[name];
            assert_eq!(v["better"], better, "{c}");
            let figures = peers.iter().map(|p| figure(median(p), name));
            let best = if better == "lower" {
                figures.fold(f64::INFINITY, f64::min)
            } else {
                figures.fold(0.0, f64::max)
            };
            let best_peer = v["best_peer"].as_str().unwrap();
            assert!(peers.contains(&best_peer), "{c}");
            assert_eq!(figure(median(best_peer), name), best, "{c}");
            assert_eq!(figure(v, "best"), best, "{c}");
            let mine = figure(median(ours), name);
            assert_eq!(figure(v, "ours"), mine, "{c}");
            assert!((figure(v, "ratio") - mine / best).abs() < 1e-9, "{c}");
        }
    }
}

/// `ottla perf consume` with every consumer (ottla, franz-go, java, kcat) on one lz4 topic of
/// two partitions: each run read all 20,000 records (the command checks), has positive
/// figures and (but kcat) its own consume time within the wall time; ottla is compared with
/// the best of the three. A producer-only client is refused.
#[test]
fn every_consumer_measured_on_the_broker() {
    let Some(b) = bootstrap() else { return };
    let mut clients = vec!["ottla"];
    let mut paths: Vec<String> = Vec::new();
    for (name, flag, path) in [
        (
            "franz-go",
            "--franz-go",
            peer(
                "OTTLA_GO_PEER",
                "the franz-go peer (scripts/install-go-peer.sh)",
            ),
        ),
        (
            "java",
            "--java",
            peer(
                "OTTLA_JAVA_PEER",
                "the Java peer (scripts/install-java-peer.sh)",
            ),
        ),
        (
            "kcat",
            "--kcat",
            kcat().map(|k| k.to_string_lossy().into_owned()),
        ),
    ] {
        if let Some(p) = path {
            clients.push(name);
            paths.extend([flag.to_owned(), p]);
        }
    }
    let list = clients.join(",");
    let mut args: Vec<&str> = vec![
        "-b",
        &b,
        "perf",
        "consume",
        "--records",
        "20000",
        "--partitions",
        "2",
        "--compression",
        "lz4",
        "--clients",
        &list,
        "--json",
    ];
    args.extend(paths.iter().map(String::as_str));
    let out = ottla(&args);
    assert!(
        out.status.success(),
        "perf consume failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let runs = doc["runs"].as_array().unwrap();
    let ran: Vec<&str> = runs.iter().filter_map(|r| r["client"].as_str()).collect();
    assert_eq!(ran, clients, "{doc}");
    for run in runs {
        assert_eq!(
            (&run["records"], &run["partitions"], &run["compression"]),
            (&Value::from(20000), &Value::from(2), &Value::from("lz4"))
        );
        for name in ["wall_s", "cpu_s", "msgs_per_s", "cpu_us_per_msg"] {
            assert!(figure(run, name) > 0.0, "{name}: {run}");
        }
        if run["client"] == "kcat" {
            assert!(run.get("consume_s").is_none(), "{run}");
        } else {
            let c = figure(run, "consume_s");
            assert!(c > 0.0 && c < figure(run, "wall_s"), "{run}");
        }
    }
    let comparisons = doc["comparisons"].as_array().unwrap();
    if clients.len() > 1 {
        assert_eq!(comparisons.len(), 1, "{doc}");
        assert_eq!(comparisons[0]["client"], "ottla");
        assert_eq!(comparisons[0]["peers"], serde_json::json!(clients[1..]));
    }
    fails_with(
        &[
            "-b",
            "127.0.0.1:1",
            "perf",
            "consume",
            "--clients",
            "kcat-noidem",
        ],
        &["kcat-noidem does not run here"],
    );
}
