//! Where OAUTHBEARER tokens come from.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use crate::{SaslError, Secret};

/// A bearer token with what the client needs to know about it.
#[derive(Clone, PartialEq, Eq)]
pub struct OauthToken {
    /// The token (usually a JWT), sent as `auth=Bearer <token>`.
    pub token: Secret,
    /// When the token expires, in milliseconds since the Unix epoch. The connection
    /// re-authenticates (KIP-368) before then.
    pub expires_at_ms: i64,
    /// The principal the token stands for (for logs and to keep re-authentication on the same
    /// principal).
    pub principal: String,
    /// SASL extensions (RFC 7628 §3.1) sent with the token, in order.
    pub extensions: Vec<(String, String)>,
}

impl OauthToken {
    /// A token without extensions.
    pub fn new(token: Secret, expires_at_ms: i64, principal: impl Into<String>) -> Self {
        Self {
            token,
            expires_at_ms,
            principal: principal.into(),
            extensions: Vec::new(),
        }
    }

    /// Adds a SASL extension (validated when the exchange starts).
    pub fn with_extension(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.extensions.push((key.into(), value.into()));
        self
    }
}

/// Shows the token as `<redacted>` and only the extensions' keys (values may be secrets too).
impl fmt::Debug for OauthToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: Vec<&str> = self.extensions.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("OauthToken")
            .field("token", &self.token)
            .field("expires_at_ms", &self.expires_at_ms)
            .field("principal", &self.principal)
            .field("extension_keys", &keys)
            .finish()
    }
}

/// Produces OAUTHBEARER tokens: called before each authentication and re-authentication.
///
/// The future needs no particular runtime from this crate; an implementation that fetches a
/// token over HTTP brings its own. Errors should be [`SaslError::TokenUnavailable`].
pub trait TokenProvider: Send + Sync + fmt::Debug {
    /// The token to authenticate with now.
    fn token(&self) -> Pin<Box<dyn Future<Output = Result<OauthToken, SaslError>> + Send + '_>>;
}

/// A [`TokenProvider`] that always returns the same token (tests, short-lived tools, tokens
/// managed outside the client).
#[derive(Debug, Clone)]
pub struct StaticToken {
    token: OauthToken,
}

impl StaticToken {
    /// Always returns `token`.
    pub fn new(token: OauthToken) -> Self {
        Self { token }
    }
}

impl TokenProvider for StaticToken {
    fn token(&self) -> Pin<Box<dyn Future<Output = Result<OauthToken, SaslError>> + Send + '_>> {
        Box::pin(std::future::ready(Ok(self.token.clone())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::task::{Context, Poll, Waker};

    fn poll_once<F: Future + ?Sized>(f: Pin<&mut F>) -> Poll<F::Output> {
        f.poll(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn static_token_returns_its_token() {
        let t = OauthToken::new(Secret::new("abc.def.ghi"), 1_700_000_000_000, "alice")
            .with_extension("traceId", "123");
        let p: Arc<dyn TokenProvider> = Arc::new(StaticToken::new(t.clone()));
        let mut fut = p.token();
        match poll_once(fut.as_mut()) {
            Poll::Ready(Ok(got)) => assert_eq!(got, t),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn debug_redacts() {
        let t = OauthToken::new(Secret::new("abc.def.ghi"), 5, "alice")
            .with_extension("traceId", "s3cr3t");
        let d = format!("{t:?}");
        assert!(!d.contains("abc.def"), "{d}");
        assert!(!d.contains("s3cr3t"), "{d}");
        assert!(d.contains("traceId") && d.contains("alice"), "{d}");
        let d = format!("{:?}", StaticToken::new(t));
        assert!(!d.contains("abc.def") && !d.contains("s3cr3t"), "{d}");
    }
}
