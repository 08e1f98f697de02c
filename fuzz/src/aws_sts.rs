//! Target `aws_sts`: STS's XML answers (ottla-aws).
//!
//! Input: byte 0 (mod 4) picks the document: an `AssumeRole`, `AssumeRoleWithWebIdentity` or
//! `GetCallerIdentity` answer, or an `<ErrorResponse>`; the rest is the body. Never panics; a
//! document that parses gives non-empty, trimmed fields, and the fields written back into a
//! plain document of the same kind parse to an equal value. The `Debug` of parsed credentials
//! never shows the secret key or the session token.

use ottla_aws::fuzzing;
use ottla_aws::{AssumedRole, AwsError};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The actions whose answers carry credentials.
const ACTIONS: [&str; 2] = ["AssumeRole", "AssumeRoleWithWebIdentity"];

/// Parses; `true` if the document was accepted.
pub fn check(data: &[u8]) -> bool {
    let Some((&mode, body)) = data.split_first() else {
        return false;
    };
    match mode % 4 {
        0 | 1 => assumed_role(body, ACTIONS[usize::from(mode % 4)]),
        2 => caller_identity(body),
        _ => error_document(body),
    }
}

fn assumed_role(body: &[u8], action: &str) -> bool {
    let role = match fuzzing::sts_assumed_role(body, action) {
        Ok(role) => role,
        Err(e) => {
            assert!(matches!(e, AwsError::BadResponse { .. }), "{e:?}");
            return false;
        }
    };
    let c = role.credentials();
    let secret = c.secret_access_key().expose();
    let token = c
        .session_token()
        .expect("STS always sends a token")
        .expose();
    for v in [c.access_key_id(), secret, token]
        .into_iter()
        .chain(role.arn())
        .chain(role.assumed_role_id())
    {
        assert_field(v);
    }
    let expires = c.expires_at().expect("STS credentials expire");
    // Written back (when the time has an RFC 3339 form in UTC), the fields parse again.
    if let Ok(expiration) = OffsetDateTime::from(expires).format(&Rfc3339) {
        let mut fields = vec![
            ("Credentials/AccessKeyId", c.access_key_id()),
            ("Credentials/SecretAccessKey", secret),
            ("Credentials/SessionToken", token),
            ("Credentials/Expiration", expiration.as_str()),
        ];
        fields.extend(role.arn().map(|v| ("AssumedRoleUser/Arn", v)));
        fields.extend(
            role.assumed_role_id()
                .map(|v| ("AssumedRoleUser/AssumedRoleId", v)),
        );
        let doc = render(action, &fields);
        let again = fuzzing::sts_assumed_role(doc.as_bytes(), action)
            .unwrap_or_else(|e| panic!("the rendered document is rejected: {e}\n{doc}"));
        assert_eq!(again, role, "{doc}");
    }
    assert_hidden(&role, secret);
    assert_hidden(&role, token);
    true
}

/// `Debug` of `role` does not show `secret`, when the secret could not appear there by
/// accident (long, with a digit, not inside a field that is shown).
fn assert_hidden(role: &AssumedRole, secret: &str) {
    let c = role.credentials();
    let shown = format!(
        "{:?}{:?}{:?}{:?}",
        c.access_key_id(),
        role.arn(),
        role.assumed_role_id(),
        c.expires_at()
    );
    if secret.len() >= 8 && secret.contains(|c: char| c.is_ascii_digit()) && !shown.contains(secret)
    {
        let debug = format!("{role:?}");
        assert!(!debug.contains(secret), "Debug shows a secret: {debug}");
    }
}

fn caller_identity(body: &[u8]) -> bool {
    let Ok(id) = fuzzing::sts_caller_identity(body) else {
        return false;
    };
    for v in [&id.arn, &id.account, &id.user_id] {
        assert_field(v);
    }
    let doc = render(
        "GetCallerIdentity",
        &[
            ("Arn", id.arn.as_str()),
            ("Account", id.account.as_str()),
            ("UserId", id.user_id.as_str()),
        ],
    );
    let again = fuzzing::sts_caller_identity(doc.as_bytes())
        .unwrap_or_else(|e| panic!("the rendered document is rejected: {e}\n{doc}"));
    assert_eq!(again, id, "{doc}");
    true
}

fn error_document(body: &[u8]) -> bool {
    let Some((code, message)) = fuzzing::sts_error(body) else {
        return false;
    };
    assert_field(&code);
    if !message.is_empty() {
        assert_field(&message);
    }
    let doc = format!(
        "<ErrorResponse><Error><Type>Sender</Type><Code>{}</Code><Message>{}</Message></Error></ErrorResponse>",
        escape(&code),
        escape(&message)
    );
    assert_eq!(
        fuzzing::sts_error(doc.as_bytes()),
        Some((code, message)),
        "{doc}"
    );
    true
}

/// A value STS's parser hands out: non-empty and trimmed.
fn assert_field(v: &str) {
    assert!(!v.is_empty(), "an empty field was accepted");
    assert_eq!(v, v.trim(), "a field kept surrounding whitespace");
}

/// `<{action}Response><{action}Result>` holding `fields` (paths below the result element).
fn render(action: &str, fields: &[(&str, &str)]) -> String {
    let mut out = format!(
        "<?xml version=\"1.0\"?>\n<{action}Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><{action}Result>"
    );
    for (path, value) in fields {
        let parts: Vec<&str> = path.split('/').collect();
        for p in &parts {
            out.push_str(&format!("<{p}>"));
        }
        out.push_str(&escape(value));
        for p in parts.iter().rev() {
            out.push_str(&format!("</{p}>"));
        }
    }
    out.push_str(&format!(
        "</{action}Result><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></{action}Response>"
    ));
    out
}

fn escape(v: &str) -> String {
    v.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
