//! `ottla consume -X isolation.level=read_committed|read_uncommitted` against `ottla-mock`'s
//! transactions: read_committed hides aborted records and ends at an open transaction.

mod support;

use std::time::Duration;

use ottla::producer::{Producer, ProducerConfig, ProducerRecord};
use ottla_mock::MockCluster;
use support::{consume, fails_with, mock, run, stdout_ok};

/// Writes `plan` with a transactional producer, one transaction of `per` records per letter:
/// C commits, A aborts, O stays open (its records flushed). Values are `<letter><txn>-<i>`.
async fn transactions(cluster: &MockCluster, plan: &str, per: usize) -> Producer {
    let mut b = ProducerConfig::builder();
    b.bootstrap_servers(cluster.bootstrap());
    b.set("transactional.id", "writer").unwrap();
    let p = Producer::new(b.build().unwrap()).await.unwrap();
    p.init_transactions().await.unwrap();
    for (t, kind) in plan.chars().enumerate() {
        p.begin_transaction().unwrap();
        for i in 0..per {
            let value = format!("{kind}{t}-{i}");
            // Delivered by the flush below (the transaction's end checks every record).
            let _delivery = p
                .send(ProducerRecord::new("t", value).with_partition(0))
                .await
                .unwrap();
        }
        p.flush().await.unwrap();
        match kind {
            'C' => p.commit_transaction().await.unwrap(),
            'A' => p.abort_transaction().await.unwrap(),
            _ => {}
        }
    }
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consume_reads_committed_or_uncommitted() {
    let cluster = mock(1).await;
    let b = cluster.bootstrap();
    let writer = transactions(&cluster, "CAC", 10).await;
    let committed = consume(&b, &["-X", "isolation.level=read_committed"]).await;
    assert_eq!(committed.len(), 20, "{committed:?}");
    assert!(
        committed.iter().all(|v| v.starts_with('C')),
        "{committed:?}"
    );
    assert_eq!(
        consume(&b, &["-X", "isolation.level=read_uncommitted"])
            .await
            .len(),
        30
    );
    assert_eq!(
        consume(&b, &[]).await.len(),
        30,
        "read_uncommitted by default"
    );
    // Before the subcommand it counts too.
    let out = run(
        &[
            "-b",
            &b,
            "-X",
            "isolation.level=read_committed",
            "consume",
            "-t",
            "t",
            "-e",
        ],
        "",
    )
    .await;
    assert_eq!(stdout_ok(&out).lines().count(), 20);
    let out = run(
        &[
            "-b",
            &b,
            "consume",
            "-t",
            "t",
            "-e",
            "-X",
            "isolation.level=snapshot",
        ],
        "",
    )
    .await;
    fails_with(&out, "isolation.level");
    writer.close(Duration::from_secs(5)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_committed_ends_at_an_open_transaction() {
    let cluster = mock(1).await;
    let b = cluster.bootstrap();
    let writer = transactions(&cluster, "CO", 5).await;
    assert!(cluster.last_stable_offset("t", 0).unwrap() < cluster.high_watermark("t", 0).unwrap());
    // -e exits at the last stable offset instead of waiting for the open transaction.
    let committed = consume(&b, &["-X", "isolation.level=read_committed"]).await;
    assert_eq!(committed.len(), 5, "{committed:?}");
    // -o -N counts back from the last stable offset (offsets, the commit marker included).
    let from_end = consume(&b, &["-X", "isolation.level=read_committed", "-o", "-3"]).await;
    assert_eq!(from_end, ["C0-3", "C0-4"]);
    let from_end = consume(&b, &["-o", "-3"]).await;
    assert_eq!(from_end, ["O1-2", "O1-3", "O1-4"]);
    assert_eq!(consume(&b, &[]).await.len(), 10);
    writer.abort_transaction().await.unwrap();
    writer.close(Duration::from_secs(5)).await.unwrap();
}
