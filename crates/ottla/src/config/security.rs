//! `security.protocol`, `sasl.*` and `ssl.*`: how connections are secured.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use ottla_sasl::Secret;

use super::ConfigError;

/// `security.protocol`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SecurityProtocol {
    /// No TLS, no SASL.
    #[default]
    Plaintext,
    /// TLS, no SASL.
    Ssl,
    /// SASL without TLS.
    SaslPlaintext,
    /// SASL over TLS.
    SaslSsl,
}

impl SecurityProtocol {
    /// Whether connections use TLS.
    pub fn uses_tls(self) -> bool {
        matches!(self, SecurityProtocol::Ssl | SecurityProtocol::SaslSsl)
    }

    /// Whether connections authenticate with SASL.
    pub fn uses_sasl(self) -> bool {
        matches!(
            self,
            SecurityProtocol::SaslPlaintext | SecurityProtocol::SaslSsl
        )
    }
}

impl FromStr for SecurityProtocol {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Ok(match s.trim().to_ascii_uppercase().as_str() {
            "PLAINTEXT" => SecurityProtocol::Plaintext,
            "SSL" => SecurityProtocol::Ssl,
            "SASL_PLAINTEXT" => SecurityProtocol::SaslPlaintext,
            "SASL_SSL" => SecurityProtocol::SaslSsl,
            _ => return Err(()),
        })
    }
}

/// `sasl.mechanism`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaslMechanism {
    /// PLAIN (RFC 4616).
    Plain,
    /// SCRAM-SHA-256 (RFC 7677).
    ScramSha256,
    /// SCRAM-SHA-512.
    ScramSha512,
    /// OAUTHBEARER (RFC 7628) with a token provider.
    OAuthBearer,
}

impl SaslMechanism {
    /// The name SaslHandshake uses.
    pub fn name(self) -> &'static str {
        match self {
            SaslMechanism::Plain => "PLAIN",
            SaslMechanism::ScramSha256 => "SCRAM-SHA-256",
            SaslMechanism::ScramSha512 => "SCRAM-SHA-512",
            SaslMechanism::OAuthBearer => "OAUTHBEARER",
        }
    }
}

impl FromStr for SaslMechanism {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Ok(match s.trim().to_ascii_uppercase().as_str() {
            "PLAIN" => SaslMechanism::Plain,
            "SCRAM-SHA-256" => SaslMechanism::ScramSha256,
            "SCRAM-SHA-512" => SaslMechanism::ScramSha512,
            "OAUTHBEARER" => SaslMechanism::OAuthBearer,
            _ => return Err(()),
        })
    }
}

/// The TLS settings (`ssl.*`), as given; files are read when the client is built.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TlsSettings {
    /// `ssl.ca.location`: PEM file of CA certificates (replaces the system roots).
    pub ca_location: Option<PathBuf>,
    /// `ssl.ca.pem`: inline PEM CA certificates (replaces the system roots).
    pub ca_pem: Option<String>,
    /// `ssl.certificate.location`: the client's PEM certificate chain.
    pub certificate_location: Option<PathBuf>,
    /// `ssl.certificate.pem`: inline client certificate chain.
    pub certificate_pem: Option<String>,
    /// `ssl.key.location`: the client's private key (PKCS#8, PKCS#1 or SEC1 PEM).
    pub key_location: Option<PathBuf>,
    /// `ssl.key.pem`: inline private key.
    pub key_pem: Option<Secret>,
    /// `ssl.key.password`: password of an encrypted PKCS#8 key.
    pub key_password: Option<Secret>,
    /// `ssl.endpoint.identification.algorithm`: `https` (verify the host name, the default)
    /// or `none`.
    pub verify_hostname: bool,
}

impl fmt::Debug for TlsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsSettings")
            .field("ca_location", &self.ca_location)
            .field("ca_pem", &self.ca_pem.as_ref().map(|_| "<pem>"))
            .field("certificate_location", &self.certificate_location)
            .field(
                "certificate_pem",
                &self.certificate_pem.as_ref().map(|_| "<pem>"),
            )
            .field("key_location", &self.key_location)
            .field("key_pem", &self.key_pem)
            .field("key_password", &self.key_password)
            .field("verify_hostname", &self.verify_hostname)
            .finish()
    }
}

/// Everything about securing connections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecuritySettings {
    /// `security.protocol`.
    pub protocol: SecurityProtocol,
    /// `sasl.mechanism`, when SASL is used.
    pub mechanism: Option<SaslMechanism>,
    /// `sasl.username`.
    pub username: Option<String>,
    /// `sasl.password`.
    pub password: Option<Secret>,
    /// `ssl.*`.
    pub tls: TlsSettings,
}

impl Default for SecuritySettings {
    fn default() -> Self {
        Self {
            protocol: SecurityProtocol::Plaintext,
            mechanism: None,
            username: None,
            password: None,
            tls: TlsSettings {
                verify_hostname: true,
                ..TlsSettings::default()
            },
        }
    }
}

/// The security property names.
pub const SECURITY_KEYS: &[&str] = &[
    "security.protocol",
    "sasl.mechanism",
    "sasl.mechanisms",
    "sasl.username",
    "sasl.password",
    "ssl.ca.location",
    "ssl.ca.pem",
    "ssl.certificate.location",
    "ssl.certificate.pem",
    "ssl.key.location",
    "ssl.key.pem",
    "ssl.key.password",
    "ssl.endpoint.identification.algorithm",
];

impl SecuritySettings {
    /// Sets one `security.protocol` / `sasl.*` / `ssl.*` property; `Ok(false)` when the key is
    /// not one of them.
    pub fn set(&mut self, key: &str, value: &str) -> Result<bool, ConfigError> {
        let path = || Some(PathBuf::from(value.trim()));
        match key {
            "security.protocol" => {
                self.protocol = value.parse().map_err(|()| {
                    ConfigError::invalid(key, value, "PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL")
                })?
            }
            "sasl.mechanism" | "sasl.mechanisms" => {
                self.mechanism = Some(value.parse().map_err(|()| {
                    ConfigError::invalid(
                        key,
                        value,
                        "PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER",
                    )
                })?)
            }
            "sasl.username" => self.username = Some(value.to_owned()),
            "sasl.password" => self.password = Some(Secret::new(value)),
            "ssl.ca.location" => self.tls.ca_location = path(),
            "ssl.ca.pem" => self.tls.ca_pem = Some(value.to_owned()),
            "ssl.certificate.location" => self.tls.certificate_location = path(),
            "ssl.certificate.pem" => self.tls.certificate_pem = Some(value.to_owned()),
            "ssl.key.location" => self.tls.key_location = path(),
            "ssl.key.pem" => self.tls.key_pem = Some(Secret::new(value)),
            "ssl.key.password" => self.tls.key_password = Some(Secret::new(value)),
            "ssl.endpoint.identification.algorithm" => {
                self.tls.verify_hostname = match value.trim().to_ascii_lowercase().as_str() {
                    "https" => true,
                    "none" | "" => false,
                    _ => return Err(ConfigError::invalid(key, value, "https or none")),
                }
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Checks that the settings fit together.
    pub fn validate(&self, has_token_provider: bool) -> Result<(), ConfigError> {
        let missing = |key: &str| ConfigError::Missing {
            key: key.to_owned(),
        };
        if self.protocol.uses_sasl() {
            match self.mechanism.ok_or_else(|| missing("sasl.mechanism"))? {
                SaslMechanism::Plain | SaslMechanism::ScramSha256 | SaslMechanism::ScramSha512 => {
                    if self.username.as_deref().is_none_or(str::is_empty) {
                        return Err(missing("sasl.username"));
                    }
                    if self.password.is_none() {
                        return Err(missing("sasl.password"));
                    }
                }
                SaslMechanism::OAuthBearer if !has_token_provider => {
                    return Err(ConfigError::invalid(
                        "sasl.mechanism",
                        "OAUTHBEARER",
                        "a token provider set on the builder (ClientConfigBuilder::token_provider)",
                    ))
                }
                SaslMechanism::OAuthBearer => {}
            }
        }
        let t = &self.tls;
        if t.ca_location.is_some() && t.ca_pem.is_some() {
            return Err(ConfigError::invalid(
                "ssl.ca.pem",
                "<pem>",
                "only one of ssl.ca.location and ssl.ca.pem",
            ));
        }
        let has_cert = t.certificate_location.is_some() || t.certificate_pem.is_some();
        let has_key = t.key_location.is_some() || t.key_pem.is_some();
        if has_cert && !has_key {
            return Err(missing("ssl.key.location"));
        }
        if has_key && !has_cert {
            return Err(missing("ssl.certificate.location"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kafka_names() {
        let mut s = SecuritySettings::default();
        assert!(s.set("security.protocol", "sasl_ssl").unwrap());
        assert!(s.set("sasl.mechanisms", "SCRAM-SHA-512").unwrap());
        assert!(s.set("sasl.username", "alice").unwrap());
        assert!(s.set("sasl.password", "alice-secret").unwrap());
        assert!(!s.set("bootstrap.servers", "x:1").unwrap());
        assert_eq!(s.protocol, SecurityProtocol::SaslSsl);
        assert_eq!(s.mechanism, Some(SaslMechanism::ScramSha512));
        s.validate(false).unwrap();
        assert!(!format!("{s:?}").contains("alice-secret"));
    }

    #[test]
    fn contradictions_name_the_key() {
        let mut s = SecuritySettings::default();
        s.set("security.protocol", "SASL_PLAINTEXT").unwrap();
        assert_eq!(s.validate(false).unwrap_err().key(), Some("sasl.mechanism"));
        s.set("sasl.mechanism", "PLAIN").unwrap();
        assert_eq!(s.validate(false).unwrap_err().key(), Some("sasl.username"));
        s.set("sasl.username", "u").unwrap();
        assert_eq!(s.validate(false).unwrap_err().key(), Some("sasl.password"));
        s.set("sasl.mechanism", "OAUTHBEARER").unwrap();
        assert_eq!(s.validate(false).unwrap_err().key(), Some("sasl.mechanism"));
        assert!(s.validate(true).is_ok());
        assert_eq!(
            s.set("security.protocol", "TLS").unwrap_err().key(),
            Some("security.protocol")
        );
        let mut t = SecuritySettings::default();
        t.set("ssl.certificate.location", "/c.pem").unwrap();
        assert_eq!(
            t.validate(false).unwrap_err().key(),
            Some("ssl.key.location")
        );
        assert_eq!(
            t.set("ssl.endpoint.identification.algorithm", "dns")
                .unwrap_err()
                .key(),
            Some("ssl.endpoint.identification.algorithm")
        );
    }

    #[test]
    fn key_material_is_redacted() {
        let mut s = SecuritySettings::default();
        s.set("ssl.key.pem", "-----BEGIN PRIVATE KEY-----abc")
            .unwrap();
        s.set("ssl.key.password", "pw123").unwrap();
        let d = format!("{s:?}");
        assert!(!d.contains("abc") && !d.contains("pw123"), "{d}");
    }
}
