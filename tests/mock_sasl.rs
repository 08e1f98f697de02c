//! SASL through the low-level client against `ottla-mock`'s server side: PLAIN, SCRAM,
//! OAUTHBEARER, failures, and KIP-368 re-authentication under load.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ottla::basic::{fetch_partition, produce_batch, FetchOptions, ProduceOptions};
use ottla::protocol::records::Record;
use ottla::{Client, ClientConfig, Error};
use ottla_mock::{MockCluster, MockSasl, SaslCounter, SaslMechanism};
use ottla_sasl::{OauthToken, SaslError, Secret, TokenProvider};

async fn cluster(sasl: MockSasl) -> MockCluster {
    ottla_tests::sasl_mock(sasl).await
}

fn config(bootstrap: &str, pairs: &[(&str, &str)]) -> ottla::ClientConfigBuilder {
    ottla_tests::sasl_config(bootstrap, pairs)
}

async fn connect(b: &ottla::ClientConfigBuilder) -> Result<Client, Error> {
    Client::connect(b.build().unwrap()).await
}

fn record(v: &str) -> Record {
    ottla_tests::value_record(v)
}

async fn round_trip(client: &Client) {
    ottla_tests::round_trip_value(client, "hello").await;
}

#[tokio::test]
async fn plain_and_scram_authenticate() {
    for (mock, name) in [
        (SaslMechanism::Plain, "PLAIN"),
        (SaslMechanism::ScramSha256, "SCRAM-SHA-256"),
        (SaslMechanism::ScramSha512, "SCRAM-SHA-512"),
    ] {
        let c = cluster(
            MockSasl::new()
                .mechanism(mock)
                .user("alice", "alice-secret"),
        )
        .await;
        let b = config(
            &c.bootstrap(),
            &[
                ("sasl.mechanism", name),
                ("sasl.username", "alice"),
                ("sasl.password", "alice-secret"),
            ],
        );
        let client = connect(&b).await.unwrap_or_else(|e| panic!("{name}: {e}"));
        round_trip(&client).await;
        assert!(
            c.sasl_count(SaslCounter::Authentications) >= 2,
            "{name}: bootstrap and leader connections"
        );
        assert_eq!(c.sasl_count(SaslCounter::Failures), 0);
    }
}

#[tokio::test]
async fn wrong_password_is_a_typed_non_retriable_error() {
    let c = cluster(
        MockSasl::new()
            .mechanism(SaslMechanism::ScramSha512)
            .user("alice", "alice-secret"),
    )
    .await;
    for (user, pass) in [("alice", "wrong"), ("mallory", "alice-secret")] {
        let b = config(
            &c.bootstrap(),
            &[
                ("sasl.mechanism", "SCRAM-SHA-512"),
                ("sasl.username", user),
                ("sasl.password", pass),
            ],
        );
        let e = connect(&b).await.unwrap_err();
        let text = e.to_string();
        assert!(text.contains("authentication failed"), "{text}");
        assert!(!text.contains(pass), "the password never appears: {text}");
        assert!(!e.is_retriable());
        let Error::Bootstrap { attempts, .. } = &e else {
            panic!("{e:?}")
        };
        assert!(attempts[0].contains("SASL/SCRAM-SHA-512"), "{attempts:?}");
    }
    assert_eq!(c.sasl_count(SaslCounter::Failures), 2);
}

#[tokio::test]
async fn mechanism_not_offered_lists_what_is() {
    let c = cluster(
        MockSasl::new()
            .mechanism(SaslMechanism::ScramSha256)
            .user("alice", "alice-secret"),
    )
    .await;
    let b = config(
        &c.bootstrap(),
        &[
            ("sasl.mechanism", "SCRAM-SHA-512"),
            ("sasl.username", "alice"),
            ("sasl.password", "alice-secret"),
        ],
    );
    let e = connect(&b).await.unwrap_err().to_string();
    assert!(
        e.contains("does not offer SASL mechanism SCRAM-SHA-512; it offers: SCRAM-SHA-256"),
        "{e}"
    );
}

#[tokio::test]
async fn unauthenticated_client_is_cut_off() {
    let c = cluster(
        MockSasl::new()
            .mechanism(SaslMechanism::Plain)
            .user("alice", "alice-secret"),
    )
    .await;
    let mut b = ClientConfig::builder();
    b.bootstrap_servers(c.bootstrap());
    let e = Client::connect(b.build().unwrap()).await.unwrap_err();
    assert!(e.to_string().contains("closed by the broker"), "{e}");
}

/// Hands out a new token each time and counts the calls.
#[derive(Debug)]
struct CountingTokens {
    calls: AtomicU64,
    principal: &'static str,
}

impl TokenProvider for CountingTokens {
    fn token(&self) -> Pin<Box<dyn Future<Output = Result<OauthToken, SaslError>> + Send + '_>> {
        Box::pin(async move {
            let n = self.calls.fetch_add(1, Ordering::SeqCst);
            Ok(OauthToken::new(
                Secret::new(format!("token-{n}")),
                i64::MAX,
                self.principal,
            ))
        })
    }
}

fn oauth_mock(lifetime: Option<Duration>) -> MockSasl {
    let mut sasl = MockSasl::new()
        .mechanism(SaslMechanism::OAuthBearer)
        .oauth_validator(|token: &str, _ext: &[(String, String)]| {
            if token.starts_with("token-") {
                Ok("service-a".to_owned())
            } else {
                Err("bad token".to_owned())
            }
        });
    if let Some(l) = lifetime {
        sasl = sasl.session_lifetime(l);
    }
    sasl
}

#[tokio::test]
async fn oauthbearer_with_provider_and_rejection() {
    let c = cluster(oauth_mock(None)).await;
    let provider = Arc::new(CountingTokens {
        calls: AtomicU64::new(0),
        principal: "service-a",
    });
    let mut b = config(&c.bootstrap(), &[("sasl.mechanism", "OAUTHBEARER")]);
    b.token_provider(provider.clone());
    let client = connect(&b).await.unwrap();
    round_trip(&client).await;
    assert!(
        provider.calls.load(Ordering::SeqCst) >= 2,
        "one token per connection"
    );

    #[derive(Debug)]
    struct BadToken;
    impl TokenProvider for BadToken {
        fn token(
            &self,
        ) -> Pin<Box<dyn Future<Output = Result<OauthToken, SaslError>> + Send + '_>> {
            Box::pin(async { Ok(OauthToken::new(Secret::new("forged"), i64::MAX, "x")) })
        }
    }
    let mut b = config(&c.bootstrap(), &[("sasl.mechanism", "OAUTHBEARER")]);
    b.token_provider(Arc::new(BadToken));
    let e = connect(&b).await.unwrap_err().to_string();
    assert!(
        e.contains("invalid_token"),
        "the server's challenge is surfaced: {e}"
    );
    assert!(!e.contains("forged"), "the token never appears: {e}");
}

/// KIP-368: with a 2 s session, a client producing and fetching for 10 s re-authenticates at
/// least 4 times per connection, with no error and no lost or reordered record.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reauthenticates_under_load_without_losing_requests() {
    let c = cluster(oauth_mock(Some(Duration::from_secs(2)))).await;
    let provider = Arc::new(CountingTokens {
        calls: AtomicU64::new(0),
        principal: "service-a",
    });
    let mut b = config(&c.bootstrap(), &[("sasl.mechanism", "OAUTHBEARER")]);
    b.token_provider(provider.clone());
    let client = connect(&b).await.unwrap();
    let leader = client.leader_of("t", 0).await.unwrap();
    let conn = client.connection(leader).await.unwrap();
    let started = Instant::now();
    let mut sent = 0u64;
    let mut next_fetch = 0i64;
    let mut received = Vec::new();
    while started.elapsed() < Duration::from_secs(10) {
        let batch: Vec<Record> = (0..10).map(|i| record(&(sent + i).to_string())).collect();
        produce_batch(&client, "t", 0, &batch, &ProduceOptions::default())
            .await
            .expect("produce during re-authentication");
        sent += 10;
        let f = fetch_partition(
            &client,
            "t",
            0,
            next_fetch,
            &FetchOptions {
                max_wait: Duration::from_millis(10),
                ..FetchOptions::default()
            },
        )
        .await
        .expect("fetch during re-authentication");
        next_fetch = f.next_offset;
        received.extend(
            f.records
                .into_iter()
                .map(|r| String::from_utf8(r.value.unwrap().to_vec()).unwrap()),
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    ottla_tests::fetch_values_until(&client, &mut next_fetch, &mut received, sent).await;
    let expected: Vec<String> = (0..sent).map(|i| i.to_string()).collect();
    assert_eq!(received, expected, "every record once, in order");
    assert!(
        !conn.is_closed(),
        "the leader connection lived through every re-authentication"
    );
    let reauths = conn.reauthentications();
    eprintln!("re-authentications on the leader connection: {reauths}; tokens fetched: {}; records: {sent}", provider.calls.load(Ordering::SeqCst));
    assert!(
        reauths >= 4,
        "only {reauths} re-authentications in 10 s with a 2 s session"
    );
    assert!(c.sasl_count(SaslCounter::Reauthentications) >= reauths);
    assert_eq!(c.sasl_count(SaslCounter::ExpiredSessionCloses), 0);
    assert_eq!(c.sasl_count(SaslCounter::Failures), 0);
    assert!(
        provider.calls.load(Ordering::SeqCst) > reauths,
        "a fresh token for each"
    );
}
