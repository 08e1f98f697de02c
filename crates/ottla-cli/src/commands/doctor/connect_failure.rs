//! Why a connection could not be set up ([`ottla_tls::ConnectError`]), told as a summary,
//! detail lines and likely causes.

use std::io;

use ottla::config::SecurityProtocol;
use ottla_tls::{CertificateProblem, ConnectError, TlsProblem};

use super::msk_ports::{self, HostKind};
use super::target::Target;

/// A failure, described.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Described {
    /// One line.
    pub summary: String,
    /// More lines.
    pub detail: Vec<String>,
    /// Likely causes, most likely first.
    pub hints: Vec<String>,
}

/// Likely causes of a name that does not resolve.
pub fn dns_hints(host: &str) -> Vec<String> {
    let mut hints = Vec::new();
    match msk_ports::host_kind(host) {
        HostKind::Serverless => hints.push(
            "MSK Serverless names resolve only inside the cluster's VPC (through its VPC \
             endpoint): run this from that VPC, or a network that uses its DNS"
                .to_owned(),
        ),
        HostKind::Msk { .. } => hints.push(
            "the name is mistyped or the cluster is gone: compare with \
             `aws kafka get-bootstrap-brokers --cluster-arn …`"
                .to_owned(),
        ),
        HostKind::Other => hints.push(format!(
            "{host} is mistyped, or exists only in a DNS this machine does not use \
             (a private zone, a VPN's resolver, another machine's /etc/hosts)"
        )),
    }
    hints.push(
        "this machine cannot reach its DNS resolver (check /etc/resolv.conf, the network, the VPN)"
            .to_owned(),
    );
    hints
}

/// How a TCP connect attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TcpFailure {
    /// RST: the host is there, nothing listens on the port.
    Refused,
    /// No answer: packets dropped on the way.
    Timeout,
    /// No route to the address.
    Unreachable,
    /// Anything else.
    Other,
}

impl TcpFailure {
    /// Classifies a connect error.
    pub fn of(e: &io::Error) -> Self {
        match e.kind() {
            io::ErrorKind::ConnectionRefused => TcpFailure::Refused,
            io::ErrorKind::TimedOut => TcpFailure::Timeout,
            io::ErrorKind::HostUnreachable | io::ErrorKind::NetworkUnreachable => {
                TcpFailure::Unreachable
            }
            _ => TcpFailure::Other,
        }
    }
}

/// Likely causes of a failed TCP connect to `target`'s port.
pub fn tcp_hints(failure: TcpFailure, host: &str, port: u16) -> Vec<String> {
    let kind = msk_ports::host_kind(host);
    let mut hints = Vec::new();
    let msk_ports_text = "MSK: 9092 plaintext, 9094 TLS, 9096 SASL/SCRAM, 9098 IAM; \
                          9194/9196/9198 with public access";
    match failure {
        TcpFailure::Refused => {
            hints.push(format!(
                "nothing listens on port {port} there: a wrong port? ({msk_ports_text})"
            ));
            hints.extend(msk_ports::closed_port_hints(port, host));
            hints.push("the broker is down or still starting".to_owned());
        }
        TcpFailure::Timeout | TcpFailure::Unreachable | TcpFailure::Other => {
            if failure == TcpFailure::Unreachable {
                hints.push("this machine has no route to that address".to_owned());
            }
            hints.push(format!(
                "a security group, network ACL or firewall drops traffic to port {port} \
                 from here (the cluster's security group must allow this machine's address)"
            ));
            let prefix = if kind == HostKind::Other {
                "if this is Amazon MSK: "
            } else {
                ""
            };
            hints.push(format!(
                "{prefix}MSK brokers sit in private subnets: they are reachable from their VPC, a \
                 peered VPC, a VPN or Direct Connect, not from the internet unless public \
                 access is on (ports 9194/9196/9198 on the b-N-public names)"
            ));
            hints.extend(msk_ports::closed_port_hints(port, host));
            hints.push(format!("a wrong port? ({msk_ports_text})"));
        }
    }
    hints
}

/// Describes `e`, met while connecting to `target` (or to one of its brokers, `host`:`port`).
pub fn describe(e: &ConnectError, target: &Target, host: &str, port: u16) -> Described {
    let mut d = Described {
        summary: e.to_string(),
        ..Described::default()
    };
    match e {
        ConnectError::Resolve { .. } | ConnectError::NoAddress { .. } => {
            d.hints = dns_hints(host);
        }
        ConnectError::AllAddressesFailed { attempts, .. } => {
            d.summary = format!("cannot connect to {host}:{port}");
            d.detail = attempts.iter().map(|(a, e)| format!("{a}: {e}")).collect();
            let failure = attempts
                .first()
                .map_or(TcpFailure::Other, |(_, e)| TcpFailure::of(e));
            d.hints = tcp_hints(failure, host, port);
        }
        ConnectError::Timeout { .. } => {
            d.hints = tcp_hints(TcpFailure::Timeout, host, port);
        }
        ConnectError::TlsTimeout { .. } => {
            d.hints = port_hints_for(target, host, port);
            d.hints.push(format!(
                "the listener on port {port} does not speak TLS and waits for a Kafka request \
                 instead: if it is a plaintext listener, use security.protocol={}",
                plaintext_twin(target.protocol())
            ));
            d.hints
                .push("a proxy or load balancer in between holds the connection".to_owned());
        }
        ConnectError::Tls { problem, .. } => tls_problem(problem, target, host, port, &mut d),
        ConnectError::InvalidServerName { .. } => {
            d.hints.push(
                "bootstrap.servers must name a host (DNS name or IP address) for TLS".to_owned(),
            );
        }
        ConnectError::Config(c) => {
            d.summary = format!("the TLS settings cannot be loaded: {c}");
            d.hints.push(
                "fix the ssl.* setting it names: every file is read and checked before \
                 connecting"
                    .to_owned(),
            );
        }
        ConnectError::UnsupportedCpu { .. } => {
            d.hints.push(
                "build ottla with the `ring` or `aws-lc-rs` feature of ottla-tls for this CPU"
                    .to_owned(),
            );
        }
        _ => {}
    }
    d
}

/// The port convention's hints when `host`:`port` is the target itself (a broker found in
/// the metadata has its own port).
fn port_hints_for(target: &Target, host: &str, port: u16) -> Vec<String> {
    if host == target.host && port == target.port {
        target.port_hints.clone()
    } else {
        Vec::new()
    }
}

/// The security.protocol without TLS that matches `p` (SSL → PLAINTEXT, SASL_SSL →
/// SASL_PLAINTEXT).
fn plaintext_twin(p: SecurityProtocol) -> &'static str {
    if p.uses_sasl() {
        "SASL_PLAINTEXT"
    } else {
        "PLAINTEXT"
    }
}

fn tls_problem(problem: &TlsProblem, target: &Target, host: &str, port: u16, d: &mut Described) {
    let kind = msk_ports::host_kind(host);
    let not_tls = |d: &mut Described| {
        d.hints.extend(port_hints_for(target, host, port));
        d.hints.push(format!(
            "the listener on port {port} is not a TLS listener (a plaintext Kafka listener \
             closes on a TLS handshake): use security.protocol={} for it, or the TLS port",
            plaintext_twin(target.protocol())
        ));
    };
    match problem {
        TlsProblem::ServerCertificate(CertificateProblem::NameMismatch {
            expected,
            presented,
        }) => {
            d.summary = format!("the broker's certificate is not valid for {expected}");
            if !presented.is_empty() {
                d.detail.push(format!(
                    "the certificate is valid for: {}",
                    presented.join(", ")
                ));
                d.hints.push(format!(
                    "connect with a name the certificate has ({}): an IP address, an alias \
                     (CNAME), a load balancer's or a tunnel's name fails the check",
                    presented.join(", ")
                ));
            } else {
                d.hints.push(
                    "connect with a name the certificate has: an IP address, an alias (CNAME), \
                     a load balancer's or a tunnel's name fails the check"
                        .to_owned(),
                );
            }
            if kind != HostKind::Other {
                d.hints.push(
                    "MSK certificates name the brokers' own *.kafka.<region>.amazonaws.com names: \
                     use those"
                        .to_owned(),
                );
            }
            d.hints.push(
                "or fix the broker's certificate (its subject alternative names); \
                 ssl.endpoint.identification.algorithm=none turns the check off, at the cost \
                 of letting anyone with a certificate from a trusted CA impersonate the broker"
                    .to_owned(),
            );
        }
        TlsProblem::ServerCertificate(CertificateProblem::UnknownIssuer) => {
            d.summary =
                "the broker's certificate is not signed by a CA this client trusts (unknown CA)"
                    .to_owned();
            let tls = &target.config.security().tls;
            let custom = tls
                .ca_location
                .as_ref()
                .map(|p| format!("ssl.ca.location={}", p.display()))
                .or_else(|| tls.ca_pem.as_ref().map(|_| "ssl.ca.pem".to_owned()));
            match custom {
                Some(setting) => {
                    d.detail.push(format!(
                        "trusted: only the CAs in {setting} (not the system's)"
                    ));
                    d.hints.push(format!(
                        "{setting} does not hold the CA that signed the broker's certificate \
                         (with it set, the system CAs are not trusted)"
                    ));
                    if kind != HostKind::Other {
                        d.hints.push(
                            "MSK's certificates chain to Amazon's public CAs, which the system \
                             store trusts: leave ssl.ca.location and ssl.ca.pem unset"
                                .to_owned(),
                        );
                    }
                }
                None => {
                    d.detail
                        .push("trusted: the system's CA certificates".to_owned());
                    d.hints.push(
                        "the broker's certificate comes from a private CA: set ssl.ca.location \
                         to that CA's PEM file"
                            .to_owned(),
                    );
                    d.hints.push(
                        "the system CA store is missing or outdated (install ca-certificates)"
                            .to_owned(),
                    );
                }
            }
        }
        TlsProblem::ServerCertificate(CertificateProblem::Expired) => {
            d.summary = "the broker's certificate has expired".to_owned();
            d.hints
                .push("the broker's certificate must be renewed".to_owned());
            d.hints.push(
                "or this machine's clock is ahead: check it (timedatectl, chronyc tracking)"
                    .to_owned(),
            );
        }
        TlsProblem::ServerCertificate(CertificateProblem::NotValidYet) => {
            d.summary = "the broker's certificate is not valid yet".to_owned();
            d.hints.push(
                "this machine's clock is behind: sync it (chrony or systemd-timesyncd with NTP)"
                    .to_owned(),
            );
        }
        TlsProblem::ServerCertificate(_) => {
            d.hints
                .push("the broker's certificate (or its chain) is not usable for TLS".to_owned());
        }
        TlsProblem::AlertFromBroker {
            client_certificate: true,
            ..
        } => {
            let has_cert = target.config.security().tls.certificate_location.is_some()
                || target.config.security().tls.certificate_pem.is_some();
            d.hints.push(if has_cert {
                "the broker does not accept our client certificate: it must be signed by a CA \
                 the broker trusts (ssl.certificate.location, ssl.key.location)"
                    .to_owned()
            } else {
                "the broker requires a client certificate (mutual TLS): set \
                 ssl.certificate.location and ssl.key.location"
                    .to_owned()
            });
            d.hints.push(
                "on MSK (9094/9194 with TLS client authentication) the client certificate must \
                 come from the cluster's ACM Private CA"
                    .to_owned(),
            );
        }
        TlsProblem::AlertFromBroker { .. } => {
            d.hints.push(
                "the broker refused the handshake: no common TLS version or cipher suite"
                    .to_owned(),
            );
            not_tls(d);
        }
        TlsProblem::ClosedDuringHandshake | TlsProblem::Protocol(_) => not_tls(d),
        TlsProblem::Io(e)
            if matches!(
                e.kind(),
                io::ErrorKind::ConnectionReset
                    | io::ErrorKind::ConnectionAborted
                    | io::ErrorKind::BrokenPipe
                    | io::ErrorKind::UnexpectedEof
            ) =>
        {
            not_tls(d)
        }
        TlsProblem::Io(_) => {
            d.hints
                .push("the connection failed during the TLS handshake".to_owned());
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcp_hints_by_failure() {
        let h = tcp_hints(TcpFailure::Refused, "localhost", 9);
        assert!(h[0].contains("nothing listens on port 9"), "{h:?}");
        let h = tcp_hints(
            TcpFailure::Timeout,
            "b-1-public.c.x.c2.kafka.us-east-1.amazonaws.com",
            9198,
        );
        assert!(h[0].contains("security group"), "{h:?}");
        assert!(h.iter().any(|l| l.contains("private subnets")), "{h:?}");
        assert!(
            h.iter().any(|l| l.contains("public access turned on")),
            "{h:?}"
        );
        assert!(h.iter().all(|l| !l.contains("if this is")), "{h:?}");
        let h = tcp_hints(TcpFailure::Unreachable, "10.0.0.1", 9092);
        assert!(h[0].contains("no route"), "{h:?}");
        assert!(
            h.iter().any(|l| l.starts_with("if this is Amazon MSK")),
            "{h:?}"
        );
    }

    #[test]
    fn io_errors_classify() {
        let e = io::Error::from(io::ErrorKind::ConnectionRefused);
        assert_eq!(TcpFailure::of(&e), TcpFailure::Refused);
        let e = io::Error::from(io::ErrorKind::TimedOut);
        assert_eq!(TcpFailure::of(&e), TcpFailure::Timeout);
        let e = io::Error::from(io::ErrorKind::PermissionDenied);
        assert_eq!(TcpFailure::of(&e), TcpFailure::Other);
    }

    #[test]
    fn dns_hints_by_host() {
        assert!(
            dns_hints("boot-x.c1.kafka-serverless.us-east-1.amazonaws.com")[0]
                .contains("VPC endpoint")
        );
        assert!(dns_hints("b-1.c.x.c2.kafka.us-east-1.amazonaws.com")[0]
            .contains("get-bootstrap-brokers"));
        assert!(dns_hints("kafka.example")[0].contains("kafka.example is mistyped"));
    }
}
