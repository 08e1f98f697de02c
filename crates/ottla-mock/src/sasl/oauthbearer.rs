//! OAUTHBEARER server side (RFC 7628, KIP-255/342), as Kafka's `OAuthBearerSaslServer` runs
//! it: the client's initial response carries the token and extensions; a rejected token gets
//! the RFC 7628 error JSON as a challenge, the client answers `%x01`, and authentication fails.

use std::time::Duration;

use super::exchange::{Failure, Step};

/// RFC 7628 section 3.2.2's error status Kafka sends for a token that fails validation.
pub(crate) const INVALID_TOKEN_JSON: &str = r#"{"status":"invalid_token"}"#;

/// `%x01`, the separator of the key/value pairs and the client's answer to an error.
const KVSEP: char = '\u{1}';

/// A parsed client initial response.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct InitialResponse {
    pub authzid: Option<String>,
    pub token: String,
    /// Every key/value pair other than `auth`, in order.
    pub extensions: Vec<(String, String)>,
}

/// Parses `n,[a=authzid],%x01auth=Bearer <token>%x01[key=value%x01]*%x01`.
pub(crate) fn parse_initial(message: &str) -> Result<InitialResponse, String> {
    let rest = message
        .strip_prefix("n,")
        .ok_or("OAUTHBEARER message without GS2 header `n,`")?;
    let (authzid, kvpairs) = rest
        .split_once(',')
        .ok_or("OAUTHBEARER message without authzid field")?;
    let authzid = match authzid {
        "" => None,
        a => Some(a.strip_prefix("a=").ok_or("malformed authzid")?.to_owned()),
    };
    let body = kvpairs
        .strip_prefix(KVSEP)
        .and_then(|b| b.strip_suffix(KVSEP))
        .and_then(|b| b.strip_suffix(KVSEP))
        .ok_or("OAUTHBEARER key/value pairs not framed by %x01")?;
    let mut token = None;
    let mut extensions = Vec::new();
    for pair in body.split(KVSEP) {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| format!("OAUTHBEARER pair without '=': {pair:?}"))?;
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(format!("invalid OAUTHBEARER key {key:?}"));
        }
        if key == "auth" {
            let t = value
                .strip_prefix("Bearer ")
                .ok_or("auth value is not `Bearer <token>`")?;
            if t.is_empty() || token.is_some() {
                return Err("empty or repeated bearer token".into());
            }
            token = Some(t.to_owned());
        } else {
            extensions.push((key.to_owned(), value.to_owned()));
        }
    }
    Ok(InitialResponse {
        authzid,
        token: token.ok_or("OAUTHBEARER message without auth=Bearer")?,
        extensions,
    })
}

/// A token the validator accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Accepted {
    pub principal: String,
    /// How long the token stays valid, when known (KIP-368 caps the session at it).
    pub lifetime: Option<Duration>,
}

/// Where an OAUTHBEARER exchange is.
#[derive(Debug)]
pub(crate) enum OAuthBearerServer {
    Start,
    /// The error JSON was sent; the client must answer `%x01`.
    SentError,
    /// The token was accepted.
    Accepted {
        lifetime: Option<Duration>,
    },
    Finished,
}

impl OAuthBearerServer {
    /// How long the accepted token stays valid, once accepted and when known.
    pub fn credential_lifetime(&self) -> Option<Duration> {
        match self {
            Self::Accepted { lifetime } => *lifetime,
            _ => None,
        }
    }

    pub fn step<F>(&mut self, token: &[u8], validator: &F) -> Step
    where
        F: Fn(&str, &[(String, String)]) -> Result<Accepted, String> + ?Sized,
    {
        let state = std::mem::replace(self, Self::Finished);
        match state {
            Self::Start => {
                let parsed = std::str::from_utf8(token)
                    .map_err(|e| e.to_string())
                    .and_then(parse_initial);
                let initial = match parsed {
                    Ok(i) => i,
                    Err(e) => return Step::Fail(Failure::Credentials(e)),
                };
                match validator(&initial.token, &initial.extensions) {
                    Ok(Accepted {
                        principal,
                        lifetime,
                    }) => {
                        if initial.authzid.as_ref().is_some_and(|a| *a != principal) {
                            return Step::Fail(Failure::Message(format!(
                                "Authentication failed: Client requested an authorization id \
                                 ({}) that is different from the token's principal name ({})",
                                initial.authzid.unwrap_or_default(),
                                principal
                            )));
                        }
                        *self = Self::Accepted { lifetime };
                        Step::Done {
                            principal,
                            response: Vec::new(),
                        }
                    }
                    Err(reason) => {
                        tracing::debug!("OAUTHBEARER token rejected: {reason}");
                        *self = Self::SentError;
                        Step::Challenge(INVALID_TOKEN_JSON.as_bytes().to_vec())
                    }
                }
            }
            Self::SentError => {
                if token != [0x01] {
                    tracing::debug!("OAUTHBEARER client did not acknowledge the error with %x01");
                }
                Step::Fail(Failure::Message(INVALID_TOKEN_JSON.to_owned()))
            }
            Self::Accepted { .. } | Self::Finished => Step::Fail(Failure::Credentials(
                "OAUTHBEARER token after the exchange finished".into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_initial_response() {
        let r = parse_initial("n,,\x01auth=Bearer abc.def\x01traceId=7\x01\x01").unwrap();
        assert_eq!(
            r,
            InitialResponse {
                authzid: None,
                token: "abc.def".into(),
                extensions: vec![("traceId".into(), "7".into())],
            }
        );
        let r = parse_initial("n,a=svc,\x01auth=Bearer t\x01\x01").unwrap();
        assert_eq!(r.authzid.as_deref(), Some("svc"));
        for bad in [
            "",
            "n,,auth=Bearer t\x01\x01",
            "n,,\x01auth=Bearer t\x01",
            "n,,\x01auth=Basic t\x01\x01",
            "n,,\x01x=1\x01\x01",
            "n,,\x01auth=Bearer t\x01auth=Bearer u\x01\x01",
            "n,,\x01k-1=v\x01auth=Bearer t\x01\x01",
        ] {
            assert!(parse_initial(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn rejected_token_gets_error_challenge_then_fails() {
        let validator = |t: &str, _: &[(String, String)]| {
            if t == "good" {
                Ok(Accepted {
                    principal: "svc".to_owned(),
                    lifetime: Some(Duration::from_secs(7)),
                })
            } else {
                Err("bad".to_owned())
            }
        };
        let mut s = OAuthBearerServer::Start;
        assert_eq!(
            s.step(b"n,,\x01auth=Bearer good\x01\x01", &validator),
            Step::Done {
                principal: "svc".into(),
                response: Vec::new()
            }
        );
        assert_eq!(s.credential_lifetime(), Some(Duration::from_secs(7)));
        assert!(matches!(
            s.step(b"n,,\x01auth=Bearer good\x01\x01", &validator),
            Step::Fail(Failure::Credentials(_))
        ));
        let mut s = OAuthBearerServer::Start;
        assert_eq!(
            s.step(b"n,,\x01auth=Bearer nope\x01\x01", &validator),
            Step::Challenge(INVALID_TOKEN_JSON.as_bytes().to_vec())
        );
        assert_eq!(
            s.step(b"\x01", &validator),
            Step::Fail(Failure::Message(INVALID_TOKEN_JSON.into()))
        );
    }
}
