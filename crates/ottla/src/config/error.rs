//! Configuration errors, each naming the key at fault.

/// A configuration key or value was rejected.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The key is not a property ottla, the Java client or librdkafka knows.
    #[error("unknown configuration property {key:?}{}", did_you_mean(suggestion.as_deref()))]
    UnknownKey {
        /// The key.
        key: String,
        /// The known key closest to it, if one is close.
        suggestion: Option<String>,
    },
    /// The value does not parse or is out of range.
    #[error("invalid value {value:?} for {key}: {expected}")]
    InvalidValue {
        /// The key.
        key: String,
        /// The value given.
        value: String,
        /// What was expected.
        expected: String,
    },
    /// A required key is missing.
    #[error("{key} is required{}", because.as_deref().map(|b| format!(" ({b})")).unwrap_or_default())]
    Missing {
        /// The key.
        key: String,
        /// The setting that needs it, when another one does (`security.protocol=SASL_SSL`
        /// needs `sasl.mechanism`).
        because: Option<String>,
    },
    /// A line of a properties file is not `key=value`.
    #[error("{file}:{line}: expected key=value, got {text:?}")]
    Syntax {
        /// The file.
        file: String,
        /// The 1-based line number.
        line: usize,
        /// The offending text.
        text: String,
    },
    /// A properties file could not be read.
    #[error("cannot read properties file {file}: {message}")]
    Unreadable {
        /// The file.
        file: String,
        /// The error.
        message: String,
    },
    /// An AWS setting could not be resolved: no region anywhere, a broken profile, an
    /// invalid role.
    #[error("{key}: {source}")]
    Aws {
        /// The key to set or fix.
        key: String,
        /// What went wrong.
        source: ottla_aws::AwsError,
    },
}

impl ConfigError {
    /// An AWS setting that cannot be resolved (region, profile, role).
    pub(crate) fn aws(key: &str, source: ottla_aws::AwsError) -> Self {
        ConfigError::Aws {
            key: key.to_owned(),
            source,
        }
    }

    pub(crate) fn invalid(key: &str, value: &str, expected: impl Into<String>) -> Self {
        ConfigError::InvalidValue {
            key: key.to_owned(),
            value: value.to_owned(),
            expected: expected.into(),
        }
    }

    /// An unknown key, with the known key closest to it as a suggestion.
    pub fn unknown_key(key: &str) -> Self {
        ConfigError::UnknownKey {
            key: key.to_owned(),
            suggestion: super::keys::closest_key(key).map(str::to_owned),
        }
    }

    /// The key this error is about, where there is one.
    pub fn key(&self) -> Option<&str> {
        match self {
            ConfigError::UnknownKey { key, .. }
            | ConfigError::InvalidValue { key, .. }
            | ConfigError::Missing { key, .. }
            | ConfigError::Aws { key, .. } => Some(key),
            _ => None,
        }
    }
}

fn did_you_mean(suggestion: Option<&str>) -> String {
    suggestion.map_or_else(String::new, |s| format!(" (did you mean {s:?}?)"))
}
