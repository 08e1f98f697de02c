//! Amazon MSK's listener ports, and what a configuration aimed at the wrong one is told.
//!
//! MSK (provisioned) listens on 9092 (plaintext), 9094 (TLS), 9096 (SASL/SCRAM over TLS) and
//! 9098 (IAM over TLS); with public access on, 9194, 9196 and 9198 on the `b-N-public.…`
//! names. MSK Serverless listens on 9098 only, IAM only. Everything here is pure: a port, a
//! configuration and a host name in, hints out.

use ottla::config::{SaslMechanism, SecurityProtocol};

/// What kind of endpoint a host name is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostKind {
    /// A provisioned MSK cluster (`*.kafka.<region>.amazonaws.com`); `public` for the
    /// `b-N-public.…` names of public access.
    Msk {
        /// A public-access name.
        public: bool,
    },
    /// MSK Serverless (`*.kafka-serverless.<region>.amazonaws.com`).
    Serverless,
    /// Anything else (another Kafka, or MSK behind a name or address of the user's own).
    Other,
}

/// An MSK listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listener {
    /// 9092: no TLS, no SASL.
    Plaintext,
    /// 9094 / 9194: TLS (client certificates optional).
    Tls,
    /// 9096 / 9196: SASL/SCRAM-SHA-512 over TLS.
    Scram,
    /// 9098 / 9198: IAM (AWS_MSK_IAM or OAUTHBEARER) over TLS.
    Iam,
}

impl Listener {
    fn name(self) -> &'static str {
        match self {
            Listener::Plaintext => "plaintext",
            Listener::Tls => "TLS",
            Listener::Scram => "SASL/SCRAM",
            Listener::Iam => "IAM",
        }
    }

    /// The port, private or public; `None` for the plaintext listener with public access
    /// (there is none).
    fn port(self, public: bool) -> Option<u16> {
        match (self, public) {
            (Listener::Plaintext, false) => Some(9092),
            (Listener::Plaintext, true) => None,
            (Listener::Tls, p) => Some(if p { 9194 } else { 9094 }),
            (Listener::Scram, p) => Some(if p { 9196 } else { 9096 }),
            (Listener::Iam, p) => Some(if p { 9198 } else { 9098 }),
        }
    }

    /// "9096 (9196 with public access)".
    fn ports_text(self) -> String {
        match (self.port(false), self.port(true)) {
            (Some(private), Some(public)) => format!("{private} ({public} with public access)"),
            (Some(private), None) => format!("{private} (no public access)"),
            (None, Some(public)) => public.to_string(),
            (None, None) => String::new(),
        }
    }

    /// The settings this listener expects.
    fn expects(self) -> &'static str {
        match self {
            Listener::Plaintext => "security.protocol=PLAINTEXT",
            Listener::Tls => "security.protocol=SSL",
            Listener::Scram => "security.protocol=SASL_SSL with sasl.mechanism=SCRAM-SHA-512",
            Listener::Iam => {
                "security.protocol=SASL_SSL with sasl.mechanism=AWS_MSK_IAM \
                 (or OAUTHBEARER with sasl.oauthbearer.method=aws_msk_iam)"
            }
        }
    }
}

/// The MSK listener on `port` and whether it is a public-access one.
pub fn listener_on(port: u16) -> Option<(Listener, bool)> {
    Some(match port {
        9092 => (Listener::Plaintext, false),
        9094 => (Listener::Tls, false),
        9096 => (Listener::Scram, false),
        9098 => (Listener::Iam, false),
        9194 => (Listener::Tls, true),
        9196 => (Listener::Scram, true),
        9198 => (Listener::Iam, true),
        _ => return None,
    })
}

/// The MSK listener a configuration needs; `None` when MSK has none for it (SASL without
/// TLS, SASL/PLAIN).
fn listener_for(protocol: SecurityProtocol, mechanism: Option<SaslMechanism>) -> Option<Listener> {
    match protocol {
        SecurityProtocol::Plaintext => Some(Listener::Plaintext),
        SecurityProtocol::Ssl => Some(Listener::Tls),
        SecurityProtocol::SaslPlaintext => None,
        SecurityProtocol::SaslSsl => match mechanism? {
            SaslMechanism::ScramSha256 | SaslMechanism::ScramSha512 => Some(Listener::Scram),
            SaslMechanism::AwsMskIam | SaslMechanism::OAuthBearer => Some(Listener::Iam),
            SaslMechanism::Plain => None,
        },
    }
}

/// The MSK flavour of a host name, by its DNS suffix.
pub fn host_kind(host: &str) -> HostKind {
    let Some((service, _)) = msk_service_and_region(host) else {
        return HostKind::Other;
    };
    if service == "kafka-serverless" {
        return HostKind::Serverless;
    }
    let first = host.split('.').next().unwrap_or_default();
    HostKind::Msk {
        public: first.to_ascii_lowercase().ends_with("-public"),
    }
}

/// The region in an MSK host name (`b-1.c.x.c2.kafka.eu-west-1.amazonaws.com` → `eu-west-1`).
pub fn msk_region(host: &str) -> Option<String> {
    msk_service_and_region(host).map(|(_, region)| region)
}

/// `("kafka" | "kafka-serverless", region)` for names under
/// `.kafka[-serverless].<region>.amazonaws.com[.cn]`.
fn msk_service_and_region(host: &str) -> Option<(String, String)> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let rest = host
        .strip_suffix(".amazonaws.com")
        .or_else(|| host.strip_suffix(".amazonaws.com.cn"))?;
    let mut labels = rest.rsplit('.');
    let region = labels.next()?;
    let service = labels.next()?;
    // At least one label (the cluster's) before the service.
    labels.next()?;
    let region_ok = !region.is_empty()
        && region.contains('-')
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !region_ok || !(service == "kafka" || service == "kafka-serverless") {
        return None;
    }
    Some((service.to_owned(), region.to_owned()))
}

/// What the settings are, in a few words ("SASL_SSL with SCRAM-SHA-512").
fn config_text(protocol: SecurityProtocol, mechanism: Option<SaslMechanism>) -> String {
    let p = match protocol {
        SecurityProtocol::Plaintext => "PLAINTEXT",
        SecurityProtocol::Ssl => "SSL",
        SecurityProtocol::SaslPlaintext => "SASL_PLAINTEXT",
        SecurityProtocol::SaslSsl => "SASL_SSL",
    };
    match (protocol.uses_sasl(), mechanism) {
        (true, Some(m)) => format!("{p} with {}", m.name()),
        _ => p.to_owned(),
    }
}

/// Hints about `port` for these settings on this host: empty when the combination is one MSK
/// serves (or nothing is known about the port). On a host that is not an MSK name the hints
/// are worded as conditional ("if this is Amazon MSK").
pub fn port_hints(
    port: u16,
    protocol: SecurityProtocol,
    mechanism: Option<SaslMechanism>,
    host: &str,
) -> Vec<String> {
    if port == 2181 || port == 2182 {
        return vec![format!(
            "port {port} is ZooKeeper's, not a Kafka listener: use the bootstrap brokers \
             (on MSK: aws kafka get-bootstrap-brokers)"
        )];
    }
    let kind = host_kind(host);
    let mechanism = mechanism.filter(|_| protocol.uses_sasl());
    let config = config_text(protocol, mechanism);
    let mut hints = Vec::new();
    if kind == HostKind::Serverless {
        if port != 9098 {
            hints.push(format!(
                "MSK Serverless listens on port 9098 only (IAM), not {port}"
            ));
        }
        if listener_for(protocol, mechanism) != Some(Listener::Iam) {
            hints.push(format!(
                "MSK Serverless accepts IAM only, not {config}: {}",
                Listener::Iam.expects()
            ));
        }
        return hints;
    }
    let prefix = if kind == HostKind::Other {
        "if this is Amazon MSK: "
    } else {
        ""
    };
    let wanted = listener_for(protocol, mechanism);
    let Some((listener, public)) = listener_on(port) else {
        if kind != HostKind::Other {
            let advice = match wanted {
                Some(w) => format!("; with {config} use {}", w.ports_text()),
                None => String::new(),
            };
            hints.push(format!(
                "port {port} is not one of MSK's listeners (9092 plaintext, 9094 TLS, \
                 9096 SASL/SCRAM, 9098 IAM; 9194/9196/9198 with public access){advice}"
            ));
        }
        return hints;
    };
    let here = format!(
        "{prefix}{port} is MSK's {}{} listener",
        public_word(public),
        listener.name()
    );
    match wanted {
        Some(w) if w == listener => {
            if mechanism == Some(SaslMechanism::ScramSha256) {
                hints.push(format!(
                    "{prefix}MSK's SASL/SCRAM supports SCRAM-SHA-512 only: \
                     set sasl.mechanism=SCRAM-SHA-512"
                ));
            }
        }
        Some(w) => {
            let target = match w.port(public) {
                Some(p) => format!("on {p}"),
                // Plaintext has no public listener.
                None => "not available with public access (it needs TLS)".to_owned(),
            };
            let what = match w {
                Listener::Plaintext => "plaintext".to_owned(),
                Listener::Tls => "TLS without SASL".to_owned(),
                Listener::Scram => "SCRAM".to_owned(),
                Listener::Iam => "IAM".to_owned(),
            };
            hints.push(format!(
                "{here}, which expects {}; {what} ({config}) is {target}{}",
                listener.expects(),
                if public || w == Listener::Plaintext {
                    String::new()
                } else {
                    format!(" ({} with public access)", w.port(true).unwrap_or(port))
                }
            ));
        }
        None => {
            let why = if protocol == SecurityProtocol::SaslPlaintext {
                "MSK has no SASL listener without TLS: use security.protocol=SASL_SSL"
            } else {
                "MSK does not support SASL/PLAIN: use SCRAM-SHA-512 (9096) or IAM (9098)"
            };
            hints.push(format!(
                "{here}, which expects {}; {why}",
                listener.expects()
            ));
        }
    }
    if let HostKind::Msk {
        public: name_public,
    } = kind
    {
        if name_public != public {
            let counterpart = listener
                .port(name_public)
                .map_or_else(|| "none".to_owned(), |p| p.to_string());
            hints.push(if name_public {
                format!(
                    "{host} is a public-access name: its {} listener is on port {counterpart}",
                    listener.name()
                )
            } else {
                format!(
                    "port {port} answers on the b-N-public.… names (public access); on {host} \
                     the {} listener is port {counterpart}",
                    listener.name()
                )
            });
        }
    }
    hints
}

fn public_word(public: bool) -> &'static str {
    if public {
        "public "
    } else {
        ""
    }
}

/// Why nothing may answer on `port` of an MSK host although the port is right: the listener
/// is only there when its authentication (or public access) is turned on.
pub fn closed_port_hints(port: u16, host: &str) -> Vec<String> {
    let kind = host_kind(host);
    let prefix = if kind == HostKind::Other {
        "if this is Amazon MSK: "
    } else {
        ""
    };
    let Some((listener, public)) = listener_on(port) else {
        return Vec::new();
    };
    let mut hints = Vec::new();
    let enabled_by = match listener {
        Listener::Plaintext => {
            "plaintext traffic is allowed (encryption in transit: TLS or plaintext)"
        }
        Listener::Tls => "TLS client authentication or unauthenticated TLS access is enabled",
        Listener::Scram => "SASL/SCRAM authentication is enabled",
        Listener::Iam => "IAM access control is enabled",
    };
    hints.push(format!(
        "{prefix}MSK opens port {port} only when {enabled_by} on the cluster"
    ));
    if public {
        hints.push(format!(
            "{prefix}ports 9194/9196/9198 exist only with public access turned on, and the \
             security group must allow your public IP address"
        ));
    }
    hints
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSK: &str = "b-1.demo.abc123.c2.kafka.us-east-1.amazonaws.com";
    const MSK_PUBLIC: &str = "b-1-public.demo.abc123.c2.kafka.us-east-1.amazonaws.com";
    const SERVERLESS: &str = "boot-abc123.c1.kafka-serverless.eu-west-1.amazonaws.com";
    const OTHER: &str = "kafka.internal.example";

    const PORTS: [u16; 7] = [9092, 9094, 9096, 9098, 9194, 9196, 9198];

    /// Every (protocol, mechanism) the configuration can say.
    fn configs() -> Vec<(SecurityProtocol, Option<SaslMechanism>)> {
        let mechanisms = [
            SaslMechanism::Plain,
            SaslMechanism::ScramSha256,
            SaslMechanism::ScramSha512,
            SaslMechanism::OAuthBearer,
            SaslMechanism::AwsMskIam,
        ];
        let mut out = vec![
            (SecurityProtocol::Plaintext, None),
            (SecurityProtocol::Ssl, None),
        ];
        for p in [SecurityProtocol::SaslPlaintext, SecurityProtocol::SaslSsl] {
            for m in mechanisms {
                out.push((p, Some(m)));
            }
        }
        out
    }

    /// The combinations MSK serves, written out by hand.
    fn served(port: u16, p: SecurityProtocol, m: Option<SaslMechanism>) -> bool {
        use SaslMechanism as M;
        use SecurityProtocol as P;
        matches!(
            (port, p, m),
            (9092, P::Plaintext, _)
                | (9094 | 9194, P::Ssl, _)
                | (9096 | 9196, P::SaslSsl, Some(M::ScramSha512))
                | (9098 | 9198, P::SaslSsl, Some(M::AwsMskIam | M::OAuthBearer))
        )
    }

    #[test]
    fn host_kinds() {
        assert_eq!(host_kind(MSK), HostKind::Msk { public: false });
        assert_eq!(host_kind(MSK_PUBLIC), HostKind::Msk { public: true });
        assert_eq!(
            host_kind("B-2.Demo.x.c3.KAFKA.cn-north-1.amazonaws.com.cn."),
            HostKind::Msk { public: false }
        );
        assert_eq!(host_kind(SERVERLESS), HostKind::Serverless);
        assert_eq!(host_kind(OTHER), HostKind::Other);
        assert_eq!(host_kind("kafka.us-east-1.amazonaws.com"), HostKind::Other);
        assert_eq!(host_kind("x.sts.us-east-1.amazonaws.com"), HostKind::Other);
        assert_eq!(host_kind("10.0.0.1"), HostKind::Other);
        assert_eq!(host_kind(""), HostKind::Other);
        assert_eq!(msk_region(MSK).as_deref(), Some("us-east-1"));
        assert_eq!(msk_region(SERVERLESS).as_deref(), Some("eu-west-1"));
        assert_eq!(msk_region(OTHER), None);
    }

    #[test]
    fn every_wrong_port_and_config_gets_a_hint_and_every_right_one_none() {
        for host in [MSK, OTHER] {
            for port in PORTS {
                let public = port > 9100;
                for (p, m) in configs() {
                    // Public ports on the private name (and the reverse) get a name hint too;
                    // use the matching name for the MSK host.
                    let host = if host == MSK && public {
                        MSK_PUBLIC
                    } else {
                        host
                    };
                    let hints = port_hints(port, p, m, host);
                    assert_eq!(
                        hints.is_empty(),
                        served(port, p, m),
                        "{host}:{port} {p:?} {m:?}: {hints:?}"
                    );
                    for h in &hints {
                        if host == OTHER {
                            assert!(h.starts_with("if this is Amazon MSK: "), "{h}");
                        } else {
                            assert!(!h.contains("if this is"), "{h}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn wrong_listener_names_the_right_port() {
        use SaslMechanism as M;
        use SecurityProtocol as P;
        // (port, protocol, mechanism, port that must be named, what the port is)
        let cases: &[(u16, P, Option<M>, &str, &str)] = &[
            (
                9098,
                P::SaslSsl,
                Some(M::ScramSha512),
                "on 9096 (9196",
                "9098 is MSK's IAM",
            ),
            (
                9198,
                P::SaslSsl,
                Some(M::ScramSha512),
                "on 9196",
                "9198 is MSK's public IAM",
            ),
            (
                9096,
                P::SaslSsl,
                Some(M::AwsMskIam),
                "on 9098 (9198",
                "9096 is MSK's SASL/SCRAM",
            ),
            (
                9096,
                P::SaslSsl,
                Some(M::OAuthBearer),
                "on 9098",
                "SASL/SCRAM listener",
            ),
            (
                9196,
                P::SaslSsl,
                Some(M::AwsMskIam),
                "on 9198",
                "public SASL/SCRAM",
            ),
            (
                9094,
                P::SaslSsl,
                Some(M::ScramSha512),
                "on 9096",
                "9094 is MSK's TLS",
            ),
            (
                9094,
                P::SaslSsl,
                Some(M::AwsMskIam),
                "on 9098",
                "9094 is MSK's TLS",
            ),
            (
                9094,
                P::Plaintext,
                None,
                "on 9092",
                "expects security.protocol=SSL",
            ),
            (
                9092,
                P::Ssl,
                None,
                "on 9094 (9194",
                "9092 is MSK's plaintext",
            ),
            (
                9092,
                P::SaslSsl,
                Some(M::ScramSha512),
                "on 9096",
                "9092 is MSK's plaintext",
            ),
            (
                9092,
                P::SaslSsl,
                Some(M::AwsMskIam),
                "on 9098",
                "9092 is MSK's plaintext",
            ),
            (9096, P::Ssl, None, "on 9094", "SCRAM-SHA-512"),
            (9098, P::Ssl, None, "on 9094", "AWS_MSK_IAM"),
            (9098, P::Plaintext, None, "on 9092", "9098 is MSK's IAM"),
            (
                9194,
                P::Plaintext,
                None,
                "not available with public access",
                "public TLS",
            ),
            (
                9096,
                P::SaslPlaintext,
                Some(M::ScramSha512),
                "without TLS",
                "SASL/SCRAM",
            ),
            (
                9098,
                P::SaslPlaintext,
                Some(M::AwsMskIam),
                "SASL_SSL",
                "IAM",
            ),
            (
                9096,
                P::SaslSsl,
                Some(M::Plain),
                "does not support SASL/PLAIN",
                "SCRAM",
            ),
            (
                9096,
                P::SaslSsl,
                Some(M::ScramSha256),
                "SCRAM-SHA-512 only",
                "SCRAM",
            ),
        ];
        for (port, p, m, names, what) in cases {
            let host = if *port > 9100 { MSK_PUBLIC } else { MSK };
            let hints = port_hints(*port, *p, *m, host);
            let all = hints.join(" | ");
            assert!(all.contains(names), "{port} {p:?} {m:?}: {all}");
            assert!(all.contains(what), "{port} {p:?} {m:?}: {all}");
        }
    }

    #[test]
    fn scram_at_9098_is_told_about_the_iam_listener() {
        let hints = port_hints(
            9098,
            SecurityProtocol::SaslSsl,
            Some(SaslMechanism::ScramSha512),
            MSK,
        );
        assert_eq!(hints.len(), 1, "{hints:?}");
        assert!(
            hints[0].starts_with("9098 is MSK's IAM listener"),
            "{hints:?}"
        );
        assert!(hints[0].contains("SCRAM"), "{hints:?}");
        assert!(
            hints[0].contains("9096 (9196 with public access)"),
            "{hints:?}"
        );
    }

    #[test]
    fn public_and_private_names_and_ports() {
        let iam = Some(SaslMechanism::AwsMskIam);
        let hints = port_hints(9198, SecurityProtocol::SaslSsl, iam, MSK);
        assert_eq!(hints.len(), 1, "{hints:?}");
        assert!(hints[0].contains("b-N-public"), "{hints:?}");
        assert!(hints[0].contains("port 9098"), "{hints:?}");
        let hints = port_hints(9098, SecurityProtocol::SaslSsl, iam, MSK_PUBLIC);
        assert_eq!(hints.len(), 1, "{hints:?}");
        assert!(hints[0].contains("public-access name"), "{hints:?}");
        assert!(hints[0].contains("9198"), "{hints:?}");
        // A name that is not MSK's says nothing about public names.
        assert!(port_hints(9198, SecurityProtocol::SaslSsl, iam, OTHER).is_empty());
    }

    #[test]
    fn unknown_ports() {
        let scram = Some(SaslMechanism::ScramSha512);
        let hints = port_hints(9093, SecurityProtocol::SaslSsl, scram, MSK);
        assert_eq!(hints.len(), 1, "{hints:?}");
        assert!(hints[0].contains("not one of MSK's listeners"), "{hints:?}");
        assert!(hints[0].contains("use 9096"), "{hints:?}");
        // Elsewhere an unknown port is none of our business.
        assert!(port_hints(9093, SecurityProtocol::SaslSsl, scram, OTHER).is_empty());
        assert!(port_hints(29092, SecurityProtocol::Plaintext, None, "localhost").is_empty());
        for port in [2181, 2182] {
            let hints = port_hints(port, SecurityProtocol::Plaintext, None, OTHER);
            assert!(hints[0].contains("ZooKeeper"), "{hints:?}");
        }
    }

    #[test]
    fn serverless_is_iam_on_9098_only() {
        let iam = Some(SaslMechanism::AwsMskIam);
        let oauth = Some(SaslMechanism::OAuthBearer);
        assert!(port_hints(9098, SecurityProtocol::SaslSsl, iam, SERVERLESS).is_empty());
        assert!(port_hints(9098, SecurityProtocol::SaslSsl, oauth, SERVERLESS).is_empty());
        for port in PORTS {
            for (p, m) in configs() {
                let hints = port_hints(port, p, m, SERVERLESS);
                let fine = port == 9098
                    && p == SecurityProtocol::SaslSsl
                    && matches!(
                        m,
                        Some(SaslMechanism::AwsMskIam | SaslMechanism::OAuthBearer)
                    );
                assert_eq!(hints.is_empty(), fine, "{port} {p:?} {m:?}: {hints:?}");
                if port != 9098 {
                    assert!(hints[0].contains("9098 only"), "{hints:?}");
                }
                if !fine && port == 9098 {
                    assert!(hints[0].contains("IAM only"), "{hints:?}");
                }
            }
        }
    }

    #[test]
    fn closed_ports_explain_what_opens_them() {
        let h = closed_port_hints(9096, MSK);
        assert_eq!(h.len(), 1);
        assert!(
            h[0].contains("SASL/SCRAM authentication is enabled"),
            "{h:?}"
        );
        let h = closed_port_hints(9198, MSK_PUBLIC);
        assert_eq!(h.len(), 2);
        assert!(h[0].contains("IAM access control"), "{h:?}");
        assert!(h[1].contains("public access"), "{h:?}");
        assert!(closed_port_hints(9098, OTHER)[0].starts_with("if this is Amazon MSK: "));
        assert!(closed_port_hints(12345, MSK).is_empty());
    }
}
