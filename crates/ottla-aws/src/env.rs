//! A snapshot of the environment variables the AWS credential chain reads.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// Environment variables, taken once. Providers read this instead of the process
/// environment, so tests can give each case its own variables. `Debug` lists the names only.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct AwsEnv {
    vars: BTreeMap<String, String>,
}

impl AwsEnv {
    /// The process environment now (every variable that is valid UTF-8).
    pub fn from_process() -> Self {
        Self::from_vars(
            std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))),
        )
    }

    /// The given variables only.
    pub fn from_vars<K: Into<String>, V: Into<String>>(
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self {
            vars: vars
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// This snapshot with `name` set to `value`.
    pub fn with(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.vars.insert(name.into(), value.into());
        self
    }

    /// A variable's value; an empty value counts as unset (as in the AWS SDKs).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }

    /// The home directory: `HOME`, else `USERPROFILE`.
    pub fn home(&self) -> Option<PathBuf> {
        self.get("HOME")
            .or_else(|| self.get("USERPROFILE"))
            .map(PathBuf::from)
    }
}

impl fmt::Debug for AwsEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(self.vars.keys().filter(|k| k.starts_with("AWS_")))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_is_unset_and_debug_has_no_values() {
        let env = AwsEnv::from_vars([("AWS_REGION", ""), ("AWS_SECRET_ACCESS_KEY", "hunter2")])
            .with("HOME", "/home/me");
        assert_eq!(env.get("AWS_REGION"), None);
        assert_eq!(env.get("AWS_SECRET_ACCESS_KEY"), Some("hunter2"));
        assert_eq!(env.home(), Some(PathBuf::from("/home/me")));
        assert!(!format!("{env:?}").contains("hunter2"));
    }
}
