//! SASL mechanisms for ottla as sans-IO state machines: bytes from the server in, bytes for
//! the server out. No sockets, no clock or randomness of their own, so every exchange can be
//! replayed in a test.
//!
//! ```
//! use ottla_sasl::{Plain, Secret};
//! let mut plain = Plain::new("alice", Secret::new("alice-secret"));
//! let first = plain.initial_response();
//! assert_eq!(first, b"\0alice\0alice-secret");
//! plain.finish(b"").unwrap();
//! ```
#![forbid(unsafe_code)]

mod error;
mod plain;
mod secret;

pub use error::SaslError;
pub use plain::Plain;
pub use secret::Secret;
