//! The error challenge an OAUTHBEARER server sends when it rejects a token (RFC 7628 §3.2.2).

use std::fmt;

use crate::SaslError;

/// A parsed OAUTHBEARER error challenge: `{"status":"invalid_token","scope":…,
/// "openid-configuration":…}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OauthServerError {
    /// `status`: why the token was rejected (RFC 6749 / 6750 error codes, e.g.
    /// `invalid_token`).
    pub status: String,
    /// `scope`: the scope the token would need, if the server said.
    pub scope: Option<String>,
    /// `openid-configuration`: where to discover how to get a good token, if the server said.
    pub openid_configuration: Option<String>,
}

impl fmt::Display for OauthServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "status {}", self.status)?;
        if let Some(scope) = &self.scope {
            write!(f, ", scope {scope}")?;
        }
        if let Some(conf) = &self.openid_configuration {
            write!(f, ", openid-configuration {conf}")?;
        }
        Ok(())
    }
}

fn malformed(why: impl Into<String>) -> SaslError {
    SaslError::UnexpectedServerMessage {
        mechanism: super::OauthBearer::NAME,
        why: why.into(),
    }
}

impl OauthServerError {
    /// Parses an error challenge: a UTF-8 JSON object with a string `status` and optional
    /// string `scope` and `openid-configuration`; other members are ignored.
    pub fn parse(challenge: &[u8]) -> Result<Self, SaslError> {
        let value: serde_json::Value = serde_json::from_slice(challenge)
            .map_err(|e| malformed(format!("the server's challenge is not JSON: {e}")))?;
        let serde_json::Value::Object(obj) = value else {
            return Err(malformed(
                "the server's error challenge is not a JSON object",
            ));
        };
        let string = |key: &str| -> Result<Option<String>, SaslError> {
            match obj.get(key) {
                None => Ok(None),
                Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(malformed(format!(
                    "\"{key}\" in the server's error challenge is not a string"
                ))),
            }
        };
        let status = string("status")?
            .ok_or_else(|| malformed("the server's error challenge has no \"status\""))?;
        Ok(Self {
            status,
            scope: string("scope")?,
            openid_configuration: string("openid-configuration")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_all_members() {
        let e = OauthServerError::parse(
            br#"{"status":"invalid_token","scope":"kafka read","openid-configuration":"https://idp.example/.well-known/openid-configuration","other":1}"#,
        )
        .unwrap();
        assert_eq!(e.status, "invalid_token");
        assert_eq!(e.scope.as_deref(), Some("kafka read"));
        assert_eq!(
            e.openid_configuration.as_deref(),
            Some("https://idp.example/.well-known/openid-configuration")
        );
        assert_eq!(
            e.to_string(),
            "status invalid_token, scope kafka read, openid-configuration https://idp.example/.well-known/openid-configuration"
        );
        let e = OauthServerError::parse(br#"{"status":"invalid_token"}"#).unwrap();
        assert_eq!((e.scope, e.openid_configuration), (None, None));
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            &b"{"[..],
            b"not json",
            b"\xff",
            b"[]",
            b"\"invalid_token\"",
            b"{}",
            br#"{"status":1}"#,
            br#"{"status":"x","scope":["a"]}"#,
            br#"{"status":"x","openid-configuration":null}"#,
            br#"{"status":"x"} trailing"#,
        ] {
            assert!(
                matches!(
                    OauthServerError::parse(bad),
                    Err(SaslError::UnexpectedServerMessage { .. })
                ),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
