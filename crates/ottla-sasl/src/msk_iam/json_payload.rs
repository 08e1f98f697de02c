//! [`MskIamPayload`]: the AWS_MSK_IAM client message, a JSON object of the presigned request's
//! parts (aws-msk-iam-auth's `AWS4SignedPayloadGenerator`: every query parameter under its
//! lowercased name, the `host` header, `version` and `user-agent`).

use std::fmt;
use std::time::{Duration, SystemTime};

use serde_json::{Map, Value};

use super::presign::{Presigned, ACTION};
use crate::Secret;

/// The payload format version aws-msk-iam-auth sends and expects back.
pub(crate) const VERSION: &str = "2020_10_22";

/// A signed AWS_MSK_IAM payload. `Debug` leaves out the signature and the session token.
#[derive(Clone, PartialEq, Eq)]
pub struct MskIamPayload {
    presigned_host: String,
    user_agent: String,
    algorithm: String,
    credential: String,
    date: String,
    signed_headers: String,
    expires: u64,
    signature: Secret,
    security_token: Option<Secret>,
    signed_at: SystemTime,
}

impl MskIamPayload {
    pub(crate) fn new(p: &Presigned, user_agent: &str) -> Self {
        Self {
            presigned_host: p.host.clone(),
            user_agent: user_agent.to_owned(),
            algorithm: p.algorithm.clone(),
            credential: p.credential.clone(),
            date: p.date.clone(),
            signed_headers: p.signed_headers.clone(),
            expires: p.expires,
            signature: p.signature.clone(),
            security_token: p.security_token.clone(),
            signed_at: p.signed_at,
        }
    }

    /// The broker host signed for (`host`).
    pub fn host(&self) -> &str {
        &self.presigned_host
    }

    /// `user-agent`.
    pub fn user_agent(&self) -> &str {
        &self.user_agent
    }

    /// `x-amz-credential`: `<access key id>/<yyyymmdd>/<region>/kafka-cluster/aws4_request`.
    pub fn credential(&self) -> &str {
        &self.credential
    }

    /// `x-amz-date`: `yyyymmddThhmmssZ`.
    pub fn date(&self) -> &str {
        &self.date
    }

    /// The signing time.
    pub fn signed_at(&self) -> SystemTime {
        self.signed_at
    }

    /// `x-amz-expires`.
    pub fn expires_in(&self) -> Duration {
        Duration::from_secs(self.expires)
    }

    /// When the signature stops being accepted: signing time + `x-amz-expires`.
    pub fn expires_at(&self) -> SystemTime {
        self.signed_at + self.expires_in()
    }

    /// The JSON the client sends: `version`, `host`, `user-agent`, `action`,
    /// `x-amz-algorithm`, `x-amz-credential`, `x-amz-date`, `x-amz-signedheaders`,
    /// `x-amz-expires`, `x-amz-signature` and, for temporary credentials,
    /// `x-amz-security-token`; every value a string, none URL-encoded.
    pub fn to_json(&self) -> Vec<u8> {
        let mut map = Map::new();
        let mut put = |k: &str, v: &str| {
            map.insert(k.to_owned(), Value::String(v.to_owned()));
        };
        put("version", VERSION);
        put("host", &self.presigned_host);
        put("user-agent", &self.user_agent);
        put("action", ACTION);
        put("x-amz-algorithm", &self.algorithm);
        put("x-amz-credential", &self.credential);
        put("x-amz-date", &self.date);
        put("x-amz-signedheaders", &self.signed_headers);
        put("x-amz-expires", &self.expires.to_string());
        put("x-amz-signature", self.signature.expose());
        if let Some(token) = &self.security_token {
            put("x-amz-security-token", token.expose());
        }
        Value::Object(map).to_string().into_bytes()
    }
}

impl fmt::Debug for MskIamPayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MskIamPayload")
            .field("host", &self.presigned_host)
            .field("user_agent", &self.user_agent)
            .field("credential", &self.credential)
            .field("date", &self.date)
            .field("expires", &self.expires)
            .field("signature", &self.signature)
            .field("security_token", &self.security_token)
            .finish()
    }
}
