//! Server nonces for SCRAM: unpredictable enough for a test broker, without a random-number
//! crate (std's per-instance SipHash keys, a counter and the clock, through SHA-256).

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD_NO_PAD as BASE64;
use base64::Engine;
use sha2::{Digest, Sha256};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// 24 random-looking bytes in base64 (printable, no comma, as RFC 5802 requires).
pub(crate) fn server_nonce() -> String {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let digest = Sha256::new()
        .chain_update(hasher.finish().to_be_bytes())
        .chain_update(nanos.to_be_bytes())
        .finalize();
    BASE64.encode(digest.get(..24).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_differ_and_are_printable() {
        let (a, b) = (server_nonce(), server_nonce());
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| (0x21..=0x7e).contains(&c) && c != b','));
    }
}
