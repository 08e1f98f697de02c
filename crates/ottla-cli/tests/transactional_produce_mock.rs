//! `ottla produce -X transactional.id=…`: the whole input is one transaction, committed when
//! every record is delivered and aborted (exit 1) on any failure; no message names a library
//! call. Against `ottla-mock`'s transactions.

mod support;

use ottla_mock::{ApiKey, ErrorTarget, Fault};
use support::{consume, fails_with, lines, mock, run, stderr};

/// No message may tell a CLI user to call a library method.
fn names_no_library_call(err: &str) {
    for call in [
        "init_transactions",
        "begin_transaction",
        "commit_transaction",
        "abort_transaction",
        "abort it",
    ] {
        assert!(!err.contains(call), "{call:?} in: {err}");
    }
}

/// `ottla produce -t t` with `transactional.id=cli-tx`, `input` on stdin.
async fn produce_in_txn(b: &str, input: &str) -> std::process::Output {
    run(
        &[
            "-b",
            b,
            "-X",
            "transactional.id=cli-tx",
            "produce",
            "-t",
            "t",
        ],
        input,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactional_produce_commits_the_whole_input() {
    let cluster = mock(2).await;
    let b = cluster.bootstrap();
    let out = produce_in_txn(&b, &lines(12, "v")).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("produced 12 record(s) to t"),
        "{}",
        stderr(&out)
    );
    assert!(
        cluster.producer_epoch("cli-tx").is_some(),
        "InitProducerId named it"
    );
    assert_eq!(cluster.open_transactions(), 0, "committed");
    for p in 0..2 {
        assert_eq!(
            cluster.last_stable_offset("t", p).unwrap(),
            cluster.high_watermark("t", p).unwrap()
        );
    }
    let mut seen = consume(&b, &["-X", "isolation.level=read_committed"]).await;
    seen.sort();
    let mut want: Vec<String> = (0..12).map(|i| format!("v{i}")).collect();
    want.sort();
    assert_eq!(seen, want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_record_aborts_the_transaction_and_exits_1() {
    let cluster = mock(1).await;
    let b = cluster.bootstrap();
    cluster.inject(
        Fault::new(ApiKey::Produce)
            .always()
            .error(ErrorTarget::AllEntries, 87), // INVALID_RECORD, not retriable
    );
    let out = produce_in_txn(&b, &lines(5, "v")).await;
    let err = fails_with(&out, "was aborted: nothing of this input is committed");
    assert!(err.contains("INVALID_RECORD"), "{err}");
    names_no_library_call(&err);
    cluster.clear_faults();
    assert_eq!(cluster.open_transactions(), 0, "aborted, not left open");
    assert!(consume(&b, &["-X", "isolation.level=read_committed"])
        .await
        .is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_input_failure_aborts_what_was_sent() {
    let cluster = mock(1).await;
    let b = cluster.bootstrap();
    // Three good lines, then one longer than message.max.bytes.
    let input = format!("{}{}\n", lines(3, "v"), "x".repeat(3000));
    let out = run(
        &[
            "-b",
            &b,
            "-X",
            "transactional.id=cli-tx",
            "-X",
            "message.max.bytes=2000",
            "-X",
            "batch.size=1000",
            "produce",
            "-t",
            "t",
        ],
        &input,
    )
    .await;
    let err = fails_with(&out, "was aborted");
    assert!(err.contains("message.max.bytes"), "{err}");
    names_no_library_call(&err);
    assert_eq!(cluster.open_transactions(), 0);
    assert!(consume(&b, &["-X", "isolation.level=read_committed"])
        .await
        .is_empty());
    // What was written before the failure is in the log, marked aborted.
    assert!(consume(&b, &[]).await.len() <= 3);
}
