//! The cluster as DescribeCluster shows it.

use ottla_protocol::messages::{ApiKey, DescribeClusterRequest};

use super::{check, Admin};
use crate::Error;

/// A broker of the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterBroker {
    /// Its node id.
    pub id: i32,
    /// Its host.
    pub host: String,
    /// Its port.
    pub port: i32,
    /// Its `broker.rack`.
    pub rack: Option<String>,
    /// Fenced (not serving) brokers (DescribeCluster v1+).
    pub fenced: bool,
}

/// What DescribeCluster says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterDescription {
    /// The cluster id.
    pub cluster_id: String,
    /// The active controller, as clients see it (-1 when unknown).
    pub controller: i32,
    /// The brokers.
    pub brokers: Vec<ClusterBroker>,
}

impl Admin {
    /// The cluster id, its controller and its brokers.
    pub async fn describe_cluster(&self) -> Result<ClusterDescription, Error> {
        let response = self
            .client
            .send_to_any(&DescribeClusterRequest::default())
            .await?;
        check(
            ApiKey::DescribeCluster,
            response.error_code,
            || "cluster".into(),
            response.error_message.as_ref(),
        )?;
        let mut brokers: Vec<ClusterBroker> = response
            .brokers
            .iter()
            .map(|b| ClusterBroker {
                id: b.broker_id.0,
                host: b.host.to_string(),
                port: b.port,
                rack: b.rack.as_ref().map(|r| r.to_string()),
                fenced: b.is_fenced,
            })
            .collect();
        brokers.sort_by_key(|b| b.id);
        Ok(ClusterDescription {
            cluster_id: response.cluster_id.to_string(),
            controller: response.controller_id.0,
            brokers,
        })
    }
}
