//! SASL mechanisms for ottla as sans-IO state machines: bytes from the server in, bytes for
//! the server out. No sockets, no clock or randomness of their own, so every exchange can be
//! replayed in a test.
//!
//! Every mechanism implements [`Authenticator`], which the connection drives over Kafka's
//! SaslAuthenticate: [`PLAIN`](Plain), [`SCRAM-SHA-256/512`](Scram) (with a [`ScramCache`] so
//! reconnects skip PBKDF2) and [`OAUTHBEARER`](OauthBearer) (tokens from a
//! [`TokenProvider`]).
//!
//! A SCRAM-SHA-256 exchange (the example of RFC 7677), driven the way a connection drives it:
//!
//! ```
//! use std::sync::Arc;
//! use ottla_sasl::{Authenticator, Scram, ScramAlgorithm, ScramCache, Secret};
//!
//! # fn main() -> Result<(), ottla_sasl::SaslError> {
//! let cache = Arc::new(ScramCache::new());
//! // The nonce comes from the caller's RNG; a fixed one replays the RFC's exchange.
//! let scram = Scram::with_nonce(
//!     ScramAlgorithm::Sha256,
//!     "user",
//!     Secret::new("pencil"),
//!     "rOprNGfwEbeRWgbNEkqO",
//! )?
//! .cache(Arc::clone(&cache));
//! let mut auth: Box<dyn Authenticator> = Box::new(scram);
//! assert_eq!(auth.mechanism(), "SCRAM-SHA-256");
//!
//! // SaslAuthenticate #1 carries the client-first-message ...
//! assert_eq!(auth.initial()?, b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
//! // ... its response the server-first-message; SaslAuthenticate #2 the client-final.
//! let server_first = b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
//!                      s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
//! let client_final = auth.step(server_first)?.expect("SCRAM has a client-final-message");
//! assert_eq!(
//!     client_final,
//!     b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
//!       p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
//! );
//! // The last response proves the server knows the password too: `None` = authenticated.
//! let server_final = b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
//! assert_eq!(auth.step(server_final)?, None);
//! assert_eq!(cache.stats().misses, 1); // the next connection will hit the cache
//! # Ok(())
//! # }
//! ```
//!
//! With PLAIN the exchange is one message; with OAUTHBEARER one message, plus a `\x01` reply
//! to an error challenge (see [`OauthBearer`]).
//!
//! With the `msk-iam` feature (on by default), [`msk_iam`] signs Amazon MSK IAM credentials: OAUTHBEARER tokens
//! (`MskIamTokenProvider`) and the AWS_MSK_IAM mechanism (`AwsMskIam`).
#![forbid(unsafe_code)]

mod authenticator;
pub mod aws;
mod error;
#[cfg(feature = "msk-iam")]
pub mod msk_iam;
mod oauthbearer;
mod plain;
mod scram;
mod secret;

pub use authenticator::Authenticator;
pub use error::SaslError;
pub use oauthbearer::{OauthBearer, OauthServerError, OauthToken, StaticToken, TokenProvider};
pub use plain::Plain;
pub use scram::{Scram, ScramAlgorithm, ScramCache, ScramCacheStats, ScramServerError};
pub use secret::Secret;
