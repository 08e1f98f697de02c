//! A profile resolved into a plan: where the first credentials come from and which roles to
//! assume with them, in order. No network here; the credential chain carries the plan out
//! (STS AssumeRole for each [`RoleStep`]).
//!
//! The rules are documented on [`ProfilePlan`].

use std::fmt;
use std::path::PathBuf;

use super::error::AwsError;
use super::profile::{Profile, ProfileFiles};
use crate::AwsCredentials;
use ottla_sasl::Secret;

/// The provider name of credentials read from a profile's static keys.
const STATIC_SOURCE: &str = "profile";

/// The first credentials of a [`ProfilePlan`], obtained without other credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BaseCredentials {
    /// `aws_access_key_id`, `aws_secret_access_key` (and `aws_session_token`) of a profile.
    Static(AwsCredentials),
    /// Run `credential_process` (see [`CredentialProcess`](super::CredentialProcess)).
    Process {
        /// The command line, as written in the profile.
        command: String,
    },
    /// STS AssumeRoleWithWebIdentity with the token in `token_file`.
    WebIdentity {
        /// `web_identity_token_file`: read again on every refresh.
        token_file: PathBuf,
        /// `role_arn`.
        role_arn: String,
        /// `role_session_name`, if set.
        session_name: Option<String>,
        /// The profile's `region`, for the regional STS endpoint, if set.
        sts_region: Option<String>,
    },
    /// `credential_source`: another provider of the chain.
    CredentialSource(CredentialSource),
}

/// The named providers a profile's `credential_source` can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CredentialSource {
    /// `Environment`: `AWS_ACCESS_KEY_ID` and friends.
    Environment,
    /// `Ec2InstanceMetadata`: EC2 IMDSv2.
    Ec2InstanceMetadata,
    /// `EcsContainer`: ECS / EKS container credentials.
    EcsContainer,
}

impl CredentialSource {
    const ALL: [CredentialSource; 3] = [
        Self::Environment,
        Self::Ec2InstanceMetadata,
        Self::EcsContainer,
    ];

    /// The name as written in a profile.
    pub fn name(self) -> &'static str {
        match self {
            Self::Environment => "Environment",
            Self::Ec2InstanceMetadata => "Ec2InstanceMetadata",
            Self::EcsContainer => "EcsContainer",
        }
    }

    /// The source a profile names (ASCII case ignored, as aws-sdk-rust does).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|source| source.name().eq_ignore_ascii_case(name.trim()))
    }
}

impl fmt::Display for CredentialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One STS AssumeRole, made with the credentials of the step before it (or the base).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleStep {
    /// The profile that asks for the role.
    pub profile: String,
    /// `role_arn`.
    pub role_arn: String,
    /// `external_id`, if set.
    pub external_id: Option<String>,
    /// `role_session_name`, if set (otherwise the caller picks a stable one).
    pub role_session_name: Option<String>,
    /// `duration_seconds`, if set.
    pub duration_seconds: Option<u32>,
    /// The profile's `region`, for the regional STS endpoint, if set.
    pub sts_region: Option<String>,
}

/// How to get credentials for a profile: the base, then each role in order
/// (`roles[0]` is assumed with the base credentials, `roles[1]` with those of `roles[0]`, …;
/// the last is the selected profile's own role). Made by [`ProfileFiles::plan`].
///
/// # How a profile becomes a plan (the AWS SDKs' rules)
///
/// Read from botocore 1.44 `credentials.py` (`AssumeRoleProvider._resolve_source_credentials`,
/// `_resolve_credentials_from_profile`, `_validate_source_profile`) and aws-sdk-rust
/// `aws-config/src/profile/credentials/repr.rs` (`resolve_chain`, `base_provider`,
/// `chain_provider`). Both agree on 1, 2, 4 and 5; for the order in 3 we follow
/// aws-sdk-rust (botocore tries static keys of the credentials file before
/// `credential_process`, and those of the config file after it).
///
/// Starting at the selected profile, and following `source_profile`:
///
/// 1. **A source profile with static keys ends the chain.** In any profile reached through
///    `source_profile` (not the selected one), a complete `aws_access_key_id` +
///    `aws_secret_access_key` pair is used directly as the base credentials, *even if that
///    profile also has a `role_arn`*: its `role_arn` is then ignored. In the selected
///    profile itself, `role_arn` wins over static keys (the keys are used only if
///    `source_profile` names the profile itself, see 4).
/// 2. A profile with `role_arn` (and no `web_identity_token_file`) is a [`RoleStep`]; its
///    source is exactly one of `source_profile` (the next profile) or `credential_source`
///    (`Environment`, `Ec2InstanceMetadata`, `EcsContainer`; the chain's base). Both, or
///    neither, is an error.
/// 3. A profile that is not a role step (no `role_arn`, or `role_arn` with
///    `web_identity_token_file`) is the base: `credential_source`, else `role_arn` +
///    `web_identity_token_file` (STS AssumeRoleWithWebIdentity), else `credential_process`,
///    else static keys. Keys of AWS IAM Identity Center (`sso_*`) are
///    not supported and say so.
/// 4. `source_profile` naming the profile itself means "the base credentials are in this
///    profile" (static keys next to `role_arn`): one role step on top of them. Any other
///    profile seen twice is a cycle and an error listing the profiles.
/// 5. `mfa_serial` is an error: the role needs a code typed in, and a Kafka client cannot
///    prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfilePlan {
    /// The selected profile.
    pub profile: String,
    /// Where the first credentials come from.
    pub base: BaseCredentials,
    /// The roles to assume, first to last.
    pub roles: Vec<RoleStep>,
}

impl ProfileFiles {
    /// Resolves profile `name` into a [`ProfilePlan`] (the rules are on that type). A
    /// missing profile, a `source_profile` that does not exist, a cycle, or an inconsistent
    /// profile is an error naming the profile (and the file and line of the culprit key).
    ///
    /// A chain that treats a missing `default` profile as "no profile configured" (as the
    /// SDKs do) checks [`ProfileFiles::profile`] first.
    pub fn plan(&self, name: &str) -> Result<ProfilePlan, AwsError> {
        let mut visited: Vec<&str> = Vec::new();
        let mut roles = Vec::new();
        let mut current: &str = name;
        let base = loop {
            let Some(profile) = self.profile(current) else {
                let why = match visited.last() {
                    None => format!("not found; looked in {}", self.describe(current)),
                    Some(from) => format!(
                        "not found, but profile `{from}` names it as source_profile ({})",
                        self.profile(from).map_or_else(
                            || "nowhere".to_owned(),
                            |p| self.origin_text(p, "source_profile")
                        )
                    ),
                };
                return Err(profile_error(current, why));
            };
            if visited.contains(&current) {
                let mut cycle: Vec<&str> = visited.clone();
                cycle.push(current);
                return Err(profile_error(
                    name,
                    format!("source_profile cycle: {}", cycle.join(" -> ")),
                ));
            }
            visited.push(current);
            let is_source = visited.len() > 1;
            if is_source {
                if let Some(credentials) = complete_static_keys(profile) {
                    break BaseCredentials::Static(credentials);
                }
            }
            if let Some(step) = self.role_step(profile)? {
                let source_profile = profile.get("source_profile");
                let credential_source = profile.get("credential_source");
                roles.push(step);
                match (source_profile, credential_source) {
                    (Some(_), Some(_)) => {
                        return Err(profile_error(
                            current,
                            format!(
                                "has both source_profile ({}) and credential_source ({}); \
                                 a role takes its credentials from one of them",
                                self.origin_text(profile, "source_profile"),
                                self.origin_text(profile, "credential_source")
                            ),
                        ))
                    }
                    (None, None) => {
                        return Err(profile_error(
                            current,
                            format!(
                                "has role_arn ({}) but neither source_profile nor \
                                 credential_source nor web_identity_token_file to get the \
                                 credentials that assume it",
                                self.origin_text(profile, "role_arn")
                            ),
                        ))
                    }
                    (None, Some(source)) => break self.credential_source(profile, source)?,
                    (Some(next), None) if next.trim() == current => {
                        break self.base_credentials(profile, &visited)?
                    }
                    (Some(next), None) => current = next.trim(),
                }
            } else {
                break self.base_credentials(profile, &visited)?;
            }
        };
        roles.reverse();
        Ok(ProfilePlan {
            profile: name.to_owned(),
            base,
            roles,
        })
    }

    /// The role a profile asks for, if any (`role_arn` without `web_identity_token_file`).
    fn role_step(&self, profile: &Profile) -> Result<Option<RoleStep>, AwsError> {
        let Some(role_arn) = profile.get("role_arn") else {
            return Ok(None);
        };
        if profile.get("web_identity_token_file").is_some() {
            return Ok(None);
        }
        if profile.get("mfa_serial").is_some() {
            return Err(profile_error(
                profile.name(),
                format!(
                    "mfa_serial ({}) needs an MFA code typed in for each AssumeRole, which a \
                     Kafka client cannot prompt for; assume the role beforehand (credential_process) \
                     or drop mfa_serial",
                    self.origin_text(profile, "mfa_serial")
                ),
            ));
        }
        let duration_seconds = match profile.get("duration_seconds") {
            None => None,
            Some(text) => Some(text.trim().parse::<u32>().map_err(|_| {
                profile_error(
                    profile.name(),
                    format!(
                        "duration_seconds `{text}` ({}) is not a whole number of seconds",
                        self.origin_text(profile, "duration_seconds")
                    ),
                )
            })?),
        };
        Ok(Some(RoleStep {
            profile: profile.name().to_owned(),
            role_arn: role_arn.trim().to_owned(),
            external_id: profile.get("external_id").map(|s| s.trim().to_owned()),
            role_session_name: profile
                .get("role_session_name")
                .map(|s| s.trim().to_owned()),
            duration_seconds,
            sts_region: profile.get("region").map(|s| s.trim().to_owned()),
        }))
    }

    fn credential_source(
        &self,
        profile: &Profile,
        source: &str,
    ) -> Result<BaseCredentials, AwsError> {
        CredentialSource::from_name(source)
            .map(BaseCredentials::CredentialSource)
            .ok_or_else(|| {
                profile_error(
                    profile.name(),
                    format!(
                        "credential_source `{source}` ({}) is not one of {}",
                        self.origin_text(profile, "credential_source"),
                        CredentialSource::ALL.map(CredentialSource::name).join(", ")
                    ),
                )
            })
    }

    /// The base credentials a profile defines by itself.
    fn base_credentials(
        &self,
        profile: &Profile,
        visited: &[&str],
    ) -> Result<BaseCredentials, AwsError> {
        let name = profile.name();
        // Messages about a source profile say who sent us there.
        let via = match visited {
            [.., from, _] => format!(" (source_profile of `{from}`)"),
            _ => String::new(),
        };
        if let Some(source) = profile.get("credential_source") {
            return self.credential_source(profile, source);
        }
        match (
            profile.get("role_arn"),
            profile.get("web_identity_token_file"),
        ) {
            (Some(role_arn), Some(token_file)) => {
                return Ok(BaseCredentials::WebIdentity {
                    token_file: PathBuf::from(token_file.trim()),
                    role_arn: role_arn.trim().to_owned(),
                    session_name: profile
                        .get("role_session_name")
                        .map(|s| s.trim().to_owned()),
                    sts_region: profile.get("region").map(|s| s.trim().to_owned()),
                })
            }
            (None, Some(_)) => {
                return Err(profile_error(
                    name,
                    format!(
                        "web_identity_token_file ({}) without role_arn{via}",
                        self.origin_text(profile, "web_identity_token_file")
                    ),
                ))
            }
            _ => {}
        }
        let sso_key = [
            "sso_session",
            "sso_start_url",
            "sso_account_id",
            "sso_role_name",
        ]
        .into_iter()
        .find(|key| profile.get(key).is_some());
        if let Some(key) = sso_key {
            return Err(profile_error(
                name,
                format!(
                    "uses AWS IAM Identity Center ({key}, {}){via}, which ottla does not \
                     support; use `credential_process = aws configure export-credentials \
                     --profile {name} --format process` in another profile instead",
                    self.origin_text(profile, key)
                ),
            ));
        }
        if let Some(command) = profile.get("credential_process") {
            return Ok(BaseCredentials::Process {
                command: command.trim().to_owned(),
            });
        }
        if let Some(credentials) = complete_static_keys(profile) {
            return Ok(BaseCredentials::Static(credentials));
        }
        let key_id = profile.get("aws_access_key_id");
        let secret = profile.get("aws_secret_access_key");
        match (key_id, secret) {
            (Some(_), None) => Err(profile_error(
                name,
                format!(
                    "has aws_access_key_id ({}) but no aws_secret_access_key{via}",
                    self.origin_text(profile, "aws_access_key_id")
                ),
            )),
            (None, Some(_)) => Err(profile_error(
                name,
                format!(
                    "has aws_secret_access_key ({}) but no aws_access_key_id{via}",
                    self.origin_text(profile, "aws_secret_access_key")
                ),
            )),
            (Some(_), Some(_)) | (None, None) => Err(profile_error(
                name,
                format!(
                    "has no credentials{via}: none of aws_access_key_id + \
                     aws_secret_access_key, role_arn, credential_process, \
                     web_identity_token_file, credential_source; looked in {}",
                    self.describe(name)
                ),
            )),
        }
    }
}

/// Static keys, if both the key id and the secret are there.
fn complete_static_keys(profile: &Profile) -> Option<AwsCredentials> {
    let key_id = profile.get("aws_access_key_id")?;
    let secret = profile.get("aws_secret_access_key")?;
    Some(AwsCredentials::new(
        key_id.trim(),
        Secret::new(secret.trim()),
        profile
            .get("aws_session_token")
            .map(|t| Secret::new(t.trim())),
        None,
        STATIC_SOURCE,
    ))
}

fn profile_error(profile: &str, why: String) -> AwsError {
    AwsError::Profile {
        profile: profile.to_owned(),
        why,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn files(config: &str, credentials: &str) -> ProfileFiles {
        ProfileFiles::from_contents(
            Some((Path::new("/home/me/.aws/config"), config)),
            Some((Path::new("/home/me/.aws/credentials"), credentials)),
        )
        .unwrap()
    }

    fn static_keys(plan: &ProfilePlan) -> (&str, &str, Option<&str>) {
        match &plan.base {
            BaseCredentials::Static(c) => (
                c.access_key_id(),
                c.secret_access_key().expose(),
                c.session_token().map(Secret::expose),
            ),
            other => panic!("expected static keys, got {other:?}"),
        }
    }

    fn role_arns(plan: &ProfilePlan) -> Vec<&str> {
        plan.roles.iter().map(|r| r.role_arn.as_str()).collect()
    }

    fn error_text(files: &ProfileFiles, name: &str) -> String {
        match files.plan(name) {
            Err(e @ AwsError::Profile { .. }) => e.to_string(),
            other => panic!("expected a profile error, got {other:?}"),
        }
    }

    #[test]
    fn static_keys_only() {
        let f = files(
            "",
            "[default]\naws_access_key_id = AKIA1\naws_secret_access_key = s1\naws_session_token = t1\n",
        );
        let plan = f.plan("default").unwrap();
        assert_eq!(plan.profile, "default");
        assert_eq!(static_keys(&plan), ("AKIA1", "s1", Some("t1")));
        assert!(plan.roles.is_empty());
        match &plan.base {
            BaseCredentials::Static(c) => assert_eq!(c.source(), "profile"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn source_profile_chain_of_two_carries_role_parameters() {
        let f = files(
            "[profile app]\n\
             role_arn = arn:aws:iam::111111111111:role/App\n\
             source_profile = base\n\
             external_id = ext-123\n\
             role_session_name = ottla-app\n\
             duration_seconds = 1800\n\
             region = eu-central-1\n",
            "[base]\naws_access_key_id = AKIABASE\naws_secret_access_key = basesecret\n",
        );
        let plan = f.plan("app").unwrap();
        assert_eq!(static_keys(&plan), ("AKIABASE", "basesecret", None));
        assert_eq!(
            plan.roles,
            [RoleStep {
                profile: "app".into(),
                role_arn: "arn:aws:iam::111111111111:role/App".into(),
                external_id: Some("ext-123".into()),
                role_session_name: Some("ottla-app".into()),
                duration_seconds: Some(1800),
                sts_region: Some("eu-central-1".into()),
            }]
        );
    }

    #[test]
    fn roles_are_ordered_from_base_outwards() {
        let f = files(
            "[profile a]\nrole_arn = arn:aws:iam::1:role/A\nsource_profile = b\n\
             [profile b]\nrole_arn = arn:aws:iam::2:role/B\nsource_profile = c\nregion = us-west-2\n\
             [profile c]\ncredential_source = EcsContainer\nrole_arn = arn:aws:iam::3:role/C\n",
            "",
        );
        let plan = f.plan("a").unwrap();
        assert_eq!(
            plan.base,
            BaseCredentials::CredentialSource(CredentialSource::EcsContainer)
        );
        assert_eq!(
            role_arns(&plan),
            [
                "arn:aws:iam::3:role/C",
                "arn:aws:iam::2:role/B",
                "arn:aws:iam::1:role/A"
            ]
        );
        assert_eq!(plan.roles[1].sts_region.as_deref(), Some("us-west-2"));
        assert_eq!(plan.roles[2].sts_region, None);
    }

    #[test]
    fn static_keys_in_a_source_profile_end_the_chain() {
        // `b` has keys AND a role: as a source profile its keys are used, its role ignored.
        let f = files(
            "[profile a]\nrole_arn = arn:aws:iam::1:role/A\nsource_profile = b\n\
             [profile b]\nrole_arn = arn:aws:iam::2:role/B\nsource_profile = c\n\
             [profile c]\naws_access_key_id = AKIAC\naws_secret_access_key = sc\n",
            "[b]\naws_access_key_id = AKIAB\naws_secret_access_key = sb\n",
        );
        let plan = f.plan("a").unwrap();
        assert_eq!(static_keys(&plan).0, "AKIAB");
        assert_eq!(role_arns(&plan), ["arn:aws:iam::1:role/A"]);
        // Selected directly, `b`'s role wins over its keys: c's keys assume B.
        let plan = f.plan("b").unwrap();
        assert_eq!(static_keys(&plan).0, "AKIAC");
        assert_eq!(role_arns(&plan), ["arn:aws:iam::2:role/B"]);
    }

    #[test]
    fn self_referencing_source_profile_uses_its_own_keys() {
        let f = files(
            "[profile me]\nrole_arn = arn:aws:iam::1:role/Me\nsource_profile = me\n",
            "[me]\naws_access_key_id = AKIAME\naws_secret_access_key = sme\n",
        );
        let plan = f.plan("me").unwrap();
        assert_eq!(static_keys(&plan).0, "AKIAME");
        assert_eq!(role_arns(&plan), ["arn:aws:iam::1:role/Me"]);

        let f = files(
            "[profile me]\nrole_arn = arn:aws:iam::1:role/Me\nsource_profile = me\n",
            "",
        );
        let e = error_text(&f, "me");
        assert!(e.contains("has no credentials"), "{e}");
    }

    #[test]
    fn credential_source_each_kind() {
        for (name, kind) in [
            ("Environment", CredentialSource::Environment),
            ("Ec2InstanceMetadata", CredentialSource::Ec2InstanceMetadata),
            ("ecscontainer", CredentialSource::EcsContainer),
        ] {
            let f = files(
                &format!(
                    "[default]\nrole_arn = arn:aws:iam::1:role/R\ncredential_source = {name}\n"
                ),
                "",
            );
            let plan = f.plan("default").unwrap();
            assert_eq!(plan.base, BaseCredentials::CredentialSource(kind), "{name}");
            assert_eq!(role_arns(&plan), ["arn:aws:iam::1:role/R"]);
        }
        let f = files("[default]\nrole_arn = r\ncredential_source = Laptop\n", "");
        let e = error_text(&f, "default");
        assert!(
            e.contains(
                "credential_source `Laptop` (/home/me/.aws/config line 3) is not one of \
                        Environment, Ec2InstanceMetadata, EcsContainer"
            ),
            "{e}"
        );
    }

    #[test]
    fn cycle_names_the_profiles() {
        let f = files(
            "[profile a]\nrole_arn = ra\nsource_profile = b\n\
             [profile b]\nrole_arn = rb\nsource_profile = c\n\
             [profile c]\nrole_arn = rc\nsource_profile = a\n",
            "",
        );
        let e = error_text(&f, "a");
        assert!(e.contains("source_profile cycle: a -> b -> c -> a"), "{e}");
    }

    #[test]
    fn web_identity_and_credential_process_bases() {
        let f = files(
            "[profile wi]\nrole_arn = arn:aws:iam::1:role/Wi\nweb_identity_token_file = /var/run/token\n\
             role_session_name = wi-session\nregion = eu-west-3\n\
             [profile proc]\ncredential_process = /usr/bin/get-creds --profile \"x y\"\n\
             [profile over-wi]\nrole_arn = arn:aws:iam::2:role/Over\nsource_profile = wi\n\
             [profile over-proc]\nrole_arn = arn:aws:iam::3:role/Over\nsource_profile = proc\n\
             [profile bad-wi]\nweb_identity_token_file = /t\n",
            "",
        );
        let plan = f.plan("wi").unwrap();
        assert_eq!(
            plan.base,
            BaseCredentials::WebIdentity {
                token_file: PathBuf::from("/var/run/token"),
                role_arn: "arn:aws:iam::1:role/Wi".into(),
                session_name: Some("wi-session".into()),
                sts_region: Some("eu-west-3".into()),
            }
        );
        assert!(plan.roles.is_empty());
        let plan = f.plan("proc").unwrap();
        assert_eq!(
            plan.base,
            BaseCredentials::Process {
                command: "/usr/bin/get-creds --profile \"x y\"".into()
            }
        );
        let plan = f.plan("over-wi").unwrap();
        assert!(matches!(plan.base, BaseCredentials::WebIdentity { .. }));
        assert_eq!(role_arns(&plan), ["arn:aws:iam::2:role/Over"]);
        let plan = f.plan("over-proc").unwrap();
        assert!(matches!(plan.base, BaseCredentials::Process { .. }));
        let e = error_text(&f, "bad-wi");
        assert!(
            e.contains("web_identity_token_file (/home/me/.aws/config line"),
            "{e}"
        );
        assert!(e.contains("without role_arn"), "{e}");
    }

    #[test]
    fn inconsistent_profiles_are_errors() {
        let f = files(
            "[profile neither]\nrole_arn = arn:aws:iam::1:role/N\n\
             [profile both]\nrole_arn = r\nsource_profile = x\ncredential_source = Environment\n\
             [profile dangling]\nrole_arn = r\nsource_profile = nowhere\n\
             [profile partial]\naws_access_key_id = AKIA\n\
             [profile over-partial]\nrole_arn = r\nsource_profile = partial\n\
             [profile empty]\nregion = us-east-1\n\
             [profile sso]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = R\n\
             [profile mfa]\nrole_arn = r\nsource_profile = partial\nmfa_serial = arn:mfa\n\
             [profile long]\nrole_arn = r\ncredential_source = Environment\nduration_seconds = 1h\n",
            "",
        );
        let e = error_text(&f, "neither");
        assert!(
            e.starts_with("AWS profile `neither`: has role_arn (/home/me/.aws/config line 2) but neither source_profile nor credential_source"),
            "{e}"
        );
        let e = error_text(&f, "both");
        assert!(e.contains("has both source_profile"), "{e}");
        let e = error_text(&f, "dangling");
        assert!(
            e.starts_with("AWS profile `nowhere`: not found, but profile `dangling` names it"),
            "{e}"
        );
        let e = error_text(&f, "partial");
        assert!(
            e.contains(
                "has aws_access_key_id (/home/me/.aws/config line 11) but no aws_secret_access_key"
            ),
            "{e}"
        );
        let e = error_text(&f, "over-partial");
        assert!(
            e.contains("but no aws_secret_access_key (source_profile of `over-partial`)"),
            "{e}"
        );
        let e = error_text(&f, "empty");
        assert!(e.contains("has no credentials"), "{e}");
        let e = error_text(&f, "sso");
        assert!(e.contains("AWS IAM Identity Center (sso_session"), "{e}");
        let e = error_text(&f, "mfa");
        assert!(e.contains("mfa_serial"), "{e}");
        let e = error_text(&f, "long");
        assert!(e.contains("duration_seconds `1h`"), "{e}");
        let e = error_text(&f, "missing");
        assert!(
            e.contains("AWS profile `missing`: not found; looked in profile `missing` in /home/me/.aws/config and /home/me/.aws/credentials"),
            "{e}"
        );
    }
}
