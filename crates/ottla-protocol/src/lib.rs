//! The Kafka wire protocol for ottla, with no I/O: bytes in, messages out.
//!
//! - [`frame`]: length-prefixed framing with a size limit checked before allocation;
//! - [`request`] / [`response`]: headers of the right version, correlation-id checks, and
//!   responses that must be consumed exactly;
//! - [`versions`]: ApiVersions negotiation;
//! - [`records`] and [`compression`]: record batches v2 with CRC32C and the five codecs, all
//!   pure Rust;
//! - [`error_code`]: Kafka's error-code table.
//!
//! Message types come from the [`kafka_protocol`] crate, re-exported as [`messages`].
#![forbid(unsafe_code)]

pub mod compression;
pub mod consumer_protocol;
pub mod error;
pub mod error_code;
pub mod frame;
pub mod produce_frame;
pub mod records;
pub mod request;
pub mod response;
pub mod versions;

pub use error::ProtocolError;
pub use kafka_protocol;
pub use kafka_protocol::messages;
pub use kafka_protocol::protocol::StrBytes;
