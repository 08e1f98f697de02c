//! Target `aws_secrets_manager`: Secrets Manager's `GetSecretValue` answer and the MSK SCRAM
//! secret inside it (ottla-aws).
//!
//! Input: byte 0 (mod 2) picks the document: 0 the `GetSecretValue` JSON, 1 a `SecretString`
//! holding `{"username", "password"}`; the rest is the body. Checked against `serde_json`'s
//! own reading of the same bytes: accepted exactly when the document has the required
//! members with the right types, and every field handed out is the member's value. Errors
//! never quote the password.

use ottla_aws::fuzzing;
use serde_json::Value;

/// Parses; `true` if the document was accepted.
pub fn check(data: &[u8]) -> bool {
    let Some((&mode, body)) = data.split_first() else {
        return false;
    };
    if mode % 2 == 0 {
        secret_value(body)
    } else {
        match std::str::from_utf8(body) {
            Ok(text) => scram_secret(text),
            Err(_) => false,
        }
    }
}

fn secret_value(body: &[u8]) -> bool {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let parsed = fuzzing::secrets_manager_secret_value(body);
    let Some(json) = json else {
        assert!(parsed.is_err(), "accepted what is not JSON");
        return false;
    };
    let expected_ok = match json.get("SecretString") {
        None | Some(Value::Null) => json.get("SecretBinary").is_some(),
        Some(Value::String(_)) => true,
        Some(_) => false,
    };
    let text = |key: &str| json.get(key).and_then(Value::as_str);
    match parsed {
        Ok(v) => {
            assert!(expected_ok, "accepted {json}");
            assert_eq!(v.arn(), text("ARN"));
            assert_eq!(v.name(), text("Name"));
            assert_eq!(v.version_id(), text("VersionId"));
            assert_eq!(v.secret_string().map(|s| s.expose()), text("SecretString"));
            true
        }
        Err(e) => {
            assert!(!expected_ok, "rejected {json}: {e}");
            false
        }
    }
}

fn scram_secret(text: &str) -> bool {
    let json: Option<Value> = serde_json::from_str(text).ok();
    let member = |name: &str| match json.as_ref().and_then(|j| j.get(name)) {
        Some(Value::String(s)) if !s.is_empty() && json.as_ref().is_some_and(Value::is_object) => {
            Some(s.as_str())
        }
        _ => None,
    };
    match fuzzing::scram_secret(text) {
        Ok(secret) => {
            assert_eq!(Some(secret.username.as_str()), member("username"));
            assert_eq!(Some(secret.password.expose()), member("password"));
            let debug = format!("{secret:?}");
            let p = secret.password.expose();
            if p.len() >= 8
                && p.contains(|c: char| c.is_ascii_digit())
                && !secret.username.contains(p)
            {
                assert!(!debug.contains(p), "Debug shows the password: {debug}");
            }
            true
        }
        Err(why) => {
            assert!(
                member("username").is_none() || member("password").is_none(),
                "rejected a secret with both members: {why}"
            );
            if let Some(Value::String(p)) = json.as_ref().and_then(|j| j.get("password")) {
                if p.len() >= 8 && p.contains(|c: char| c.is_ascii_digit()) {
                    assert!(
                        !why.contains(p.as_str()),
                        "the error quotes the password: {why}"
                    );
                }
            }
            false
        }
    }
}
