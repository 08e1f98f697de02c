//! Target `aws_credential_documents`: what the local credential sources answer (ottla-aws).
//!
//! Input: byte 0 (mod 5) picks the document, the rest is its body: 0 an EC2 IMDSv2 session
//! token, 1 the IMDS role listing, 2 an IMDS credential document, 3 an ECS container
//! credential document, 4 `credential_process` output. The JSON documents are checked against
//! `serde_json`'s own reading of the same bytes: accepted credentials hold exactly the
//! members' values, expire exactly when the document says so, and an error never quotes the
//! secret key.

use std::time::SystemTime;

use ottla_aws::{fuzzing, AwsCredentials};
use serde_json::{Map, Value};

/// The role name the IMDS credential document is parsed for.
const ROLE: &str = "fuzz-role";

/// Parses; `true` if the document was accepted.
pub fn check(data: &[u8]) -> bool {
    let Some((&mode, body)) = data.split_first() else {
        return false;
    };
    match mode % 5 {
        0 => imds_token(body),
        1 => imds_role_listing(body),
        2 => document(body, Source::Imds),
        3 => document(body, Source::Ecs),
        _ => document(body, Source::Process),
    }
}

fn imds_token(body: &[u8]) -> bool {
    let text = String::from_utf8_lossy(body);
    let expected = text.trim();
    match fuzzing::imds_token(body) {
        Ok(token) => {
            assert_eq!(token.expose(), expected);
            assert!(!expected.is_empty() && !expected.contains(char::is_control));
            true
        }
        Err(_) => {
            assert!(expected.is_empty() || expected.contains(char::is_control));
            false
        }
    }
}

fn imds_role_listing(body: &[u8]) -> bool {
    let text = String::from_utf8_lossy(body);
    let first = text.lines().map(str::trim).find(|l| !l.is_empty());
    match fuzzing::imds_role_listing(body) {
        Ok(role) => {
            assert_eq!(Some(role.as_str()), first);
            assert!(!role.contains(['/', '?', '#']) && !role.contains(char::is_whitespace));
            true
        }
        Err(_) => false,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    Imds,
    Ecs,
    Process,
}

fn document(body: &[u8], source: Source) -> bool {
    let parsed = match source {
        Source::Imds => fuzzing::imds_credentials(ROLE, body),
        Source::Ecs => fuzzing::ecs_credentials(body).map_err(|e| e.to_string()),
        Source::Process => fuzzing::credential_process_output(body),
    };
    let doc = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    };
    match parsed {
        Ok(c) => {
            let doc = doc.expect("accepted what is not a JSON object");
            check_accepted(&c, &doc, source);
            true
        }
        Err(why) => {
            if let Some(doc) = doc {
                assert_secret_not_quoted(&why, &doc);
            }
            false
        }
    }
}

/// A string member as the parsers read it: absent, null and blank are `None`.
fn member<'a>(doc: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    match doc.get(name) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.as_str()),
        Some(Value::String(_)) | Some(Value::Null) | None => None,
        Some(other) => panic!("accepted `{name}` = {other}"),
    }
}

fn check_accepted(c: &AwsCredentials, doc: &Map<String, Value>, source: Source) {
    assert_eq!(Some(c.access_key_id()), member(doc, "AccessKeyId"));
    assert_eq!(
        Some(c.secret_access_key().expose()),
        member(doc, "SecretAccessKey")
    );
    let token_name = if source == Source::Process {
        "SessionToken"
    } else {
        "Token"
    };
    assert_eq!(
        c.session_token().map(|t| t.expose()),
        member(doc, token_name)
    );
    let expiration = member(doc, "Expiration");
    let expected: Option<SystemTime> = expiration.map(|text| {
        fuzzing::rfc3339(text).unwrap_or_else(|e| panic!("accepted a bad Expiration: {e}"))
    });
    assert_eq!(c.expires_at(), expected);
    match source {
        Source::Imds => {
            assert!(expected.is_some());
            if let Some(code) = member(doc, "Code") {
                assert_eq!(code, "Success");
            }
        }
        Source::Ecs => assert!(expected.is_some()),
        Source::Process => {
            assert_eq!(doc.get("Version").and_then(Value::as_u64), Some(1));
        }
    }
}

/// The error does not quote `SecretAccessKey`, when it could not appear there by accident
/// (long, with a digit, not inside another member or the role name).
fn assert_secret_not_quoted(why: &str, doc: &Map<String, Value>) {
    let Some(Value::String(secret)) = doc.get("SecretAccessKey") else {
        return;
    };
    let secret = secret.as_str();
    if secret.len() < 8 || !secret.contains(|c: char| c.is_ascii_digit()) || ROLE.contains(secret) {
        return;
    }
    let elsewhere = doc.iter().any(|(k, v)| {
        k.contains(secret)
            || (k != "SecretAccessKey"
                && (v.to_string().contains(secret)
                    || v.as_str().is_some_and(|s| s.contains(secret))))
    });
    if !elsewhere {
        assert!(
            !why.contains(secret),
            "the error quotes the secret key: {why}"
        );
    }
}
