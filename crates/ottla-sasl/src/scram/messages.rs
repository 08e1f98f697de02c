//! The text of SCRAM messages (RFC 5802 §7): the client's usernames and nonces, and parsers
//! for the two server messages. The parsers are strict: attributes in the RFC's order, no
//! extensions (Kafka's brokers send none), no empty attributes, no trailing data.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use super::ScramServerError;
use crate::SaslError;

/// The server-first-message: `r=<nonce>,s=<salt>,i=<count>`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ServerFirst<'a> {
    /// Client nonce followed by the server's.
    pub nonce: &'a str,
    /// The decoded salt.
    pub salt: Vec<u8>,
    /// The iteration count.
    pub iterations: u32,
}

/// The server-final-message.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ServerFinal {
    /// `v=<base64 ServerSignature>`, decoded.
    Verifier(Vec<u8>),
    /// `e=<server-error-value>`.
    Error(ScramServerError),
}

fn malformed(mechanism: &'static str, why: impl Into<String>) -> SaslError {
    SaslError::UnexpectedServerMessage {
        mechanism,
        why: why.into(),
    }
}

/// The message as UTF-8 text, split into `(name, value)` attributes.
fn attributes<'a>(
    mechanism: &'static str,
    message: &'a [u8],
    which: &str,
) -> Result<Vec<(char, &'a str)>, SaslError> {
    let text = std::str::from_utf8(message)
        .map_err(|_| malformed(mechanism, format!("the {which} is not UTF-8")))?;
    if text.is_empty() {
        return Err(malformed(mechanism, format!("the {which} is empty")));
    }
    text.split(',')
        .enumerate()
        .map(|(n, attr)| {
            let mut chars = attr.chars();
            match (chars.next(), chars.next()) {
                (Some(name), Some('=')) if name.is_ascii_alphabetic() => Ok((name, chars.as_str())),
                _ => Err(malformed(
                    mechanism,
                    format!(
                        "attribute {} of the {which} is not of the form <letter>=<value>",
                        n + 1
                    ),
                )),
            }
        })
        .collect()
}

/// Takes the next attribute, which must be `name`, with a non-empty value.
fn expect_attr<'a>(
    mechanism: &'static str,
    attrs: &mut std::slice::Iter<'_, (char, &'a str)>,
    name: char,
    what: &str,
    which: &str,
) -> Result<&'a str, SaslError> {
    match attrs.next() {
        Some(&(n, value)) if n == name => {
            if value.is_empty() {
                Err(malformed(
                    mechanism,
                    format!("the {what} ({name}=) is empty"),
                ))
            } else {
                Ok(value)
            }
        }
        Some(&(other, _)) => Err(malformed(
            mechanism,
            format!("expected the {what} ({name}=) in the {which}, found {other}="),
        )),
        None => Err(malformed(
            mechanism,
            format!("the {which} has no {what} ({name}=)"),
        )),
    }
}

fn no_more(
    mechanism: &'static str,
    attrs: &mut std::slice::Iter<'_, (char, &str)>,
    which: &str,
) -> Result<(), SaslError> {
    match attrs.next() {
        None => Ok(()),
        Some(&(name, _)) => Err(malformed(
            mechanism,
            format!("unexpected attribute {name}= at the end of the {which} (SCRAM extensions are not supported)"),
        )),
    }
}

fn decode_base64(mechanism: &'static str, value: &str, what: &str) -> Result<Vec<u8>, SaslError> {
    STANDARD
        .decode(value)
        .map_err(|e| malformed(mechanism, format!("the {what} is not valid base64: {e}")))
}

/// Whether `nonce` is RFC 5802 `printable`: `%x21-2B / %x2D-7E`, at least one character.
pub(crate) fn is_valid_nonce(nonce: &str) -> bool {
    !nonce.is_empty()
        && nonce
            .bytes()
            .all(|b| (0x21..=0x7e).contains(&b) && b != b',')
}

/// Parses a server-first-message.
pub(crate) fn parse_server_first<'a>(
    mechanism: &'static str,
    message: &'a [u8],
) -> Result<ServerFirst<'a>, SaslError> {
    const WHICH: &str = "server-first-message";
    let attrs = attributes(mechanism, message, WHICH)?;
    let mut it = attrs.iter();
    if let Some(&('m', _)) = attrs.first() {
        return Err(malformed(
            mechanism,
            "the server requires a mandatory extension (m=), which this client does not support",
        ));
    }
    let nonce = expect_attr(mechanism, &mut it, 'r', "nonce", WHICH)?;
    if !is_valid_nonce(nonce) {
        return Err(malformed(
            mechanism,
            "the nonce (r=) has characters outside printable ASCII",
        ));
    }
    let salt = expect_attr(mechanism, &mut it, 's', "salt", WHICH)?;
    let salt = decode_base64(mechanism, salt, "salt (s=)")?;
    if salt.is_empty() {
        return Err(malformed(mechanism, "the salt (s=) decodes to nothing"));
    }
    let count = expect_attr(mechanism, &mut it, 'i', "iteration count", WHICH)?;
    let iterations = parse_count(count).ok_or_else(|| {
        malformed(
            mechanism,
            "the iteration count (i=) is not a positive decimal number below 2^32",
        )
    })?;
    no_more(mechanism, &mut it, WHICH)?;
    Ok(ServerFirst {
        nonce,
        salt,
        iterations,
    })
}

/// RFC 5802 `posit-number`: a non-zero digit then digits; must fit in a `u32`.
fn parse_count(s: &str) -> Option<u32> {
    let first = s.bytes().next()?;
    if !(b'1'..=b'9').contains(&first) || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Parses a server-final-message.
pub(crate) fn parse_server_final(
    mechanism: &'static str,
    message: &[u8],
) -> Result<ServerFinal, SaslError> {
    const WHICH: &str = "server-final-message";
    let attrs = attributes(mechanism, message, WHICH)?;
    let mut it = attrs.iter();
    let result = match attrs.first() {
        Some(&('e', _)) => {
            let value = expect_attr(mechanism, &mut it, 'e', "server error", WHICH)?;
            ServerFinal::Error(ScramServerError::from_value(value))
        }
        _ => {
            let value = expect_attr(mechanism, &mut it, 'v', "server signature", WHICH)?;
            ServerFinal::Verifier(decode_base64(mechanism, value, "server signature (v=)")?)
        }
    };
    no_more(mechanism, &mut it, WHICH)?;
    Ok(result)
}

/// The username as RFC 5802 `saslname`: `=` → `=3D`, `,` → `=2C`. Rejects an empty name and
/// NUL. (A "SASLprep-lite": no Unicode normalization, like Kafka's own clients.)
pub(crate) fn escape_username(
    mechanism: &'static str,
    username: &str,
) -> Result<String, SaslError> {
    let bad = |why| SaslError::InvalidCredential {
        mechanism,
        what: "username",
        why,
    };
    if username.is_empty() {
        return Err(bad("it is empty"));
    }
    if username.contains('\0') {
        return Err(bad("it contains NUL"));
    }
    let mut out = String::with_capacity(username.len());
    for c in username.chars() {
        match c {
            '=' => out.push_str("=3D"),
            ',' => out.push_str("=2C"),
            c => out.push(c),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: &str = "SCRAM-SHA-256";

    fn why(e: SaslError) -> String {
        match e {
            SaslError::UnexpectedServerMessage { why, .. } => why,
            other => panic!("expected UnexpectedServerMessage, got {other:?}"),
        }
    }

    #[test]
    fn server_first_ok() {
        let m = parse_server_first(M, b"r=abc%def,s=QSXCR+Q6sek8bf92,i=4096").unwrap();
        assert_eq!(m.nonce, "abc%def");
        assert_eq!(m.salt, STANDARD.decode("QSXCR+Q6sek8bf92").unwrap());
        assert_eq!(m.iterations, 4096);
    }

    #[test]
    fn server_first_rejections() {
        let cases: &[(&[u8], &str)] = &[
            (b"", "empty"),
            (b"\xff=1", "UTF-8"),
            (b"m=x,r=a,s=QQ==,i=1", "mandatory extension"),
            (b"s=QQ==,r=a,i=1", "expected the nonce"),
            (b"r=a,i=1,s=QQ==", "expected the salt"),
            (b"r=a,s=QQ==", "no iteration count"),
            (b"r=a", "no salt"),
            (b"r=,s=QQ==,i=1", "nonce (r=) is empty"),
            (b"r=a b,s=QQ==,i=1", "printable"),
            (b"r=a,s=Q,i=1", "base64"),
            (b"r=a,s=QQ,i=1", "base64"),
            (b"r=a,s= QQ==,i=1", "base64"),
            (b"r=a,s=QQ==,i=0", "iteration count"),
            (b"r=a,s=QQ==,i=01", "iteration count"),
            (b"r=a,s=QQ==,i=+1", "iteration count"),
            (b"r=a,s=QQ==,i=4294967296", "iteration count"),
            (b"r=a,s=QQ==,i=1x", "iteration count"),
            (b"r=a,s=QQ==,i=1,", "attribute 4"),
            (b"r=a,s=QQ==,i=1,x=y", "unexpected attribute x="),
            (b"r=a,s=QQ==,i=1\0", "iteration count"),
            (b"ra,s=QQ==,i=1", "attribute 1"),
            (b"1=a,s=QQ==,i=1", "attribute 1"),
        ];
        for (input, needle) in cases {
            let w = why(parse_server_first(M, input).unwrap_err());
            assert!(
                w.contains(needle),
                "{:?}: {w:?} lacks {needle:?}",
                String::from_utf8_lossy(input)
            );
        }
        // The largest u32 is a valid count (range checks happen later).
        assert_eq!(
            parse_server_first(M, b"r=a,s=QQ==,i=4294967295")
                .unwrap()
                .iterations,
            u32::MAX
        );
    }

    #[test]
    fn server_final() {
        assert_eq!(
            parse_server_final(M, b"v=AAEC").unwrap(),
            ServerFinal::Verifier(vec![0, 1, 2])
        );
        assert_eq!(
            parse_server_final(M, b"e=invalid-proof").unwrap(),
            ServerFinal::Error(ScramServerError::InvalidProof)
        );
        for (input, needle) in [
            (&b""[..], "empty"),
            (b"v=", "empty"),
            (b"e=", "empty"),
            (b"v=AAE", "base64"),
            (b"v=AAEC,x=1", "unexpected attribute"),
            (b"e=invalid-proof,v=AAEC", "unexpected attribute"),
            (b"r=abc", "expected the server signature"),
            (b"\xc3(", "UTF-8"),
        ] {
            let w = why(parse_server_final(M, input).unwrap_err());
            assert!(w.contains(needle), "{input:?}: {w:?} lacks {needle:?}");
        }
    }

    #[test]
    fn usernames() {
        assert_eq!(escape_username(M, "a=b,c").unwrap(), "a=3Db=2Cc");
        assert_eq!(escape_username(M, "ünï").unwrap(), "ünï");
        assert!(escape_username(M, "").is_err());
        assert!(escape_username(M, "a\0b").is_err());
    }

    #[test]
    fn nonces() {
        assert!(is_valid_nonce("rOprNGfwEbeRWgbNEkqO"));
        assert!(is_valid_nonce("a%b)c$"));
        assert!(!is_valid_nonce(""));
        assert!(!is_valid_nonce("a,b"));
        assert!(!is_valid_nonce("a b"));
        assert!(!is_valid_nonce("é"));
    }
}
