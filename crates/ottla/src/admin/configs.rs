//! Configs of topics, brokers and groups: described, and altered key by key
//! (IncrementalAlterConfigs, KIP-339).

use ottla_protocol::messages::describe_configs_request::DescribeConfigsResource;
use ottla_protocol::messages::incremental_alter_configs_request::{
    AlterConfigsResource, AlterableConfig,
};
use ottla_protocol::messages::{ApiKey, DescribeConfigsRequest, IncrementalAlterConfigsRequest};
use ottla_protocol::StrBytes;

use super::{check, Admin};
use crate::Error;

/// What a config belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigResource {
    /// A topic.
    Topic(String),
    /// A broker (by node id; its dynamic configs).
    Broker(i32),
    /// A consumer group (KIP-848 group configs, Kafka 4.0+).
    Group(String),
}

impl ConfigResource {
    fn wire(&self) -> (i8, String) {
        match self {
            ConfigResource::Topic(t) => (2, t.clone()),
            ConfigResource::Broker(id) => (4, id.to_string()),
            ConfigResource::Group(g) => (32, g.clone()),
        }
    }
}

/// Where a config's value comes from (DescribeConfigs' `config_source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigSource {
    /// Set on this topic.
    Topic,
    /// Set on this broker, dynamically.
    DynamicBroker,
    /// Set dynamically for every broker.
    DynamicDefaultBroker,
    /// The broker's server.properties.
    StaticBroker,
    /// Kafka's default.
    Default,
    /// A dynamic logger level.
    DynamicBrokerLogger,
    /// A client metrics subscription.
    ClientMetrics,
    /// Set on this group.
    Group,
    /// A source this client does not know.
    Unknown,
}

impl ConfigSource {
    fn from_wire(code: i8) -> Self {
        match code {
            1 => Self::Topic,
            2 => Self::DynamicBroker,
            3 => Self::DynamicDefaultBroker,
            4 => Self::StaticBroker,
            5 => Self::Default,
            6 => Self::DynamicBrokerLogger,
            7 => Self::ClientMetrics,
            8 => Self::Group,
            _ => Self::Unknown,
        }
    }
}

/// One config as DescribeConfigs shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigEntry {
    /// Its key.
    pub name: String,
    /// Its value (`None` for sensitive values and unset ones).
    pub value: Option<String>,
    /// Where its value comes from.
    pub source: ConfigSource,
    /// A password or key: the broker does not say its value.
    pub sensitive: bool,
    /// Cannot be changed.
    pub read_only: bool,
}

/// A change to one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlterOp {
    /// Sets the key.
    Set(String, String),
    /// Back to the default.
    Delete(String),
    /// Adds to a list value.
    Append(String, String),
    /// Removes from a list value.
    Subtract(String, String),
}

impl Admin {
    /// Every config of `resource`.
    pub async fn describe_configs(
        &self,
        resource: &ConfigResource,
    ) -> Result<Vec<ConfigEntry>, Error> {
        let (kind, name) = resource.wire();
        let request = DescribeConfigsRequest::default().with_resources(vec![
            DescribeConfigsResource::default()
                .with_resource_type(kind)
                .with_resource_name(StrBytes::from_string(name.clone())),
        ]);
        let response = match resource {
            ConfigResource::Broker(id) => self.client.send_to(*id, &request).await?,
            _ => self.client.send_to_any(&request).await?,
        };
        let mut out = Vec::new();
        for r in &response.results {
            check(
                ApiKey::DescribeConfigs,
                r.error_code,
                || format!("{resource:?}"),
                r.error_message.as_ref(),
            )?;
            out.extend(r.configs.iter().map(|c| ConfigEntry {
                name: c.name.to_string(),
                value: c.value.as_ref().map(|v| v.to_string()),
                source: ConfigSource::from_wire(c.config_source),
                sensitive: c.is_sensitive,
                read_only: c.read_only,
            }));
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Applies `ops` to `resource`'s configs (all or none).
    pub async fn alter_configs(
        &self,
        resource: &ConfigResource,
        ops: &[AlterOp],
    ) -> Result<(), Error> {
        let (kind, name) = resource.wire();
        let configs = ops
            .iter()
            .map(|op| {
                let (key, code, value) = match op {
                    AlterOp::Set(k, v) => (k, 0, Some(v)),
                    AlterOp::Delete(k) => (k, 1, None),
                    AlterOp::Append(k, v) => (k, 2, Some(v)),
                    AlterOp::Subtract(k, v) => (k, 3, Some(v)),
                };
                AlterableConfig::default()
                    .with_name(StrBytes::from_string(key.clone()))
                    .with_config_operation(code)
                    .with_value(value.map(|v| StrBytes::from_string(v.clone())))
            })
            .collect();
        let request = IncrementalAlterConfigsRequest::default().with_resources(vec![
            AlterConfigsResource::default()
                .with_resource_type(kind)
                .with_resource_name(StrBytes::from_string(name))
                .with_configs(configs),
        ]);
        let response = match resource {
            ConfigResource::Broker(id) => self.client.send_to(*id, &request).await?,
            _ => self.client.send_to_any(&request).await?,
        };
        for r in &response.responses {
            check(
                ApiKey::IncrementalAlterConfigs,
                r.error_code,
                || format!("{resource:?}"),
                r.error_message.as_ref(),
            )?;
        }
        Ok(())
    }
}
