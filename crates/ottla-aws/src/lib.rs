//! AWS for MSK: credentials the way the AWS SDKs find them, the HTTP they need (STS, Secrets
//! Manager, EC2 IMDS, ECS) on ottla's own tokio + rustls transport, and region resolution.
//!
//! Everything that reads the environment takes an [`AwsEnv`] snapshot instead of the process
//! environment, and everything that looks at the time takes a [`Clock`], so tests can run side
//! by side with their own variables and time.

#![forbid(unsafe_code)]

mod env;
mod error;
mod http;

pub use env::AwsEnv;
pub use http::{HttpClient, HttpRequest, HttpResponse};
// The credential types and error live in ottla-sasl, whose MSK IAM signer takes them without
// depending on this crate's I/O; they are this crate's too.
pub use ottla_sasl::aws::{
    AwsCredentials, AwsError, BoxFuture, Clock, ProvideAwsCredentials, SourceFailure,
};
pub use ottla_sasl::Secret;

// STS, Secrets Manager, SigV4 request signing and the providers that go through STS.
mod assume_role;
mod cached;
mod endpoints;
#[cfg(feature = "sdk-credentials")]
mod sdk_credentials;
mod secrets_manager;
mod sigv4_request;
mod sts;
mod web_identity;

pub use assume_role::{AssumeRoleBuilder, AssumeRoleProvider, DEFAULT_SESSION_NAME};
pub use cached::{CachedCredentials, DEFAULT_REFRESH_WINDOW, DEFAULT_RETRY_INTERVAL};
pub use endpoints::{dns_suffix, secrets_manager_endpoint, sts_endpoint, validate_region};
#[cfg(feature = "sdk-credentials")]
pub use sdk_credentials::SdkCredentialsProvider;
pub use secrets_manager::{
    ScramSecret, SecretValue, SecretsManagerClient, DEFAULT_SECRETS_MANAGER_TIMEOUT,
};
pub use sigv4_request::sign_request;
pub use sts::{
    validate_session_name, AssumeRoleRequest, AssumeRoleWithWebIdentityRequest, AssumedRole,
    CallerIdentity, RoleArn, StsClient, DEFAULT_STS_TIMEOUT, MAX_SESSION_DURATION,
    MIN_SESSION_DURATION,
};
pub use web_identity::WebIdentityProvider;

// Local credential sources (environment, shared files, credential_process, ECS, EC2 IMDS),
// profile plans and region resolution.
mod credential_document;
mod credential_process;
mod ecs;
mod env_credentials;
#[doc(hidden)]
pub mod fuzzing;
mod imds;
mod profile;
mod profile_chain;
mod region;
mod shell_words;
#[cfg(test)]
mod test_dir;
#[cfg(test)]
mod test_http_server;

pub use credential_process::CredentialProcess;
pub use ecs::EcsCredentials;
pub use env_credentials::EnvCredentials;
pub use imds::ImdsCredentials;
pub use profile::{selected_profile_name, Profile, ProfileFileKind, ProfileFiles};
pub use profile_chain::{BaseCredentials, CredentialSource, ProfilePlan, RoleStep};
pub use region::{resolve_region, resolve_region_with_imds};

// The default chain, assembled from the sources above.
mod default_chain;
mod service_endpoint;
mod static_credentials;

pub use default_chain::DefaultCredentialsChain;
pub use service_endpoint::ServiceEndpoint;
pub use static_credentials::StaticCredentials;
