//! The `e=` values of RFC 5802's server-final-message.

use std::fmt;

/// What a SCRAM server said in `e=<server-error-value>` (RFC 5802 §7).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScramServerError {
    /// `invalid-encoding`.
    InvalidEncoding,
    /// `extensions-not-supported`.
    ExtensionsNotSupported,
    /// `invalid-proof`: wrong password (or unknown user, for servers that hide it).
    InvalidProof,
    /// `channel-bindings-dont-match`.
    ChannelBindingsDontMatch,
    /// `server-does-support-channel-binding`.
    ServerDoesSupportChannelBinding,
    /// `channel-binding-not-supported`.
    ChannelBindingNotSupported,
    /// `unsupported-channel-binding-type`.
    UnsupportedChannelBindingType,
    /// `unknown-user`.
    UnknownUser,
    /// `invalid-username-encoding`.
    InvalidUsernameEncoding,
    /// `no-resources`.
    NoResources,
    /// `other-error`.
    OtherError,
    /// Any other value, as the server sent it.
    Other(String),
}

impl ScramServerError {
    /// The error for an `e=` value.
    pub fn from_value(value: &str) -> Self {
        match value {
            "invalid-encoding" => Self::InvalidEncoding,
            "extensions-not-supported" => Self::ExtensionsNotSupported,
            "invalid-proof" => Self::InvalidProof,
            "channel-bindings-dont-match" => Self::ChannelBindingsDontMatch,
            "server-does-support-channel-binding" => Self::ServerDoesSupportChannelBinding,
            "channel-binding-not-supported" => Self::ChannelBindingNotSupported,
            "unsupported-channel-binding-type" => Self::UnsupportedChannelBindingType,
            "unknown-user" => Self::UnknownUser,
            "invalid-username-encoding" => Self::InvalidUsernameEncoding,
            "no-resources" => Self::NoResources,
            "other-error" => Self::OtherError,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The server's text.
    pub fn as_str(&self) -> &str {
        match self {
            Self::InvalidEncoding => "invalid-encoding",
            Self::ExtensionsNotSupported => "extensions-not-supported",
            Self::InvalidProof => "invalid-proof",
            Self::ChannelBindingsDontMatch => "channel-bindings-dont-match",
            Self::ServerDoesSupportChannelBinding => "server-does-support-channel-binding",
            Self::ChannelBindingNotSupported => "channel-binding-not-supported",
            Self::UnsupportedChannelBindingType => "unsupported-channel-binding-type",
            Self::UnknownUser => "unknown-user",
            Self::InvalidUsernameEncoding => "invalid-username-encoding",
            Self::NoResources => "no-resources",
            Self::OtherError => "other-error",
            Self::Other(s) => s,
        }
    }
}

impl fmt::Display for ScramServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip() {
        for v in [
            "invalid-encoding",
            "extensions-not-supported",
            "invalid-proof",
            "channel-bindings-dont-match",
            "server-does-support-channel-binding",
            "channel-binding-not-supported",
            "unsupported-channel-binding-type",
            "unknown-user",
            "invalid-username-encoding",
            "no-resources",
            "other-error",
            "something-new",
        ] {
            assert_eq!(ScramServerError::from_value(v).as_str(), v);
        }
        assert_eq!(
            ScramServerError::from_value("invalid-proof"),
            ScramServerError::InvalidProof
        );
        assert_eq!(
            ScramServerError::from_value("x"),
            ScramServerError::Other("x".into())
        );
    }
}
