//! Errors of the AWS side: credentials, regions, HTTP to AWS services, signing.

use std::fmt;
use std::time::Duration;

/// Why one credential source gave nothing (kept for the chain's final message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFailure {
    /// The source (`"environment"`, `"web identity"`, `"profile"`, `"ECS"`, `"EC2 IMDS"`, …).
    pub provider: &'static str,
    /// Why it had no credentials.
    pub why: String,
}

impl fmt::Display for SourceFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.provider, self.why)
    }
}

fn list(failures: &[SourceFailure]) -> String {
    failures
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// What went wrong on the AWS side. Messages never carry secret keys, session tokens or
/// passwords.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AwsError {
    /// No source of the chain had credentials; each says why.
    #[error("no AWS credentials found; tried {}", list(.tried))]
    NoCredentials {
        /// Every source tried, in order, and why it gave nothing.
        tried: Vec<SourceFailure>,
    },
    /// A source that applies (its variables or profile are set) failed; the chain stops
    /// here, as the AWS SDKs do, rather than silently falling through to another identity.
    #[error("AWS credentials from {provider}: {why}")]
    Provider {
        /// The source.
        provider: &'static str,
        /// What failed.
        why: String,
    },
    /// No region configured anywhere; lists where it looked.
    #[error("no AWS region found; looked in {}; set aws.region", .looked.join(", "))]
    NoRegion {
        /// The places looked at, in order.
        looked: Vec<String>,
    },
    /// The HTTP request did not complete (connect, TLS, I/O, protocol).
    #[error("{service}: request to {url} failed: {why}")]
    Http {
        /// The AWS service or endpoint kind (`"STS"`, `"Secrets Manager"`, `"EC2 IMDS"`, …).
        service: &'static str,
        /// The URL, without query string.
        url: String,
        /// What failed.
        why: String,
    },
    /// The request did not complete in time.
    #[error("{service}: no answer from {url} within {timeout:?}")]
    Timeout {
        /// The service.
        service: &'static str,
        /// The URL, without query string.
        url: String,
        /// The time allowed.
        timeout: Duration,
    },
    /// The service answered with an HTTP error status and no error document we understand.
    #[error("{service}: HTTP {status} from {url}: {body}")]
    HttpStatus {
        /// The service.
        service: &'static str,
        /// The URL, without query string.
        url: String,
        /// The status code.
        status: u16,
        /// The start of the body.
        body: String,
    },
    /// The service returned an error document (`AccessDenied`, `ResourceNotFoundException`,
    /// `ExpiredTokenException`, …).
    #[error("{service}: {code}: {message}")]
    Service {
        /// The service.
        service: &'static str,
        /// The error code.
        code: String,
        /// The error message.
        message: String,
    },
    /// The service's answer could not be understood.
    #[error("{service}: unexpected response: {why}")]
    BadResponse {
        /// The service.
        service: &'static str,
        /// What was wrong.
        why: String,
    },
    /// A shared config or credentials file is malformed, or a profile is missing or
    /// inconsistent.
    #[error("AWS profile `{profile}`: {why}")]
    Profile {
        /// The profile.
        profile: String,
        /// What is wrong, with the file and line where known.
        why: String,
    },
    /// `credential_process` failed or printed something unusable.
    #[error("credential_process `{command}`: {why}")]
    CredentialProcess {
        /// The command (as configured; it holds no secret).
        command: String,
        /// What failed.
        why: String,
    },
    /// A value given by the user is invalid (an ARN, a region, a URL, a time).
    #[error("invalid {what}: {why}")]
    Invalid {
        /// What was invalid.
        what: String,
        /// Why.
        why: String,
    },
    /// SigV4 signing failed.
    #[error("SigV4 signing failed: {0}")]
    Signing(String),
    /// The credentials expire too soon to sign with.
    #[error("AWS credentials from {provider} expire in {remaining:?}, sooner than the {needed:?} needed")]
    ExpiresTooSoon {
        /// Where they came from.
        provider: &'static str,
        /// How long they still work.
        remaining: Duration,
        /// How long they would have to work.
        needed: Duration,
    },
}

impl AwsError {
    /// A short description of a failure to list in [`AwsError::NoCredentials`].
    pub fn into_source_failure(self, provider: &'static str) -> SourceFailure {
        SourceFailure {
            provider,
            why: self.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_what_was_tried() {
        let e = AwsError::NoCredentials {
            tried: vec![
                SourceFailure {
                    provider: "environment",
                    why: "AWS_ACCESS_KEY_ID not set".into(),
                },
                SourceFailure {
                    provider: "EC2 IMDS",
                    why: "no answer from 169.254.169.254 within 1s (not on EC2?)".into(),
                },
            ],
        };
        let s = e.to_string();
        assert!(
            s.contains("environment: AWS_ACCESS_KEY_ID not set; EC2 IMDS: no answer"),
            "{s}"
        );
        let r = AwsError::NoRegion {
            looked: vec!["aws.region".into(), "AWS_REGION".into()],
        };
        assert_eq!(
            r.to_string(),
            "no AWS region found; looked in aws.region, AWS_REGION; set aws.region"
        );
    }
}
