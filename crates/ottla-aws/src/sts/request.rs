//! The parameters of AssumeRole and AssumeRoleWithWebIdentity, checked against STS's limits
//! before anything is sent.

use std::time::Duration;

use super::role_arn::RoleArn;
use crate::error::AwsError;
use ottla_sasl::Secret;

/// The shortest session STS grants.
pub const MIN_SESSION_DURATION: Duration = Duration::from_secs(900);

/// The longest session STS grants (for roles whose maximum session duration allows it).
pub const MAX_SESSION_DURATION: Duration = Duration::from_secs(43_200);

/// An AssumeRole call: the role, the session name, an optional external id and duration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssumeRoleRequest {
    role_arn: RoleArn,
    session_name: String,
    external_id: Option<String>,
    duration: Option<Duration>,
}

impl AssumeRoleRequest {
    /// Assume `role_arn` as session `session_name` (2 to 64 of `A-Za-z0-9+=,.@_-`).
    pub fn new(role_arn: RoleArn, session_name: &str) -> Result<Self, AwsError> {
        validate_session_name(session_name)?;
        Ok(Self {
            role_arn,
            session_name: session_name.to_owned(),
            external_id: None,
            duration: None,
        })
    }

    /// This request with the external id the role's trust policy demands (2 to 1224 of
    /// `A-Za-z0-9+=,.@:/_-`).
    pub fn with_external_id(mut self, external_id: &str) -> Result<Self, AwsError> {
        validate_external_id(external_id)?;
        self.external_id = Some(external_id.to_owned());
        Ok(self)
    }

    /// This request asking for sessions of `duration` (whole seconds, 15 minutes to 12
    /// hours; STS's default is one hour).
    pub fn with_duration(mut self, duration: Duration) -> Result<Self, AwsError> {
        validate_duration(duration)?;
        self.duration = Some(duration);
        Ok(self)
    }

    /// The role.
    pub fn role_arn(&self) -> &RoleArn {
        &self.role_arn
    }

    /// The session name.
    pub fn session_name(&self) -> &str {
        &self.session_name
    }

    /// The external id, if any.
    pub fn external_id(&self) -> Option<&str> {
        self.external_id.as_deref()
    }

    /// The duration asked for, if any.
    pub fn duration(&self) -> Option<Duration> {
        self.duration
    }

    /// The form parameters after `Action` and `Version`.
    pub(super) fn form_params(&self) -> Vec<(&'static str, String)> {
        let mut params = vec![
            ("RoleArn", self.role_arn.as_str().to_owned()),
            ("RoleSessionName", self.session_name.clone()),
        ];
        if let Some(id) = &self.external_id {
            params.push(("ExternalId", id.clone()));
        }
        if let Some(d) = self.duration {
            params.push(("DurationSeconds", d.as_secs().to_string()));
        }
        params
    }
}

/// An AssumeRoleWithWebIdentity call: the role, the session name and the OIDC token (from
/// `AWS_WEB_IDENTITY_TOKEN_FILE` on EKS). `Debug` hides the token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssumeRoleWithWebIdentityRequest {
    role_arn: RoleArn,
    session_name: String,
    token: Secret,
    duration: Option<Duration>,
}

impl AssumeRoleWithWebIdentityRequest {
    /// Assume `role_arn` as session `session_name` with the web identity `token`.
    pub fn new(role_arn: RoleArn, session_name: &str, token: Secret) -> Result<Self, AwsError> {
        validate_session_name(session_name)?;
        if token.expose().trim().is_empty() {
            return Err(AwsError::Invalid {
                what: "web identity token".into(),
                why: "it is empty".into(),
            });
        }
        Ok(Self {
            role_arn,
            session_name: session_name.to_owned(),
            token,
            duration: None,
        })
    }

    /// This request asking for sessions of `duration` (15 minutes to 12 hours).
    pub fn with_duration(mut self, duration: Duration) -> Result<Self, AwsError> {
        validate_duration(duration)?;
        self.duration = Some(duration);
        Ok(self)
    }

    /// The role.
    pub fn role_arn(&self) -> &RoleArn {
        &self.role_arn
    }

    /// The session name.
    pub fn session_name(&self) -> &str {
        &self.session_name
    }

    /// The form parameters after `Action` and `Version`.
    pub(super) fn form_params(&self) -> Vec<(&'static str, String)> {
        let mut params = vec![
            ("RoleArn", self.role_arn.as_str().to_owned()),
            ("RoleSessionName", self.session_name.clone()),
            ("WebIdentityToken", self.token.expose().trim().to_owned()),
        ];
        if let Some(d) = self.duration {
            params.push(("DurationSeconds", d.as_secs().to_string()));
        }
        params
    }
}

/// Checks a role session name: 2 to 64 of `A-Za-z0-9+=,.@_-` (STS's own rule).
pub fn validate_session_name(name: &str) -> Result<(), AwsError> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c);
    if (2..=64).contains(&name.len()) && name.chars().all(ok_char) {
        Ok(())
    } else {
        Err(AwsError::Invalid {
            what: "role session name".into(),
            why: format!("`{name}` must be 2 to 64 characters of A-Z a-z 0-9 + = , . @ _ -"),
        })
    }
}

fn validate_external_id(id: &str) -> Result<(), AwsError> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || "+=,.@:/_-".contains(c);
    if (2..=1224).contains(&id.len()) && id.chars().all(ok_char) {
        Ok(())
    } else {
        // The external id is not a secret in AWS's model, but it need not be echoed either.
        Err(AwsError::Invalid {
            what: "external id".into(),
            why: "it must be 2 to 1224 characters of A-Z a-z 0-9 + = , . @ : / _ -".into(),
        })
    }
}

fn validate_duration(d: Duration) -> Result<(), AwsError> {
    if (MIN_SESSION_DURATION..=MAX_SESSION_DURATION).contains(&d) && d.subsec_nanos() == 0 {
        Ok(())
    } else {
        Err(AwsError::Invalid {
            what: "role session duration".into(),
            why: format!("{d:?} is not a whole number of seconds from 900 s to 43200 s"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arn() -> RoleArn {
        RoleArn::parse("arn:aws:iam::123456789012:role/r").unwrap()
    }

    #[test]
    fn assume_role_params() {
        let r = AssumeRoleRequest::new(arn(), "ottla-session").unwrap();
        assert_eq!(
            r.form_params(),
            vec![
                ("RoleArn", "arn:aws:iam::123456789012:role/r".to_owned()),
                ("RoleSessionName", "ottla-session".to_owned()),
            ]
        );
        let r = r
            .with_external_id("ext:id/1")
            .unwrap()
            .with_duration(Duration::from_secs(1800))
            .unwrap();
        assert_eq!(r.external_id(), Some("ext:id/1"));
        assert_eq!(r.duration(), Some(Duration::from_secs(1800)));
        assert_eq!(
            &r.form_params()[2..],
            &[
                ("ExternalId", "ext:id/1".to_owned()),
                ("DurationSeconds", "1800".to_owned())
            ]
        );
    }

    #[test]
    fn limits() {
        for bad in ["a", "", "has space", "ü-x", &"x".repeat(65)] {
            assert!(AssumeRoleRequest::new(arn(), bad).is_err(), "{bad}");
        }
        assert!(AssumeRoleRequest::new(arn(), &"x".repeat(64)).is_ok());
        let r = AssumeRoleRequest::new(arn(), "s1").unwrap();
        assert!(r.clone().with_external_id("x").is_err());
        assert!(r.clone().with_external_id("a b").is_err());
        for d in [899, 43_201, 0] {
            assert!(
                r.clone().with_duration(Duration::from_secs(d)).is_err(),
                "{d}"
            );
        }
        assert!(r
            .clone()
            .with_duration(Duration::from_millis(900_500))
            .is_err());
        assert!(r.clone().with_duration(MAX_SESSION_DURATION).is_ok());
        assert!(AssumeRoleWithWebIdentityRequest::new(arn(), "s1", Secret::new(" \n")).is_err());
    }

    #[test]
    fn web_identity_params_and_debug() {
        let r = AssumeRoleWithWebIdentityRequest::new(arn(), "s1", Secret::new("eyJ.tok.en\n"))
            .unwrap();
        assert_eq!(
            r.form_params()[2],
            ("WebIdentityToken", "eyJ.tok.en".to_owned())
        );
        assert!(!format!("{r:?}").contains("eyJ"));
    }
}
