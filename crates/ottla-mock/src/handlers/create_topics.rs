//! CreateTopics: checks names, partition counts, replication factors and manual assignments as
//! Kafka does; `validate_only` checks without creating. Any broker accepts it (KRaft brokers
//! forward to the controller). Topic configs are checked (INVALID_CONFIG) and kept, as
//! DescribeConfigs shows them.

use std::collections::HashMap;

use kafka_protocol::messages::create_topics_request::CreatableTopic;
use kafka_protocol::messages::create_topics_response::CreatableTopicResult;
use kafka_protocol::messages::{CreateTopicsRequest, CreateTopicsResponse};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;

use super::Ctx;
use crate::config_store::{Op, TOPIC};
use crate::state::{validate_topic_name, ClusterState, MAX_PARTITIONS};

/// A refusal: error code and message.
type Refusal = (i16, String);

pub(crate) fn handle(ctx: &Ctx<'_>, request: CreateTopicsRequest) -> CreateTopicsResponse {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for t in &request.topics {
        *seen.entry(t.name.0.as_str()).or_default() += 1;
    }
    let mut state = ctx.shared.lock();
    let mut created = false;
    let mut results = Vec::with_capacity(request.topics.len());
    for t in &request.topics {
        let name = t.name.0.as_str();
        let result = CreatableTopicResult::default().with_name(t.name.clone());
        let planned = if let Some(code) = ctx.injected.topic(name) {
            Err((code, "injected by a test fault".to_owned()))
        } else if seen.get(name).copied().unwrap_or(0) > 1 {
            Err((
                ResponseError::InvalidRequest.code(),
                format!("topic {name:?} appears more than once in the request"),
            ))
        } else {
            plan(&state, t).and_then(|assignment| {
                // Checked like IncrementalAlterConfigs' SET, nothing stored yet.
                state
                    .configs
                    .alter(TOPIC, name, &config_ops(t), true)
                    .map(|()| assignment)
            })
        };
        results.push(match planned {
            Ok(assignment) => {
                let partitions = i32::try_from(assignment.len()).unwrap_or(i32::MAX);
                let rf = assignment
                    .first()
                    .map_or(0, |r| i16::try_from(r.len()).unwrap_or(i16::MAX));
                let result = result
                    .with_error_message(None)
                    .with_num_partitions(partitions)
                    .with_replication_factor(rf);
                if request.validate_only {
                    result
                } else {
                    created = true;
                    let id = state.add_topic(name, assignment);
                    // Checked above.
                    let _ = state.configs.alter(TOPIC, name, &config_ops(t), false);
                    result.with_topic_id(id)
                }
            }
            Err((code, message)) => {
                tracing::debug!(node = ctx.node, topic = name, code, %message, "create topic refused");
                result
                    .with_error_code(code)
                    .with_error_message(Some(StrBytes::from_string(message)))
            }
        });
    }
    drop(state);
    if created {
        ctx.shared.notify_changed();
    }
    CreateTopicsResponse::default().with_topics(results)
}

/// The topic's configs as SET operations.
fn config_ops(t: &CreatableTopic) -> Vec<(String, Op, Option<String>)> {
    t.configs
        .iter()
        .map(|c| {
            (
                c.name.to_string(),
                Op::Set,
                c.value.as_ref().map(|v| v.to_string()),
            )
        })
        .collect()
}

/// The replica lists the topic would get, or why it cannot be created.
fn plan(state: &ClusterState, t: &CreatableTopic) -> Result<Vec<Vec<i32>>, Refusal> {
    let name = t.name.0.as_str();
    validate_topic_name(name).map_err(|m| (ResponseError::InvalidTopicException.code(), m))?;
    if state.topics.contains_key(name) {
        return Err((
            ResponseError::TopicAlreadyExists.code(),
            format!("topic {name:?} already exists"),
        ));
    }
    if !t.assignments.is_empty() {
        return manual_assignment(state, t);
    }
    let partitions = match t.num_partitions {
        -1 => state.settings.default_partitions,
        n => n,
    };
    if !(1..=MAX_PARTITIONS).contains(&partitions) {
        return Err((
            ResponseError::InvalidPartitions.code(),
            format!("number of partitions must be 1 to {MAX_PARTITIONS}, got {partitions}"),
        ));
    }
    let rf = match t.replication_factor {
        -1 => state.settings.default_replication_factor,
        n => n,
    };
    let running = state.running_nodes().len();
    if rf < 1 || usize::try_from(rf).unwrap_or(0) > running {
        return Err((
            ResponseError::InvalidReplicationFactor.code(),
            format!("replication factor {rf} with {running} running brokers"),
        ));
    }
    Ok(state.assign_replicas(partitions, rf))
}

fn manual_assignment(state: &ClusterState, t: &CreatableTopic) -> Result<Vec<Vec<i32>>, Refusal> {
    if t.num_partitions != -1 || t.replication_factor != -1 {
        return Err((
            ResponseError::InvalidRequest.code(),
            "both a replica assignment and a partition count or replication factor were given"
                .to_owned(),
        ));
    }
    let invalid = |m: String| (ResponseError::InvalidReplicaAssignment.code(), m);
    let mut by_index: Vec<Option<Vec<i32>>> = vec![None; t.assignments.len()];
    for a in &t.assignments {
        let slot = usize::try_from(a.partition_index)
            .ok()
            .and_then(|i| by_index.get_mut(i))
            .ok_or_else(|| {
                invalid(format!(
                    "partition {} is outside 0..{}",
                    a.partition_index,
                    t.assignments.len()
                ))
            })?;
        if slot.is_some() {
            return Err(invalid(format!(
                "partition {} is assigned twice",
                a.partition_index
            )));
        }
        let replicas: Vec<i32> = a.broker_ids.iter().map(|b| b.0).collect();
        if replicas.is_empty() {
            return Err(invalid(format!(
                "partition {} has no replicas",
                a.partition_index
            )));
        }
        for (i, r) in replicas.iter().enumerate() {
            if !state.brokers.contains_key(r) {
                return Err(invalid(format!("broker {r} does not exist")));
            }
            if replicas.iter().take(i).any(|x| x == r) {
                return Err(invalid(format!("broker {r} is listed twice")));
            }
        }
        *slot = Some(replicas);
    }
    Ok(by_index.into_iter().flatten().collect())
}
