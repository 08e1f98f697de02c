//! Whole SCRAM exchanges: known answers and every way the server can go wrong.

use std::sync::Arc;
use std::time::Instant;

use super::*;

const USER: &str = "user";
const PASSWORD: &str = "pencil";
const CLIENT_NONCE: &str = "rOprNGfwEbeRWgbNEkqO";

// RFC 7677 §3.
const SHA256_SERVER_FIRST: &str =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
const SHA256_CLIENT_FINAL: &str = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
const SHA256_SERVER_FINAL: &str = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

// SCRAM-SHA-512 has no RFC example. These values were computed once, independently of this
// crate, with Python 3.11's hashlib.pbkdf2_hmac / hmac / base64 (user "user", password
// "pencil", the RFC 7677 nonces, salt bytes 1..=16, i=4096), and pasted here.
const SHA512_SERVER_FIRST: &str =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=AQIDBAUGBwgJCgsMDQ4PEA==,i=4096";
const SHA512_CLIENT_FINAL: &str = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=qM3QawG5vSc7OpxPr4mdHtlu5RtotmGeiwzjII9DvPHpz+jXQyX0DdxWNJG4hQGlXAv5DDE9QKbNCDaxV06/sA==";
const SHA512_SERVER_FINAL: &str =
    "v=bpFXtUH1N7C/ijt3TEGWIlI8heMLO1iQfVDhA7CE99+OMf58tsUlPGbxsr6/gxkBk7laAYzUnPiRodMAY1m17g==";

fn client(alg: ScramAlgorithm) -> Scram {
    Scram::with_nonce(alg, USER, Secret::new(PASSWORD), CLIENT_NONCE).unwrap()
}

/// Runs initial + server-first; returns the client-final.
fn to_final(s: &mut Scram, server_first: &str) -> String {
    assert_eq!(s.initial().unwrap(), b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
    String::from_utf8(s.step(server_first.as_bytes()).unwrap().unwrap()).unwrap()
}

#[test]
fn rfc7677_sha256_exchange() {
    let mut s = client(ScramAlgorithm::Sha256);
    assert_eq!(s.mechanism(), "SCRAM-SHA-256");
    assert_eq!(to_final(&mut s, SHA256_SERVER_FIRST), SHA256_CLIENT_FINAL);
    assert_eq!(s.step(SHA256_SERVER_FINAL.as_bytes()).unwrap(), None);
    assert!(s.is_done());
    assert!(matches!(
        s.step(b"v=x").unwrap_err(),
        SaslError::OutOfOrder { .. }
    ));
}

#[test]
fn sha512_exchange_matches_python() {
    let mut s = client(ScramAlgorithm::Sha512);
    assert_eq!(s.mechanism(), "SCRAM-SHA-512");
    assert_eq!(to_final(&mut s, SHA512_SERVER_FIRST), SHA512_CLIENT_FINAL);
    assert_eq!(s.step(SHA512_SERVER_FINAL.as_bytes()).unwrap(), None);
    assert!(s.is_done());
}

#[test]
fn wrong_server_signature_rejected() {
    for (alg, first, fin) in [
        (
            ScramAlgorithm::Sha256,
            SHA256_SERVER_FIRST,
            SHA256_SERVER_FINAL,
        ),
        (
            ScramAlgorithm::Sha512,
            SHA512_SERVER_FIRST,
            SHA512_SERVER_FINAL,
        ),
    ] {
        // Flip one bit of the signature.
        let sig = STANDARD.decode(&fin[2..]).unwrap();
        let mut bad = sig.clone();
        bad[0] ^= 1;
        let short = &sig[..sig.len() - 1];
        // The other algorithm's correct signature is wrong here too.
        for wrong in [
            format!("v={}", STANDARD.encode(&bad)),
            format!("v={}", STANDARD.encode(short)),
            if alg == ScramAlgorithm::Sha256 {
                SHA512_SERVER_FINAL.to_owned()
            } else {
                SHA256_SERVER_FINAL.to_owned()
            },
        ] {
            let mut s = client(alg);
            to_final(&mut s, first);
            assert_eq!(
                s.step(wrong.as_bytes()).unwrap_err(),
                SaslError::ServerSignatureMismatch {
                    mechanism: alg.mechanism()
                }
            );
            assert!(!s.is_done());
            assert!(matches!(
                s.step(fin.as_bytes()).unwrap_err(),
                SaslError::OutOfOrder { .. }
            ));
        }
    }
}

#[test]
fn nonce_must_extend_ours() {
    for first in [
        // A different prefix.
        "r=XOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
        // Ours, truncated.
        "r=rOprNGfwEbeRWgbNEkq,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
        // Exactly ours: the server added nothing.
        "r=rOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
    ] {
        let mut s = client(ScramAlgorithm::Sha256);
        s.initial().unwrap();
        assert_eq!(
            s.step(first.as_bytes()).unwrap_err(),
            SaslError::NonceMismatch {
                mechanism: "SCRAM-SHA-256"
            }
        );
    }
}

#[test]
fn iteration_count_range_enforced() {
    let first =
        "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4095";
    let mut s = client(ScramAlgorithm::Sha256);
    s.initial().unwrap();
    assert_eq!(
        s.step(first.as_bytes()).unwrap_err(),
        SaslError::IterationCount {
            mechanism: "SCRAM-SHA-256",
            iterations: 4095,
            minimum: 4096,
            maximum: Scram::DEFAULT_MAX_ITERATIONS,
        }
    );
    // Configurable both ways.
    let mut s = client(ScramAlgorithm::Sha256).min_iterations(8192);
    s.initial().unwrap();
    assert!(matches!(
        s.step(SHA256_SERVER_FIRST.as_bytes()).unwrap_err(),
        SaslError::IterationCount {
            iterations: 4096,
            minimum: 8192,
            ..
        }
    ));
    let mut s = client(ScramAlgorithm::Sha256)
        .max_iterations(4000)
        .min_iterations(1);
    s.initial().unwrap();
    assert!(matches!(
        s.step(SHA256_SERVER_FIRST.as_bytes()).unwrap_err(),
        SaslError::IterationCount { maximum: 4000, .. }
    ));
    let huge = "r=rOprNGfwEbeRWgbNEkqO%x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4294967295";
    let mut s = client(ScramAlgorithm::Sha256);
    s.initial().unwrap();
    assert!(matches!(
        s.step(huge.as_bytes()).unwrap_err(),
        SaslError::IterationCount { .. }
    ));
}

#[test]
fn server_error_surfaced() {
    let mut s = client(ScramAlgorithm::Sha256);
    to_final(&mut s, SHA256_SERVER_FIRST);
    let e = s.step(b"e=invalid-proof").unwrap_err();
    assert_eq!(
        e,
        SaslError::ScramServer {
            mechanism: "SCRAM-SHA-256",
            error: ScramServerError::InvalidProof,
        }
    );
    assert!(e.to_string().contains("invalid-proof"), "{e}");
    let mut s = client(ScramAlgorithm::Sha256);
    to_final(&mut s, SHA256_SERVER_FIRST);
    assert!(matches!(
        s.step(b"e=quota-exceeded").unwrap_err(),
        SaslError::ScramServer { error: ScramServerError::Other(t), .. } if t == "quota-exceeded"
    ));
}

#[test]
fn malformed_messages_rejected() {
    for bad_first in [
        &b""[..],
        b"\xff\xfe",
        b"m=ext,r=rOprNGfwEbeRWgbNEkqO%x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
        b"s=W22ZaJ0SNY7soEsUEjb6gQ==,r=rOprNGfwEbeRWgbNEkqO%x,i=4096",
        b"r=rOprNGfwEbeRWgbNEkqO%x,s=!!!,i=4096",
        b"r=rOprNGfwEbeRWgbNEkqO%x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,x=1",
        b"r=rOprNGfwEbeRWgbNEkqO%x,s=W22ZaJ0SNY7soEsUEjb6gQ==",
        b"r=rOprNGfwEbeRWgbNEkqO%x,i=4096",
        b"r=rOprNGfwEbeRWgbNEkqO%x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096\n",
        b"e=other-error",
    ] {
        let mut s = client(ScramAlgorithm::Sha256);
        s.initial().unwrap();
        assert!(
            matches!(
                s.step(bad_first).unwrap_err(),
                SaslError::UnexpectedServerMessage { .. }
            ),
            "{:?}",
            String::from_utf8_lossy(bad_first)
        );
    }
    for bad_final in [
        &b""[..],
        b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4",
        b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=,x=y",
        b"x=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
        b"\x80",
    ] {
        let mut s = client(ScramAlgorithm::Sha256);
        to_final(&mut s, SHA256_SERVER_FIRST);
        assert!(
            matches!(
                s.step(bad_final).unwrap_err(),
                SaslError::UnexpectedServerMessage { .. }
            ),
            "{:?}",
            String::from_utf8_lossy(bad_final)
        );
    }
}

#[test]
fn out_of_order_calls() {
    let mut s = client(ScramAlgorithm::Sha256);
    assert!(matches!(
        s.step(SHA256_SERVER_FIRST.as_bytes()).unwrap_err(),
        SaslError::OutOfOrder { .. }
    ));
    let mut s = client(ScramAlgorithm::Sha256);
    s.initial().unwrap();
    assert!(matches!(
        s.initial().unwrap_err(),
        SaslError::OutOfOrder { .. }
    ));
}

#[test]
fn credentials_and_nonce_validated() {
    let a = ScramAlgorithm::Sha256;
    assert!(Scram::with_nonce(a, "", Secret::new("p"), "n").is_err());
    assert!(Scram::with_nonce(a, "u\0", Secret::new("p"), "n").is_err());
    assert!(Scram::with_nonce(a, "u", Secret::new(""), "n").is_err());
    assert!(Scram::with_nonce(a, "u", Secret::new("p\0"), "n").is_err());
    assert!(Scram::with_nonce(a, "u", Secret::new("p"), "").is_err());
    assert!(Scram::with_nonce(a, "u", Secret::new("p"), "a,b").is_err());
    assert!(Scram::with_nonce(a, "u", Secret::new("p"), "a b").is_err());
    assert!(Scram::from_random_bytes(a, "u", Secret::new("p"), &[7; 15]).is_err());
    let s = Scram::from_random_bytes(a, "u", Secret::new("p"), &[0xfb; 18]).unwrap();
    assert_eq!(s.client_nonce(), "+/v7+/v7+/v7+/v7+/v7+/v7");
}

#[test]
fn username_escaped_on_the_wire() {
    let mut s = Scram::with_nonce(ScramAlgorithm::Sha256, "a,b=c", Secret::new("p"), "N").unwrap();
    assert_eq!(s.initial().unwrap(), b"n,,n=a=2Cb=3Dc,r=N");
}

#[test]
fn debug_shows_no_secrets() {
    let mut s = client(ScramAlgorithm::Sha256).cache(Arc::new(ScramCache::new()));
    to_final(&mut s, SHA256_SERVER_FIRST);
    let d = format!("{s:?}");
    assert!(!d.contains(PASSWORD), "{d}");
    assert!(d.contains("AwaitServerFinal"), "{d}");
}

#[test]
fn cache_skips_pbkdf2_on_reconnect() {
    let cache = Arc::new(ScramCache::new());
    // A high count makes the difference measurable.
    let first = "r=rOprNGfwEbeRWgbNEkqO%srv,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=16384";
    let mut times = Vec::new();
    let mut finals = Vec::new();
    for expect_hit in [false, true, true] {
        let mut s = client(ScramAlgorithm::Sha512).cache(Arc::clone(&cache));
        assert_eq!(s.cache_hit(), None);
        s.initial().unwrap();
        let started = Instant::now();
        finals.push(s.step(first.as_bytes()).unwrap().unwrap());
        times.push(started.elapsed());
        assert_eq!(s.cache_hit(), Some(expect_hit));
    }
    // The cached salted password gives the same proof.
    assert_eq!(finals[0], finals[1]);
    assert_eq!(finals[1], finals[2]);
    let stats = cache.stats();
    assert_eq!((stats.hits, stats.misses, stats.entries), (2, 1, 1));
    assert!(
        times[1] * 4 < times[0],
        "cached step {:?} not much faster than the first {:?}",
        times[1],
        times[0]
    );
    // Without a cache, the same proof again.
    let mut s = client(ScramAlgorithm::Sha512);
    s.initial().unwrap();
    assert_eq!(s.step(first.as_bytes()).unwrap().unwrap(), finals[0]);
    assert_eq!(s.cache_hit(), None);
    eprintln!(
        "SCRAM-SHA-512 i=16384 client-final: miss {:?}, hits {:?} / {:?}",
        times[0], times[1], times[2]
    );
}

#[test]
fn cache_shared_across_threads() {
    let cache = Arc::new(ScramCache::new());
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let cache = Arc::clone(&cache);
            std::thread::spawn(move || {
                let mut s = client(ScramAlgorithm::Sha256).cache(cache);
                to_final(&mut s, SHA256_SERVER_FIRST)
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), SHA256_CLIENT_FINAL);
    }
    let stats = cache.stats();
    assert_eq!(stats.hits + stats.misses, 4);
    assert_eq!(stats.entries, 1);
}

#[test]
fn object_safe() {
    let mut a: Box<dyn Authenticator> = Box::new(client(ScramAlgorithm::Sha256));
    a.initial().unwrap();
    assert_eq!(
        a.step(SHA256_SERVER_FIRST.as_bytes()).unwrap().unwrap(),
        SHA256_CLIENT_FINAL.as_bytes()
    );
    assert_eq!(a.step(SHA256_SERVER_FINAL.as_bytes()).unwrap(), None);
    assert!(a.failure().is_none());
}
