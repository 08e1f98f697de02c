//! No allocation beyond what arrives: a hostile broker that announces a huge frame costs the
//! client nothing for the bytes it never sends. The heap's peak is measured for the whole
//! process (client and peer) with dhat's counting allocator, in testing mode: one test in
//! this binary, so nothing else allocates alongside it.

use std::time::Duration;

use ottla::basic::{list_offset, OffsetSpec};
use ottla::protocol::frame::FrameError;
use ottla::protocol::messages::ApiKey;
use ottla::protocol::ProtocolError;
use ottla::{Client, ClientConfig, ConnectionError, Error};
use ottla_tests::hostile::{client_config, HostilePeer, Hostility, Then, NODE, OFFSET, TOPIC};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

/// `receive.message.max.bytes`: librdkafka's default, 100 MB.
const MAX: usize = 100_000_000;
/// A length within the limit, announced and never (or only partly) sent.
const ANNOUNCED: i32 = 90_000_000;
/// How much of it the peer sends before it closes, in the partial case.
const PARTIAL: usize = 4 << 20;
/// The most the heap may grow over its level before a hostile answer (never reached by
/// anything proportional to an announced length).
const SLACK: usize = 1 << 20;

fn config(bootstrap: &str) -> ClientConfig {
    client_config(bootstrap, Duration::from_millis(300), MAX)
}

fn connection_error(e: &Error) -> &ConnectionError {
    match e {
        Error::Connection { source, .. } => source,
        other => panic!("expected a connection error, got {other:?}"),
    }
}

/// The heap now, and its peak so far.
fn heap() -> (usize, usize) {
    let s = dhat::HeapStats::get();
    (s.curr_bytes, s.max_bytes)
}

/// Runs `scenario` (which must fail with a hostile answer) and returns the highest the heap
/// can have been during it, over its level before: exact when the scenario set a new peak;
/// otherwise the peak it stayed under, which is asserted below the bound all the same.
async fn peak_growth<F: std::future::Future<Output = Error>>(
    what: &str,
    scenario: F,
) -> (Error, usize) {
    let (before, peak_before) = heap();
    let e = scenario.await;
    let (_, peak_after) = heap();
    let growth = peak_after.max(peak_before).saturating_sub(before);
    eprintln!("{what}: heap {before} B before, peak {peak_after} B (+{growth} B): {e}");
    (e, growth)
}

async fn on_first_request(peer: &HostilePeer, client: &Client, h: Hostility) -> Error {
    peer.arm(ApiKey::ApiVersions, h);
    client.open_connection(NODE).await.unwrap_err()
}

async fn on_later_request(peer: &HostilePeer, client: &Client, h: Hostility) -> Error {
    client.connection(NODE).await.unwrap();
    peer.arm(ApiKey::ListOffsets, h);
    list_offset(client, TOPIC, 0, OffsetSpec::Earliest)
        .await
        .unwrap_err()
}

/// `hostility` on the first request of a new connection, then on a later request: each
/// one's error and heap growth.
async fn first_and_later(
    peer: &HostilePeer,
    client: &Client,
    what: &str,
    hostility: Hostility,
) -> [(Error, usize); 2] {
    let first = on_first_request(peer, client, hostility.clone());
    let first = peak_growth(&format!("{what}, first request"), first).await;
    let later = on_later_request(peer, client, hostility);
    let later = peak_growth(&format!("{what}, later request"), later).await;
    [first, later]
}

fn announce(len: i32, body: usize, then: Then) -> Hostility {
    Hostility::Length { len, body, then }
}

#[test]
fn hostile_lengths_cost_no_more_than_the_bytes_that_arrive() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let peer = HostilePeer::start().await;
        let client = Client::connect(config(&peer.bootstrap())).await.unwrap();
        assert_eq!(
            list_offset(&client, TOPIC, 0, OffsetSpec::Earliest)
                .await
                .unwrap(),
            OFFSET
        );

        // i32::MAX, over the limit: rejected from the prefix alone.
        let h = announce(i32::MAX, 0, Then::Silent);
        for (e, growth) in first_and_later(&peer, &client, "i32::MAX", h).await {
            assert!(
                matches!(
                    connection_error(&e),
                    ConnectionError::Protocol(ProtocolError::Frame(FrameError::TooLarge {
                        size,
                        max: MAX
                    })) if *size == i32::MAX as usize
                ),
                "{e:?}"
            );
            assert!(growth < SLACK, "the heap grew by {growth} B");
        }

        // 90 MB, within the limit, never sent: nothing is set aside for it.
        let h = announce(ANNOUNCED, 0, Then::Silent);
        for (e, growth) in first_and_later(&peer, &client, "90 MB never sent", h).await {
            assert!(matches!(e, Error::Timeout { .. }), "{e:?}");
            assert!(growth < SLACK, "the heap grew by {growth} B");
        }

        // 90 MB announced, 4 MiB sent, then the peer hangs up: the buffer grew with what
        // came (doubling), not to what was announced.
        let h = announce(ANNOUNCED, PARTIAL, Then::Close);
        for (e, growth) in first_and_later(&peer, &client, "90 MB, 4 MiB sent", h).await {
            assert!(
                matches!(
                    connection_error(&e),
                    ConnectionError::TruncatedFrame { expected, received: PARTIAL }
                        if *expected == ANNOUNCED as usize
                ),
                "{e:?}"
            );
            assert!(
                growth < 3 * PARTIAL + SLACK,
                "the heap grew by {growth} B for {PARTIAL} B received"
            );
        }

        // And the client goes on.
        assert_eq!(
            list_offset(&client, TOPIC, 0, OffsetSpec::Earliest)
                .await
                .unwrap(),
            OFFSET
        );
    });
    let (_, peak) = heap();
    eprintln!("whole test: heap peak {peak} B");
}
