//! Property values as the config builders read them.

use super::ConfigError;

/// An integer in `min..=max`, or an error naming `key`.
pub(crate) fn parse_u64(key: &str, value: &str, min: u64, max: u64) -> Result<u64, ConfigError> {
    match value.trim().parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(ConfigError::invalid(
            key,
            value,
            format!("an integer from {min} to {max}"),
        )),
    }
}

/// `true` or `false` (any case), or an error naming `key`.
pub(crate) fn parse_bool(key: &str, value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(ConfigError::invalid(key, value, "true or false")),
    }
}
