//! The admin API against Kafka (`OTTLA_BOOTSTRAP`, which runs the standard authorizer):
//! topics with configs, partitions, the cluster, configs described and altered, offsets
//! listed, records deleted, groups listed, described, reset and deleted, lag against
//! ListOffsets minus committed, SCRAM users, ACLs.

use std::collections::BTreeMap;
use std::time::Duration;

use ottla::admin::{
    AclBinding, AclFilter, AclOperation, AclPermission, Admin, AlterOp, ConfigResource,
    ConfigSource, NewTopic, OffsetReset, OffsetSpec, PatternType, ResourceType,
};
use ottla::group::{OffsetAndMetadata, TopicPartition};
use ottla::protocol::error_code::ErrorCode;
use ottla::sasl::ScramAlgorithm;
use ottla_tests::cluster::{producer, send_numbers};
use ottla_tests::{bootstrap, init_logs, unique_topic};

async fn admin() -> Option<(String, Admin)> {
    init_logs();
    let b = bootstrap()?;
    Some((b.clone(), Admin::new(ottla_tests::client(&b).await)))
}

fn kafka_code(e: &ottla::Error) -> Option<ErrorCode> {
    e.kafka_code()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topics_partitions_configs_and_the_cluster() {
    let Some((_, admin)) = admin().await else {
        return;
    };
    let cluster = admin.describe_cluster().await.unwrap();
    println!("{cluster:?}");
    assert!(!cluster.cluster_id.is_empty());
    assert_eq!(cluster.brokers.len(), 1);
    assert!(cluster.brokers.iter().any(|b| b.id == cluster.controller) || cluster.controller >= 0);

    let topic = unique_topic("admin-topic");
    admin
        .create_topic(&NewTopic {
            name: topic.clone(),
            partitions: 2,
            replication_factor: -1,
            configs: vec![
                ("retention.ms".into(), "3600000".into()),
                ("cleanup.policy".into(), "compact".into()),
            ],
        })
        .await
        .unwrap();
    let configs = admin
        .describe_configs(&ConfigResource::Topic(topic.clone()))
        .await
        .unwrap();
    let get = |configs: &[ottla::admin::ConfigEntry], k: &str| {
        configs.iter().find(|c| c.name == k).cloned().unwrap()
    };
    assert_eq!(
        get(&configs, "retention.ms").value.as_deref(),
        Some("3600000")
    );
    assert_eq!(get(&configs, "retention.ms").source, ConfigSource::Topic);
    assert_eq!(
        get(&configs, "segment.bytes").source,
        ConfigSource::StaticBroker,
        "log.segment.bytes in server.properties"
    );
    assert_eq!(get(&configs, "segment.ms").source, ConfigSource::Default);

    // Incremental: set one, delete one (back to the default), append to a list.
    admin
        .alter_configs(
            &ConfigResource::Topic(topic.clone()),
            &[
                AlterOp::Set("max.message.bytes".into(), "2000000".into()),
                AlterOp::Delete("retention.ms".into()),
                AlterOp::Append("cleanup.policy".into(), "delete".into()),
            ],
        )
        .await
        .unwrap();
    // The change reaches the broker through the metadata log: wait for it.
    let mut configs = Vec::new();
    for _ in 0..100 {
        configs = admin
            .describe_configs(&ConfigResource::Topic(topic.clone()))
            .await
            .unwrap();
        if configs
            .iter()
            .any(|c| c.name == "max.message.bytes" && c.value.as_deref() == Some("2000000"))
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        get(&configs, "max.message.bytes").value.as_deref(),
        Some("2000000")
    );
    assert_ne!(
        get(&configs, "retention.ms").source,
        ConfigSource::Topic,
        "back to the broker's"
    );
    assert_eq!(
        get(&configs, "cleanup.policy").value.as_deref(),
        Some("compact,delete")
    );
    // A bad value is refused with the broker's reason, nothing changed.
    let e = admin
        .alter_configs(
            &ConfigResource::Topic(topic.clone()),
            &[AlterOp::Set("retention.ms".into(), "soon".into())],
        )
        .await
        .unwrap_err();
    assert_eq!(kafka_code(&e), Some(ErrorCode::INVALID_CONFIG), "{e}");
    // A broker's configs (its own, read-only ones included).
    let broker = admin
        .describe_configs(&ConfigResource::Broker(cluster.brokers[0].id))
        .await
        .unwrap();
    assert!(
        broker.iter().any(|c| c.name == "log.retention.ms"),
        "{} broker configs",
        broker.len()
    );

    admin.create_partitions(&topic, 5).await.unwrap();
    let m = admin.client().refresh_metadata().await.unwrap();
    assert_eq!(m.topic(&topic).unwrap().partitions.len(), 5);
    let e = admin.create_partitions(&topic, 3).await.unwrap_err();
    assert_eq!(kafka_code(&e), Some(ErrorCode::INVALID_PARTITIONS), "{e}");

    admin.delete_topic(&topic).await.unwrap();
    assert!(admin
        .client()
        .refresh_metadata()
        .await
        .unwrap()
        .topic(&topic)
        .is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offsets_records_groups_and_lag() {
    let Some((b, admin)) = admin().await else {
        return;
    };
    let topic = unique_topic("admin-offsets");
    admin
        .create_topic(&NewTopic {
            name: topic.clone(),
            partitions: 2,
            replication_factor: -1,
            configs: vec![],
        })
        .await
        .unwrap();
    let p = producer(&b).await;
    send_numbers(&p, &topic, 2, 0, 100).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let middle = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    tokio::time::sleep(Duration::from_millis(20)).await;
    send_numbers(&p, &topic, 2, 100, 200).await;
    p.close(Duration::from_secs(10)).await.unwrap();
    let tps = [
        TopicPartition::new(topic.as_str(), 0),
        TopicPartition::new(topic.as_str(), 1),
    ];

    let latest = admin.list_offsets(&tps, OffsetSpec::Latest).await.unwrap();
    assert_eq!(latest.values().copied().collect::<Vec<_>>(), [100, 100]);
    let at = admin
        .list_offsets(&tps, OffsetSpec::Timestamp(middle))
        .await
        .unwrap();
    assert_eq!(at.values().copied().collect::<Vec<_>>(), [50, 50]);
    let future = admin
        .list_offsets(&tps, OffsetSpec::Timestamp(middle + 3_600_000))
        .await
        .unwrap();
    assert_eq!(future.values().copied().collect::<Vec<_>>(), [-1, -1]);

    // DeleteRecords: partition 0 starts at 30 now.
    let low = admin
        .delete_records(&BTreeMap::from([(tps[0].clone(), 30)]))
        .await
        .unwrap();
    assert_eq!(low[&tps[0]], 30);
    let earliest = admin
        .list_offsets(&tps, OffsetSpec::Earliest)
        .await
        .unwrap();
    assert_eq!(earliest.values().copied().collect::<Vec<_>>(), [30, 0]);

    // A group that committed 60 and 70 (no members): lag = ListOffsets − committed.
    let group = unique_topic("admin-group");
    let mut consumer = ottla_tests::consumer(
        &b,
        &[
            ("group.id", group.as_str()),
            ("enable.auto.commit", "false"),
        ],
    )
    .await;
    consumer.assign(tps.to_vec()).unwrap();
    consumer
        .commit_offsets(BTreeMap::from([
            (tps[0].clone(), OffsetAndMetadata::new(60)),
            (tps[1].clone(), OffsetAndMetadata::new(70)),
        ]))
        .await
        .unwrap();
    consumer.close().await.unwrap();
    let listed = admin.list_groups().await.unwrap();
    assert!(listed.iter().any(|g| g.group_id == group), "listed");
    let lag = admin.group_lag(&group).await.unwrap();
    for l in &lag {
        let end = latest[&l.partition];
        assert_eq!(l.lag, Some(end - l.committed.unwrap()), "{l:?}");
    }
    assert_eq!(lag.iter().filter_map(|l| l.lag).sum::<i64>(), 40 + 30);

    // Reset: a dry run changes nothing; then to a time, to an offset (clamped), earliest.
    let plan = admin
        .reset_offsets(&group, &[&topic], OffsetReset::Latest, false)
        .await
        .unwrap();
    assert_eq!(plan.partitions[&tps[0]], (Some(60), 100));
    assert!(!plan.executed);
    assert_eq!(
        admin
            .group_lag(&group)
            .await
            .unwrap()
            .iter()
            .filter_map(|l| l.lag)
            .sum::<i64>(),
        70
    );
    admin
        .reset_offsets(&group, &[&topic], OffsetReset::Timestamp(middle), true)
        .await
        .unwrap();
    let lag = admin.group_lag(&group).await.unwrap();
    assert_eq!(
        lag.iter().map(|l| l.committed).collect::<Vec<_>>(),
        [Some(50), Some(50)]
    );
    let plan = admin
        .reset_offsets(&group, &[&topic], OffsetReset::Offset(10), true)
        .await
        .unwrap();
    assert_eq!(plan.partitions[&tps[0]].1, 30, "clamped to the log start");
    assert_eq!(plan.partitions[&tps[1]].1, 10);
    admin
        .reset_offsets(&group, &[&topic], OffsetReset::Earliest, true)
        .await
        .unwrap();
    let lag = admin.group_lag(&group).await.unwrap();
    assert_eq!(
        lag.iter().map(|l| l.committed).collect::<Vec<_>>(),
        [Some(30), Some(0)]
    );

    // Refused while the group has a member; describe shows it.
    let mut member = ottla_tests::consumer(
        &b,
        &[
            ("group.id", group.as_str()),
            ("auto.offset.reset", "earliest"),
        ],
    )
    .await;
    member.subscribe([topic.as_str()]).unwrap();
    let _ = tokio::time::timeout(Duration::from_secs(30), member.recv())
        .await
        .unwrap()
        .unwrap();
    let described = admin.describe_group(&group).await.unwrap();
    assert_eq!(described.members.len(), 1, "{described:?}");
    let e = admin
        .reset_offsets(&group, &[&topic], OffsetReset::Latest, true)
        .await
        .unwrap_err();
    assert_eq!(kafka_code(&e), Some(ErrorCode::NON_EMPTY_GROUP), "{e}");
    let e = admin.delete_groups(&[&group]).await.unwrap_err();
    assert_eq!(kafka_code(&e), Some(ErrorCode::NON_EMPTY_GROUP), "{e}");
    member.close().await.unwrap();

    admin.delete_groups(&[&group]).await.unwrap();
    assert!(
        !admin
            .list_groups()
            .await
            .unwrap()
            .iter()
            .any(|g| g.group_id == group),
        "deleted"
    );
    admin.delete_topic(&topic).await.unwrap();
}

/// Describes `user` until `done` holds (10 s at most), and returns the last answer.
async fn scram_state(
    admin: &Admin,
    user: &str,
    done: impl Fn(Result<&Vec<ottla::admin::ScramUser>, &ottla::Error>) -> bool,
) -> Result<Vec<ottla::admin::ScramUser>, ottla::Error> {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let answer = admin.describe_scram_users(&[user]).await;
        if done(answer.as_ref()) || std::time::Instant::now() > deadline {
            return answer;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scram_users_set_described_used_and_deleted() {
    let Some((_, admin)) = admin().await else {
        return;
    };
    let user = unique_topic("scram-user");
    admin
        .set_scram_password(&user, ScramAlgorithm::Sha256, "first-secret", 8192)
        .await
        .unwrap();
    admin
        .set_scram_password(&user, ScramAlgorithm::Sha512, "second-secret", 4096)
        .await
        .unwrap();
    // Credentials reach the brokers through the metadata log: wait until both show.
    let users = scram_state(&admin, &user, |u| {
        u.is_ok_and(|u| u[0].credentials.len() == 2)
    })
    .await;
    let users = users.unwrap();
    assert_eq!(users.len(), 1);
    let mut creds = users[0].credentials.clone();
    creds.sort_by_key(|c| c.iterations);
    assert_eq!(
        creds
            .iter()
            .map(|c| (c.mechanism, c.iterations))
            .collect::<Vec<_>>(),
        [
            (ScramAlgorithm::Sha512, 4096),
            (ScramAlgorithm::Sha256, 8192)
        ]
    );
    // The credential works: log in with it on the SCRAM listener.
    if let Some(scram) = ottla_tests::scram_bootstrap() {
        let config = ottla_tests::sasl_config(
            &scram,
            &[
                ("sasl.mechanism", "SCRAM-SHA-256"),
                ("sasl.username", user.as_str()),
                ("sasl.password", "first-secret"),
            ],
        );
        let mut logged_in = false;
        for _ in 0..50 {
            if ottla::Client::connect(config.build().unwrap())
                .await
                .is_ok()
            {
                logged_in = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(logged_in, "the new credential logs in");
    }
    admin
        .delete_scram_credential(&user, ScramAlgorithm::Sha256)
        .await
        .unwrap();
    let users = scram_state(&admin, &user, |u| {
        u.is_ok_and(|u| u[0].credentials.len() == 1)
    })
    .await;
    assert_eq!(
        users.unwrap()[0].credentials[0].mechanism,
        ScramAlgorithm::Sha512
    );
    admin
        .delete_scram_credential(&user, ScramAlgorithm::Sha512)
        .await
        .unwrap();
    let e = scram_state(&admin, &user, |u| u.is_err())
        .await
        .unwrap_err();
    assert_eq!(kafka_code(&e), Some(ErrorCode::RESOURCE_NOT_FOUND), "{e}");
    // Below Kafka's minimum iterations: refused.
    let e = admin
        .set_scram_password(&user, ScramAlgorithm::Sha256, "x", 1000)
        .await
        .unwrap_err();
    assert!(e.kafka_code().is_some(), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acls_created_described_and_deleted() {
    let Some((_, admin)) = admin().await else {
        return;
    };
    let topic = unique_topic("admin-acl");
    let principal = format!("User:{}", unique_topic("acl-user"));
    let binding = |operation, permission| AclBinding {
        resource_type: ResourceType::Topic,
        resource_name: topic.clone(),
        pattern_type: PatternType::Literal,
        principal: principal.clone(),
        host: "*".into(),
        operation,
        permission,
    };
    let prefixed = AclBinding {
        resource_type: ResourceType::Group,
        resource_name: format!("{topic}-"),
        pattern_type: PatternType::Prefixed,
        ..binding(AclOperation::Read, AclPermission::Allow)
    };
    let acls = vec![
        binding(AclOperation::Read, AclPermission::Allow),
        binding(AclOperation::Write, AclPermission::Deny),
        prefixed.clone(),
    ];
    admin.create_acls(&acls).await.unwrap();
    let mut want = acls.clone();
    want.sort();
    let filter = AclFilter {
        principal: Some(principal.clone()),
        ..AclFilter::any()
    };
    let mut seen = Vec::new();
    for _ in 0..50 {
        seen = admin.describe_acls(&filter).await.unwrap();
        if seen == want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(seen, want);
    let on_topic = admin
        .describe_acls(&AclFilter::resource(ResourceType::Topic, &topic))
        .await
        .unwrap();
    assert_eq!(on_topic.len(), 2);
    // Delete one exactly, then the rest by principal.
    let deleted = admin
        .delete_acls(&[AclFilter::from(&acls[1])])
        .await
        .unwrap();
    assert_eq!(deleted, [acls[1].clone()]);
    let deleted = admin
        .delete_acls(std::slice::from_ref(&filter))
        .await
        .unwrap();
    assert_eq!(deleted.len(), 2);
    let mut left = vec![prefixed];
    for _ in 0..50 {
        left = admin.describe_acls(&filter).await.unwrap();
        if left.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(left.is_empty(), "{left:?}");
}
