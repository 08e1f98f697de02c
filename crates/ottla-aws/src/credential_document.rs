//! The JSON credential documents of `credential_process`, ECS and EC2 IMDS, and their RFC 3339
//! expiry times.
//!
//! The three sources send the same four things under slightly different names
//! (`SessionToken` vs `Token`). Parsing goes through [`serde_json::Value`] and builds every
//! message by hand, so no message ever echoes a value from the document (it holds secrets).

use std::time::SystemTime;

use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::AwsCredentials;
use ottla_sasl::Secret;

/// The member names one source uses.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DocumentFields {
    /// Name of the session token member (`SessionToken` or `Token`).
    pub session_token: &'static str,
    /// Whether `Expiration` must be present (temporary credentials from ECS and IMDS).
    pub expiration_required: bool,
}

/// `credential_process` output: `SessionToken`, `Expiration` optional (long-term keys).
pub(crate) const PROCESS_FIELDS: DocumentFields = DocumentFields {
    session_token: "SessionToken",
    expiration_required: false,
};

/// ECS container credentials: `Token`, `Expiration`.
pub(crate) const ECS_FIELDS: DocumentFields = DocumentFields {
    session_token: "Token",
    expiration_required: true,
};

/// EC2 instance metadata credentials: `Token`, `Expiration`.
pub(crate) const IMDS_FIELDS: DocumentFields = DocumentFields {
    session_token: "Token",
    expiration_required: true,
};

/// Parses a JSON object (and only an object) from `body`.
pub(crate) fn json_object(body: &[u8]) -> Result<Map<String, Value>, String> {
    match serde_json::from_slice::<Value>(body) {
        // serde_json's syntax errors give a position, never the text.
        Err(e) => Err(format!("not valid JSON ({e})")),
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(format!("expected a JSON object, got {}", kind(&other))),
    }
}

/// A string member; `Ok(None)` when absent, null or empty.
pub(crate) fn optional_str<'a>(
    doc: &'a Map<String, Value>,
    name: &str,
) -> Result<Option<&'a str>, String> {
    match doc.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(other) => Err(format!("`{name}` should be a string, got {}", kind(other))),
    }
}

/// A string member that must be there.
pub(crate) fn required_str<'a>(doc: &'a Map<String, Value>, name: &str) -> Result<&'a str, String> {
    optional_str(doc, name)?.ok_or_else(|| format!("`{name}` is missing"))
}

/// Credentials from a parsed document.
pub(crate) fn credentials_from_document(
    doc: &Map<String, Value>,
    fields: DocumentFields,
    source: &'static str,
) -> Result<AwsCredentials, String> {
    let access_key_id = required_str(doc, "AccessKeyId")?;
    let secret = required_str(doc, "SecretAccessKey")?;
    let token = optional_str(doc, fields.session_token)?;
    let expires_at = match optional_str(doc, "Expiration")? {
        Some(text) => Some(
            parse_rfc3339(text)
                .map_err(|why| format!("`Expiration` is not an RFC 3339 time: {why}"))?,
        ),
        None if fields.expiration_required => return Err("`Expiration` is missing".into()),
        None => None,
    };
    Ok(AwsCredentials::new(
        access_key_id,
        Secret::new(secret),
        token.map(Secret::new),
        expires_at,
        source,
    ))
}

/// Parses an RFC 3339 time (`2024-01-15T12:34:56Z`, with fractions or an offset).
pub(crate) fn parse_rfc3339(text: &str) -> Result<SystemTime, String> {
    OffsetDateTime::parse(text.trim(), &Rfc3339)
        .map(SystemTime::from)
        .map_err(|e| format!("`{}`: {e}", text.trim()))
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn rfc3339_with_zone_fraction_and_offset() {
        let base = SystemTime::UNIX_EPOCH + Duration::from_secs(1_705_322_096);
        assert_eq!(parse_rfc3339("2024-01-15T12:34:56Z").unwrap(), base);
        assert_eq!(
            parse_rfc3339("2024-01-15T12:34:56.5Z").unwrap(),
            base + Duration::from_millis(500)
        );
        assert_eq!(parse_rfc3339("2024-01-15T14:34:56+02:00").unwrap(), base);
        let e = parse_rfc3339("tomorrow").unwrap_err();
        assert!(e.contains("`tomorrow`"), "{e}");
    }

    #[test]
    fn document_errors_never_echo_values() {
        let doc = json_object(br#"{"AccessKeyId": "AKID", "SecretAccessKey": 12345678}"#).unwrap();
        let e = credentials_from_document(&doc, PROCESS_FIELDS, "t").unwrap_err();
        assert_eq!(e, "`SecretAccessKey` should be a string, got a number");
        let e = json_object(b"[\"wJalrXUtnFEMI\"]").unwrap_err();
        assert_eq!(e, "expected a JSON object, got an array");
        let e = json_object(b"{\"SecretAccessKey\": \"wJalrXUtnFEMI").unwrap_err();
        assert!(!e.contains("wJalr"), "{e}");
    }

    #[test]
    fn expiration_required_or_optional() {
        let doc =
            json_object(br#"{"AccessKeyId": "A", "SecretAccessKey": "S", "Token": "T"}"#).unwrap();
        assert_eq!(
            credentials_from_document(&doc, ECS_FIELDS, "ecs").unwrap_err(),
            "`Expiration` is missing"
        );
        let c = credentials_from_document(&doc, PROCESS_FIELDS, "p").unwrap();
        // The process document's token is `SessionToken`, so `Token` is not taken.
        assert_eq!(c.session_token(), None);
        assert_eq!(c.expires_at(), None);
        let c = credentials_from_document(
            &json_object(
                br#"{"AccessKeyId": "A", "SecretAccessKey": "S", "Token": "T", "Expiration": "2024-01-15T12:34:56Z"}"#,
            )
            .unwrap(),
            IMDS_FIELDS,
            "imds",
        )
        .unwrap();
        assert_eq!(c.session_token().map(Secret::expose), Some("T"));
        assert_eq!(c.source(), "imds");
    }
}
