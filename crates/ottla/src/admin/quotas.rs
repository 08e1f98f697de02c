//! Client quotas (KIP-546): produce and fetch byte rates, request percentage and connection
//! rates for a user, a client id, both, or an IP — what `kafka-configs.sh --entity-type
//! clients|users|ips` changes.

use std::collections::BTreeMap;

use ottla_protocol::messages::alter_client_quotas_request::{EntityData, EntryData, OpData};
use ottla_protocol::messages::describe_client_quotas_request::ComponentData;
use ottla_protocol::messages::{AlterClientQuotasRequest, ApiKey, DescribeClientQuotasRequest};
use ottla_protocol::StrBytes;

use super::{check, Admin};
use crate::Error;

/// Who a quota applies to. `None` names the default entity (Kafka's `<default>`).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuotaEntity {
    /// A `client.id`.
    ClientId(Option<String>),
    /// A (SASL or TLS) user.
    User(Option<String>),
    /// A user's connections with one `client.id`.
    UserClientId(Option<String>, Option<String>),
    /// Connections from an IP address (`connection_creation_rate`).
    Ip(Option<String>),
}

impl QuotaEntity {
    fn components(&self) -> Vec<(&'static str, Option<&str>)> {
        match self {
            QuotaEntity::ClientId(c) => vec![("client-id", c.as_deref())],
            QuotaEntity::User(u) => vec![("user", u.as_deref())],
            QuotaEntity::UserClientId(u, c) => {
                vec![("user", u.as_deref()), ("client-id", c.as_deref())]
            }
            QuotaEntity::Ip(ip) => vec![("ip", ip.as_deref())],
        }
    }

    fn describe(&self) -> String {
        self.components()
            .iter()
            .map(|(t, n)| format!("{t}={}", n.unwrap_or("<default>")))
            .collect::<Vec<_>>()
            .join(",")
    }
}

impl Admin {
    /// Sets (`Some`) or removes (`None`) quotas of `entity`: `producer_byte_rate`,
    /// `consumer_byte_rate`, `request_percentage`, `controller_mutation_rate`,
    /// `connection_creation_rate` (IPs).
    pub async fn alter_client_quotas(
        &self,
        entity: &QuotaEntity,
        quotas: &[(&str, Option<f64>)],
    ) -> Result<(), Error> {
        let entity_data = entity
            .components()
            .into_iter()
            .map(|(t, n)| {
                EntityData::default()
                    .with_entity_type(StrBytes::from_static_str(t))
                    .with_entity_name(n.map(|n| StrBytes::from_string(n.to_owned())))
            })
            .collect();
        let ops = quotas
            .iter()
            .map(|(key, value)| {
                OpData::default()
                    .with_key(StrBytes::from_string((*key).to_owned()))
                    .with_value(value.unwrap_or(0.0))
                    .with_remove(value.is_none())
            })
            .collect();
        let request = AlterClientQuotasRequest::default().with_entries(vec![EntryData::default()
            .with_entity(entity_data)
            .with_ops(ops)]);
        let response = self.client.send_to_any(&request).await?;
        for e in &response.entries {
            check(
                ApiKey::AlterClientQuotas,
                e.error_code,
                || entity.describe(),
                e.error_message.as_ref(),
            )?;
        }
        Ok(())
    }

    /// The quotas set for exactly `entity`, by key.
    pub async fn describe_client_quotas(
        &self,
        entity: &QuotaEntity,
    ) -> Result<BTreeMap<String, f64>, Error> {
        let components = entity
            .components()
            .into_iter()
            .map(|(t, n)| {
                ComponentData::default()
                    .with_entity_type(StrBytes::from_static_str(t))
                    // 0: exactly this name; 1: the default entity.
                    .with_match_type(if n.is_some() { 0 } else { 1 })
                    .with_match(n.map(|n| StrBytes::from_string(n.to_owned())))
            })
            .collect();
        let request = DescribeClientQuotasRequest::default()
            .with_components(components)
            .with_strict(true);
        let response = self.client.send_to_any(&request).await?;
        check(
            ApiKey::DescribeClientQuotas,
            response.error_code,
            || entity.describe(),
            response.error_message.as_ref(),
        )?;
        Ok(response
            .entries
            .unwrap_or_default()
            .into_iter()
            .flat_map(|e| e.values)
            .map(|v| (v.key.to_string(), v.value))
            .collect())
    }
}
