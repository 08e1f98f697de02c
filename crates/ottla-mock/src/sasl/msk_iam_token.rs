//! OAUTHBEARER tokens of MSK IAM (as `aws-msk-iam-sasl-signer` makes them): base64url, without
//! padding, of a presigned `https://kafka.<region>.amazonaws.com/?Action=kafka-cluster%3AConnect&…
//! &X-Amz-Signature=…&User-Agent=…` URL. `User-Agent` is appended after signing, so it is not
//! part of the canonical query.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use super::msk_iam::{IamRejection, MockIam, Verified};
use super::sigv4_verify::{query_decode, PresignedRequest};

/// The URL a token encodes, when it is base64url (padding tolerated) of UTF-8 text starting
/// with `https://` or `http://`: such tokens are MSK IAM tokens; others are not.
pub(crate) fn presigned_url(token: &str) -> Option<String> {
    let bytes = URL_SAFE_NO_PAD.decode(token.trim_end_matches('=')).ok()?;
    let url = String::from_utf8(bytes).ok()?;
    (url.starts_with("https://") || url.starts_with("http://")).then_some(url)
}

/// Reads the host, the signed parameters and the signature of a presigned URL.
pub(crate) fn parse_url(url: &str) -> Result<PresignedRequest, IamRejection> {
    let malformed = |why: String| IamRejection::Malformed(why);
    let rest = url
        .strip_prefix("https://")
        .ok_or_else(|| malformed("the token's URL is not https".into()))?;
    if rest.contains('#') {
        return Err(malformed("the token's URL has a fragment".into()));
    }
    let (authority_path, query) = rest
        .split_once('?')
        .ok_or_else(|| malformed("the token's URL has no query".into()))?;
    let (host, path) = authority_path
        .split_once('/')
        .unwrap_or((authority_path, ""));
    if !path.is_empty() {
        return Err(malformed(format!(
            "the token's URL has path /{path}, not /"
        )));
    }
    if host.is_empty() || host.contains('@') {
        return Err(malformed(format!("the token's URL has host {host:?}")));
    }
    let mut params: Vec<(String, String)> = Vec::new();
    let mut signature = None;
    let mut user_agent = false;
    for pair in query.split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = query_decode(name).map_err(malformed)?;
        let value = query_decode(value).map_err(malformed)?;
        if name.is_empty() {
            return Err(malformed("empty query parameter name".into()));
        }
        let repeated = match name.as_str() {
            "X-Amz-Signature" => signature.replace(value).is_some(),
            "User-Agent" => std::mem::replace(&mut user_agent, true),
            _ => {
                let seen = params.iter().any(|(n, _)| *n == name);
                params.push((name.clone(), value));
                seen
            }
        };
        if repeated {
            return Err(malformed(format!("query parameter {name} is repeated")));
        }
    }
    Ok(PresignedRequest {
        host: host.to_owned(),
        params,
        signature: signature.ok_or_else(|| malformed("X-Amz-Signature is missing".into()))?,
    })
}

/// Checks an OAUTHBEARER token as MSK does, and records the outcome in `iam`.
pub(crate) fn verify_token(iam: &MockIam, token: &str) -> Result<Verified, IamRejection> {
    iam.judge(check_token(iam, token))
}

fn check_token(iam: &MockIam, token: &str) -> Result<Verified, IamRejection> {
    let url = presigned_url(token).ok_or_else(|| {
        IamRejection::Malformed("the token is not base64url of a presigned URL".into())
    })?;
    let request = parse_url(&url)?;
    let hosts = iam.oauth_hosts();
    if !hosts.contains(&request.host) {
        return Err(IamRejection::WrongHost {
            expected: hosts.join("|"),
            got: request.host,
        });
    }
    iam.verify(&request)
}

#[cfg(test)]
pub(crate) mod tests {
    use std::time::{Duration, SystemTime};

    use proptest::prelude::*;

    use super::*;
    use crate::sasl::msk_iam::tests::t0;

    // Generated with the official signer (aws-msk-iam-sasl-signer-python 1.0.2, botocore
    // 1.44.5), clock frozen at 2024-05-01T12:34:56Z:
    //
    // /work/main/.tools/aws-venv/bin/python - <<'EOF'
    // import datetime; from unittest import mock
    // from botocore.credentials import CredentialProvider, Credentials
    // from aws_msk_iam_sasl_signer import MSKAuthTokenProvider as P
    // class Fixed(CredentialProvider):
    //     def __init__(self, *c): self.c = Credentials(*c)
    //     def load(self): return self.c
    // with mock.patch("botocore.auth.get_current_datetime",
    //                 return_value=datetime.datetime(2024, 5, 1, 12, 34, 56)):
    //     print(P.generate_auth_token_from_credentials_provider("us-east-1",
    //         Fixed("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")))
    //     print(P.generate_auth_token_from_credentials_provider("eu-west-1",
    //         Fixed("ASIAEXAMPLETEMP", "tempSecret/Key+123", "IQoJb3JpZ2luX2VjE+/session==")))
    // EOF
    //
    // Both printed an expiry of 1714567796000 ms (signing time + 900 s).
    pub(crate) const PERMANENT_TOKEN: &str = "aHR0cHM6Ly9rYWZrYS51cy1lYXN0LTEuYW1hem9uYXdzLmNvbS8_QWN0aW9uPWthZmthLWNsdXN0ZXIlM0FDb25uZWN0JlgtQW16LUFsZ29yaXRobT1BV1M0LUhNQUMtU0hBMjU2JlgtQW16LUNyZWRlbnRpYWw9QUtJREVYQU1QTEUlMkYyMDI0MDUwMSUyRnVzLWVhc3QtMSUyRmthZmthLWNsdXN0ZXIlMkZhd3M0X3JlcXVlc3QmWC1BbXotRGF0ZT0yMDI0MDUwMVQxMjM0NTZaJlgtQW16LUV4cGlyZXM9OTAwJlgtQW16LVNpZ25lZEhlYWRlcnM9aG9zdCZYLUFtei1TaWduYXR1cmU9OWZmM2ExNzNmZGRlNDdiNzc2NTMzZWNjZGRiZDdiZTI1M2JkMzQ5OWE5NzkxMDM4MTk4ZDIyYWQ5NTAzMmEwMiZVc2VyLUFnZW50PWF3cy1tc2staWFtLXNhc2wtc2lnbmVyLXB5dGhvbiUyRjEuMC4y";
    const TEMPORARY_TOKEN: &str = "aHR0cHM6Ly9rYWZrYS5ldS13ZXN0LTEuYW1hem9uYXdzLmNvbS8_QWN0aW9uPWthZmthLWNsdXN0ZXIlM0FDb25uZWN0JlgtQW16LUFsZ29yaXRobT1BV1M0LUhNQUMtU0hBMjU2JlgtQW16LUNyZWRlbnRpYWw9QVNJQUVYQU1QTEVURU1QJTJGMjAyNDA1MDElMkZldS13ZXN0LTElMkZrYWZrYS1jbHVzdGVyJTJGYXdzNF9yZXF1ZXN0JlgtQW16LURhdGU9MjAyNDA1MDFUMTIzNDU2WiZYLUFtei1FeHBpcmVzPTkwMCZYLUFtei1TaWduZWRIZWFkZXJzPWhvc3QmWC1BbXotU2VjdXJpdHktVG9rZW49SVFvSmIzSnBaMmx1WDJWakUlMkIlMkZzZXNzaW9uJTNEJTNEJlgtQW16LVNpZ25hdHVyZT1kNDdkYTM3MzM3ZThhYmNkOGFiYmVjMjcxYWI4ZDdlNjE0ZDYzZmU4NjU2ZWEyMGQ0NTZlYWRkNDRmNjMyNjc3JlVzZXItQWdlbnQ9YXdzLW1zay1pYW0tc2FzbC1zaWduZXItcHl0aG9uJTJGMS4wLjI";
    pub(crate) const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    fn permanent(region: &str, secret: &str, now: SystemTime) -> MockIam {
        MockIam::new(region)
            .key("AKIDEXAMPLE", secret)
            .clock(move || now)
    }

    fn temporary(secret: &str, token: &str, now: SystemTime) -> MockIam {
        MockIam::new("eu-west-1")
            .temporary_key("ASIAEXAMPLETEMP", secret, token)
            .clock(move || now)
    }

    fn url_of(token: &str) -> String {
        presigned_url(token).unwrap()
    }

    fn token_of(url: &str) -> String {
        URL_SAFE_NO_PAD.encode(url)
    }

    #[test]
    fn accepts_the_official_signers_tokens() {
        let now = t0() + Duration::from_secs(60);
        let iam = permanent("us-east-1", SECRET, now);
        assert_eq!(
            verify_token(&iam, PERMANENT_TOKEN),
            Ok(Verified {
                principal: "AKIDEXAMPLE".into(),
                lifetime: Duration::from_secs(840)
            })
        );
        let iam = temporary("tempSecret/Key+123", "IQoJb3JpZ2luX2VjE+/session==", now);
        assert_eq!(
            verify_token(&iam, TEMPORARY_TOKEN).map(|v| v.principal),
            Ok("ASIAEXAMPLETEMP".into())
        );
        // Padding is tolerated.
        let padded = format!("{PERMANENT_TOKEN}=");
        let iam = permanent("us-east-1", SECRET, now);
        assert!(verify_token(&iam, &padded).is_ok());
        assert_eq!((iam.successes(), iam.failures()), (1, 0));
    }

    #[test]
    fn rejects_the_official_signers_tokens_when_they_do_not_fit() {
        let now = t0() + Duration::from_secs(60);
        let check = |iam: &MockIam, token: &str| {
            let out = verify_token(iam, token).err();
            assert_eq!(iam.last_failure(), out);
            out
        };
        assert_eq!(
            check(
                &permanent("us-east-1", "not-the-secret", now),
                PERMANENT_TOKEN
            ),
            Some(IamRejection::WrongSignature)
        );
        assert_eq!(
            check(
                &permanent("us-east-1", SECRET, t0() + Duration::from_secs(900)),
                PERMANENT_TOKEN
            ),
            Some(IamRejection::Expired)
        );
        assert_eq!(
            check(
                &permanent("us-east-1", SECRET, t0() - Duration::from_secs(301)),
                PERMANENT_TOKEN
            ),
            Some(IamRejection::NotYetValid)
        );
        assert_eq!(
            check(&permanent("us-west-2", SECRET, now), PERMANENT_TOKEN),
            Some(IamRejection::WrongHost {
                expected: "kafka.us-west-2.amazonaws.com|kafka.us-west-2.amazonaws.com.cn".into(),
                got: "kafka.us-east-1.amazonaws.com".into()
            })
        );
        let iam = permanent("us-west-2", SECRET, now).oauth_host("kafka.us-east-1.amazonaws.com");
        assert_eq!(
            check(&iam, PERMANENT_TOKEN),
            Some(IamRejection::WrongRegion {
                expected: "us-west-2".into(),
                got: "us-east-1".into()
            })
        );
        let iam = MockIam::new("us-east-1")
            .key("AKIDOTHER", SECRET)
            .clock(move || now);
        assert_eq!(
            check(&iam, PERMANENT_TOKEN),
            Some(IamRejection::UnknownAccessKey("AKIDEXAMPLE".into()))
        );
        assert_eq!(
            check(
                &temporary("tempSecret/Key+123", "IQoJb3JpZ2luX2VjE+/session=", now),
                TEMPORARY_TOKEN
            ),
            Some(IamRejection::WrongSessionToken)
        );

        let iam = permanent("us-east-1", SECRET, now);
        let url = url_of(PERMANENT_TOKEN);
        for (from, to) in [
            ("X-Amz-Expires=900", "X-Amz-Expires=600"),
            ("T123456Z", "T123457Z"),
            ("X-Amz-Signature=9ff3", "X-Amz-Signature=9ff4"),
            (
                "kafka.us-east-1.amazonaws.com",
                "kafka.us-east-1.amazonaws.com.cn",
            ),
            ("&User-Agent", "&Extra=1&User-Agent"),
        ] {
            let tampered = url.replacen(from, to, 1);
            assert_ne!(tampered, url);
            assert_eq!(
                check(&iam, &token_of(&tampered)),
                Some(IamRejection::WrongSignature),
                "{from} -> {to}"
            );
        }
        // The user agent is not signed: changing it is harmless.
        let other_agent = url.replacen("python%2F1.0.2", "python%2F9", 1);
        assert!(verify_token(&iam, &token_of(&other_agent)).is_ok());
        // Escapes may use lowercase hex: values are decoded before being encoded canonically.
        let lower = url.replacen("%2F", "%2f", 1);
        assert!(verify_token(&iam, &token_of(&lower)).is_ok());
        assert_eq!(iam.failures(), 5);
        assert_eq!(iam.successes(), 2);
    }

    #[test]
    fn parses_presigned_urls_strictly() {
        let p = parse_url("https://h/?A=1&X-Amz-Signature=s&User-Agent=u%2F1").unwrap();
        assert_eq!(
            p,
            PresignedRequest {
                host: "h".into(),
                params: vec![("A".into(), "1".into())],
                signature: "s".into()
            }
        );
        assert!(parse_url("https://h?X-Amz-Signature=s").is_ok());
        for bad in [
            "http://h/?X-Amz-Signature=s",
            "https://h/path?X-Amz-Signature=s",
            "https://h/",
            "https://h/?A=1",
            "https:///?X-Amz-Signature=s",
            "https://u@h/?X-Amz-Signature=s",
            "https://h/?X-Amz-Signature=s#f",
            "https://h/?A=1&A=2&X-Amz-Signature=s",
            "https://h/?X-Amz-Signature=s&X-Amz-Signature=s",
            "https://h/?X-Amz-Signature=s&&A=1",
            "https://h/?A=%ZZ&X-Amz-Signature=s",
        ] {
            assert!(parse_url(bad).is_err(), "{bad}");
        }
        assert_eq!(presigned_url("not base64!"), None);
        assert_eq!(presigned_url(&token_of("ftp://x")), None);
        assert_eq!(presigned_url("eyJhbGciOiJub25lIn0.e30."), None);
    }

    proptest! {
        #[test]
        fn arbitrary_tokens_never_panic(token in ".{0,300}") {
            let iam = permanent("us-east-1", SECRET, t0());
            let _ = verify_token(&iam, &token);
            let _ = verify_token(&iam, &token_of(&format!("https://{token}")));
        }

        #[test]
        fn mutated_official_tokens_never_panic(
            at in 0..1500usize,
            insert in "[%&=?/#+a-zA-Z0-9]{0,4}",
        ) {
            let url = url_of(PERMANENT_TOKEN);
            let at = url.char_indices().map(|(i, _)| i).nth(at).unwrap_or(url.len());
            let mut mutated = url.clone();
            mutated.insert_str(at, &insert);
            let iam = permanent("us-east-1", SECRET, t0());
            let out = verify_token(&iam, &token_of(&mutated));
            if insert.is_empty() {
                prop_assert!(out.is_ok());
            }
        }
    }
}
