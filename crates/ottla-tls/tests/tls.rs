//! TLS against an in-process rustls server (same crypto provider as the client; graviola
//! with default features), using the fixtures from scripts/make-test-certs.sh.

use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ottla_tls::{
    connect, CertificateProblem, ConnectError, ConnectOptions, EndpointIdentification,
    TlsConfigError, TlsConnector, TlsOptions, TlsProblem, TlsVersion, Transport,
};
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, SubjectPublicKeyInfoDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::WebPkiClientVerifier;
use rustls::sign::{CertifiedKey, SingleCertAndKey};
use rustls::{
    DigitallySignedStruct, DistinguishedName, RootCertStore, ServerConfig, SignatureScheme,
    SupportedProtocolVersion,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn fixture_text(name: &str) -> String {
    std::fs::read_to_string(fixture(name)).unwrap()
}

const TLS12: &[&SupportedProtocolVersion] = &[&rustls::version::TLS12];
const TLS13: &[&SupportedProtocolVersion] = &[&rustls::version::TLS13];
const BOTH: &[&SupportedProtocolVersion] = &[&rustls::version::TLS13, &rustls::version::TLS12];

struct ServerSpec {
    cert: &'static str,
    key: &'static str,
    versions: &'static [&'static SupportedProtocolVersion],
    /// CA that client certificates must chain to (mutual TLS); `None`: no client auth.
    client_ca: Option<&'static str>,
    /// Mutual TLS accepting exactly this client certificate (and key), whatever its X.509
    /// version: webpki, behind `client_ca`, only takes v3 certificates.
    pinned_client: Option<(&'static str, &'static str)>,
}

impl ServerSpec {
    fn new(versions: &'static [&'static SupportedProtocolVersion]) -> Self {
        Self {
            cert: "server.pem",
            key: "server.key",
            versions,
            client_ca: None,
            pinned_client: None,
        }
    }
}

/// A broker that accepts one client certificate, compared byte for byte, and checks that the
/// client holds its key (the handshake signature, verified with the certificate's public key).
#[derive(Debug)]
struct PinnedClientCertificate {
    certificate: CertificateDer<'static>,
    public_key: SubjectPublicKeyInfoDer<'static>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl PinnedClientCertificate {
    fn new(cert: &str, key: &str, provider: &rustls::crypto::CryptoProvider) -> Self {
        let certificate = CertificateDer::from_pem_file(fixture(cert)).unwrap();
        let key = PrivateKeyDer::from_pem_file(fixture(key)).unwrap();
        let public_key = provider
            .key_provider
            .load_private_key(key)
            .unwrap()
            .public_key()
            .unwrap()
            .into_owned();
        Self {
            certificate,
            public_key,
            algorithms: provider.signature_verification_algorithms,
        }
    }

    fn verify(
        &self,
        message: &[u8],
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let key = webpki::RawPublicKeyEntity::try_from(&self.public_key)
            .map_err(|e| rustls::Error::General(e.to_string()))?;
        let algs = self
            .algorithms
            .mapping
            .iter()
            .filter(|(scheme, _)| *scheme == dss.scheme)
            .flat_map(|(_, algs)| algs.iter());
        for alg in algs {
            if key.verify_signature(*alg, message, dss.signature()).is_ok() {
                return Ok(HandshakeSignatureValid::assertion());
            }
        }
        Err(rustls::Error::InvalidCertificate(
            rustls::CertificateError::BadSignature,
        ))
    }
}

impl ClientCertVerifier for PinnedClientCertificate {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.certificate.as_ref() {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        _cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.verify(message, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        _cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature_with_raw_key(
            message,
            &self.public_key,
            dss,
            &self.algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// Starts a TLS server for one connection: it sends "hello", then echoes until EOF. The task
/// returns the server side's handshake result.
async fn start_server(spec: ServerSpec) -> (u16, JoinHandle<io::Result<()>>) {
    let provider = Arc::new(ottla_tls::crypto_provider().unwrap());
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(fixture(spec.cert))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(fixture(spec.key)).unwrap();
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(spec.versions)
        .unwrap();
    let builder = match (spec.client_ca, spec.pinned_client) {
        (_, Some((cert, key))) => builder.with_client_cert_verifier(Arc::new(
            PinnedClientCertificate::new(cert, key, &provider),
        )),
        (Some(ca), None) => {
            let mut roots = RootCertStore::empty();
            for c in CertificateDer::pem_file_iter(fixture(ca)).unwrap() {
                roots.add(c.unwrap()).unwrap();
            }
            let verifier =
                WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                    .build()
                    .unwrap();
            builder.with_client_cert_verifier(verifier)
        }
        (None, None) => builder.with_no_client_auth(),
    };
    // Not `with_single_cert`: it parses the certificate with webpki, which a test with a
    // v1 server certificate must get past.
    let signing_key = provider.key_provider.load_private_key(key).unwrap();
    let config = builder.with_cert_resolver(Arc::new(SingleCertAndKey::from(CertifiedKey::new(
        certs,
        signing_key,
    ))));
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await?;
        let mut tls = acceptor.accept(tcp).await?;
        tls.write_all(b"hello").await?;
        let mut buf = [0u8; 256];
        loop {
            let n = tls.read(&mut buf).await?;
            if n == 0 {
                return Ok(());
            }
            tls.write_all(&buf[..n]).await?;
        }
    });
    (port, task)
}

/// The typed error inside an I/O error from a TLS transport.
fn typed(e: io::Error) -> ConnectError {
    match e.get_ref().and_then(|i| i.downcast_ref::<ConnectError>()) {
        Some(c) => c.clone(),
        None => panic!("I/O error without a ConnectError inside: {e:?}"),
    }
}

/// Connects, reads the greeting and checks one echo.
async fn exchange(host: &str, port: u16, tls: TlsConnector) -> Result<Transport, ConnectError> {
    let opts = ConnectOptions {
        setup_timeout: Duration::from_secs(10),
        tls: Some(tls),
    };
    let mut t = connect(host, port, &opts).await?;
    assert!(t.is_tls());
    let mut greeting = [0u8; 5];
    t.read_exact(&mut greeting).await.map_err(typed)?;
    assert_eq!(&greeting, b"hello");
    t.write_all(b"ping").await.map_err(typed)?;
    let mut echo = [0u8; 4];
    t.read_exact(&mut echo).await.map_err(typed)?;
    assert_eq!(&echo, b"ping");
    Ok(t)
}

fn trusting(ca: &str) -> TlsOptions {
    let mut o = TlsOptions::new();
    o.ca_location = Some(fixture(ca));
    o
}

fn with_client(cert: &str, key: &str) -> TlsOptions {
    let mut o = trusting("ca.pem");
    o.certificate_location = Some(fixture(cert));
    o.key_location = Some(fixture(key));
    o
}

fn config_error(o: &TlsOptions) -> TlsConfigError {
    match o.build() {
        Err(ConnectError::Config(e)) => e,
        Err(other) => panic!("expected a config error, got {other}"),
        Ok(c) => panic!("expected a config error, got {c:?}"),
    }
}

fn server_certificate_problem(e: ConnectError, port: u16) -> CertificateProblem {
    let text = e.to_string();
    match e {
        ConnectError::Tls {
            problem: TlsProblem::ServerCertificate(p),
            port: p2,
            ..
        } => {
            assert_eq!(p2, port);
            assert!(text.contains(&format!(":{port}")), "{text}");
            p
        }
        other => panic!("expected a server certificate error, got {other}"),
    }
}

#[tokio::test]
async fn echo_over_tls13() {
    let (port, server) = start_server(ServerSpec::new(TLS13)).await;
    let tls = trusting("ca.pem").build().unwrap();
    assert!(tls.verifies_hostname());
    let t = exchange("localhost", port, tls).await.unwrap();
    assert_eq!(t.tls_version(), Some(TlsVersion::Tls13));
    assert!(t.nodelay().unwrap());
    let mut t = t;
    t.shutdown().await.unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn echo_over_tls12() {
    let (port, server) = start_server(ServerSpec::new(TLS12)).await;
    let t = exchange("localhost", port, trusting("ca.pem").build().unwrap())
        .await
        .unwrap();
    assert_eq!(t.tls_version(), Some(TlsVersion::Tls12));
    let mut t = t;
    t.shutdown().await.unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn ip_address_is_checked_against_ip_sans() {
    let (port, _server) = start_server(ServerSpec::new(BOTH)).await;
    let t = exchange("127.0.0.1", port, trusting("ca.pem").build().unwrap())
        .await
        .unwrap();
    assert_eq!(t.tls_version(), Some(TlsVersion::Tls13));
}

#[tokio::test]
async fn inline_ca_pem_works() {
    let (port, _server) = start_server(ServerSpec::new(BOTH)).await;
    let mut o = TlsOptions::new();
    o.set("ssl.ca.pem", &fixture_text("ca.pem")).unwrap();
    exchange("localhost", port, o.build().unwrap())
        .await
        .unwrap();
}

#[tokio::test]
async fn wrong_ca_is_an_unknown_issuer_naming_the_broker() {
    let (port, _server) = start_server(ServerSpec::new(BOTH)).await;
    let e = exchange("localhost", port, trusting("other-ca.pem").build().unwrap())
        .await
        .unwrap_err();
    let text = e.to_string();
    assert!(text.contains(&format!("localhost:{port}")), "{text}");
    assert!(text.contains("unknown issuer"), "{text}");
    assert_eq!(
        server_certificate_problem(e, port),
        CertificateProblem::UnknownIssuer
    );
}

#[tokio::test]
async fn wrong_ca_over_tls12() {
    let (port, _server) = start_server(ServerSpec::new(TLS12)).await;
    let e = exchange("localhost", port, trusting("other-ca.pem").build().unwrap())
        .await
        .unwrap_err();
    assert_eq!(
        server_certificate_problem(e, port),
        CertificateProblem::UnknownIssuer
    );
}

#[tokio::test]
async fn hostname_mismatch_lists_the_certificate_names() {
    let (port, _server) = start_server(ServerSpec {
        cert: "server-other-name.pem",
        key: "server-other-name.key",
        ..ServerSpec::new(BOTH)
    })
    .await;
    let e = exchange("localhost", port, trusting("ca.pem").build().unwrap())
        .await
        .unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("broker.example") && text.contains("localhost"),
        "{text}"
    );
    assert_eq!(
        server_certificate_problem(e, port),
        CertificateProblem::NameMismatch {
            expected: "localhost".into(),
            presented: vec!["broker.example".into()],
        }
    );
}

#[tokio::test]
async fn ip_address_mismatch() {
    let (port, _server) = start_server(ServerSpec {
        cert: "server-other-name.pem",
        key: "server-other-name.key",
        ..ServerSpec::new(BOTH)
    })
    .await;
    let e = exchange("127.0.0.1", port, trusting("ca.pem").build().unwrap())
        .await
        .unwrap_err();
    match server_certificate_problem(e, port) {
        CertificateProblem::NameMismatch { expected, .. } => assert_eq!(expected, "127.0.0.1"),
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn endpoint_identification_none_skips_only_the_name() {
    let spec = || ServerSpec {
        cert: "server-other-name.pem",
        key: "server-other-name.key",
        ..ServerSpec::new(BOTH)
    };
    let (port, _server) = start_server(spec()).await;
    let mut o = trusting("ca.pem");
    o.set("ssl.endpoint.identification.algorithm", "none")
        .unwrap();
    let tls = o.build().unwrap();
    assert!(!tls.verifies_hostname());
    exchange("localhost", port, tls).await.unwrap();

    // The chain is still verified.
    let (port, _server) = start_server(spec()).await;
    let mut o = trusting("other-ca.pem");
    o.endpoint_identification = EndpointIdentification::None;
    let e = exchange("localhost", port, o.build().unwrap())
        .await
        .unwrap_err();
    assert_eq!(
        server_certificate_problem(e, port),
        CertificateProblem::UnknownIssuer
    );
}

#[tokio::test]
async fn endpoint_identification_none_over_tls12() {
    let (port, _server) = start_server(ServerSpec {
        cert: "server-other-name.pem",
        key: "server-other-name.key",
        ..ServerSpec::new(TLS12)
    })
    .await;
    let mut o = trusting("ca.pem");
    o.endpoint_identification = EndpointIdentification::None;
    let t = exchange("localhost", port, o.build().unwrap())
        .await
        .unwrap();
    assert_eq!(t.tls_version(), Some(TlsVersion::Tls12));
}

fn mtls(versions: &'static [&'static SupportedProtocolVersion]) -> ServerSpec {
    ServerSpec {
        client_ca: Some("ca.pem"),
        ..ServerSpec::new(versions)
    }
}

#[tokio::test]
async fn mutual_tls_each_key_format() {
    for (cert, key) in [
        ("client.pem", "client.key.pkcs8.pem"),
        ("client.pem", "client.key.pkcs1.pem"),
        ("client-ec.pem", "client-ec.key.sec1.pem"),
        ("client-ec.pem", "client-ec.key.pkcs8.pem"),
        ("client-chain.pem", "client-chain.key.pem"),
    ] {
        for versions in [TLS13, TLS12] {
            let (port, server) = start_server(mtls(versions)).await;
            let tls = with_client(cert, key).build().unwrap();
            assert!(tls.has_client_certificate());
            let mut t = exchange("localhost", port, tls)
                .await
                .unwrap_or_else(|e| panic!("{cert} + {key} over {versions:?}: {e}"));
            t.shutdown().await.unwrap();
            server
                .await
                .unwrap()
                .unwrap_or_else(|e| panic!("server, {cert} + {key}: {e}"));
        }
    }
}

#[tokio::test]
async fn mutual_tls_inline_pem() {
    let (port, _server) = start_server(mtls(BOTH)).await;
    let mut o = trusting("ca.pem");
    o.set("ssl.certificate.pem", &fixture_text("client.pem"))
        .unwrap();
    o.set("ssl.key.pem", &fixture_text("client.key.encrypted.pem"))
        .unwrap();
    o.set("ssl.key.password", "ottla-test").unwrap();
    exchange("localhost", port, o.build().unwrap())
        .await
        .unwrap();
}

#[tokio::test]
async fn encrypted_key_with_the_right_password() {
    let (port, _server) = start_server(mtls(BOTH)).await;
    let mut o = with_client("client.pem", "client.key.encrypted.pem");
    o.key_password = Some("ottla-test".into());
    exchange("localhost", port, o.build().unwrap())
        .await
        .unwrap();
}

/// An X.509 v1 client certificate (no extensions: what `openssl x509 -req` writes by default)
/// is the broker's to judge, as with librdkafka and the Java client: ottla-tls loads it and
/// sends it. rustls's own check of it (webpki, v3 only) used to fail the build with
/// `Other(OtherError(UnsupportedCertVersion))`.
#[tokio::test]
async fn mutual_tls_with_an_x509_v1_client_certificate() {
    for versions in [TLS13, TLS12] {
        let (port, server) = start_server(ServerSpec {
            pinned_client: Some(("client-v1.pem", "client-v1.key")),
            ..ServerSpec::new(versions)
        })
        .await;
        let tls = with_client("client-v1.pem", "client-v1.key")
            .build()
            .unwrap_or_else(|e| panic!("a v1 client certificate is refused: {e}"));
        assert!(tls.has_client_certificate());
        let mut t = exchange("localhost", port, tls)
            .await
            .unwrap_or_else(|e| panic!("over {versions:?}: {e}"));
        t.shutdown().await.unwrap();
        server
            .await
            .unwrap()
            .unwrap_or_else(|e| panic!("server over {versions:?}: {e}"));
    }
}

#[test]
fn a_v1_certificate_with_another_key_is_a_mismatch() {
    let e = config_error(&with_client("client-v1.pem", "client.key.pkcs8.pem"));
    assert!(matches!(e, TlsConfigError::KeyMismatch { .. }), "{e}");
}

/// A broker certificate webpki cannot accept (X.509 v1) is reported in a sentence, not as
/// rustls's `Other(OtherError(UnsupportedCertVersion))`.
#[tokio::test]
async fn a_v1_broker_certificate_is_explained() {
    let (port, _server) = start_server(ServerSpec {
        cert: "client-v1.pem",
        key: "client-v1.key",
        ..ServerSpec::new(BOTH)
    })
    .await;
    let e = exchange(
        "localhost",
        port,
        trusting("client-v1-ca.pem").build().unwrap(),
    )
    .await
    .unwrap_err();
    let text = e.to_string();
    let CertificateProblem::Other(sentence) = server_certificate_problem(e, port) else {
        panic!("expected an X.509 version problem: {text}");
    };
    assert!(
        sentence.contains("not an X.509 version 3 certificate"),
        "{text}"
    );
    assert!(
        !text.contains("OtherError") && !text.contains("UnsupportedCertVersion"),
        "{text}"
    );
}

/// A PEM section that does not hold a certificate names the file and says why in words.
#[test]
fn a_certificate_that_is_not_der_is_explained() {
    let dir = std::env::temp_dir().join(format!("ottla-tls-not-der-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("not-der.pem");
    std::fs::write(
        &bad,
        "-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let mut o = with_client("client.pem", "client.key.pkcs8.pem");
    o.certificate_location = Some(bad.clone());
    let e = config_error(&o);
    let text = e.to_string();
    assert!(
        matches!(e, TlsConfigError::InvalidCertificate { index: 1, .. }),
        "{text}"
    );
    assert!(
        text.contains("not-der.pem") && text.contains("not a DER-encoded X.509 certificate"),
        "{text}"
    );
    // A CA file with the same content: rustls's "BadEncoding" becomes a sentence too.
    let mut o = TlsOptions::new();
    o.ca_location = Some(bad);
    let text = config_error(&o).to_string();
    assert!(
        text.contains("not a valid DER-encoded X.509 certificate"),
        "{text}"
    );
    assert!(
        !text.contains("BadEncoding") && !text.contains("peer"),
        "{text}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The broker rejects our certificate (or its absence): an alert, reported either by the
/// handshake (TLS 1.2) or by the first read (TLS 1.3, where the client finishes first).
async fn rejected_by_broker(
    o: TlsOptions,
    versions: &'static [&'static SupportedProtocolVersion],
) -> String {
    let (port, server) = start_server(mtls(versions)).await;
    let e = exchange("localhost", port, o.build().unwrap())
        .await
        .unwrap_err();
    let text = e.to_string();
    assert!(text.contains(&format!("localhost:{port}")), "{text}");
    match e {
        ConnectError::Tls {
            problem:
                TlsProblem::AlertFromBroker {
                    alert,
                    client_certificate: true,
                    ..
                },
            ..
        } => {
            assert!(server.await.unwrap().is_err(), "the server accepted");
            alert
        }
        other => panic!("expected a rejected client certificate, got {other:?}"),
    }
}

#[tokio::test]
async fn mutual_tls_missing_certificate_fails() {
    for versions in [TLS13, TLS12] {
        let alert = rejected_by_broker(trusting("ca.pem"), versions).await;
        assert_eq!(alert, "CertificateRequired");
    }
}

#[tokio::test]
async fn mutual_tls_untrusted_certificate_fails() {
    for versions in [TLS13, TLS12] {
        let o = with_client("client-untrusted.pem", "client-untrusted.key");
        assert_eq!(rejected_by_broker(o, versions).await, "UnknownCA");
    }
}

#[tokio::test]
async fn mutual_tls_expired_certificate_fails() {
    for versions in [TLS13, TLS12] {
        let o = with_client("client-expired.pem", "client-expired.key");
        assert_eq!(rejected_by_broker(o, versions).await, "CertificateExpired");
    }
}

#[tokio::test]
async fn handshake_shares_the_setup_deadline() {
    // Accepts TCP and never answers the ClientHello.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let _server = tokio::spawn(async move {
        let (s, _) = listener.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(s);
    });
    let opts = ConnectOptions {
        setup_timeout: Duration::from_millis(300),
        tls: Some(trusting("ca.pem").build().unwrap()),
    };
    let start = std::time::Instant::now();
    let e = connect("127.0.0.1", port, &opts).await.unwrap_err();
    let took = start.elapsed();
    assert!(matches!(e, ConnectError::TlsTimeout { .. }), "{e}");
    assert!(
        e.to_string().contains("socket.connection.setup.timeout.ms"),
        "{e}"
    );
    assert!(
        took >= Duration::from_millis(290) && took < Duration::from_secs(3),
        "{took:?}"
    );
}

#[tokio::test]
async fn plaintext_listener_is_a_tls_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut b = [0u8; 4];
        let _ = s.read(&mut b).await;
        // Looks like a Kafka response frame, not TLS.
        let _ = s.write_all(&[0, 0, 0, 8, 0, 0, 0, 1, 0, 35, 0, 0]).await;
    });
    let opts = ConnectOptions {
        setup_timeout: Duration::from_secs(5),
        tls: Some(trusting("ca.pem").build().unwrap()),
    };
    let e = connect("127.0.0.1", port, &opts).await.unwrap_err();
    match &e {
        ConnectError::Tls {
            problem: TlsProblem::Protocol(_) | TlsProblem::ClosedDuringHandshake,
            ..
        } => assert!(e.to_string().contains("TLS listener"), "{e}"),
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn system_roots_do_not_trust_the_test_ca() {
    match TlsOptions::new().build() {
        Ok(tls) => {
            let (port, _server) = start_server(ServerSpec::new(BOTH)).await;
            let e = exchange("localhost", port, tls).await.unwrap_err();
            assert_eq!(
                server_certificate_problem(e, port),
                CertificateProblem::UnknownIssuer
            );
        }
        // A machine without a CA store: the error says so and what to set.
        Err(ConnectError::Config(e @ TlsConfigError::NoTrustAnchors { .. })) => {
            assert!(e.to_string().contains("ssl.ca.location"), "{e}")
        }
        Err(e) => panic!("unexpected {e}"),
    }
}

// ---- configuration errors, found at build time ----

#[test]
fn wrong_key_password_names_the_setting() {
    let mut o = with_client("client.pem", "client.key.encrypted.pem");
    o.key_password = Some("not-the-password".into());
    let e = config_error(&o);
    assert!(matches!(e, TlsConfigError::WrongKeyPassword { .. }), "{e}");
    let text = e.to_string();
    assert!(
        text.contains("ssl.key.password") && text.contains("client.key.encrypted.pem"),
        "{text}"
    );
}

#[test]
fn encrypted_key_without_password() {
    let e = config_error(&with_client("client.pem", "client.key.encrypted.pem"));
    assert!(
        matches!(e, TlsConfigError::KeyPasswordRequired { .. }),
        "{e}"
    );
    assert!(e.to_string().contains("ssl.key.password"), "{e}");
}

#[test]
fn pkcs12_style_encryption_is_unsupported() {
    let mut o = with_client("client.pem", "client.key.pbe-sha1-3des.pem");
    o.key_password = Some("ottla-test".into());
    let e = config_error(&o);
    assert!(
        matches!(e, TlsConfigError::UnsupportedKeyEncryption { .. }),
        "{e}"
    );
    let text = e.to_string();
    assert!(
        text.contains("openssl pkcs8") && text.contains("PKCS#12"),
        "{text}"
    );
}

#[test]
fn missing_ca_file_is_named() {
    let mut o = TlsOptions::new();
    o.ca_location = Some(fixture("no-such-ca.pem"));
    let e = config_error(&o);
    let text = e.to_string();
    assert!(
        text.contains("no-such-ca.pem") && text.contains("ssl.ca.location"),
        "{text}"
    );
    match e {
        TlsConfigError::Read { source, .. } => {
            assert_eq!(source.kind(), io::ErrorKind::NotFound)
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn ca_file_without_certificates() {
    let mut o = TlsOptions::new();
    o.ca_location = Some(fixture("server.key"));
    let e = config_error(&o);
    assert!(matches!(e, TlsConfigError::NoCertificate { .. }), "{e}");
    assert!(e.to_string().contains("server.key"), "{e}");
}

#[test]
fn certificate_file_that_is_not_pem() {
    let dir = std::env::temp_dir().join(format!("ottla-tls-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("truncated.pem");
    let text = fixture_text("client.pem");
    std::fs::write(&bad, &text[..text.len() / 2]).unwrap();
    let mut o = with_client("client.pem", "client.key.pkcs8.pem");
    o.certificate_location = Some(bad.clone());
    let e = config_error(&o);
    assert!(matches!(e, TlsConfigError::NotPem { .. }), "{e}");
    assert!(e.to_string().contains("truncated.pem"), "{e}");
    assert!(e.to_string().contains("ssl.certificate.location"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn key_file_without_a_key() {
    let e = config_error(&with_client("client.pem", "ca.pem"));
    assert!(matches!(e, TlsConfigError::NoPrivateKey { .. }), "{e}");
    assert!(e.to_string().contains("ssl.key.location"), "{e}");
}

#[test]
fn key_that_does_not_match_the_certificate() {
    let e = config_error(&with_client("client.pem", "client-ec.key.pkcs8.pem"));
    assert!(matches!(e, TlsConfigError::KeyMismatch { .. }), "{e}");
    let text = e.to_string();
    assert!(
        text.contains("client.pem") && text.contains("client-ec.key.pkcs8.pem"),
        "{text}"
    );
}

#[test]
fn certificate_without_key_and_key_without_certificate() {
    let mut o = trusting("ca.pem");
    o.certificate_location = Some(fixture("client.pem"));
    let e = config_error(&o);
    assert!(matches!(e, TlsConfigError::Missing { .. }), "{e}");
    assert!(e.to_string().contains("ssl.key.location"), "{e}");

    let mut o = trusting("ca.pem");
    o.key_pem = Some(fixture_text("client.key.pkcs8.pem"));
    let e = config_error(&o);
    assert!(e.to_string().contains("ssl.key.pem is set"), "{e}");
}

#[test]
fn location_and_inline_pem_exclude_each_other() {
    let mut o = with_client("client.pem", "client.key.pkcs8.pem");
    o.key_pem = Some(fixture_text("client.key.pkcs8.pem"));
    let e = config_error(&o);
    assert!(matches!(e, TlsConfigError::Conflict { .. }), "{e}");
}

#[test]
fn debug_of_a_built_connector_shows_no_secrets() {
    let mut o = with_client("client.pem", "client.key.encrypted.pem");
    o.key_password = Some("ottla-test".into());
    let shown = format!("{o:?} {:?}", o.build().unwrap());
    assert!(!shown.contains("ottla-test"), "{shown}");
}
