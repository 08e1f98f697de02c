//! How metadata is printed.

use std::fmt::Write;

use ottla::cluster::ClusterMetadata;
use serde::Serialize;

#[derive(Serialize)]
struct JsonMetadata<'a> {
    cluster_id: Option<&'a str>,
    controller_id: Option<i32>,
    brokers: Vec<JsonBroker<'a>>,
    topics: Vec<JsonTopic<'a>>,
}

#[derive(Serialize)]
struct JsonBroker<'a> {
    id: i32,
    host: &'a str,
    port: u16,
    rack: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonTopic<'a> {
    name: &'a str,
    error: Option<String>,
    partitions: Vec<JsonPartition<'a>>,
}

#[derive(Serialize)]
struct JsonPartition<'a> {
    partition: i32,
    leader: Option<i32>,
    leader_epoch: i32,
    replicas: &'a [i32],
    isrs: &'a [i32],
    error: Option<String>,
}

fn error_name(code: ottla::protocol::error_code::ErrorCode) -> Option<String> {
    code.is_err().then(|| code.name().to_owned())
}

/// Metadata as JSON (one document, newline-terminated).
pub fn metadata_json(m: &ClusterMetadata, only: Option<&str>) -> Result<String, serde_json::Error> {
    let doc = JsonMetadata {
        cluster_id: m.cluster_id.as_deref(),
        controller_id: m.controller_id,
        brokers: m
            .brokers
            .values()
            .map(|b| JsonBroker {
                id: b.node_id,
                host: &b.host,
                port: b.port,
                rack: b.rack.as_deref(),
            })
            .collect(),
        topics: m
            .topics
            .values()
            .filter(|t| only.is_none_or(|o| o == t.name))
            .map(|t| JsonTopic {
                name: &t.name,
                error: error_name(t.error),
                partitions: t
                    .partitions
                    .values()
                    .map(|p| JsonPartition {
                        partition: p.partition,
                        leader: p.leader,
                        leader_epoch: p.leader_epoch,
                        replicas: &p.replicas,
                        isrs: &p.isr,
                        error: error_name(p.error),
                    })
                    .collect(),
            })
            .collect(),
    };
    let mut s = serde_json::to_string_pretty(&doc)?;
    s.push('\n');
    Ok(s)
}

/// Metadata as text, in the manner of `kcat -L`.
pub fn metadata_text(m: &ClusterMetadata, only: Option<&str>) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Metadata for {} (cluster {}):",
        only.map_or("all topics".to_owned(), |t| format!("topic {t}")),
        m.cluster_id.as_deref().unwrap_or("unknown")
    );
    let _ = writeln!(s, " {} broker(s):", m.brokers.len());
    for b in m.brokers.values() {
        let controller = if Some(b.node_id) == m.controller_id {
            " (controller)"
        } else {
            ""
        };
        let _ = writeln!(
            s,
            "  broker {} at {}:{}{controller}",
            b.node_id, b.host, b.port
        );
    }
    let topics: Vec<_> = m
        .topics
        .values()
        .filter(|t| only.is_none_or(|o| o == t.name))
        .collect();
    let _ = writeln!(s, " {} topic(s):", topics.len());
    for t in topics {
        let err = error_name(t.error)
            .map(|e| format!(" error: {e}"))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "  topic \"{}\" with {} partition(s):{err}",
            t.name,
            t.partitions.len()
        );
        for p in t.partitions.values() {
            let join = |v: &[i32]| v.iter().map(i32::to_string).collect::<Vec<_>>().join(",");
            let leader = p.leader.map_or("none".to_owned(), |l| l.to_string());
            let err = error_name(p.error)
                .map(|e| format!(", error: {e}"))
                .unwrap_or_default();
            let _ = writeln!(
                s,
                "    partition {}, leader {leader}, replicas: {}, isrs: {}{err}",
                p.partition,
                join(&p.replicas),
                join(&p.isr)
            );
        }
    }
    s
}
