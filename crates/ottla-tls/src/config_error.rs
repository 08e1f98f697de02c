//! Errors in the TLS settings, each naming the setting (and file) at fault.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// Where a PEM value came from: a file (`ssl.*.location`) or inline text (`ssl.*.pem`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PemSource {
    /// Read from this file; the setting is the `*.location` key.
    File {
        /// The setting, e.g. `ssl.ca.location`.
        key: &'static str,
        /// The path as given.
        path: PathBuf,
    },
    /// Given inline; the setting is the `*.pem` key.
    Inline {
        /// The setting, e.g. `ssl.ca.pem`.
        key: &'static str,
    },
}

impl PemSource {
    /// The setting this value came from.
    pub fn key(&self) -> &'static str {
        match self {
            Self::File { key, .. } | Self::Inline { key } => key,
        }
    }
}

impl fmt::Display for PemSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File { key, path } => write!(f, "file {} ({key})", path.display()),
            Self::Inline { key } => write!(f, "the value of {key}"),
        }
    }
}

/// What is wrong with the TLS settings.
#[non_exhaustive]
#[derive(Debug, Clone, thiserror::Error)]
pub enum TlsConfigError {
    /// A property name this crate does not know.
    #[error("unknown TLS setting {key:?}")]
    UnknownKey {
        /// The name given.
        key: String,
    },
    /// A setting has a value outside its allowed set.
    #[error("invalid value {value:?} for {key}: expected {expected}")]
    InvalidValue {
        /// The setting.
        key: &'static str,
        /// The value given.
        value: String,
        /// What is allowed.
        expected: &'static str,
    },
    /// Two settings that exclude each other are both set.
    #[error("{first} and {second} are both set; set only one")]
    Conflict {
        /// One setting.
        first: &'static str,
        /// The other.
        second: &'static str,
    },
    /// A setting needs another one that is not set.
    #[error("{key} is set but {missing} is not")]
    Missing {
        /// The setting that is set.
        key: &'static str,
        /// What it needs (`a` or `b`).
        missing: &'static str,
    },
    /// A file could not be read.
    #[error("cannot read file {} ({key}): {source}", .path.display())]
    Read {
        /// The setting naming the file.
        key: &'static str,
        /// The path as given.
        path: PathBuf,
        /// The I/O error (not found, permission denied, …).
        source: Arc<std::io::Error>,
    },
    /// The content is not valid PEM.
    #[error("{origin} is not valid PEM: {reason}")]
    NotPem {
        /// Where it came from.
        origin: PemSource,
        /// What the PEM parser reported.
        reason: String,
    },
    /// No `CERTIFICATE` section was found.
    #[error("{origin} contains no PEM certificate (-----BEGIN CERTIFICATE-----)")]
    NoCertificate {
        /// Where it came from.
        origin: PemSource,
    },
    /// A certificate could not be used.
    #[error("{origin}: certificate #{index} is invalid: {reason}")]
    InvalidCertificate {
        /// Where it came from.
        origin: PemSource,
        /// Its position in the file, from 1.
        index: usize,
        /// Why.
        reason: String,
    },
    /// No private key section was found.
    #[error(
        "{origin} contains no private key (expected -----BEGIN PRIVATE KEY-----, \
         RSA PRIVATE KEY, EC PRIVATE KEY or ENCRYPTED PRIVATE KEY)"
    )]
    NoPrivateKey {
        /// Where it came from.
        origin: PemSource,
    },
    /// The key is encrypted but `ssl.key.password` is not set.
    #[error("the private key in {origin} is encrypted; set ssl.key.password")]
    KeyPasswordRequired {
        /// Where the key came from.
        origin: PemSource,
    },
    /// `ssl.key.password` does not decrypt the key.
    #[error("ssl.key.password does not decrypt the private key in {origin} (wrong password?)")]
    WrongKeyPassword {
        /// Where the key came from.
        origin: PemSource,
    },
    /// The key is encrypted with a scheme this crate cannot decrypt.
    #[error("the private key in {origin} uses an unsupported encryption: {reason}")]
    UnsupportedKeyEncryption {
        /// Where the key came from.
        origin: PemSource,
        /// Which scheme, and how to convert it.
        reason: String,
    },
    /// The key is of a type or form the crypto provider cannot use.
    #[error("the private key in {origin} is not usable: {reason}")]
    UnsupportedKey {
        /// Where the key came from.
        origin: PemSource,
        /// What the provider reported.
        reason: String,
    },
    /// The private key does not belong to the (first) certificate.
    #[error("the private key in {key} does not match the certificate in {certificate}")]
    KeyMismatch {
        /// Where the certificate came from.
        certificate: PemSource,
        /// Where the key came from.
        key: PemSource,
    },
    /// No CA is configured and the system store has no usable certificate.
    #[error(
        "no trusted CA certificates: the system store has none{}; set ssl.ca.location or ssl.ca.pem",
        if .errors.is_empty() { String::new() } else { format!(" ({})", .errors.join("; ")) }
    )]
    NoTrustAnchors {
        /// Errors met while reading the system store.
        errors: Vec<String>,
    },
    /// rustls refused the assembled configuration.
    #[error("TLS configuration rejected: {reason}")]
    Rejected {
        /// rustls's message.
        reason: String,
    },
}
