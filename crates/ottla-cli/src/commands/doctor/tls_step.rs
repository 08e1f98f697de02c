//! The TLS step: handshake, the chain the broker presents, its names and expiry.

use std::time::SystemTime;

use ottla_tls::{ConnectOptions, EndpointIdentification, TlsOptions, TlsVersion, Transport};
use serde_json::json;

use super::certificate::{self, CertificateSummary};
use super::connect_failure;
use super::report::Step;
use super::target::Target;

/// The TLS settings of the client configuration, as ottla-tls takes them.
pub fn tls_options(target: &Target) -> TlsOptions {
    let t = &target.config.security().tls;
    let mut o = TlsOptions::new();
    o.ca_location = t.ca_location.clone();
    o.ca_pem = t.ca_pem.clone();
    o.certificate_location = t.certificate_location.clone();
    o.certificate_pem = t.certificate_pem.clone();
    o.key_location = t.key_location.clone();
    o.key_pem = t.key_pem.as_ref().map(|k| k.expose().to_owned());
    o.key_password = t.key_password.as_ref().map(|k| k.expose().to_owned());
    o.endpoint_identification = if t.verify_hostname {
        EndpointIdentification::Https
    } else {
        EndpointIdentification::None
    };
    o
}

/// Connects with TLS; the connection on success (the next step speaks Kafka on it).
pub async fn tls(target: &Target, now: SystemTime) -> Result<(Step, Transport), Step> {
    let fail = |e: &ottla_tls::ConnectError| {
        let d = connect_failure::describe(e, target, &target.host, target.port);
        Step::fail("TLS", d.summary).detail(d.detail).hints(d.hints)
    };
    let connector = tls_options(target).build().map_err(|e| fail(&e))?;
    let options = ConnectOptions {
        setup_timeout: target.setup_timeout(),
        tls: Some(connector),
    };
    let transport = ottla_tls::connect(&target.host, target.port, &options)
        .await
        .map_err(|e| fail(&e))?;
    let version = match transport.tls_version() {
        Some(TlsVersion::Tls13) => "TLS 1.3",
        Some(TlsVersion::Tls12) => "TLS 1.2",
        _ => "TLS",
    };
    let tls = &target.config.security().tls;
    let trust = match (&tls.ca_location, &tls.ca_pem) {
        (Some(p), _) => format!("trusting ssl.ca.location={}", p.display()),
        (None, Some(_)) => "trusting ssl.ca.pem".to_owned(),
        (None, None) => "trusting the system CAs".to_owned(),
    };
    let mut warnings = Vec::new();
    if !tls.verify_hostname {
        warnings.push(
            "host name verification is off (ssl.endpoint.identification.algorithm=none)".to_owned(),
        );
    }
    let chain: Vec<Result<CertificateSummary, String>> = transport
        .peer_certificates()
        .iter()
        .map(|der| certificate::summarize(der, now))
        .collect();
    let mut detail = vec![format!(
        "{trust}; client certificate: {}",
        if tls.certificate_location.is_some() || tls.certificate_pem.is_some() {
            "sent"
        } else {
            "none"
        }
    )];
    detail.push(format!("chain of {} certificate(s):", chain.len()));
    for (i, c) in chain.iter().enumerate() {
        match c {
            Ok(s) => {
                detail.extend(s.lines(i).into_iter().map(|l| format!("  {l}")));
                if s.expires_soon() {
                    warnings.push(format!(
                        "certificate [{i}] ({}) expires on {}: {} day(s) left",
                        s.subject, s.not_after, s.days_left
                    ));
                }
            }
            Err(e) => detail.push(format!("  [{i}] {e}")),
        }
    }
    let names = chain
        .first()
        .and_then(|c| c.as_ref().ok())
        .map(|s| s.names.join(", "))
        .unwrap_or_default();
    let summary = if names.is_empty() {
        format!("{version} with {}", target.endpoint())
    } else {
        format!(
            "{version} with {}; certificate for {names}",
            target.endpoint()
        )
    };
    let data = json!({
        "version": version,
        "verify_hostname": tls.verify_hostname,
        "chain": chain.iter().map(|c| match c {
            Ok(s) => json!(s),
            Err(e) => json!({ "error": e }),
        }).collect::<Vec<_>>(),
    });
    let step = Step::ok("TLS", summary)
        .detail(detail)
        .warnings(warnings)
        .data(data);
    Ok((step, transport))
}
