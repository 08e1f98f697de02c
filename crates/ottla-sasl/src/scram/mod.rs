//! SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677) as Kafka uses them: no channel
//! binding (gs2 header `n,,`), no authorization identity, no extensions.
//!
//! The client nonce comes from the caller ([`Scram::with_nonce`], or
//! [`Scram::from_random_bytes`] with bytes from the caller's RNG): this crate has no
//! randomness of its own, so an exchange can be replayed byte for byte in a test.

mod algorithm;
mod cache;
mod messages;
mod server_error;

#[cfg(test)]
mod exchange_tests;

use std::fmt;
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

pub use algorithm::ScramAlgorithm;
pub use cache::{ScramCache, ScramCacheStats};
pub use server_error::ScramServerError;

use crate::{Authenticator, SaslError, Secret};
use messages::{
    escape_username, is_valid_nonce, parse_server_final, parse_server_first, ServerFinal,
};

/// `base64("n,,")`: the gs2 header (no channel binding, no authzid) as `c=` sends it.
const CHANNEL_BINDING: &str = "biws";

/// The client side of one SCRAM exchange:
/// [`initial`](Authenticator::initial) → client-first-message,
/// `step(server-first)` → client-final-message, `step(server-final)` → `None` once the
/// server's signature verified.
///
/// `Debug` shows the algorithm, username and state, never the password or derived keys.
pub struct Scram {
    algorithm: ScramAlgorithm,
    /// The username as `saslname` (escaped).
    username: String,
    password: Secret,
    client_nonce: String,
    min_iterations: u32,
    max_iterations: u32,
    cache: Option<Arc<ScramCache>>,
    cache_hit: Option<bool>,
    state: State,
}

enum State {
    Initial,
    AwaitServerFirst {
        client_first_bare: String,
    },
    AwaitServerFinal {
        server_key: Vec<u8>,
        auth_message: String,
    },
    Done,
    Failed,
}

impl State {
    fn name(&self) -> &'static str {
        match self {
            Self::Initial => "Initial",
            Self::AwaitServerFirst { .. } => "AwaitServerFirst",
            Self::AwaitServerFinal { .. } => "AwaitServerFinal",
            Self::Done => "Done",
            Self::Failed => "Failed",
        }
    }
}

impl Scram {
    /// The smallest iteration count accepted by default (RFC 7677's minimum, Kafka's too).
    pub const DEFAULT_MIN_ITERATIONS: u32 = 4096;
    /// The largest iteration count accepted by default, so that a hostile server cannot make
    /// the client spin in PBKDF2. Apache Kafka stores at most 16384.
    pub const DEFAULT_MAX_ITERATIONS: u32 = 65_536;
    /// The fewest random bytes [`Scram::from_random_bytes`] takes.
    pub const MIN_RANDOM_BYTES: usize = 16;

    /// An exchange for `username` and `password` with the given client nonce, which must be
    /// RFC 5802 `printable` (ASCII `0x21..=0x7E` except `,`) and unpredictable.
    ///
    /// The username is sent escaped (`=` → `=3D`, `,` → `=2C`) and must be non-empty and free
    /// of NUL. The password must be non-empty and free of NUL; it is used as its UTF-8 bytes,
    /// without SASLprep normalization (as Kafka's own clients do).
    pub fn with_nonce(
        algorithm: ScramAlgorithm,
        username: &str,
        password: Secret,
        client_nonce: impl Into<String>,
    ) -> Result<Self, SaslError> {
        let mechanism = algorithm.mechanism();
        let bad = |what, why| SaslError::InvalidCredential {
            mechanism,
            what,
            why,
        };
        let username = escape_username(mechanism, username)?;
        if password.expose().is_empty() {
            return Err(bad("password", "it is empty"));
        }
        if password.expose().contains('\0') {
            return Err(bad("password", "it contains NUL"));
        }
        let client_nonce = client_nonce.into();
        if !is_valid_nonce(&client_nonce) {
            return Err(bad(
                "nonce",
                "it must be non-empty printable ASCII without ','",
            ));
        }
        Ok(Self {
            algorithm,
            username,
            password,
            client_nonce,
            min_iterations: Self::DEFAULT_MIN_ITERATIONS,
            max_iterations: Self::DEFAULT_MAX_ITERATIONS,
            cache: None,
            cache_hit: None,
            state: State::Initial,
        })
    }

    /// Like [`with_nonce`](Self::with_nonce), with the nonce made from random bytes the caller
    /// drew from a cryptographically secure RNG (at least
    /// [`MIN_RANDOM_BYTES`](Self::MIN_RANDOM_BYTES); 32 is a good size), base64-encoded.
    pub fn from_random_bytes(
        algorithm: ScramAlgorithm,
        username: &str,
        password: Secret,
        random: &[u8],
    ) -> Result<Self, SaslError> {
        if random.len() < Self::MIN_RANDOM_BYTES {
            return Err(SaslError::InvalidCredential {
                mechanism: algorithm.mechanism(),
                what: "nonce",
                why: "fewer than 16 random bytes",
            });
        }
        Self::with_nonce(algorithm, username, password, STANDARD.encode(random))
    }

    /// Accept iteration counts from `minimum` on (default
    /// [`DEFAULT_MIN_ITERATIONS`](Self::DEFAULT_MIN_ITERATIONS)). Lower it only for test
    /// servers.
    pub fn min_iterations(mut self, minimum: u32) -> Self {
        self.min_iterations = minimum;
        self
    }

    /// Accept iteration counts up to `maximum` (default
    /// [`DEFAULT_MAX_ITERATIONS`](Self::DEFAULT_MAX_ITERATIONS)).
    pub fn max_iterations(mut self, maximum: u32) -> Self {
        self.max_iterations = maximum;
        self
    }

    /// Look up and store the salted password in `cache`, so reconnects skip PBKDF2.
    pub fn cache(mut self, cache: Arc<ScramCache>) -> Self {
        self.cache = Some(cache);
        self
    }

    /// The hash function.
    pub fn algorithm(&self) -> ScramAlgorithm {
        self.algorithm
    }

    /// The client nonce this exchange sends.
    pub fn client_nonce(&self) -> &str {
        &self.client_nonce
    }

    /// Whether the salted password came from the [`ScramCache`]: `None` until the
    /// server-first-message was processed (or without a cache), then `Some(hit)`.
    pub fn cache_hit(&self) -> Option<bool> {
        self.cache_hit
    }

    /// Whether the exchange completed: the server's signature verified.
    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Done)
    }

    fn mechanism_name(&self) -> &'static str {
        self.algorithm.mechanism()
    }

    fn out_of_order(&self, why: &'static str) -> SaslError {
        SaslError::OutOfOrder {
            mechanism: self.mechanism_name(),
            why,
        }
    }

    /// Handles the server-first-message; returns the client-final-message.
    fn client_final(
        &mut self,
        client_first_bare: &str,
        server_first: &[u8],
    ) -> Result<Vec<u8>, SaslError> {
        let mechanism = self.mechanism_name();
        let alg = self.algorithm;
        let first = parse_server_first(mechanism, server_first)?;
        if first.nonce.len() <= self.client_nonce.len()
            || !first.nonce.starts_with(&self.client_nonce)
        {
            return Err(SaslError::NonceMismatch { mechanism });
        }
        if first.iterations < self.min_iterations || first.iterations > self.max_iterations {
            return Err(SaslError::IterationCount {
                mechanism,
                iterations: first.iterations,
                minimum: self.min_iterations,
                maximum: self.max_iterations,
            });
        }
        // Parsing checked it is UTF-8.
        let server_first_text =
            std::str::from_utf8(server_first).map_err(|_| SaslError::UnexpectedServerMessage {
                mechanism,
                why: "the server-first-message is not UTF-8".into(),
            })?;
        let password = self.password.expose().as_bytes();
        let salted_password = match &self.cache {
            Some(cache) => {
                let (salted, hit) =
                    cache.salted_password(alg, password, &first.salt, first.iterations);
                self.cache_hit = Some(hit);
                salted
            }
            None => alg.hi(password, &first.salt, first.iterations),
        };
        let client_key = alg.hmac(&salted_password, b"Client Key")?;
        let stored_key = alg.hash(&client_key);
        let without_proof = format!("c={CHANNEL_BINDING},r={}", first.nonce);
        let auth_message = format!("{client_first_bare},{server_first_text},{without_proof}");
        let client_signature = alg.hmac(&stored_key, auth_message.as_bytes())?;
        let proof: Vec<u8> = client_key
            .iter()
            .zip(&client_signature)
            .map(|(k, s)| k ^ s)
            .collect();
        let server_key = alg.hmac(&salted_password, b"Server Key")?;
        let message = format!("{without_proof},p={}", STANDARD.encode(proof));
        self.state = State::AwaitServerFinal {
            server_key,
            auth_message,
        };
        Ok(message.into_bytes())
    }

    /// Handles the server-final-message.
    fn verify_final(
        &self,
        server_key: &[u8],
        auth_message: &str,
        server_final: &[u8],
    ) -> Result<(), SaslError> {
        let mechanism = self.mechanism_name();
        match parse_server_final(mechanism, server_final)? {
            ServerFinal::Error(error) => Err(SaslError::ScramServer { mechanism, error }),
            ServerFinal::Verifier(signature) => {
                if self
                    .algorithm
                    .verify_hmac(server_key, auth_message.as_bytes(), &signature)?
                {
                    Ok(())
                } else {
                    Err(SaslError::ServerSignatureMismatch { mechanism })
                }
            }
        }
    }
}

impl Authenticator for Scram {
    fn mechanism(&self) -> &'static str {
        self.mechanism_name()
    }

    /// The client-first-message: `n,,n=<saslname>,r=<client nonce>`.
    fn initial(&mut self) -> Result<Vec<u8>, SaslError> {
        if !matches!(self.state, State::Initial) {
            return Err(self.out_of_order("initial called twice"));
        }
        let client_first_bare = format!("n={},r={}", self.username, self.client_nonce);
        let message = format!("n,,{client_first_bare}");
        self.state = State::AwaitServerFirst { client_first_bare };
        Ok(message.into_bytes())
    }

    /// Server-first → `Some(client-final)`; server-final → `None` when `v=` verified. Any
    /// error ends the exchange: later calls fail with [`SaslError::OutOfOrder`].
    fn step(&mut self, server: &[u8]) -> Result<Option<Vec<u8>>, SaslError> {
        match std::mem::replace(&mut self.state, State::Failed) {
            State::Initial => Err(self.out_of_order("step before initial")),
            State::AwaitServerFirst { client_first_bare } => {
                self.client_final(&client_first_bare, server).map(Some)
            }
            State::AwaitServerFinal {
                server_key,
                auth_message,
            } => {
                self.verify_final(&server_key, &auth_message, server)?;
                self.state = State::Done;
                Ok(None)
            }
            State::Done => {
                self.state = State::Done;
                Err(self.out_of_order("step after the exchange completed"))
            }
            State::Failed => Err(self.out_of_order("step after the exchange failed")),
        }
    }
}

impl fmt::Debug for Scram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scram")
            .field("mechanism", &self.mechanism_name())
            .field("username", &self.username)
            .field("password", &self.password)
            .field("state", &self.state.name())
            .field("min_iterations", &self.min_iterations)
            .field("max_iterations", &self.max_iterations)
            .field("cache", &self.cache)
            .field("cache_hit", &self.cache_hit)
            .finish_non_exhaustive()
    }
}
