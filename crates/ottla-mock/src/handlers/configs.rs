//! DescribeConfigs and IncrementalAlterConfigs over the [`ConfigStore`]: topics (an unknown one
//! is UNKNOWN_TOPIC_OR_PARTITION), brokers (this broker's id, or empty for the cluster-wide
//! default; another broker's id is INVALID_REQUEST, as Kafka answers a request sent to the
//! wrong broker) and groups. A broker's static values reflect the cluster's settings.
//!
//! [`ConfigStore`]: crate::config_store::ConfigStore

use kafka_protocol::messages::describe_configs_response::{
    DescribeConfigsResourceResult, DescribeConfigsResult,
};
use kafka_protocol::messages::incremental_alter_configs_response::AlterConfigsResourceResponse;
use kafka_protocol::messages::{
    DescribeConfigsRequest, DescribeConfigsResponse, IncrementalAlterConfigsRequest,
    IncrementalAlterConfigsResponse,
};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;

use super::Ctx;
use crate::config_store::{self, Op, BROKER, TOPIC};
use crate::state::ClusterState;

/// The error for a resource before its configs are looked at.
fn check_resource(
    state: &ClusterState,
    node: i32,
    resource_type: i8,
    name: &str,
) -> Result<(), (i16, String)> {
    match resource_type {
        TOPIC if !state.topics.contains_key(name) => Err((
            ResponseError::UnknownTopicOrPartition.code(),
            format!("topic {name} does not exist"),
        )),
        BROKER if !name.is_empty() && name != node.to_string() => Err((
            ResponseError::InvalidRequest.code(),
            format!("broker {name}'s configs are served by broker {name}, not {node}"),
        )),
        t if config_store::keys(t).is_none() => Err((
            ResponseError::InvalidRequest.code(),
            format!("resource type {t} is not served by the mock"),
        )),
        _ => Ok(()),
    }
}

pub(crate) fn describe(ctx: &Ctx<'_>, request: &DescribeConfigsRequest) -> DescribeConfigsResponse {
    let state = ctx.shared.lock();
    let statics = [
        (
            "auto.create.topics.enable",
            state.settings.auto_create_topics.to_string(),
        ),
        (
            "default.replication.factor",
            state.settings.default_replication_factor.to_string(),
        ),
        (
            "num.partitions",
            state.settings.default_partitions.to_string(),
        ),
    ];
    let results = request
        .resources
        .iter()
        .map(|r| {
            let name = r.resource_name.as_str();
            let result = DescribeConfigsResult::default()
                .with_resource_type(r.resource_type)
                .with_resource_name(r.resource_name.clone());
            if let Some(code) = ctx.injected.topic(name) {
                return result.with_error_code(code);
            }
            if let Err((code, message)) = check_resource(&state, ctx.node, r.resource_type, name) {
                return result
                    .with_error_code(code)
                    .with_error_message(Some(StrBytes::from_string(message)));
            }
            let overrides: &[(&str, String)] = if r.resource_type == BROKER {
                &statics
            } else {
                &[]
            };
            let configs = state
                .configs
                .describe(r.resource_type, name, overrides)
                .into_iter()
                .filter(|c| {
                    // None or empty: every key (Kafka's `includeConfig`).
                    r.configuration_keys.as_ref().is_none_or(|keys| {
                        keys.is_empty() || keys.iter().any(|k| k.as_str() == c.name)
                    })
                })
                .map(|c| {
                    DescribeConfigsResourceResult::default()
                        .with_name(StrBytes::from_static_str(c.name))
                        .with_value(Some(StrBytes::from_string(c.value)))
                        .with_read_only(c.read_only)
                        .with_config_source(c.source)
                })
                .collect();
            result.with_configs(configs)
        })
        .collect();
    DescribeConfigsResponse::default().with_results(results)
}

pub(crate) fn alter(
    ctx: &Ctx<'_>,
    request: &IncrementalAlterConfigsRequest,
) -> IncrementalAlterConfigsResponse {
    let mut state = ctx.shared.lock();
    let responses = request
        .resources
        .iter()
        .map(|r| {
            let name = r.resource_name.as_str();
            let out = AlterConfigsResourceResponse::default()
                .with_resource_type(r.resource_type)
                .with_resource_name(r.resource_name.clone());
            let outcome = if let Some(code) = ctx.injected.topic(name) {
                Err((code, "injected fault".to_owned()))
            } else {
                check_resource(&state, ctx.node, r.resource_type, name).and_then(|()| {
                    let ops = r
                        .configs
                        .iter()
                        .map(|c| {
                            Op::from_wire(c.config_operation)
                                .map(|op| {
                                    (
                                        c.name.to_string(),
                                        op,
                                        c.value.as_ref().map(|v| v.to_string()),
                                    )
                                })
                                .ok_or_else(|| {
                                    (
                                        ResponseError::InvalidRequest.code(),
                                        format!("unknown operation {}", c.config_operation),
                                    )
                                })
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    state
                        .configs
                        .alter(r.resource_type, name, &ops, request.validate_only)
                })
            };
            match outcome {
                Ok(()) => out,
                Err((code, message)) => out
                    .with_error_code(code)
                    .with_error_message(Some(StrBytes::from_string(message))),
            }
        })
        .collect();
    IncrementalAlterConfigsResponse::default().with_responses(responses)
}
