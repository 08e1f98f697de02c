//! Is this machine's clock right? SigV4 (MSK IAM, STS, Secrets Manager) rejects requests
//! signed more than 5 minutes away from AWS's time. One unauthenticated GET to the STS
//! endpoint; its `Date` response header is AWS's time.

use std::time::{Duration, SystemTime};

use ottla_aws::{AwsEnv, Clock, HttpClient, HttpRequest};

use serde_json::json;

use super::http_date;
use super::report::Step;

/// How far off the clock may be before SigV4 rejects signatures.
pub const MAX_SKEW: Duration = Duration::from_secs(300);

/// What the check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClockVerdict {
    /// The server's time and ours, `skew_secs` = server − local (positive: we are behind).
    Measured {
        /// The endpoint asked.
        endpoint: String,
        /// The server's `Date` header.
        server_date: String,
        /// Server time minus local time, in seconds.
        skew_secs: i64,
    },
    /// The check could not be made.
    Unchecked {
        /// The endpoint tried.
        endpoint: String,
        /// Why.
        why: String,
    },
}

impl ClockVerdict {
    /// Whether the clock is off by more than [`MAX_SKEW`].
    pub fn is_skewed(&self) -> bool {
        matches!(self, ClockVerdict::Measured { skew_secs, .. }
            if skew_secs.unsigned_abs() > MAX_SKEW.as_secs())
    }
}

/// The region for STS: `aws.region`, else `AWS_REGION`, else `AWS_DEFAULT_REGION`, else the
/// region in an MSK host name.
pub fn region(configured: Option<&str>, env: &AwsEnv, host: &str) -> Option<String> {
    configured
        .map(str::to_owned)
        .or_else(|| env.get("AWS_REGION").map(str::to_owned))
        .or_else(|| env.get("AWS_DEFAULT_REGION").map(str::to_owned))
        .or_else(|| super::msk_ports::msk_region(host))
}

/// The STS endpoint, as the AWS SDKs pick it: `AWS_ENDPOINT_URL_STS`, else
/// `AWS_ENDPOINT_URL`, else `https://sts.<region>.amazonaws.com` (`.com.cn` in China), else
/// the global `https://sts.amazonaws.com`.
pub fn sts_endpoint(env: &AwsEnv, region: Option<&str>) -> String {
    for var in ["AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"] {
        if let Some(url) = env.get(var) {
            return url.trim().to_owned();
        }
    }
    match region {
        Some(r) if r.starts_with("cn-") => format!("https://sts.{r}.amazonaws.com.cn/"),
        Some(r) => format!("https://sts.{r}.amazonaws.com/"),
        None => "https://sts.amazonaws.com/".to_owned(),
    }
}

/// Asks `endpoint` for its time and compares it with `clock`, taking the middle of the
/// request as the local time the server's answer belongs to.
pub async fn check(
    endpoint: &str,
    clock: &Clock,
    http: &HttpClient,
    timeout: Duration,
) -> ClockVerdict {
    let unchecked = |why: String| ClockVerdict::Unchecked {
        endpoint: endpoint.to_owned(),
        why,
    };
    let sent = clock.now();
    let response = match http.send("sts", HttpRequest::get(endpoint), timeout).await {
        Ok(r) => r,
        Err(e) => return unchecked(e.to_string()),
    };
    let received = clock.now();
    let Some(date) = response.header("date") else {
        return unchecked(format!(
            "the answer (HTTP {}) has no Date header",
            response.status
        ));
    };
    let Some(server) = http_date::parse(date) else {
        return unchecked(format!("the Date header {date:?} is not an HTTP date"));
    };
    let local = midpoint(sent, received);
    ClockVerdict::Measured {
        endpoint: endpoint.to_owned(),
        server_date: date.to_owned(),
        skew_secs: signed_secs(server, local),
    }
}

fn midpoint(a: SystemTime, b: SystemTime) -> SystemTime {
    match b.duration_since(a) {
        Ok(d) => a + d / 2,
        Err(_) => a,
    }
}

/// `a − b` in whole seconds, rounded towards zero.
fn signed_secs(a: SystemTime, b: SystemTime) -> i64 {
    match a.duration_since(b) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// "4 min 12 s", "3 s", "2 h 5 min".
pub fn describe_offset(secs: u64) -> String {
    match secs {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min {} s", s / 60, s % 60),
        s => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

/// The Clock step from a verdict: a skew over [`MAX_SKEW`] fails, an unchecked clock warns.
pub fn step(verdict: &ClockVerdict) -> Result<Step, Step> {
    match verdict {
        ClockVerdict::Unchecked { endpoint, why } => {
            Ok(Step::ok("Clock", format!("not checked ({endpoint})"))
                .warnings([format!("could not check the clock: {why}")])
                .data(json!({ "endpoint": endpoint, "error": why })))
        }
        ClockVerdict::Measured {
            endpoint,
            server_date,
            skew_secs,
        } => {
            let off = describe_offset(skew_secs.unsigned_abs());
            let data = json!({
                "endpoint": endpoint,
                "server_date": server_date,
                "skew_seconds": skew_secs,
            });
            if !verdict.is_skewed() {
                return Ok(
                    Step::ok("Clock", format!("within {off} of AWS's time ({endpoint})"))
                        .data(data),
                );
            }
            let direction = if *skew_secs > 0 { "behind" } else { "ahead of" };
            Err(Step::fail(
                "Clock",
                format!("this machine's clock is {off} {direction} AWS's time"),
            )
            .detail([format!("{endpoint} says {server_date}")])
            .hints([
                "SigV4 rejects requests signed more than 5 minutes off AWS's time: MSK IAM \
                 authentication (\"Signature expired\" / \"not yet current\"), STS and \
                 Secrets Manager all fail"
                    .to_owned(),
                "sync the clock with NTP: chrony or systemd-timesyncd (on EC2 the Amazon Time \
                 Sync Service, 169.254.169.123); check with `timedatectl` or `chronyc tracking`; \
                 in a container, fix the host's clock"
                    .to_owned(),
            ])
            .data(data))
        }
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;

    /// An HTTP server for one request that answers 404 with `date` (no header when `None`).
    async fn date_server(date: Option<String>) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 4096];
            let mut got = Vec::new();
            while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = s.read(&mut buf).await.unwrap();
                if n == 0 {
                    return;
                }
                got.extend_from_slice(&buf[..n]);
            }
            let date = date.map(|d| format!("Date: {d}\r\n")).unwrap_or_default();
            let reply = format!(
                "HTTP/1.1 404 Not Found\r\n{date}Content-Length: 0\r\nConnection: close\r\n\r\n"
            );
            s.write_all(reply.as_bytes()).await.unwrap();
        });
        format!("http://{addr}/")
    }

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    const T: u64 = 1_767_225_600;

    /// The verdict of a local clock at `T` against a server whose `Date` says `server_secs`.
    async fn skew_against(server_secs: u64) -> (String, ClockVerdict) {
        let url = date_server(Some(http_date::format(at(server_secs)))).await;
        let v = check(
            &url,
            &Clock::fixed(at(T)),
            &HttpClient::new(),
            Duration::from_secs(5),
        )
        .await;
        (url, v)
    }

    #[tokio::test]
    async fn ten_minutes_behind_is_skewed() {
        let (url, v) = skew_against(T + 600).await;
        assert_eq!(
            v,
            ClockVerdict::Measured {
                endpoint: url,
                server_date: http_date::format(at(T + 600)),
                skew_secs: 600
            }
        );
        assert!(v.is_skewed());
    }

    #[tokio::test]
    async fn ten_minutes_ahead_is_skewed_and_a_minute_is_not() {
        let (_, v) = skew_against(T - 600).await;
        assert!(
            matches!(
                v,
                ClockVerdict::Measured {
                    skew_secs: -600,
                    ..
                }
            ),
            "{v:?}"
        );
        assert!(v.is_skewed());
        let (_, v) = skew_against(T + 60).await;
        assert!(
            matches!(v, ClockVerdict::Measured { skew_secs: 60, .. }),
            "{v:?}"
        );
        assert!(!v.is_skewed());
    }

    #[tokio::test]
    async fn no_date_or_no_server_is_unchecked() {
        let url = date_server(None).await;
        let v = check(
            &url,
            &Clock::system(),
            &HttpClient::new(),
            Duration::from_secs(5),
        )
        .await;
        match &v {
            ClockVerdict::Unchecked { why, .. } => assert!(why.contains("no Date header"), "{why}"),
            other => panic!("{other:?}"),
        }
        assert!(!v.is_skewed());
        let url = date_server(Some("yesterday".into())).await;
        let v = check(
            &url,
            &Clock::system(),
            &HttpClient::new(),
            Duration::from_secs(5),
        )
        .await;
        assert!(matches!(v, ClockVerdict::Unchecked { .. }), "{v:?}");
        let dead = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let v = check(
            &format!("http://{dead}/"),
            &Clock::system(),
            &HttpClient::new(),
            Duration::from_secs(5),
        )
        .await;
        assert!(matches!(v, ClockVerdict::Unchecked { .. }), "{v:?}");
    }

    #[test]
    fn endpoints_and_regions() {
        let env = AwsEnv::from_vars([("AWS_REGION", "eu-west-1")]);
        assert_eq!(region(None, &env, "h").as_deref(), Some("eu-west-1"));
        assert_eq!(
            region(Some("us-east-2"), &env, "h").as_deref(),
            Some("us-east-2")
        );
        let env = AwsEnv::from_vars([("AWS_DEFAULT_REGION", "ap-south-1")]);
        assert_eq!(region(None, &env, "h").as_deref(), Some("ap-south-1"));
        let none = AwsEnv::from_vars(Vec::<(String, String)>::new());
        assert_eq!(
            region(None, &none, "b-1.c.x.c2.kafka.sa-east-1.amazonaws.com").as_deref(),
            Some("sa-east-1")
        );
        assert_eq!(region(None, &none, "h"), None);
        assert_eq!(
            sts_endpoint(&none, Some("eu-west-1")),
            "https://sts.eu-west-1.amazonaws.com/"
        );
        assert_eq!(
            sts_endpoint(&none, Some("cn-north-1")),
            "https://sts.cn-north-1.amazonaws.com.cn/"
        );
        assert_eq!(sts_endpoint(&none, None), "https://sts.amazonaws.com/");
        let env = AwsEnv::from_vars([("AWS_ENDPOINT_URL", "http://127.0.0.1:1/")]);
        assert_eq!(sts_endpoint(&env, Some("eu-west-1")), "http://127.0.0.1:1/");
        let env = env.with("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:2/");
        assert_eq!(sts_endpoint(&env, None), "http://127.0.0.1:2/");
    }

    #[test]
    fn steps_from_verdicts() {
        let measured = |skew_secs| ClockVerdict::Measured {
            endpoint: "http://sts".into(),
            server_date: "Thu, 01 Jan 2026 00:00:00 GMT".into(),
            skew_secs,
        };
        let fail = step(&measured(600)).unwrap_err();
        assert!(
            fail.summary.contains("10 min 0 s behind"),
            "{}",
            fail.summary
        );
        assert!(fail.hints[0].contains("5 minutes"), "{:?}", fail.hints);
        assert!(fail.hints[1].contains("chrony"), "{:?}", fail.hints);
        let fail = step(&measured(-301)).unwrap_err();
        assert!(fail.summary.contains("ahead of"), "{}", fail.summary);
        let ok = step(&measured(-300)).unwrap();
        assert_eq!(ok.status, super::super::report::Status::Ok);
        let warn = step(&ClockVerdict::Unchecked {
            endpoint: "http://sts".into(),
            why: "refused".into(),
        })
        .unwrap();
        assert_eq!(warn.status, super::super::report::Status::Warn);
        assert_eq!(
            warn.warnings,
            vec!["could not check the clock: refused".to_owned()]
        );
    }

    #[test]
    fn offsets_read_well() {
        assert_eq!(describe_offset(3), "3 s");
        assert_eq!(describe_offset(252), "4 min 12 s");
        assert_eq!(describe_offset(7500), "2 h 5 min");
    }
}
