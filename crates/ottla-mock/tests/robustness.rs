//! Bad input closes the offending connection and nothing else.

mod common;

use bytes::{BufMut, BytesMut};
use common::*;
use kafka_protocol::messages::{ApiKey, ElectLeadersRequest, MetadataRequest, RequestHeader};
use kafka_protocol::protocol::Encodable;
use ottla_mock::MockCluster;
use ottla_protocol::frame::encode_frame;

/// A frame with a v1 request header for `(key, version)` followed by `body`.
fn frame(key: i16, version: i16, body: &[u8]) -> BytesMut {
    let mut inner = BytesMut::new();
    RequestHeader::default()
        .with_request_api_key(key)
        .with_request_api_version(version)
        .with_correlation_id(1)
        .encode(&mut inner, 1)
        .unwrap();
    inner.put_slice(body);
    let mut out = BytesMut::new();
    encode_frame(&inner, &mut out).unwrap();
    out
}

async fn still_serves(cluster: &MockCluster) {
    let mut c = RawClient::connect(cluster.broker_addr(1).unwrap()).await;
    let r = c
        .call(&MetadataRequest::default().with_topics(None), 12)
        .await;
    assert_eq!(r.topics.len(), 1);
}

#[tokio::test]
async fn bad_requests_close_only_their_connection() {
    let cluster = MockCluster::builder().topic("t", 1).start().await.unwrap();
    let addr = cluster.broker_addr(1).unwrap();
    let mut bystander = RawClient::connect(addr).await;

    let mut cases: Vec<(&str, Vec<u8>)> = vec![
        ("unknown API key", frame(1000, 0, &[]).to_vec()),
        (
            "garbage Metadata body",
            frame(ApiKey::Metadata as i16, 4, &[0xff; 3]).to_vec(),
        ),
        (
            "Metadata v0 (not advertised)",
            frame(ApiKey::Metadata as i16, 0, &[0, 0, 0, 0]).to_vec(),
        ),
        (
            "Produce v2 (not advertised)",
            frame(ApiKey::Produce as i16, 2, &[]).to_vec(),
        ),
        ("negative length", (-5i32).to_be_bytes().to_vec()),
        (
            "length above the request limit",
            (200_000_000i32).to_be_bytes().to_vec(),
        ),
        ("frame shorter than a header", vec![0, 0, 0, 2, 0, 3]),
    ];
    // A valid request with trailing bytes.
    let mut trailing = BytesMut::new();
    ottla_protocol::request::encode_request(
        &MetadataRequest::default().with_topics(None),
        4,
        9,
        None,
        &mut trailing,
    )
    .unwrap();
    let mut body = trailing.split_off(4).to_vec();
    body.push(0);
    let mut with_trailing = BytesMut::new();
    encode_frame(&body, &mut with_trailing).unwrap();
    cases.push(("trailing bytes", with_trailing.to_vec()));
    // An API Kafka has but the mock does not implement.
    let mut describe = BytesMut::new();
    ottla_protocol::request::encode_request(
        &ElectLeadersRequest::default(),
        0,
        1,
        None,
        &mut describe,
    )
    .unwrap();
    cases.push(("ElectLeaders (not implemented)", describe.to_vec()));

    for (what, bytes) in cases {
        let mut c = RawClient::connect(addr).await;
        c.write_raw(&bytes).await;
        match c.read().await {
            ReadEnd::Eof { buffered: 0 } => {}
            other => panic!("{what}: expected the connection to close, got {other:?}"),
        }
    }
    assert_eq!(cluster.raw_request_count(1000), 1);
    assert_eq!(cluster.request_count(ApiKey::ElectLeaders), 1);

    // The other connection and new ones are unaffected.
    let r = bystander
        .call(&MetadataRequest::default().with_topics(None), 12)
        .await;
    assert_eq!(r.topics.len(), 1);
    still_serves(&cluster).await;
}

#[tokio::test]
async fn random_bytes_never_take_the_broker_down() {
    let cluster = MockCluster::builder().topic("t", 1).start().await.unwrap();
    let addr = cluster.broker_addr(1).unwrap();
    // A small deterministic generator (xorshift) for frames of random content; every API key
    // the mock implements, at versions it accepts, so decoders get exercised.
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let apis = [
        (0i16, 3i16, 11i16),
        (1, 4, 12),
        (2, 1, 9),
        (3, 1, 12),
        (18, 0, 3),
        (19, 2, 7),
        (20, 1, 6),
    ];
    for i in 0..150 {
        let (key, min, max) = apis[i % apis.len()];
        let version = min + (next() % (max - min + 1) as u64) as i16;
        let len = (next() % 64) as usize;
        let body: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        let mut c = RawClient::connect(addr).await;
        c.write_raw(&frame(key, version, &body)).await;
        // Either an answer (random bytes can be a valid request) or a closed connection; a
        // request that happens to decode as a long poll is simply abandoned.
        let _ = tokio::time::timeout(std::time::Duration::from_millis(500), c.read()).await;
    }
    still_serves(&cluster).await;
}
