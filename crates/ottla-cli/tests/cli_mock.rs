//! `ottla consume -o end` and `-o -N` against `ottla-mock`, which answers ListOffsets as Kafka
//! does, with offsets a test fully controls. (They were moved here when the suite's broker was
//! tansu, whose memory storage answered ListOffsets LATEST wrongly.)

mod support;

use ottla_mock::MockCluster;

/// Runs ottla off the async runtime; it must succeed. Its standard output.
async fn run(args: &[&str], stdin: &str) -> String {
    support::stdout_ok(&support::run(args, stdin).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consume_from_end_and_from_end_minus_n() {
    let cluster = MockCluster::builder()
        .brokers(1)
        .topic("t", 1)
        .start()
        .await
        .unwrap();
    let b = cluster.bootstrap();
    let input: String = (0..20).map(|i| format!("m{i}\n")).collect();
    // Several batches, so a per-batch high watermark would be wrong.
    run(
        &[
            "-b",
            &b,
            "-X",
            "batch.num.messages=3",
            "produce",
            "-t",
            "t",
            "-p",
            "0",
        ],
        &input,
    )
    .await;
    assert_eq!(cluster.high_watermark("t", 0).unwrap(), 20);
    assert!(cluster.batches("t", 0).unwrap().len() >= 7);
    assert_eq!(
        run(&["-b", &b, "consume", "-t", "t", "-o", "end", "-e"], "").await,
        ""
    );
    assert_eq!(
        run(&["-b", &b, "consume", "-t", "t", "-o", "-4", "-e"], "").await,
        "m16\nm17\nm18\nm19\n"
    );
    assert_eq!(
        run(
            &["-b", &b, "consume", "-t", "t", "-o", "beginning", "-c", "2"],
            ""
        )
        .await,
        "m0\nm1\n"
    );
}
