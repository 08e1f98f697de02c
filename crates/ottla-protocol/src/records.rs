//! Record batches (magic v2).

/// Why a record batch could not be encoded or decoded.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// The batch was malformed.
    #[error("malformed record batch: {0}")]
    Malformed(String),
}
