//! The SigV4 presigning both MSK IAM mechanisms share: a `GET https://<host>/?Action=
//! kafka-cluster%3AConnect` signed in the query string for service `kafka-cluster`, with only
//! `host` signed and the SHA-256 of the empty payload, as botocore's `SigV4QueryAuth` (the
//! Python signer) and the AWS Java SDK's `Aws4Signer.presign` (aws-msk-iam-auth) do.

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use aws_sigv4::http_request::{
    sign, PercentEncodingMode, SessionTokenMode, SignableBody, SignableRequest, SignatureLocation,
    SigningSettings, UriPathNormalizationMode,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;

use crate::aws::{AwsCredentials, AwsError};
use crate::Secret;

/// The SigV4 service name MSK IAM signs for.
pub(crate) const SERVICE: &str = "kafka-cluster";
/// The action MSK IAM presigns.
pub(crate) const ACTION: &str = "kafka-cluster:Connect";
/// The last second SigV4's `YYYYMMDDTHHMMSSZ` can write (9999-12-31T23:59:59Z).
const LAST_SIGNABLE_SECOND: u64 = 253_402_300_799;

/// The values a presigned `kafka-cluster:Connect` request carries, before they are laid out as
/// a URL (OAUTHBEARER) or a JSON object (AWS_MSK_IAM).
#[derive(Debug, Clone)]
pub(crate) struct Presigned {
    /// The signed `host`.
    pub(crate) host: String,
    /// `X-Amz-Algorithm`.
    pub(crate) algorithm: String,
    /// `X-Amz-Credential`: `<access key id>/<yyyymmdd>/<region>/kafka-cluster/aws4_request`.
    pub(crate) credential: String,
    /// `X-Amz-Date`: `yyyymmddThhmmssZ`.
    pub(crate) date: String,
    /// `X-Amz-Expires`, seconds.
    pub(crate) expires: u64,
    /// `X-Amz-SignedHeaders` (`host`).
    pub(crate) signed_headers: String,
    /// `X-Amz-Security-Token`, for temporary credentials.
    pub(crate) security_token: Option<Secret>,
    /// `X-Amz-Signature`, lowercase hex.
    pub(crate) signature: Secret,
    /// The signing time (whole seconds).
    pub(crate) signed_at: SystemTime,
}

impl Presigned {
    /// When the signature stops being accepted: signing time + `X-Amz-Expires`.
    pub(crate) fn expires_at(&self) -> SystemTime {
        self.signed_at + Duration::from_secs(self.expires)
    }
}

fn invalid(what: &str, why: impl Into<String>) -> AwsError {
    AwsError::Invalid {
        what: what.to_owned(),
        why: why.into(),
    }
}

/// A DNS name as SigV4 signs it in `host`: letters, digits, `-`, `_` and `.`, no empty label.
pub(crate) fn validate_host(what: &str, host: &str) -> Result<(), AwsError> {
    if host.is_empty() || host.len() > 253 {
        return Err(invalid(what, "a host name has 1 to 253 characters"));
    }
    if !host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    {
        return Err(invalid(
            what,
            "only letters, digits, '-', '_' and '.' (a host name without port or scheme)",
        ));
    }
    if host.split('.').any(str::is_empty) {
        return Err(invalid(what, "a host name has no empty label"));
    }
    Ok(())
}

/// The signing time truncated to whole seconds (SigV4 dates have no fraction), within what
/// `X-Amz-Date` can write.
fn whole_seconds(now: SystemTime) -> Result<SystemTime, AwsError> {
    let secs = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_err(|_| invalid("signing time", "before 1970"))?
        .as_secs();
    if secs > LAST_SIGNABLE_SECOND {
        return Err(invalid("signing time", "after the year 9999"));
    }
    Ok(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
}

/// `X-Amz-Expires`: `lifetime`, capped at the whole seconds the credentials still work at
/// `signed_at`; an error when that leaves nothing.
fn expires_in(
    credentials: &AwsCredentials,
    signed_at: SystemTime,
    lifetime: Duration,
) -> Result<u64, AwsError> {
    let wanted = lifetime.as_secs();
    let Some(remaining) = credentials.remaining(signed_at) else {
        return Ok(wanted);
    };
    let expires = wanted.min(remaining.as_secs());
    if expires == 0 {
        return Err(AwsError::ExpiresTooSoon {
            provider: credentials.source(),
            remaining,
            needed: Duration::from_secs(1),
        });
    }
    Ok(expires)
}

fn check_credentials(credentials: &AwsCredentials) -> Result<(), AwsError> {
    let akid = credentials.access_key_id();
    if akid.is_empty() {
        return Err(invalid("AWS access key id", "it is empty"));
    }
    if !akid.bytes().all(|b| b.is_ascii_graphic() && b != b'/') {
        return Err(invalid(
            "AWS access key id",
            "it has characters other than printable ASCII without '/'",
        ));
    }
    if credentials.secret_access_key().expose().is_empty() {
        return Err(invalid("AWS secret access key", "it is empty"));
    }
    Ok(())
}

/// Presigns `kafka-cluster:Connect` on `https://<host>/` for `region` at `now` (truncated to
/// whole seconds), valid for `lifetime` capped at the credentials' remaining lifetime.
/// `host` must have passed [`validate_host`].
pub(crate) fn presign(
    credentials: &AwsCredentials,
    region: &str,
    host: &str,
    now: SystemTime,
    lifetime: Duration,
) -> Result<Presigned, AwsError> {
    check_credentials(credentials)?;
    let signed_at = whole_seconds(now)?;
    let expires = expires_in(credentials, signed_at, lifetime)?;

    let identity: Identity = aws_credential_types::Credentials::new(
        credentials.access_key_id(),
        credentials.secret_access_key().expose(),
        credentials.session_token().map(|t| t.expose().to_owned()),
        None,
        "ottla",
    )
    .into();
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(Duration::from_secs(expires));
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Enabled;
    settings.session_token_mode = SessionTokenMode::Include;
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(SERVICE)
        .time(signed_at)
        .settings(settings)
        .build()
        .map_err(|e| AwsError::Signing(e.to_string()))?
        .into();
    let url = format!("https://{host}/?Action=kafka-cluster%3AConnect");
    // `host` given explicitly: it is the only header, so the only one signed.
    let request = SignableRequest::new(
        "GET",
        url,
        [("host", host)].into_iter(),
        SignableBody::Bytes(&[]),
    )
    .map_err(|e| AwsError::Signing(e.to_string()))?;
    let (instructions, signature) = sign(request, &params)
        .map_err(|e| AwsError::Signing(e.to_string()))?
        .into_parts();
    let (_headers, query) = instructions.into_parts();
    let take = |name: &str| -> Result<String, AwsError> {
        query
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v): &(&str, Cow<'_, str>)| v.to_string())
            .ok_or_else(|| AwsError::Signing(format!("aws-sigv4 returned no {name}")))
    };
    let presigned = Presigned {
        host: host.to_owned(),
        algorithm: take("X-Amz-Algorithm")?,
        credential: take("X-Amz-Credential")?,
        date: take("X-Amz-Date")?,
        expires,
        signed_headers: take("X-Amz-SignedHeaders")?,
        security_token: credentials.session_token().cloned(),
        signature: Secret::new(signature),
        signed_at,
    };
    if take("X-Amz-Expires")? != expires.to_string() {
        return Err(AwsError::Signing(
            "aws-sigv4 signed another X-Amz-Expires".into(),
        ));
    }
    Ok(presigned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn creds(expires_at: Option<SystemTime>) -> AwsCredentials {
        AwsCredentials::new(
            "AKIDEXAMPLE",
            Secret::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
            None,
            expires_at,
            "test",
        )
    }

    #[test]
    fn hosts() {
        for ok in [
            "kafka.us-east-1.amazonaws.com",
            "b-1.c.x_y.kafka.cn-north-1.amazonaws.com.cn",
            "localhost",
        ] {
            assert!(validate_host("h", ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "a..b",
            ".a",
            "a.",
            "a:9098",
            "[::1]",
            "a b",
            "a/b",
            "ü.example",
        ] {
            assert!(validate_host("h", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn expiry_is_capped_at_the_credentials_lifetime() {
        let t = 1_705_363_201;
        let long = Duration::from_secs(900);
        assert_eq!(expires_in(&creds(None), at(t), long).unwrap(), 900);
        assert_eq!(
            expires_in(&creds(Some(at(t + 3600))), at(t), long).unwrap(),
            900
        );
        assert_eq!(
            expires_in(&creds(Some(at(t + 300))), at(t), long).unwrap(),
            300
        );
        // Whole seconds only: 1.9 s left is 1 s.
        let almost = at(t + 1) + Duration::from_millis(900);
        assert_eq!(expires_in(&creds(Some(almost)), at(t), long).unwrap(), 1);
        for gone in [at(t) + Duration::from_millis(999), at(t), at(t - 10)] {
            match expires_in(&creds(Some(gone)), at(t), long) {
                Err(AwsError::ExpiresTooSoon {
                    provider, needed, ..
                }) => {
                    assert_eq!((provider, needed), ("test", Duration::from_secs(1)));
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn signing_time_is_whole_seconds_in_range() {
        let t = at(1_705_363_201) + Duration::from_millis(999);
        assert_eq!(whole_seconds(t).unwrap(), at(1_705_363_201));
        assert!(whole_seconds(SystemTime::UNIX_EPOCH - Duration::from_secs(1)).is_err());
        assert!(whole_seconds(at(LAST_SIGNABLE_SECOND)).is_ok());
        assert!(whole_seconds(at(LAST_SIGNABLE_SECOND + 1)).is_err());
    }

    #[test]
    fn unusable_credentials_are_refused() {
        let c = |akid: &str, secret: &str| {
            AwsCredentials::new(akid, Secret::new(secret), None, None, "test")
        };
        for bad in [c("", "s"), c("AK/ID", "s"), c("AK ID", "s"), c("AKID", "")] {
            let e = presign(
                &bad,
                "us-east-1",
                "h",
                at(1_705_363_201),
                Duration::from_secs(900),
            )
            .unwrap_err();
            assert!(matches!(e, AwsError::Invalid { .. }), "{e}");
        }
    }

    #[test]
    fn presign_fields() {
        let p = presign(
            &creds(None),
            "us-east-1",
            "kafka.us-east-1.amazonaws.com",
            at(1_705_363_199) + Duration::from_millis(500),
            Duration::from_secs(900),
        )
        .unwrap();
        assert_eq!(p.algorithm, "AWS4-HMAC-SHA256");
        assert_eq!(
            p.credential,
            "AKIDEXAMPLE/20240115/us-east-1/kafka-cluster/aws4_request"
        );
        assert_eq!(p.date, "20240115T235959Z");
        assert_eq!(p.signed_headers, "host");
        assert_eq!(p.expires, 900);
        assert_eq!(p.signed_at, at(1_705_363_199));
        assert_eq!(p.expires_at(), at(1_705_364_099));
        assert!(p.security_token.is_none());
        let sig = p.signature.expose();
        assert!(
            sig.len() == 64
                && sig
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
    }
}
