//! The rustls crypto provider: graviola (pure Rust) unless the `aws-lc-rs` or `ring` feature
//! picks a provider built with C.

use rustls::crypto::CryptoProvider;

use crate::error::ConnectError;

#[cfg(not(any(feature = "graviola", feature = "ring", feature = "aws-lc-rs")))]
compile_error!(
    "ottla-tls needs one crypto provider feature: graviola (default), ring or aws-lc-rs"
);

/// The crypto provider TLS connections use, after checking that it can run here.
///
/// With default features this is [graviola](https://crates.io/crates/rustls-graviola), which
/// needs x86_64 with AES-NI, PCLMULQDQ, AVX, AVX2, BMI1 and ADX, or aarch64 with NEON, AES,
/// PMULL and SHA2; on other CPUs this returns [`ConnectError::UnsupportedCpu`]. The `aws-lc-rs`
/// feature (first) or the `ring` feature replaces it.
pub fn crypto_provider() -> Result<CryptoProvider, ConnectError> {
    #[cfg(feature = "aws-lc-rs")]
    {
        Ok(rustls::crypto::aws_lc_rs::default_provider())
    }
    #[cfg(all(feature = "ring", not(feature = "aws-lc-rs")))]
    {
        Ok(rustls::crypto::ring::default_provider())
    }
    #[cfg(all(
        feature = "graviola",
        not(any(feature = "ring", feature = "aws-lc-rs"))
    ))]
    {
        crate::cpu_support::check_graviola()?;
        Ok(rustls_graviola::default_provider())
    }
}

/// The name of the crypto provider [`crypto_provider`] returns.
pub fn crypto_provider_name() -> &'static str {
    if cfg!(feature = "aws-lc-rs") {
        "aws-lc-rs"
    } else if cfg!(feature = "ring") {
        "ring"
    } else {
        "graviola"
    }
}
