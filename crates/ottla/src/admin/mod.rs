//! The admin API: topics, partitions, configs, the cluster, consumer groups (list, describe,
//! delete, lag, offsets reset), offsets and record deletion, client quotas, SCRAM users and ACLs — what
//! the Java `Admin` client and `kafka-*.sh` tools do.
//!
//! | file | what |
//! |---|---|
//! | `topics.rs` | create (with configs) and delete topics, create partitions |
//! | `configs.rs` | describe configs, alter them incrementally |
//! | `cluster.rs` | describe the cluster (DescribeCluster) |
//! | `offsets.rs` | list offsets (earliest, latest, by time), delete records |
//! | `groups.rs` | list, describe, delete groups; lag; reset a group's offsets |
//! | `quotas.rs` | describe and alter client quotas (KIP-546) |
//! | `scram.rs` | describe and alter SCRAM users |
//! | `acls.rs` | describe, create and delete ACLs |
//!
//! ```no_run
//! # async fn run() -> Result<(), ottla::Error> {
//! use ottla::admin::{Admin, NewTopic};
//! let mut config = ottla::ClientConfig::builder();
//! config.bootstrap_servers("localhost:9092");
//! let admin = Admin::connect(config.build()?).await?;
//! admin
//!     .create_topic(&NewTopic {
//!         name: "orders".into(),
//!         partitions: 6,
//!         replication_factor: -1,
//!         configs: vec![("retention.ms".into(), "86400000".into())],
//!     })
//!     .await?;
//! for (partition, lag) in admin.group_lag("orders-processor").await?.iter().map(|l| (&l.partition, l.lag)) {
//!     println!("{partition}: {lag:?}");
//! }
//! # Ok(()) }
//! ```

mod acls;
mod cluster;
mod configs;
mod groups;
mod offsets;
mod quotas;
mod scram;
mod topics;

pub use acls::{AclBinding, AclFilter, AclOperation, AclPermission, PatternType, ResourceType};
pub use cluster::{ClusterBroker, ClusterDescription};
pub use configs::{AlterOp, ConfigEntry, ConfigResource, ConfigSource};
pub use groups::{OffsetReset, ResetPlan};
pub use quotas::QuotaEntity;
pub use scram::{ScramCredential, ScramUser};

pub use crate::basic::{NewTopic, OffsetSpec};
pub use crate::group::admin::{GroupDescription, GroupListing, PartitionLag};

use crate::{Client, ClientConfig, Error};

/// A handle for admin operations over one [`Client`].
#[derive(Debug, Clone)]
pub struct Admin {
    client: Client,
}

impl Admin {
    /// Connects (bootstrap and metadata).
    pub async fn connect(config: ClientConfig) -> Result<Self, Error> {
        Ok(Self {
            client: Client::connect(config).await?,
        })
    }

    /// Admin operations over an existing client.
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    /// The client underneath.
    pub fn client(&self) -> &Client {
        &self.client
    }
}

/// The error of one entry of an answer (`code` NONE: `Ok`).
fn check(
    api: crate::protocol::messages::ApiKey,
    code: i16,
    context: impl FnOnce() -> String,
    message: Option<&crate::protocol::StrBytes>,
) -> Result<(), Error> {
    let code = crate::protocol::error_code::ErrorCode(code);
    if code.is_ok() {
        return Ok(());
    }
    Err(crate::cluster::kafka_error(api, code, &context(), message))
}

/// How long the brokers may take over an admin request.
const TIMEOUT_MS: i32 = 30_000;
