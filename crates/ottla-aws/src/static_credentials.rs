//! Fixed credentials as a provider (a profile's static keys, tests, callers that manage
//! their own keys).

use super::{AwsCredentials, AwsError, BoxFuture, ProvideAwsCredentials};

/// Always the same credentials.
#[derive(Debug, Clone)]
pub struct StaticCredentials(AwsCredentials);

impl StaticCredentials {
    /// A provider that returns `credentials`.
    pub fn new(credentials: AwsCredentials) -> Self {
        Self(credentials)
    }
}

impl ProvideAwsCredentials for StaticCredentials {
    fn credentials(&self) -> BoxFuture<'_, Result<AwsCredentials, AwsError>> {
        let c = self.0.clone();
        Box::pin(async move { Ok(c) })
    }
}
