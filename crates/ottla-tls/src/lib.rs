//! Connection setup for ottla: TCP with a setup deadline over every resolved address, and
//! TLS (rustls) on top, with mutual TLS, as Kafka's `ssl.*` settings describe it.
//!
//! The crypto provider is [graviola](https://crates.io/crates/rustls-graviola), pure Rust, by
//! default (x86_64 with AES-NI/PCLMULQDQ/AVX2/BMI1/ADX or aarch64 with AES/PMULL/SHA2; other
//! CPUs get [`ConnectError::UnsupportedCpu`]). The `ring` or `aws-lc-rs` feature switches to a
//! provider that needs a C compiler.
//!
//! Trust follows librdkafka: if `ssl.ca.location` or `ssl.ca.pem` is set, only those CAs are
//! trusted; otherwise the system's CAs are. Host names are verified unless
//! `ssl.endpoint.identification.algorithm=none`.
//!
//! ```no_run
//! # async fn run() -> Result<(), ottla_tls::ConnectError> {
//! use std::time::Duration;
//! use ottla_tls::{connect, ConnectOptions, TlsOptions};
//!
//! // Mutual TLS, as for Amazon MSK on port 9094.
//! let mut tls = TlsOptions::new();
//! tls.set("ssl.ca.location", "/etc/kafka/ca.pem")?;
//! tls.set("ssl.certificate.location", "/etc/kafka/client.pem")?;
//! tls.set("ssl.key.location", "/etc/kafka/client.key")?;
//! tls.set("ssl.key.password", "secret")?;
//! let connector = tls.build()?; // reads and checks every file once
//!
//! let opts = ConnectOptions { setup_timeout: Duration::from_secs(10), tls: Some(connector) };
//! let transport = connect("b-1.example.kafka.us-east-1.amazonaws.com", 9094, &opts).await?;
//! println!("connected to {} over {:?}", transport.peer_addr(), transport.tls_version());
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

mod chain_only_verifier;
mod config_error;
mod connect;
mod connector;
#[cfg(all(
    feature = "graviola",
    not(any(feature = "ring", feature = "aws-lc-rs"))
))]
mod cpu_support;
mod describe;
mod encrypted_key;
mod error;
mod options;
mod own_certificate;
mod pem_input;
mod provider;
mod tls_problem;
mod transport;

pub use config_error::{PemSource, TlsConfigError};
pub use connect::{connect, ConnectOptions};
pub use connector::TlsConnector;
pub use error::ConnectError;
pub use options::{EndpointIdentification, TlsOptions};
pub use provider::{crypto_provider, crypto_provider_name};
pub use tls_problem::{CertificateProblem, OfferedCertificate, TlsProblem};
pub use transport::{TlsVersion, Transport};
