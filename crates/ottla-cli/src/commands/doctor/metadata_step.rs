//! The Metadata step: brokers, controller and topics, and whether every broker can be
//! reached at the address it advertises (clients talk to all of them, not only to the
//! bootstrap server).

use std::sync::Arc;

use ottla::cluster::ClusterMetadata;
use ottla::protocol::error_code::ErrorCode;
use ottla::{Client, Error};
use ottla_tls::ConnectError;
use serde_json::json;
use tokio::task::JoinSet;

use super::connect_failure;
use super::msk_ports::{self, HostKind};
use super::report::Step;
use super::sasl_step::Connected;
use super::target::{endpoint, Target};

/// Fetches metadata (connecting first when the SASL step did not) and checks every broker.
pub async fn metadata(
    target: &Target,
    connected: Option<Connected>,
    topic: Option<&str>,
) -> Result<(Step, Client), Step> {
    let connected = match connected {
        Some(c) => c,
        None => Client::connect(target.first_server_config()).await,
    };
    let client = connected.map_err(|e| connect_failure_step(target, &e))?;
    let m = client
        .refresh_metadata()
        .await
        .map_err(|e| connect_failure_step(target, &e))?;
    let reachability = check_brokers(target, &client, &m).await;
    Ok((report(target, &m, &reachability, topic)?, client))
}

/// Why a broker could not be reached.
#[derive(Debug)]
struct Unreachable {
    /// One line.
    why: String,
    /// The client's error (none for a timeout of our own).
    error: Option<Error>,
}

/// Whether each broker accepted a connection: `(node id, why not)`.
async fn check_brokers(
    target: &Target,
    client: &Client,
    m: &ClusterMetadata,
) -> Vec<(i32, Option<Unreachable>)> {
    let wait = target.setup_timeout() + target.config.request_timeout();
    let mut set = JoinSet::new();
    for &id in m.brokers.keys() {
        let client = client.clone();
        set.spawn(async move {
            let r = match tokio::time::timeout(wait, client.connection(id)).await {
                Ok(Ok(_)) => None,
                Ok(Err(e)) => Some(Unreachable {
                    why: e.to_string(),
                    error: Some(e),
                }),
                Err(_) => Some(Unreachable {
                    why: format!("no connection within {wait:?}"),
                    error: None,
                }),
            };
            (id, r)
        });
    }
    let mut out = Vec::new();
    while let Some(joined) = set.join_next().await {
        if let Ok(r) = joined {
            out.push(r);
        }
    }
    out.sort_by_key(|(id, _)| *id);
    out
}

fn report(
    target: &Target,
    m: &Arc<ClusterMetadata>,
    reachability: &[(i32, Option<Unreachable>)],
    topic: Option<&str>,
) -> Result<Step, Step> {
    let error_of = |id: i32| {
        reachability
            .iter()
            .find(|(b, _)| *b == id)
            .and_then(|(_, e)| e.as_ref())
    };
    let mut detail = vec![format!(
        "cluster {}; controller: {}",
        m.cluster_id.as_deref().unwrap_or("(no id)"),
        m.controller_id
            .map_or("unknown".to_owned(), |c| format!("broker {c}"))
    )];
    let mut brokers_json = Vec::new();
    for b in m.brokers.values() {
        let rack = b
            .rack
            .as_deref()
            .map(|r| format!(", rack {r}"))
            .unwrap_or_default();
        let controller = if m.controller_id == Some(b.node_id) {
            ", controller"
        } else {
            ""
        };
        let reach = match error_of(b.node_id) {
            None => "reachable".to_owned(),
            Some(u) => format!("UNREACHABLE: {}", u.why),
        };
        detail.push(format!(
            "broker {} at {}{rack}{controller}: {reach}",
            b.node_id,
            endpoint(&b.host, b.port)
        ));
        brokers_json.push(json!({
            "id": b.node_id,
            "host": b.host,
            "port": b.port,
            "rack": b.rack,
            "controller": m.controller_id == Some(b.node_id),
            "error": error_of(b.node_id).map(|u| u.why.clone()),
        }));
    }
    let topics: Vec<&str> = m.topics.keys().map(String::as_str).collect();
    let data = json!({
        "cluster_id": m.cluster_id,
        "controller_id": m.controller_id,
        "brokers": brokers_json,
        "topics": topics,
    });
    let summary = format!("{} broker(s), {} topic(s)", m.brokers.len(), m.topics.len());
    let unreachable: Vec<(i32, &Unreachable)> = reachability
        .iter()
        .filter_map(|(id, e)| e.as_ref().map(|e| (*id, e)))
        .collect();
    if m.brokers.is_empty() {
        return Err(Step::fail("Metadata", "the cluster lists no brokers")
            .detail(detail)
            .data(data)
            .hints(["the brokers are not registered (still starting?)".to_owned()]));
    }
    if !unreachable.is_empty() {
        let ids = unreachable
            .iter()
            .map(|(id, _)| id.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        return Err(Step::fail(
            "Metadata",
            format!("{summary}; broker(s) {ids} cannot be reached at their advertised address"),
        )
        .detail(detail)
        .data(data)
        .hints(unreachable_hints(target, m, &unreachable)));
    }
    let mut warnings = Vec::new();
    if let Some(t) = topic {
        if !m.topics.contains_key(t) {
            warnings.push(format!(
                "topic {t} is not in the metadata (create it: ottla topics create {t} -p 1)"
            ));
        }
    }
    Ok(Step::ok("Metadata", summary)
        .detail(detail)
        .warnings(warnings)
        .data(data))
}

fn unreachable_hints(
    target: &Target,
    m: &ClusterMetadata,
    unreachable: &[(i32, &Unreachable)],
) -> Vec<String> {
    let mut hints = vec![
        "clients connect to every broker at the address it advertises (advertised.listeners), \
         not only to the bootstrap server: that address must resolve and be reachable from here"
            .to_owned(),
    ];
    for (id, u) in unreachable {
        let Some(b) = m.brokers.get(id) else { continue };
        if is_loopback(&b.host) && !is_loopback(&target.host) {
            hints.push(format!(
                "broker {id} advertises {}, a loopback address: its advertised.listeners is \
                 set for its own machine",
                b.host
            ));
        }
        if let Some(
            Error::Connection { .. }
            | Error::ClosedDuringAuthentication { .. }
            | Error::Timeout { .. }
            | Error::Version { .. },
        ) = &u.error
        {
            hints.push(format!(
                "broker {id}'s advertised address {} accepts connections but does not speak \
                 Kafka with these settings: another listener's port (a TLS listener spoken to \
                 in plaintext, or the reverse)",
                endpoint(&b.host, b.port)
            ));
        }
        if let Some(Error::Connect { source, .. }) = &u.error {
            let d = connect_failure::describe(source, target, &b.host, b.port);
            if matches!(
                source,
                ConnectError::Resolve { .. } | ConnectError::NoAddress { .. }
            ) {
                hints.push(format!(
                    "broker {id}'s name {} does not resolve here",
                    b.host
                ));
            }
            hints.extend(d.hints);
        }
    }
    if msk_ports::host_kind(&target.host) == (HostKind::Msk { public: false })
        && msk_ports::listener_on(target.port).is_some_and(|(_, public)| public)
    {
        hints.push(
            "with public access, bootstrap with the public names (b-N-public…): the brokers \
             then advertise their public names"
                .to_owned(),
        );
    }
    hints
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A failure to connect or to fetch metadata, with its likely causes.
fn connect_failure_step(target: &Target, e: &Error) -> Step {
    let step = Step::fail("Metadata", e.to_string());
    match e {
        Error::Connect { source, .. } | Error::Tls { source } => {
            let d = connect_failure::describe(source, target, &target.host, target.port);
            step.detail(d.detail).hints(d.hints)
        }
        Error::Config(c) => step.hints(c.key().map(|k| format!("check {k}"))),
        Error::Kafka { code, .. }
            if *code == ErrorCode::CLUSTER_AUTHORIZATION_FAILED
                || *code == ErrorCode::TOPIC_AUTHORIZATION_FAILED =>
        {
            step.hints([
                "the principal may not describe the cluster or its topics (Kafka ACLs: DESCRIBE)"
                    .to_owned(),
                "on MSK with IAM: the policy needs kafka-cluster:DescribeCluster and \
                 kafka-cluster:DescribeTopic"
                    .to_owned(),
            ])
        }
        Error::Bootstrap { .. } | Error::Connection { .. } | Error::Timeout { .. }
            if !target.protocol().uses_sasl() =>
        {
            // ApiVersions was answered, then the broker dropped the connection at Metadata:
            // the classic sign of a SASL listener spoken to without SASL.
            step.hints(target.port_hints.iter().cloned()).hints([
                format!(
                    "the listener requires SASL (a broker closes connections that send other \
                     requests before authenticating): set security.protocol={} and \
                     sasl.mechanism",
                    if target.protocol().uses_tls() {
                        "SASL_SSL"
                    } else {
                        "SASL_PLAINTEXT"
                    }
                ),
                "the broker is overloaded or failing (check its logs)".to_owned(),
            ])
        }
        _ => step.hints(["the broker is overloaded or failing (check its logs)".to_owned()]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_names() {
        assert!(is_loopback("localhost"));
        assert!(is_loopback("127.0.0.1"));
        assert!(is_loopback("::1"));
        assert!(!is_loopback("b-1.example"));
        assert!(!is_loopback("10.0.0.1"));
    }
}
