//! SASL/SCRAM and SASL/PLAIN against Apache Kafka (`scripts/kafka.sh`): the SASL_PLAINTEXT
//! listener (`OTTLA_SCRAM_BOOTSTRAP`) and the SASL_SSL listener (`OTTLA_SASL_SSL_BOOTSTRAP`).
//! SCRAM users, created when the node is formatted: alice/alice-secret (SCRAM-SHA-512 only) and
//! bob/bob-secret (SCRAM-SHA-256 only). PLAIN users (the listener's JAAS): alice and bob with
//! the same passwords.

use ottla_tests::{client_with, fixture_str, round_trip, sasl_ssl_bootstrap, scram_bootstrap};

fn sasl<'a>(
    protocol: &'a str,
    mechanism: &'a str,
    user: &'a str,
    password: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("security.protocol", protocol),
        ("sasl.mechanism", mechanism),
        ("sasl.username", user),
        ("sasl.password", password),
        ("socket.connection.setup.timeout.ms", "5000"),
        ("request.timeout.ms", "10000"),
    ]
}

fn assert_auth_failed(e: &ottla::Error, b: &str, password: &str) {
    let text = e.to_string();
    assert!(
        text.to_lowercase().contains("authentication failed"),
        "{text:?} should say authentication failed"
    );
    assert!(text.contains(b), "{text:?} should name the broker {b}");
    assert!(
        !text.contains(password),
        "{text:?} must not contain the password"
    );
    assert!(
        !format!("{e:?}").contains(password),
        "{e:?} must not contain the password"
    );
    assert!(!e.is_retriable(), "{e:?} must not be retriable");
}

#[tokio::test]
async fn scram_sha_512_produce_consume() {
    let Some(b) = scram_bootstrap() else { return };
    let c = client_with(
        &b,
        &sasl("SASL_PLAINTEXT", "SCRAM-SHA-512", "alice", "alice-secret"),
    )
    .await
    .unwrap();
    round_trip(&c, "scram512", 50).await;
}

#[tokio::test]
async fn scram_sha_256_produce_consume() {
    let Some(b) = scram_bootstrap() else { return };
    let c = client_with(
        &b,
        &sasl("SASL_PLAINTEXT", "SCRAM-SHA-256", "bob", "bob-secret"),
    )
    .await
    .unwrap();
    round_trip(&c, "scram256", 50).await;
}

#[tokio::test]
async fn wrong_password_is_authentication_failure() {
    let Some(b) = scram_bootstrap() else { return };
    let password = "definitely-not-alices-password";
    let e = client_with(
        &b,
        &sasl("SASL_PLAINTEXT", "SCRAM-SHA-512", "alice", password),
    )
    .await
    .unwrap_err();
    assert_auth_failed(&e, &b, password);
}

#[tokio::test]
async fn unknown_user_is_authentication_failure() {
    let Some(b) = scram_bootstrap() else { return };
    let password = "mallory-password-123";
    let e = client_with(
        &b,
        &sasl("SASL_PLAINTEXT", "SCRAM-SHA-512", "mallory", password),
    )
    .await
    .unwrap_err();
    assert_auth_failed(&e, &b, password);
}

#[tokio::test]
async fn wrong_mechanism_fails() {
    // alice's credentials are stored for SCRAM-SHA-512 only.
    let Some(b) = scram_bootstrap() else { return };
    let e = client_with(
        &b,
        &sasl("SASL_PLAINTEXT", "SCRAM-SHA-256", "alice", "alice-secret"),
    )
    .await
    .unwrap_err();
    assert_auth_failed(&e, &b, "alice-secret");
}

#[tokio::test]
async fn plain_produce_consume() {
    let Some(b) = scram_bootstrap() else { return };
    let c = client_with(
        &b,
        &sasl("SASL_PLAINTEXT", "PLAIN", "alice", "alice-secret"),
    )
    .await
    .unwrap();
    round_trip(&c, "plain", 50).await;
}

#[tokio::test]
async fn plain_wrong_password_is_authentication_failure() {
    let Some(b) = scram_bootstrap() else { return };
    let password = "not-bobs-plain-password";
    let e = client_with(&b, &sasl("SASL_PLAINTEXT", "PLAIN", "bob", password))
        .await
        .unwrap_err();
    assert_auth_failed(&e, &b, password);
}

#[tokio::test]
async fn sasl_ssl_scram_sha_512_round_trip() {
    let Some(b) = sasl_ssl_bootstrap() else {
        return;
    };
    let ca = fixture_str("ca.pem");
    let mut p = sasl("SASL_SSL", "SCRAM-SHA-512", "alice", "alice-secret");
    p.push(("ssl.ca.location", &ca));
    let c = client_with(&b, &p).await.unwrap();
    let m = c.refresh_metadata().await.unwrap();
    let advertised = m.brokers.values().next().unwrap();
    assert_eq!(format!("{}:{}", advertised.host, advertised.port), b);
    round_trip(&c, "sasl-ssl", 50).await;
}

#[tokio::test]
async fn sasl_ssl_scram_sha_256_and_plain_round_trips() {
    let Some(b) = sasl_ssl_bootstrap() else {
        return;
    };
    let ca = fixture_str("ca.pem");
    for (mechanism, user, password) in [
        ("SCRAM-SHA-256", "bob", "bob-secret"),
        ("PLAIN", "alice", "alice-secret"),
    ] {
        let mut p = sasl("SASL_SSL", mechanism, user, password);
        p.push(("ssl.ca.location", &ca));
        let c = client_with(&b, &p).await.unwrap();
        round_trip(&c, &format!("sasl-ssl-{}", mechanism.to_lowercase()), 50).await;
    }
}
