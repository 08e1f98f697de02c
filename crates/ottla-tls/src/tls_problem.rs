//! What went wrong in a TLS session, turned from rustls's errors into typed, readable data.

use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::SystemTime;

/// Why a TLS session with a broker failed.
#[non_exhaustive]
#[derive(Debug, Clone, thiserror::Error)]
pub enum TlsProblem {
    /// We rejected the broker's certificate.
    #[error("the broker's certificate was rejected: {0}")]
    ServerCertificate(CertificateProblem),
    /// The broker ended the session with a fatal alert.
    #[error("the broker sent the TLS alert {alert}{}", alert_hint(.alert, *.client_certificate, .offered))]
    AlertFromBroker {
        /// The alert's name (`BadCertificate`, `UnknownCA`, `CertificateRequired`, …).
        alert: String,
        /// Whether the alert is about our client certificate (mutual TLS).
        client_certificate: bool,
        /// What we offered as our client certificate.
        offered: OfferedCertificate,
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

fn alert_hint(alert: &str, client_certificate: bool, offered: &OfferedCertificate) -> String {
    let about_ours = client_certificate || alert == "CertificateRequired";
    match offered {
        _ if !about_ours => String::new(),
        OfferedCertificate::None => {
            ": it requires a client certificate (set ssl.certificate.location and ssl.key.location)"
                .to_owned()
        }
        OfferedCertificate::Offered {
            not_before,
            not_after,
        } => {
            let now = SystemTime::now();
            let dates = match (not_before, not_after) {
                (_, Some(until)) if *until < now => {
                    format!("; that certificate expired on {}", utc_date(*until))
                }
                (Some(from), _) if *from > now => {
                    format!("; that certificate is not valid before {}", utc_date(*from))
                }
                _ => String::new(),
            };
            format!(
                ": it did not accept our client certificate (ssl.certificate.location / \
                 ssl.key.location){dates}"
            )
        }
    }
}

/// `YYYY-MM-DD` (UTC).
fn utc_date(t: SystemTime) -> String {
    let days = match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => (d.as_secs() / 86_400) as i64,
        Err(e) => -(e.duration().as_secs().div_ceil(86_400) as i64),
    };
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// What the client offered as its certificate, to explain a broker's refusal. The client does
/// not judge its own certificate; the dates only make the broker's verdict readable.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OfferedCertificate {
    /// No client certificate is configured.
    #[default]
    None,
    /// A client certificate was offered.
    Offered {
        /// Its `notBefore`, when it could be read.
        not_before: Option<SystemTime>,
        /// Its `notAfter`, when it could be read.
        not_after: Option<SystemTime>,
    },
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
    pub(crate) fn from_rustls(e: &rustls::Error, host: &str, offered: OfferedCertificate) -> Self {
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
                offered,
            },
            other => Self::Protocol(crate::describe::rustls_error(other)),
        }
    }

    /// Classifies an I/O error from tokio-rustls (which wraps rustls errors in `io::Error`).
    pub(crate) fn from_io(
        e: io::Error,
        host: &str,
        handshaking: bool,
        offered: OfferedCertificate,
    ) -> Self {
        if let Some(r) = rustls_error(&e) {
            return Self::from_rustls(r, host, offered);
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
        let p = TlsProblem::from_rustls(&e, "kafka.example", OfferedCertificate::None);
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
        match TlsProblem::from_rustls(&e, "b1.example", OfferedCertificate::None) {
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
        let year = |y: u64| {
            SystemTime::UNIX_EPOCH + std::time::Duration::from_secs((y - 1970) * 31_556_952)
        };
        let current = OfferedCertificate::Offered {
            not_before: Some(year(2020)),
            not_after: Some(year(2120)),
        };
        let e = rustls::Error::AlertReceived(rustls::AlertDescription::UnknownCA);
        let p = TlsProblem::from_rustls(&e, "h", current);
        assert!(
            p.to_string()
                .contains("did not accept our client certificate"),
            "{p}"
        );
        assert!(!p.to_string().contains("expired"), "{p}");
        let e = rustls::Error::AlertReceived(rustls::AlertDescription::ProtocolVersion);
        let p = TlsProblem::from_rustls(&e, "h", current);
        assert!(!p.to_string().contains("client certificate"), "{p}");

        // Java brokers answer a missing certificate with BadCertificate.
        let e = rustls::Error::AlertReceived(rustls::AlertDescription::BadCertificate);
        let p = TlsProblem::from_rustls(&e, "h", OfferedCertificate::None);
        assert!(
            p.to_string().contains("requires a client certificate"),
            "{p}"
        );
        let e = rustls::Error::AlertReceived(rustls::AlertDescription::CertificateRequired);
        let p = TlsProblem::from_rustls(&e, "h", OfferedCertificate::None);
        assert!(
            p.to_string().contains("requires a client certificate"),
            "{p}"
        );

        // ... and an expired one with CertificateUnknown: the dates say why.
        let expired = OfferedCertificate::Offered {
            not_before: Some(year(2000)),
            not_after: Some(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(978_307_200)),
        };
        let e = rustls::Error::AlertReceived(rustls::AlertDescription::CertificateUnknown);
        let p = TlsProblem::from_rustls(&e, "h", expired).to_string();
        assert!(p.contains("that certificate expired on 2001-01-01"), "{p}");
        let future = OfferedCertificate::Offered {
            not_before: Some(year(2200)),
            not_after: Some(year(2300)),
        };
        let p = TlsProblem::from_rustls(&e, "h", future).to_string();
        assert!(p.contains("not valid before 2199-"), "{p}");
    }

    #[test]
    fn utc_dates() {
        let at = |s: u64| SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(s);
        assert_eq!(utc_date(at(0)), "1970-01-01");
        assert_eq!(utc_date(at(951_782_400)), "2000-02-29");
        assert_eq!(utc_date(at(978_307_199)), "2000-12-31");
        assert_eq!(utc_date(at(4_102_444_800)), "2100-01-01");
    }

    #[test]
    fn io_errors_unwrap_rustls_errors() {
        let io = io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
        );
        assert!(matches!(
            TlsProblem::from_io(io, "h", true, OfferedCertificate::None),
            TlsProblem::ServerCertificate(CertificateProblem::UnknownIssuer)
        ));
        let eof = io::Error::new(io::ErrorKind::UnexpectedEof, "tls handshake eof");
        assert!(matches!(
            TlsProblem::from_io(eof, "h", true, OfferedCertificate::None),
            TlsProblem::ClosedDuringHandshake
        ));
    }
}
