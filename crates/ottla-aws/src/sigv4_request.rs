//! SigV4 signing of one HTTP request in its headers (the STS and Secrets Manager calls), with
//! the AWS SDK's own signer (`aws-sigv4`).

use std::time::SystemTime;

use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;

use super::error::{error_chain, AwsError};
use super::http::HttpRequest;
use crate::AwsCredentials;

/// Headers the signer adds; a request signed twice drops the old ones first.
const SIGNING_HEADERS: [&str; 3] = ["authorization", "x-amz-date", "x-amz-security-token"];

/// Signs `request` in place with SigV4 for `service` in `region` at time `at`: adds
/// `X-Amz-Date`, `Authorization` and, for temporary credentials, `X-Amz-Security-Token`.
///
/// The signed headers are `host` (taken from the URL exactly as [`HttpClient`] sends it) and
/// every header already on the request, except those the AWS SDKs never sign (`User-Agent`,
/// `Transfer-Encoding`, …). The payload hash covers the whole body. Signing again replaces an
/// earlier signature.
///
/// [`HttpClient`]: super::HttpClient
pub fn sign_request(
    request: &mut HttpRequest,
    credentials: &AwsCredentials,
    service: &str,
    region: &str,
    at: SystemTime,
) -> Result<(), AwsError> {
    if service.is_empty() || region.is_empty() {
        return Err(AwsError::Signing(
            "the service and the region to sign for must not be empty".into(),
        ));
    }
    request
        .headers
        .retain(|(name, _)| !SIGNING_HEADERS.iter().any(|h| name.eq_ignore_ascii_case(h)));
    let host = host_header(&request.url)?;
    let has_host = request
        .headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("host"));
    let mut signable_headers: Vec<(&str, &str)> = request
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    if !has_host {
        signable_headers.push(("host", host.as_str()));
    }

    let identity: Identity = aws_credential_types::Credentials::new(
        credentials.access_key_id(),
        credentials.secret_access_key().expose(),
        credentials.session_token().map(|t| t.expose().to_owned()),
        credentials.expires_at(),
        "ottla",
    )
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(at)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| AwsError::Signing(e.to_string()))?
        .into();
    let signable = SignableRequest::new(
        request.method.as_str(),
        request.url.as_str(),
        signable_headers.into_iter(),
        SignableBody::Bytes(&request.body),
    )
    .map_err(|e| AwsError::Signing(error_chain(&e)))?;
    let (instructions, _signature) = sign(signable, &params)
        .map_err(|e| AwsError::Signing(error_chain(&e)))?
        .into_parts();
    let added: Vec<(String, String)> = instructions
        .headers()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    request.headers.extend(added);
    Ok(())
}

/// The `Host` header [`HttpClient`](super::HttpClient) sends for `url`: the host, with the
/// port when the URL names one. Also checks that the URL is absolute (the signer requires an
/// authority).
fn host_header(url: &str) -> Result<String, AwsError> {
    let uri: http::Uri = url
        .parse()
        .map_err(|e| AwsError::Signing(format!("invalid URL: {e}")))?;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        _ => {
            return Err(AwsError::Signing(
                "the URL must start with http:// or https://".into(),
            ))
        }
    }
    let host = uri
        .host()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| AwsError::Signing("the URL has no host".into()))?;
    Ok(match uri.port_u16() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ottla_sasl::Secret;
    use std::time::Duration;

    fn at() -> SystemTime {
        // 2015-08-30T12:36:00Z, the time of the AWS SigV4 test suite.
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_440_938_160)
    }

    fn creds(token: Option<&str>) -> AwsCredentials {
        AwsCredentials::new(
            "AKIDEXAMPLE",
            Secret::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
            token.map(Secret::new),
            None,
            "test",
        )
    }

    fn header<'a>(r: &'a HttpRequest, name: &str) -> Option<&'a str> {
        r.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The `get-vanilla` case of the AWS SigV4 test suite.
    #[test]
    fn known_answer_get_vanilla() {
        let mut r = HttpRequest::get("https://example.amazonaws.com/");
        sign_request(&mut r, &creds(None), "service", "us-east-1", at()).unwrap();
        assert_eq!(header(&r, "x-amz-date"), Some("20150830T123600Z"));
        assert_eq!(
            header(&r, "authorization"),
            Some(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
                 SignedHeaders=host;x-amz-date, \
                 Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
            )
        );
        assert_eq!(header(&r, "x-amz-security-token"), None);
    }

    /// The `post-x-www-form-urlencoded` case of the AWS SigV4 test suite: a signed
    /// content-type and a body.
    #[test]
    fn known_answer_post_form() {
        let mut r = HttpRequest {
            method: http::Method::POST,
            url: "https://example.amazonaws.com/".into(),
            headers: vec![(
                "Content-Type".into(),
                "application/x-www-form-urlencoded".into(),
            )],
            body: b"Param1=value1".to_vec(),
        };
        sign_request(&mut r, &creds(None), "service", "us-east-1", at()).unwrap();
        assert_eq!(
            header(&r, "authorization"),
            Some(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
                 SignedHeaders=content-type;host;x-amz-date, \
                 Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"
            )
        );
    }

    #[test]
    fn session_token_is_signed_and_resigning_replaces() {
        let mut r = HttpRequest::get("http://127.0.0.1:5055/");
        sign_request(&mut r, &creds(Some("TOKEN")), "sts", "eu-west-1", at()).unwrap();
        assert_eq!(header(&r, "x-amz-security-token"), Some("TOKEN"));
        let auth = header(&r, "authorization").unwrap().to_owned();
        assert!(
            auth.contains("SignedHeaders=host;x-amz-date;x-amz-security-token"),
            "{auth}"
        );
        assert!(auth.contains("/eu-west-1/sts/aws4_request"), "{auth}");
        sign_request(
            &mut r,
            &creds(Some("TOKEN")),
            "sts",
            "eu-west-1",
            at() + Duration::from_secs(1),
        )
        .unwrap();
        assert_eq!(
            r.headers
                .iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case("authorization"))
                .count(),
            1
        );
        assert_ne!(header(&r, "authorization").unwrap(), auth);
    }

    #[test]
    fn host_header_matches_what_the_client_sends() {
        assert_eq!(
            host_header("http://127.0.0.1:5055/x").unwrap(),
            "127.0.0.1:5055"
        );
        assert_eq!(
            host_header("https://sts.amazonaws.com/").unwrap(),
            "sts.amazonaws.com"
        );
        // An explicit default port is sent (and so signed) as written.
        assert_eq!(host_header("https://h:443/").unwrap(), "h:443");
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        for url in ["/relative", "ftp://h/", "not a url", ""] {
            let mut r = HttpRequest::get(url);
            let err = sign_request(&mut r, &creds(None), "sts", "us-east-1", at()).unwrap_err();
            assert!(matches!(err, AwsError::Signing(_)), "{url}: {err}");
        }
        let mut r = HttpRequest::get("https://h/").header("X-Bad", "a\nb");
        let err = sign_request(&mut r, &creds(None), "sts", "us-east-1", at()).unwrap_err();
        assert!(matches!(err, AwsError::Signing(_)), "{err}");
        let mut r = HttpRequest::get("https://h/");
        let err =
            sign_request(&mut r, &creds(Some("bad\ntoken")), "sts", "us-east-1", at()).unwrap_err();
        assert!(!err.to_string().contains("bad"), "{err}");
        let err = sign_request(&mut r, &creds(None), "", "us-east-1", at()).unwrap_err();
        assert!(matches!(err, AwsError::Signing(_)), "{err}");
    }
}
