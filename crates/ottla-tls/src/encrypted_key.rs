//! Encrypted PKCS#8 private keys (`-----BEGIN ENCRYPTED PRIVATE KEY-----`), decrypted in pure
//! Rust with the RustCrypto `pkcs8` crate: PBES2 with PBKDF2 (HMAC-SHA1/SHA-224/SHA-256/
//! SHA-384/SHA-512) or scrypt, and AES-128/192/256-CBC or 3DES-CBC. PBES1 and the PKCS#12
//! schemes (`openssl pkcs8 -v1 …`) are not supported.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::PrivatePkcs8KeyDer;

use pkcs8::der::asn1::OctetStringRef;
use pkcs8::der::{Decode, Reader, SliceReader};
use pkcs8::spki::AlgorithmIdentifierRef;
use pkcs8::ObjectIdentifier;

use crate::config_error::{PemSource, TlsConfigError};

/// The line that starts an encrypted PKCS#8 key.
pub(crate) const BEGIN: &[u8] = b"-----BEGIN ENCRYPTED PRIVATE KEY-----";
const LABEL: &[u8] = b"ENCRYPTED PRIVATE KEY";
const PLAIN_LABEL: &[u8] = b"PRIVATE KEY";

const CONVERT: &str =
    "re-encrypt it with `openssl pkcs8 -topk8 -v2 aes-256-cbc -v2prf hmacWithSHA256`";

/// Replaces every `ENCRYPTED PRIVATE KEY` label with `PRIVATE KEY` so that the PEM parser
/// (which skips labels it does not know) hands back the DER of the encrypted structure.
fn relabel(pem: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(pem.len());
    let mut rest = pem;
    while !rest.is_empty() {
        if rest.starts_with(LABEL) {
            out.extend_from_slice(PLAIN_LABEL);
            rest = rest.get(LABEL.len()..).unwrap_or_default();
        } else {
            out.extend_from_slice(rest.get(..1).unwrap_or_default());
            rest = rest.get(1..).unwrap_or_default();
        }
    }
    out
}

const PBES2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.5.13");

/// The OID of the encryption algorithm of a DER `EncryptedPrivateKeyInfo`, read without
/// interpreting its parameters.
fn encryption_algorithm(der: &[u8]) -> Option<ObjectIdentifier> {
    let mut reader = SliceReader::new(der).ok()?;
    reader
        .sequence(|r| {
            let alg = AlgorithmIdentifierRef::decode(r)?;
            OctetStringRef::decode(r)?;
            Ok(alg.oid)
        })
        .ok()
}

fn scheme_name(oid: &ObjectIdentifier) -> &'static str {
    let text = oid.to_string();
    if text.starts_with("1.2.840.113549.1.12.1.") {
        "PKCS#12 password-based encryption"
    } else if text.starts_with("1.2.840.113549.1.5.") {
        "PBES1 (PKCS#5 v1.5)"
    } else {
        "an unknown scheme"
    }
}

/// Decrypts the first encrypted PKCS#8 key in `pem` with `password`.
pub(crate) fn decrypt_pem(
    pem: &[u8],
    password: &str,
    origin: &PemSource,
) -> Result<PrivatePkcs8KeyDer<'static>, TlsConfigError> {
    let not_pem = |reason: String| TlsConfigError::NotPem {
        origin: origin.clone(),
        reason,
    };
    let relabelled = relabel(pem);
    let der = PrivatePkcs8KeyDer::from_pem_slice(&relabelled)
        .map_err(|e| not_pem(format!("in the ENCRYPTED PRIVATE KEY section: {e}")))?;
    decrypt_der(der.secret_pkcs8_der(), password, origin)
}

/// Decrypts a DER `EncryptedPrivateKeyInfo`.
pub(crate) fn decrypt_der(
    der: &[u8],
    password: &str,
    origin: &PemSource,
) -> Result<PrivatePkcs8KeyDer<'static>, TlsConfigError> {
    use pkcs8::pkcs5::Error as P5;
    let unsupported = |reason: String| TlsConfigError::UnsupportedKeyEncryption {
        origin: origin.clone(),
        reason,
    };
    let info = match pkcs8::EncryptedPrivateKeyInfo::try_from(der) {
        Ok(info) => info,
        Err(pkcs8::Error::EncryptedPrivateKey(P5::UnsupportedAlgorithm { oid })) => {
            return Err(unsupported(format!("algorithm {oid}; {CONVERT}")))
        }
        Err(e) => {
            // Often a well-formed structure whose algorithm pkcs5 cannot even parse
            // (PKCS#12 PBE, `openssl pkcs8 -v1 PBE-SHA1-3DES`): say which.
            return Err(match encryption_algorithm(der) {
                Some(oid) if oid != PBES2 => {
                    unsupported(format!("{} ({oid}); {CONVERT}", scheme_name(&oid)))
                }
                _ => TlsConfigError::NotPem {
                    origin: origin.clone(),
                    reason: format!("not an encrypted PKCS#8 key: {e}"),
                },
            });
        }
    };
    let wrong_password = || TlsConfigError::WrongKeyPassword {
        origin: origin.clone(),
    };
    let doc = match info.decrypt(password.as_bytes()) {
        Ok(doc) => doc,
        // Bad padding after CBC decryption, or plaintext that is not DER: the password.
        // (pkcs5 0.7 reports a padding failure while decrypting as `EncryptFailed`.)
        Err(
            pkcs8::Error::EncryptedPrivateKey(P5::DecryptFailed | P5::EncryptFailed)
            | pkcs8::Error::Asn1(_),
        ) => return Err(wrong_password()),
        Err(pkcs8::Error::EncryptedPrivateKey(P5::NoPbes1CryptSupport)) => {
            return Err(unsupported(format!("PBES1 (PKCS#5 v1.5); {CONVERT}")))
        }
        Err(pkcs8::Error::EncryptedPrivateKey(
            P5::UnsupportedAlgorithm { oid } | P5::AlgorithmParametersInvalid { oid },
        )) => return Err(unsupported(format!("algorithm {oid}; {CONVERT}"))),
        Err(e) => return Err(unsupported(format!("{e}; {CONVERT}"))),
    };
    // A wrong password passes the padding check about once in 256 tries; the result is
    // then not a PrivateKeyInfo.
    if pkcs8::PrivateKeyInfo::try_from(doc.as_bytes()).is_err() {
        return Err(wrong_password());
    }
    Ok(PrivatePkcs8KeyDer::from(doc.as_bytes().to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin() -> PemSource {
        PemSource::Inline { key: "ssl.key.pem" }
    }

    #[test]
    fn relabel_only_touches_the_label() {
        let out = relabel(
            b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nAB\n-----END ENCRYPTED PRIVATE KEY-----\n",
        );
        assert_eq!(
            out,
            b"-----BEGIN PRIVATE KEY-----\nAB\n-----END PRIVATE KEY-----\n"
        );
    }

    #[test]
    fn garbage_is_not_an_encrypted_key() {
        let e = decrypt_der(&[0x30, 0x03, 0x02, 0x01, 0x00], "pw", &origin()).unwrap_err();
        assert!(matches!(e, TlsConfigError::NotPem { .. }), "{e}");
    }
}
