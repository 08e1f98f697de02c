//! Finding, reading and merging the two shared files.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use super::parse::{parse_ini, RawSection};
use super::{Profile, ProfileFileKind, ProfileValue};
use crate::env::AwsEnv;
use crate::error::AwsError;

/// One of the two files: where it is and whether it was there.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct FileInfo {
    path: Option<PathBuf>,
    found: bool,
}

/// The shared config and credentials files, parsed and merged into profiles.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProfileFiles {
    config: FileInfo,
    credentials: FileInfo,
    profiles: BTreeMap<String, Profile>,
}

impl ProfileFiles {
    /// Reads the files `env` points at (see the module docs). Missing files are empty;
    /// unreadable or malformed files are an error naming the file (and the line).
    pub fn load(env: &AwsEnv) -> Result<Self, AwsError> {
        Self::from_paths(
            file_path(env, "AWS_CONFIG_FILE", "config").as_deref(),
            file_path(env, "AWS_SHARED_CREDENTIALS_FILE", "credentials").as_deref(),
        )
    }

    /// Reads the given files (`None`: no such file).
    pub fn from_paths(config: Option<&Path>, credentials: Option<&Path>) -> Result<Self, AwsError> {
        let read = |path: Option<&Path>, kind| -> Result<Option<(PathBuf, String)>, AwsError> {
            let Some(path) = path else { return Ok(None) };
            match std::fs::read(path) {
                Ok(bytes) => match String::from_utf8(bytes) {
                    Ok(text) => Ok(Some((path.to_owned(), text))),
                    Err(e) => Err(AwsError::Invalid {
                        what: format!("AWS {kind} {}", path.display()),
                        why: format!("not UTF-8 text ({})", e.utf8_error()),
                    }),
                },
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(AwsError::Invalid {
                    what: format!("AWS {kind} {}", path.display()),
                    why: format!("cannot read it: {e}"),
                }),
            }
        };
        let config_text = read(config, ProfileFileKind::Config)?;
        let credentials_text = read(credentials, ProfileFileKind::Credentials)?;
        let mut files = Self::from_contents(
            config_text.as_ref().map(|(p, t)| (p.as_path(), t.as_str())),
            credentials_text
                .as_ref()
                .map(|(p, t)| (p.as_path(), t.as_str())),
        )?;
        // Keep the paths of missing files too: messages say where we looked.
        files.config.path = config.map(Path::to_owned);
        files.credentials.path = credentials.map(Path::to_owned);
        Ok(files)
    }

    /// Parses file contents already in memory: each `Some((path, text))`, the path only for
    /// messages. `None` is a missing file.
    pub fn from_contents(
        config: Option<(&Path, &str)>,
        credentials: Option<(&Path, &str)>,
    ) -> Result<Self, AwsError> {
        let mut files = Self::default();
        if let Some((path, text)) = config {
            files.config = FileInfo {
                path: Some(path.to_owned()),
                found: true,
            };
            let sections = parse_file(path, text)?;
            files.merge_config(&sections);
        }
        if let Some((path, text)) = credentials {
            files.credentials = FileInfo {
                path: Some(path.to_owned()),
                found: true,
            };
            let sections = parse_file(path, text)?;
            files.merge_credentials(&sections);
        }
        Ok(files)
    }

    fn merge_config(&mut self, sections: &[RawSection]) {
        // `[profile default]` beats `[default]` when the config file has both.
        let has_profile_default = sections
            .iter()
            .any(|s| config_profile_name(&s.header) == Some(("default", false)));
        for section in sections {
            match config_profile_name(&section.header) {
                Some(("default", true)) if has_profile_default => {
                    tracing::warn!(
                        line = section.line,
                        "AWS config file: [default] ignored because [profile default] is also there"
                    );
                }
                Some((name, _)) => self.merge(name, section, ProfileFileKind::Config),
                None if is_known_other_section(&section.header) => {}
                None => tracing::warn!(
                    section = %section.header,
                    line = section.line,
                    "AWS config file: section is not a profile (profiles are written [profile name]); ignored"
                ),
            }
        }
    }

    fn merge_credentials(&mut self, sections: &[RawSection]) {
        for section in sections {
            if section.header.starts_with("profile ") {
                tracing::warn!(
                    section = %section.header,
                    line = section.line,
                    "AWS credentials file: profiles there are written [name], without `profile`; ignored"
                );
                continue;
            }
            self.merge(&section.header, section, ProfileFileKind::Credentials);
        }
    }

    fn merge(&mut self, name: &str, section: &RawSection, file: ProfileFileKind) {
        let profile = self
            .profiles
            .entry(name.to_owned())
            .or_insert_with(|| Profile::new(name));
        for property in &section.properties {
            profile.set(
                &property.key,
                ProfileValue {
                    value: property.value.clone(),
                    file,
                    line: property.line,
                    nested: property.nested.iter().cloned().collect(),
                },
            );
        }
    }

    /// A profile by name (without the `profile ` prefix).
    pub fn profile(&self, name: &str) -> Option<&Profile> {
        self.profiles.get(name)
    }

    /// The names of all profiles, sorted.
    pub fn profile_names(&self) -> impl Iterator<Item = &str> {
        self.profiles.keys().map(String::as_str)
    }

    /// Whether neither file defines a profile.
    pub fn is_empty(&self) -> bool {
        self.profiles.is_empty()
    }

    /// Where the file of `kind` is (or would be): `None` if no path could be found (no
    /// variable and no home directory).
    pub fn path(&self, kind: ProfileFileKind) -> Option<&Path> {
        self.info(kind).path.as_deref()
    }

    /// Whether the file of `kind` existed and was read.
    pub fn found(&self, kind: ProfileFileKind) -> bool {
        self.info(kind).found
    }

    fn info(&self, kind: ProfileFileKind) -> &FileInfo {
        match kind {
            ProfileFileKind::Config => &self.config,
            ProfileFileKind::Credentials => &self.credentials,
        }
    }

    /// `profile `name` in /home/me/.aws/config and /home/me/.aws/credentials`, for messages:
    /// the files that were read, else where they were looked for.
    pub fn describe(&self, name: &str) -> String {
        let kinds = [ProfileFileKind::Config, ProfileFileKind::Credentials];
        let found: Vec<String> = kinds
            .iter()
            .filter(|k| self.found(**k))
            .filter_map(|k| self.path(*k).map(|p| p.display().to_string()))
            .collect();
        if !found.is_empty() {
            return format!("profile `{name}` in {}", found.join(" and "));
        }
        let looked: Vec<String> = kinds
            .iter()
            .filter_map(|k| self.path(*k).map(|p| p.display().to_string()))
            .collect();
        if looked.is_empty() {
            format!("profile `{name}` (no config or credentials file: no home directory)")
        } else {
            format!("profile `{name}` (no file at {})", looked.join(" or "))
        }
    }

    /// Where a key of a profile was defined, `/home/me/.aws/config line 7`, for messages.
    pub(crate) fn origin_text(&self, profile: &Profile, key: &str) -> String {
        match profile.origin(key) {
            Some((kind, line)) => match self.path(kind) {
                Some(path) => format!("{} line {line}", path.display()),
                None => format!("{kind} line {line}"),
            },
            None => "nowhere".into(),
        }
    }
}

/// The path of one file: the variable (with `~/` expanded), else `~/.aws/<default_name>`.
fn file_path(env: &AwsEnv, variable: &str, default_name: &str) -> Option<PathBuf> {
    match env.get(variable) {
        Some(value) => {
            let value = value.trim();
            match value
                .strip_prefix("~/")
                .or_else(|| value.strip_prefix("~\\"))
            {
                Some(rest) => Some(
                    env.home()
                        .map_or_else(|| PathBuf::from(value), |h| h.join(rest)),
                ),
                None if value == "~" => env.home(),
                None => Some(PathBuf::from(value)),
            }
        }
        None => env.home().map(|home| home.join(".aws").join(default_name)),
    }
}

fn parse_file(path: &Path, text: &str) -> Result<Vec<RawSection>, AwsError> {
    parse_ini(text).map_err(|e| AwsError::Profile {
        profile: e
            .section
            .as_deref()
            .map(|h| config_profile_name(h).map_or(h, |(name, _)| name))
            .unwrap_or("(none)")
            .to_owned(),
        why: format!("{} line {}: {}", path.display(), e.line, e.why),
    })
}

/// The profile a config-file section header names, and whether it was the bare
/// `[default]`: `default` → (`default`, true), `profile x` → (`x`, false).
fn config_profile_name(header: &str) -> Option<(&str, bool)> {
    if header == "default" {
        return Some(("default", true));
    }
    let rest = header.strip_prefix("profile")?;
    if !rest.starts_with([' ', '\t']) {
        return None;
    }
    let name = rest.trim();
    (!name.is_empty()).then_some((name, false))
}

/// Config-file sections that are not profiles and are skipped without a warning.
fn is_known_other_section(header: &str) -> bool {
    ["sso-session", "services"].iter().any(|kind| {
        header
            .strip_prefix(kind)
            .is_some_and(|rest| rest.starts_with([' ', '\t']))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_dir::TestDir;

    const CONFIG: &str = "\
# my config
[default]
region = eu-west-1
output = json

[profile dev]   ; the dev account
region = us-east-2
role_arn = arn:aws:iam::123456789012:role/Dev
source_profile = default

[dev]
region = ignored-not-a-config-profile

[sso-session corp]
sso_region = us-east-1
";

    const CREDENTIALS: &str = "\
[default]
aws_access_key_id = AKIADEFAULT
aws_secret_access_key = defaultsecret
region = ap-south-1

[dev]
aws_access_key_id = AKIADEV
aws_secret_access_key = devsecret

[profile shouldnotbe]
aws_access_key_id = AKIANOPE
";

    #[test]
    fn both_files_merged_credentials_win() {
        let dir = TestDir::new("profile-both");
        let env = AwsEnv::default().with("HOME", dir.path().to_string_lossy());
        dir.write(".aws/config", CONFIG);
        dir.write(".aws/credentials", CREDENTIALS);
        let files = ProfileFiles::load(&env).unwrap();
        let names: Vec<&str> = files.profile_names().collect();
        assert_eq!(names, ["default", "dev"]);

        let default = files.profile("default").unwrap();
        // Same key in both files: the credentials file wins.
        assert_eq!(default.get("region"), Some("ap-south-1"));
        assert_eq!(default.get("output"), Some("json"));
        assert_eq!(default.get("aws_access_key_id"), Some("AKIADEFAULT"));
        assert_eq!(
            default.origin("region"),
            Some((ProfileFileKind::Credentials, 4))
        );
        assert_eq!(default.origin("output"), Some((ProfileFileKind::Config, 4)));

        // `[profile dev]` in config and `[dev]` in credentials are one profile; `[dev]` in
        // config is not a profile.
        let dev = files.profile("dev").unwrap();
        assert_eq!(dev.get("region"), Some("us-east-2"));
        assert_eq!(dev.get("aws_access_key_id"), Some("AKIADEV"));
        assert_eq!(dev.get("source_profile"), Some("default"));
        assert!(files.profile("profile shouldnotbe").is_none());
        assert!(files.profile("shouldnotbe").is_none());
        assert!(files.profile("corp").is_none());

        assert!(files.found(ProfileFileKind::Config));
        assert_eq!(
            files.path(ProfileFileKind::Credentials),
            Some(dir.path().join(".aws/credentials").as_path())
        );
        assert_eq!(
            files.describe("dev"),
            format!(
                "profile `dev` in {} and {}",
                dir.path().join(".aws/config").display(),
                dir.path().join(".aws/credentials").display()
            )
        );
    }

    #[test]
    fn variables_override_locations() {
        let dir = TestDir::new("profile-vars");
        dir.write("elsewhere/cfg", "[profile x]\nregion = sa-east-1\n");
        dir.write("elsewhere/creds", "[y]\naws_access_key_id = A\n");
        dir.write(".aws/config", "[profile z]\n");
        let env = AwsEnv::default()
            .with("HOME", dir.path().to_string_lossy())
            .with("AWS_CONFIG_FILE", "~/elsewhere/cfg")
            .with(
                "AWS_SHARED_CREDENTIALS_FILE",
                dir.path().join("elsewhere/creds").to_string_lossy(),
            );
        let files = ProfileFiles::load(&env).unwrap();
        let names: Vec<&str> = files.profile_names().collect();
        assert_eq!(names, ["x", "y"]);
        assert_eq!(files.profile("x").unwrap().get("region"), Some("sa-east-1"));
    }

    #[test]
    fn missing_files_are_empty() {
        let dir = TestDir::new("profile-missing");
        let env = AwsEnv::default().with("HOME", dir.path().to_string_lossy());
        let files = ProfileFiles::load(&env).unwrap();
        assert!(files.is_empty());
        assert!(!files.found(ProfileFileKind::Config));
        assert_eq!(
            files.describe("default"),
            format!(
                "profile `default` (no file at {} or {})",
                dir.path().join(".aws/config").display(),
                dir.path().join(".aws/credentials").display()
            )
        );
        // No home and no variables: nothing to read, not an error.
        let files = ProfileFiles::load(&AwsEnv::default()).unwrap();
        assert!(files.is_empty());
        assert_eq!(files.path(ProfileFileKind::Config), None);
    }

    #[test]
    fn malformed_file_names_file_and_line() {
        let dir = TestDir::new("profile-malformed");
        dir.write(
            ".aws/credentials",
            "[default]\naws_access_key_id = A\nsecretwithoutequals\n",
        );
        let env = AwsEnv::default().with("HOME", dir.path().to_string_lossy());
        let e = ProfileFiles::load(&env).unwrap_err();
        let path = dir.path().join(".aws/credentials");
        match &e {
            AwsError::Profile { profile, why } => {
                assert_eq!(profile, "default");
                assert!(
                    why.starts_with(&format!("{} line 3: ", path.display())),
                    "{why}"
                );
            }
            other => panic!("unexpected {other:?}"),
        }
        // The malformed line may be a secret: only its start is shown.
        assert!(!e.to_string().contains("secretwithoutequals"), "{e}");

        dir.write(
            ".aws/config",
            "[profile dev]\nregion = x\n[profile broken\n",
        );
        let e = ProfileFiles::load(&env).unwrap_err();
        assert!(
            e.to_string().contains("config line 3: section header"),
            "{e}"
        );
    }

    #[test]
    fn unreadable_file_is_an_error() {
        let dir = TestDir::new("profile-unreadable");
        // A directory where the file should be cannot be read.
        std::fs::create_dir_all(dir.path().join(".aws/config")).unwrap();
        let env = AwsEnv::default().with("HOME", dir.path().to_string_lossy());
        let e = ProfileFiles::load(&env).unwrap_err();
        assert!(matches!(e, AwsError::Invalid { .. }), "{e:?}");
        assert!(e.to_string().contains("cannot read it"), "{e}");
        dir.write("bin", "");
        std::fs::write(dir.path().join("bin"), [0xff, 0xfe, b'[']).unwrap();
        let e = ProfileFiles::from_paths(Some(&dir.path().join("bin")), None).unwrap_err();
        assert!(e.to_string().contains("not UTF-8"), "{e}");
    }

    #[test]
    fn profile_default_beats_bare_default_in_config() {
        let files = ProfileFiles::from_contents(
            Some((
                Path::new("/c"),
                "[default]\nregion = a\nkept = yes\n[profile default]\nregion = b\n",
            )),
            None,
        )
        .unwrap();
        let p = files.profile("default").unwrap();
        assert_eq!(p.get("region"), Some("b"));
        assert_eq!(p.get("kept"), None);
    }

    #[test]
    fn section_names() {
        assert_eq!(config_profile_name("default"), Some(("default", true)));
        assert_eq!(config_profile_name("profile  a b "), Some(("a b", false)));
        assert_eq!(config_profile_name("profile\tx"), Some(("x", false)));
        assert_eq!(config_profile_name("profilex"), None);
        assert_eq!(config_profile_name("profile"), None);
        assert_eq!(config_profile_name("dev"), None);
        assert!(is_known_other_section("sso-session corp"));
        assert!(!is_known_other_section("sso-sessions"));
    }
}
