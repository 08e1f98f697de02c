//! The parsers of everything AWS sends back, reachable from `fuzz/` (ottla's cargo-fuzz
//! workspace). Not part of the API: hidden from the docs, and may change at any time.
//!
//! Each function takes the bytes as they arrive and runs the real parser, nothing more.

use std::path::Path;
use std::time::SystemTime;

use crate::{AssumedRole, CallerIdentity};
use crate::{AwsCredentials, AwsError, ProfileFiles, ScramSecret, Secret, SecretValue};

/// STS `AssumeRole` / `AssumeRoleWithWebIdentity` (`action`) XML answer.
pub fn sts_assumed_role(body: &[u8], action: &str) -> Result<AssumedRole, AwsError> {
    crate::sts::response::parse_assumed_role(body, action, "fuzz")
}

/// STS `GetCallerIdentity` XML answer.
pub fn sts_caller_identity(body: &[u8]) -> Result<CallerIdentity, AwsError> {
    crate::sts::response::parse_caller_identity(body)
}

/// The code and message of an STS `<ErrorResponse>` document.
pub fn sts_error(body: &[u8]) -> Option<(String, String)> {
    crate::sts::response::parse_error(body)
}

/// A Secrets Manager `GetSecretValue` answer (JSON 1.1 body of a 2xx).
pub fn secrets_manager_secret_value(body: &[u8]) -> Result<SecretValue, AwsError> {
    let answer = serde_json::from_slice(body).map_err(|e| AwsError::BadResponse {
        service: "Secrets Manager",
        why: format!("not JSON ({e})"),
    })?;
    SecretValue::from_json(&answer)
}

/// An MSK SCRAM secret's `SecretString`.
pub fn scram_secret(text: &str) -> Result<ScramSecret, String> {
    ScramSecret::parse(text)
}

/// EC2 IMDSv2 session token answer.
pub fn imds_token(body: &[u8]) -> Result<Secret, String> {
    crate::imds::parse_token(body)
}

/// EC2 IMDS role listing answer.
pub fn imds_role_listing(body: &[u8]) -> Result<String, String> {
    crate::imds::parse_role_listing(body)
}

/// EC2 IMDS credential document of `role`.
pub fn imds_credentials(role: &str, body: &[u8]) -> Result<AwsCredentials, String> {
    crate::imds::parse_credentials(role, body)
}

/// ECS container credentials answer (the body of a 200).
pub fn ecs_credentials(body: &[u8]) -> Result<AwsCredentials, AwsError> {
    crate::ecs::parse_answer(&crate::HttpResponse {
        status: 200,
        headers: Vec::new(),
        body: bytes::Bytes::copy_from_slice(body),
    })
}

/// What a `credential_process` program printed on stdout.
pub fn credential_process_output(stdout: &[u8]) -> Result<AwsCredentials, String> {
    crate::credential_process::parse_output(stdout)
}

/// An RFC 3339 time as the credential documents carry it.
pub fn rfc3339(text: &str) -> Result<SystemTime, String> {
    crate::credential_document::parse_rfc3339(text)
}

/// The shared `config` and `credentials` files (`None`: missing).
pub fn profile_files(
    config: Option<&str>,
    credentials: Option<&str>,
) -> Result<ProfileFiles, AwsError> {
    ProfileFiles::from_contents(
        config.map(|t| (Path::new("config"), t)),
        credentials.map(|t| (Path::new("credentials"), t)),
    )
}
