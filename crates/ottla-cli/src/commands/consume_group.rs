//! `ottla consume -G GROUP`: records as `ottla consume` prints them, read as a member of a
//! consumer group.

use std::io::Write;

use ottla::consumer::{Consumer, ConsumerConfig};

use super::record_format::{RecordFormat, View};
use super::{stats_output, CmdResult};
use crate::args::ConsumeArgs;

/// `auto.offset.reset` for `-o` (group mode takes only beginning or end).
fn reset_for(offset: &str) -> Result<&'static str, String> {
    match offset {
        "beginning" | "earliest" => Ok("earliest"),
        "end" | "latest" => Ok("latest"),
        other => Err(format!(
            "with -G, -o takes beginning or end (where to start without a committed offset), got {other:?}"
        )),
    }
}

pub async fn run(props: &ottla::Properties, args: ConsumeArgs, group: &str) -> CmdResult {
    if args.partition.is_some() {
        return Err("-p cannot be used with -G: the group assigns the partitions".into());
    }
    if args.exit_at_end {
        return Err("-e cannot be used with -G: a group member reads until -c or Ctrl-C".into());
    }
    let reset = reset_for(&args.offset)?;
    let format = RecordFormat::from_args(
        args.format.as_deref(),
        args.json,
        args.key_delimiter.as_deref(),
    )?;
    let mut builder = ConsumerConfig::builder();
    builder.set("auto.offset.reset", reset)?;
    for (k, v) in props.iter() {
        builder.set(k, v)?;
    }
    builder.set("group.id", group)?;
    let mut consumer = Consumer::new(builder.build()?).await?;
    // kcat's convention: a topic starting with ^ is a regular expression.
    if args.topic.starts_with('^') {
        consumer.subscribe_pattern(&args.topic)?;
    } else {
        consumer.subscribe([args.topic.as_str()])?;
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let limit = args.count.unwrap_or(u64::MAX);
    let mut printed = 0u64;
    let result: CmdResult = async {
        while printed < limit {
            let record = tokio::select! {
                r = consumer.recv() => r?,
                _ = tokio::signal::ctrl_c() => break,
            };
            let broker = consumer
                .client()
                .cached()
                .and_then(|m| m.leader_of(&record.topic, record.partition).ok())
                .unwrap_or(-1);
            let view = View {
                topic: &record.topic,
                partition: record.partition,
                offset: record.offset,
                timestamp: record.timestamp,
                timestamp_type: record.timestamp_type,
                broker,
                key: record.key.as_deref(),
                value: record.value.as_deref(),
                headers: &record.headers,
            };
            format.write(&mut out, &view)?;
            printed += 1;
            out.flush()?;
        }
        Ok(())
    }
    .await;
    // The stats before close: close leaves the group and drops the assignment.
    let stats = consumer.stats();
    let closed = consumer.close().await;
    result?;
    closed?;
    eprintln!(
        "consumed {printed} record(s) from {} as group {group}",
        args.topic
    );
    if let Some(f) = args.stats {
        stats_output::print(f, "consumer", &stats, |p| {
            p.consumer(&stats);
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_beginning_or_end_with_a_group() {
        assert_eq!(reset_for("beginning"), Ok("earliest"));
        assert_eq!(reset_for("end"), Ok("latest"));
        assert!(reset_for("42").unwrap_err().contains("with -G"));
    }
}
