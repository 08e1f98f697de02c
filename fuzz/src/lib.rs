//! The checks behind ottla's fuzz targets, one module per target.
//!
//! Each `fuzz_targets/<name>.rs` is a thin libFuzzer wrapper around `<name>::check`. Keeping
//! the checks here lets `cargo test` (stable, no libFuzzer) replay the committed corpus through
//! exactly the code the fuzzer runs, and lets `examples/make_seeds.rs` build seeds from the same
//! input layouts.
//!
//! Every check must not panic on any input except to report a broken property; a property
//! failure is a bug in ottla-protocol or kafka-protocol (or in the check). Each returns `true`
//! when the input decoded and the round-trip property was checked, `false` when the decoder
//! rejected the input (which is fine).
#![forbid(unsafe_code)]

pub mod aws_credential_documents;
pub mod aws_msk_iam_server_reply;
pub mod aws_profile_files;
pub mod aws_secrets_manager;
pub mod aws_sts;
pub mod decompress;
pub mod frame;
pub mod group_metadata;
pub mod oauthbearer_server_reply;
pub mod record_batches;
pub mod record_batches_compressed;
pub mod responses;
pub mod scram_reference;
pub mod scram_server_final;
pub mod scram_server_first;

/// The decompressed-size limit the record-batch and decompression targets use.
pub const MAX_DECOMPRESSED: usize = 1 << 22;
