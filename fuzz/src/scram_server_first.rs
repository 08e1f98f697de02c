//! Target `scram_server_first`: a SCRAM client's handling of the server-first-message.
//!
//! Input: byte 0 bit 0 picks SCRAM-SHA-256 (0) or SCRAM-SHA-512 (1); the rest is the
//! server-first-message, fed to a client that sent its client-first with [`CLIENT_NONCE`]
//! (iteration counts 1..=[`MAX_ITERATIONS`] accepted, so runs stay fast). When the client
//! accepts the message, its client-final must equal what [`scram_reference`] computes from the
//! message's nonce, salt and count, and the nonce must extend ours.
//!
//! [`scram_reference`]: crate::scram_reference

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ottla_sasl::{Authenticator, Scram, ScramAlgorithm, Secret};

use crate::scram_reference::{exchange, CLIENT_NONCE, PASSWORD, USER};

/// The largest iteration count the target's client accepts.
pub const MAX_ITERATIONS: u32 = 64;

/// A client in the state to receive the server-first-message.
pub fn client(sha512: bool) -> Scram {
    let alg = if sha512 {
        ScramAlgorithm::Sha512
    } else {
        ScramAlgorithm::Sha256
    };
    let mut s = Scram::with_nonce(alg, USER, Secret::new(PASSWORD), CLIENT_NONCE)
        .expect("valid credentials")
        .min_iterations(1)
        .max_iterations(MAX_ITERATIONS);
    let first = s.initial().expect("client-first");
    assert_eq!(first, format!("n,,n={USER},r={CLIENT_NONCE}").as_bytes());
    s
}

/// Feeds the server-first-message; `true` if the client answered it.
pub fn check(data: &[u8]) -> bool {
    let Some((&selector, message)) = data.split_first() else {
        return false;
    };
    let sha512 = selector & 1 == 1;
    let mut s = client(sha512);
    match s.step(message) {
        Ok(Some(client_final)) => {
            // Accepted, so the message is `r=…,s=…,i=…` exactly.
            let text = std::str::from_utf8(message).expect("accepted message is UTF-8");
            let mut attrs = text.split(',');
            let nonce = attrs.next().and_then(|a| a.strip_prefix("r=")).expect("r=");
            let salt = attrs.next().and_then(|a| a.strip_prefix("s=")).expect("s=");
            let count = attrs.next().and_then(|a| a.strip_prefix("i=")).expect("i=");
            assert!(attrs.next().is_none(), "accepted extra attributes");
            assert!(
                nonce.starts_with(CLIENT_NONCE) && nonce.len() > CLIENT_NONCE.len(),
                "accepted a nonce that does not extend ours"
            );
            let salt = STANDARD.decode(salt).expect("accepted salt is base64");
            let iterations: u32 = count.parse().expect("accepted count is a number");
            assert!((1..=MAX_ITERATIONS).contains(&iterations));
            let (expected, _) = exchange(sha512, nonce, &salt, iterations);
            assert_eq!(
                client_final,
                expected.as_bytes(),
                "client-final differs from the reference"
            );
            true
        }
        Ok(None) => panic!("a server-first-message ended the exchange"),
        Err(_) => {
            // A failed exchange stays failed.
            assert!(s.step(b"v=AAAA").is_err());
            false
        }
    }
}
