//! The SASL step: which mechanisms the listener offers (SaslHandshake on the probe
//! connection), then a real client authenticating (the result and the KIP-368 session
//! lifetime).

use std::time::Duration;

use ottla::config::{OauthMethod, SaslMechanism};
use ottla::protocol::error_code::ErrorCode;
use ottla::{Client, Error};
use ottla_sasl::SaslError;
use serde_json::json;

use super::clock_check::describe_offset;
use super::connect_failure;
use super::probe::{Probe, ProbeError};
use super::report::Step;
use super::target::Target;

/// What the SASL step leaves for the next: the client, or the error its first Metadata
/// request met after authentication succeeded.
pub type Connected = Result<Client, Error>;

/// Asks for the mechanisms, then authenticates with a client on the first bootstrap server.
/// `clock_checked`: whether the Clock step measured the clock (so skew is ruled out).
pub async fn sasl(
    target: &Target,
    mut probe: Probe,
    clock_checked: bool,
) -> Result<(Step, Connected), Step> {
    let Some(mechanism) = target.mechanism() else {
        return Err(Step::fail("SASL", "sasl.mechanism is not set")
            .hints(["set sasl.mechanism".to_owned()]));
    };
    let name = mechanism.name();
    let offered = match probe.sasl_handshake(name).await {
        Ok(a) if a.error.is_ok() => a.offered,
        Ok(a) if a.error == ErrorCode::UNSUPPORTED_SASL_MECHANISM => {
            return Err(not_offered(target, name, &a.offered));
        }
        Ok(a) => {
            return Err(Step::fail(
                "SASL",
                format!("SaslHandshake for {name} failed: {}", a.error),
            )
            .hints(target.port_hints.iter().cloned())
            .hints([format!(
                "the listener on port {} does not take SASL: use a SASL listener, or \
                     security.protocol={}",
                target.port,
                if target.protocol().uses_tls() {
                    "SSL"
                } else {
                    "PLAINTEXT"
                }
            )]))
        }
        Err(ProbeError::Closed { .. }) => {
            return Err(Step::fail(
                "SASL",
                format!("the broker closed the connection when asked for SASL mechanism {name}"),
            )
            .hints(target.port_hints.iter().cloned())
            .hints([
                format!(
                    "the listener does not offer {name} (some brokers close the connection \
                     rather than list their mechanisms)"
                ),
                format!(
                    "the listener on port {} does not use SASL: security.protocol={}",
                    target.port,
                    if target.protocol().uses_tls() {
                        "SSL"
                    } else {
                        "PLAINTEXT"
                    }
                ),
            ]))
        }
        Err(e) => {
            return Err(
                Step::fail("SASL", format!("SaslHandshake for {name} failed: {e}"))
                    .hints(target.port_hints.iter().cloned()),
            )
        }
    };
    drop(probe);
    let offered_line = format!("mechanisms offered: {}", offered.join(", "));
    let config = target.first_server_config();
    let client = match Client::connect(config).await {
        Ok(c) => c,
        Err(e) if metadata_failure(&e) => {
            let step = Step::ok("SASL", format!("authenticated with {}", who(target)))
                .detail([offered_line])
                .data(json!({ "mechanism": name, "offered": offered }));
            return Ok((step, Err(e)));
        }
        Err(e) => return Err(failure(target, &e, &offered, clock_checked).detail([offered_line])),
    };
    let wait = target.setup_timeout() + target.config.request_timeout();
    let lifetime = match tokio::time::timeout(wait, client.any_connection()).await {
        Ok(Ok(conn)) => Ok(conn.session_lifetime()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no broker connection within {wait:?}")),
    };
    let lifetime_line = match &lifetime {
        Ok(Some(d)) => format!(
            "session lifetime: {} (KIP-368; the client re-authenticates at 85–95 % of it)",
            describe_offset(d.as_secs())
        ),
        Ok(None) => {
            "session lifetime: none set by the broker (connections.max.reauth.ms=0: sessions do \
             not expire)"
                .to_owned()
        }
        Err(e) => format!("session lifetime: unknown ({e})"),
    };
    let lifetime_ms = lifetime
        .as_ref()
        .ok()
        .and_then(|l| l.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)));
    let mut step = Step::ok("SASL", format!("authenticated with {}", who(target)))
        .detail([offered_line, lifetime_line])
        .data(json!({
            "mechanism": name,
            "offered": offered,
            "session_lifetime_ms": lifetime_ms,
        }));
    if let Ok(Some(d)) = lifetime {
        if d < Duration::from_secs(60) {
            step = step.warnings([format!(
                "the session lifetime is very short ({}): connections re-authenticate that often",
                describe_offset(d.as_secs())
            )]);
        }
    }
    Ok((step, Ok(client)))
}

/// "SCRAM-SHA-512 as alice", "AWS_MSK_IAM".
fn who(target: &Target) -> String {
    let s = &target.config.security();
    let name = target.mechanism().map_or("SASL", SaslMechanism::name);
    match (target.mechanism(), &s.username) {
        (
            Some(SaslMechanism::Plain | SaslMechanism::ScramSha256 | SaslMechanism::ScramSha512),
            Some(u),
        ) if s.scram_secret_id.is_none() => format!("{name} as {u}"),
        _ => name.to_owned(),
    }
}

/// Errors that come after a connection was opened and authenticated: the Metadata request
/// itself failed.
fn metadata_failure(e: &Error) -> bool {
    matches!(
        e,
        Error::Kafka { .. } | Error::Timeout { .. } | Error::Connection { .. }
    )
}

fn not_offered(target: &Target, name: &str, offered: &[String]) -> Step {
    let list = if offered.is_empty() {
        "none".to_owned()
    } else {
        offered.join(", ")
    };
    let mut step = Step::fail(
        "SASL",
        format!("the broker does not offer {name}; it offers: {list}"),
    )
    .hints(target.port_hints.iter().cloned())
    .data(json!({ "mechanism": name, "offered": offered }));
    step = if offered.is_empty() {
        step.hints([format!(
            "the listener on port {} has no SASL mechanism enabled: it is not a SASL listener",
            target.port
        )])
    } else {
        step.hints([format!(
            "set sasl.mechanism to one it offers ({list}), or use the listener for {name}"
        )])
    };
    step
}

/// Whether the settings authenticate with AWS IAM.
fn uses_iam(target: &Target) -> bool {
    match target.mechanism() {
        Some(SaslMechanism::AwsMskIam) => true,
        Some(SaslMechanism::OAuthBearer) => {
            target.config.security().oauth_method == OauthMethod::AwsMskIam
        }
        _ => false,
    }
}

/// The usual reasons credentials are rejected, for the mechanism in use.
pub fn credential_hints(target: &Target, clock_checked: bool) -> Vec<String> {
    let s = &target.config.security();
    let mut hints = Vec::new();
    if uses_iam(target) {
        hints.push(
            "the IAM policy of the identity in use does not allow kafka-cluster:Connect on the \
             cluster (arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>)"
                .to_owned(),
        );
        hints.push(
            "the AWS credentials found are not the ones you expect: compare \
             `aws sts get-caller-identity` (AWS_PROFILE / aws.profile / aws.role.arn)"
                .to_owned(),
        );
        hints.push("IAM access control is not enabled on the cluster".to_owned());
        if !clock_checked {
            hints.push(
                "this machine's clock is more than 5 minutes off: SigV4 rejects the signature"
                    .to_owned(),
            );
        }
        hints.push("aws.region is not the cluster's region".to_owned());
        return hints;
    }
    match target.mechanism() {
        Some(SaslMechanism::ScramSha256 | SaslMechanism::ScramSha512) => {
            let mech = target.mechanism().map_or("SCRAM", SaslMechanism::name);
            match &s.scram_secret_id {
                Some(id) => hints.push(format!(
                    "the Secrets Manager secret {id} holds a username/password the broker \
                     does not know"
                )),
                None => hints.push("sasl.username or sasl.password is wrong".to_owned()),
            }
            hints.push(format!(
                "the user has no {mech} credentials on the broker (kafka-configs --alter \
                 --entity-type users --entity-name <user> --add-config '{mech}=[password=…]')"
            ));
            hints.push(format!(
                "{}MSK: the secret (named AmazonMSK_…, encrypted with a customer-managed KMS \
                 key) must be associated with the cluster (aws kafka batch-associate-scram-secret)",
                if target.is_msk() { "" } else { "on " }
            ));
        }
        Some(SaslMechanism::Plain) => {
            hints.push("sasl.username or sasl.password is wrong".to_owned());
            hints.push("the user does not exist on the broker".to_owned());
        }
        Some(SaslMechanism::OAuthBearer) => {
            hints
                .push("the broker does not accept the token (issuer, audience, expiry)".to_owned());
        }
        _ => {}
    }
    hints
}

/// Whether the broker's message says the signature's time is off (MSK IAM).
fn says_clock_skew(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    [
        "signature expired",
        "not yet current",
        "clock skew",
        "request time too skewed",
    ]
    .iter()
    .any(|s| m.contains(s))
}

/// Whether `e` comes from the SASL exchange itself (not from reaching the broker).
fn is_sasl_failure(e: &Error) -> bool {
    matches!(
        e,
        Error::Authentication { .. }
            | Error::Sasl { .. }
            | Error::SaslMechanismNotOffered { .. }
            | Error::ClosedDuringAuthentication { .. }
    )
}

/// Why the client could not authenticate.
fn failure(target: &Target, e: &Error, offered: &[String], clock_checked: bool) -> Step {
    let name = target.mechanism().map_or("SASL", SaslMechanism::name);
    match e {
        Error::SaslMechanismNotOffered { offered, .. } => not_offered(target, name, offered),
        Error::Authentication { code, message, .. } => {
            let said = message.as_deref().unwrap_or(code.description());
            let mut step = Step::fail(
                "SASL",
                format!("authentication with {} failed: {said}", who(target)),
            )
            .detail([format!("error code: {code}")]);
            if message.as_deref().is_some_and(says_clock_skew) {
                step = step.hints([
                    "the broker says the signature's time is off: this machine's clock is more \
                     than 5 minutes off AWS's time; sync it (chrony or systemd-timesyncd with NTP)"
                        .to_owned(),
                ]);
            }
            step.hints(target.port_hints.iter().cloned())
                .hints(credential_hints(target, clock_checked))
                .data(json!({ "mechanism": name, "offered": offered }))
        }
        Error::ClosedDuringAuthentication { .. } => Step::fail("SASL", e.to_string())
            .hints(target.port_hints.iter().cloned())
            .hints(credential_hints(target, clock_checked)),
        Error::Sasl { source, .. } => {
            let step = Step::fail("SASL", e.to_string());
            match source {
                SaslError::TokenUnavailable { .. } | SaslError::CredentialsUnavailable { .. }
                    if uses_iam(target) =>
                {
                    step.hints([
                        "no usable AWS credentials: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, \
                     AWS_PROFILE (or aws.profile), or run where an instance, task or pod role \
                     provides them"
                            .to_owned(),
                    ])
                }
                SaslError::ServerSignatureMismatch { .. } => step.hints([
                    "the broker could not prove it knows the password: something between us and \
                     the broker is not the broker, or its stored credentials are broken"
                        .to_owned(),
                ]),
                _ => step.hints(credential_hints(target, clock_checked)),
            }
        }
        Error::Connect { source, .. } => {
            let d = connect_failure::describe(source, target, &target.host, target.port);
            Step::fail("SASL", d.summary)
                .detail(d.detail)
                .hints(d.hints)
        }
        Error::Tls { source } => {
            let d = connect_failure::describe(source, target, &target.host, target.port);
            Step::fail("SASL", d.summary)
                .detail(d.detail)
                .hints(d.hints)
        }
        Error::Config(c) => Step::fail("SASL", format!("the client cannot be set up: {c}"))
            .hints(c.key().map(|k| format!("check {k}"))),
        // A failed bootstrap carries each server's typed error: explain the first SASL one.
        Error::Bootstrap { errors, .. } if errors.iter().any(is_sasl_failure) => {
            let first = errors.iter().find(|e| is_sasl_failure(e)).unwrap_or(e);
            failure(target, first, offered, clock_checked)
        }
        // Otherwise one line per server tried: the broker offered the mechanism
        // (SaslHandshake above), so the credentials are the suspects.
        Error::Bootstrap { attempts, .. } => Step::fail(
            "SASL",
            format!("could not authenticate with {}", who(target)),
        )
        .detail(attempts.iter().cloned())
        .hints(target.port_hints.iter().cloned())
        .hints(credential_hints(target, clock_checked))
        .data(json!({ "mechanism": name, "offered": offered })),
        other => Step::fail("SASL", other.to_string())
            .hints(target.port_hints.iter().cloned())
            .hints(credential_hints(target, clock_checked)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(props: &[(&str, &str)]) -> Target {
        let mut b = ottla::ClientConfig::builder();
        b.set(
            "bootstrap.servers",
            "b-1.c.x.c2.kafka.us-east-1.amazonaws.com:9096",
        )
        .unwrap();
        for (k, v) in props {
            b.set(k, v).unwrap();
        }
        Target::new(b.build().unwrap()).unwrap()
    }

    #[test]
    fn credential_hints_per_mechanism() {
        let scram = target(&[
            ("security.protocol", "SASL_SSL"),
            ("sasl.mechanism", "SCRAM-SHA-512"),
            ("sasl.username", "alice"),
            ("sasl.password", "pw"),
        ]);
        let h = credential_hints(&scram, false);
        assert!(h[0].contains("sasl.password is wrong"), "{h:?}");
        assert!(h[2].starts_with("MSK: the secret"), "{h:?}");
        assert_eq!(who(&scram), "SCRAM-SHA-512 as alice");
        let iam = target(&[
            ("security.protocol", "SASL_SSL"),
            ("sasl.mechanism", "OAUTHBEARER"),
            ("sasl.oauthbearer.method", "aws_msk_iam"),
        ]);
        let h = credential_hints(&iam, false);
        assert!(h[0].contains("kafka-cluster:Connect"), "{h:?}");
        assert!(h.iter().any(|l| l.contains("clock")), "{h:?}");
        assert!(!credential_hints(&iam, true)
            .iter()
            .any(|l| l.contains("clock")));
        assert_eq!(who(&iam), "OAUTHBEARER");
    }

    #[test]
    fn clock_messages() {
        assert!(says_clock_skew(
            "[abc]: Signature expired: 20240101T000000Z is now earlier than …"
        ));
        assert!(says_clock_skew(
            "Signature not yet current: 2030 is still later than 2024"
        ));
        assert!(!says_clock_skew("Access denied"));
    }

    #[test]
    fn metadata_errors_are_not_authentication_errors() {
        let e = Error::Kafka {
            api: ottla::protocol::messages::ApiKey::Metadata,
            code: ErrorCode::CLUSTER_AUTHORIZATION_FAILED,
            context: String::new(),
            message: None,
        };
        assert!(metadata_failure(&e));
        assert!(!metadata_failure(&Error::Bootstrap {
            attempts: vec![],
            errors: vec![]
        }));
    }
}
