//! SASL on a connection: SaslHandshake v1, then SaslAuthenticate rounds driven by a sans-IO
//! [`Authenticator`] from `ottla-sasl`. Used at connect time and for KIP-368
//! re-authentication.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use ottla_protocol::error_code::ErrorCode;
use ottla_protocol::messages::{ApiKey, SaslAuthenticateRequest, SaslHandshakeRequest};
use ottla_protocol::versions::BrokerVersions;
use ottla_protocol::StrBytes;
use ottla_sasl::{Authenticator, SaslError};
use tokio::time::Instant;

use super::wire::Wire;
use crate::error::{ConnectionError, Error};

/// A future a [`SaslFactory`] returns.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Makes a fresh [`Authenticator`] for each (re-)authentication: new nonce, fresh token.
pub trait SaslFactory: Send + Sync + fmt::Debug {
    /// The mechanism name SaslHandshake asks for.
    fn mechanism(&self) -> &'static str;
    /// A new exchange with the broker at `host` (the name the client connected to; AWS_MSK_IAM
    /// signs it).
    fn authenticator<'a>(
        &'a self,
        host: &'a str,
    ) -> BoxFuture<'a, Result<Box<dyn Authenticator>, SaslError>>;
    /// Called when the broker rejected the credentials. `true` when the factory has fresh
    /// ones worth one more try on a new connection (a rotated secret); `false` by default.
    fn refresh_after_rejection(&self) -> BoxFuture<'_, bool> {
        Box::pin(async { false })
    }
}

/// What a successful authentication established.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Session {
    /// `session_lifetime_ms` from the broker, when it set one (KIP-368).
    pub lifetime: Option<Duration>,
}

/// Runs SaslHandshake and SaslAuthenticate to completion.
pub(crate) async fn authenticate(
    wire: &mut Wire<'_>,
    versions: &BrokerVersions,
    factory: &dyn SaslFactory,
    host: &str,
    timeout: Duration,
) -> Result<Session, Error> {
    let deadline = Instant::now() + timeout;
    let broker = wire.broker.to_owned();
    let mechanism = factory.mechanism();
    let version_of = |api| {
        versions.negotiate(api).map_err(|source| Error::Version {
            broker: broker.clone(),
            source,
        })
    };
    let handshake_version = version_of(ApiKey::SaslHandshake)?;
    let authenticate_version = version_of(ApiKey::SaslAuthenticate)?;
    let handshake =
        SaslHandshakeRequest::default().with_mechanism(StrBytes::from_static_str(mechanism));
    let response = wire
        .round_trip(&handshake, handshake_version, deadline, timeout)
        .await
        .map_err(|e| during_handshake(e, mechanism))?;
    let code = ErrorCode(response.error_code);
    if code == ErrorCode::UNSUPPORTED_SASL_MECHANISM {
        return Err(Error::SaslMechanismNotOffered {
            broker,
            mechanism,
            offered: response.mechanisms.iter().map(|m| m.to_string()).collect(),
        });
    }
    if code.is_err() {
        return Err(Error::Kafka {
            api: ApiKey::SaslHandshake,
            code,
            context: broker,
            message: None,
        });
    }
    let sasl_error = |source| Error::Sasl {
        broker: broker.clone(),
        mechanism,
        source,
    };
    let mut auth = factory.authenticator(host).await.map_err(sasl_error)?;
    let mut message = auth.initial().map_err(sasl_error)?;
    loop {
        let request = SaslAuthenticateRequest::default().with_auth_bytes(Bytes::from(message));
        let response = wire
            .round_trip(&request, authenticate_version, deadline, timeout)
            .await
            .map_err(|e| during_handshake(e, mechanism))?;
        let code = ErrorCode(response.error_code);
        if code.is_err() {
            // The broker's message first; the mechanism may know more (OAUTHBEARER's challenge).
            let message = match (
                response.error_message.map(|m| m.to_string()),
                auth.failure(),
            ) {
                (Some(m), Some(detail)) => Some(format!("{m} ({detail})")),
                (m, detail) => m.or(detail.map(|d| d.to_string())),
            };
            return Err(Error::Authentication {
                broker,
                mechanism,
                code,
                message,
            });
        }
        let step = auth.step(&response.auth_bytes).map_err(|e| match e {
            // The server refused inside the mechanism (SCRAM `e=invalid-proof`, an OAUTHBEARER
            // error challenge): that is a failed authentication, like an error code.
            SaslError::ScramServer { error, .. } => Error::Authentication {
                broker: broker.clone(),
                mechanism,
                code: ErrorCode::SASL_AUTHENTICATION_FAILED,
                message: Some(format!("the server ended the exchange with e={error}")),
            },
            SaslError::OauthServer(error) => Error::Authentication {
                broker: broker.clone(),
                mechanism,
                code: ErrorCode::SASL_AUTHENTICATION_FAILED,
                message: Some(format!("the server rejected the token: {error}")),
            },
            other => sasl_error(other),
        })?;
        match step {
            Some(next) => message = next,
            None => {
                let lifetime = u64::try_from(response.session_lifetime_ms)
                    .ok()
                    .filter(|ms| *ms > 0)
                    .map(Duration::from_millis);
                return Ok(Session { lifetime });
            }
        }
    }
}

/// A broker that closes the connection mid-handshake is reported as such (tansu, for one,
/// closes instead of answering an unsupported mechanism). An answer that breaks the protocol
/// (a wrong correlation id, trailing bytes) stays a connection error: nothing was closed.
fn during_handshake(e: Error, mechanism: &'static str) -> Error {
    match e {
        Error::Connection { broker, source }
            if matches!(
                *source,
                ConnectionError::ClosedByPeer { .. }
                    | ConnectionError::TruncatedFrame { .. }
                    | ConnectionError::Io(_)
            ) =>
        {
            Error::ClosedDuringAuthentication {
                broker,
                mechanism,
                source,
            }
        }
        other => other,
    }
}
