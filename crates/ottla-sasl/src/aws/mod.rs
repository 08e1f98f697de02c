//! What the MSK IAM signer needs from AWS: [`AwsCredentials`], the [`ProvideAwsCredentials`]
//! trait every credential source implements, an injectable [`Clock`] and [`AwsError`].
//!
//! The sources themselves (environment, profiles, STS, ECS, EC2 IMDS, the default chain) and
//! Secrets Manager live in the `ottla-aws` crate, which does the I/O; this module does none.

mod clock;
mod credentials;
mod error;

pub use clock::Clock;
pub use credentials::{AwsCredentials, BoxFuture, ProvideAwsCredentials};
pub use error::{AwsError, SourceFailure};
