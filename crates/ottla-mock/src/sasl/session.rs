//! One connection's SASL state, mirroring Kafka:
//!
//! - Before authentication (`SaslServerAuthenticator.handleKafkaRequest` in apache/kafka
//!   `clients/.../security/authenticator/SaslServerAuthenticator.java`): only ApiVersions (once,
//!   unless its version was unsupported) and SaslHandshake are read; any other request is an
//!   `InvalidRequestException` and the connection is closed without an answer. An unsupported
//!   mechanism is answered UNSUPPORTED_SASL_MECHANISM and the connection closed.
//! - After the handshake (`handleSaslToken`): only SaslAuthenticate; any other request gets its
//!   error response with ILLEGAL_SASL_STATE and the connection is closed. A failed exchange is
//!   answered SASL_AUTHENTICATION_FAILED and the connection closed.
//! - Authenticated (`SocketServer.processCompletedReceives` in `core/.../network/SocketServer.scala`):
//!   a SaslHandshake starts re-authentication when the session has an expiry
//!   (`KafkaChannel.maybeBeginServerReauthentication`); otherwise, once the session has expired,
//!   any request closes the connection ("Disconnecting expired channel"). SaslHandshake and
//!   SaslAuthenticate on an authenticated connection without re-authentication are answered
//!   ILLEGAL_SASL_STATE by `KafkaApis` and the connection stays open.
//! - Re-authentication must keep the mechanism (else the next token closes the connection) and
//!   the principal ("Cannot change principals during re-authentication").
//!
//! - The session lifetime (`SaslServerAuthenticator.calcCompletionTimesAndReturnSessionLifetimeMs`)
//!   is the shorter of `connections.max.reauth.ms` and the credential's remaining lifetime (MSK
//!   IAM: until the signature expires), either when only one is known.
//!
//! Unlike Kafka, re-authentication is not limited to once a second.

use std::time::Duration;

use kafka_protocol::messages::ApiKey;
use kafka_protocol::ResponseError;
use tokio::time::Instant;

use super::config::{SaslMechanism, SaslServer};
use super::exchange::{Exchange, Failure, Step};
use super::stats::SaslCounter;

/// A session that ended well.
#[derive(Debug, Clone)]
struct Authenticated {
    mechanism: SaslMechanism,
    principal: String,
    /// Set when the session has a lifetime (the cluster's, or its credential's).
    expires_at: Option<Instant>,
}

#[derive(Debug)]
enum Phase {
    Initial {
        api_versions_done: bool,
    },
    Authenticating {
        exchange: Exchange,
        /// The session being renewed, when re-authenticating.
        previous: Option<Authenticated>,
    },
    /// Re-authentication asked for another mechanism; the next request closes the connection.
    BadMechanism,
    Authenticated(Authenticated),
}

/// What the connection does with a request, decided before faults are consulted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gate {
    /// Serve it normally.
    Serve,
    /// A SaslHandshake or SaslAuthenticate for [`SaslSession::handshake`] /
    /// [`SaslSession::authenticate`].
    Sasl,
    /// Answer with ILLEGAL_SASL_STATE in the request's own response, then close.
    IllegalStateThenClose,
    /// Close without answering.
    Close(&'static str),
    /// The session expired: close without answering (and count it).
    Expired,
}

/// The answer to a SaslHandshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HandshakeOutcome {
    pub error_code: i16,
    /// Close the connection after answering.
    pub close: bool,
}

/// The answer to a SaslAuthenticate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AuthOutcome {
    pub error_code: i16,
    pub error_message: Option<String>,
    pub auth_bytes: Vec<u8>,
    pub session_lifetime_ms: i64,
    pub close: bool,
    /// A counter to bump, and the new principal on success.
    pub counter: Option<SaslCounter>,
    pub principal: Option<String>,
}

impl AuthOutcome {
    fn error(code: i16, message: String, close: bool, counter: Option<SaslCounter>) -> Self {
        Self {
            error_code: code,
            error_message: Some(message),
            auth_bytes: Vec::new(),
            session_lifetime_ms: 0,
            close,
            counter,
            principal: None,
        }
    }
}

/// One connection's SASL state.
#[derive(Debug)]
pub(crate) struct SaslSession {
    phase: Phase,
}

impl Default for SaslSession {
    fn default() -> Self {
        Self {
            phase: Phase::Initial {
                api_versions_done: false,
            },
        }
    }
}

impl SaslSession {
    /// Decides what happens to a request of `api`; `version_ok` says whether its version is
    /// served (an ApiVersions of an unknown version does not use up the one allowed).
    pub fn gate(&mut self, api: ApiKey, version_ok: bool, now: Instant) -> Gate {
        match &mut self.phase {
            Phase::Initial { api_versions_done } => match api {
                ApiKey::ApiVersions if *api_versions_done => {
                    Gate::Close("second ApiVersions before SaslHandshake")
                }
                ApiKey::ApiVersions => {
                    *api_versions_done = version_ok;
                    Gate::Serve
                }
                ApiKey::SaslHandshake => Gate::Sasl,
                _ => Gate::Close("request before SASL authentication"),
            },
            Phase::Authenticating { .. } => match api {
                ApiKey::SaslAuthenticate => Gate::Sasl,
                _ => Gate::IllegalStateThenClose,
            },
            Phase::BadMechanism => Gate::Close("re-authentication with another mechanism"),
            Phase::Authenticated(auth) => {
                if api == ApiKey::SaslHandshake && auth.expires_at.is_some() {
                    return Gate::Sasl;
                }
                if auth.expires_at.is_some_and(|t| now > t) {
                    return Gate::Expired;
                }
                match api {
                    ApiKey::SaslHandshake | ApiKey::SaslAuthenticate => Gate::Sasl,
                    _ => Gate::Serve,
                }
            }
        }
    }

    /// Handles a SaslHandshake the gate let through.
    pub fn handshake(&mut self, mechanism: &str, server: &SaslServer) -> HandshakeOutcome {
        let requested = SaslMechanism::from_name(mechanism).filter(|&m| server.enabled(m));
        let ok = HandshakeOutcome {
            error_code: 0,
            close: false,
        };
        let unsupported = HandshakeOutcome {
            error_code: ResponseError::UnsupportedSaslMechanism.code(),
            close: true,
        };
        match &self.phase {
            Phase::Initial { .. } => {
                let Some(m) = requested else {
                    return unsupported;
                };
                self.phase = Phase::Authenticating {
                    exchange: Exchange::new(m),
                    previous: None,
                };
                ok
            }
            Phase::Authenticated(auth) if auth.expires_at.is_some() => {
                let Some(m) = requested else {
                    return unsupported;
                };
                self.phase = if m == auth.mechanism {
                    Phase::Authenticating {
                        exchange: Exchange::new(m),
                        previous: Some(auth.clone()),
                    }
                } else {
                    Phase::BadMechanism
                };
                ok
            }
            Phase::Authenticated(_) => HandshakeOutcome {
                error_code: ResponseError::IllegalSaslState.code(),
                close: false,
            },
            Phase::Authenticating { .. } | Phase::BadMechanism => HandshakeOutcome {
                error_code: ResponseError::IllegalSaslState.code(),
                close: true,
            },
        }
    }

    /// Handles a SaslAuthenticate the gate let through, on a broker advertised as `broker_host`.
    pub fn authenticate(
        &mut self,
        token: &[u8],
        server: &SaslServer,
        now: Instant,
        broker_host: &str,
    ) -> AuthOutcome {
        let illegal = ResponseError::IllegalSaslState.code();
        let failed = ResponseError::SaslAuthenticationFailed.code();
        let (exchange, previous) = match &mut self.phase {
            Phase::Authenticating { exchange, previous } => (exchange, previous),
            Phase::Authenticated(_) => {
                return AuthOutcome::error(
                    illegal,
                    "SaslAuthenticate request received after successful authentication".into(),
                    false,
                    None,
                )
            }
            Phase::Initial { .. } | Phase::BadMechanism => {
                return AuthOutcome::error(
                    illegal,
                    "SaslAuthenticate request before SaslHandshake".into(),
                    true,
                    None,
                )
            }
        };
        let mechanism = exchange.mechanism();
        let what = if previous.is_some() {
            "re-authentication"
        } else {
            "authentication"
        };
        let step = exchange.step(token, server, broker_host);
        let credential_lifetime = exchange.credential_lifetime();
        match step {
            Step::Challenge(bytes) => AuthOutcome {
                error_code: 0,
                error_message: None,
                auth_bytes: bytes,
                session_lifetime_ms: 0,
                close: false,
                counter: None,
                principal: None,
            },
            Step::Fail(failure) => {
                let message = match failure {
                    Failure::Credentials(detail) => {
                        tracing::debug!(%mechanism, "SASL {what} failed: {detail}");
                        format!(
                            "Authentication failed during {what} due to invalid credentials \
                             with SASL mechanism {mechanism}"
                        )
                    }
                    Failure::Message(m) => m,
                };
                self.phase = Phase::BadMechanism;
                AuthOutcome::error(failed, message, true, Some(SaslCounter::Failures))
            }
            Step::Done {
                principal,
                response,
            } => {
                if let Some(prev) = previous.as_ref().filter(|p| p.principal != principal) {
                    let message = format!(
                        "Cannot change principals during re-authentication from User.{}: User.{}",
                        prev.principal, principal
                    );
                    self.phase = Phase::BadMechanism;
                    return AuthOutcome::error(failed, message, true, Some(SaslCounter::Failures));
                }
                let counter = if previous.is_some() {
                    SaslCounter::Reauthentications
                } else {
                    SaslCounter::Authentications
                };
                let lifetime = match (server.session_lifetime, credential_lifetime) {
                    (Some(configured), Some(credential)) => Some(configured.min(credential)),
                    (configured, credential) => configured.or(credential),
                };
                let lifetime_ms = lifetime.map_or(0, lifetime_ms);
                self.phase = Phase::Authenticated(Authenticated {
                    mechanism,
                    principal: principal.clone(),
                    expires_at: lifetime.map(|d| now.checked_add(d).unwrap_or(now)),
                });
                AuthOutcome {
                    error_code: 0,
                    error_message: None,
                    auth_bytes: response,
                    session_lifetime_ms: lifetime_ms,
                    close: false,
                    counter: Some(counter),
                    principal: Some(principal),
                }
            }
        }
    }
}

/// A session lifetime in whole milliseconds for SaslAuthenticate (at least 1: 0 means "no
/// expiry" to the client).
fn lifetime_ms(lifetime: Duration) -> i64 {
    i64::try_from(lifetime.as_millis())
        .unwrap_or(i64::MAX)
        .max(1)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::sasl::MockSasl;

    fn server(lifetime: Option<Duration>) -> SaslServer {
        let mut s = MockSasl::new()
            .mechanism(SaslMechanism::Plain)
            .user("alice", "a")
            .user("bob", "b");
        if let Some(l) = lifetime {
            s = s.session_lifetime(l);
        }
        s.into_server().unwrap()
    }

    #[test]
    fn gates_requests_through_the_phases() {
        let server = server(Some(Duration::from_secs(10)));
        let mut s = SaslSession::default();
        let now = Instant::now();
        assert_eq!(s.gate(ApiKey::ApiVersions, false, now), Gate::Serve);
        assert_eq!(s.gate(ApiKey::ApiVersions, true, now), Gate::Serve);
        assert!(matches!(
            s.gate(ApiKey::ApiVersions, true, now),
            Gate::Close(_)
        ));
        let mut s = SaslSession::default();
        assert!(matches!(
            s.gate(ApiKey::Metadata, true, now),
            Gate::Close(_)
        ));
        assert_eq!(s.gate(ApiKey::SaslHandshake, true, now), Gate::Sasl);
        assert_eq!(s.handshake("PLAIN", &server).error_code, 0);
        assert_eq!(
            s.gate(ApiKey::Metadata, true, now),
            Gate::IllegalStateThenClose
        );
        let out = s.authenticate(b"\0alice\0a", &server, now, "127.0.0.1");
        assert_eq!(out.error_code, 0);
        assert_eq!(out.session_lifetime_ms, 10_000);
        assert_eq!(out.counter, Some(SaslCounter::Authentications));
        assert_eq!(s.gate(ApiKey::Metadata, true, now), Gate::Serve);
        let later = now + Duration::from_secs(11);
        assert_eq!(s.gate(ApiKey::Metadata, true, later), Gate::Expired);
        // Re-authentication is allowed after expiry; another principal is refused.
        assert_eq!(s.gate(ApiKey::SaslHandshake, true, later), Gate::Sasl);
        assert_eq!(s.handshake("PLAIN", &server).error_code, 0);
        let out = s.authenticate(b"\0bob\0b", &server, later, "127.0.0.1");
        assert_eq!(out.error_code, 58);
        assert!(out.close);
        assert!(out
            .error_message
            .unwrap()
            .contains("Cannot change principals"));
    }

    #[test]
    fn without_lifetime_no_reauthentication() {
        let server = server(None);
        let mut s = SaslSession::default();
        let now = Instant::now();
        assert_eq!(s.handshake("SCRAM-SHA-256", &server).error_code, 33);
        assert_eq!(s.handshake("PLAIN", &server).error_code, 0);
        let out = s.authenticate(b"\0alice\0a", &server, now, "127.0.0.1");
        assert_eq!((out.error_code, out.session_lifetime_ms), (0, 0));
        let far = now + Duration::from_secs(1_000_000);
        assert_eq!(s.gate(ApiKey::Produce, true, far), Gate::Serve);
        assert_eq!(s.gate(ApiKey::SaslHandshake, true, far), Gate::Sasl);
        let h = s.handshake("PLAIN", &server);
        assert_eq!((h.error_code, h.close), (34, false));
        let out = s.authenticate(b"\0alice\0a", &server, now, "127.0.0.1");
        assert_eq!((out.error_code, out.close), (34, false));
    }

    #[test]
    fn msk_iam_sessions_end_with_their_signature() {
        use crate::sasl::aws_msk_iam::tests::{HOST, PAYLOAD, SESSION_TOKEN};
        use crate::sasl::msk_iam::tests::t0;
        use crate::sasl::msk_iam_token::tests::{PERMANENT_TOKEN, SECRET};
        use crate::sasl::MockIam;

        // The official signer's token was signed at t0 for 900 s; the mock's clock says t0+100s.
        let clock = t0() + Duration::from_secs(100);
        let iam = MockIam::new("us-east-1")
            .key("AKIDEXAMPLE", SECRET)
            .clock(move || clock);
        let bearer = format!("n,,\x01auth=Bearer {PERMANENT_TOKEN}\x01\x01");
        let now = Instant::now();
        let authenticate = |sasl: MockSasl| {
            let server = sasl.into_server().unwrap();
            let mut s = SaslSession::default();
            assert_eq!(s.handshake("OAUTHBEARER", &server).error_code, 0);
            let out = s.authenticate(bearer.as_bytes(), &server, now, "127.0.0.1");
            (s, server, out)
        };
        let (_, _, out) =
            authenticate(MockSasl::msk_iam(iam.clone()).session_lifetime(Duration::from_secs(60)));
        assert_eq!((out.error_code, out.session_lifetime_ms), (0, 60_000));
        let (_, _, out) = authenticate(
            MockSasl::msk_iam(iam.clone()).session_lifetime(Duration::from_secs(3600)),
        );
        assert_eq!(out.session_lifetime_ms, 800_000);
        // Without a configured lifetime the signature still ends the session, and the client
        // may re-authenticate.
        let (mut s, server, out) = authenticate(MockSasl::msk_iam(iam.clone()));
        assert_eq!(out.session_lifetime_ms, 800_000);
        assert_eq!(out.principal.as_deref(), Some("AKIDEXAMPLE"));
        assert_eq!(
            s.gate(ApiKey::Metadata, true, now + Duration::from_secs(799)),
            Gate::Serve
        );
        let later = now + Duration::from_secs(801);
        assert_eq!(s.gate(ApiKey::Metadata, true, later), Gate::Expired);
        assert_eq!(s.gate(ApiKey::SaslHandshake, true, later), Gate::Sasl);
        assert_eq!(s.handshake("OAUTHBEARER", &server).error_code, 0);
        let out = s.authenticate(bearer.as_bytes(), &server, later, "127.0.0.1");
        assert_eq!(out.counter, Some(SaslCounter::Reauthentications));
        assert_eq!(iam.successes(), 4);

        // AWS_MSK_IAM: the payload is signed for HOST, which this broker must advertise.
        let iam = MockIam::new("us-east-1")
            .temporary_key("AKIDEXAMPLE", SECRET, SESSION_TOKEN)
            .clock(move || clock);
        let server = MockSasl::msk_iam(iam.clone()).into_server().unwrap();
        let mut s = SaslSession::default();
        assert_eq!(s.handshake("AWS_MSK_IAM", &server).error_code, 0);
        let out = s.authenticate(PAYLOAD.as_bytes(), &server, now, HOST);
        assert_eq!((out.error_code, out.session_lifetime_ms), (0, 800_000));
        assert!(String::from_utf8(out.auth_bytes)
            .unwrap()
            .starts_with(r#"{"request-id":"#));
        let mut s = SaslSession::default();
        assert_eq!(s.handshake("AWS_MSK_IAM", &server).error_code, 0);
        let out = s.authenticate(PAYLOAD.as_bytes(), &server, now, "127.0.0.1");
        assert_eq!((out.error_code, out.close), (58, true));
        assert_eq!(out.counter, Some(SaslCounter::Failures));
        assert!(out
            .error_message
            .unwrap()
            .contains("Access denied: signed for host"));
        assert_eq!((iam.successes(), iam.failures()), (1, 1));
    }
}
