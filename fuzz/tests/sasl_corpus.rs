//! Replays the committed seeds of the SASL targets through their checks, on stable and without
//! libFuzzer, as tests/corpus.rs does for the other targets: every file must run without a
//! panic, every `ok-*` file must be accepted.

use std::fs;
use std::path::Path;

fn replay(target: &str, check: fn(&[u8]) -> bool) {
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
    assert!(
        accepted >= 2 && files > accepted,
        "{target}: {accepted} of {files} seeds accepted; want accepted and rejected seeds"
    );
}

#[test]
fn scram_server_first() {
    replay("scram_server_first", ottla_fuzz::scram_server_first::check);
}

#[test]
fn scram_server_final() {
    replay("scram_server_final", ottla_fuzz::scram_server_final::check);
}

#[test]
fn oauthbearer_server_reply() {
    replay(
        "oauthbearer_server_reply",
        ottla_fuzz::oauthbearer_server_reply::check,
    );
}
