//! Every response path checks the correlation id and rejects bytes left after the body,
//! against `ottla-mock` faults: the connection task (Metadata, ListOffsets, Produce), the
//! handshake (ApiVersions) and SASL (SaslHandshake, SaslAuthenticate).

use std::time::Duration;

use ottla::basic::{list_offset, produce_batch, OffsetSpec, ProduceOptions};
use ottla::protocol::messages::ApiKey;
use ottla::protocol::records::Record;
use ottla::protocol::ProtocolError;
use ottla::{Client, ClientConfig, ConnectionError, Error};
use ottla_mock::{Fault, MockCluster, MockSasl, SaslMechanism};

async fn cluster(sasl: Option<MockSasl>) -> MockCluster {
    let mut b = MockCluster::builder().brokers(1).topic("t", 1);
    if let Some(sasl) = sasl {
        b = b.sasl(sasl);
    }
    b.start().await.unwrap()
}

fn config(bootstrap: &str, extra: &[(&str, &str)]) -> ClientConfig {
    let mut b = ClientConfig::builder();
    b.bootstrap_servers(bootstrap)
        .request_timeout(Duration::from_secs(5));
    for (k, v) in extra {
        b.set(k, v).unwrap();
    }
    b.build().unwrap()
}

/// The protocol error that failed the connection.
fn protocol_error(e: &Error) -> &ProtocolError {
    let source = match e {
        Error::Connection { source, .. } => source,
        Error::Bootstrap { errors, .. } if errors.len() == 1 => return protocol_error(&errors[0]),
        other => panic!("expected a connection error, got {other:?}"),
    };
    match &**source {
        ConnectionError::Protocol(p) => p,
        other => panic!("expected a protocol error, got {other:?}"),
    }
}

fn is_trailing(e: &Error, api: ApiKey, count: usize) -> bool {
    matches!(
        protocol_error(e),
        ProtocolError::TrailingBytes { api: a, trailing, .. } if *a == api && *trailing == count
    )
}

fn is_correlation_mismatch(e: &Error, api: ApiKey) -> bool {
    matches!(protocol_error(e), ProtocolError::CorrelationMismatch { api: a, .. } if *a == api)
}

#[tokio::test]
async fn trailing_bytes_after_a_response_body_are_an_error() {
    let c = cluster(None).await;
    let client = Client::connect(config(&c.bootstrap(), &[])).await.unwrap();

    c.inject(Fault::new(ApiKey::Metadata).trailing_bytes(1));
    let e = client.refresh_metadata().await.unwrap_err();
    assert!(is_trailing(&e, ApiKey::Metadata, 1), "{e}");

    c.inject(Fault::new(ApiKey::ListOffsets).trailing_bytes(4));
    let e = list_offset(&client, "t", 0, OffsetSpec::Latest)
        .await
        .unwrap_err();
    assert!(is_trailing(&e, ApiKey::ListOffsets, 4), "{e}");

    c.inject(Fault::new(ApiKey::Produce).trailing_bytes(2));
    let record = Record {
        key: None,
        value: Some("v".into()),
        headers: vec![],
        timestamp: 0,
    };
    let e = produce_batch(&client, "t", 0, &[record], &ProduceOptions::default())
        .await
        .unwrap_err();
    assert!(is_trailing(&e, ApiKey::Produce, 2), "{e}");

    // Without the fault every path answers.
    assert_eq!(
        list_offset(&client, "t", 0, OffsetSpec::Latest)
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn api_versions_answers_are_checked() {
    let c = cluster(None).await;
    c.inject(Fault::new(ApiKey::ApiVersions).trailing_bytes(3));
    let e = Client::connect(config(&c.bootstrap(), &[]))
        .await
        .unwrap_err();
    assert!(is_trailing(&e, ApiKey::ApiVersions, 3), "{e}");

    c.inject(Fault::new(ApiKey::ApiVersions).wrong_correlation_id());
    let e = Client::connect(config(&c.bootstrap(), &[]))
        .await
        .unwrap_err();
    assert!(is_correlation_mismatch(&e, ApiKey::ApiVersions), "{e}");
}

#[tokio::test]
async fn sasl_answers_are_checked() {
    let c = cluster(Some(
        MockSasl::new()
            .mechanism(SaslMechanism::ScramSha256)
            .user("alice", "alice-secret"),
    ))
    .await;
    let sasl = [
        ("security.protocol", "SASL_PLAINTEXT"),
        ("sasl.mechanism", "SCRAM-SHA-256"),
        ("sasl.username", "alice"),
        ("sasl.password", "alice-secret"),
    ];
    c.inject(Fault::new(ApiKey::SaslHandshake).trailing_bytes(1));
    let e = Client::connect(config(&c.bootstrap(), &sasl))
        .await
        .unwrap_err();
    assert!(is_trailing(&e, ApiKey::SaslHandshake, 1), "{e}");

    c.inject(Fault::new(ApiKey::SaslAuthenticate).wrong_correlation_id());
    let e = Client::connect(config(&c.bootstrap(), &sasl))
        .await
        .unwrap_err();
    assert!(is_correlation_mismatch(&e, ApiKey::SaslAuthenticate), "{e}");
    // Without faults it authenticates.
    Client::connect(config(&c.bootstrap(), &sasl))
        .await
        .unwrap();
}
