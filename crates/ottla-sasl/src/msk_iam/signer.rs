//! [`MskIamSigner`]: the region, host suffix, user agent and lifetime MSK IAM signs with.

use std::time::{Duration, SystemTime};

use super::json_payload::MskIamPayload;
use super::presign::{presign, validate_host};
use super::token::MskIamToken;
use crate::aws::{AwsCredentials, AwsError};

/// Signs MSK IAM credentials: OAUTHBEARER tokens ([`sign_token`](Self::sign_token)) and
/// AWS_MSK_IAM payloads ([`sign_payload`](Self::sign_payload)). Holds no credentials and reads
/// no clock: both come with each call.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use ottla_sasl::aws::AwsCredentials;
/// use ottla_sasl::msk_iam::MskIamSigner;
/// use ottla_sasl::Secret;
///
/// # fn main() -> Result<(), ottla_sasl::aws::AwsError> {
/// let signer = MskIamSigner::new("eu-west-1")?;
/// let creds = AwsCredentials::new("AKIDEXAMPLE", Secret::new("secret"), None, None, "example");
/// let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_705_363_201);
/// let token = signer.sign_token(&creds, at)?;
/// assert_eq!(token.expires_at(), at + Duration::from_secs(900));
/// assert!(token.url().expose().starts_with(
///     "https://kafka.eu-west-1.amazonaws.com/?Action=kafka-cluster%3AConnect&X-Amz-Algorithm="
/// ));
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MskIamSigner {
    region: String,
    host_suffix: String,
    user_agent: String,
    lifetime: Duration,
}

fn invalid(what: &str, why: impl Into<String>) -> AwsError {
    AwsError::Invalid {
        what: what.to_owned(),
        why: why.into(),
    }
}

impl MskIamSigner {
    /// The host suffix of AWS's commercial partition.
    pub const DEFAULT_HOST_SUFFIX: &'static str = "amazonaws.com";
    /// The host suffix of AWS's China partition (`cn-*` regions).
    pub const CHINA_HOST_SUFFIX: &'static str = "amazonaws.com.cn";
    /// The user agent sent unless configured: `ottla/<version>`.
    pub const DEFAULT_USER_AGENT: &'static str = concat!("ottla/", env!("CARGO_PKG_VERSION"));
    /// How long a signature is valid unless configured (the official signers' 15 minutes).
    pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(900);
    /// The longest `X-Amz-Expires` SigV4 allows: 7 days.
    pub const MAX_LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);

    /// A signer for `region` (lowercase letters, digits and dashes, e.g. `us-east-1`), with
    /// the default user agent and lifetime and the region's partition's host suffix:
    /// [`CHINA_HOST_SUFFIX`](Self::CHINA_HOST_SUFFIX) for `cn-*` regions, else
    /// [`DEFAULT_HOST_SUFFIX`](Self::DEFAULT_HOST_SUFFIX).
    pub fn new(region: impl Into<String>) -> Result<Self, AwsError> {
        let region = region.into();
        if region.is_empty()
            || !region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(invalid(
                "MSK IAM region",
                format!("{region:?} is not a region name (lowercase letters, digits and '-')"),
            ));
        }
        let host_suffix = if region.starts_with("cn-") {
            Self::CHINA_HOST_SUFFIX
        } else {
            Self::DEFAULT_HOST_SUFFIX
        };
        Ok(Self {
            region,
            host_suffix: host_suffix.to_owned(),
            user_agent: Self::DEFAULT_USER_AGENT.to_owned(),
            lifetime: Self::DEFAULT_LIFETIME,
        })
    }

    /// Sets the DNS suffix of the OAUTHBEARER token's host `kafka.<region>.<suffix>`
    /// (e.g. `amazonaws.com.cn`).
    pub fn with_host_suffix(mut self, suffix: impl Into<String>) -> Result<Self, AwsError> {
        let suffix = suffix.into();
        validate_host("MSK IAM host suffix", &suffix)?;
        self.host_suffix = suffix;
        Ok(self)
    }

    /// Sets the user agent (`User-Agent` in the token, `user-agent` in the AWS_MSK_IAM
    /// payload): 1 to 256 printable ASCII characters.
    pub fn with_user_agent(mut self, user_agent: impl Into<String>) -> Result<Self, AwsError> {
        let user_agent = user_agent.into();
        if user_agent.is_empty()
            || user_agent.len() > 256
            || !user_agent.bytes().all(|b| (0x20..0x7f).contains(&b))
        {
            return Err(invalid(
                "MSK IAM user agent",
                "it must be 1 to 256 printable ASCII characters",
            ));
        }
        self.user_agent = user_agent;
        Ok(self)
    }

    /// Sets how long signatures are valid: 1 s to 7 days, whole seconds (capped per
    /// signature at what the credentials have left).
    pub fn with_lifetime(mut self, lifetime: Duration) -> Result<Self, AwsError> {
        if lifetime.subsec_nanos() != 0
            || lifetime < Duration::from_secs(1)
            || lifetime > Self::MAX_LIFETIME
        {
            return Err(invalid(
                "MSK IAM token lifetime",
                format!("{lifetime:?} is not a whole number of seconds from 1 s to 7 days"),
            ));
        }
        self.lifetime = lifetime;
        Ok(self)
    }

    /// The region signed for.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The host suffix.
    pub fn host_suffix(&self) -> &str {
        &self.host_suffix
    }

    /// The user agent.
    pub fn user_agent(&self) -> &str {
        &self.user_agent
    }

    /// The configured lifetime of a signature.
    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// The host an OAUTHBEARER token is signed for: `kafka.<region>.<suffix>`.
    pub fn token_host(&self) -> String {
        format!("kafka.{}.{}", self.region, self.host_suffix)
    }

    /// An OAUTHBEARER token for MSK IAM signed with `credentials` at `now` (truncated to whole
    /// seconds): base64url (no padding) of the presigned `GET https://kafka.<region>.<suffix>/
    /// ?Action=kafka-cluster%3AConnect&…&User-Agent=<ua>`, laid out exactly as the official
    /// Python signer does (`aws-msk-iam-sasl-signer-python`). `X-Amz-Expires` is the lifetime,
    /// capped at the whole seconds the credentials still work ([`AwsError::ExpiresTooSoon`]
    /// when none).
    pub fn sign_token(
        &self,
        credentials: &AwsCredentials,
        now: SystemTime,
    ) -> Result<MskIamToken, AwsError> {
        let host = self.token_host();
        validate_host("MSK IAM token host", &host)?;
        let presigned = presign(credentials, &self.region, &host, now, self.lifetime)?;
        Ok(MskIamToken::new(&presigned, &self.user_agent))
    }

    /// The AWS_MSK_IAM payload for the broker `broker_host` (its host name, no port), signed
    /// with `credentials` at `now`, as aws-msk-iam-auth's `AWS4SignedPayloadGenerator` builds
    /// it.
    pub fn sign_payload(
        &self,
        credentials: &AwsCredentials,
        broker_host: &str,
        now: SystemTime,
    ) -> Result<MskIamPayload, AwsError> {
        validate_host("MSK broker host", broker_host)?;
        let presigned = presign(credentials, &self.region, broker_host, now, self.lifetime)?;
        Ok(MskIamPayload::new(&presigned, &self.user_agent))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let s = MskIamSigner::new("us-east-1").unwrap();
        assert_eq!(s.region(), "us-east-1");
        assert_eq!(s.host_suffix(), "amazonaws.com");
        assert_eq!(
            s.user_agent(),
            format!("ottla/{}", env!("CARGO_PKG_VERSION"))
        );
        assert_eq!(s.lifetime(), Duration::from_secs(900));
        assert_eq!(s.token_host(), "kafka.us-east-1.amazonaws.com");
        let cn = MskIamSigner::new("cn-north-1").unwrap();
        assert_eq!(cn.token_host(), "kafka.cn-north-1.amazonaws.com.cn");
    }

    #[test]
    fn configuration_is_validated() {
        for bad in [
            "",
            "US-EAST-1",
            "us_east_1",
            "us-east-1.",
            "eu west",
            "eu/west",
        ] {
            assert!(MskIamSigner::new(bad).is_err(), "{bad:?}");
        }
        let s = MskIamSigner::new("us-east-1").unwrap();
        assert_eq!(
            s.clone()
                .with_host_suffix("amazonaws.com.cn")
                .unwrap()
                .token_host(),
            "kafka.us-east-1.amazonaws.com.cn"
        );
        for bad in ["", ".com", "a..b", "a/b", "a:1"] {
            assert!(s.clone().with_host_suffix(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            s.clone().with_user_agent("app/1 (x)").unwrap().user_agent(),
            "app/1 (x)"
        );
        for bad in [String::new(), "a\nb".into(), "é".into(), "x".repeat(257)] {
            assert!(s.clone().with_user_agent(bad.clone()).is_err(), "{bad:?}");
        }
        assert_eq!(
            s.clone()
                .with_lifetime(Duration::from_secs(60))
                .unwrap()
                .lifetime(),
            Duration::from_secs(60)
        );
        for bad in [
            Duration::ZERO,
            Duration::from_millis(1500),
            MskIamSigner::MAX_LIFETIME + Duration::from_secs(1),
        ] {
            assert!(s.clone().with_lifetime(bad).is_err(), "{bad:?}");
        }
        assert!(s.with_lifetime(MskIamSigner::MAX_LIFETIME).is_ok());
    }
}
