//! The client side of a SCRAM exchange (client-first → client-final → verify server-final),
//! with a cold salted-password cache (PBKDF2 runs, as on a first connection) and a warm one
//! (as on a reconnect or KIP-368 re-authentication).
//!
//! `cargo bench -p ottla-benches --bench scram`

use std::hint::black_box;
use std::sync::Arc;

use base64::Engine;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use hmac::{Hmac, Mac};
use ottla_sasl::{Authenticator, Scram, ScramAlgorithm, ScramCache, Secret};
use sha2::{Digest, Sha256, Sha512};

const USER: &str = "alice";
const PASSWORD: &str = "alice-secret";
const CLIENT_NONCE: &str = "fyko+d2lbbFgONRv9qkxdawL";
const SERVER_NONCE: &str = "3rfcNHYJY1ZVvWVs7j";
const SALT: &[u8] = b"ottla-bench-salt";

/// Server messages for the fixed nonce, computed once (RFC 5802 §3) outside the timed loop.
fn server_messages(algorithm: ScramAlgorithm, iterations: u32) -> (Vec<u8>, Vec<u8>) {
    let b64 = base64::engine::general_purpose::STANDARD;
    let nonce = format!("{CLIENT_NONCE}{SERVER_NONCE}");
    let server_first = format!("r={nonce},s={},i={iterations}", b64.encode(SALT));
    let auth_message = format!("n={USER},r={CLIENT_NONCE},{server_first},c=biws,r={nonce}");
    let signature = match algorithm {
        ScramAlgorithm::Sha256 => {
            let mut salted = [0u8; 32];
            pbkdf2::pbkdf2_hmac::<Sha256>(PASSWORD.as_bytes(), SALT, iterations, &mut salted);
            let server_key = hmac::<Hmac<Sha256>>(&salted, b"Server Key");
            hmac::<Hmac<Sha256>>(&server_key, auth_message.as_bytes())
        }
        _ => {
            let mut salted = [0u8; 64];
            pbkdf2::pbkdf2_hmac::<Sha512>(PASSWORD.as_bytes(), SALT, iterations, &mut salted);
            let server_key = hmac::<Hmac<Sha512>>(&salted, b"Server Key");
            hmac::<Hmac<Sha512>>(&server_key, auth_message.as_bytes())
        }
    };
    let _ = Sha256::digest(b""); // keep the Digest import honest for both algorithms
    (
        server_first.into_bytes(),
        format!("v={}", b64.encode(signature)).into_bytes(),
    )
}

fn hmac<M: Mac + hmac::digest::KeyInit>(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut m = <M as hmac::digest::KeyInit>::new_from_slice(key).expect("any key length");
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

fn exchange(algorithm: ScramAlgorithm, cache: &Arc<ScramCache>, first: &[u8], last: &[u8]) {
    let mut scram = Scram::with_nonce(algorithm, USER, Secret::new(PASSWORD), CLIENT_NONCE)
        .expect("valid credentials")
        .cache(Arc::clone(cache));
    black_box(scram.initial().expect("client-first"));
    let client_final = scram.step(first).expect("server-first accepted");
    black_box(client_final);
    assert!(scram
        .step(last)
        .expect("server signature verifies")
        .is_none());
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("scram_client_exchange");
    group.sample_size(20);
    for algorithm in [ScramAlgorithm::Sha256, ScramAlgorithm::Sha512] {
        for iterations in [4096u32, 8192] {
            let (first, last) = server_messages(algorithm, iterations);
            let id = format!("{}/i={iterations}", algorithm.mechanism());
            group.bench_function(BenchmarkId::new("cold_cache", &id), |b| {
                b.iter(|| exchange(algorithm, &Arc::new(ScramCache::new()), &first, &last))
            });
            let warm = Arc::new(ScramCache::new());
            exchange(algorithm, &warm, &first, &last);
            group.bench_function(BenchmarkId::new("cached", &id), |b| {
                b.iter(|| exchange(algorithm, &warm, &first, &last))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
