//! A transaction with a failed send cannot commit: `commit_transaction` says so with a typed
//! error carrying the failure (not a message naming a call), and an abort ends it.

use std::time::Duration;

use ottla::producer::{Producer, ProducerConfig, ProducerRecord};
use ottla::protocol::error_code::ErrorCode;
use ottla::protocol::messages::ApiKey;
use ottla::Error;
use ottla_mock::{ErrorTarget, Fault, MockCluster};

#[tokio::test]
async fn commit_after_a_failed_send_is_abortable_with_its_cause() {
    let c = MockCluster::builder()
        .brokers(1)
        .topic("t", 1)
        .start()
        .await
        .unwrap();
    let mut b = ProducerConfig::builder();
    b.bootstrap_servers(c.bootstrap());
    b.set("transactional.id", "tx-abortable").unwrap();
    let p = Producer::new(b.build().unwrap()).await.unwrap();
    p.init_transactions().await.unwrap();
    p.begin_transaction().unwrap();
    c.inject(
        Fault::new(ApiKey::Produce).error(ErrorTarget::AllEntries, ErrorCode::INVALID_RECORD.0),
    );
    let delivery = p.send(ProducerRecord::new("t", "x")).await.unwrap();
    assert!(delivery.await.is_err());
    let e = p.commit_transaction().await.unwrap_err();
    match &e {
        Error::TransactionAbortable { cause } => {
            assert_eq!(cause.kafka_code(), Some(ErrorCode::INVALID_RECORD), "{e}")
        }
        other => panic!("expected TransactionAbortable, got {other:?}"),
    }
    assert!(!e.to_string().contains("abort_transaction"), "{e}");
    p.abort_transaction().await.unwrap();
    assert_eq!(c.open_transactions(), 0);
    // The producer goes on with the next transaction.
    p.begin_transaction().unwrap();
    p.send(ProducerRecord::new("t", "y"))
        .await
        .unwrap()
        .await
        .unwrap();
    p.commit_transaction().await.unwrap();
    p.close(Duration::from_secs(5)).await.unwrap();
}
