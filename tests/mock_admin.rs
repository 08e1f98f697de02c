//! The admin client against `ottla-mock`: every admin API the client sends (DescribeCluster,
//! CreatePartitions, DeleteRecords, Describe/IncrementalAlterConfigs, List/Describe/
//! DeleteGroups, ACLs, SCRAM credentials, client quotas), answered as Kafka answers them.

use std::collections::BTreeMap;
use std::time::Duration;

use ottla::admin::{
    AclBinding, AclFilter, AclOperation, AclPermission, Admin, AlterOp, ConfigResource,
    ConfigSource, NewTopic, OffsetReset, PatternType, QuotaEntity, ResourceType,
};
use ottla::group::TopicPartition;
use ottla::protocol::error_code::ErrorCode;
use ottla::sasl::ScramAlgorithm;
use ottla::{Client, ClientConfig};
use ottla_mock::{ApiKey, MockCluster};

async fn setup(brokers: i32) -> (MockCluster, Admin) {
    let c = MockCluster::builder()
        .brokers(brokers)
        .topic("t", 2)
        .start()
        .await
        .unwrap();
    let mut b = ClientConfig::builder();
    b.bootstrap_servers(c.bootstrap())
        .request_timeout(Duration::from_secs(5));
    let admin = Admin::new(Client::connect(b.build().unwrap()).await.unwrap());
    (c, admin)
}

/// `n` records, one batch each, to partition `partition` of `t`.
async fn produce(admin: &Admin, partition: i32, n: usize) {
    for i in 0..n {
        ottla::basic::produce_batch(
            admin.client(),
            "t",
            partition,
            &[ottla_tests::value_record(&i.to_string())],
            &Default::default(),
        )
        .await
        .unwrap();
    }
}

fn tp(topic: &str, partition: i32) -> TopicPartition {
    TopicPartition::new(topic, partition)
}

#[tokio::test]
async fn cluster_partitions_and_records() {
    let (c, admin) = setup(3).await;
    let d = admin.describe_cluster().await.unwrap();
    assert_eq!(d.cluster_id, "ottla-mock");
    assert_eq!(d.controller, 1);
    let ids: Vec<i32> = d.brokers.iter().map(|b| b.id).collect();
    assert_eq!(ids, [1, 2, 3]);
    assert_eq!(
        d.brokers[1].port,
        i32::from(c.broker_addr(2).unwrap().port())
    );
    c.stop_broker(3).await.unwrap();
    assert_eq!(admin.describe_cluster().await.unwrap().brokers.len(), 2);
    c.start_broker(3).await.unwrap();

    admin.create_partitions("t", 5).await.unwrap();
    assert_eq!(c.partition_count("t").unwrap(), 5);
    let e = admin.create_partitions("t", 3).await.unwrap_err();
    assert_eq!(e.kafka_code(), Some(ErrorCode::INVALID_PARTITIONS), "{e}");
    let e = admin.create_partitions("nope", 3).await.unwrap_err();
    assert_eq!(
        e.kafka_code(),
        Some(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION),
        "{e}"
    );

    produce(&admin, 4, 10).await;
    let starts = admin
        .delete_records(&BTreeMap::from([(tp("t", 4), 6)]))
        .await
        .unwrap();
    assert_eq!(starts[&tp("t", 4)], 6);
    assert_eq!(c.log_start_offset("t", 4).unwrap(), 6);
    let starts = admin
        .delete_records(&BTreeMap::from([(tp("t", 4), -1)]))
        .await
        .unwrap();
    assert_eq!(starts[&tp("t", 4)], 10, "-1: up to the high watermark");
    let e = admin
        .delete_records(&BTreeMap::from([(tp("t", 4), 11)]))
        .await
        .unwrap_err();
    assert_eq!(e.kafka_code(), Some(ErrorCode::OFFSET_OUT_OF_RANGE), "{e}");
    assert!(c.request_count(ApiKey::DeleteRecords) >= 3);
}

#[tokio::test]
async fn configs_described_and_altered() {
    let (_c, admin) = setup(1).await;
    let topic = ConfigResource::Topic("t".into());
    let get = |configs: &[ottla::admin::ConfigEntry], name: &str| {
        configs
            .iter()
            .find(|c| c.name == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} not described"))
    };
    let configs = admin.describe_configs(&topic).await.unwrap();
    assert_eq!(get(&configs, "retention.ms").source, ConfigSource::Default);
    admin
        .alter_configs(
            &topic,
            &[
                AlterOp::Set("retention.ms".into(), "3600000".into()),
                AlterOp::Append("cleanup.policy".into(), "compact".into()),
            ],
        )
        .await
        .unwrap();
    let configs = admin.describe_configs(&topic).await.unwrap();
    assert_eq!(
        get(&configs, "retention.ms").value.as_deref(),
        Some("3600000")
    );
    assert_eq!(get(&configs, "retention.ms").source, ConfigSource::Topic);
    assert_eq!(
        get(&configs, "cleanup.policy").value.as_deref(),
        Some("delete,compact")
    );
    admin
        .alter_configs(
            &topic,
            &[
                AlterOp::Delete("retention.ms".into()),
                AlterOp::Subtract("cleanup.policy".into(), "delete".into()),
            ],
        )
        .await
        .unwrap();
    let configs = admin.describe_configs(&topic).await.unwrap();
    assert_eq!(get(&configs, "retention.ms").source, ConfigSource::Default);
    assert_eq!(
        get(&configs, "cleanup.policy").value.as_deref(),
        Some("compact")
    );
    for bad in [
        AlterOp::Set("retention.ms".into(), "soon".into()),
        AlterOp::Set("no.such.config".into(), "1".into()),
    ] {
        let e = admin.alter_configs(&topic, &[bad]).await.unwrap_err();
        assert_eq!(e.kafka_code(), Some(ErrorCode::INVALID_CONFIG), "{e}");
    }
    let e = admin
        .describe_configs(&ConfigResource::Topic("nope".into()))
        .await
        .unwrap_err();
    assert_eq!(
        e.kafka_code(),
        Some(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION),
        "{e}"
    );
    // Configs given at creation are the topic's; a bad one refuses the topic; deleting the
    // topic forgets them.
    let created = NewTopic {
        name: "with-configs".into(),
        partitions: 3,
        replication_factor: 1,
        configs: vec![("retention.ms".into(), "1000".into())],
    };
    admin.create_topic(&created).await.unwrap();
    let configs = admin
        .describe_configs(&ConfigResource::Topic("with-configs".into()))
        .await
        .unwrap();
    assert_eq!(get(&configs, "retention.ms").value.as_deref(), Some("1000"));
    assert_eq!(get(&configs, "retention.ms").source, ConfigSource::Topic);
    let e = admin
        .create_topic(&NewTopic {
            name: "bad-configs".into(),
            configs: vec![("retention.ms".into(), "soon".into())],
            ..created.clone()
        })
        .await
        .unwrap_err();
    assert_eq!(e.kafka_code(), Some(ErrorCode::INVALID_CONFIG), "{e}");
    admin.delete_topic("with-configs").await.unwrap();
    admin
        .create_topic(&NewTopic {
            configs: vec![],
            ..created
        })
        .await
        .unwrap();
    let configs = admin
        .describe_configs(&ConfigResource::Topic("with-configs".into()))
        .await
        .unwrap();
    assert_eq!(get(&configs, "retention.ms").source, ConfigSource::Default);

    // A broker: static values from the cluster's settings, then a dynamic one.
    let broker = ConfigResource::Broker(1);
    let configs = admin.describe_configs(&broker).await.unwrap();
    assert_eq!(
        get(&configs, "num.partitions").source,
        ConfigSource::StaticBroker
    );
    admin
        .alter_configs(
            &broker,
            &[AlterOp::Set("log.retention.hours".into(), "1".into())],
        )
        .await
        .unwrap();
    let configs = admin.describe_configs(&broker).await.unwrap();
    assert_eq!(
        get(&configs, "log.retention.hours").source,
        ConfigSource::DynamicBroker
    );
    // A group's.
    let group = ConfigResource::Group("g".into());
    admin
        .alter_configs(
            &group,
            &[AlterOp::Set(
                "consumer.session.timeout.ms".into(),
                "30000".into(),
            )],
        )
        .await
        .unwrap();
    let configs = admin.describe_configs(&group).await.unwrap();
    assert_eq!(
        get(&configs, "consumer.session.timeout.ms")
            .value
            .as_deref(),
        Some("30000")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_listed_described_reset_and_deleted() {
    let (c, admin) = setup(3).await;
    for p in 0..2 {
        produce(&admin, p, 5).await;
    }
    let mut consumer = ottla_tests::consumer(
        &c.bootstrap(),
        &[
            ("group.id", "g"),
            ("client.id", "reader"),
            ("auto.offset.reset", "earliest"),
            ("enable.auto.commit", "false"),
            ("heartbeat.interval.ms", "100"),
        ],
    )
    .await;
    consumer.subscribe(["t"]).unwrap();
    let mut read = 0;
    while read < 10 {
        read += consumer
            .recv_batch(10 - read, Duration::from_secs(30))
            .await
            .unwrap()
            .len();
    }
    consumer.commit().await.unwrap();

    let listed = admin.list_groups().await.unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].group_id, "g");
    assert_eq!(listed[0].state.as_deref(), Some("Stable"));
    assert_eq!(Some(listed[0].coordinator), c.group_coordinator("g"));
    let d = admin.describe_group("g").await.unwrap();
    assert_eq!(
        (d.state.as_str(), d.protocol_type.as_str()),
        ("Stable", "consumer")
    );
    assert_eq!(d.members.len(), 1);
    let mut assigned = d.members[0].assignment.clone();
    assigned.sort();
    assert_eq!(assigned, [tp("t", 0), tp("t", 1)]);
    let lag = admin.group_lag("g").await.unwrap();
    assert!(lag.iter().all(|l| l.lag == Some(0)), "{lag:?}");
    // Members: no reset, no delete.
    let e = admin
        .reset_offsets("g", &["t"], OffsetReset::Earliest, true)
        .await
        .unwrap_err();
    assert_eq!(e.kafka_code(), Some(ErrorCode::NON_EMPTY_GROUP), "{e}");
    let e = admin.delete_groups(&["g"]).await.unwrap_err();
    assert_eq!(e.kafka_code(), Some(ErrorCode::NON_EMPTY_GROUP), "{e}");

    consumer.close().await.unwrap();
    let d = admin.describe_group("g").await.unwrap();
    assert_eq!((d.state.as_str(), d.members.len()), ("Empty", 0));
    admin
        .reset_offsets("g", &["t"], OffsetReset::Offset(2), true)
        .await
        .unwrap();
    assert_eq!(c.committed_offset("g", "t", 0), Some(2));
    admin.delete_groups(&["g"]).await.unwrap();
    assert_eq!(c.committed_offset("g", "t", 0), None);
    assert!(admin.list_groups().await.unwrap().is_empty());
    assert_eq!(admin.describe_group("g").await.unwrap().state, "Dead");
    let e = admin.delete_groups(&["g"]).await.unwrap_err();
    assert_eq!(e.kafka_code(), Some(ErrorCode::GROUP_ID_NOT_FOUND), "{e}");
}

#[tokio::test]
async fn acls_scram_credentials_and_quotas() {
    let (_c, admin) = setup(1).await;
    let binding = |operation, permission| AclBinding {
        resource_type: ResourceType::Topic,
        resource_name: "t".into(),
        pattern_type: PatternType::Literal,
        principal: "User:alice".into(),
        host: "*".into(),
        operation,
        permission,
    };
    let prefixed = AclBinding {
        resource_type: ResourceType::Group,
        resource_name: "team-".into(),
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
    let mut seen = admin.describe_acls(&AclFilter::any()).await.unwrap();
    seen.sort();
    assert_eq!(seen, want);
    let on_topic = admin
        .describe_acls(&AclFilter::resource(ResourceType::Topic, "t"))
        .await
        .unwrap();
    assert_eq!(on_topic.len(), 2);
    let matching = admin
        .describe_acls(&AclFilter {
            pattern_type: PatternType::Match,
            ..AclFilter::resource(ResourceType::Group, "team-blue")
        })
        .await
        .unwrap();
    assert_eq!(matching, [prefixed]);
    let deleted = admin
        .delete_acls(&[AclFilter::from(&acls[1])])
        .await
        .unwrap();
    assert_eq!(deleted, [acls[1].clone()]);
    assert_eq!(
        admin.describe_acls(&AclFilter::any()).await.unwrap().len(),
        2
    );

    admin
        .set_scram_password("bob", ScramAlgorithm::Sha256, "secret", 8192)
        .await
        .unwrap();
    admin
        .set_scram_password("bob", ScramAlgorithm::Sha512, "secret", 4096)
        .await
        .unwrap();
    let users = admin.describe_scram_users(&["bob"]).await.unwrap();
    assert_eq!(users.len(), 1);
    let mut creds: Vec<(ScramAlgorithm, i32)> = users[0]
        .credentials
        .iter()
        .map(|c| (c.mechanism, c.iterations))
        .collect();
    creds.sort_by_key(|c| c.1);
    assert_eq!(
        creds,
        [
            (ScramAlgorithm::Sha512, 4096),
            (ScramAlgorithm::Sha256, 8192)
        ]
    );
    let e = admin
        .set_scram_password("bob", ScramAlgorithm::Sha256, "x", 1000)
        .await
        .unwrap_err();
    assert_eq!(
        e.kafka_code(),
        Some(ErrorCode::UNACCEPTABLE_CREDENTIAL),
        "{e}"
    );
    admin
        .delete_scram_credential("bob", ScramAlgorithm::Sha256)
        .await
        .unwrap();
    admin
        .delete_scram_credential("bob", ScramAlgorithm::Sha512)
        .await
        .unwrap();
    let e = admin.describe_scram_users(&["bob"]).await.unwrap_err();
    assert_eq!(e.kafka_code(), Some(ErrorCode::RESOURCE_NOT_FOUND), "{e}");

    let user = QuotaEntity::User(Some("alice".into()));
    let default_client = QuotaEntity::ClientId(None);
    admin
        .alter_client_quotas(
            &user,
            &[
                ("producer_byte_rate", Some(1024.0)),
                ("consumer_byte_rate", Some(2048.0)),
            ],
        )
        .await
        .unwrap();
    admin
        .alter_client_quotas(&default_client, &[("request_percentage", Some(50.0))])
        .await
        .unwrap();
    let q = admin.describe_client_quotas(&user).await.unwrap();
    assert_eq!(
        q,
        BTreeMap::from([
            ("consumer_byte_rate".to_owned(), 2048.0),
            ("producer_byte_rate".to_owned(), 1024.0)
        ])
    );
    let q = admin.describe_client_quotas(&default_client).await.unwrap();
    assert_eq!(q, BTreeMap::from([("request_percentage".to_owned(), 50.0)]));
    admin
        .alter_client_quotas(&user, &[("producer_byte_rate", None)])
        .await
        .unwrap();
    let q = admin.describe_client_quotas(&user).await.unwrap();
    assert_eq!(q.keys().collect::<Vec<_>>(), ["consumer_byte_rate"]);
    let e = admin
        .alter_client_quotas(&user, &[("bogus_rate", Some(1.0))])
        .await
        .unwrap_err();
    assert_eq!(e.kafka_code(), Some(ErrorCode::INVALID_REQUEST), "{e}");
}
