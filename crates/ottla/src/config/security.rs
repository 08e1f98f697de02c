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
    /// The name as Kafka spells it (`SASL_SSL`).
    pub fn name(self) -> &'static str {
        match self {
            SecurityProtocol::Plaintext => "PLAINTEXT",
            SecurityProtocol::Ssl => "SSL",
            SecurityProtocol::SaslPlaintext => "SASL_PLAINTEXT",
            SecurityProtocol::SaslSsl => "SASL_SSL",
        }
    }

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
    /// OAUTHBEARER (RFC 7628) with a token provider, or MSK IAM tokens
    /// (`sasl.oauthbearer.method=aws_msk_iam`).
    OAuthBearer,
    /// AWS_MSK_IAM: the JSON mechanism of Amazon's `aws-msk-iam-auth` (SigV4 for the
    /// broker's host name).
    AwsMskIam,
}

impl SaslMechanism {
    /// The name SaslHandshake uses.
    pub fn name(self) -> &'static str {
        match self {
            SaslMechanism::Plain => "PLAIN",
            SaslMechanism::ScramSha256 => "SCRAM-SHA-256",
            SaslMechanism::ScramSha512 => "SCRAM-SHA-512",
            SaslMechanism::OAuthBearer => "OAUTHBEARER",
            SaslMechanism::AwsMskIam => "AWS_MSK_IAM",
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
            "AWS_MSK_IAM" => SaslMechanism::AwsMskIam,
            _ => return Err(()),
        })
    }
}

/// `sasl.oauthbearer.method`: where OAUTHBEARER tokens come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OauthMethod {
    /// A token provider set on the builder (`default`).
    #[default]
    Default,
    /// MSK IAM tokens signed with the AWS credential chain (`aws_msk_iam`).
    AwsMskIam,
}

/// The AWS settings (`aws.*`) for MSK IAM and Secrets Manager.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsSettings {
    /// `aws.region`: the cluster's region (else `AWS_REGION`, `AWS_DEFAULT_REGION`, the
    /// profile's `region`).
    pub region: Option<String>,
    /// `aws.profile`: the shared-config profile (else `AWS_PROFILE`, else `default`).
    pub profile: Option<String>,
    /// `aws.role.arn`: a role to assume with the chain's credentials.
    pub role_arn: Option<String>,
    /// `aws.role.session.name`: the assumed role's session name (stable across refreshes).
    pub role_session_name: Option<String>,
    /// `aws.role.external.id`: the external id the role's trust policy asks for.
    pub role_external_id: Option<String>,
    /// `aws.sts.region`: the region whose STS endpoint assumes the role (default: the
    /// client's region).
    pub sts_region: Option<String>,
    /// `aws.msk.host.suffix`: the DNS suffix of the MSK IAM token's host
    /// (`amazonaws.com`; `amazonaws.com.cn` is the default for `cn-*` regions).
    pub msk_host_suffix: Option<String>,
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
    /// `sasl.oauthbearer.method`.
    pub oauth_method: OauthMethod,
    /// `sasl.scram.secret.id`: name or ARN of a Secrets Manager secret holding the SCRAM
    /// `username` and `password` (MSK's `AmazonMSK_*` secrets).
    pub scram_secret_id: Option<String>,
    /// `aws.*`.
    pub aws: AwsSettings,
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
            oauth_method: OauthMethod::Default,
            scram_secret_id: None,
            aws: AwsSettings::default(),
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
    "sasl.oauthbearer.method",
    "sasl.scram.secret.id",
    "aws.region",
    "aws.profile",
    "aws.role.arn",
    "aws.role.session.name",
    "aws.role.external.id",
    "aws.sts.region",
    "aws.msk.host.suffix",
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
                        "PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER or AWS_MSK_IAM",
                    )
                })?)
            }
            "sasl.username" => self.username = Some(value.to_owned()),
            "sasl.password" => self.password = Some(Secret::new(value)),
            "sasl.oauthbearer.method" => {
                self.oauth_method = match value.trim().to_ascii_lowercase().as_str() {
                    "default" | "" => OauthMethod::Default,
                    "aws_msk_iam" => OauthMethod::AwsMskIam,
                    _ => return Err(ConfigError::invalid(key, value, "default or aws_msk_iam")),
                }
            }
            "sasl.scram.secret.id" => self.scram_secret_id = non_empty(key, value)?,
            "aws.region" => self.aws.region = aws_region(key, value)?,
            "aws.sts.region" => self.aws.sts_region = aws_region(key, value)?,
            "aws.profile" => self.aws.profile = non_empty(key, value)?,
            "aws.role.arn" => self.aws.role_arn = non_empty(key, value)?,
            "aws.role.session.name" => {
                let name = non_empty(key, value)?;
                if let Some(n) = &name {
                    // STS: 2-64 characters of [\w+=,.@-].
                    let ok = (2..=64).contains(&n.len())
                        && n.chars()
                            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
                    if !ok {
                        return Err(ConfigError::invalid(
                            key,
                            value,
                            "2 to 64 characters of letters, digits and _+=,.@-",
                        ));
                    }
                }
                self.aws.role_session_name = name;
            }
            "aws.role.external.id" => self.aws.role_external_id = non_empty(key, value)?,
            "aws.msk.host.suffix" => self.aws.msk_host_suffix = non_empty(key, value)?,
            // librdkafka's `probe`: find the system CAs, which is what no location means.
            "ssl.ca.location" if value.trim() == "probe" => self.tls.ca_location = None,
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

    /// Whether the settings sign with AWS credentials (MSK IAM, or a SCRAM secret read from
    /// Secrets Manager).
    pub fn uses_aws(&self) -> bool {
        if !self.protocol.uses_sasl() {
            return false;
        }
        match self.mechanism {
            Some(SaslMechanism::AwsMskIam) => true,
            Some(SaslMechanism::OAuthBearer) => self.oauth_method == OauthMethod::AwsMskIam,
            Some(SaslMechanism::ScramSha256 | SaslMechanism::ScramSha512) => {
                self.scram_secret_id.is_some()
            }
            _ => false,
        }
    }

    /// Checks that the settings fit together.
    pub fn validate(&self, has_token_provider: bool) -> Result<(), ConfigError> {
        let missing = |key: &str, because: String| ConfigError::Missing {
            key: key.to_owned(),
            because: Some(because),
        };
        if self.protocol.uses_sasl() {
            let protocol = format!("security.protocol={} uses SASL", self.protocol.name());
            match self
                .mechanism
                .ok_or_else(|| missing("sasl.mechanism", protocol))?
            {
                SaslMechanism::ScramSha256 | SaslMechanism::ScramSha512
                    if self.scram_secret_id.is_some() =>
                {
                    if self.password.is_some() {
                        return Err(ConfigError::invalid(
                            "sasl.scram.secret.id",
                            "<secret id>",
                            "either sasl.scram.secret.id or sasl.password, not both",
                        ));
                    }
                }
                m @ (SaslMechanism::Plain
                | SaslMechanism::ScramSha256
                | SaslMechanism::ScramSha512) => {
                    let because = || format!("sasl.mechanism={} needs it", m.name());
                    if self.username.as_deref().is_none_or(str::is_empty) {
                        return Err(missing("sasl.username", because()));
                    }
                    if self.password.is_none() {
                        return Err(missing("sasl.password", because()));
                    }
                }
                SaslMechanism::OAuthBearer => match (self.oauth_method, has_token_provider) {
                    (OauthMethod::Default, false) => {
                        return Err(ConfigError::invalid(
                            "sasl.mechanism",
                            "OAUTHBEARER",
                            "a token provider set on the builder (ClientConfigBuilder::token_provider) or sasl.oauthbearer.method=aws_msk_iam",
                        ))
                    }
                    (OauthMethod::AwsMskIam, true) => {
                        return Err(ConfigError::invalid(
                            "sasl.oauthbearer.method",
                            "aws_msk_iam",
                            "either MSK IAM tokens or a token provider on the builder, not both",
                        ))
                    }
                    _ => {}
                },
                SaslMechanism::AwsMskIam => {}
            }
        }
        if self.aws.role_arn.is_none() {
            for (key, set) in [
                (
                    "aws.role.session.name",
                    self.aws.role_session_name.is_some(),
                ),
                ("aws.role.external.id", self.aws.role_external_id.is_some()),
            ] {
                if set {
                    return Err(ConfigError::invalid(
                        key,
                        "<set>",
                        "aws.role.arn as well (it tunes the role to assume)",
                    ));
                }
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
            return Err(missing(
                "ssl.key.location",
                "a client certificate (ssl.certificate.location or ssl.certificate.pem) needs its key".into(),
            ));
        }
        if has_key && !has_cert {
            return Err(missing(
                "ssl.certificate.location",
                "a client key (ssl.key.location or ssl.key.pem) needs its certificate".into(),
            ));
        }
        Ok(())
    }
}

/// `Some(value)` trimmed; an empty value is an error naming `key`.
fn non_empty(key: &str, value: &str) -> Result<Option<String>, ConfigError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(ConfigError::invalid(key, value, "a non-empty value"));
    }
    Ok(Some(v.to_owned()))
}

/// An AWS region name (`us-east-1`, `cn-north-1`): lowercase letters, digits and dashes.
fn aws_region(key: &str, value: &str) -> Result<Option<String>, ConfigError> {
    let v = value.trim();
    let ok = !v.is_empty()
        && v.len() <= 32
        && v.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !v.starts_with('-')
        && !v.ends_with('-');
    if !ok {
        return Err(ConfigError::invalid(
            key,
            value,
            "an AWS region such as us-east-1 (lowercase letters, digits, dashes)",
        ));
    }
    Ok(Some(v.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_keys() {
        let mut s = SecuritySettings::default();
        s.set("security.protocol", "SASL_SSL").unwrap();
        s.set("sasl.mechanism", "OAUTHBEARER").unwrap();
        assert_eq!(s.validate(false).unwrap_err().key(), Some("sasl.mechanism"));
        s.set("sasl.oauthbearer.method", "AWS_MSK_IAM").unwrap();
        assert!(s.uses_aws());
        s.validate(false).unwrap();
        assert_eq!(
            s.validate(true).unwrap_err().key(),
            Some("sasl.oauthbearer.method")
        );
        assert_eq!(
            s.set("sasl.oauthbearer.method", "oidc").unwrap_err().key(),
            Some("sasl.oauthbearer.method")
        );
        assert_eq!(
            s.set("aws.region", "US East").unwrap_err().key(),
            Some("aws.region")
        );
        s.set("aws.region", "eu-west-1").unwrap();
        s.set("aws.role.external.id", "ext").unwrap();
        assert_eq!(
            s.validate(false).unwrap_err().key(),
            Some("aws.role.external.id")
        );
        s.set("aws.role.arn", "arn:aws:iam::123456789012:role/msk")
            .unwrap();
        s.validate(false).unwrap();
        assert_eq!(
            s.set("aws.role.session.name", "has space")
                .unwrap_err()
                .key(),
            Some("aws.role.session.name")
        );
        s.set("sasl.mechanism", "aws_msk_iam").unwrap();
        assert_eq!(s.mechanism, Some(SaslMechanism::AwsMskIam));
        s.validate(false).unwrap();

        let mut scram = SecuritySettings::default();
        scram.set("security.protocol", "SASL_SSL").unwrap();
        scram.set("sasl.mechanism", "SCRAM-SHA-512").unwrap();
        scram
            .set("sasl.scram.secret.id", "AmazonMSK_alice")
            .unwrap();
        assert!(scram.uses_aws());
        scram.validate(false).unwrap();
        scram.set("sasl.password", "pw").unwrap();
        assert_eq!(
            scram.validate(false).unwrap_err().key(),
            Some("sasl.scram.secret.id")
        );
    }

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
        // librdkafka's `ssl.ca.location=probe` is the system CAs, not a file named probe.
        assert!(s.set("ssl.ca.location", "/etc/ca.pem").unwrap());
        assert!(s.tls.ca_location.is_some());
        assert!(s.set("ssl.ca.location", "probe").unwrap());
        assert_eq!(s.tls.ca_location, None);
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
