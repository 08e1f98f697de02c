//! [`MskIamToken`]: the OAUTHBEARER token MSK IAM accepts, a base64url presigned URL.

use std::fmt;
use std::time::{Duration, SystemTime};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::presign::Presigned;
use crate::Secret;

/// What botocore leaves unescaped in query values (`quote(v, safe='-_.~')`): RFC 3986's
/// unreserved characters.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

fn enc(value: &str) -> percent_encoding::PercentEncode<'_> {
    utf8_percent_encode(value, QUERY_VALUE)
}

/// A signed MSK IAM OAUTHBEARER token with the URL it encodes and its lifetime. `Debug`
/// shows only the times: the token and the URL carry the signature and the session token.
#[derive(Clone, PartialEq, Eq)]
pub struct MskIamToken {
    token: Secret,
    url: Secret,
    signed_at: SystemTime,
    expires_at: SystemTime,
}

impl MskIamToken {
    /// Lays out the presigned request as the Python signer does: `https://<host>/?Action=…&
    /// X-Amz-Algorithm&X-Amz-Credential&X-Amz-Date&X-Amz-Expires&X-Amz-SignedHeaders
    /// [&X-Amz-Security-Token]&X-Amz-Signature`, then `&User-Agent=<ua>` (not signed).
    pub(crate) fn new(p: &Presigned, user_agent: &str) -> Self {
        let mut url = format!(
            "https://{}/?Action=kafka-cluster%3AConnect&X-Amz-Algorithm={}&X-Amz-Credential={}\
             &X-Amz-Date={}&X-Amz-Expires={}&X-Amz-SignedHeaders={}",
            p.host,
            enc(&p.algorithm),
            enc(&p.credential),
            enc(&p.date),
            p.expires,
            enc(&p.signed_headers),
        );
        if let Some(token) = &p.security_token {
            url.push_str("&X-Amz-Security-Token=");
            url.extend(enc(token.expose()));
        }
        url.push_str("&X-Amz-Signature=");
        url.extend(enc(p.signature.expose()));
        url.push_str("&User-Agent=");
        url.extend(enc(user_agent));
        let token = URL_SAFE_NO_PAD.encode(url.as_bytes());
        Self {
            token: Secret::new(token),
            url: Secret::new(url),
            signed_at: p.signed_at,
            expires_at: p.expires_at(),
        }
    }

    /// The token: base64url without padding of [`url`](Self::url).
    pub fn token(&self) -> &Secret {
        &self.token
    }

    /// The presigned URL the token encodes.
    pub fn url(&self) -> &Secret {
        &self.url
    }

    /// The signing time (`X-Amz-Date`).
    pub fn signed_at(&self) -> SystemTime {
        self.signed_at
    }

    /// When the signature stops being accepted: signing time + `X-Amz-Expires`.
    pub fn expires_at(&self) -> SystemTime {
        self.expires_at
    }

    /// `X-Amz-Expires`.
    pub fn expires_in(&self) -> Duration {
        self.expires_at
            .duration_since(self.signed_at)
            .unwrap_or(Duration::ZERO)
    }

    /// [`expires_at`](Self::expires_at) in milliseconds since the Unix epoch, as
    /// [`OauthToken::expires_at_ms`](crate::OauthToken::expires_at_ms) wants it.
    pub fn expires_at_ms(&self) -> i64 {
        let ms = self
            .expires_at
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        i64::try_from(ms).unwrap_or(i64::MAX)
    }
}

impl fmt::Debug for MskIamToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MskIamToken")
            .field("token", &self.token)
            .field("url", &self.url)
            .field("signed_at", &self.signed_at)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}
