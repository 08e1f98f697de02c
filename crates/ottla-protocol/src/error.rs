//! The error type of this crate.

use kafka_protocol::messages::ApiKey;

use crate::frame::FrameError;
use crate::versions::VersionError;

/// Everything that can go wrong turning messages into bytes and back.
#[non_exhaustive]
#[derive(Debug, Clone, thiserror::Error)]
pub enum ProtocolError {
    /// A frame's length prefix was rejected.
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// A request could not be encoded.
    #[error("cannot encode {api:?} v{version} request: {message}")]
    Encode {
        /// The API.
        api: ApiKey,
        /// The version.
        version: i16,
        /// What went wrong.
        message: String,
    },
    /// A response could not be decoded.
    #[error("cannot decode {api:?} v{version} response: {message}")]
    Decode {
        /// The API.
        api: ApiKey,
        /// The version.
        version: i16,
        /// What went wrong.
        message: String,
    },
    /// A response decoded fully but bytes were left over.
    #[error("{api:?} v{version} response has {trailing} unexpected trailing bytes")]
    TrailingBytes {
        /// The API.
        api: ApiKey,
        /// The version.
        version: i16,
        /// How many bytes were left.
        trailing: usize,
    },
    /// A response carried a correlation id other than the request's.
    #[error("{api:?} response has correlation id {actual}, expected {expected}")]
    CorrelationMismatch {
        /// The API of the request that was waiting.
        api: ApiKey,
        /// The id the request was sent with.
        expected: i32,
        /// The id the response carried.
        actual: i32,
    },
    /// No common version of an API.
    #[error(transparent)]
    Version(#[from] VersionError),
    /// A record batch could not be encoded or decoded.
    #[error(transparent)]
    Records(#[from] crate::records::RecordError),
    /// A consumer group member's subscription or assignment (the "consumer" protocol's
    /// metadata inside JoinGroup and SyncGroup) could not be encoded or decoded.
    #[error("consumer group {what}: {message}")]
    GroupMetadata {
        /// `subscription` or `assignment`.
        what: &'static str,
        /// What went wrong.
        message: String,
    },
}
