//! Our own client certificate: the one thing checked about it is that the private key belongs
//! to it. Everything else (X.509 version, extensions, dates, issuer) is the broker's to judge,
//! as with librdkafka and the Java client: an X.509 v1 certificate, which `openssl x509 -req`
//! writes by default, is sent as it is.

use std::time::SystemTime;

use pkcs8::der::{self, Decode as _, Reader, SliceReader, Tag, TagNumber};
use x509_cert::time::Time;

/// Why the public key could not be found in a certificate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SpkiError {
    /// The bytes are not the DER structure of an X.509 certificate.
    #[error("it is not a DER-encoded X.509 certificate ({0})")]
    NotDer(String),
}

impl From<der::Error> for SpkiError {
    fn from(e: der::Error) -> Self {
        SpkiError::NotDer(e.to_string())
    }
}

/// A reader over the fields of the certificate's `tbsCertificate` after the optional version:
/// serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo, …
///
/// Only the layout is read: `Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version
/// OPTIONAL, serialNumber, … } … }`. No field is judged, so any version and any extensions pass.
fn tbs_fields(certificate: &[u8]) -> Result<SliceReader<'_>, SpkiError> {
    let mut outer = SliceReader::new(certificate)?;
    let certificate_value = sequence_value(&mut outer)?;
    let mut certificate_fields = SliceReader::new(certificate_value)?;
    let tbs_value = sequence_value(&mut certificate_fields)?;
    let mut tbs = SliceReader::new(tbs_value)?;
    let version_tag = Tag::ContextSpecific {
        constructed: true,
        number: TagNumber::N0,
    };
    if tbs.peek_tag()? == version_tag {
        tbs.tlv_bytes()?;
    }
    Ok(tbs)
}

/// The certificate's validity period (`notBefore`, `notAfter`): not to judge the certificate
/// (the broker does) but to explain why a broker refused it.
pub(crate) fn validity(certificate: &[u8]) -> Result<(SystemTime, SystemTime), SpkiError> {
    let mut tbs = tbs_fields(certificate)?;
    // serialNumber, signature, issuer.
    for _ in 0..3 {
        tbs.tlv_bytes()?;
    }
    let mut validity = SliceReader::new(sequence_value(&mut tbs)?)?;
    let not_before = Time::decode(&mut validity)?;
    let not_after = Time::decode(&mut validity)?;
    Ok((not_before.to_system_time(), not_after.to_system_time()))
}

/// The DER bytes (tag, length and value) of the certificate's `subjectPublicKeyInfo`.
pub(crate) fn subject_public_key_info(certificate: &[u8]) -> Result<&[u8], SpkiError> {
    let mut tbs = tbs_fields(certificate)?;
    // serialNumber, signature, issuer, validity, subject.
    for _ in 0..5 {
        tbs.tlv_bytes()?;
    }
    if tbs.peek_tag()? != Tag::Sequence {
        return Err(SpkiError::NotDer(
            "subjectPublicKeyInfo is not a SEQUENCE".into(),
        ));
    }
    Ok(tbs.tlv_bytes()?)
}

/// The value of the SEQUENCE at the reader's position.
fn sequence_value<'a>(reader: &mut SliceReader<'a>) -> Result<&'a [u8], SpkiError> {
    let header = reader.peek_header()?;
    if header.tag != Tag::Sequence {
        return Err(SpkiError::NotDer(format!(
            "expected a SEQUENCE, found {}",
            header.tag
        )));
    }
    let tlv = reader.tlv_bytes()?;
    let value_len = usize::try_from(header.length)?;
    tlv.get(tlv.len().saturating_sub(value_len)..)
        .ok_or_else(|| SpkiError::NotDer("truncated SEQUENCE".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;

    fn fixture(name: &str) -> CertificateDer<'static> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name);
        CertificateDer::from_pem_file(path).unwrap()
    }

    #[test]
    fn v1_and_v3_certificates_have_their_key_found() {
        for name in ["client-v1.pem", "client.pem", "client-ec.pem"] {
            let cert = fixture(name);
            let spki = subject_public_key_info(&cert).unwrap();
            assert_eq!(spki.first(), Some(&0x30), "{name}");
            let parsed = rustls::server::ParsedCertificate::try_from(&cert);
            match parsed {
                // Where webpki can read it, it finds the same key.
                Ok(p) => assert_eq!(spki, p.subject_public_key_info().as_ref(), "{name}"),
                Err(_) => assert_eq!(name, "client-v1.pem"),
            }
        }
    }

    #[test]
    fn validity_of_v1_v3_and_expired_certificates() {
        let year = |y: u64| {
            SystemTime::UNIX_EPOCH + std::time::Duration::from_secs((y - 1970) * 31_556_952)
        };
        let (from, until) = validity(&fixture("client-expired.pem")).unwrap();
        assert!(from > year(1999) && from < year(2001), "{from:?}");
        assert!(until > year(2000) && until < year(2002), "{until:?}");
        for name in ["client-v1.pem", "client.pem"] {
            let (from, until) = validity(&fixture(name)).unwrap();
            assert!(from < SystemTime::now() && until > year(2100), "{name}");
        }
        assert!(validity(b"\x30\x02\x30\x00").is_err());
    }

    #[test]
    fn garbage_is_not_der() {
        for bytes in [
            &b""[..],
            b"\x30\x03\x02\x01",
            b"\x04\x02hi",
            b"\x30\x02\x30\x00",
        ] {
            assert!(
                matches!(subject_public_key_info(bytes), Err(SpkiError::NotDer(_))),
                "{bytes:?}"
            );
        }
    }
}
