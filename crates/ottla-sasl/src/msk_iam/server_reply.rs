//! [`MskIamServerReply`]: the AWS_MSK_IAM server's answer to the client's payload.
//!
//! aws-msk-iam-auth's server answers a valid payload with a JSON object
//! `{"version":"2020_10_22","request-id":"…"}` (its `AuthenticationResponse`); the client
//! requires that reply to be non-empty. A rejected payload is reported out of band, as a
//! SaslAuthenticate error code with an error message (MSK's carry a request id), which the
//! connection surfaces. A reply that instead carries an error text (a JSON object with
//! `error`/`message` and no `version`) is reported with that text.

use crate::SaslError;

use super::json_payload::VERSION;

/// The longest server text quoted in an error.
const MAX_QUOTED: usize = 512;

/// A parsed successful AWS_MSK_IAM server reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MskIamServerReply {
    /// `version`: always `2020_10_22`.
    pub version: String,
    /// `request-id`: the server's id of this authentication, for support cases.
    pub request_id: String,
}

fn malformed(why: impl Into<String>) -> SaslError {
    SaslError::UnexpectedServerMessage {
        mechanism: super::AwsMskIam::NAME,
        why: why.into(),
    }
}

/// Server text, printable and bounded, for an error message.
fn quote(text: &str) -> String {
    let mut out: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_QUOTED)
        .collect();
    if text.chars().count() > MAX_QUOTED {
        out.push('…');
    }
    out
}

impl MskIamServerReply {
    /// Parses the server's reply: a UTF-8 JSON object with string `version` (which must be
    /// `2020_10_22`) and `request-id`; other members are ignored. An empty reply, anything
    /// else, or trailing data is [`SaslError::UnexpectedServerMessage`]; so is an error
    /// object, whose text the error quotes.
    pub fn parse(reply: &[u8]) -> Result<Self, SaslError> {
        if reply.is_empty() {
            return Err(malformed(
                "empty reply; the server answers a valid payload with a JSON object",
            ));
        }
        let value: serde_json::Value = serde_json::from_slice(reply)
            .map_err(|e| malformed(format!("the server's reply is not JSON: {e}")))?;
        let serde_json::Value::Object(obj) = value else {
            return Err(malformed("the server's reply is not a JSON object"));
        };
        let string = |key: &str| -> Result<Option<&str>, SaslError> {
            match obj.get(key) {
                None => Ok(None),
                Some(serde_json::Value::String(s)) => Ok(Some(s.as_str())),
                Some(_) => Err(malformed(format!(
                    "\"{key}\" in the server's reply is not a string"
                ))),
            }
        };
        let Some(version) = string("version")? else {
            for key in ["error", "message", "errorMessage", "error-message"] {
                if let Some(serde_json::Value::String(text)) = obj.get(key) {
                    return Err(malformed(format!("server error: {}", quote(text))));
                }
            }
            return Err(malformed("the server's reply has no \"version\""));
        };
        if version != VERSION {
            return Err(malformed(format!(
                "the server's reply has version {:?}, not {VERSION}",
                quote(version)
            )));
        }
        let request_id = string("request-id")?
            .ok_or_else(|| malformed("the server's reply has no \"request-id\""))?;
        Ok(Self {
            version: version.to_owned(),
            request_id: request_id.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_a_success_reply() {
        let r = MskIamServerReply::parse(
            br#"{"version":"2020_10_22","request-id":"2b4ad3e5-4e2f-4c2b-9c0e-6a1d3f1e8b7a"}"#,
        )
        .unwrap();
        assert_eq!(r.version, "2020_10_22");
        assert_eq!(r.request_id, "2b4ad3e5-4e2f-4c2b-9c0e-6a1d3f1e8b7a");
        // Unknown members ignored, whitespace allowed.
        let r = MskIamServerReply::parse(
            b" {\"request-id\":\"r\",\"extra\":[1],\"version\":\"2020_10_22\"}\n",
        )
        .unwrap();
        assert_eq!(r.request_id, "r");
    }

    #[test]
    fn rejects_malformed_replies() {
        for bad in [
            &b""[..],
            b"{",
            b"ok",
            b"\xff",
            b"[]",
            b"\"2020_10_22\"",
            b"{}",
            br#"{"version":"2020_10_22"}"#,
            br#"{"request-id":"r"}"#,
            br#"{"version":"2021_01_01","request-id":"r"}"#,
            br#"{"version":2020,"request-id":"r"}"#,
            br#"{"version":"2020_10_22","request-id":7}"#,
            br#"{"version":"2020_10_22","request-id":"r"} x"#,
        ] {
            assert!(
                matches!(
                    MskIamServerReply::parse(bad),
                    Err(SaslError::UnexpectedServerMessage { .. })
                ),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn error_replies_are_quoted() {
        let e = MskIamServerReply::parse(
            br#"{"error":"[a1b2] Access denied\nsecond line","request-id":"x"}"#,
        )
        .unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("server error: [a1b2] Access denied second line"),
            "{text}"
        );
        let e = MskIamServerReply::parse(br#"{"message":"Signature expired"}"#).unwrap_err();
        assert!(e.to_string().contains("Signature expired"), "{e}");
        let long = format!(r#"{{"error":"{}"}}"#, "x".repeat(5000));
        let e = MskIamServerReply::parse(long.as_bytes()).unwrap_err();
        assert!(e.to_string().len() < 700, "{}", e.to_string().len());
    }

    proptest! {
        #[test]
        fn never_panics(data in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = MskIamServerReply::parse(&data);
        }

        #[test]
        fn accepts_any_request_id(id in ".{0,64}", extra in "[a-z]{1,8}") {
            let json = serde_json::json!({"version": "2020_10_22", "request-id": id, extra: 1});
            let r = MskIamServerReply::parse(json.to_string().as_bytes()).unwrap();
            prop_assert_eq!(r.request_id, id);
        }

        #[test]
        fn json_objects_never_panic(
            version in proptest::option::of(prop_oneof![Just("2020_10_22".to_owned()), ".{0,12}"]),
            id in proptest::option::of(".{0,12}"),
            error in proptest::option::of(".{0,40}"),
        ) {
            let mut obj = serde_json::Map::new();
            if let Some(v) = version.clone() { obj.insert("version".into(), v.into()); }
            if let Some(i) = id.clone() { obj.insert("request-id".into(), i.into()); }
            if let Some(e) = error { obj.insert("error".into(), e.into()); }
            let parsed = MskIamServerReply::parse(serde_json::Value::Object(obj).to_string().as_bytes());
            let good = version.as_deref() == Some("2020_10_22") && id.is_some();
            prop_assert_eq!(parsed.is_ok(), good);
        }
    }
}
