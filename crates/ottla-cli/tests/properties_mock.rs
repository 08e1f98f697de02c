//! `-X` and `-F` before and after the subcommand all count: files first, then every -X; those
//! before the subcommand, then the subcommand's; a later value wins; every key is checked.
//! Against `ottla-mock`, whose stored batches show the codec the producer used.

mod support;

use ottla_mock::MockCluster;
use ottla_protocol::compression::Compression;
use ottla_protocol::records::{decode_batches, DecodeLimits};
use ottla_tests::unique_topic;
use support::{fails_with, lines, mock, run, stderr};

/// The codec of every batch stored in partition 0 of `t`.
fn codecs(cluster: &MockCluster) -> Vec<Compression> {
    cluster
        .batches("t", 0)
        .unwrap()
        .into_iter()
        .flat_map(|b| decode_batches(b, &DecodeLimits::default()).unwrap().batches)
        .map(|b| b.compression)
        .collect()
}

fn properties_file(lines: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(unique_topic("ottla-options"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("client.properties");
    std::fs::write(&file, lines).unwrap();
    file
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_global_x_counts_when_the_subcommand_has_its_own() {
    let cluster = mock(1).await;
    let b = cluster.bootstrap();
    let args = [
        "-b",
        &b,
        "-X",
        "compression.type=zstd",
        "produce",
        "-t",
        "t",
        "-p",
        "0",
        "-X",
        "linger.ms=5",
    ];
    let out = run(&args, &lines(20, "zstd-")).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let stored = codecs(&cluster);
    assert!(!stored.is_empty());
    assert!(
        stored.iter().all(|c| *c == Compression::Zstd),
        "the global compression.type was dropped: {stored:?}"
    );
    assert_eq!(cluster.record_count("t", 0).unwrap(), 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_later_x_wins_and_files_come_before_every_x() {
    let cluster = mock(1).await;
    let b = cluster.bootstrap();
    let global_file = properties_file("compression.type=gzip\n");
    let command_file = properties_file("compression.type=gzip\n");
    let args = [
        "-b",
        &b,
        "-F",
        global_file.to_str().unwrap(),
        "-X",
        "compression.type=snappy",
        "produce",
        "-t",
        "t",
        "-p",
        "0",
        "-X",
        "compression.type=lz4",
        "-F",
        command_file.to_str().unwrap(),
    ];
    let out = run(&args, &lines(5, "lz4-")).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let stored = codecs(&cluster);
    assert!(
        !stored.is_empty() && stored.iter().all(|c| *c == Compression::Lz4),
        "{stored:?}"
    );
    // A file before the subcommand counts when nothing overrides it.
    let args = [
        "-b",
        &b,
        "-F",
        global_file.to_str().unwrap(),
        "produce",
        "-t",
        "t",
        "-p",
        "0",
        "-X",
        "linger.ms=1",
    ];
    let out = run(&args, "gzip\n").await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(codecs(&cluster).last(), Some(&Compression::Gzip));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_key_on_either_side_is_rejected() {
    let cluster = mock(1).await;
    let b = cluster.bootstrap();
    let out = run(
        &[
            "-b",
            &b,
            "-X",
            "foo.bar=1",
            "produce",
            "-t",
            "t",
            "-X",
            "linger.ms=5",
        ],
        "x\n",
    )
    .await;
    fails_with(&out, "unknown configuration property \"foo.bar\"");
    let file = properties_file("linger.ms=5\nno.such.key=2\n");
    let out = run(
        &[
            "-b",
            &b,
            "-X",
            "linger.ms=5",
            "produce",
            "-t",
            "t",
            "-F",
            file.to_str().unwrap(),
        ],
        "x\n",
    )
    .await;
    fails_with(&out, "unknown configuration property \"no.such.key\"");
    assert_eq!(cluster.record_count("t", 0).unwrap(), 0);
}

/// A whole client.properties pasted from a Java or librdkafka application works: keys ottla
/// does not use (another role's, or the other clients' own) are named in one warning; a typo
/// fails with the closest known key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pasted_configs_warn_about_unused_keys_and_typos_get_a_suggestion() {
    let cluster = mock(1).await;
    let b = cluster.bootstrap();
    let file = properties_file(
        "group.id=billing\nauto.offset.reset=earliest\nlinger.ms=5\nsocket.keepalive.enable=true\nstatistics.interval.ms=0\n",
    );
    let out = run(&["-b", &b, "-F", file.to_str().unwrap(), "metadata"], "").await;
    assert!(out.status.success(), "{}", stderr(&out));
    let warning = stderr(&out);
    let lines: Vec<&str> = warning.lines().filter(|l| l.contains("ignoring")).collect();
    assert_eq!(lines.len(), 1, "one warning: {warning}");
    for key in [
        "group.id",
        "auto.offset.reset",
        "linger.ms",
        "socket.keepalive.enable",
        "statistics.interval.ms",
    ] {
        assert!(lines[0].contains(key), "{key} named: {warning}");
    }
    let out = run(
        &[
            "-b",
            &b,
            "-X",
            "enable.idempotance=true",
            "produce",
            "-t",
            "t",
        ],
        "x\n",
    )
    .await;
    fails_with(&out, "did you mean \"enable.idempotence\"?");
    assert_eq!(cluster.record_count("t", 0).unwrap_or(0), 0);
}
