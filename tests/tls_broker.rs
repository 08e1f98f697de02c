//! SSL against Apache Kafka (`scripts/kafka.sh`): the SSL listener (`OTTLA_TLS_BOOTSTRAP`), an SSL
//! listener whose certificate names only broker.example (`OTTLA_TLS_BADNAME_BOOTSTRAP`) and one that
//! requires a client certificate (`OTTLA_MTLS_BOOTSTRAP`): round trips, server certificate checks,
//! hostname verification and client certificates, and the producer over mutual TLS.

use ottla_tests::{
    client_with, fixture_str, mtls_bootstrap, round_trip, tls_badname_bootstrap, tls_bootstrap,
};

/// Short timeouts so a failing handshake is reported quickly.
const FAST: [(&str, &str); 2] = [
    ("socket.connection.setup.timeout.ms", "5000"),
    ("request.timeout.ms", "10000"),
];

fn props<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut v: Vec<(&str, &str)> = FAST.to_vec();
    v.extend_from_slice(extra);
    v
}

fn ssl_with_ca(ca: &str) -> Vec<(&'static str, String)> {
    vec![
        ("security.protocol", "SSL".to_owned()),
        ("ssl.ca.location", fixture_str(ca)),
    ]
}

async fn connect(b: &str, extra: &[(&'static str, String)]) -> Result<ottla::Client, ottla::Error> {
    let extra: Vec<(&str, &str)> = extra.iter().map(|(k, v)| (*k, v.as_str())).collect();
    client_with(b, &props(&extra)).await
}

fn assert_mentions(e: &ottla::Error, needles: &[&str]) {
    let text = e.to_string();
    for n in needles {
        assert!(
            text.to_lowercase().contains(&n.to_lowercase()),
            "error {text:?} should mention {n:?}"
        );
    }
}

#[tokio::test]
async fn ssl_round_trip_with_ca_location() {
    let Some(b) = tls_bootstrap() else { return };
    let c = connect(&b, &ssl_with_ca("ca.pem")).await.unwrap();
    let m = c.refresh_metadata().await.unwrap();
    let advertised = m.brokers.values().next().unwrap();
    assert_eq!(format!("{}:{}", advertised.host, advertised.port), b);
    round_trip(&c, "tls-ssl", 100).await;
}

#[tokio::test]
async fn ssl_with_ca_pem_inline() {
    let Some(b) = tls_bootstrap() else { return };
    let pem = std::fs::read_to_string(fixture_str("ca.pem")).unwrap();
    let c = connect(
        &b,
        &[("security.protocol", "SSL".to_owned()), ("ssl.ca.pem", pem)],
    )
    .await
    .unwrap();
    assert!(!c.refresh_metadata().await.unwrap().brokers.is_empty());
}

#[tokio::test]
async fn wrong_ca_names_broker_and_issuer() {
    let Some(b) = tls_bootstrap() else { return };
    let e = connect(&b, &ssl_with_ca("other-ca.pem")).await.unwrap_err();
    assert_mentions(&e, &[&b, "certificate", "issuer"]);
}

#[tokio::test]
async fn hostname_mismatch_names_broker() {
    let Some(b) = tls_badname_bootstrap() else {
        return;
    };
    let e = connect(&b, &ssl_with_ca("ca.pem")).await.unwrap_err();
    assert_mentions(
        &e,
        &[&b, "certificate", "hostname mismatch", "broker.example"],
    );
}

#[tokio::test]
async fn endpoint_identification_none_accepts_other_name() {
    let Some(b) = tls_badname_bootstrap() else {
        return;
    };
    let mut p = ssl_with_ca("ca.pem");
    p.push(("ssl.endpoint.identification.algorithm", "none".to_owned()));
    let c = connect(&b, &p).await.unwrap();
    assert!(!c.refresh_metadata().await.unwrap().brokers.is_empty());
}

fn mtls(cert: &str, key: &str) -> Vec<(&'static str, String)> {
    let mut p = ssl_with_ca("ca.pem");
    p.push(("ssl.certificate.location", fixture_str(cert)));
    p.push(("ssl.key.location", fixture_str(key)));
    p
}

#[tokio::test]
async fn mutual_tls_round_trip() {
    let Some(b) = mtls_bootstrap() else { return };
    let c = connect(&b, &mtls("client.pem", "client.key.pkcs8.pem"))
        .await
        .unwrap();
    round_trip(&c, "tls-mtls", 100).await;
}

#[tokio::test]
async fn mutual_tls_without_certificate_fails_clearly() {
    let Some(b) = mtls_bootstrap() else { return };
    let e = connect(&b, &ssl_with_ca("ca.pem")).await.unwrap_err();
    assert_mentions(&e, &[&b, "requires a client certificate"]);
}

#[tokio::test]
async fn mutual_tls_untrusted_certificate_fails() {
    let Some(b) = mtls_bootstrap() else { return };
    let e = connect(&b, &mtls("client-untrusted.pem", "client-untrusted.key"))
        .await
        .unwrap_err();
    assert_mentions(&e, &[&b, "client certificate"]);
}

#[tokio::test]
async fn mutual_tls_expired_certificate_fails() {
    let Some(b) = mtls_bootstrap() else { return };
    let e = connect(&b, &mtls("client-expired.pem", "client-expired.key"))
        .await
        .unwrap_err();
    assert_mentions(&e, &[&b, "expired", "client certificate"]);
}

#[tokio::test]
async fn mutual_tls_encrypted_key_with_password() {
    let Some(b) = mtls_bootstrap() else { return };
    let mut p = mtls("client.pem", "client.key.encrypted.pem");
    p.push(("ssl.key.password", "ottla-test".to_owned()));
    let c = connect(&b, &p).await.unwrap();
    assert!(!c.refresh_metadata().await.unwrap().brokers.is_empty());
}

#[tokio::test]
async fn wrong_key_password_fails_before_contacting_a_broker() {
    // Needs no peer: the key is decrypted in `Client::connect` before any connection, so an
    // address where nothing listens must not change the error.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    let mut p = mtls("client.pem", "client.key.encrypted.pem");
    p.push(("ssl.key.password", "not-the-password".to_owned()));
    let e = connect(&dead, &p).await.unwrap_err();
    assert!(
        matches!(e, ottla::Error::Tls { .. } | ottla::Error::Config(_)),
        "expected a TLS/config error, got {e:?}"
    );
    assert_mentions(&e, &["ssl.key.password"]);
    assert!(
        !e.to_string().contains(&dead),
        "{e} should not come from a connection"
    );
    assert!(!e.is_retriable());
}

/// The producer writes each record batch from its own buffer, after the request's other
/// fields (a frame in segments): through mutual TLS, as to MSK, 2,000 records of 5 KB over 4
/// partitions arrive whole, each once, at the offsets their delivery reports gave.
#[tokio::test]
async fn producer_over_mutual_tls_delivers_segmented_requests() {
    use std::collections::HashMap;
    use std::sync::Arc;

    use ottla::basic::{fetch_partition, FetchOptions};
    use ottla::producer::{Producer, ProducerConfig, ProducerRecord};

    let Some(b) = mtls_bootstrap() else { return };
    let tls = mtls("client.pem", "client.key.pkcs8.pem");
    let c = connect(&b, &tls).await.unwrap();
    let topic = ottla_tests::create_unique_topic(&c, "tls-producer", 4, &[]).await;
    let mut config = ProducerConfig::builder();
    config.bootstrap_servers(&b);
    for (k, v) in FAST
        .iter()
        .copied()
        .chain(tls.iter().map(|(k, v)| (*k, v.as_str())))
    {
        config.set(k, v).unwrap();
    }
    // Small batches: many requests, each with several batches and so several segments.
    config.set("batch.size", "60000").unwrap();
    let producer = Producer::new(config.build().unwrap()).await.unwrap();
    let topic: Arc<str> = Arc::from(topic.as_str());
    let value = |i: usize| format!("{i:06}:{}", "x".repeat(5_000));
    let mut deliveries = Vec::new();
    for i in 0..2_000 {
        let record = ProducerRecord::new(Arc::clone(&topic), value(i));
        deliveries.push(producer.send(record).await.unwrap());
    }
    producer.flush().await.unwrap();
    let mut expected: HashMap<(i32, i64), String> = HashMap::new();
    for (i, d) in deliveries.into_iter().enumerate() {
        let m = d.await.unwrap();
        assert!(expected.insert((m.partition, m.offset), value(i)).is_none());
    }
    let mut seen = 0;
    for partition in 0..4 {
        let count = expected.keys().filter(|(p, _)| *p == partition).count() as i64;
        let mut next = 0;
        while next < count {
            let f = fetch_partition(&c, &topic, partition, next, &FetchOptions::default())
                .await
                .unwrap();
            for r in f.records {
                let got = String::from_utf8(r.value.unwrap().to_vec()).unwrap();
                assert_eq!(expected.get(&(partition, r.offset)), Some(&got));
                seen += 1;
            }
            next = f.next_offset;
        }
    }
    assert_eq!(seen, 2_000);
    producer
        .close(std::time::Duration::from_secs(10))
        .await
        .unwrap();
}
