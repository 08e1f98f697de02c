//! SASL/OAUTHBEARER against Apache Kafka's unsecured JWS validator (`OTTLA_OAUTH_BOOTSTRAP`,
//! started by `scripts/kafka.sh` with `connections.max.reauth.ms` = `OTTLA_OAUTH_REAUTH_MS`):
//! a token provider's tokens are accepted, an expired one is refused, and a connection that
//! outlives its session re-authenticates (KIP-368) without losing a request. Kafka closes a
//! connection whose session expired at its next request, so requests that keep succeeding on
//! the same connection past several session lifetimes show the client re-authenticated.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use bytes::Bytes;
use ottla::basic::{fetch_partition, produce_batch, FetchOptions, ProduceOptions};
use ottla::protocol::records::Record;
use ottla_sasl::{OauthToken, SaslError, Secret, TokenProvider};
use ottla_tests::{create_unique_topic, oauth_bootstrap};

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// An unsecured JWS (`alg: none`) as Kafka's `OAuthBearerUnsecuredJws` reads it.
fn unsecured_jws(sub: &str, issued_ms: i64, expires_ms: i64) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#);
    let claims = serde_json::json!({
        "sub": sub,
        "iat": issued_ms as f64 / 1000.0,
        "exp": expires_ms as f64 / 1000.0,
    });
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{payload}.")
}

/// Mints a fresh unsecured token valid for `lifetime` on every call, and counts the calls.
#[derive(Debug)]
struct Minted {
    calls: AtomicU64,
    lifetime: Duration,
    /// Added to the issue and expiry times (negative: a token that expired already).
    shift_ms: i64,
}

impl TokenProvider for Minted {
    fn token(&self) -> Pin<Box<dyn Future<Output = Result<OauthToken, SaslError>> + Send + '_>> {
        Box::pin(async move {
            self.calls.fetch_add(1, Ordering::SeqCst);
            let issued = now_ms() + self.shift_ms;
            let expires = issued + self.lifetime.as_millis() as i64;
            Ok(OauthToken::new(
                Secret::new(unsecured_jws("ottla-service", issued, expires)),
                expires,
                "ottla-service",
            ))
        })
    }
}

async fn connect(b: &str, provider: Arc<Minted>) -> Result<ottla::Client, ottla::Error> {
    let mut builder = ottla::ClientConfig::builder();
    builder.bootstrap_servers(b).client_id("ottla-tests");
    for (k, v) in [
        ("security.protocol", "SASL_PLAINTEXT"),
        ("sasl.mechanism", "OAUTHBEARER"),
        ("socket.connection.setup.timeout.ms", "5000"),
        ("request.timeout.ms", "10000"),
    ] {
        builder.set(k, v).unwrap();
    }
    builder.token_provider(provider);
    ottla::Client::connect(builder.build()?).await
}

fn reauth_ms() -> u64 {
    std::env::var("OTTLA_OAUTH_REAUTH_MS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(10_000)
}

#[tokio::test]
async fn expired_token_is_refused() {
    let Some(b) = oauth_bootstrap() else { return };
    let provider = Arc::new(Minted {
        calls: AtomicU64::new(0),
        lifetime: Duration::from_secs(60),
        shift_ms: -3_600_000,
    });
    let e = connect(&b, provider).await.unwrap_err();
    let text = e.to_string();
    assert!(
        text.to_lowercase().contains("authentication failed"),
        "{text:?} should say authentication failed"
    );
    assert!(text.contains(&b), "{text:?} should name the broker");
    assert!(!e.is_retriable(), "{e:?}");
}

/// The session ends after `OTTLA_OAUTH_REAUTH_MS` (the token itself lives an hour): for 2.5
/// sessions a producer and a reader keep using the leader connection, which must stay open,
/// re-authenticate at least twice with a fresh token each time, and lose no record.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reauthenticates_before_the_session_ends() {
    let Some(b) = oauth_bootstrap() else { return };
    let provider = Arc::new(Minted {
        calls: AtomicU64::new(0),
        lifetime: Duration::from_secs(3600),
        shift_ms: 0,
    });
    let client = connect(&b, provider.clone()).await.unwrap();
    let topic = create_unique_topic(&client, "oauth-reauth", 1, &[]).await;
    let leader = client.leader_of(&topic, 0).await.unwrap();
    let conn = client.connection(leader).await.unwrap();
    let run_for = Duration::from_millis(reauth_ms() * 5 / 2);
    let started = Instant::now();
    let (mut sent, mut next) = (0u64, 0i64);
    let mut received = Vec::new();
    while started.elapsed() < run_for {
        let batch: Vec<Record> = (0..20)
            .map(|i| Record {
                key: None,
                value: Some(Bytes::from((sent + i).to_string())),
                headers: vec![],
                timestamp: now_ms(),
            })
            .collect();
        produce_batch(&client, &topic, 0, &batch, &ProduceOptions::default())
            .await
            .expect("produce across re-authentication");
        sent += 20;
        let f = fetch_partition(
            &client,
            &topic,
            0,
            next,
            &FetchOptions {
                max_wait: Duration::from_millis(10),
                ..FetchOptions::default()
            },
        )
        .await
        .expect("fetch across re-authentication");
        next = f.next_offset;
        received.extend(
            f.records
                .into_iter()
                .map(|r| String::from_utf8(r.value.unwrap().to_vec()).unwrap()),
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    ottla_tests::fetch_values_until(&client, &mut next, &mut received, sent).await;
    let expected: Vec<String> = (0..sent).map(|i| i.to_string()).collect();
    assert_eq!(received, expected, "every record once, in order");
    assert!(
        !conn.is_closed(),
        "the leader connection outlived its sessions"
    );
    let reauths = conn.reauthentications();
    assert!(
        reauths >= 2,
        "{reauths} re-authentication(s) in {run_for:?} with {} ms sessions",
        reauth_ms()
    );
    assert!(
        provider.calls.load(Ordering::SeqCst) > reauths,
        "a fresh token for each authentication"
    );
}
