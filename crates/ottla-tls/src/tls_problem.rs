//! What went wrong in a TLS session, turned from rustls's errors into typed, readable data.

use std::fmt;
use std::io;
use std::sync::Arc;

/// Why a TLS session with a broker failed.
#[non_exhaustive]
#[derive(Debug, Clone, thiserror::Error)]
pub enum TlsProblem {
    /// We rejected the broker's certificate.
    #[error("the broker's certificate was rejected: {0}")]
    ServerCertificate(CertificateProblem),
    /// The broker ended the session with a fatal alert.
    #[error("the broker sent the TLS alert {alert}{}", alert_hint(.alert, *.client_certificate))]
    AlertFromBroker {
        /// The alert's name (`BadCertificate`, `UnknownCA`, `CertificateRequired`, …).
        alert: String,
        /// Whether the alert is about our client certificate (mutual TLS).
        client_certificate: bool,
    },
    /// The broker closed the connection in the middle of the handshake.
    #[error(
        "the broker closed the connection during the TLS handshake \
         (is this port a TLS listener? did it reject our client certificate?)"
    )]
    ClosedDuringHandshake,
    /// The peer broke the TLS protocol or no parameters were acceptable to both sides.
    #[error("TLS protocol error: {0} (is this port a TLS listener?)")]
    Protocol(String),
    /// The socket failed.
    #[error("I/O error: {0}")]
    Io(Arc<io::Error>),
}

fn alert_hint(alert: &str, client_certificate: bool) -> &'static str {
    if alert == "CertificateRequired" {
        ": it requires a client certificate (ssl.certificate.location and ssl.key.location)"
    } else if client_certificate {
        ": it did not accept our client certificate (ssl.certificate.location / ssl.key.location)"
    } else {
        ""
    }
}

/// Why the broker's certificate was rejected.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertificateProblem {
    /// The chain does not lead to a trusted CA.
    UnknownIssuer,
    /// The certificate is not valid for the host name (or IP address) we connected to.
    NameMismatch {
        /// The host connected to.
        expected: String,
        /// The names the certificate has (subject alternative names), when known.
        presented: Vec<String>,
    },
    /// The certificate has expired.
    Expired,
    /// The certificate is not valid yet.
    NotValidYet,
    /// The certificate has been revoked.
    Revoked,
    /// A signature in the chain is invalid.
    BadSignature,
    /// The certificate may not be used by a TLS server (extended key usage).
    InvalidPurpose,
    /// The certificate could not be parsed.
    BadEncoding,
    /// Anything else, in a sentence (an X.509 v1 certificate, an unsupported critical
    /// extension, …).
    Other(String),
}

impl fmt::Display for CertificateProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownIssuer => f.write_str(
                "unknown issuer: it is not signed by a trusted CA \
                 (ssl.ca.location / ssl.ca.pem, or the system CAs when neither is set)",
            ),
            Self::NameMismatch {
                expected,
                presented,
            } if presented.is_empty() => write!(
                f,
                "hostname mismatch: it is not valid for {expected} \
                 (ssl.endpoint.identification.algorithm=none disables this check)"
            ),
            Self::NameMismatch {
                expected,
                presented,
            } => write!(
                f,
                "hostname mismatch: it is valid for {} but not for {expected} \
                 (ssl.endpoint.identification.algorithm=none disables this check)",
                presented.join(", ")
            ),
            Self::Expired => f.write_str("it has expired"),
            Self::NotValidYet => f.write_str("it is not valid yet (check the clock)"),
            Self::Revoked => f.write_str("it has been revoked"),
            Self::BadSignature => f.write_str("a signature in its chain is invalid"),
            Self::InvalidPurpose => {
                f.write_str("it is not meant for a TLS server (extended key usage)")
            }
            Self::BadEncoding => f.write_str("it cannot be parsed"),
            Self::Other(s) => f.write_str(s),
        }
    }
}

impl CertificateProblem {
    fn from_rustls(e: &rustls::CertificateError) -> Self {
        use rustls::CertificateError as C;
        match e {
            C::UnknownIssuer => Self::UnknownIssuer,
            C::NotValidForName => Self::NameMismatch {
                expected: String::new(),
                presented: Vec::new(),
            },
            C::NotValidForNameContext {
                expected,
                presented,
            } => Self::NameMismatch {
                expected: server_name_text(expected),
                presented: presented.iter().map(|n| tidy_presented_name(n)).collect(),
            },
            C::Expired | C::ExpiredContext { .. } => Self::Expired,
            C::NotValidYet | C::NotValidYetContext { .. } => Self::NotValidYet,
            C::Revoked => Self::Revoked,
            C::BadSignature => Self::BadSignature,
            C::InvalidPurpose | C::InvalidPurposeContext { .. } => Self::InvalidPurpose,
            C::BadEncoding => Self::BadEncoding,
            other => Self::Other(crate::describe::certificate_error(other)),
        }
    }
}

/// webpki describes names as `DnsName("a.example")` / `IpAddress(10.0.0.1)`; keep the name.
fn tidy_presented_name(name: &str) -> String {
    let inner = name
        .strip_prefix("DnsName(\"")
        .and_then(|s| s.strip_suffix("\")"))
        .or_else(|| {
            name.strip_prefix("IpAddress(")
                .and_then(|s| s.strip_suffix(')'))
        });
    inner.unwrap_or(name).to_owned()
}

fn server_name_text(name: &rustls::pki_types::ServerName<'_>) -> String {
    use rustls::pki_types::ServerName;
    match name {
        ServerName::DnsName(d) => d.as_ref().to_owned(),
        ServerName::IpAddress(ip) => std::net::IpAddr::from(*ip).to_string(),
        other => format!("{other:?}"),
    }
}

/// Alerts a server sends when it does not accept the client's certificate (or its absence).
fn is_client_certificate_alert(alert: rustls::AlertDescription) -> bool {
    use rustls::AlertDescription as A;
    matches!(
        alert,
        A::BadCertificate
            | A::UnsupportedCertificate
            | A::CertificateRevoked
            | A::CertificateExpired
            | A::CertificateUnknown
            | A::UnknownCA
            | A::CertificateRequired
            | A::AccessDenied
    )
}

impl TlsProblem {
    /// Classifies an error from a rustls session.
    pub(crate) fn from_rustls(e: &rustls::Error, host: &str) -> Self {
        match e {
            rustls::Error::InvalidCertificate(c) => {
                let mut p = CertificateProblem::from_rustls(c);
                if let CertificateProblem::NameMismatch { expected, .. } = &mut p {
                    if expected.is_empty() {
                        host.clone_into(expected);
                    }
                }
                Self::ServerCertificate(p)
            }
            rustls::Error::AlertReceived(alert) => Self::AlertFromBroker {
                alert: format!("{alert:?}"),
                client_certificate: is_client_certificate_alert(*alert),
            },
            other => Self::Protocol(crate::describe::rustls_error(other)),
        }
    }

    /// Classifies an I/O error from tokio-rustls (which wraps rustls errors in `io::Error`).
    pub(crate) fn from_io(e: io::Error, host: &str, handshaking: bool) -> Self {
        if let Some(r) = rustls_error(&e) {
            return Self::from_rustls(r, host);
        }
        if handshaking && e.kind() == io::ErrorKind::UnexpectedEof {
            return Self::ClosedDuringHandshake;
        }
        Self::Io(Arc::new(e))
    }
}

/// The rustls error inside an I/O error, if there is one.
pub(crate) fn rustls_error(e: &io::Error) -> Option<&rustls::Error> {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_mismatch_lists_presented_names() {
        let e =
            rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForNameContext {
                expected: rustls::pki_types::ServerName::try_from("kafka.example").unwrap(),
                presented: vec!["DnsName(\"other.example\")".into()],
            });
        let p = TlsProblem::from_rustls(&e, "kafka.example");
        let text = p.to_string();
        assert!(text.contains("kafka.example"), "{text}");
        assert!(text.contains("valid for other.example but"), "{text}");
        assert!(matches!(
            p,
            TlsProblem::ServerCertificate(CertificateProblem::NameMismatch { .. })
        ));
    }

    #[test]
    fn bare_name_mismatch_uses_the_host() {
        let e = rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForName);
        match TlsProblem::from_rustls(&e, "b1.example") {
            TlsProblem::ServerCertificate(CertificateProblem::NameMismatch {
                expected, ..
            }) => {
                assert_eq!(expected, "b1.example")
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn client_certificate_alerts_get_a_hint() {
        let e = rustls::Error::AlertReceived(rustls::AlertDescription::UnknownCA);
        let p = TlsProblem::from_rustls(&e, "h");
        assert!(p.to_string().contains("client certificate"), "{p}");
        let e = rustls::Error::AlertReceived(rustls::AlertDescription::ProtocolVersion);
        let p = TlsProblem::from_rustls(&e, "h");
        assert!(!p.to_string().contains("client certificate"), "{p}");
    }

    #[test]
    fn io_errors_unwrap_rustls_errors() {
        let io = io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
        );
        assert!(matches!(
            TlsProblem::from_io(io, "h", true),
            TlsProblem::ServerCertificate(CertificateProblem::UnknownIssuer)
        ));
        let eof = io::Error::new(io::ErrorKind::UnexpectedEof, "tls handshake eof");
        assert!(matches!(
            TlsProblem::from_io(eof, "h", true),
            TlsProblem::ClosedDuringHandshake
        ));
    }
}
