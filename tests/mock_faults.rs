//! The low-level client against `ottla-mock` faults: timeouts, correlation mismatch, bad
//! frames, dropped connections, cancelled requests, reconnect backoff, metadata refresh.

use std::sync::Arc;
use std::time::Duration;

use ottla::basic::{list_offset, OffsetSpec};
use ottla::protocol::frame::FrameError;
use ottla::protocol::messages::{ApiKey, MetadataRequest};
use ottla::protocol::ProtocolError;
use ottla::{Client, ClientConfig, ConnectionError, Error};
use ottla_mock::{ErrorTarget, Fault, MockCluster};

async fn cluster() -> MockCluster {
    MockCluster::builder()
        .brokers(2)
        .topic("t", 4)
        .start()
        .await
        .unwrap()
}

async fn client_with(bootstrap: &str, f: impl FnOnce(&mut ottla::ClientConfigBuilder)) -> Client {
    let mut b = ClientConfig::builder();
    b.bootstrap_servers(bootstrap)
        .request_timeout(Duration::from_millis(500))
        .reconnect_backoff(Duration::from_millis(20), Duration::from_millis(200));
    f(&mut b);
    Client::connect(b.build().unwrap()).await.unwrap()
}

/// The error a ListOffsets of `partition` gets with `fault` injected, and the client (which
/// must still work afterwards).
async fn list_offset_error(
    c: &MockCluster,
    client: &Client,
    fault: Fault,
    partition: i32,
) -> Error {
    c.inject(fault);
    list_offset(client, "t", partition, OffsetSpec::Earliest)
        .await
        .unwrap_err()
}

fn connection_source(e: &Error) -> &ConnectionError {
    match e {
        Error::Connection { source, .. } => source,
        other => panic!("expected a connection error, got {other:?}"),
    }
}

#[tokio::test]
async fn request_timeout_covers_the_wait_and_drops_the_connection() {
    let c = cluster().await;
    let client = client_with(&c.bootstrap(), |_| {}).await;
    let leader = client.leader_of("t", 0).await.unwrap();
    let old = client.connection(leader).await.unwrap();
    c.inject(Fault::new(ApiKey::ListOffsets).delay(Duration::from_secs(3)));
    let before = c.connection_count_on(leader);
    let start = std::time::Instant::now();
    let e = list_offset(&client, "t", 0, OffsetSpec::Latest)
        .await
        .unwrap_err();
    let took = start.elapsed();
    assert!(
        matches!(
            e,
            Error::Timeout {
                api: ApiKey::ListOffsets,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(
        took >= Duration::from_millis(490) && took < Duration::from_secs(2),
        "{took:?}"
    );
    assert!(e.is_retriable());
    assert!(old.is_closed(), "a timed-out connection is dropped");
    // The next request gets a new connection and an answer.
    assert_eq!(
        list_offset(&client, "t", 0, OffsetSpec::Latest)
            .await
            .unwrap(),
        0
    );
    assert_eq!(c.connection_count_on(leader), before + 1);
}

#[tokio::test]
async fn wrong_correlation_id_fails_the_connection_then_recovers() {
    let c = cluster().await;
    let client = client_with(&c.bootstrap(), |_| {}).await;
    let fault = Fault::new(ApiKey::ListOffsets).wrong_correlation_id();
    let e = list_offset_error(&c, &client, fault, 1).await;
    assert!(
        matches!(
            connection_source(&e),
            ConnectionError::UnexpectedResponse { .. }
        ),
        "{e}"
    );
    assert_eq!(
        list_offset(&client, "t", 1, OffsetSpec::Earliest)
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn truncated_frame_is_reported() {
    let c = cluster().await;
    let client = client_with(&c.bootstrap(), |_| {}).await;
    let fault = Fault::new(ApiKey::ListOffsets).truncated_frame();
    let e = list_offset_error(&c, &client, fault, 2).await;
    assert!(
        matches!(
            connection_source(&e),
            ConnectionError::TruncatedFrame { .. }
        ),
        "{e}"
    );
}

#[tokio::test]
async fn oversized_frame_is_rejected_without_allocating() {
    let c = cluster().await;
    let client = client_with(&c.bootstrap(), |b| {
        b.receive_message_max_bytes(1 << 20);
    })
    .await;
    let fault = Fault::new(ApiKey::ListOffsets).oversized_frame();
    let e = list_offset_error(&c, &client, fault, 3).await;
    match connection_source(&e) {
        ConnectionError::Protocol(ProtocolError::Frame(FrameError::TooLarge { max, .. })) => {
            assert_eq!(*max, 1 << 20)
        }
        other => panic!("unexpected {other}"),
    }
}

#[tokio::test]
async fn dropped_connection_fails_every_waiter_once() {
    let c = cluster().await;
    let client = client_with(&c.bootstrap(), |_| {}).await;
    let leader = client.leader_of("t", 0).await.unwrap();
    // Hold two requests on one connection, then drop it under both.
    c.inject(
        Fault::new(ApiKey::ListOffsets)
            .on_node(leader)
            .delay(Duration::from_millis(200))
            .drop_connection(),
    );
    let a = list_offset(&client, "t", 0, OffsetSpec::Earliest);
    let b = list_offset(&client, "t", 0, OffsetSpec::Latest);
    let (a, b) = tokio::join!(a, b);
    let a = a.unwrap_err();
    assert!(
        matches!(connection_source(&a), ConnectionError::ClosedByPeer { .. }),
        "{a}"
    );
    // The second waiter gets the same shared error (or, if it was written after the first was
    // answered, its own answer on the same connection — never a hang).
    if let Err(b) = b {
        let (Error::Connection { source: sa, .. }, Error::Connection { source: sb, .. }) = (&a, &b)
        else {
            panic!("{b:?}")
        };
        assert!(Arc::ptr_eq(sa, sb), "both waiters see one shared error");
    }
}

#[tokio::test]
async fn cancelled_request_does_not_desynchronise() {
    let c = cluster().await;
    let client = client_with(&c.bootstrap(), |b| {
        b.request_timeout(Duration::from_secs(5));
    })
    .await;
    let leader = client.leader_of("t", 0).await.unwrap();
    let conn = client.connection(leader).await.unwrap();
    let connections = c.connection_count();
    c.inject(
        Fault::new(ApiKey::Metadata)
            .on_node(leader)
            .delay(Duration::from_millis(300)),
    );
    // Give up on the slow request while its response is still coming.
    let slow = tokio::time::timeout(
        Duration::from_millis(50),
        conn.send(&MetadataRequest::default().with_topics(None)),
    )
    .await;
    assert!(slow.is_err(), "the slow request should still be pending");
    // The next request on the same connection gets its own response, not the abandoned one.
    for _ in 0..3 {
        let offset = list_offset(&client, "t", 0, OffsetSpec::Latest)
            .await
            .unwrap();
        assert_eq!(offset, 0);
    }
    assert!(!conn.is_closed());
    assert_eq!(c.connection_count(), connections, "no reconnect was needed");
}

#[tokio::test]
async fn error_code_is_typed_and_invalidates_metadata() {
    let c = cluster().await;
    let client = client_with(&c.bootstrap(), |_| {}).await;
    c.inject(Fault::new(ApiKey::ListOffsets).error(ErrorTarget::AllEntries, 6));
    let metadata_before = c.request_count(ApiKey::Metadata);
    let e = list_offset(&client, "t", 0, OffsetSpec::Latest)
        .await
        .unwrap_err();
    assert_eq!(
        e.kafka_code().map(|c| c.name()),
        Some("NOT_LEADER_OR_FOLLOWER")
    );
    assert!(e.is_retriable());
    // The next call refreshes metadata before it goes out.
    list_offset(&client, "t", 0, OffsetSpec::Latest)
        .await
        .unwrap();
    assert!(c.request_count(ApiKey::Metadata) > metadata_before);
}

#[tokio::test]
async fn leader_move_is_followed_after_refresh() {
    let c = cluster().await;
    let client = client_with(&c.bootstrap(), |_| {}).await;
    let old = client.leader_of("t", 0).await.unwrap();
    let new = if old == 1 { 2 } else { 1 };
    c.set_leader("t", 0, new).unwrap();
    // The stale leader answers NOT_LEADER_OR_FOLLOWER; the client refreshes and goes to the new one.
    let e = list_offset(&client, "t", 0, OffsetSpec::Latest)
        .await
        .unwrap_err();
    assert_eq!(
        e.kafka_code().map(|c| c.name()),
        Some("NOT_LEADER_OR_FOLLOWER")
    );
    assert_eq!(client.leader_of("t", 0).await.unwrap(), new);
    assert_eq!(
        list_offset(&client, "t", 0, OffsetSpec::Latest)
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn reconnect_backs_off_exponentially_then_recovers() {
    let c = cluster().await;
    let client = client_with(&c.bootstrap(), |b| {
        b.reconnect_backoff(Duration::from_millis(100), Duration::from_millis(400));
    })
    .await;
    let leader = client.leader_of("t", 0).await.unwrap();
    client.connection(leader).await.unwrap();
    c.stop_broker(leader).await.unwrap();
    // Each attempt waits out the backoff left by the one before it: 0, ~100, ~200, ~400 ms.
    let start = std::time::Instant::now();
    let mut failures = 0;
    while failures < 4 {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "only {failures} failures"
        );
        match client.connection(leader).await {
            Err(e) => {
                assert!(e.is_retriable(), "{e}");
                failures += 1;
                assert_eq!(client.connect_failures(leader), failures);
            }
            // The old connection's task has not yet seen the close: let it run.
            Ok(_) => tokio::time::sleep(Duration::from_millis(1)).await,
        }
    }
    let took = start.elapsed();
    // 100 + 200 + 400 ms with ±20 % jitter, capped at the maximum: at least 560 ms.
    assert!(took >= Duration::from_millis(560), "{took:?}");
    assert!(took < Duration::from_secs(3), "{took:?}");
    c.start_broker(leader).await.unwrap();
    let conn = client.connection(leader).await.unwrap();
    assert!(!conn.is_closed());
    assert_eq!(client.connect_failures(leader), 0);
}

#[tokio::test]
async fn bootstrap_tries_each_server_in_turn() {
    let c = cluster().await;
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let bootstrap = format!("{dead},{}", c.bootstrap());
    let client = client_with(&bootstrap, |_| {}).await;
    assert_eq!(client.metadata().await.unwrap().brokers.len(), 2);
    // All down: one error that lists every server tried.
    let e = Client::connect(
        ClientConfig::builder()
            .bootstrap_servers(format!("{dead}"))
            .connection_setup_timeout(Duration::from_millis(300))
            .build()
            .unwrap(),
    )
    .await
    .unwrap_err();
    match e {
        Error::Bootstrap { attempts, .. } => {
            assert_eq!(attempts.len(), 1);
            assert!(attempts[0].contains(&dead.to_string()), "{attempts:?}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn metadata_refreshed_on_max_age() {
    let c = cluster().await;
    let client = client_with(&c.bootstrap(), |b| {
        b.metadata_max_age(Duration::from_millis(100));
    })
    .await;
    let first = c.request_count(ApiKey::Metadata);
    tokio::time::sleep(Duration::from_millis(450)).await;
    // The background refresher ran without any call from us.
    assert!(
        c.request_count(ApiKey::Metadata) >= first + 2,
        "{} vs {first}",
        c.request_count(ApiKey::Metadata)
    );
    drop(client);
}
