//! [`MockIam`]: the IAM identities an MSK-IAM mock cluster accepts, its region and clock, the
//! checks Amazon MSK makes on a SigV4-presigned `kafka-cluster:Connect` request (shared by
//! OAUTHBEARER's IAM tokens and the `AWS_MSK_IAM` JSON payload), and what the checks decided.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use time::macros::format_description;
use time::PrimitiveDateTime;

use super::sigv4_verify::{PresignedRequest, ALGORITHM, SERVICE, TERMINATOR};

/// The only action MSK IAM authentication signs.
pub(crate) const CONNECT_ACTION: &str = "kafka-cluster:Connect";

/// The longest `X-Amz-Expires` MSK accepts (15 minutes).
pub const MAX_EXPIRES_SECS: u64 = 900;

/// How far in the future an `X-Amz-Date` may be (clock skew, as AWS allows).
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(300);

/// Why the mock refused an MSK IAM authentication, for
/// [`MockIam::last_failure`]. The `AWS_MSK_IAM` mechanism also sends it to the client in the
/// error message; OAUTHBEARER clients only get `{"status":"invalid_token"}`, as from Kafka.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IamRejection {
    /// The token or payload could not be read (bad base64, URL, JSON, escape, or a missing or
    /// repeated parameter).
    #[error("malformed authentication request: {0}")]
    Malformed(String),
    /// The `AWS_MSK_IAM` payload's `version` is not `2020_10_22`.
    #[error("unsupported authentication payload version {0:?}")]
    WrongVersion(String),
    /// The signed action is not `kafka-cluster:Connect`.
    #[error("action {0:?} is not kafka-cluster:Connect")]
    WrongAction(String),
    /// `X-Amz-Algorithm` is not `AWS4-HMAC-SHA256`.
    #[error("algorithm {0:?} is not AWS4-HMAC-SHA256")]
    WrongAlgorithm(String),
    /// `X-Amz-Credential` is not `<key>/<yyyymmdd>/<region>/kafka-cluster/aws4_request`, or its
    /// date is not the date of `X-Amz-Date`.
    #[error("bad credential scope: {0}")]
    BadCredentialScope(String),
    /// The credential scope names another region than the cluster's.
    #[error("credential scope region {got:?}, but the cluster is in {expected:?}")]
    WrongRegion {
        /// The cluster's region.
        expected: String,
        /// The region signed for.
        got: String,
    },
    /// The signed host is not the one this request must be signed for.
    #[error("signed for host {got:?}, expected {expected:?}")]
    WrongHost {
        /// What the mock expected (for OAUTHBEARER, the accepted hosts joined with `|`).
        expected: String,
        /// The host signed for.
        got: String,
    },
    /// `X-Amz-SignedHeaders` is not exactly `host`.
    #[error("signed headers {0:?}; MSK accepts only `host`")]
    WrongSignedHeaders(String),
    /// `X-Amz-Expires` is not a whole number of seconds from 1 to 900.
    #[error("X-Amz-Expires {0:?}: 1 to 900 seconds are accepted")]
    BadExpires(String),
    /// The access key id is not registered.
    #[error("unknown access key {0}")]
    UnknownAccessKey(String),
    /// The key is temporary but no `X-Amz-Security-Token` was signed.
    #[error("the access key requires a session token and none was sent")]
    MissingSessionToken,
    /// The session token is not the one issued with the key.
    #[error("wrong session token")]
    WrongSessionToken,
    /// A session token was sent with a long-term key.
    #[error("a session token was sent with a long-term access key")]
    UnexpectedSessionToken,
    /// `X-Amz-Date + X-Amz-Expires` is not after the mock's clock.
    #[error("the signature has expired")]
    Expired,
    /// `X-Amz-Date` is more than five minutes after the mock's clock.
    #[error("X-Amz-Date is more than 5 minutes in the future")]
    NotYetValid,
    /// The signature is not the request's signature with the key's secret.
    #[error("the signature does not match")]
    WrongSignature,
}

/// One registered access key.
#[derive(Clone)]
struct IamIdentity {
    principal: String,
    secret: String,
    session_token: Option<String>,
}

/// What the checks decided so far.
#[derive(Debug, Default)]
struct IamRecord {
    successes: u64,
    failures: u64,
    last_failure: Option<IamRejection>,
}

/// The wall clock of IAM checks.
type IamClock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// IAM for a mock MSK cluster: the region it runs in, the access keys it knows, and a clock.
/// Enable it with [`MockSasl::msk_iam`](crate::MockSasl::msk_iam) (OAUTHBEARER with IAM tokens
/// and `AWS_MSK_IAM`) or [`MockSasl::iam`](crate::MockSasl::iam).
///
/// Every authentication is checked as Amazon MSK does: action `kafka-cluster:Connect`,
/// algorithm `AWS4-HMAC-SHA256`, credential scope `<key>/<date of X-Amz-Date>/<region>/kafka-cluster/aws4_request`
/// in this region, a known key (and its session token, exactly when it has one), only `host`
/// signed, `X-Amz-Expires` of 1 to 900 seconds, not expired by this mock's clock and dated at
/// most five minutes ahead of it, the signed host, and the SigV4 signature (verified here, not
/// with an AWS signer).
///
/// A clone shares the record of results with the original, so a test keeps one to read
/// [`successes`](Self::successes), [`failures`](Self::failures) and
/// [`last_failure`](Self::last_failure). Configure first, then clone: keys added to one clone
/// later are not seen by the other.
///
/// The principal of a key is its access key id unless registered with
/// [`identity`](Self::identity); give refreshed temporary keys of one role the same principal
/// so that re-authentication with them keeps the principal, as on MSK.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use ottla_mock::{MockIam, MockSasl, SaslMechanism};
///
/// let iam = MockIam::new("us-east-1")
///     .key("AKIDEXAMPLE", "secret")
///     .temporary_key("ASIAEXAMPLE", "temp-secret", "session-token")
///     .identity("arn:aws:sts::123456789012:assumed-role/app/s", "ASIAOTHER", "s2", Some("t2"))
///     .clock(|| SystemTime::UNIX_EPOCH + Duration::from_secs(1_714_567_000));
/// let sasl = MockSasl::msk_iam(iam.clone()).session_lifetime(Duration::from_secs(60));
/// assert_eq!(sasl.mechanisms(), &[SaslMechanism::OAuthBearer, SaslMechanism::AwsMskIam]);
/// // ... start a cluster with `sasl`, connect a client, then:
/// assert_eq!((iam.successes(), iam.failures(), iam.last_failure()), (0, 0, None));
/// ```
#[derive(Clone)]
pub struct MockIam {
    region: String,
    keys: BTreeMap<String, IamIdentity>,
    oauth_hosts: Option<Vec<String>>,
    clock: IamClock,
    record: Arc<Mutex<IamRecord>>,
}

impl fmt::Debug for MockIam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: Vec<(&String, &String, bool)> = self
            .keys
            .iter()
            .map(|(k, i)| (k, &i.principal, i.session_token.is_some()))
            .collect();
        f.debug_struct("MockIam")
            .field("region", &self.region)
            .field("keys (id, principal, temporary)", &keys)
            .field("oauth_hosts", &self.oauth_hosts())
            .field("record", &*self.record())
            .finish_non_exhaustive()
    }
}

/// A request that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Verified {
    pub principal: String,
    /// Time left until the signature expires, by the mock's clock (at least 1 ms).
    pub lifetime: Duration,
}

impl MockIam {
    /// IAM for a cluster in `region` (e.g. `us-east-1`), with no keys and the system clock.
    pub fn new(region: impl Into<String>) -> Self {
        Self {
            region: region.into(),
            keys: BTreeMap::new(),
            oauth_hosts: None,
            clock: Arc::new(SystemTime::now),
            record: Arc::default(),
        }
    }

    /// A long-term key (`AKIA…`): signed requests must not carry a session token. Its principal
    /// is `access_key_id`.
    pub fn key(self, access_key_id: impl Into<String>, secret: impl Into<String>) -> Self {
        let id = access_key_id.into();
        self.identity(id.clone(), id, secret, None::<String>)
    }

    /// A temporary key (`ASIA…`): signed requests must carry exactly `session_token` as
    /// `X-Amz-Security-Token`. Its principal is `access_key_id`.
    pub fn temporary_key(
        self,
        access_key_id: impl Into<String>,
        secret: impl Into<String>,
        session_token: impl Into<String>,
    ) -> Self {
        let id = access_key_id.into();
        self.identity(id.clone(), id, secret, Some(session_token))
    }

    /// A key authenticating as `principal`, temporary when `session_token` is set (replaces an
    /// earlier registration of the same key id).
    pub fn identity(
        mut self,
        principal: impl Into<String>,
        access_key_id: impl Into<String>,
        secret: impl Into<String>,
        session_token: Option<impl Into<String>>,
    ) -> Self {
        self.keys.insert(
            access_key_id.into(),
            IamIdentity {
                principal: principal.into(),
                secret: secret.into(),
                session_token: session_token.map(Into::into),
            },
        );
        self
    }

    /// The host an OAUTHBEARER IAM token may be signed for (may be called more than once to
    /// accept several). Default: `kafka.<region>.amazonaws.com` and
    /// `kafka.<region>.amazonaws.com.cn`. The `AWS_MSK_IAM` payload must instead be signed for
    /// the host the broker advertises.
    pub fn oauth_host(mut self, host: impl Into<String>) -> Self {
        self.oauth_hosts
            .get_or_insert_with(Vec::new)
            .push(host.into());
        self
    }

    /// The wall clock signatures are checked against (default [`SystemTime::now`]). It is not
    /// tokio's clock: pausing tokio time does not move it.
    pub fn clock<F>(mut self, now: F) -> Self
    where
        F: Fn() -> SystemTime + Send + Sync + 'static,
    {
        self.clock = Arc::new(now);
        self
    }

    /// The cluster's region.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// How many IAM authentications succeeded (OAUTHBEARER IAM tokens and `AWS_MSK_IAM`).
    pub fn successes(&self) -> u64 {
        self.record().successes
    }

    /// How many IAM authentications were refused.
    pub fn failures(&self) -> u64 {
        self.record().failures
    }

    /// Why the latest refused IAM authentication was refused.
    pub fn last_failure(&self) -> Option<IamRejection> {
        self.record().last_failure.clone()
    }

    fn record(&self) -> std::sync::MutexGuard<'_, IamRecord> {
        // Nothing panics while holding it: a poisoned lock still holds consistent counts.
        self.record.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Checks the settings (at cluster start).
    pub(crate) fn validate(&self) -> Result<(), String> {
        let ok = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        };
        if !ok(&self.region) {
            return Err(format!("IAM region {:?} is not a region name", self.region));
        }
        if let Some(id) = self.keys.keys().find(|k| k.is_empty() || k.contains('/')) {
            return Err(format!("IAM access key id {id:?} is empty or contains '/'"));
        }
        Ok(())
    }

    /// The hosts OAUTHBEARER IAM tokens may be signed for.
    pub(crate) fn oauth_hosts(&self) -> Vec<String> {
        match &self.oauth_hosts {
            Some(hosts) => hosts.clone(),
            None => vec![
                format!("kafka.{}.amazonaws.com", self.region),
                format!("kafka.{}.amazonaws.com.cn", self.region),
            ],
        }
    }

    /// Notes the outcome of one authentication and passes it on.
    pub(crate) fn judge(
        &self,
        outcome: Result<Verified, IamRejection>,
    ) -> Result<Verified, IamRejection> {
        let mut record = self.record();
        match &outcome {
            Ok(_) => record.successes += 1,
            Err(why) => {
                record.failures += 1;
                record.last_failure = Some(why.clone());
            }
        }
        outcome
    }

    /// Every check of a presigned connect request but the host, which the mechanism checks.
    pub(crate) fn verify(&self, request: &PresignedRequest) -> Result<Verified, IamRejection> {
        let required = |name: &str| {
            request
                .param(name)
                .ok_or_else(|| IamRejection::Malformed(format!("{name} is missing")))
        };
        let action = required("Action")?;
        if action != CONNECT_ACTION {
            return Err(IamRejection::WrongAction(action.to_owned()));
        }
        let algorithm = required("X-Amz-Algorithm")?;
        if algorithm != ALGORITHM {
            return Err(IamRejection::WrongAlgorithm(algorithm.to_owned()));
        }
        let amz_date = required("X-Amz-Date")?;
        let signed_at = parse_amz_date(amz_date).ok_or_else(|| {
            IamRejection::Malformed(format!("X-Amz-Date {amz_date:?} is not yyyymmddThhmmssZ"))
        })?;
        let credential = required("X-Amz-Credential")?;
        let scope: Vec<&str> = credential.split('/').collect();
        let [key_id, date, region, service, terminator] = scope.as_slice() else {
            return Err(IamRejection::BadCredentialScope(format!(
                "{credential:?} does not have 5 parts"
            )));
        };
        if amz_date.get(..8) != Some(*date) {
            return Err(IamRejection::BadCredentialScope(format!(
                "date {date:?} is not the date of X-Amz-Date {amz_date:?}"
            )));
        }
        if *region != self.region {
            return Err(IamRejection::WrongRegion {
                expected: self.region.clone(),
                got: (*region).to_owned(),
            });
        }
        if *service != SERVICE || *terminator != TERMINATOR {
            return Err(IamRejection::BadCredentialScope(format!(
                "{credential:?} is not scoped to {SERVICE}/{TERMINATOR}"
            )));
        }
        let signed_headers = required("X-Amz-SignedHeaders")?;
        if signed_headers != "host" {
            return Err(IamRejection::WrongSignedHeaders(signed_headers.to_owned()));
        }
        let expires = required("X-Amz-Expires")?;
        let expires_secs =
            parse_expires(expires).ok_or_else(|| IamRejection::BadExpires(expires.to_owned()))?;
        let now = (self.clock)();
        let expires_at = signed_at + Duration::from_secs(expires_secs);
        let lifetime = match expires_at.duration_since(now) {
            Ok(left) if !left.is_zero() => left.max(Duration::from_millis(1)),
            _ => return Err(IamRejection::Expired),
        };
        if signed_at
            .duration_since(now)
            .is_ok_and(|ahead| ahead > MAX_CLOCK_SKEW)
        {
            return Err(IamRejection::NotYetValid);
        }
        let identity = self
            .keys
            .get(*key_id)
            .ok_or_else(|| IamRejection::UnknownAccessKey((*key_id).to_owned()))?;
        match (
            identity.session_token.as_deref(),
            request.param("X-Amz-Security-Token"),
        ) {
            (None, None) => {}
            (None, Some(_)) => return Err(IamRejection::UnexpectedSessionToken),
            (Some(_), None) => return Err(IamRejection::MissingSessionToken),
            (Some(want), Some(got)) => {
                if !super::sigv4_verify::constant_time_eq(want.as_bytes(), got.as_bytes()) {
                    return Err(IamRejection::WrongSessionToken);
                }
            }
        }
        if !request.signature_matches(&identity.secret, amz_date, date, region, SERVICE) {
            return Err(IamRejection::WrongSignature);
        }
        Ok(Verified {
            principal: identity.principal.clone(),
            lifetime,
        })
    }
}

/// `yyyymmddThhmmssZ` (UTC) as a time.
pub(crate) fn parse_amz_date(s: &str) -> Option<SystemTime> {
    if s.len() != 16 {
        return None;
    }
    let format = format_description!("[year][month][day]T[hour][minute][second]Z");
    let parsed = PrimitiveDateTime::parse(s, &format).ok()?;
    Some(SystemTime::from(parsed.assume_utc()))
}

/// `X-Amz-Expires`: decimal digits only, 1 to 900.
fn parse_expires(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse()
        .ok()
        .filter(|n| (1..=MAX_EXPIRES_SECS).contains(n))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::sigv4_verify::{
        canonical_query, canonical_request, hmac_sha256, lower_hex, signing_key, string_to_sign,
    };
    use super::*;

    /// 2024-05-01T12:34:56Z, the signing time of the known-answer tokens.
    pub(crate) fn t0() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_714_566_896)
    }

    /// Signs `params` for `host` with the SigV4 pieces of this crate: only for tests of the
    /// checks around the signature (the signature itself is tested against the official
    /// signer's tokens).
    pub(crate) fn presign(
        host: &str,
        secret: &str,
        region: &str,
        params: &[(&str, &str)],
    ) -> PresignedRequest {
        let params: Vec<(String, String)> = params
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect();
        let get = |n: &str| {
            params
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let amz_date = get("X-Amz-Date");
        let date = amz_date.get(..8).unwrap_or_default().to_owned();
        let scope = format!("{date}/{region}/{SERVICE}/{TERMINATOR}");
        let to_sign = string_to_sign(
            &amz_date,
            &scope,
            &canonical_request(host, &canonical_query(&params)),
        );
        let key = signing_key(secret, &date, region, SERVICE);
        PresignedRequest {
            host: host.to_owned(),
            params,
            signature: lower_hex(&hmac_sha256(&key, to_sign.as_bytes())),
        }
    }

    pub(crate) fn connect_params<'a>(
        credential: &'a str,
        token: Option<&'a str>,
    ) -> Vec<(&'a str, &'a str)> {
        let mut p = vec![
            ("Action", CONNECT_ACTION),
            ("X-Amz-Algorithm", ALGORITHM),
            ("X-Amz-Credential", credential),
            ("X-Amz-Date", "20240501T123456Z"),
            ("X-Amz-Expires", "900"),
            ("X-Amz-SignedHeaders", "host"),
        ];
        if let Some(t) = token {
            p.push(("X-Amz-Security-Token", t));
        }
        p
    }

    fn iam_at(now: SystemTime) -> MockIam {
        MockIam::new("us-east-1")
            .key("AKIDEXAMPLE", "secret")
            .temporary_key("ASIATEMP", "tsecret", "tok+en/=")
            .clock(move || now)
    }

    const CRED: &str = "AKIDEXAMPLE/20240501/us-east-1/kafka-cluster/aws4_request";
    const TCRED: &str = "ASIATEMP/20240501/us-east-1/kafka-cluster/aws4_request";

    #[test]
    fn accepts_a_good_request_and_reports_time_left() {
        let iam = iam_at(t0() + Duration::from_secs(100));
        let req = presign("h", "secret", "us-east-1", &connect_params(CRED, None));
        assert_eq!(
            iam.verify(&req),
            Ok(Verified {
                principal: "AKIDEXAMPLE".into(),
                lifetime: Duration::from_secs(800)
            })
        );
        let req = presign(
            "h",
            "tsecret",
            "us-east-1",
            &connect_params(TCRED, Some("tok+en/=")),
        );
        assert_eq!(iam.verify(&req).map(|v| v.principal), Ok("ASIATEMP".into()));
    }

    #[test]
    fn every_check_has_its_reason() {
        let iam = iam_at(t0());
        type Params<'a> = Vec<(&'a str, &'a str)>;
        let check = |secret: &str, edit: &dyn Fn(&mut Params<'_>)| {
            let mut p = connect_params(CRED, None);
            edit(&mut p);
            iam.verify(&presign("h", secret, "us-east-1", &p)).err()
        };
        let set = |name: &'static str, value: &'static str| {
            move |p: &mut Vec<(&str, &str)>| {
                p.retain(|(n, _)| *n != name);
                p.push((name, value));
            }
        };
        assert_eq!(check("secret", &|_| {}), None);
        assert_eq!(check("wrong", &|_| {}), Some(IamRejection::WrongSignature));
        assert_eq!(
            check("secret", &set("Action", "kafka-cluster:Other")),
            Some(IamRejection::WrongAction("kafka-cluster:Other".into()))
        );
        assert_eq!(
            check("secret", &set("X-Amz-Algorithm", "AWS4-HMAC-SHA1")),
            Some(IamRejection::WrongAlgorithm("AWS4-HMAC-SHA1".into()))
        );
        assert_eq!(
            check(
                "secret",
                &set(
                    "X-Amz-Credential",
                    "AKIDEXAMPLE/20240501/us-west-2/kafka-cluster/aws4_request"
                )
            ),
            Some(IamRejection::WrongRegion {
                expected: "us-east-1".into(),
                got: "us-west-2".into()
            })
        );
        for scope in [
            "AKIDEXAMPLE/20240502/us-east-1/kafka-cluster/aws4_request",
            "AKIDEXAMPLE/20240501/us-east-1/kafka/aws4_request",
            "AKIDEXAMPLE/20240501/us-east-1/kafka-cluster/aws5_request",
            "AKIDEXAMPLE/20240501/us-east-1/kafka-cluster",
        ] {
            assert!(
                matches!(
                    check("secret", &set("X-Amz-Credential", scope)),
                    Some(IamRejection::BadCredentialScope(_))
                ),
                "{scope}"
            );
        }
        assert_eq!(
            check(
                "secret",
                &set(
                    "X-Amz-Credential",
                    "AKIDOTHER/20240501/us-east-1/kafka-cluster/aws4_request"
                )
            ),
            Some(IamRejection::UnknownAccessKey("AKIDOTHER".into()))
        );
        assert_eq!(
            check("secret", &set("X-Amz-SignedHeaders", "host;x-amz-date")),
            Some(IamRejection::WrongSignedHeaders("host;x-amz-date".into()))
        );
        for bad in ["0", "901", "-1", "+5", "1e2", "", "00009"] {
            let mut p = connect_params(CRED, None);
            p.retain(|(n, _)| *n != "X-Amz-Expires");
            p.push(("X-Amz-Expires", bad));
            assert_eq!(
                iam.verify(&presign("h", "secret", "us-east-1", &p)).err(),
                Some(IamRejection::BadExpires(bad.into())),
                "{bad:?}"
            );
        }
        assert!(matches!(
            check("secret", &set("X-Amz-Date", "20240501T123456")),
            Some(IamRejection::Malformed(_))
        ));
        assert!(matches!(
            check("secret", &|p| p.retain(|(n, _)| *n != "Action")),
            Some(IamRejection::Malformed(_))
        ));
        assert_eq!(
            check("secret", &|p| p.push(("X-Amz-Security-Token", "t"))),
            Some(IamRejection::UnexpectedSessionToken)
        );
        let temporary = |token: Option<&str>| {
            let p = connect_params(TCRED, token);
            iam.verify(&presign("h", "tsecret", "us-east-1", &p)).err()
        };
        assert_eq!(temporary(None), Some(IamRejection::MissingSessionToken));
        assert_eq!(
            temporary(Some("tok+en/")),
            Some(IamRejection::WrongSessionToken)
        );
        assert_eq!(temporary(Some("tok+en/=")), None);
    }

    #[test]
    fn checks_time_against_the_clock() {
        let req = presign("h", "secret", "us-east-1", &connect_params(CRED, None));
        let at = |t: SystemTime| iam_at(t).verify(&req).map(|v| v.lifetime);
        assert_eq!(
            at(t0() + Duration::from_millis(899_999)),
            Ok(Duration::from_millis(1))
        );
        assert_eq!(
            at(t0() + Duration::from_secs(900)),
            Err(IamRejection::Expired)
        );
        assert_eq!(
            at(t0() + Duration::from_secs(5000)),
            Err(IamRejection::Expired)
        );
        assert_eq!(
            at(t0() - MAX_CLOCK_SKEW),
            Ok(Duration::from_secs(900) + MAX_CLOCK_SKEW)
        );
        assert_eq!(
            at(t0() - MAX_CLOCK_SKEW - Duration::from_secs(1)),
            Err(IamRejection::NotYetValid)
        );
    }

    #[test]
    fn records_outcomes_across_clones() {
        let iam = iam_at(t0());
        let server_side = iam.clone();
        let _ = server_side.judge(Err(IamRejection::Expired));
        let _ = server_side.judge(Ok(Verified {
            principal: "p".into(),
            lifetime: Duration::from_secs(1),
        }));
        assert_eq!(
            (iam.successes(), iam.failures(), iam.last_failure()),
            (1, 1, Some(IamRejection::Expired))
        );
        let debug = format!("{iam:?}");
        assert!(debug.contains("AKIDEXAMPLE") && !debug.contains("tsecret"));
    }

    #[test]
    fn validates_settings_and_dates() {
        assert!(MockIam::new("us-east-1").validate().is_ok());
        assert!(MockIam::new("").validate().is_err());
        assert!(MockIam::new("US East").validate().is_err());
        assert!(MockIam::new("us-east-1").key("", "s").validate().is_err());
        assert_eq!(parse_amz_date("20240501T123456Z"), Some(t0()));
        for bad in [
            "20240501T123456",
            "20240230T123456Z",
            "20240501T250000Z",
            "2024050XT123456Z",
            "+2024501T123456Z",
            "",
        ] {
            assert_eq!(parse_amz_date(bad), None, "{bad:?}");
        }
        assert_eq!(
            MockIam::new("cn-north-1").oauth_hosts(),
            vec![
                "kafka.cn-north-1.amazonaws.com".to_owned(),
                "kafka.cn-north-1.amazonaws.com.cn".to_owned()
            ]
        );
        assert_eq!(
            MockIam::new("x")
                .oauth_host("a")
                .oauth_host("b")
                .oauth_hosts(),
            vec!["a".to_owned(), "b".to_owned()]
        );
    }
}
