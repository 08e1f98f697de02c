//! rustls and webpki errors in sentences. Their own `Display` prints many variants with
//! `Debug` (`invalid peer certificate: Other(OtherError(UnsupportedCertVersion))`); a user
//! reads these instead. Where nothing better is known the sentence stays general; the original
//! is logged at debug level.

use rustls::{CertificateError, Error, InconsistentKeys, OtherError, PeerIncompatible};

/// A certificate problem, as a sentence about "it" (the certificate).
pub(crate) fn certificate_error(e: &CertificateError) -> String {
    use CertificateError as C;
    let text = match e {
        C::BadEncoding => "it is not a valid DER-encoded X.509 certificate",
        C::Expired | C::ExpiredContext { .. } => "it has expired",
        C::NotValidYet | C::NotValidYetContext { .. } => "it is not valid yet (check the clock)",
        C::Revoked => "it has been revoked",
        C::UnhandledCriticalExtension => "it has a critical extension that is not supported",
        C::UnknownIssuer => "it is not signed by a trusted CA",
        C::UnknownRevocationStatus => "its revocation status cannot be determined",
        C::ExpiredRevocationList | C::ExpiredRevocationListContext { .. } => {
            "the certificate revocation list has expired"
        }
        C::BadSignature => "a signature in its chain does not verify",
        #[allow(deprecated)]
        C::UnsupportedSignatureAlgorithm | C::UnsupportedSignatureAlgorithmContext { .. } => {
            "it is signed with a signature algorithm that is not supported"
        }
        C::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
            "its signature algorithm does not fit the public key of its issuer"
        }
        C::NotValidForName | C::NotValidForNameContext { .. } => {
            "it is not valid for the host name connected to"
        }
        C::InvalidPurpose | C::InvalidPurposeContext { .. } => {
            "its extended key usage does not allow this use"
        }
        C::InvalidOcspResponse => "its OCSP response is invalid",
        C::ApplicationVerificationFailure => "the certificate verifier rejected it",
        C::Other(other) => return other_error(other),
        _ => {
            tracing::debug!(error = ?e, "certificate error without a sentence");
            "it did not pass the certificate checks"
        }
    };
    text.to_owned()
}

/// The error inside rustls's `Other`: webpki's, described; anything else by its own text.
fn other_error(e: &OtherError) -> String {
    match e.0.downcast_ref::<webpki::Error>() {
        Some(w) => webpki_error(w).to_owned(),
        None => e.0.to_string(),
    }
}

/// A webpki validation error, as a sentence about "it" (the certificate).
pub(crate) fn webpki_error(e: &webpki::Error) -> &'static str {
    use webpki::Error as W;
    match e {
        W::UnsupportedCertVersion => {
            "it is not an X.509 version 3 certificate (rustls checks only v3 certificates; \
             reissue it with extensions, e.g. `openssl x509 -req … -extfile FILE` with \
             basicConstraints and subjectAltName)"
        }
        W::BadDer | W::BadDerTime | W::TrailingData(_) => {
            "it is not a valid DER-encoded X.509 certificate"
        }
        W::CaUsedAsEndEntity => "it is a CA certificate, used where a leaf certificate belongs",
        W::EndEntityUsedAsCa => {
            "a certificate that is not a CA (basicConstraints CA:FALSE) signed another one"
        }
        W::CertDistrusted => "its public key is explicitly distrusted",
        W::CertExpired { .. } => "it has expired",
        W::CertNotValidYet { .. } => "it is not valid yet (check the clock)",
        W::InvalidCertValidity => "its validity period is invalid (notAfter before notBefore)",
        W::CertRevoked => "it has been revoked",
        W::CertNotValidForName(_) => "it is not valid for the host name connected to",
        W::InvalidSerialNumber => {
            "its serial number is invalid (negative, or longer than 20 bytes)"
        }
        W::MalformedExtensions | W::ExtensionValueInvalid | W::EmptyEkuExtension => {
            "its X.509 extensions are malformed"
        }
        W::UnsupportedCriticalExtension => "it has a critical extension that is not supported",
        #[allow(deprecated)]
        W::RequiredEkuNotFound | W::RequiredEkuNotFoundContext(_) => {
            "its extended key usage does not allow this use"
        }
        W::NameConstraintViolation => "it violates a name constraint of its issuer",
        W::PathLenConstraintViolated => "its chain is longer than an issuer's path length allows",
        W::SignatureAlgorithmMismatch => "its two signature algorithm fields disagree",
        W::InvalidSignatureForPublicKey => "a signature in its chain does not verify",
        W::UnknownIssuer => "it is not signed by a trusted CA",
        W::MaximumSignatureChecksExceeded
        | W::MaximumPathBuildCallsExceeded
        | W::MaximumPathDepthExceeded
        | W::MaximumNameConstraintComparisonsExceeded => {
            "its chain is too long or too complex to verify"
        }
        #[allow(deprecated)]
        W::UnsupportedSignatureAlgorithm
        | W::UnsupportedSignatureAlgorithmContext(_)
        | W::UnsupportedSignatureAlgorithmForPublicKey
        | W::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => {
            "it is signed with a signature algorithm that is not supported"
        }
        _ => {
            tracing::debug!(error = ?e, "webpki error without a sentence");
            "it did not pass the certificate checks"
        }
    }
}

/// Any rustls error, as a sentence.
pub(crate) fn rustls_error(e: &Error) -> String {
    match e {
        Error::InvalidCertificate(c) => {
            format!("the certificate was rejected: {}", certificate_error(c))
        }
        Error::PeerIncompatible(p) => peer_incompatible(p).to_owned(),
        Error::PeerMisbehaved(_) => "the peer broke the TLS protocol".to_owned(),
        Error::InvalidMessage(_) => "the peer's answer is not valid TLS".to_owned(),
        Error::InappropriateMessage { .. } | Error::InappropriateHandshakeMessage { .. } => {
            "the peer sent a TLS message out of order".to_owned()
        }
        Error::AlertReceived(alert) => format!("the peer sent the TLS alert {alert:?}"),
        Error::NoCertificatesPresented => "the peer presented no certificate".to_owned(),
        Error::DecryptError => "a TLS record could not be decrypted".to_owned(),
        Error::EncryptError => "a TLS record could not be encrypted".to_owned(),
        Error::PeerSentOversizedRecord => "the peer sent an oversized TLS record".to_owned(),
        Error::HandshakeNotComplete => "the TLS handshake is not complete".to_owned(),
        Error::NoApplicationProtocol => "no application protocol (ALPN) in common".to_owned(),
        Error::FailedToGetCurrentTime => "the system clock cannot be read".to_owned(),
        Error::FailedToGetRandomBytes => "the system random number generator failed".to_owned(),
        Error::InconsistentKeys(InconsistentKeys::KeyMismatch) => {
            "the private key does not match the certificate".to_owned()
        }
        Error::General(text) => text.clone(),
        Error::Other(other) => other_error(other),
        other => {
            tracing::debug!(error = ?other, "rustls error without a sentence");
            other.to_string()
        }
    }
}

fn peer_incompatible(p: &PeerIncompatible) -> &'static str {
    use PeerIncompatible as P;
    match p {
        P::NoCipherSuitesInCommon => "the peer and ottla have no TLS cipher suite in common",
        P::ServerDoesNotSupportTls12Or13
        | P::Tls12NotOffered
        | P::Tls12NotOfferedOrEnabled
        | P::SupportedVersionsExtensionRequired => {
            "the peer speaks neither TLS 1.2 nor TLS 1.3 (ottla needs one of them)"
        }
        P::NoKxGroupsInCommon | P::NoEcPointFormatsInCommon => {
            "the peer and ottla have no key exchange group in common"
        }
        P::NoSignatureSchemesInCommon | P::NoCertificateRequestSignatureSchemesInCommon => {
            "the peer and ottla have no signature scheme in common \
             (is the client key of a type the broker accepts?)"
        }
        P::ExtendedMasterSecretExtensionRequired => {
            "the peer does not support the extended master secret TLS extension"
        }
        _ => "the peer and ottla have no TLS parameters in common",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn no_debug_dump(text: &str) {
        for dump in [
            "Error(",
            "Context {",
            "BadEncoding",
            "Unsupported",
            "Serial",
            "CaUsed",
        ] {
            assert!(!text.contains(dump), "{text}");
        }
    }

    #[test]
    fn webpki_inside_rustls_is_a_sentence() {
        let e = Error::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(
            webpki::Error::UnsupportedCertVersion,
        ))));
        // What rustls itself prints.
        assert!(e
            .to_string()
            .contains("Other(OtherError(UnsupportedCertVersion))"));
        let text = rustls_error(&e);
        assert!(
            text.contains("not an X.509 version 3 certificate"),
            "{text}"
        );
        no_debug_dump(&text);
    }

    #[test]
    fn certificate_errors_are_sentences() {
        for e in [
            CertificateError::BadEncoding,
            CertificateError::UnhandledCriticalExtension,
            CertificateError::UnknownRevocationStatus,
            CertificateError::Other(OtherError(Arc::new(webpki::Error::InvalidSerialNumber))),
            CertificateError::Other(OtherError(Arc::new(webpki::Error::CaUsedAsEndEntity))),
        ] {
            let text = certificate_error(&e);
            assert!(text.starts_with("it") || text.starts_with("its"), "{text}");
            no_debug_dump(&text);
        }
    }

    #[test]
    fn protocol_errors_are_sentences() {
        let text = rustls_error(&Error::PeerIncompatible(
            PeerIncompatible::NoCipherSuitesInCommon,
        ));
        assert_eq!(
            text,
            "the peer and ottla have no TLS cipher suite in common"
        );
        let text = rustls_error(&Error::InvalidMessage(
            rustls::InvalidMessage::InvalidContentType,
        ));
        assert_eq!(text, "the peer's answer is not valid TLS");
        let text = rustls_error(&Error::InconsistentKeys(InconsistentKeys::KeyMismatch));
        assert!(text.contains("does not match"), "{text}");
    }
}
