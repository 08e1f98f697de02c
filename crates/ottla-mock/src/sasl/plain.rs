//! PLAIN server side (RFC 4616): `[authzid] NUL user NUL password`, checked as Kafka's
//! `PlainSaslServer` does.

use std::collections::BTreeMap;

use super::exchange::{Failure, Step};

/// Kafka's message for a wrong user or password (a `SaslAuthenticationException`, so it
/// reaches the client as is).
const INVALID: &str = "Authentication failed: Invalid username or password";

pub(crate) fn authenticate(token: &[u8], passwords: &BTreeMap<String, String>) -> Step {
    let Ok(message) = std::str::from_utf8(token) else {
        return Step::Fail(Failure::Credentials("PLAIN token is not UTF-8".into()));
    };
    let mut parts = message.split('\0');
    let (Some(authzid), Some(user), Some(password), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Step::Fail(Failure::Message(
            "Invalid SASL/PLAIN response: expected 3 tokens".to_owned(),
        ));
    };
    if user.is_empty() {
        return Step::Fail(Failure::Message(
            "Authentication failed: username not specified".to_owned(),
        ));
    }
    if password.is_empty() {
        return Step::Fail(Failure::Message(
            "Authentication failed: password not specified".to_owned(),
        ));
    }
    if passwords.get(user).map(String::as_str) != Some(password) {
        return Step::Fail(Failure::Message(INVALID.to_owned()));
    }
    if !authzid.is_empty() && authzid != user {
        return Step::Fail(Failure::Message(
            "Authentication failed: Client requested an authorization id that is different \
             from username"
                .to_owned(),
        ));
    }
    Step::Done {
        principal: user.to_owned(),
        response: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_user_password_and_authzid() {
        let users = BTreeMap::from([("alice".to_owned(), "s3cret".to_owned())]);
        let done = Step::Done {
            principal: "alice".into(),
            response: Vec::new(),
        };
        assert_eq!(authenticate(b"\0alice\0s3cret", &users), done);
        assert_eq!(authenticate(b"alice\0alice\0s3cret", &users), done);
        assert_eq!(
            authenticate(b"\0alice\0wrong", &users),
            Step::Fail(Failure::Message(INVALID.into()))
        );
        assert_eq!(
            authenticate(b"\0bob\0s3cret", &users),
            Step::Fail(Failure::Message(INVALID.into()))
        );
        for bad in [
            &b"bob\0alice\0s3cret"[..],
            b"alice\0s3cret",
            b"\0\0x",
            b"\0a\0\0",
        ] {
            assert!(
                matches!(authenticate(bad, &users), Step::Fail(_)),
                "{bad:?}"
            );
        }
    }
}
