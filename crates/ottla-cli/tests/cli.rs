//! The `ottla` binary end to end: failures without a broker, and a produce → consume round
//! trip against the real broker (`OTTLA_BOOTSTRAP`).

use std::io::Write;
use std::process::{Command, Output, Stdio};

use ottla_tests::{bootstrap, unique_topic};

fn ottla(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ottla"))
        .args(args)
        .env_remove("OTTLA_BROKERS")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run ottla");
    {
        let mut pipe = child.stdin.take().unwrap();
        if let Some(input) = stdin {
            pipe.write_all(input).unwrap();
        }
    }
    child.wait_with_output().unwrap()
}

/// A failure is a non-zero exit and exactly one line on stderr, with no panic.
fn assert_one_line_error(out: &Output, needle: &str) {
    assert!(!out.status.success(), "expected failure");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "one line expected: {err:?}");
    assert!(err.starts_with("ottla: error: "), "{err}");
    assert!(err.contains(needle), "{err:?} should mention {needle:?}");
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "ottla failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn unreachable_broker_is_one_line() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let out = ottla(&["-b", &dead.to_string(), "metadata"], None);
    assert_one_line_error(&out, &dead.to_string());
}

#[test]
fn unknown_property_is_named() {
    let out = ottla(
        &["-b", "127.0.0.1:1", "-X", "no.such.property=1", "metadata"],
        None,
    );
    assert_one_line_error(&out, "no.such.property");
}

#[test]
fn bad_value_is_named() {
    let out = ottla(
        &[
            "-b",
            "127.0.0.1:1",
            "-X",
            "request.timeout.ms=soon",
            "metadata",
        ],
        None,
    );
    assert_one_line_error(&out, "request.timeout.ms");
    let out = ottla(
        &[
            "-b",
            "127.0.0.1:1",
            "-X",
            "compression.type=brotli",
            "produce",
            "-t",
            "x",
        ],
        Some(b"a\n"),
    );
    assert_one_line_error(&out, "compression.type");
}

#[test]
fn properties_file_errors_name_file_and_line() {
    let dir = std::env::temp_dir().join(unique_topic("ottla-cli"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("client.properties");
    std::fs::write(
        &file,
        "# comment\nbootstrap.servers=127.0.0.1:1\nthis line is wrong\n",
    )
    .unwrap();
    let out = ottla(&["-F", file.to_str().unwrap(), "metadata"], None);
    assert_one_line_error(&out, "client.properties:3");
    let out = ottla(&["-F", "/no/such/file.properties", "metadata"], None);
    assert_one_line_error(&out, "/no/such/file.properties");
}

#[test]
fn missing_bootstrap_is_named() {
    let out = ottla(&["metadata"], None);
    assert_one_line_error(&out, "bootstrap.servers");
}

#[test]
fn round_trip_with_every_codec() {
    let Some(b) = bootstrap() else { return };
    for codec in ["none", "gzip", "snappy", "lz4", "zstd"] {
        let topic = unique_topic(&format!("cli-{codec}"));
        ok(&ottla(
            &["-b", &b, "topics", "create", &topic, "--partitions", "3"],
            None,
        ));
        let meta = ok(&ottla(
            &["-b", &b, "metadata", "--json", "-t", &topic],
            None,
        ));
        let doc: serde_json::Value = serde_json::from_str(&meta).unwrap();
        let topics = doc["topics"].as_array().unwrap();
        assert_eq!(topics.len(), 1);
        assert_eq!(topics[0]["partitions"].as_array().unwrap().len(), 3);

        let lines: Vec<String> = (0..300)
            .map(|i| format!("key{}:value {i} ünïcode", i % 7))
            .collect();
        let input = lines.join("\n") + "\n";
        let x = format!("compression.type={codec}");
        ok(&ottla(
            &["-b", &b, "-X", &x, "produce", "-t", &topic, "-K", ":"],
            Some(input.as_bytes()),
        ));
        let out = ok(&ottla(
            &["-b", &b, "consume", "-t", &topic, "-e", "-K", ":"],
            None,
        ));
        let mut got: Vec<&str> = out.lines().collect();
        let mut want: Vec<&str> = lines.iter().map(String::as_str).collect();
        assert_eq!(got.len(), want.len(), "{codec}");
        got.sort_unstable();
        want.sort_unstable();
        assert_eq!(got, want, "{codec}");
        // Same key, same partition: one key's values come back in order from one partition.
        for p in 0..3 {
            let out = ok(&ottla(
                &[
                    "-b",
                    &b,
                    "consume",
                    "-t",
                    &topic,
                    "-p",
                    &p.to_string(),
                    "-e",
                    "-K",
                    ":",
                ],
                None,
            ));
            let keys: std::collections::BTreeSet<&str> =
                out.lines().filter_map(|l| l.split(':').next()).collect();
            for k in keys {
                let values: Vec<&str> = out
                    .lines()
                    .filter(|l| l.starts_with(&format!("{k}:")))
                    .collect();
                let expected: Vec<&str> = lines
                    .iter()
                    .map(String::as_str)
                    .filter(|l| l.starts_with(&format!("{k}:")))
                    .collect();
                assert_eq!(
                    values, expected,
                    "{codec}: key {k} split across partitions or reordered"
                );
            }
        }
        ok(&ottla(&["-b", &b, "topics", "delete", &topic], None));
    }
}

#[test]
fn offsets_count_partition_and_properties_file() {
    let Some(b) = bootstrap() else { return };
    let topic = unique_topic("cli-offsets");
    let dir = std::env::temp_dir().join(&topic);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("client.properties");
    std::fs::write(
        &file,
        format!("# from a file\nbootstrap.servers={b}\nclient.id=cli-test\n"),
    )
    .unwrap();
    let f = file.to_str().unwrap();
    ok(&ottla(
        &["-F", f, "topics", "create", &topic, "--partitions", "1"],
        None,
    ));
    let input: String = (0..50).map(|i| format!("m{i}\n")).collect();
    ok(&ottla(
        &["-F", f, "produce", "-t", &topic, "-p", "0"],
        Some(input.as_bytes()),
    ));
    let out = ok(&ottla(
        &["-F", f, "consume", "-t", &topic, "-o", "10", "-c", "5"],
        None,
    ));
    assert_eq!(out, "m10\nm11\nm12\nm13\nm14\n");
    let out = ok(&ottla(
        &[
            "-F", f, "consume", "-t", &topic, "-p", "0", "-o", "45", "-e",
        ],
        None,
    ));
    assert_eq!(out, "m45\nm46\nm47\nm48\nm49\n");
    let out = ottla(&["-F", f, "consume", "-t", &topic, "-p", "7", "-e"], None);
    assert_one_line_error(&out, "partition 7");
    ok(&ottla(&["-F", f, "topics", "delete", &topic], None));
}
