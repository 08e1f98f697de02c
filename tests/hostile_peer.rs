//! The client against a hostile broker (`support::hostile`): lengths that lie, wrong
//! correlation ids, responses of the wrong version, bytes after a response, silence — on the
//! first request of a connection (ApiVersions) and on a later one (ListOffsets), and a TLS
//! peer that sends noise instead of its handshake or under its session. Each gives a typed
//! error that says what was wrong, and the same client then succeeds on a fresh connection.

use std::time::{Duration, Instant};

use ottla::basic::{list_offset, OffsetSpec};
use ottla::protocol::frame::FrameError;
use ottla::protocol::messages::ApiKey;
use ottla::protocol::ProtocolError;
use ottla::{Client, ClientConfig, ConnectionError, Error};
use ottla_tests::hostile::{
    client_config, noise, tls_client_config, HostilePeer, Hostility, Seen, Then, NODE, OFFSET,
    SETUP_TIMEOUT, TOPIC,
};
use ottla_tls::{ConnectError, TlsProblem};

/// `receive.message.max.bytes` of the clients here.
const MAX: usize = 1 << 20;
/// `request.timeout.ms` of the clients here.
const REQUEST_TIMEOUT: Duration = Duration::from_millis(400);

fn config(bootstrap: &str) -> ClientConfig {
    client_config(bootstrap, REQUEST_TIMEOUT, MAX)
}

/// A peer and a client bootstrapped from it (that first connection behaves).
async fn peer_and_client() -> (HostilePeer, Client) {
    let peer = HostilePeer::start().await;
    let client = Client::connect(config(&peer.bootstrap())).await.unwrap();
    (peer, client)
}

/// The same client gets a correct answer on a fresh connection.
async fn recovers(peer: &HostilePeer, client: &Client) {
    let before = peer.connections();
    let offset = list_offset(client, TOPIC, 0, OffsetSpec::Earliest).await;
    assert_eq!(offset.unwrap(), OFFSET);
    assert!(peer.connections() > before, "a new connection answered");
    let conn = client.connection(NODE).await.unwrap();
    assert!(!conn.is_closed());
}

/// `hostility` on the first request of a new connection (ApiVersions): the error opening it
/// gives. Checks that the client recovers.
async fn on_first_request(hostility: Hostility) -> Error {
    let (peer, client) = peer_and_client().await;
    peer.arm(ApiKey::ApiVersions, hostility);
    let e = client.connection(NODE).await.unwrap_err();
    assert_eq!(
        peer.hostile_request(),
        Some(Seen {
            connection: 2,
            request: 1,
            api: ApiKey::ApiVersions,
            hostile: true
        })
    );
    recovers(&peer, &client).await;
    e
}

/// `hostility` on a later request (ListOffsets, after the handshake): the error it gives.
/// Checks that the connection is dropped and the client recovers.
async fn on_later_request(hostility: Hostility) -> Error {
    let (peer, client) = peer_and_client().await;
    let conn = client.connection(NODE).await.unwrap();
    peer.arm(ApiKey::ListOffsets, hostility);
    let e = list_offset(&client, TOPIC, 0, OffsetSpec::Earliest)
        .await
        .unwrap_err();
    assert_eq!(
        peer.hostile_request(),
        Some(Seen {
            connection: 2,
            request: 2,
            api: ApiKey::ListOffsets,
            hostile: true
        })
    );
    assert!(conn.is_closed(), "the connection is dropped: {e}");
    recovers(&peer, &client).await;
    e
}

fn connection_error(e: &Error) -> &ConnectionError {
    match e {
        Error::Connection { source, .. } => source,
        other => panic!("expected a connection error, got {other:?}"),
    }
}

fn protocol_error(e: &Error) -> &ProtocolError {
    match connection_error(e) {
        ConnectionError::Protocol(p) => p,
        other => panic!("expected a protocol error, got {other:?}"),
    }
}

/// Asserts that `e`'s message contains each of `parts`.
fn says(e: &Error, parts: &[&str]) {
    let text = e.to_string();
    eprintln!("{text}");
    for part in parts {
        assert!(text.contains(part), "{text:?} does not say {part:?}");
    }
}

fn length(len: i32) -> Hostility {
    Hostility::Length {
        len,
        body: 0,
        then: Then::Silent,
    }
}

fn assert_too_large(e: &Error, size: usize) {
    assert!(
        matches!(
            protocol_error(e),
            ProtocolError::Frame(FrameError::TooLarge { size: s, max: MAX }) if *s == size
        ),
        "{e:?}"
    );
    says(
        e,
        &[
            &format!("frame length {size}"),
            &format!("maximum of {MAX} bytes"),
            "receive.message.max.bytes",
        ],
    );
}

#[tokio::test]
async fn length_i32_max_is_rejected() {
    let e = on_first_request(length(i32::MAX)).await;
    assert_too_large(&e, i32::MAX as usize);
    let e = on_later_request(length(i32::MAX)).await;
    assert_too_large(&e, i32::MAX as usize);
}

#[tokio::test]
async fn length_just_over_the_limit_is_rejected() {
    let over = i32::try_from(MAX + 1).unwrap();
    let e = on_first_request(length(over)).await;
    assert_too_large(&e, MAX + 1);
    let e = on_later_request(length(over)).await;
    assert_too_large(&e, MAX + 1);
}

#[tokio::test]
async fn negative_length_is_rejected() {
    for len in [-1, i32::MIN] {
        for e in [
            on_first_request(length(len)).await,
            on_later_request(length(len)).await,
        ] {
            assert!(
                matches!(
                    protocol_error(&e),
                    ProtocolError::Frame(FrameError::NegativeLength(l)) if *l == len
                ),
                "{e:?}"
            );
            says(&e, &[&format!("frame length {len} is negative")]);
        }
    }
}

fn assert_truncated(e: &Error, extra: usize) {
    match connection_error(e) {
        ConnectionError::TruncatedFrame { expected, received } => {
            assert_eq!(expected - received, extra, "{e}");
            says(
                e,
                &[
                    &format!("middle of a {expected}-byte frame"),
                    &format!("{received} bytes received"),
                ],
            );
        }
        other => panic!("expected a truncated frame, got {other:?}"),
    }
}

#[tokio::test]
async fn length_past_the_frame_then_close_is_a_truncated_frame() {
    let hostility = Hostility::PastFrame {
        extra: 100,
        then: Then::Close,
    };
    assert_truncated(&on_first_request(hostility.clone()).await, 100);
    assert_truncated(&on_later_request(hostility).await, 100);
}

fn assert_timeout(e: &Error, api: ApiKey, took: Duration) {
    assert!(
        matches!(e, Error::Timeout { api: a, timeout, .. } if *a == api && *timeout == REQUEST_TIMEOUT),
        "{e:?}"
    );
    says(
        e,
        &[
            &format!("{api:?} request timed out after {REQUEST_TIMEOUT:?}"),
            "request.timeout.ms",
        ],
    );
    assert!(
        took >= REQUEST_TIMEOUT && took < REQUEST_TIMEOUT + Duration::from_secs(1),
        "failed after {took:?}"
    );
}

/// As `on_first_request` and `on_later_request`, timing how long the error took.
async fn timed(first: bool, hostility: Hostility) -> (Error, Duration) {
    let (peer, client) = peer_and_client().await;
    let start = Instant::now();
    let e = if first {
        peer.arm(ApiKey::ApiVersions, hostility);
        client.connection(NODE).await.unwrap_err()
    } else {
        let conn = client.connection(NODE).await.unwrap();
        peer.arm(ApiKey::ListOffsets, hostility);
        let start = Instant::now();
        let e = list_offset(&client, TOPIC, 0, OffsetSpec::Earliest)
            .await
            .unwrap_err();
        let took = start.elapsed();
        assert!(conn.is_closed());
        recovers(&peer, &client).await;
        return (e, took);
    };
    let took = start.elapsed();
    recovers(&peer, &client).await;
    (e, took)
}

#[tokio::test]
async fn length_past_the_frame_then_silence_times_out() {
    let hostility = Hostility::PastFrame {
        extra: 100,
        then: Then::Silent,
    };
    let (e, took) = timed(true, hostility.clone()).await;
    assert_timeout(&e, ApiKey::ApiVersions, took);
    let (e, took) = timed(false, hostility).await;
    assert_timeout(&e, ApiKey::ListOffsets, took);
}

#[tokio::test]
async fn a_silent_peer_times_out() {
    let (e, took) = timed(true, Hostility::Silent).await;
    assert_timeout(&e, ApiKey::ApiVersions, took);
    let (e, took) = timed(false, Hostility::Silent).await;
    assert_timeout(&e, ApiKey::ListOffsets, took);
}

#[tokio::test]
async fn a_wrong_correlation_id_is_rejected() {
    // The handshake checks the one response it waits for.
    let e = on_first_request(Hostility::CorrelationShift(1000)).await;
    assert!(
        matches!(
            protocol_error(&e),
            ProtocolError::CorrelationMismatch {
                api: ApiKey::ApiVersions,
                expected: 1,
                actual: 1001
            }
        ),
        "{e:?}"
    );
    says(
        &e,
        &["ApiVersions response has correlation id 1001, expected 1"],
    );
    // The connection task matches it to the oldest request in flight.
    let e = on_later_request(Hostility::CorrelationShift(1000)).await;
    let ConnectionError::UnexpectedResponse {
        expected: Some(expected),
        actual,
        api: Some(ApiKey::ListOffsets),
    } = connection_error(&e)
    else {
        panic!("{e:?}")
    };
    assert_eq!(*actual, expected + 1000);
    says(
        &e,
        &[&format!(
            "response with correlation id {actual}, but the oldest request in flight is ListOffsets with correlation id {expected}"
        )],
    );
}

/// Asserts that `e` says a response of `api` did not decode; returns the version it was read at.
fn assert_undecodable(e: &Error, api: ApiKey) -> i16 {
    let ProtocolError::Decode {
        api: a, version, ..
    } = protocol_error(e)
    else {
        panic!("expected a decode error, got {e:?}")
    };
    assert_eq!(*a, api, "{e}");
    says(e, &[&format!("cannot decode {api:?} v{version} response")]);
    *version
}

#[tokio::test]
async fn a_header_of_the_wrong_version_does_not_parse() {
    // ApiVersions v3 answered with a flexible (v1) header: one byte too many before the body.
    let e = on_first_request(Hostility::FlippedHeader).await;
    assert_eq!(assert_undecodable(&e, ApiKey::ApiVersions), 3);
    // ListOffsets (flexible from v6) answered with a v0 header: the body starts a byte early.
    let e = on_later_request(Hostility::FlippedHeader).await;
    assert!(assert_undecodable(&e, ApiKey::ListOffsets) >= 6);
}

#[tokio::test]
async fn a_body_of_the_wrong_version_does_not_parse() {
    // ApiVersions answered at v1 where v3 was asked: not a v3 body, and read as the v0 body a
    // broker falls back to, v1's throttle time is left over.
    let e = on_first_request(Hostility::BodyVersion(1)).await;
    assert!(
        matches!(
            protocol_error(&e),
            ProtocolError::TrailingBytes {
                api: ApiKey::ApiVersions,
                version: 0,
                trailing: 4
            }
        ),
        "{e:?}"
    );
    says(
        &e,
        &["ApiVersions v0 response has 4 unexpected trailing bytes"],
    );
    // ListOffsets answered at v1 (not flexible) where a flexible version was asked.
    let e = on_later_request(Hostility::BodyVersion(1)).await;
    assert!(assert_undecodable(&e, ApiKey::ListOffsets) >= 6);
}

#[tokio::test]
async fn bytes_after_the_response_inside_the_frame_are_rejected() {
    let garbage = Hostility::TrailingInFrame(vec![0xde, 0xad, 0xbe]);
    let e = on_first_request(garbage.clone()).await;
    assert!(
        matches!(
            protocol_error(&e),
            ProtocolError::TrailingBytes {
                api: ApiKey::ApiVersions,
                trailing: 3,
                ..
            }
        ),
        "{e:?}"
    );
    says(
        &e,
        &["ApiVersions v", "response has 3 unexpected trailing bytes"],
    );
    // The task hands the frame over; the caller's decode rejects it, and drops the
    // connection: the stream cannot be trusted any more.
    let e = on_later_request(garbage).await;
    let ProtocolError::TrailingBytes {
        api: ApiKey::ListOffsets,
        version,
        trailing: 3,
    } = protocol_error(&e)
    else {
        panic!("{e:?}")
    };
    says(
        &e,
        &[&format!(
            "ListOffsets v{version} response has 3 unexpected trailing bytes"
        )],
    );
}

#[tokio::test]
async fn bytes_after_the_frame_are_rejected() {
    let garbage = || Hostility::TrailingAfterFrame(b"garbage".to_vec());
    // After the handshake's response: opening the connection fails.
    let e = on_first_request(garbage()).await;
    assert!(
        matches!(
            connection_error(&e),
            ConnectionError::UnsolicitedBytes {
                bytes: 7,
                after: Some(ApiKey::ApiVersions)
            }
        ),
        "{e:?}"
    );
    says(
        &e,
        &["7 byte(s) arrived with no request in flight (after the response to ApiVersions)"],
    );
    // After a later response: the caller has its answer, the connection fails at once and
    // its next caller gets why.
    let (peer, client) = peer_and_client().await;
    let conn = client.connection(NODE).await.unwrap();
    peer.arm(ApiKey::ListOffsets, garbage());
    let offset = list_offset(&client, TOPIC, 0, OffsetSpec::Earliest).await;
    assert_eq!(offset.unwrap(), OFFSET);
    let deadline = Instant::now() + Duration::from_secs(5);
    while !conn.is_closed() {
        assert!(Instant::now() < deadline, "the connection is still open");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let e = conn
        .send(&ottla::protocol::messages::MetadataRequest::default())
        .await
        .unwrap_err();
    assert!(
        matches!(
            connection_error(&e),
            ConnectionError::UnsolicitedBytes {
                bytes: 7,
                after: Some(ApiKey::ListOffsets)
            }
        ),
        "{e:?}"
    );
    says(
        &e,
        &["7 byte(s) arrived with no request in flight (after the response to ListOffsets)"],
    );
    recovers(&peer, &client).await;
}

#[tokio::test]
async fn a_hostile_bootstrap_server_fails_connect_with_the_typed_error() {
    let peer = HostilePeer::start().await;
    peer.arm(ApiKey::ApiVersions, length(i32::MAX));
    let e = Client::connect(config(&peer.bootstrap()))
        .await
        .unwrap_err();
    let Error::Bootstrap { errors, .. } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(errors.len(), 1, "{e}");
    assert_too_large(&errors[0], i32::MAX as usize);
    says(
        &e,
        &["no bootstrap server reachable", "frame length 2147483647"],
    );
    // The peer behaves now.
    let client = Client::connect(config(&peer.bootstrap())).await.unwrap();
    recovers(&peer, &client).await;
}

/// The TLS error inside an I/O error of a TLS connection.
fn tls_problem_inside(e: &Error) -> &TlsProblem {
    let ConnectionError::Io(io) = connection_error(e) else {
        panic!("expected an I/O error, got {e:?}")
    };
    match io.get_ref().and_then(|i| i.downcast_ref::<ConnectError>()) {
        Some(ConnectError::Tls { problem, .. }) => problem,
        _ => panic!("expected a TLS error inside, got {e:?}"),
    }
}

#[tokio::test]
async fn a_tls_peer_that_sends_garbage_is_a_tls_error() {
    let peer = HostilePeer::start_tls().await;
    let config = tls_client_config(&peer.bootstrap(), REQUEST_TIMEOUT);
    let client = Client::connect(config).await.unwrap();
    // First: noise instead of the server's half of the handshake. It fails at once, not at
    // the setup deadline.
    peer.garble_next_connection(64);
    let start = Instant::now();
    let e = client.connection(NODE).await.unwrap_err();
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
    assert!(
        matches!(
            &e,
            Error::Connect {
                source: ConnectError::Tls {
                    problem: TlsProblem::Protocol(_),
                    ..
                },
                ..
            }
        ),
        "{e:?}"
    );
    says(
        &e,
        &[
            "TLS with 127.0.0.1:",
            "TLS protocol error",
            "is this port a TLS listener?",
        ],
    );
    recovers(&peer, &client).await;
    // Later: noise on the socket under the TLS session, where a response should be.
    let conn = client.connection(NODE).await.unwrap();
    peer.arm(ApiKey::ListOffsets, Hostility::RawBytes(noise(64)));
    let e = list_offset(&client, TOPIC, 0, OffsetSpec::Earliest)
        .await
        .unwrap_err();
    assert!(
        matches!(tls_problem_inside(&e), TlsProblem::Protocol(_)),
        "{e:?}"
    );
    says(
        &e,
        &[
            "connection failed: I/O error: TLS with 127.0.0.1:",
            "TLS protocol error",
        ],
    );
    assert!(conn.is_closed());
    recovers(&peer, &client).await;
}

#[tokio::test]
async fn a_silent_tls_peer_times_out_at_the_setup_deadline() {
    let peer = HostilePeer::start_tls().await;
    let config = tls_client_config(&peer.bootstrap(), REQUEST_TIMEOUT);
    let client = Client::connect(config).await.unwrap();
    // Accepts, reads the ClientHello, never answers.
    peer.garble_next_connection(0);
    let start = Instant::now();
    let e = client.connection(NODE).await.unwrap_err();
    let took = start.elapsed();
    assert!(
        matches!(
            &e,
            Error::Connect {
                source: ConnectError::TlsTimeout { timeout, .. },
                ..
            } if *timeout == SETUP_TIMEOUT
        ),
        "{e:?}"
    );
    says(
        &e,
        &[&format!(
            "TLS handshake with 127.0.0.1:{} did not finish within {SETUP_TIMEOUT:?} (socket.connection.setup.timeout.ms)",
            peer.bootstrap().rsplit(':').next().unwrap()
        )],
    );
    assert!(
        took >= SETUP_TIMEOUT && took < SETUP_TIMEOUT + Duration::from_secs(1),
        "failed after {took:?}"
    );
    recovers(&peer, &client).await;
}
