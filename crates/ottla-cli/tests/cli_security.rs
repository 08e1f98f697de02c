//! The `ottla` binary against the security peers started by `scripts/test.sh`:
//! SASL_SSL (`OTTLA_SASL_SSL_BOOTSTRAP`) via `-X` and via `-F`, and SSL (`OTTLA_TLS_BOOTSTRAP`).

use std::process::{Command, Output, Stdio};

use ottla_tests::{fixture_str, sasl_ssl_bootstrap, tls_bootstrap};

fn ottla(args: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ottla"))
        .args(args)
        .env_remove("OTTLA_BROKERS")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("run ottla")
}

/// Asserts success and that the output lists the broker at `bootstrap` (the advertised
/// address is the TLS front end).
fn assert_metadata(out: &Output, bootstrap: &str) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "ottla failed: {stderr}");
    let port = bootstrap.rsplit(':').next().unwrap();
    assert!(
        stdout.contains(port),
        "metadata output should list the broker at {bootstrap}: {stdout}"
    );
}

fn sasl_ssl_props() -> Vec<(&'static str, String)> {
    vec![
        ("security.protocol", "SASL_SSL".to_owned()),
        ("sasl.mechanism", "SCRAM-SHA-512".to_owned()),
        ("sasl.username", "alice".to_owned()),
        ("sasl.password", "alice-secret".to_owned()),
        ("ssl.ca.location", fixture_str("ca.pem")),
    ]
}

#[test]
fn sasl_ssl_metadata_with_x() {
    let Some(b) = sasl_ssl_bootstrap() else {
        return;
    };
    let mut args = vec!["-b".to_owned(), b.clone()];
    for (k, v) in sasl_ssl_props() {
        args.push("-X".to_owned());
        args.push(format!("{k}={v}"));
    }
    args.push("metadata".to_owned());
    assert_metadata(&ottla(&args), &b);
}

#[test]
fn sasl_ssl_metadata_with_properties_file() {
    let Some(b) = sasl_ssl_bootstrap() else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("ottla-cli-security-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("client.properties");
    let mut text = String::from("# SASL_SSL to the test broker\n");
    for (k, v) in sasl_ssl_props() {
        text.push_str(&format!("{k}={v}\n"));
    }
    std::fs::write(&file, text).unwrap();
    let out = ottla(&[
        "-b".to_owned(),
        b.clone(),
        "-F".to_owned(),
        file.to_string_lossy().into_owned(),
        "metadata".to_owned(),
    ]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_metadata(&out, &b);
}

#[test]
fn sasl_ssl_wrong_password_fails_in_one_line() {
    let Some(b) = sasl_ssl_bootstrap() else {
        return;
    };
    let mut args = vec!["-b".to_owned(), b.clone()];
    for (k, v) in sasl_ssl_props() {
        let v = if k == "sasl.password" {
            "wrong-secret-42".to_owned()
        } else {
            v
        };
        args.push("-X".to_owned());
        args.push(format!("{k}={v}"));
    }
    args.push("metadata".to_owned());
    let out = ottla(&args);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("authentication failed"), "{err}");
    assert!(!err.contains("wrong-secret-42"), "{err}");
}

#[test]
fn ssl_metadata_with_x() {
    let Some(b) = tls_bootstrap() else { return };
    let args = vec![
        "-b".to_owned(),
        b.clone(),
        "-X".to_owned(),
        "security.protocol=SSL".to_owned(),
        "-X".to_owned(),
        format!("ssl.ca.location={}", fixture_str("ca.pem")),
        "metadata".to_owned(),
    ];
    assert_metadata(&ottla(&args), &b);
}
