//! Replays the committed seed corpus through the same checks the fuzz targets run, on stable
//! and without libFuzzer: `cargo test --manifest-path fuzz/Cargo.toml`, every target.
//!
//! Every file must run without a panic (crash reproducers kept in the corpus stay fixed);
//! every file named `ok-*` must be accepted by its target (the check returns `true`), so the
//! seeds keep exercising the decode-and-round-trip paths, not only the rejections.

use std::fs;
use std::path::Path;

fn replay(target: &str, check: fn(&[u8]) -> bool) {
    let (accepted, files) = replay_counts(target, check);
    assert!(
        accepted >= 3,
        "{target}: only {accepted} of {files} seeds accepted"
    );
}

/// The SASL targets keep fewer seeds, but both accepted and rejected ones.
fn replay_sasl(target: &str, check: fn(&[u8]) -> bool) {
    let (accepted, files) = replay_counts(target, check);
    assert!(
        accepted >= 2 && files > accepted,
        "{target}: {accepted} of {files} seeds accepted; want accepted and rejected seeds"
    );
}

/// Runs every seed of `target`; returns (accepted, files).
fn replay_counts(target: &str, check: fn(&[u8]) -> bool) -> (usize, usize) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    let mut files = 0;
    let mut accepted = 0;
    for entry in fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("directory entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("utf-8 file name")
            .to_owned();
        let data = fs::read(&path).expect("readable seed");
        assert!(
            data.len() < 64 * 1024,
            "{target}/{name} is {} bytes",
            data.len()
        );
        let ok = check(&data);
        if name.starts_with("ok-") {
            assert!(ok, "{target}/{name} was rejected");
        }
        files += 1;
        accepted += usize::from(ok);
    }
    (accepted, files)
}

#[test]
fn frame() {
    replay("frame", ottla_fuzz::frame::check);
}

#[test]
fn responses() {
    replay("responses", ottla_fuzz::responses::check);
}

#[test]
fn record_batches() {
    replay("record_batches", ottla_fuzz::record_batches::check);
}

#[test]
fn group_metadata() {
    replay("group_metadata", ottla_fuzz::group_metadata::check);
}

#[test]
fn decompress() {
    replay("decompress", ottla_fuzz::decompress::check);
}

#[test]
fn record_batches_compressed() {
    replay(
        "record_batches_compressed",
        ottla_fuzz::record_batches_compressed::check_bytes,
    );
}

#[test]
fn scram_server_first() {
    replay_sasl("scram_server_first", ottla_fuzz::scram_server_first::check);
}

#[test]
fn scram_server_final() {
    replay_sasl("scram_server_final", ottla_fuzz::scram_server_final::check);
}

#[test]
fn oauthbearer_server_reply() {
    replay_sasl(
        "oauthbearer_server_reply",
        ottla_fuzz::oauthbearer_server_reply::check,
    );
}

#[test]
fn every_response_api_has_seeds() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/responses");
    for api in ottla_fuzz::responses::APIS {
        let key = api.api_key().expect("known api key");
        let prefix = format!("ok-{key:?}-v").to_lowercase();
        let found = fs::read_dir(&dir)
            .expect("corpus/responses")
            .filter_map(Result::ok)
            .any(|e| e.file_name().to_string_lossy().starts_with(&prefix));
        assert!(found, "no seed for {key:?}");
    }
}

#[test]
fn corpus_stays_small() {
    // Per target: scripts/fuzz-deep.sh merges what deep runs find into the committed corpus
    // and keeps each target under its budget (1 MiB by default).
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    for target in fs::read_dir(&root)
        .expect("corpus dir")
        .filter_map(Result::ok)
    {
        let mut total = 0u64;
        for seed in fs::read_dir(target.path())
            .expect("target dir")
            .filter_map(Result::ok)
        {
            total += seed.metadata().expect("metadata").len();
        }
        assert!(
            total < 2 * 1024 * 1024,
            "corpus/{} is {total} bytes",
            target.file_name().to_string_lossy()
        );
    }
}

#[test]
fn aws_msk_iam_server_reply() {
    replay_sasl(
        "aws_msk_iam_server_reply",
        ottla_fuzz::aws_msk_iam_server_reply::check,
    );
}

#[test]
fn aws_sts() {
    replay("aws_sts", ottla_fuzz::aws_sts::check);
}

#[test]
fn aws_secrets_manager() {
    replay(
        "aws_secrets_manager",
        ottla_fuzz::aws_secrets_manager::check,
    );
}

#[test]
fn aws_credential_documents() {
    replay(
        "aws_credential_documents",
        ottla_fuzz::aws_credential_documents::check,
    );
}

#[test]
fn aws_profile_files() {
    replay("aws_profile_files", ottla_fuzz::aws_profile_files::check);
}
