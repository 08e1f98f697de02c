//! The AWS shared config and credentials files (`~/.aws/config`, `~/.aws/credentials`), read
//! the way the AWS SDKs read them.
//!
//! - Where: `AWS_CONFIG_FILE` and `AWS_SHARED_CREDENTIALS_FILE` (a leading `~/` is the home
//!   directory), else `.aws/config` and `.aws/credentials` under [`AwsEnv::home`]. A file
//!   that does not exist is empty; one that cannot be read or parsed is an error.
//! - Which profile: [`selected_profile_name`].
//! - Profiles are `[profile name]` in the config file and `[name]` in the credentials file;
//!   `[default]` in both. In the config file `[profile default]` wins over `[default]` if both
//!   are there (as in the SDKs); `[sso-session …]` and `[services …]` sections are skipped.
//! - For the same profile, a key in the credentials file wins over the same key in the config
//!   file; within one file, the last definition wins.
//! - The INI dialect (comments, continuation lines, nested sections) is described in
//!   `parse.rs`.

mod files;
mod parse;

use std::collections::BTreeMap;
use std::fmt;

pub use files::ProfileFiles;

use super::env::AwsEnv;

/// Which of the two shared files a value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProfileFileKind {
    /// The config file (`AWS_CONFIG_FILE`, `~/.aws/config`).
    Config,
    /// The credentials file (`AWS_SHARED_CREDENTIALS_FILE`, `~/.aws/credentials`).
    Credentials,
}

impl fmt::Display for ProfileFileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Config => "config file",
            Self::Credentials => "credentials file",
        })
    }
}

/// One property of a profile, with where it was defined.
#[derive(Clone, PartialEq, Eq)]
struct ProfileValue {
    value: String,
    file: ProfileFileKind,
    line: usize,
    nested: BTreeMap<String, String>,
}

/// One profile: its properties from both files, credentials-file values over config-file
/// values. `Debug` lists the keys only (values include secret keys).
#[derive(Clone, PartialEq, Eq)]
pub struct Profile {
    name: String,
    values: BTreeMap<String, ProfileValue>,
}

impl Profile {
    fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            values: BTreeMap::new(),
        }
    }

    fn set(&mut self, key: &str, value: ProfileValue) {
        self.values.insert(key.to_owned(), value);
    }

    /// The profile's name (`default`, `dev`, …), without the `profile ` prefix.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A property's value (keys are compared as written, case and all). An empty value
    /// (`aws_session_token =`) counts as unset, as in the environment.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values
            .get(key)
            .map(|v| v.value.as_str())
            .filter(|v| !v.is_empty())
    }

    /// A value of a nested section: `nested("s3", "addressing_style")` for
    /// `s3 =` / `  addressing_style = path`.
    pub fn nested(&self, key: &str, sub_key: &str) -> Option<&str> {
        self.values
            .get(key)?
            .nested
            .get(sub_key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// Whether `key` is defined at all (even empty).
    pub fn contains(&self, key: &str) -> bool {
        self.values.contains_key(key)
    }

    /// The keys defined, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str)
    }

    /// Where `key` was defined: the file and the 1-based line.
    pub fn origin(&self, key: &str) -> Option<(ProfileFileKind, usize)> {
        self.values.get(key).map(|v| (v.file, v.line))
    }
}

impl fmt::Debug for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Profile")
            .field("name", &self.name)
            .field("keys", &self.values.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// The profile to use: `explicit` (the `aws.profile` setting) if given and not blank, else
/// `AWS_PROFILE`, else `default`.
pub fn selected_profile_name(explicit: Option<&str>, env: &AwsEnv) -> String {
    explicit
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .or_else(|| env.get("AWS_PROFILE").map(str::trim))
        .unwrap_or("default")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selected_profile_order() {
        let env = AwsEnv::from_vars([("AWS_PROFILE", "from-env")]);
        assert_eq!(selected_profile_name(Some("explicit"), &env), "explicit");
        assert_eq!(selected_profile_name(Some("  "), &env), "from-env");
        assert_eq!(selected_profile_name(None, &env), "from-env");
        assert_eq!(selected_profile_name(None, &AwsEnv::default()), "default");
        let empty = AwsEnv::from_vars([("AWS_PROFILE", "")]);
        assert_eq!(selected_profile_name(None, &empty), "default");
    }

    #[test]
    fn debug_shows_keys_not_values() {
        let mut p = Profile::new("p");
        p.set(
            "aws_secret_access_key",
            ProfileValue {
                value: "hunter2".into(),
                file: ProfileFileKind::Credentials,
                line: 3,
                nested: BTreeMap::new(),
            },
        );
        let d = format!("{p:?}");
        assert!(
            d.contains("aws_secret_access_key") && !d.contains("hunter2"),
            "{d}"
        );
        assert_eq!(
            p.origin("aws_secret_access_key"),
            Some((ProfileFileKind::Credentials, 3))
        );
    }
}
