//! The admin commands against Kafka (`OTTLA_BOOTSTRAP`, with the standard authorizer):
//! cluster, topics partitions/offsets/delete-records, configs describe/alter, groups
//! reset-offsets (dry run, then --execute) and delete, users (SCRAM), acls.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use ottla::group::{OffsetAndMetadata, TopicPartition};
use ottla_tests::cluster::{producer, send_numbers};
use ottla_tests::{bootstrap, unique_topic};
use support::{ottla, stderr};

/// Runs `ottla -b B ARGS` until its output satisfies `done` (5 s at most; changes reach the
/// brokers through the metadata log), and returns the last output.
async fn until(b: &str, args: &[&str], done: impl Fn(&str) -> bool) -> String {
    let mut all = vec!["-b", b];
    all.extend(args);
    let mut out = String::new();
    for _ in 0..100 {
        let run = ottla(&all, b"");
        out = String::from_utf8_lossy(&run.stdout).into_owned();
        if run.status.success() && done(&out) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    out
}

/// Runs `ottla -b B ARGS` (stdin given), asserts success, returns stdout.
fn ok(b: &str, args: &[&str], stdin: &str) -> String {
    let mut all = vec!["-b", b];
    all.extend(args);
    let out = ottla(&all, stdin.as_bytes());
    assert!(out.status.success(), "ottla {args:?}: {}", stderr(&out));
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_commands() {
    let Some(b) = bootstrap() else {
        return;
    };
    let cluster = ok(&b, &["cluster"], "");
    assert!(
        cluster.starts_with("cluster ") && cluster.contains("broker 1 at 127.0.0.1:"),
        "{cluster}"
    );

    // Topics: create, grow, offsets, delete records.
    let topic = unique_topic("cli-admin");
    ok(&b, &["topics", "create", &topic, "-p", "1"], "");
    ok(&b, &["topics", "partitions", &topic, "-p", "2"], "");
    let p = producer(&b).await;
    send_numbers(&p, &topic, 2, 0, 40).await;
    p.close(Duration::from_secs(10)).await.unwrap();
    let latest = ok(&b, &["topics", "offsets", &topic], "");
    assert_eq!(latest, format!("{topic} 0 20\n{topic} 1 20\n"));
    ok(
        &b,
        &[
            "topics",
            "delete-records",
            &topic,
            "-p",
            "0",
            "--before",
            "5",
        ],
        "",
    );
    let earliest = ok(&b, &["topics", "offsets", &topic, "--at", "earliest"], "");
    assert_eq!(earliest, format!("{topic} 0 5\n{topic} 1 0\n"));

    // Configs.
    ok(
        &b,
        &[
            "configs",
            "alter",
            "--topic",
            &topic,
            "--set",
            "retention.ms=7200000",
            "--append",
            "cleanup.policy=compact",
        ],
        "",
    );
    let described = until(&b, &["configs", "describe", "--topic", &topic], |d| {
        d.contains("retention.ms=7200000")
    })
    .await;
    assert!(
        described.contains("retention.ms=7200000  (Topic)"),
        "{described}"
    );
    assert!(
        described.contains("cleanup.policy=delete,compact  (Topic)"),
        "{described}"
    );
    ok(
        &b,
        &[
            "configs",
            "alter",
            "--topic",
            &topic,
            "--delete",
            "retention.ms",
        ],
        "",
    );
    let described = until(&b, &["configs", "describe", "--topic", &topic], |d| {
        !d.contains("retention.ms=7200000")
    })
    .await;
    assert!(!described.contains("retention.ms=7200000"), "{described}");

    // Groups: commit 10 and 12, reset to the end as a dry run, then for real; delete.
    let group = unique_topic("cli-admin-group");
    let tps = [
        TopicPartition::new(topic.as_str(), 0),
        TopicPartition::new(topic.as_str(), 1),
    ];
    let mut c = ottla_tests::consumer(
        &b,
        &[
            ("group.id", group.as_str()),
            ("enable.auto.commit", "false"),
        ],
    )
    .await;
    c.assign(tps.to_vec()).unwrap();
    c.commit_offsets(BTreeMap::from([
        (tps[0].clone(), OffsetAndMetadata::new(10)),
        (tps[1].clone(), OffsetAndMetadata::new(12)),
    ]))
    .await
    .unwrap();
    c.close().await.unwrap();
    let plan = ok(
        &b,
        &[
            "groups",
            "reset-offsets",
            &group,
            "-t",
            &topic,
            "--to-latest",
        ],
        "",
    );
    println!("{plan}");
    let rows: Vec<Vec<String>> = plan
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().map(str::to_owned).collect())
        .collect();
    assert_eq!(
        rows,
        [
            [topic.clone(), "0".into(), "10".into(), "20".into()],
            [topic.clone(), "1".into(), "12".into(), "20".into()]
        ]
    );
    let lag = ok(&b, &["groups", "lag", &group], "");
    assert!(
        lag.contains("total lag 18"),
        "dry run: nothing moved\n{lag}"
    );
    ok(
        &b,
        &[
            "groups",
            "reset-offsets",
            &group,
            "-t",
            &topic,
            "--to-offset",
            "7",
            "--execute",
        ],
        "",
    );
    let lag = ok(&b, &["groups", "lag", &group], "");
    assert!(lag.contains("total lag 26"), "20-7 + 20-7\n{lag}");
    ok(&b, &["groups", "delete", &group], "");
    let listed = ok(&b, &["groups", "list"], "");
    assert!(!listed.contains(&group), "{listed}");
    let out = ottla(
        &["-b", &b, "groups", "reset-offsets", &group, "-t", &topic],
        b"",
    );
    assert!(!out.status.success(), "a reset needs a --to-… option");

    // SCRAM users.
    let user = unique_topic("cli-user");
    ok(
        &b,
        &[
            "users",
            "set-password",
            &user,
            "--mechanism",
            "SCRAM-SHA-256",
            "--iterations",
            "4096",
        ],
        "s3cret\n",
    );
    let users = until(&b, &["users", "describe", &user], |u| !u.is_empty()).await;
    assert_eq!(users, format!("{user}: Sha256 (4096 iterations)\n"));
    ok(
        &b,
        &["users", "delete", &user, "--mechanism", "SCRAM-SHA-256"],
        "",
    );

    // ACLs.
    let principal = format!("User:{user}");
    ok(
        &b,
        &[
            "acls",
            "add",
            "--principal",
            &principal,
            "--topic",
            &topic,
            "--operation",
            "read",
        ],
        "",
    );
    ok(
        &b,
        &[
            "acls",
            "add",
            "--principal",
            &principal,
            "--group",
            "app-",
            "--prefixed",
            "--operation",
            "read",
        ],
        "",
    );
    let mut listed = String::new();
    for _ in 0..50 {
        listed = ok(&b, &["acls", "list", "--principal", &principal], "");
        if listed.lines().count() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(listed.lines().count(), 2, "{listed}");
    assert!(
        listed.contains(&format!("Allow Topic:{topic}"))
            && listed.contains("Group:app- (prefixed) Read"),
        "{listed}"
    );
    let deleted = ok(&b, &["acls", "delete", "--principal", &principal], "");
    assert_eq!(deleted.lines().count(), 2, "{deleted}");
    ok(&b, &["topics", "delete", &topic], "");
}
