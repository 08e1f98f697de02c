//! A checked TLS client configuration, and the handshake over a connected socket.

use std::fmt;
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::ServerName;
use rustls::sign::{CertifiedKey, SingleCertAndKey};
use rustls::{ClientConfig, RootCertStore};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use crate::chain_only_verifier::ChainOnlyVerifier;
use crate::config_error::TlsConfigError;
use crate::describe;
use crate::error::ConnectError;
use crate::options::{EndpointIdentification, TlsOptions};
use crate::own_certificate;
use crate::pem_input::{self, PemInput};
use crate::provider::crypto_provider;
use crate::tls_problem::{OfferedCertificate, TlsProblem};

/// A TLS client configuration whose certificates and keys have been loaded and checked
/// (built by [`TlsOptions::build`]). Cheap to clone; share one among all connections.
#[derive(Clone)]
pub struct TlsConnector {
    config: Arc<ClientConfig>,
    verify_hostname: bool,
    offered: OfferedCertificate,
    custom_trust: bool,
}

impl fmt::Debug for TlsConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConnector")
            .field("provider", &crate::provider::crypto_provider_name())
            .field("verify_hostname", &self.verify_hostname)
            .field("offered", &self.offered)
            .field("custom_trust", &self.custom_trust)
            .finish_non_exhaustive()
    }
}

fn rejected(e: &rustls::Error) -> TlsConfigError {
    TlsConfigError::Rejected {
        reason: describe::rustls_error(e),
    }
}

/// The CAs from `ssl.ca.*`, or the system's when neither is set.
fn trust_anchors(options: &TlsOptions) -> Result<(RootCertStore, bool), TlsConfigError> {
    let mut roots = RootCertStore::empty();
    let given = pem_input::read_pair(
        "ssl.ca.location",
        options.ca_location.as_deref(),
        "ssl.ca.pem",
        options.ca_pem.as_deref(),
    )?;
    if let Some(input) = given {
        for (i, cert) in pem_input::certificates(&input)?.into_iter().enumerate() {
            roots
                .add(cert)
                .map_err(|e| TlsConfigError::InvalidCertificate {
                    origin: input.origin.clone(),
                    index: i + 1,
                    reason: match &e {
                        rustls::Error::InvalidCertificate(c) => describe::certificate_error(c),
                        other => describe::rustls_error(other),
                    },
                })?;
        }
        return Ok((roots, true));
    }
    let found = rustls_native_certs::load_native_certs();
    let errors: Vec<String> = found.errors.iter().map(|e| e.to_string()).collect();
    for e in &errors {
        tracing::debug!(error = %e, "while loading the system CA certificates");
    }
    let (added, ignored) = roots.add_parsable_certificates(found.certs);
    tracing::debug!(added, ignored, "loaded the system CA certificates");
    if added == 0 {
        return Err(TlsConfigError::NoTrustAnchors { errors });
    }
    Ok((roots, false))
}

/// The client certificate chain and key from `ssl.certificate.*` / `ssl.key.*`, if set.
fn client_identity(
    options: &TlsOptions,
    provider: &CryptoProvider,
) -> Result<Option<CertifiedKey>, TlsConfigError> {
    let cert = pem_input::read_pair(
        "ssl.certificate.location",
        options.certificate_location.as_deref(),
        "ssl.certificate.pem",
        options.certificate_pem.as_deref(),
    )?;
    let key = pem_input::read_pair(
        "ssl.key.location",
        options.key_location.as_deref(),
        "ssl.key.pem",
        options.key_pem.as_deref(),
    )?;
    let (cert, key): (PemInput, PemInput) = match (cert, key) {
        (None, None) => return Ok(None),
        (Some(c), None) => {
            return Err(TlsConfigError::Missing {
                key: c.origin.key(),
                missing: "ssl.key.location or ssl.key.pem",
            })
        }
        (None, Some(k)) => {
            return Err(TlsConfigError::Missing {
                key: k.origin.key(),
                missing: "ssl.certificate.location or ssl.certificate.pem",
            })
        }
        (Some(c), Some(k)) => (c, k),
    };
    let chain = pem_input::certificates(&cert)?;
    let key_der = pem_input::private_key(&key, options.key_password.as_deref())?;
    let signing_key = provider
        .key_provider
        .load_private_key(key_der)
        .map_err(|e| TlsConfigError::UnsupportedKey {
            origin: key.origin.clone(),
            reason: describe::rustls_error(&e),
        })?;
    // Only the key's match with the certificate is checked: the certificate itself (its
    // X.509 version, extensions, dates) is the broker's to judge, as with librdkafka and the
    // Java client. rustls's own check (`CertifiedKey::keys_match`, also run by
    // `with_client_auth_cert`) parses with webpki, which refuses X.509 v1 certificates.
    let Some(end_entity) = chain.first() else {
        return Err(TlsConfigError::NoCertificate {
            origin: cert.origin,
        });
    };
    let cert_spki = own_certificate::subject_public_key_info(end_entity).map_err(|e| {
        TlsConfigError::InvalidCertificate {
            origin: cert.origin.clone(),
            index: 1,
            reason: e.to_string(),
        }
    })?;
    match signing_key.public_key() {
        Some(key_spki) if key_spki.as_ref() != cert_spki => {
            return Err(TlsConfigError::KeyMismatch {
                certificate: cert.origin,
                key: key.origin,
            })
        }
        Some(_) => {}
        None => tracing::debug!(
            "the crypto provider cannot tell the client key's public key; \
             not checking that it matches the certificate"
        ),
    }
    Ok(Some(CertifiedKey::new(chain, signing_key)))
}

impl TlsConnector {
    pub(crate) fn from_options(options: &TlsOptions) -> Result<Self, ConnectError> {
        let provider = Arc::new(crypto_provider()?);
        let (roots, custom_trust) = trust_anchors(options)?;
        let roots = Arc::new(roots);
        let identity = client_identity(options, &provider)?;
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| rejected(&e))?;
        let verify_hostname = options.endpoint_identification == EndpointIdentification::Https;
        let builder = if verify_hostname {
            let verifier = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
                .build()
                .map_err(|e| TlsConfigError::Rejected {
                    reason: e.to_string(),
                })?;
            builder.with_webpki_verifier(verifier)
        } else {
            tracing::warn!(
                "ssl.endpoint.identification.algorithm=none: broker host names are not checked \
                 against their certificates; any holder of a certificate from a trusted CA can \
                 impersonate a broker"
            );
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(ChainOnlyVerifier::new(roots, provider)))
        };
        let offered = match &identity {
            None => OfferedCertificate::None,
            Some(certified) => {
                let dates = certified
                    .cert
                    .first()
                    .and_then(|c| own_certificate::validity(c).ok());
                OfferedCertificate::Offered {
                    not_before: dates.map(|d| d.0),
                    not_after: dates.map(|d| d.1),
                }
            }
        };
        let config = match identity {
            Some(certified) => {
                builder.with_client_cert_resolver(Arc::new(SingleCertAndKey::from(certified)))
            }
            None => builder.with_no_client_auth(),
        };
        Ok(Self {
            config: Arc::new(config),
            verify_hostname,
            offered,
            custom_trust,
        })
    }

    /// Whether broker certificates are checked against the host name.
    pub fn verifies_hostname(&self) -> bool {
        self.verify_hostname
    }

    /// Whether a client certificate is offered (mutual TLS).
    pub fn has_client_certificate(&self) -> bool {
        self.offered != OfferedCertificate::None
    }

    /// What is offered as the client certificate (to explain a broker's refusal).
    pub fn offered_certificate(&self) -> OfferedCertificate {
        self.offered
    }

    /// Runs the TLS handshake on a connected socket. The server name (SNI and the name the
    /// certificate is checked against) is `host`; an IP address is sent as no SNI and checked
    /// against the certificate's IP addresses.
    pub(crate) async fn handshake(
        &self,
        tcp: TcpStream,
        host: &str,
        port: u16,
    ) -> Result<TlsStream<TcpStream>, ConnectError> {
        let name =
            ServerName::try_from(host.to_owned()).map_err(|_| ConnectError::InvalidServerName {
                host: host.to_owned(),
            })?;
        tokio_rustls::TlsConnector::from(self.config.clone())
            .connect(name, tcp)
            .await
            .map_err(|e| ConnectError::Tls {
                host: host.to_owned(),
                port,
                problem: TlsProblem::from_io(e, host, true, self.offered),
            })
    }
}
