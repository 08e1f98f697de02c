//! What a broker's certificate says: subject, issuer, names, expiry (parsed with `x509-cert`).

use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use serde::Serialize;
use x509_cert::der::Decode;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::Certificate;

/// Certificates closer than this to their expiry get a warning.
pub const EXPIRY_WARNING: Duration = Duration::from_secs(30 * 86_400);

/// One certificate of a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertificateSummary {
    /// The subject (RFC 4514 text).
    pub subject: String,
    /// The issuer (RFC 4514 text).
    pub issuer: String,
    /// DNS names and IP addresses of the subject alternative names.
    pub names: Vec<String>,
    /// The end of the validity period (RFC 3339).
    pub not_after: String,
    /// Whole days from now until `not_after` (negative once expired).
    pub days_left: i64,
}

impl CertificateSummary {
    /// Whether it expires within [`EXPIRY_WARNING`] (or has).
    pub fn expires_soon(&self) -> bool {
        self.days_left < (EXPIRY_WARNING.as_secs() / 86_400) as i64
    }

    /// Three lines for the text report.
    pub fn lines(&self, index: usize) -> Vec<String> {
        let mut out = vec![
            format!("[{index}] subject: {}", self.subject),
            format!("    issuer:  {}", self.issuer),
        ];
        if !self.names.is_empty() {
            out.push(format!("    names:   {}", self.names.join(", ")));
        }
        out.push(format!(
            "    expires: {} ({})",
            self.not_after,
            match self.days_left {
                d if d < 0 => format!("expired {} days ago", -d),
                1 => "1 day left".to_owned(),
                d => format!("{d} days left"),
            }
        ));
        out
    }
}

/// Reads a DER certificate; `now` gives `days_left`.
pub fn summarize(der: &[u8], now: SystemTime) -> Result<CertificateSummary, String> {
    let cert = Certificate::from_der(der).map_err(|e| format!("cannot parse: {e}"))?;
    let tbs = &cert.tbs_certificate;
    let names = match tbs.get::<SubjectAltName>() {
        Ok(Some((_, san))) => san.0.iter().filter_map(general_name).collect(),
        Ok(None) => Vec::new(),
        Err(e) => return Err(format!("cannot parse its subject alternative names: {e}")),
    };
    let not_after = tbs.validity.not_after.to_system_time();
    let days_left = match not_after.duration_since(now) {
        Ok(d) => i64::try_from(d.as_secs() / 86_400).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs().div_ceil(86_400)).unwrap_or(i64::MAX),
    };
    Ok(CertificateSummary {
        subject: tbs.subject.to_string(),
        issuer: tbs.issuer.to_string(),
        names,
        not_after: rfc3339(not_after),
        days_left,
    })
}

fn general_name(n: &GeneralName) -> Option<String> {
    match n {
        GeneralName::DnsName(d) => Some(d.to_string()),
        GeneralName::IpAddress(octets) => {
            let b = octets.as_bytes();
            let ip = match b.len() {
                4 => <[u8; 4]>::try_from(b).ok().map(IpAddr::from),
                16 => <[u8; 16]>::try_from(b).ok().map(IpAddr::from),
                _ => None,
            };
            ip.map(|ip| ip.to_string())
        }
        _ => None,
    }
}

fn rfc3339(t: SystemTime) -> String {
    time::OffsetDateTime::from(t)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| format!("{t:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;

    /// The DER of the first certificate in a PEM fixture of ottla-tls.
    fn fixture_der(name: &str) -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../ottla-tls/tests/fixtures")
            .join(name);
        CertificateDer::from_pem_file(path).unwrap().to_vec()
    }

    #[test]
    fn server_fixture() {
        let der = fixture_der("server.pem");
        let s = summarize(&der, SystemTime::now()).unwrap();
        assert!(s.subject.contains("CN="), "{s:?}");
        assert!(s.names.contains(&"localhost".to_owned()), "{s:?}");
        assert!(s.names.contains(&"127.0.0.1".to_owned()), "{s:?}");
        assert_ne!(s.subject, s.issuer);
        // Days left counts down with the clock, and an expired certificate is flagged.
        let far = SystemTime::now() + Duration::from_secs(200 * 365 * 86_400);
        let later = summarize(&der, far).unwrap();
        assert!(later.days_left < 0 && later.expires_soon(), "{later:?}");
        assert!(later.lines(0).iter().any(|l| l.contains("expired")));
        // Ten days before the end: a warning.
        let now = SystemTime::now();
        let fresh = summarize(&der, now).unwrap();
        assert!(fresh.days_left > 30 && !fresh.expires_soon(), "{fresh:?}");
        let days = u64::try_from(fresh.days_left - 10).unwrap();
        let soon = summarize(&der, now + Duration::from_secs(days * 86_400)).unwrap();
        assert!((9..=10).contains(&soon.days_left), "{soon:?}");
        assert!(soon.expires_soon());
        assert!(soon.lines(0).iter().any(|l| l.contains("days left")));
        let other = summarize(&fixture_der("server-other-name.pem"), SystemTime::now()).unwrap();
        assert!(
            other.names.contains(&"broker.example".to_owned()),
            "{other:?}"
        );
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(summarize(b"not a certificate", SystemTime::now()).is_err());
        assert!(summarize(&[], SystemTime::now()).is_err());
    }
}
