//! Server-side SASL seen from a raw client: handshake, PLAIN, SCRAM, OAUTHBEARER, the gate
//! before authentication, KIP-368 session lifetime and re-authentication, and faults.

mod common;

use std::time::Duration;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use bytes::Bytes;
use common::*;
use hmac::{Hmac, Mac};
use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, SaslAuthenticateRequest, SaslAuthenticateResponse,
    SaslHandshakeRequest, SaslHandshakeResponse,
};
use kafka_protocol::protocol::StrBytes;
use ottla_mock::{Fault, MockCluster, MockSasl, SaslCounter, SaslMechanism};
use sha2::{Digest, Sha256, Sha512};

const UNSUPPORTED_SASL_MECHANISM: i16 = 33;
const ILLEGAL_SASL_STATE: i16 = 34;
const SASL_AUTHENTICATION_FAILED: i16 = 58;

fn sasl_config() -> MockSasl {
    MockSasl::new()
        .mechanism(SaslMechanism::Plain)
        .mechanism(SaslMechanism::ScramSha256)
        .mechanism(SaslMechanism::ScramSha512)
        .mechanism(SaslMechanism::OAuthBearer)
        .user("alice", "alice-pw")
        .user("bob", "bob-pw")
        .oauth_validator(|token, extensions| match token {
            "good" if extensions.iter().any(|(k, v)| k == "team" && v == "a") => {
                Ok("svc-a".to_owned())
            }
            "good" => Ok("svc".to_owned()),
            _ => Err(format!("unknown token {token}")),
        })
}

async fn cluster(sasl: MockSasl) -> MockCluster {
    MockCluster::builder()
        .topic("t", 1)
        .sasl(sasl)
        .start()
        .await
        .unwrap()
}

async fn connect(cluster: &MockCluster) -> RawClient {
    RawClient::connect(cluster.broker_addr(1).unwrap()).await
}

async fn handshake(c: &mut RawClient, mechanism: &'static str) -> SaslHandshakeResponse {
    c.call(
        &SaslHandshakeRequest::default().with_mechanism(StrBytes::from_static_str(mechanism)),
        1,
    )
    .await
}

async fn authenticate(c: &mut RawClient, token: &[u8], version: i16) -> SaslAuthenticateResponse {
    c.call(
        &SaslAuthenticateRequest::default().with_auth_bytes(Bytes::copy_from_slice(token)),
        version,
    )
    .await
}

async fn metadata_ok(c: &mut RawClient) {
    let r = c.call(&metadata_request(Some(&["t"])), 12).await;
    assert_eq!(r.topics[0].error_code, 0);
}

async fn plain_login(c: &mut RawClient, user: &str, password: &str) -> SaslAuthenticateResponse {
    assert_eq!(handshake(c, "PLAIN").await.error_code, 0);
    authenticate(c, format!("\0{user}\0{password}").as_bytes(), 2).await
}

/// A minimal SCRAM client (RFC 5802), independent of the mock's server code.
#[derive(Clone, Copy)]
enum Hash {
    Sha256,
    Sha512,
}

impl Hash {
    fn hmac(self, key: &[u8], data: &[u8]) -> Vec<u8> {
        match self {
            Hash::Sha256 => {
                let mut m = Hmac::<Sha256>::new_from_slice(key).unwrap();
                m.update(data);
                m.finalize().into_bytes().to_vec()
            }
            Hash::Sha512 => {
                let mut m = Hmac::<Sha512>::new_from_slice(key).unwrap();
                m.update(data);
                m.finalize().into_bytes().to_vec()
            }
        }
    }
    fn h(self, data: &[u8]) -> Vec<u8> {
        match self {
            Hash::Sha256 => Sha256::digest(data).to_vec(),
            Hash::Sha512 => Sha512::digest(data).to_vec(),
        }
    }
    fn hi(self, password: &str, salt: &[u8], iterations: u32) -> Vec<u8> {
        // Hi() written out from RFC 5802 section 2.2, not via the pbkdf2 crate.
        let mut u = self.hmac(password.as_bytes(), &[salt, &[0, 0, 0, 1]].concat());
        let mut out = u.clone();
        for _ in 1..iterations {
            u = self.hmac(password.as_bytes(), &u);
            out.iter_mut().zip(&u).for_each(|(o, x)| *o ^= x);
        }
        out
    }
}

/// Runs a SCRAM exchange; returns the final SaslAuthenticate response and whether its
/// `v=` matched the server signature the client expects.
async fn scram_login(
    c: &mut RawClient,
    mechanism: &'static str,
    hash: Hash,
    user: &str,
    password: &str,
) -> (SaslAuthenticateResponse, bool) {
    assert_eq!(handshake(c, mechanism).await.error_code, 0);
    let client_nonce = "fyko+d2lbbFgONRv9qkxdawL";
    let first_bare = format!("n={user},r={client_nonce}");
    let r = authenticate(c, format!("n,,{first_bare}").as_bytes(), 2).await;
    if r.error_code != 0 {
        return (r, false);
    }
    let server_first = String::from_utf8(r.auth_bytes.to_vec()).unwrap();
    let mut nonce = "";
    let mut salt = Vec::new();
    let mut iterations = 0;
    for field in server_first.split(',') {
        match field.split_at(2) {
            ("r=", v) => nonce = v,
            ("s=", v) => salt = BASE64.decode(v).unwrap(),
            ("i=", v) => iterations = v.parse().unwrap(),
            _ => {}
        }
    }
    assert!(nonce.starts_with(client_nonce) && nonce.len() > client_nonce.len());
    assert_eq!(iterations, 4096);
    let salted = hash.hi(password, &salt, iterations);
    let client_key = hash.hmac(&salted, b"Client Key");
    let stored_key = hash.h(&client_key);
    let without_proof = format!("c=biws,r={nonce}");
    let auth_message = format!("{first_bare},{server_first},{without_proof}");
    let signature = hash.hmac(&stored_key, auth_message.as_bytes());
    let proof: Vec<u8> = client_key
        .iter()
        .zip(&signature)
        .map(|(a, b)| a ^ b)
        .collect();
    let last = format!("{without_proof},p={}", BASE64.encode(proof));
    let r = authenticate(c, last.as_bytes(), 2).await;
    let server_key = hash.hmac(&salted, b"Server Key");
    let expected = format!(
        "v={}",
        BASE64.encode(hash.hmac(&server_key, auth_message.as_bytes()))
    );
    let verified = r.auth_bytes.as_ref() == expected.as_bytes();
    (r, verified)
}

#[tokio::test]
async fn api_versions_advertises_sasl_only_when_enabled() {
    let plain = MockCluster::builder().start().await.unwrap();
    let mut c = connect(&plain).await;
    let r = c.call(&ApiVersionsRequest::default(), 3).await;
    assert!(!r
        .api_keys
        .iter()
        .any(|k| k.api_key == ApiKey::SaslHandshake as i16));
    // Without SASL, other requests need no authentication.
    let r = c.call(&metadata_request(None), 12).await;
    assert_eq!(r.brokers.len(), 1);

    let cluster = cluster(sasl_config()).await;
    let mut c = connect(&cluster).await;
    let r = c.call(&ApiVersionsRequest::default(), 3).await;
    let range = |key: ApiKey| {
        r.api_keys
            .iter()
            .find(|k| k.api_key == key as i16)
            .map(|k| (k.min_version, k.max_version))
    };
    assert_eq!(range(ApiKey::SaslHandshake), Some((1, 1)));
    assert_eq!(range(ApiKey::SaslAuthenticate), Some((0, 2)));
    // A second ApiVersions before the handshake closes the connection, as in Kafka.
    c.send(&ApiVersionsRequest::default(), 3).await;
    c.expect_closed().await;
}

#[tokio::test]
async fn handshake_lists_mechanisms_and_refuses_unknown_ones() {
    let cluster = cluster(sasl_config()).await;
    let mut c = connect(&cluster).await;
    let r = handshake(&mut c, "SCRAM-SHA-512").await;
    assert_eq!(r.error_code, 0);
    let names: Vec<&str> = r.mechanisms.iter().map(|m| m.as_str()).collect();
    assert_eq!(
        names,
        ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"]
    );

    let mut c = connect(&cluster).await;
    let r = handshake(&mut c, "GSSAPI").await;
    assert_eq!(r.error_code, UNSUPPORTED_SASL_MECHANISM);
    assert_eq!(r.mechanisms.len(), 4);
    c.expect_closed().await;

    let only_plain = cluster_with(MockSasl::new().mechanism(SaslMechanism::Plain)).await;
    let mut c = connect(&only_plain).await;
    assert_eq!(
        handshake(&mut c, "SCRAM-SHA-256").await.error_code,
        UNSUPPORTED_SASL_MECHANISM
    );
}

async fn cluster_with(sasl: MockSasl) -> MockCluster {
    cluster(sasl).await
}

#[tokio::test]
async fn plain_accepts_the_password_and_refuses_a_wrong_one() {
    let cluster = cluster(sasl_config()).await;
    let mut c = connect(&cluster).await;
    let r = plain_login(&mut c, "alice", "alice-pw").await;
    assert_eq!((r.error_code, r.session_lifetime_ms), (0, 0));
    metadata_ok(&mut c).await;
    assert_eq!(cluster.sasl_principals(), vec![(1, "alice".to_owned())]);
    assert_eq!(cluster.sasl_count(SaslCounter::Authentications), 1);

    let mut bad = connect(&cluster).await;
    let r = plain_login(&mut bad, "alice", "nope").await;
    assert_eq!(r.error_code, SASL_AUTHENTICATION_FAILED);
    assert_eq!(
        r.error_message.as_deref(),
        Some("Authentication failed: Invalid username or password")
    );
    bad.expect_closed().await;
    assert_eq!(cluster.sasl_count(SaslCounter::Failures), 1);
    assert_eq!(cluster.sasl_count_on(1, SaslCounter::Failures), 1);
    assert_eq!(cluster.sasl_count_on(2, SaslCounter::Failures), 0);

    drop(c);
    // The principal is forgotten once the connection is gone.
    for _ in 0..100 {
        if cluster.sasl_principals().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(cluster.sasl_principals().is_empty());
}

#[tokio::test]
async fn scram_sha256_and_sha512_full_exchanges() {
    let cluster = cluster(sasl_config()).await;
    for (mechanism, hash) in [
        ("SCRAM-SHA-256", Hash::Sha256),
        ("SCRAM-SHA-512", Hash::Sha512),
    ] {
        let mut c = connect(&cluster).await;
        let (r, verified) = scram_login(&mut c, mechanism, hash, "bob", "bob-pw").await;
        assert_eq!(r.error_code, 0, "{mechanism}: {:?}", r.error_message);
        assert!(verified, "{mechanism}: server signature mismatch");
        metadata_ok(&mut c).await;

        let mut c = connect(&cluster).await;
        let (r, _) = scram_login(&mut c, mechanism, hash, "bob", "wrong").await;
        assert_eq!(r.error_code, SASL_AUTHENTICATION_FAILED);
        assert_eq!(
            r.error_message.as_deref(),
            Some(
                format!(
                    "Authentication failed during authentication due to invalid credentials \
                     with SASL mechanism {mechanism}"
                )
                .as_str()
            )
        );
        c.expect_closed().await;

        // An unknown user fails at the first message with the same code.
        let mut c = connect(&cluster).await;
        let (r, _) = scram_login(&mut c, mechanism, hash, "mallory", "x").await;
        assert_eq!(r.error_code, SASL_AUTHENTICATION_FAILED);
        c.expect_closed().await;
    }
    assert_eq!(cluster.sasl_count(SaslCounter::Authentications), 2);
    assert_eq!(cluster.sasl_count(SaslCounter::Failures), 4);
}

#[tokio::test]
async fn oauthbearer_accepts_and_rejects_with_the_rfc7628_challenge() {
    let cluster = cluster(sasl_config()).await;
    let mut c = connect(&cluster).await;
    assert_eq!(handshake(&mut c, "OAUTHBEARER").await.error_code, 0);
    let r = authenticate(&mut c, b"n,,\x01auth=Bearer good\x01team=a\x01\x01", 1).await;
    assert_eq!(r.error_code, 0);
    assert!(r.auth_bytes.is_empty());
    metadata_ok(&mut c).await;
    assert_eq!(cluster.sasl_principals(), vec![(1, "svc-a".to_owned())]);

    let mut c = connect(&cluster).await;
    assert_eq!(handshake(&mut c, "OAUTHBEARER").await.error_code, 0);
    let r = authenticate(&mut c, b"n,,\x01auth=Bearer bad\x01\x01", 2).await;
    assert_eq!(r.error_code, 0);
    assert_eq!(r.auth_bytes.as_ref(), br#"{"status":"invalid_token"}"#);
    let r = authenticate(&mut c, b"\x01", 2).await;
    assert_eq!(r.error_code, SASL_AUTHENTICATION_FAILED);
    c.expect_closed().await;
    assert_eq!(cluster.sasl_count(SaslCounter::Failures), 1);
}

#[tokio::test]
async fn requests_before_authentication_close_the_connection() {
    let cluster = cluster(sasl_config()).await;
    let mut c = connect(&cluster).await;
    c.send(&metadata_request(None), 12).await;
    c.expect_closed().await;

    // During the exchange, another request gets ILLEGAL_SASL_STATE and the connection closes.
    let mut c = connect(&cluster).await;
    assert_eq!(handshake(&mut c, "PLAIN").await.error_code, 0);
    let r = c.call(&metadata_request(Some(&["t"])), 12).await;
    assert_eq!(r.topics[0].error_code, ILLEGAL_SASL_STATE);
    c.expect_closed().await;

    // SaslAuthenticate before SaslHandshake closes it too.
    let mut c = connect(&cluster).await;
    c.send(
        &SaslAuthenticateRequest::default().with_auth_bytes(Bytes::from_static(b"\0a\0b")),
        2,
    )
    .await;
    c.expect_closed().await;
    assert_eq!(cluster.sasl_count(SaslCounter::Authentications), 0);
}

#[tokio::test]
async fn session_lifetime_and_reauthentication() {
    let cluster = cluster(sasl_config().session_lifetime(Duration::from_secs(60))).await;
    let mut c = connect(&cluster).await;
    let r = plain_login(&mut c, "alice", "alice-pw").await;
    assert_eq!((r.error_code, r.session_lifetime_ms), (0, 60_000));
    metadata_ok(&mut c).await;

    // Re-authenticate twice on the live connection; at SaslAuthenticate v0 the lifetime is not
    // on the wire.
    let r = plain_login(&mut c, "alice", "alice-pw").await;
    assert_eq!((r.error_code, r.session_lifetime_ms), (0, 60_000));
    assert_eq!(handshake(&mut c, "PLAIN").await.error_code, 0);
    let r = authenticate(&mut c, b"\0alice\0alice-pw", 0).await;
    assert_eq!((r.error_code, r.session_lifetime_ms), (0, 0));
    metadata_ok(&mut c).await;
    assert_eq!(cluster.sasl_count(SaslCounter::Authentications), 1);
    assert_eq!(cluster.sasl_count(SaslCounter::Reauthentications), 2);
    assert_eq!(cluster.sasl_count_on(1, SaslCounter::Reauthentications), 2);

    // Another principal is refused and the connection closed.
    let r = plain_login(&mut c, "bob", "bob-pw").await;
    assert_eq!(r.error_code, SASL_AUTHENTICATION_FAILED);
    assert_eq!(
        r.error_message.as_deref(),
        Some("Cannot change principals during re-authentication from User.alice: User.bob")
    );
    c.expect_closed().await;

    // So is another mechanism, at its first token.
    let mut c = connect(&cluster).await;
    assert_eq!(plain_login(&mut c, "bob", "bob-pw").await.error_code, 0);
    assert_eq!(handshake(&mut c, "SCRAM-SHA-256").await.error_code, 0);
    c.send(
        &SaslAuthenticateRequest::default().with_auth_bytes(Bytes::from_static(b"n,,n=bob,r=x")),
        2,
    )
    .await;
    c.expect_closed().await;
}

#[tokio::test]
async fn without_lifetime_reauthentication_is_an_illegal_state() {
    let cluster = cluster(sasl_config()).await;
    let mut c = connect(&cluster).await;
    assert_eq!(plain_login(&mut c, "alice", "alice-pw").await.error_code, 0);
    let r = handshake(&mut c, "PLAIN").await;
    assert_eq!(r.error_code, ILLEGAL_SASL_STATE);
    let r = authenticate(&mut c, b"\0alice\0alice-pw", 2).await;
    assert_eq!(r.error_code, ILLEGAL_SASL_STATE);
    // The connection stays usable, as with Kafka's KafkaApis answer.
    metadata_ok(&mut c).await;
    assert_eq!(cluster.sasl_count(SaslCounter::Reauthentications), 0);
}

#[tokio::test]
async fn a_request_after_the_session_expired_closes_the_connection() {
    let lifetime = Duration::from_millis(300);
    let cluster = cluster(sasl_config().session_lifetime(lifetime)).await;
    let mut c = connect(&cluster).await;
    let r = plain_login(&mut c, "alice", "alice-pw").await;
    assert_eq!(r.session_lifetime_ms, 300);
    metadata_ok(&mut c).await;
    tokio::time::sleep(lifetime + Duration::from_millis(100)).await;
    c.send(&metadata_request(None), 12).await;
    c.expect_closed().await;
    assert_eq!(cluster.sasl_count(SaslCounter::ExpiredSessionCloses), 1);
    assert_eq!(
        cluster.sasl_count_on(1, SaslCounter::ExpiredSessionCloses),
        1
    );

    // Re-authenticating is still allowed after expiry, and renews the session.
    let mut c = connect(&cluster).await;
    assert_eq!(plain_login(&mut c, "alice", "alice-pw").await.error_code, 0);
    tokio::time::sleep(lifetime + Duration::from_millis(100)).await;
    let r = plain_login(&mut c, "alice", "alice-pw").await;
    assert_eq!((r.error_code, r.session_lifetime_ms), (0, 300));
    metadata_ok(&mut c).await;
    assert_eq!(cluster.sasl_count(SaslCounter::Reauthentications), 1);
    assert_eq!(cluster.sasl_count(SaslCounter::ExpiredSessionCloses), 1);
}

#[tokio::test]
async fn faults_apply_to_sasl_requests() {
    let cluster = cluster(sasl_config()).await;
    let id = cluster
        .inject(Fault::new(ApiKey::SaslAuthenticate).error(ottla_mock::ErrorTarget::Response, 58));
    let mut c = connect(&cluster).await;
    let r = plain_login(&mut c, "alice", "alice-pw").await;
    assert_eq!(r.error_code, SASL_AUTHENTICATION_FAILED);
    c.expect_closed().await;
    assert_eq!(cluster.fault_hits(id), Some(1));

    cluster.inject(Fault::new(ApiKey::SaslHandshake).drop_connection());
    let mut c = connect(&cluster).await;
    c.send(
        &SaslHandshakeRequest::default().with_mechanism(StrBytes::from_static_str("PLAIN")),
        1,
    )
    .await;
    c.expect_closed().await;

    cluster.inject(
        Fault::new(ApiKey::SaslAuthenticate)
            .delay(Duration::from_millis(50))
            .wrong_correlation_id(),
    );
    let mut c = connect(&cluster).await;
    assert_eq!(handshake(&mut c, "PLAIN").await.error_code, 0);
    let sent = c
        .send(
            &SaslAuthenticateRequest::default()
                .with_auth_bytes(Bytes::from_static(b"\0alice\0alice-pw")),
            2,
        )
        .await;
    let frame = c.expect_frame().await;
    let got = i32::from_be_bytes(frame[..4].try_into().unwrap());
    assert_eq!(got, !sent);
    // The authentication itself went through.
    metadata_ok(&mut c).await;
    assert_eq!(cluster.sasl_count(SaslCounter::Authentications), 1);
}
