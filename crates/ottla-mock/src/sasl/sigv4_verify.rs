//! Server-side checking of an AWS Signature Version 4 query-string ("presigned") request, written
//! from the SigV4 specification rather than with an AWS signer, so that it is an independent check
//! of the client's signer: the canonical request, the string to sign, the signing-key HMAC chain
//! and a constant-time comparison of the signature.
//!
//! Only what MSK IAM uses is covered: method `GET`, path `/`, the `host` header as the only
//! signed header and an empty payload.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// `X-Amz-Algorithm` of SigV4 with HMAC-SHA256.
pub(crate) const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The service MSK signs for.
pub(crate) const SERVICE: &str = "kafka-cluster";
/// The last element of a SigV4 credential scope.
pub(crate) const TERMINATOR: &str = "aws4_request";
/// Lowercase hex SHA-256 of the empty payload.
const EMPTY_PAYLOAD_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// A presigned `GET https://<host>/?<params>` as the server reconstructed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PresignedRequest {
    /// The value of the signed `host` header.
    pub host: String,
    /// Every signed query parameter, percent-decoded (everything but `X-Amz-Signature` and
    /// `User-Agent`).
    pub params: Vec<(String, String)>,
    /// `X-Amz-Signature` as sent.
    pub signature: String,
}

impl PresignedRequest {
    /// The value of the parameter `name` (names are case-sensitive, as in SigV4).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether `X-Amz-Signature` is the signature of this request with `secret`; `scope` is
    /// `<yyyymmdd>/<region>/<service>/aws4_request` and `amz_date` the `X-Amz-Date`.
    pub fn signature_matches(
        &self,
        secret: &str,
        amz_date: &str,
        date: &str,
        region: &str,
        service: &str,
    ) -> bool {
        let canonical = canonical_request(&self.host, &canonical_query(&self.params));
        let scope = format!("{date}/{region}/{service}/{TERMINATOR}");
        let to_sign = string_to_sign(amz_date, &scope, &canonical);
        let key = signing_key(secret, date, region, service);
        let expected = lower_hex(&hmac_sha256(&key, to_sign.as_bytes()));
        constant_time_eq(expected.as_bytes(), self.signature.as_bytes())
    }
}

/// URI-encodes as SigV4 requires (RFC 3986): `A-Z a-z 0-9 - _ . ~` kept, every other byte of
/// the UTF-8 encoding as `%XX` with uppercase hex.
pub(crate) fn uri_encode(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
    out
}

/// Decodes one component of a query string: `%XX` escapes (either case), and `+` as a space
/// (as `application/x-www-form-urlencoded` and AWS's front ends read it). The result must be
/// UTF-8.
pub(crate) fn query_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'%' => {
                let hi = bytes.get(i + 1).copied().and_then(hex_value);
                let lo = bytes.get(i + 2).copied().and_then(hex_value);
                let (Some(hi), Some(lo)) = (hi, lo) else {
                    return Err(format!("invalid percent-escape in {s:?}"));
                };
                out.push(hi << 4 | lo);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| format!("{s:?} does not decode to UTF-8"))
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The canonical query string: every name and value URI-encoded, sorted by encoded name (then
/// value), joined as `name=value` with `&`.
pub(crate) fn canonical_query(params: &[(String, String)]) -> String {
    let mut encoded: Vec<(String, String)> = params
        .iter()
        .map(|(n, v)| (uri_encode(n), uri_encode(v)))
        .collect();
    encoded.sort();
    encoded
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// The canonical request of `GET /` with only `host` signed and an empty payload.
pub(crate) fn canonical_request(host: &str, canonical_query: &str) -> String {
    format!("GET\n/\n{canonical_query}\nhost:{host}\n\nhost\n{EMPTY_PAYLOAD_SHA256}")
}

/// The string to sign: algorithm, request time, credential scope, hash of the canonical request.
pub(crate) fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    let hash = Sha256::digest(canonical_request.as_bytes());
    format!("{ALGORITHM}\n{amz_date}\n{scope}\n{}", lower_hex(&hash))
}

/// The signing key: HMAC-SHA256 chained over `"AWS4" + secret`, date, region, service and
/// `aws4_request`.
pub(crate) fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k_secret = format!("AWS4{secret}");
    let k_date = hmac_sha256(k_secret.as_bytes(), date.as_bytes());
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, service.as_bytes());
    hmac_sha256(&k_service, TERMINATOR.as_bytes())
}

/// HMAC-SHA256 of `data` under `key`.
pub(crate) fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().into()
        }
        Err(_) => [0; 32],
    }
}

/// Lowercase hex.
pub(crate) fn lower_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    out
}

/// Compares without an early exit on the first differing byte (the lengths are not secret).
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_and_decodes_query_components() {
        assert_eq!(uri_encode("AZaz09-_.~"), "AZaz09-_.~");
        assert_eq!(
            uri_encode("kafka-cluster:Connect"),
            "kafka-cluster%3AConnect"
        );
        assert_eq!(uri_encode("a/b+c= d"), "a%2Fb%2Bc%3D%20d");
        assert_eq!(uri_encode("é"), "%C3%A9");
        assert_eq!(query_decode("a%2fb%2Bc%3D+d").unwrap(), "a/b+c= d");
        assert_eq!(query_decode("%C3%A9").unwrap(), "é");
        for bad in ["%", "%4", "%G0", "%FF"] {
            assert!(query_decode(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn canonical_query_sorts_encoded_names() {
        let params = vec![
            ("X-Amz-Date".to_owned(), "20240501T123456Z".to_owned()),
            ("Action".to_owned(), "kafka-cluster:Connect".to_owned()),
            ("X-Amz-Credential".to_owned(), "AKID/20240501".to_owned()),
        ];
        assert_eq!(
            canonical_query(&params),
            "Action=kafka-cluster%3AConnect&X-Amz-Credential=AKID%2F20240501\
             &X-Amz-Date=20240501T123456Z"
        );
    }

    /// The signing-key example of the AWS General Reference ("Examples of how to derive a
    /// signing key for Signature Version 4"): secret `wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY`,
    /// 20120215, us-east-1, iam.
    #[test]
    fn derives_the_documented_signing_key() {
        let key = signing_key(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20120215",
            "us-east-1",
            "iam",
        );
        assert_eq!(
            lower_hex(&key),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }

    /// RFC 4231 test case 2.
    #[test]
    fn hmac_sha256_known_answer() {
        assert_eq!(
            lower_hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn compares_in_constant_time_shape() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(constant_time_eq(b"", b""));
    }
}
