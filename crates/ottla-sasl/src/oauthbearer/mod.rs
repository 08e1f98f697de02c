//! SASL/OAUTHBEARER (RFC 7628) as Kafka uses it (KIP-255, KIP-342 extensions).
//!
//! The exchange: the client sends its initial response with the token; the broker replies
//! with empty bytes on success. When it rejects the token, it sends an error challenge (a JSON
//! object); RFC 7628 requires the client to answer it with a single `%x01`, after which the
//! broker fails the exchange. So on an error challenge [`OauthBearer`]'s `step` returns
//! `Ok(Some(b"\x01"))` and remembers the parsed challenge; the connection sends the byte, and
//! then either the broker answers with a SaslAuthenticate error (the connection calls
//! [`Authenticator::failure`], which returns [`SaslError::OauthServer`] with the parsed
//! status, scope and openid-configuration), or it answers with bytes and the next `step`
//! returns that same error. Either way the user sees the server's reason.

mod initial_response;
mod server_error;
mod token;

use crate::{Authenticator, SaslError, Secret};

pub use server_error::OauthServerError;
pub use token::{OauthToken, StaticToken, TokenProvider};

/// The client side of one OAUTHBEARER exchange. Build a new one, from a fresh token, for every
/// authentication. `Debug` never shows the token or extension values.
pub struct OauthBearer {
    token: Secret,
    extensions: Vec<(String, String)>,
    state: State,
    server_error: Option<OauthServerError>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Initial,
    AwaitReply,
    /// The error challenge was answered with kvsep.
    ErrorAcknowledged,
    Done,
    Failed,
}

impl OauthBearer {
    /// The mechanism's name, as SaslHandshake offers it.
    pub const NAME: &'static str = "OAUTHBEARER";

    /// An exchange for `token`, whose value and extensions are checked here (RFC 6750
    /// `b64token`; extension keys ASCII letters and not `auth`, values printable ASCII, space,
    /// tab, CR or LF).
    pub fn new(token: &OauthToken) -> Result<Self, SaslError> {
        initial_response::validate_token(token.token.expose())?;
        initial_response::validate_extensions(&token.extensions)?;
        Ok(Self {
            token: token.token.clone(),
            extensions: token.extensions.clone(),
            state: State::Initial,
            server_error: None,
        })
    }

    /// The server's error challenge, once one arrived.
    pub fn server_error(&self) -> Option<&OauthServerError> {
        self.server_error.as_ref()
    }

    fn out_of_order(why: &'static str) -> SaslError {
        SaslError::OutOfOrder {
            mechanism: Self::NAME,
            why,
        }
    }
}

impl std::fmt::Debug for OauthBearer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys: Vec<&str> = self.extensions.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("OauthBearer")
            .field("token", &self.token)
            .field("extension_keys", &keys)
            .field("state", &self.state)
            .field("server_error", &self.server_error)
            .finish()
    }
}

impl Authenticator for OauthBearer {
    fn mechanism(&self) -> &'static str {
        Self::NAME
    }

    /// `n,,\x01auth=Bearer <token>\x01[key=value\x01…]\x01`.
    fn initial(&mut self) -> Result<Vec<u8>, SaslError> {
        if self.state != State::Initial {
            return Err(Self::out_of_order("initial called twice"));
        }
        self.state = State::AwaitReply;
        Ok(initial_response::encode(
            self.token.expose(),
            &self.extensions,
        ))
    }

    /// Empty reply → `None` (authenticated). Error challenge → `Some(b"\x01")`, and the next
    /// `step` (or [`failure`](Authenticator::failure)) reports it. Anything else is an error.
    fn step(&mut self, server: &[u8]) -> Result<Option<Vec<u8>>, SaslError> {
        let state = std::mem::replace(&mut self.state, State::Failed);
        match state {
            State::Initial => Err(Self::out_of_order("step before initial")),
            State::AwaitReply if server.is_empty() => {
                self.state = State::Done;
                Ok(None)
            }
            State::AwaitReply => {
                let error = OauthServerError::parse(server)?;
                self.server_error = Some(error);
                self.state = State::ErrorAcknowledged;
                Ok(Some(vec![initial_response::KVSEP]))
            }
            State::ErrorAcknowledged => match &self.server_error {
                Some(error) => Err(SaslError::OauthServer(error.clone())),
                None => Err(Self::out_of_order("no error challenge was received")),
            },
            State::Done => {
                self.state = State::Done;
                Err(Self::out_of_order("step after the exchange completed"))
            }
            State::Failed => Err(Self::out_of_order("step after the exchange failed")),
        }
    }

    /// The parsed error challenge as [`SaslError::OauthServer`], once one arrived.
    fn failure(&mut self) -> Option<SaslError> {
        self.server_error.clone().map(SaslError::OauthServer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> OauthToken {
        OauthToken::new(Secret::new("eyJh.eyJz.c2ln"), 1_700_000_000_000, "alice")
    }

    #[test]
    fn success_flow() {
        let mut a: Box<dyn Authenticator> = Box::new(OauthBearer::new(&token()).unwrap());
        assert_eq!(a.mechanism(), "OAUTHBEARER");
        assert_eq!(
            a.initial().unwrap(),
            b"n,,\x01auth=Bearer eyJh.eyJz.c2ln\x01\x01"
        );
        assert_eq!(a.step(b"").unwrap(), None);
        assert!(a.failure().is_none());
        assert!(matches!(
            a.step(b"").unwrap_err(),
            SaslError::OutOfOrder { .. }
        ));
    }

    #[test]
    fn extensions_sent() {
        let t = token()
            .with_extension("logicalCluster", "lkc-123")
            .with_extension("identityPoolId", "pool 1");
        let mut a = OauthBearer::new(&t).unwrap();
        assert_eq!(
            a.initial().unwrap(),
            b"n,,\x01auth=Bearer eyJh.eyJz.c2ln\x01logicalCluster=lkc-123\x01identityPoolId=pool 1\x01\x01"
        );
    }

    #[test]
    fn invalid_token_or_extensions_refused() {
        assert!(OauthBearer::new(&token().with_extension("auth", "x")).is_err());
        assert!(OauthBearer::new(&token().with_extension("k1", "x")).is_err());
        assert!(OauthBearer::new(&token().with_extension("k", "\u{1}")).is_err());
        let mut t = token();
        t.token = Secret::new("has space");
        let e = OauthBearer::new(&t).unwrap_err();
        assert!(!e.to_string().contains("has space"), "{e}");
        t.token = Secret::new("");
        assert!(OauthBearer::new(&t).is_err());
    }

    #[test]
    fn error_challenge_flow() {
        let mut a = OauthBearer::new(&token()).unwrap();
        a.initial().unwrap();
        let challenge = br#"{"status":"invalid_token","scope":"kafka","openid-configuration":"https://idp/.well-known/openid-configuration"}"#;
        assert_eq!(a.step(challenge).unwrap(), Some(vec![1]));
        let expected = OauthServerError {
            status: "invalid_token".into(),
            scope: Some("kafka".into()),
            openid_configuration: Some("https://idp/.well-known/openid-configuration".into()),
        };
        assert_eq!(a.server_error(), Some(&expected));
        // The broker fails SaslAuthenticate with an error code: the connection asks why.
        assert_eq!(a.failure(), Some(SaslError::OauthServer(expected.clone())));
        // Or it answers the kvsep with bytes: the next step reports the challenge.
        let e = a.step(b"").unwrap_err();
        assert_eq!(e, SaslError::OauthServer(expected));
        assert!(e.to_string().contains("invalid_token"), "{e}");
    }

    #[test]
    fn malformed_server_replies() {
        for bad in [
            &b"\x01"[..],
            b"ok",
            b"{\"scope\":\"x\"}",
            b"{\"status\":7}",
            b"\xff\xfe",
            b"[\"status\"]",
        ] {
            let mut a = OauthBearer::new(&token()).unwrap();
            a.initial().unwrap();
            assert!(
                matches!(
                    a.step(bad).unwrap_err(),
                    SaslError::UnexpectedServerMessage { .. }
                ),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
            assert!(a.failure().is_none());
            assert!(matches!(
                a.step(b"").unwrap_err(),
                SaslError::OutOfOrder { .. }
            ));
        }
    }

    #[test]
    fn out_of_order() {
        let mut a = OauthBearer::new(&token()).unwrap();
        assert!(a.step(b"").is_err());
        let mut a = OauthBearer::new(&token()).unwrap();
        a.initial().unwrap();
        assert!(a.initial().is_err());
    }

    #[test]
    fn debug_hides_token() {
        let mut a = OauthBearer::new(&token().with_extension("k", "s3cr3t")).unwrap();
        a.initial().unwrap();
        let d = format!("{a:?}");
        assert!(!d.contains("eyJh") && !d.contains("s3cr3t"), "{d}");
    }
}
