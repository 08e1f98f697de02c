//! An in-process fake Kafka cluster for ottla's tests, in the spirit of franz-go's `kfake`.
//!
//! [`MockCluster`] runs N brokers (node ids `1..=N`) on loopback ports, all serving one
//! in-memory state on the caller's tokio runtime. It answers, at exactly the versions ottla's
//! client speaks ([`ottla_protocol::versions::client_range`]):
//!
//! | API | what it does |
//! |---|---|
//! | ApiVersions | the ranges below; an unknown version gets UNSUPPORTED_VERSION in v0 |
//! | Metadata | running brokers, cluster id, controller, topics with leader/replicas/ISR |
//! | Produce | checks the batch (magic, length, CRC), assigns offsets; an idempotent producer's retry of one of its last five batches gets the original offset (counted: [`MockCluster::duplicate_batches`]), an older epoch INVALID_PRODUCER_EPOCH, a sequence gap OUT_OF_ORDER_SEQUENCE_NUMBER; transactional batches only to partitions added to the producer's ongoing transaction |
//! | Fetch | whole batches from the fetch offset, byte limits, long-poll woken by appends; READ_COMMITTED stops at the last stable offset and lists aborted transactions |
//! | ListOffsets | earliest, latest (the last stable offset for READ_COMMITTED), max timestamp, by timestamp |
//! | FindCoordinator | group and transaction coordinators, one key (v0–v3) or a batch (v4+) |
//! | InitProducerId | producer ids from 1000; per transactional id: epoch bumps (KIP-360), fencing and aborting an ongoing transaction |
//! | AddPartitionsToTxn (v0–v3) / AddOffsetsToTxn | start a transaction and add partitions or a group |
//! | TxnOffsetCommit | offsets held until the transaction ends ([`MockCluster::committed_offset`]) |
//! | EndTxn | COMMIT or ABORT markers on every partition of the transaction; offsets published or dropped |
//! | CreateTopics / DeleteTopics | with `validate_only` and Kafka's error codes |
//! | DescribeCluster, CreatePartitions, DeleteRecords | the running brokers; growing a topic; moving a log start |
//! | DescribeConfigs / IncrementalAlterConfigs | topics, brokers and groups over a fixed key table (SET, DELETE, APPEND, SUBTRACT) |
//! | ListGroups / DescribeGroups / DeleteGroups | the groups a coordinator holds |
//! | ConsumerGroupHeartbeat / ConsumerGroupDescribe | KIP-848 groups: the coordinator assigns (range), members revoke before others get a partition, member epochs |
//! | ACLs, SCRAM credentials, client quotas | Describe/Create/DeleteAcls, Describe/AlterUserScramCredentials, Describe/AlterClientQuotas: stored and described, not enforced |
//! | SaslHandshake (v1) / SaslAuthenticate (v0–v2) | only with [`MockClusterBuilder::sasl`]: PLAIN, SCRAM-SHA-256/512, OAUTHBEARER, Amazon MSK IAM ([`MockIam`]: OAUTHBEARER IAM tokens and `AWS_MSK_IAM`, SigV4 verified server-side), KIP-368 session lifetime and re-authentication |
//!
//! With SASL enabled ([`MockSasl`]) a connection must authenticate before anything but
//! ApiVersions, as on Kafka's `SASL_PLAINTEXT` listener: another request closes it; a failed
//! exchange is answered SASL_AUTHENTICATION_FAILED (58) and closes it; a request after the
//! session lifetime closes it unless it re-authenticates. [`MockCluster::sasl_count`] and
//! [`MockCluster::sasl_principals`] report what happened. SaslHandshake v0 (raw tokens) is not
//! served.
//!
//! Any other API key closes the connection, as a real broker does; so does a malformed request.
//!
//! Transactions follow Kafka 3.x's coordinator: requests for a transactional id or group must
//! go to its coordinator (else NOT_COORDINATOR; see [`MockCluster::transaction_coordinator`]),
//! a second InitProducerId for a transactional id fences the first producer (and, if it had a
//! transaction ongoing, aborts it and answers CONCURRENT_TRANSACTIONS so the client retries),
//! and the fenced producer's requests get PRODUCER_FENCED or INVALID_PRODUCER_EPOCH by version.
//! Tests can lose producer state ([`MockCluster::forget_producers`]), time a transaction out
//! ([`MockCluster::expire_transaction`]) and inspect epochs, open transactions and offsets.
//!
//! Tests steer it — [`MockCluster::set_leader`], [`MockCluster::stop_broker`],
//! [`MockCluster::start_broker`], [`MockCluster::move_group_coordinator`],
//! [`MockCluster::move_transaction_coordinator`] — and inject [`Fault`]s, for every request of
//! an API or only those a predicate over the [`RequestView`] picks: error codes, delays, a
//! wrong correlation id, truncated or oversized frames, dropped connections, "appended but the
//! response was lost", and KIP-219 throttling. They read back request counts and stored
//! batches.
//!
//! ```
//! use std::time::Duration;
//! use ottla_mock::{ApiKey, ErrorTarget, Fault, MockCluster};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), ottla_mock::MockError> {
//! let cluster = MockCluster::builder()
//!     .brokers(3)
//!     .topic("orders", 6)
//!     .start()
//!     .await?;
//! // Point the client under test at this.
//! let bootstrap: String = cluster.bootstrap();
//! assert_eq!(bootstrap.split(',').count(), 3);
//! // Partition p is led by broker p % 3 + 1.
//! assert_eq!(cluster.leader("orders", 4)?, Some(2));
//!
//! // The next two Produce requests to broker 1 fail with NOT_LEADER_OR_FOLLOWER (6) for every
//! // partition; every Fetch on any broker is answered 50 ms late.
//! cluster.inject(
//!     Fault::new(ApiKey::Produce)
//!         .on_node(1)
//!         .times(2)
//!         .error(ErrorTarget::AllEntries, 6),
//! );
//! cluster.inject(Fault::new(ApiKey::Fetch).always().delay(Duration::from_millis(50)));
//!
//! // Move a partition and take a broker down and back up on the same port.
//! cluster.set_leader("orders", 0, 2)?;
//! cluster.stop_broker(3).await?;
//! cluster.start_broker(3).await?;
//!
//! assert_eq!(cluster.request_count(ApiKey::Produce), 0);
//! assert_eq!(cluster.high_watermark("orders", 0)?, 0);
//! cluster.shutdown().await;
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]

mod batch;
mod broker;
mod builder;
mod cluster;
mod config_store;
mod connection;
mod consumer_groups;
mod coordinator;
mod dispatch;
mod error;
mod fault;
mod group_coordinator;
mod groups;
mod handlers;
mod log;
mod producer_state;
mod request_view;
mod sasl;
mod security_store;
mod state;
mod stats;
mod topic_id;
mod txn_coordinator;
mod txn_markers;

pub use builder::MockClusterBuilder;
pub use cluster::MockCluster;
pub use error::MockError;
pub use fault::{ErrorTarget, Fault, FaultAction, FaultId, RequestPredicate, Times};
pub use kafka_protocol::messages::ApiKey;
pub use request_view::RequestView;
pub use sasl::{
    IamRejection, MockIam, MockSasl, OAuthValidator, SaslCounter, SaslMechanism,
    DEFAULT_SCRAM_ITERATIONS, MAX_CLOCK_SKEW, MAX_EXPIRES_SECS,
};
