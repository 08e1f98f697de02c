//! The client's initial response (RFC 7628 §3.1), with the checks Kafka's broker applies to it
//! (`OAuthBearerClientInitialResponse`): so a token or extension the broker would refuse is
//! refused here, with a clear reason, before anything is sent.

use crate::SaslError;

/// The separator between key-value pairs (`kvsep`, `%x01`).
pub(crate) const KVSEP: u8 = 0x01;

fn bad(what: &'static str, why: &'static str) -> SaslError {
    SaslError::InvalidCredential {
        mechanism: super::OauthBearer::NAME,
        what,
        why,
    }
}

/// RFC 6750 `b64token`: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
pub(crate) fn validate_token(token: &str) -> Result<(), SaslError> {
    let body = token.trim_end_matches('=');
    if body.is_empty() {
        return Err(bad("token", "it is empty"));
    }
    if !body
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
    {
        return Err(bad(
            "token",
            "it has characters outside RFC 6750 b64token (letters, digits, -._~+/ then =)",
        ));
    }
    Ok(())
}

/// Extension keys: one or more ASCII letters, not `auth`, each key once. Values: one or more of
/// `%x21-7E`, space, tab, CR, LF (RFC 7628 `value`, non-empty as Kafka requires).
pub(crate) fn validate_extensions(extensions: &[(String, String)]) -> Result<(), SaslError> {
    for (n, (key, value)) in extensions.iter().enumerate() {
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(bad("extension key", "keys are one or more ASCII letters"));
        }
        if key == "auth" {
            return Err(bad(
                "extension key",
                "\"auth\" is reserved for the token itself",
            ));
        }
        if extensions.iter().take(n).any(|(k, _)| k == key) {
            return Err(bad("extension key", "a key appears twice"));
        }
        if value.is_empty()
            || !value
                .bytes()
                .all(|b| (0x21..=0x7e).contains(&b) || b" \t\r\n".contains(&b))
        {
            return Err(bad(
                "extension value",
                "values are one or more of printable ASCII, space, tab, CR, LF",
            ));
        }
    }
    Ok(())
}

/// `n,,` kvsep `auth=Bearer <token>` kvsep [`key=value` kvsep …] kvsep. Inputs validated.
pub(crate) fn encode(token: &str, extensions: &[(String, String)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 + token.len());
    out.extend_from_slice(b"n,,");
    out.push(KVSEP);
    out.extend_from_slice(b"auth=Bearer ");
    out.extend_from_slice(token.as_bytes());
    out.push(KVSEP);
    for (key, value) in extensions {
        out.extend_from_slice(key.as_bytes());
        out.push(b'=');
        out.extend_from_slice(value.as_bytes());
        out.push(KVSEP);
    }
    out.push(KVSEP);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ext(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn tokens() {
        for ok in ["a", "eyJh.eyJz.c2ln", "a-b_c~d+e/f==", "A1"] {
            assert!(validate_token(ok).is_ok(), "{ok}");
        }
        for bad in ["", "==", "a b", "a,b", "a\u{1}b", "a=b", "tök", "a\n"] {
            assert!(validate_token(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn extensions() {
        assert!(validate_extensions(&ext(&[("traceId", "a b\t\r\n~!"), ("x", "1")])).is_ok());
        for bad in [
            ext(&[("auth", "x")]),
            ext(&[("", "x")]),
            ext(&[("a1", "x")]),
            ext(&[("a_b", "x")]),
            ext(&[("a", "")]),
            ext(&[("a", "x\u{1}y")]),
            ext(&[("a", "é")]),
            ext(&[("a", "x\0")]),
            ext(&[("a", "1"), ("a", "2")]),
        ] {
            assert!(validate_extensions(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn layout() {
        assert_eq!(encode("tok", &[]), b"n,,\x01auth=Bearer tok\x01\x01");
        assert_eq!(
            encode("tok", &ext(&[("a", "1"), ("bB", "x y")])),
            b"n,,\x01auth=Bearer tok\x01a=1\x01bB=x y\x01\x01"
        );
    }
}
