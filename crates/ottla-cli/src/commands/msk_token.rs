//! `ottla msk-token`: the MSK IAM OAUTHBEARER token (or its presigned URL, or the AWS_MSK_IAM
//! payload) a client would send now, or at `--signing-time`.

use std::time::{Duration, SystemTime};

use ottla::config::SecuritySettings;
use ottla::{AwsSetup, ConfigError};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::CmdResult;
use crate::args::MskTokenArgs;

/// The time `--signing-time` names.
fn parse_time(text: &str) -> Result<SystemTime, ConfigError> {
    let invalid = |why: String| ConfigError::InvalidValue {
        key: "--signing-time".into(),
        value: text.to_owned(),
        expected: why,
    };
    let t = OffsetDateTime::parse(text.trim(), &Rfc3339).map_err(|e| {
        invalid(format!(
            "an RFC 3339 time such as 2024-01-15T12:34:56Z ({e})"
        ))
    })?;
    let secs =
        u64::try_from(t.unix_timestamp()).map_err(|_| invalid("a time after 1970".into()))?;
    Ok(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
}

/// Prints the token, URL or payload on standard output.
pub async fn run(props: &ottla::Properties, args: MskTokenArgs) -> CmdResult {
    // Only the aws.* keys matter here; connection keys (-b, ...) are accepted and unused.
    let mut settings = SecuritySettings::default();
    for (k, v) in props.iter() {
        if k.starts_with("aws.") {
            settings.set(k, v)?;
        }
    }
    if let Some(region) = &args.region {
        settings.set("aws.region", region)?;
    }
    let at = match &args.signing_time {
        Some(t) => parse_time(t)?,
        None => SystemTime::now(),
    };
    let setup = AwsSetup::new(&settings, None, None)?;
    let signer = setup.signer(&settings)?;
    let credentials = setup.credentials.credentials().await?;
    if args.json_payload {
        let host = args.broker_host.as_deref().unwrap_or_default();
        let payload = signer.sign_payload(&credentials, host, at)?;
        println!("{}", String::from_utf8_lossy(&payload.to_json()));
        return Ok(());
    }
    let token = signer.sign_token(&credentials, at)?;
    if args.decode {
        println!("{}", token.url().expose());
    } else {
        println!("{}", token.token().expose());
    }
    let expires = OffsetDateTime::from(token.expires_at())
        .format(&Rfc3339)
        .unwrap_or_default();
    tracing::info!(
        region = %signer.region(),
        access_key_id = %credentials.access_key_id(),
        source = credentials.source(),
        %expires,
        "signed MSK IAM token"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_time_is_rfc3339() {
        assert_eq!(
            parse_time("2024-01-15T12:34:56Z").unwrap(),
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_705_322_096)
        );
        assert_eq!(
            parse_time("2024-01-15T13:34:56+01:00").unwrap(),
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_705_322_096)
        );
        let e = parse_time("yesterday").unwrap_err();
        assert_eq!(e.key(), Some("--signing-time"));
        assert!(parse_time("1960-01-01T00:00:00Z").is_err());
    }
}
