//! SASL/PLAIN (RFC 4616): one message, `authzid NUL authcid NUL passwd`.

use crate::{Authenticator, SaslError, Secret};

/// The PLAIN mechanism. Kafka sends no authorization identity.
#[derive(Debug, Clone)]
pub struct Plain {
    username: String,
    password: Secret,
}

impl Plain {
    /// The mechanism's name, as SaslHandshake offers it.
    pub const NAME: &'static str = "PLAIN";

    /// A PLAIN exchange for `username` and `password`.
    pub fn new(username: impl Into<String>, password: Secret) -> Self {
        Self {
            username: username.into(),
            password,
        }
    }

    /// Checks that the credentials can be sent: RFC 4616 forbids NUL in them and an empty
    /// username or password.
    pub fn validate(&self) -> Result<(), SaslError> {
        let bad = |what, why| SaslError::InvalidCredential {
            mechanism: Self::NAME,
            what,
            why,
        };
        if self.username.is_empty() {
            return Err(bad("username", "it is empty"));
        }
        if self.username.contains('\0') {
            return Err(bad("username", "it contains NUL"));
        }
        if self.password.expose().is_empty() {
            return Err(bad("password", "it is empty"));
        }
        if self.password.expose().contains('\0') {
            return Err(bad("password", "it contains NUL"));
        }
        Ok(())
    }

    /// The client's only message.
    pub fn initial_response(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(2 + self.username.len() + self.password.expose().len());
        out.push(0);
        out.extend_from_slice(self.username.as_bytes());
        out.push(0);
        out.extend_from_slice(self.password.expose().as_bytes());
        out
    }

    /// Accepts the server's reply, which must be empty on success.
    pub fn finish(&mut self, server: &[u8]) -> Result<(), SaslError> {
        if server.is_empty() {
            Ok(())
        } else {
            Err(SaslError::UnexpectedServerMessage {
                mechanism: Self::NAME,
                why: format!("PLAIN expects an empty reply, got {} bytes", server.len()),
            })
        }
    }
}

impl Authenticator for Plain {
    fn mechanism(&self) -> &'static str {
        Self::NAME
    }

    /// Validates the credentials, then returns [`Plain::initial_response`].
    fn initial(&mut self) -> Result<Vec<u8>, SaslError> {
        self.validate()?;
        Ok(self.initial_response())
    }

    /// [`Plain::finish`]: the exchange ends with the server's (empty) reply.
    fn step(&mut self, server: &[u8]) -> Result<Option<Vec<u8>>, SaslError> {
        self.finish(server).map(|()| None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_layout() {
        let p = Plain::new("u", Secret::new("p€"));
        assert_eq!(p.initial_response(), b"\0u\0p\xe2\x82\xac");
        assert!(p.validate().is_ok());
    }

    #[test]
    fn rejects_unsendable_credentials() {
        assert!(Plain::new("", Secret::new("p")).validate().is_err());
        assert!(Plain::new("a\0b", Secret::new("p")).validate().is_err());
        assert!(Plain::new("a", Secret::new("")).validate().is_err());
        let e = Plain::new("a", Secret::new("x\0")).validate().unwrap_err();
        assert!(
            !e.to_string().contains('x'),
            "the password never appears in errors"
        );
    }

    #[test]
    fn non_empty_reply_is_an_error() {
        let mut p = Plain::new("u", Secret::new("p"));
        assert!(p.finish(b"").is_ok());
        assert!(p.finish(b"?").is_err());
    }

    #[test]
    fn as_authenticator() {
        let mut a: Box<dyn Authenticator> = Box::new(Plain::new("u", Secret::new("p")));
        assert_eq!(a.mechanism(), "PLAIN");
        assert_eq!(a.initial().unwrap(), b"\0u\0p");
        assert_eq!(a.step(b"").unwrap(), None);
        assert!(a.step(b"x").is_err());
        let mut bad: Box<dyn Authenticator> = Box::new(Plain::new("", Secret::new("p")));
        assert!(bad.initial().is_err());
    }

    #[test]
    fn debug_hides_password() {
        let p = Plain::new("u", Secret::new("hunter2"));
        assert!(!format!("{p:?}").contains("hunter2"));
    }
}
