//! Reading certificates and private keys from PEM files or inline PEM text.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::config_error::{PemSource, TlsConfigError};
use crate::encrypted_key;

/// PEM bytes and where they came from.
pub(crate) struct PemInput {
    pub origin: PemSource,
    pub bytes: Vec<u8>,
}

/// Reads the value of a `*.location` / `*.pem` pair; `None` when neither is set.
pub(crate) fn read_pair(
    location_key: &'static str,
    location: Option<&Path>,
    pem_key: &'static str,
    pem: Option<&str>,
) -> Result<Option<PemInput>, TlsConfigError> {
    match (location, pem) {
        (Some(_), Some(_)) => Err(TlsConfigError::Conflict {
            first: location_key,
            second: pem_key,
        }),
        (Some(path), None) => {
            let bytes = std::fs::read(path).map_err(|e| TlsConfigError::Read {
                key: location_key,
                path: path.to_owned(),
                source: Arc::new(e),
            })?;
            Ok(Some(PemInput {
                origin: PemSource::File {
                    key: location_key,
                    path: PathBuf::from(path),
                },
                bytes,
            }))
        }
        (None, Some(text)) => Ok(Some(PemInput {
            origin: PemSource::Inline { key: pem_key },
            bytes: text.as_bytes().to_vec(),
        })),
        (None, None) => Ok(None),
    }
}

fn not_pem(origin: &PemSource, e: &pem::Error) -> TlsConfigError {
    TlsConfigError::NotPem {
        origin: origin.clone(),
        reason: match e {
            // The default Display prints byte vectors as numbers; show the text.
            pem::Error::MissingSectionEnd { end_marker } => format!(
                "missing end line -----END {}-----",
                String::from_utf8_lossy(end_marker)
            ),
            pem::Error::IllegalSectionStart { line } => {
                format!("malformed line {:?}", String::from_utf8_lossy(line))
            }
            other => other.to_string(),
        },
    }
}

/// A DER structure (binary) starts with a SEQUENCE tag; PEM is text.
fn looks_like_der(bytes: &[u8]) -> bool {
    bytes.first() == Some(&0x30)
}

/// Every `CERTIFICATE` section, in order; at least one.
pub(crate) fn certificates(
    input: &PemInput,
) -> Result<Vec<CertificateDer<'static>>, TlsConfigError> {
    let certs = CertificateDer::pem_slice_iter(&input.bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| not_pem(&input.origin, &e))?;
    if certs.is_empty() {
        if looks_like_der(&input.bytes) {
            return Err(TlsConfigError::NotPem {
                origin: input.origin.clone(),
                reason: "it looks like binary DER; convert it with \
                         `openssl x509 -inform der -in FILE -out FILE.pem`"
                    .into(),
            });
        }
        return Err(TlsConfigError::NoCertificate {
            origin: input.origin.clone(),
        });
    }
    Ok(certs)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The first private key: PKCS#8, PKCS#1, SEC1, or encrypted PKCS#8 decrypted with `password`.
pub(crate) fn private_key(
    input: &PemInput,
    password: Option<&str>,
) -> Result<PrivateKeyDer<'static>, TlsConfigError> {
    let origin = &input.origin;
    if contains(&input.bytes, encrypted_key::BEGIN) {
        let Some(password) = password else {
            return Err(TlsConfigError::KeyPasswordRequired {
                origin: origin.clone(),
            });
        };
        return encrypted_key::decrypt_pem(&input.bytes, password, origin).map(Into::into);
    }
    if contains(&input.bytes, b"Proc-Type: 4,ENCRYPTED") {
        return Err(TlsConfigError::UnsupportedKeyEncryption {
            origin: origin.clone(),
            reason: "legacy OpenSSL PEM encryption (Proc-Type: 4,ENCRYPTED); convert it to \
                     encrypted PKCS#8 with `openssl pkcs8 -topk8 -v2 aes-256-cbc -in KEY -out NEW`"
                .into(),
        });
    }
    match PrivateKeyDer::from_pem_slice(&input.bytes) {
        Ok(key) => {
            if password.is_some() {
                tracing::debug!(source = %origin, "ssl.key.password is set but the key is not encrypted; ignoring it");
            }
            Ok(key)
        }
        Err(pem::Error::NoItemsFound) if looks_like_der(&input.bytes) => {
            Err(TlsConfigError::NotPem {
                origin: origin.clone(),
                reason: "it looks like binary DER; convert it with \
                         `openssl pkey -inform der -in FILE -out FILE.pem`"
                    .into(),
            })
        }
        Err(pem::Error::NoItemsFound) => Err(TlsConfigError::NoPrivateKey {
            origin: origin.clone(),
        }),
        Err(e) => Err(not_pem(origin, &e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inline(text: &str) -> PemInput {
        PemInput {
            origin: PemSource::Inline { key: "ssl.key.pem" },
            bytes: text.as_bytes().to_vec(),
        }
    }

    #[test]
    fn location_and_pem_conflict() {
        let e = read_pair(
            "ssl.ca.location",
            Some(Path::new("/x")),
            "ssl.ca.pem",
            Some("y"),
        )
        .err()
        .unwrap();
        assert!(matches!(e, TlsConfigError::Conflict { .. }));
        assert!(
            e.to_string().contains("ssl.ca.location and ssl.ca.pem"),
            "{e}"
        );
    }

    #[test]
    fn missing_file_is_named() {
        let e = read_pair(
            "ssl.ca.location",
            Some(Path::new("/no/such/ca.pem")),
            "ssl.ca.pem",
            None,
        )
        .err()
        .unwrap();
        let text = e.to_string();
        assert!(
            text.contains("/no/such/ca.pem") && text.contains("ssl.ca.location"),
            "{text}"
        );
    }

    #[test]
    fn text_without_certificates() {
        let e = certificates(&inline("hello\n")).unwrap_err();
        assert!(matches!(e, TlsConfigError::NoCertificate { .. }), "{e}");
    }

    #[test]
    fn der_is_recognised() {
        let input = PemInput {
            origin: PemSource::Inline { key: "ssl.ca.pem" },
            bytes: vec![0x30, 0x82, 0x01, 0x0a],
        };
        let e = certificates(&input).unwrap_err();
        assert!(e.to_string().contains("DER"), "{e}");
    }

    #[test]
    fn truncated_pem_is_not_pem() {
        let e = certificates(&inline("-----BEGIN CERTIFICATE-----\nMIIB\n")).unwrap_err();
        assert!(matches!(e, TlsConfigError::NotPem { .. }), "{e}");
        assert!(e.to_string().contains("-----END CERTIFICATE-----"), "{e}");
    }

    #[test]
    fn key_file_without_key() {
        let e = private_key(
            &inline("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
            None,
        )
        .unwrap_err();
        assert!(matches!(e, TlsConfigError::NoPrivateKey { .. }), "{e}");
    }

    #[test]
    fn legacy_encrypted_pem_is_unsupported() {
        let key = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\
                   DEK-Info: AES-256-CBC,00112233445566778899AABBCCDDEEFF\n\nAAAA\n\
                   -----END RSA PRIVATE KEY-----\n";
        let e = private_key(&inline(key), Some("pw")).unwrap_err();
        assert!(
            matches!(e, TlsConfigError::UnsupportedKeyEncryption { .. }),
            "{e}"
        );
    }

    #[test]
    fn encrypted_key_needs_password() {
        let key =
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n";
        let e = private_key(&inline(key), None).unwrap_err();
        assert!(e.to_string().contains("ssl.key.password"), "{e}");
    }
}
