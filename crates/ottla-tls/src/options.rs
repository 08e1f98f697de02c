//! TLS settings, by Kafka's property names.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::config_error::TlsConfigError;
use crate::connector::TlsConnector;
use crate::error::ConnectError;

/// How the broker's certificate is matched to the host connected to
/// (`ssl.endpoint.identification.algorithm`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EndpointIdentification {
    /// `https` (the default): the certificate must be valid for the host name or IP address.
    #[default]
    Https,
    /// `none` (or empty, as in Java clients): the chain and validity dates are still
    /// verified, the name is not. Anyone with any certificate from a trusted CA can then
    /// impersonate the broker.
    None,
}

impl FromStr for EndpointIdentification {
    type Err = TlsConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "https" => Ok(Self::Https),
            "none" | "" => Ok(Self::None),
            _ => Err(TlsConfigError::InvalidValue {
                key: "ssl.endpoint.identification.algorithm",
                value: s.to_owned(),
                expected: "https or none",
            }),
        }
    }
}

/// TLS settings for broker connections. Build once with [`TlsOptions::build`], which reads
/// and checks every file so that mistakes surface when the client is built.
///
/// Trust follows librdkafka: when `ssl.ca.location` or `ssl.ca.pem` is set, **only** those
/// CAs are trusted; otherwise the system's CA certificates are (via `rustls-native-certs`).
/// Each `*.location` / `*.pem` pair is exclusive: set one or the other.
///
/// `Debug` shows neither the private key nor its password.
#[non_exhaustive]
#[derive(Clone, Default)]
pub struct TlsOptions {
    /// `ssl.ca.location`: PEM file of CA certificates to trust instead of the system's.
    pub ca_location: Option<PathBuf>,
    /// `ssl.ca.pem`: CA certificates as PEM text, instead of the system's.
    pub ca_pem: Option<String>,
    /// `ssl.certificate.location`: PEM file with the client certificate first, then any
    /// intermediates (mutual TLS).
    pub certificate_location: Option<PathBuf>,
    /// `ssl.certificate.pem`: the client certificate chain as PEM text.
    pub certificate_pem: Option<String>,
    /// `ssl.key.location`: PEM file with the client's private key: PKCS#8, PKCS#1 (RSA),
    /// SEC1 (EC) or encrypted PKCS#8 (PBES2).
    pub key_location: Option<PathBuf>,
    /// `ssl.key.pem`: the client's private key as PEM text. Secret.
    pub key_pem: Option<String>,
    /// `ssl.key.password`: decrypts an encrypted PKCS#8 key. Secret.
    pub key_password: Option<String>,
    /// `ssl.endpoint.identification.algorithm`.
    pub endpoint_identification: EndpointIdentification,
}

impl TlsOptions {
    /// Settings that trust the system's CAs, verify host names and send no client certificate.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets one setting by its Kafka property name (`ssl.ca.location`, `ssl.ca.pem`,
    /// `ssl.certificate.location`, `ssl.certificate.pem`, `ssl.key.location`, `ssl.key.pem`,
    /// `ssl.key.password`, `ssl.endpoint.identification.algorithm`). An empty value unsets
    /// it; `ssl.ca.location=probe` (librdkafka's "find the system CAs") means the system CAs.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), TlsConfigError> {
        let text = || (!value.is_empty()).then(|| value.to_owned());
        let path = || (!value.is_empty()).then(|| PathBuf::from(value));
        match key {
            "ssl.ca.location" => self.ca_location = if value == "probe" { None } else { path() },
            "ssl.ca.pem" => self.ca_pem = text(),
            "ssl.certificate.location" => self.certificate_location = path(),
            "ssl.certificate.pem" => self.certificate_pem = text(),
            "ssl.key.location" => self.key_location = path(),
            "ssl.key.pem" => self.key_pem = text(),
            "ssl.key.password" => self.key_password = text(),
            "ssl.endpoint.identification.algorithm" => {
                self.endpoint_identification = value.parse()?
            }
            other => {
                return Err(TlsConfigError::UnknownKey {
                    key: other.to_owned(),
                })
            }
        }
        Ok(())
    }

    /// Loads and checks every certificate and key, and assembles the TLS client
    /// configuration. Errors name the setting and file at fault.
    pub fn build(&self) -> Result<TlsConnector, ConnectError> {
        TlsConnector::from_options(self)
    }
}

impl fmt::Debug for TlsOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pem_len =
            |p: &Option<String>| p.as_ref().map(|p| format!("<{} bytes of PEM>", p.len()));
        let redacted = |p: &Option<String>| p.as_ref().map(|_| "<redacted>");
        f.debug_struct("TlsOptions")
            .field("ca_location", &self.ca_location)
            .field("ca_pem", &pem_len(&self.ca_pem))
            .field("certificate_location", &self.certificate_location)
            .field("certificate_pem", &pem_len(&self.certificate_pem))
            .field("key_location", &self.key_location)
            .field("key_pem", &redacted(&self.key_pem))
            .field("key_password", &redacted(&self.key_password))
            .field("endpoint_identification", &self.endpoint_identification)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_secrets() {
        let mut o = TlsOptions::new();
        o.set(
            "ssl.key.pem",
            "-----BEGIN PRIVATE KEY-----\nSECRETKEYDATA\n",
        )
        .unwrap();
        o.set("ssl.key.password", "hunter2-password").unwrap();
        o.set("ssl.ca.location", "/etc/ca.pem").unwrap();
        let shown = format!("{o:?} {o:#?}");
        assert!(!shown.contains("SECRETKEYDATA"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
        assert!(shown.contains("/etc/ca.pem"), "{shown}");
    }

    #[test]
    fn set_by_property_name() {
        let mut o = TlsOptions::new();
        o.set("ssl.ca.location", "/a").unwrap();
        o.set("ssl.certificate.location", "/b").unwrap();
        o.set("ssl.key.location", "/c").unwrap();
        o.set("ssl.endpoint.identification.algorithm", "none")
            .unwrap();
        assert_eq!(o.ca_location, Some(PathBuf::from("/a")));
        assert_eq!(o.certificate_location, Some(PathBuf::from("/b")));
        assert_eq!(o.key_location, Some(PathBuf::from("/c")));
        assert_eq!(o.endpoint_identification, EndpointIdentification::None);
        o.set("ssl.ca.location", "probe").unwrap();
        assert_eq!(o.ca_location, None);
        o.set("ssl.endpoint.identification.algorithm", "HTTPS")
            .unwrap();
        assert_eq!(o.endpoint_identification, EndpointIdentification::Https);
        o.set("ssl.endpoint.identification.algorithm", "").unwrap();
        assert_eq!(o.endpoint_identification, EndpointIdentification::None);
    }

    #[test]
    fn bad_keys_and_values_are_named() {
        let mut o = TlsOptions::new();
        let e = o.set("ssl.keystore.location", "x").unwrap_err();
        assert!(e.to_string().contains("ssl.keystore.location"), "{e}");
        let e = o
            .set("ssl.endpoint.identification.algorithm", "dns")
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("ssl.endpoint.identification.algorithm"),
            "{e}"
        );
    }
}
