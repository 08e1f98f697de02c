//! Target `scram_server_final`: a SCRAM client's handling of the server-final-message.
//!
//! Input: byte 0 bit 0 picks SCRAM-SHA-256 (0) or SCRAM-SHA-512 (1); the rest is the
//! server-final-message, fed to a client driven with [`CLIENT_NONCE`] through
//! [`server_first`]. The client must complete the exchange exactly when the input is the
//! server-final-message [`scram_reference`] computes (`v=` with the right signature), and
//! never otherwise.
//!
//! The client looks its salted password up in a [`ScramCache`] shared by all runs, so the
//! cache's hit path is exercised and runs skip PBKDF2; the reference values are computed once.
//!
//! [`scram_reference`]: crate::scram_reference

use std::sync::{Arc, OnceLock};

use ottla_sasl::{Authenticator, SaslError, Scram, ScramCache};

use crate::scram_reference::{exchange, CLIENT_NONCE};
use crate::scram_server_first::client;

/// The server's nonce suffix, salt and iteration count in the fixed server-first-message.
pub const SERVER_NONCE: &str = "3rfcNHYJY1ZVvWVs7j";
/// The fixed salt.
pub const SALT: &[u8] = b"ottla-fuzz-salt!";
/// The fixed iteration count.
pub const ITERATIONS: u32 = 16;

/// The fixed server-first-message the client is driven through.
pub fn server_first() -> String {
    use base64::Engine as _;
    format!(
        "r={CLIENT_NONCE}{SERVER_NONCE},s={},i={ITERATIONS}",
        base64::engine::general_purpose::STANDARD.encode(SALT)
    )
}

/// The reference (client-final, server-final) for each algorithm, computed once.
fn reference(sha512: bool) -> &'static (String, String) {
    static REFERENCE: OnceLock<[(String, String); 2]> = OnceLock::new();
    let both = REFERENCE.get_or_init(|| {
        let nonce = format!("{CLIENT_NONCE}{SERVER_NONCE}");
        [
            exchange(false, &nonce, SALT, ITERATIONS),
            exchange(true, &nonce, SALT, ITERATIONS),
        ]
    });
    &both[usize::from(sha512)]
}

/// The correct server-final-message (from the reference computation).
pub fn expected_server_final(sha512: bool) -> String {
    reference(sha512).1.clone()
}

/// A client waiting for the server-final-message.
pub fn client_at_final(sha512: bool) -> Scram {
    static CACHE: OnceLock<Arc<ScramCache>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Arc::new(ScramCache::new()));
    let mut s = client(sha512).cache(Arc::clone(cache));
    let client_final = s
        .step(server_first().as_bytes())
        .expect("the fixed server-first is accepted")
        .expect("a client-final");
    assert_eq!(
        client_final,
        reference(sha512).0.as_bytes(),
        "client-final differs from the reference"
    );
    s
}

/// Feeds the server-final-message; `true` if the exchange completed.
pub fn check(data: &[u8]) -> bool {
    let Some((&selector, message)) = data.split_first() else {
        return false;
    };
    let sha512 = selector & 1 == 1;
    let mut s = client_at_final(sha512);
    let expected = &reference(sha512).1;
    let result = s.step(message);
    match result {
        Ok(None) => {
            assert_eq!(
                message,
                expected.as_bytes(),
                "completed with a server-final other than the right one"
            );
            assert!(s.is_done());
            true
        }
        Ok(Some(_)) => panic!("the client sent a message after the server-final"),
        Err(e) => {
            assert_ne!(
                message,
                expected.as_bytes(),
                "rejected the right server-final: {e}"
            );
            if message.starts_with(b"e=") && !message.contains(&b',') {
                assert!(
                    matches!(
                        e,
                        SaslError::ScramServer { .. } | SaslError::UnexpectedServerMessage { .. }
                    ),
                    "{e:?}"
                );
            }
            assert!(!s.is_done());
            false
        }
    }
}
