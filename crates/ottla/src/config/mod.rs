//! Typed configuration, with Kafka's property names accepted as strings.

mod client;
mod error;
mod keys;
pub(crate) mod parse;
mod properties;
mod security;

pub use client::{is_client_key, ClientConfig, ClientConfigBuilder, CLIENT_KEYS};
pub use error::ConfigError;
pub use keys::{closest_key, is_foreign_key, FOREIGN_KEYS};
pub use properties::{parse_properties_file, Properties};
pub use security::{
    AwsSettings, OauthMethod, SaslMechanism, SecurityProtocol, SecuritySettings, TlsSettings,
    SECURITY_KEYS,
};
