//! `ottla groups list|describe|lag` against the real broker (`OTTLA_BOOTSTRAP`), on a group
//! whose member committed an offset on one of its two partitions.

mod support;

use std::sync::Arc;
use std::time::Duration;

use ottla::group::assignor::Range;
use ottla::group::{GroupEvent, GroupMember, OffsetAndMetadata, TopicPartition};
use ottla_tests::{bootstrap, client, create_unique_topic, unique_topic};
use support::{run, stdout_ok};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_list_describe_and_lag() {
    let Some(b) = bootstrap() else { return };
    let c = client(&b).await;
    let topic = create_unique_topic(&c, "cli-groups", 2, &[]).await;
    ottla_tests::produce_values(&c, &topic, 0, 5).await;
    let group = unique_topic("cli-group");
    let config = ottla_tests::group_config(&group, Arc::new(Range), None);
    let mut member = GroupMember::start(c.clone(), config, [topic.as_str()]);
    match tokio::time::timeout(Duration::from_secs(30), member.next_event())
        .await
        .unwrap()
    {
        Some(GroupEvent::Assigned(parts)) => assert_eq!(parts.len(), 2),
        other => panic!("{other:?}"),
    }
    let tp0 = TopicPartition::new(topic.as_str(), 0);
    member
        .commit([(tp0, OffsetAndMetadata::new(3))].into_iter().collect())
        .await
        .unwrap();

    let listed = stdout_ok(&run(&["-b", &b, "groups", "list"], "").await);
    let line = listed
        .lines()
        .find(|l| l.starts_with(&group))
        .unwrap_or_else(|| panic!("{group} not in:\n{listed}"));
    assert!(
        line.contains(" consumer ") && line.contains(" Stable "),
        "{line}"
    );

    let described = stdout_ok(&run(&["-b", &b, "groups", "describe", &group], "").await);
    assert!(
        described.starts_with(&format!(
            "group {group} (consumer), state Stable, assignor range"
        )),
        "{described}"
    );
    assert!(
        described.contains(&format!("{topic}-0, {topic}-1")),
        "{described}"
    );

    let lag = stdout_ok(&run(&["-b", &b, "groups", "lag", &group, "--json"], "").await);
    let rows: Vec<serde_json::Value> = lag
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 3, "{lag}");
    assert_eq!(
        (
            &rows[0]["partition"],
            &rows[0]["committed"],
            &rows[0]["end"],
            &rows[0]["lag"]
        ),
        (
            &serde_json::json!(0),
            &serde_json::json!(3),
            &serde_json::json!(5),
            &serde_json::json!(2)
        )
    );
    assert_eq!(
        (
            &rows[1]["partition"],
            &rows[1]["committed"],
            &rows[1]["lag"]
        ),
        (
            &serde_json::json!(1),
            &serde_json::Value::Null,
            &serde_json::Value::Null
        )
    );
    assert_eq!(rows[2]["total_lag"], 2);
    let text = stdout_ok(&run(&["-b", &b, "groups", "lag", &group], "").await);
    assert!(text.trim_end().ends_with("total lag 2"), "{text}");
    member.leave().await.unwrap();
}

/// `ottla consume -G`: the group's member prints every record once, commits on exit, and the
/// group's lag is then 0; with the classic protocol and with KIP-848's (`-X
/// group.protocol=consumer`, on Kafka 4: scripts/kafka.sh's 3.x keeps it off).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consume_as_a_group_member_commits_what_it_printed() {
    let Some(b) = bootstrap() else { return };
    let c = client(&b).await;
    let kafka3 = std::env::var("OTTLA_KAFKA_VERSION").is_ok_and(|v| v.starts_with("3."));
    let protocols: &[&str] = if kafka3 {
        &["classic"]
    } else {
        &["classic", "consumer"]
    };
    for protocol in protocols {
        let topic = create_unique_topic(&c, "cli-consume-group", 2, &[]).await;
        ottla_tests::produce_values(&c, &topic, 0, 10).await;
        ottla_tests::produce_values(&c, &topic, 1, 10).await;
        let group = unique_topic("cli-consume-group");
        let protocol_key = format!("group.protocol={protocol}");
        // The KIP-848 run names the topic by a pattern (kcat's ^ convention).
        let pattern = format!("^{topic}$");
        let named = if *protocol == "consumer" {
            pattern.as_str()
        } else {
            topic.as_str()
        };
        let out = stdout_ok(
            &run(
                &[
                    "-b",
                    &b,
                    "consume",
                    "-t",
                    named,
                    "-G",
                    &group,
                    "-c",
                    "20",
                    "-X",
                    &protocol_key,
                ],
                "",
            )
            .await,
        );
        let mut values: Vec<&str> = out.lines().collect();
        values.sort_unstable();
        let mut expected: Vec<String> = (0..10)
            .flat_map(|i| [format!("v{i}"), format!("v{i}")])
            .collect();
        expected.sort_unstable();
        assert_eq!(values, expected, "{protocol}");
        let lag = stdout_ok(&run(&["-b", &b, "groups", "lag", &group, "--json"], "").await);
        assert!(
            lag.trim_end().ends_with(r#""total_lag":0}"#),
            "{protocol}: {lag}"
        );
        let refused = run(
            &["-b", &b, "consume", "-t", &topic, "-G", &group, "-o", "42"],
            "",
        )
        .await;
        support::fails_with(&refused, "with -G, -o takes beginning or end");
    }
}
