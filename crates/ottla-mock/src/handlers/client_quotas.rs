//! DescribeClientQuotas and AlterClientQuotas over the [`SecurityStore`]'s quotas (stored, not
//! enforced: use a [`Fault`](crate::Fault) with a throttle action to throttle a client).
//!
//! [`SecurityStore`]: crate::security_store::SecurityStore

use kafka_protocol::messages::alter_client_quotas_response::{
    EntityData as AlteredEntity, EntryData as AlteredEntry,
};
use kafka_protocol::messages::describe_client_quotas_response::{EntityData, EntryData, ValueData};
use kafka_protocol::messages::{
    AlterClientQuotasRequest, AlterClientQuotasResponse, DescribeClientQuotasRequest,
    DescribeClientQuotasResponse,
};
use kafka_protocol::protocol::StrBytes;

use super::Ctx;
use crate::security_store::QuotaEntity;

/// DescribeClientQuotas match types.
const MATCH_EXACT: i8 = 0;
const MATCH_DEFAULT: i8 = 1;

fn text(s: &str) -> StrBytes {
    StrBytes::from_string(s.to_owned())
}

pub(crate) fn describe(
    ctx: &Ctx<'_>,
    r: &DescribeClientQuotasRequest,
) -> DescribeClientQuotasResponse {
    if let Some(code) = ctx.injected.top_level() {
        return DescribeClientQuotasResponse::default()
            .with_error_code(code)
            .with_entries(None);
    }
    let components: Vec<(String, i8, Option<String>)> = r
        .components
        .iter()
        .map(|c| {
            (
                c.entity_type.to_string(),
                c.match_type,
                c._match.as_ref().map(|m| m.to_string()),
            )
        })
        .collect();
    let accepts = |entity: &QuotaEntity| {
        components.iter().all(|(kind, match_type, wanted)| {
            entity.iter().any(|(t, name)| {
                t == kind
                    && match *match_type {
                        MATCH_EXACT => name == wanted,
                        MATCH_DEFAULT => name.is_none(),
                        _ => name.is_some(),
                    }
            })
        }) && (!r.strict
            || entity
                .iter()
                .all(|(t, _)| components.iter().any(|(k, _, _)| k == t)))
    };
    let entries = ctx
        .shared
        .lock()
        .security
        .quotas(accepts)
        .into_iter()
        .map(|(entity, values)| {
            EntryData::default()
                .with_entity(
                    entity
                        .iter()
                        .map(|(t, n)| {
                            EntityData::default()
                                .with_entity_type(text(t))
                                .with_entity_name(n.as_deref().map(text))
                        })
                        .collect(),
                )
                .with_values(
                    values
                        .into_iter()
                        .map(|(k, v)| ValueData::default().with_key(text(&k)).with_value(v))
                        .collect(),
                )
        })
        .collect();
    DescribeClientQuotasResponse::default().with_entries(Some(entries))
}

pub(crate) fn alter(ctx: &Ctx<'_>, r: &AlterClientQuotasRequest) -> AlterClientQuotasResponse {
    let mut state = ctx.shared.lock();
    let entries = r
        .entries
        .iter()
        .map(|e| {
            let entity: QuotaEntity = e
                .entity
                .iter()
                .map(|c| {
                    (
                        c.entity_type.to_string(),
                        c.entity_name.as_ref().map(|n| n.to_string()),
                    )
                })
                .collect();
            let ops: Vec<(String, Option<f64>)> = e
                .ops
                .iter()
                .map(|o| (o.key.to_string(), (!o.remove).then_some(o.value)))
                .collect();
            let injected = entity
                .iter()
                .find_map(|(_, n)| n.as_deref().and_then(|n| ctx.injected.topic(n)));
            let outcome = match injected {
                Some(code) => Err((code, "injected fault".to_owned())),
                None => state.security.alter_quotas(entity, &ops, r.validate_only),
            };
            let out = AlteredEntry::default().with_entity(
                e.entity
                    .iter()
                    .map(|c| {
                        AlteredEntity::default()
                            .with_entity_type(c.entity_type.clone())
                            .with_entity_name(c.entity_name.clone())
                    })
                    .collect(),
            );
            match outcome {
                Ok(()) => out,
                Err((code, message)) => out
                    .with_error_code(code)
                    .with_error_message(Some(StrBytes::from_string(message))),
            }
        })
        .collect();
    AlterClientQuotasResponse::default().with_entries(entries)
}
