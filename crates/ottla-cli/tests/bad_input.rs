//! Bad input on the command line (issue 16, point 6): unknown and wrong `-X` settings, bad
//! flags, unreadable files and unreachable brokers give one clear line on stderr and a
//! non-zero exit (1 for a setting or a connection, clap's 2 for a flag), never a panic.
//! Each case prints `ROW|ottla …|exit|elapsed|stderr` (collected with `--nocapture`).

use std::process::Output;
use std::time::{Duration, Instant};

mod support;

fn ottla(args: &[&str]) -> (Output, Duration) {
    let started = Instant::now();
    let out = support::ottla(args, b"");
    (out, started.elapsed())
}

fn closed_port() -> String {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string()
}

#[test]
fn bad_input_gives_one_clear_line_and_a_failing_exit() {
    let dead = closed_port();
    let dead2 = closed_port();
    let both = format!("{dead},no-such-host.invalid:9092,{dead2}");
    let fast = "socket.connection.setup.timeout.ms=500";
    let cases: Vec<(Vec<&str>, Vec<&str>, i32)> = vec![
        (
            vec!["-b", &dead, "-X", "bad.key=1", "metadata"],
            vec!["bad.key"],
            1,
        ),
        (
            vec!["-b", &dead, "-X", "linger.msec=5", "metadata"],
            vec!["linger.msec", "linger.ms"],
            1,
        ),
        (
            vec!["-b", &dead, "-X", "request.timeout.ms=abc", "metadata"],
            vec!["request.timeout.ms", "abc", "1 to"],
            1,
        ),
        (
            vec!["-b", &dead, "-X", "security.protocol=TLS", "metadata"],
            vec!["security.protocol", "TLS", "SASL_SSL"],
            1,
        ),
        (
            vec!["-b", &dead, "-X", "noequals", "metadata"],
            vec!["noequals"],
            1,
        ),
        (
            vec!["-b", &dead, "-X", "acks=2", "produce", "-t", "x"],
            vec!["acks", "\"2\"", "all"],
            1,
        ),
        (
            vec![
                "-b",
                &dead,
                "-X",
                "enable.idempotence=true",
                "-X",
                "acks=1",
                "produce",
                "-t",
                "x",
            ],
            vec!["acks", "enable.idempotence"],
            1,
        ),
        (
            vec![
                "-b",
                &dead,
                "-X",
                "security.protocol=SSL",
                "-X",
                "ssl.ca.location=/no/such/ca.pem",
                "metadata",
            ],
            vec!["/no/such/ca.pem", "ssl.ca.location"],
            1,
        ),
        (
            vec!["-b", &dead, "-X", "security.protocol=SASL_SSL", "metadata"],
            vec!["sasl.mechanism", "security.protocol=SASL_SSL"],
            1,
        ),
        (
            vec!["-b", "host-without-port", "metadata"],
            vec!["bootstrap.servers", "host-without-port"],
            1,
        ),
        (
            vec!["-b", &both, "-X", fast, "metadata"],
            vec![&dead, "no-such-host.invalid:9092", &dead2, "refused"],
            1,
        ),
        (
            vec!["-b", &dead, "consume", "-t", "x", "-p", "abc"],
            vec!["-p", "abc"],
            2,
        ),
        (
            vec!["-b", &dead, "no-such-command"],
            vec!["no-such-command"],
            2,
        ),
    ];
    for (args, needles, code) in cases {
        let (out, elapsed) = ottla(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        let shown = format!("ottla {}", args.join(" "));
        assert!(
            !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
            "{shown}: {err}"
        );
        assert_eq!(out.status.code(), Some(code), "{shown}: {err}");
        for n in &needles {
            assert!(err.contains(n), "{shown}: {err:?} should mention {n:?}");
        }
        if code == 1 {
            assert_eq!(
                err.lines().count(),
                1,
                "{shown}: one line expected: {err:?}"
            );
            assert!(err.starts_with("ottla: error: "), "{shown}: {err}");
        }
        assert!(elapsed < Duration::from_secs(5), "{shown}: {elapsed:?}");
        let first = err.lines().next().unwrap_or_default();
        println!(
            "ROW|CLI|`{}`|exit {code}|{elapsed:.0?}|{}",
            shown.replace('|', "\\|"),
            first.replace('|', "\\|")
        );
    }
}
