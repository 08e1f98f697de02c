//! Writes the seed corpus of the SASL targets under fuzz/corpus/<target>/ (run from anywhere):
//!
//! ```text
//! cargo run --manifest-path fuzz/Cargo.toml --example make_sasl_seeds
//! ```
//!
//! Deterministic; seeds named `ok-*` must be accepted by their target, others only must not
//! panic (`tests/sasl_corpus.rs` holds them to that). Nothing is deleted.

use std::fs;
use std::path::Path;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ottla_fuzz::scram_reference::CLIENT_NONCE;
use ottla_fuzz::{oauthbearer_server_reply, scram_server_final, scram_server_first};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn write(target: &str, name: &str, data: &[u8]) -> Result<()> {
    let accepted = match target {
        "scram_server_first" => scram_server_first::check(data),
        "scram_server_final" => scram_server_final::check(data),
        "oauthbearer_server_reply" => oauthbearer_server_reply::check(data),
        other => return Err(format!("unknown target {other}").into()),
    };
    if accepted != name.starts_with("ok-") {
        return Err(format!("{target}/{name}: accepted = {accepted}").into());
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    fs::create_dir_all(&dir)?;
    fs::write(dir.join(name), data)?;
    Ok(())
}

fn with_selector(selector: u8, message: &str) -> Vec<u8> {
    let mut v = vec![selector];
    v.extend_from_slice(message.as_bytes());
    v
}

fn main() -> Result<()> {
    let salt = STANDARD.encode(b"0123456789abcdef");
    let first = |nonce: &str, i: &str| format!("r={nonce},s={salt},i={i}");
    let ours = format!("{CLIENT_NONCE}%srv)$k0");
    let t = "scram_server_first";
    write(t, "ok-sha256", &with_selector(0, &first(&ours, "16")))?;
    write(t, "ok-sha512", &with_selector(1, &first(&ours, "16")))?;
    write(t, "ok-sha256-i1", &with_selector(0, &first(&ours, "1")))?;
    write(
        t,
        "ok-sha512-max-iterations",
        &with_selector(1, &first(&ours, "64")),
    )?;
    write(
        t,
        "iterations-too-high",
        &with_selector(0, &first(&ours, "65")),
    )?;
    write(t, "iterations-zero", &with_selector(0, &first(&ours, "0")))?;
    write(
        t,
        "nonce-not-ours",
        &with_selector(0, &first("XYZ%srv", "16")),
    )?;
    write(
        t,
        "nonce-exactly-ours",
        &with_selector(0, &first(CLIENT_NONCE, "16")),
    )?;
    write(
        t,
        "mandatory-extension",
        &with_selector(0, &format!("m=x,{}", first(&ours, "16"))),
    )?;
    write(
        t,
        "extra-attribute",
        &with_selector(1, &format!("{},x=1", first(&ours, "16"))),
    )?;
    write(
        t,
        "bad-base64-salt",
        &with_selector(0, &format!("r={ours},s=AB=C,i=16")),
    )?;
    write(
        t,
        "wrong-order",
        &with_selector(0, &format!("s={salt},r={ours},i=16")),
    )?;
    write(t, "server-error", &with_selector(0, "e=other-error"))?;
    write(t, "not-utf8", &[0, b'r', b'=', 0xff, 0xfe])?;

    let t = "scram_server_final";
    let good256 = scram_server_final::expected_server_final(false);
    let good512 = scram_server_final::expected_server_final(true);
    write(t, "ok-sha256", &with_selector(0, &good256))?;
    write(t, "ok-sha512", &with_selector(1, &good512))?;
    write(
        t,
        "sha512-signature-for-sha256",
        &with_selector(0, &good512),
    )?;
    let mut sig = STANDARD.decode(&good256[2..])?;
    sig[0] ^= 0x80;
    write(
        t,
        "wrong-signature",
        &with_selector(0, &format!("v={}", STANDARD.encode(&sig))),
    )?;
    write(
        t,
        "signature-then-extension",
        &with_selector(0, &format!("{good256},x=y")),
    )?;
    write(
        t,
        "server-error-invalid-proof",
        &with_selector(1, "e=invalid-proof"),
    )?;
    write(t, "empty", &[0])?;

    let t = "oauthbearer_server_reply";
    write(t, "ok-empty", b"")?;
    write(
        t,
        "ok-invalid-token",
        br#"{"status":"invalid_token","scope":"kafka read","openid-configuration":"https://idp.example/.well-known/openid-configuration"}"#,
    )?;
    write(t, "ok-status-only", br#"{"status":"insufficient_scope"}"#)?;
    write(
        t,
        "ok-nested-extra-members",
        br#"{"status":"invalid_token","x":{"y":[1,2,{"z":null}]},"n":-1.5e3}"#,
    )?;
    write(t, "no-status", br#"{"scope":"x"}"#)?;
    write(t, "status-not-string", br#"{"status":401}"#)?;
    write(t, "not-json", b"\x01")?;
    write(t, "truncated-json", br#"{"status":"inv"#)?;
    write(t, "json-array", br#"["status","invalid_token"]"#)?;
    println!("wrote the SASL seeds");
    Ok(())
}
