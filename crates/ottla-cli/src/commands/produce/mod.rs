//! `ottla produce`: one record per line of standard input (or `-l FILE`), through the
//! [`Producer`]: batching per partition, idempotence and retries are the producer's.
//!
//! Every record's delivery is looked at (a bounded [`DeliveryWindow`] settles them in send
//! order); any failure makes the command fail with the count and the first error, after
//! everything already sent has been settled. `-v` prints one report per record on stderr
//! (see `report.rs`). With `transactional.id` the whole input is one transaction, committed
//! or aborted as a whole (see `transaction.rs`).

mod lines;
pub(super) mod report;
mod shape;
mod transaction;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use ottla::producer::Producer;
use tokio::io::AsyncRead;

use super::delivery_window::DeliveryWindow;
use super::CmdResult;
use crate::args::ProduceArgs;
use crate::settings;
use lines::Lines;
use report::Reports;
use shape::{parse_headers, Shape};
use transaction::RunTransaction;

/// How long `close` waits for what is still queued after everything was settled.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(30);

pub async fn run(props: &ottla::Properties, args: ProduceArgs, verbose: bool) -> CmdResult {
    let config = settings::producer_config(props, &[])?;
    let transactional_id = config.transactional_id().map(str::to_owned);
    let shape = Shape {
        topic: Arc::from(args.topic.as_str()),
        key_delimiter: args
            .key_delimiter
            .as_deref()
            .map(|d| Bytes::copy_from_slice(d.as_bytes())),
        partition: args.partition,
        headers: parse_headers(&args.headers)?,
    };
    let input: Box<dyn AsyncRead + Unpin + Send> = match &args.file {
        Some(path) => Box::new(
            tokio::fs::File::open(path)
                .await
                .map_err(|e| format!("cannot open {}: {e}", path.display()))?,
        ),
        None => Box::new(tokio::io::stdin()),
    };
    let mut lines = Lines::new(input, config.message_max_bytes());
    let window_limit = config.buffer_max_messages();
    let producer = Producer::new(config).await?;
    let transaction = match &transactional_id {
        Some(id) => Some(RunTransaction::begin(&producer, id).await?),
        None => None,
    };
    let mut window = DeliveryWindow::new(window_limit);
    let mut reports = Reports::new(verbose);
    let mut observe = |p: i32, o: &_| reports.record(&args.topic, p, o);
    // The first reason to stop reading; what was sent before it is still settled.
    let mut stopped: Option<Box<dyn std::error::Error + Send + Sync>> = None;
    let mut sent = 0u64;
    loop {
        let line = match lines.next_line().await {
            Ok(Some(line)) => line,
            Ok(None) => break,
            Err(e) => {
                stopped = Some(e.into());
                break;
            }
        };
        match producer.send(shape.record(line)).await {
            Ok(delivery) => {
                sent += 1;
                window.push(delivery, &mut observe).await;
            }
            Err(e) => {
                stopped = Some(format!("record {} not sent: {e}", sent + 1).into());
                break;
            }
        }
    }
    producer.flush().await?;
    window.drain(&mut observe).await;
    reports.finish();
    // A transaction commits only when every record was delivered; otherwise it is aborted
    // and what became of it ends the error message.
    let failed = stopped.is_some() || window.result().is_err();
    let (transaction_note, commit_failed) = match transaction {
        Some(t) if failed => (format!("; {}", t.abort(&producer).await), None),
        Some(t) => (String::new(), t.commit(&producer).await.err()),
        None => (String::new(), None),
    };
    let closed = producer.close(CLOSE_TIMEOUT).await;
    if let Some(e) = stopped {
        return Err(match window.result() {
            Ok(delivered) => {
                format!("{e} (after {delivered} record(s) delivered){transaction_note}").into()
            }
            Err(failed) => format!("{e}; also {failed}{transaction_note}").into(),
        });
    }
    let delivered = window
        .result()
        .map_err(|failed| format!("{failed}{transaction_note}"))?;
    if let Some(message) = commit_failed {
        return Err(message.into());
    }
    closed?;
    eprintln!("{}", report::summary(delivered, &args.topic));
    Ok(())
}
