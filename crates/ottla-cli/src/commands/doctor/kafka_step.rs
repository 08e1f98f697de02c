//! The Kafka step: does the listener answer ApiVersions on this connection? A TLS listener
//! spoken to in plaintext shows here (it answers with a TLS alert, closes, or says nothing).

use ottla_tls::{ConnectOptions, Transport};
use serde_json::json;

use super::connect_failure;
use super::probe::{Probe, ProbeError};
use super::report::Step;
use super::target::Target;

/// Sends ApiVersions on `transport` (the TLS step's), or on a new plaintext connection.
pub async fn kafka(target: &Target, transport: Option<Transport>) -> Result<(Step, Probe), Step> {
    let transport = match transport {
        Some(t) => t,
        None => {
            let options = ConnectOptions {
                setup_timeout: target.setup_timeout(),
                tls: None,
            };
            ottla_tls::connect(&target.host, target.port, &options)
                .await
                .map_err(|e| {
                    let d = connect_failure::describe(&e, target, &target.host, target.port);
                    Step::fail("Kafka", d.summary)
                        .detail(d.detail)
                        .hints(d.hints)
                })?
        }
    };
    let mut probe = Probe::new(transport, target.probe_timeout());
    match probe.api_versions().await {
        Ok(answer) if answer.error.is_ok() => {
            let step = Step::ok(
                "Kafka",
                format!("ApiVersions answered: {} APIs", answer.api_count),
            )
            .data(json!({ "api_count": answer.api_count }));
            Ok((step, probe))
        }
        Ok(answer) => Err(
            Step::fail("Kafka", format!("ApiVersions v0 failed: {}", answer.error))
                .hints(["the listener does not speak a Kafka version ottla knows".to_owned()]),
        ),
        Err(e) => Err(failure(&e, target)),
    }
}

fn failure(e: &ProbeError, target: &Target) -> Step {
    if let Some(tls) = e.tls() {
        let d = connect_failure::describe(tls, target, &target.host, target.port);
        return Step::fail("Kafka", d.summary)
            .detail(d.detail)
            .hints(d.hints);
    }
    let uses_tls = target.protocol().uses_tls();
    let port = target.port;
    let wants_tls = format!(
        "port {port} is a TLS listener: set security.protocol={}",
        if target.protocol().uses_sasl() {
            "SASL_SSL"
        } else {
            "SSL (or SASL_SSL)"
        }
    );
    let summary = format!("no Kafka answer to ApiVersions: {e}");
    let mut hints = Vec::new();
    match e {
        ProbeError::TlsRecord => {
            return Step::fail(
                "Kafka",
                "the listener answered with TLS, not Kafka: it expects a TLS handshake",
            )
            .hints([wants_tls])
            .hints(target.port_hints.iter().cloned());
        }
        ProbeError::Closed { .. } | ProbeError::Timeout(_) | ProbeError::Io(_) if !uses_tls => {
            hints.extend(target.port_hints.iter().cloned());
            hints.push(format!(
                "{wants_tls} (a TLS listener closes or waits when it gets plaintext)"
            ));
            hints.push(format!("port {port} is not a Kafka listener"));
        }
        ProbeError::Closed { .. } | ProbeError::Io(_) => {
            hints.push(
                "the broker rejected our client certificate after the handshake (TLS 1.3 \
                 reports it only now): check ssl.certificate.location and ssl.key.location"
                    .to_owned(),
            );
            hints.push(format!(
                "the TLS endpoint on port {port} is not a Kafka listener (a proxy or load \
                 balancer in front of something else?)"
            ));
        }
        ProbeError::Timeout(_) => {
            hints.push(format!(
                "the TLS endpoint on port {port} does not forward to a Kafka broker, or the \
                 broker is overloaded"
            ));
        }
        ProbeError::Frame(_) | ProbeError::Protocol(_) => {
            hints.extend(target.port_hints.iter().cloned());
            hints.push(format!(
                "port {port} is not a Kafka listener (the answer is not a Kafka response)"
            ));
        }
    }
    Step::fail("Kafka", summary).hints(hints)
}
