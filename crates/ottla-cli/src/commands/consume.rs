//! `ottla consume`: records, one per line (values, a kcat format string or kcat's JSON).

use std::io::Write;
use std::time::Duration;

use ottla::basic::{fetch_partition, list_offset, FetchOptions, OffsetSpec, FETCH_KEYS};

use super::record_format::{RecordFormat, View};
use super::{connect, stats_output, CmdResult};
use crate::args::ConsumeArgs;

/// Where to start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Start {
    Beginning,
    End,
    Absolute(i64),
    FromEnd(i64),
    /// The first record at or after this timestamp (ms), else the end.
    Timestamp(i64),
}

fn parse_start(s: &str) -> Result<Start, String> {
    match s {
        "beginning" | "earliest" => Ok(Start::Beginning),
        "end" | "latest" => Ok(Start::End),
        _ if s.starts_with("s@") => match s[2..].parse::<i64>() {
            Ok(ts) if ts >= 0 => Ok(Start::Timestamp(ts)),
            _ => Err(format!(
                "-o s@ expects a timestamp in ms since the epoch, got {s:?}"
            )),
        },
        _ => match s.parse::<i64>() {
            Ok(n) if n >= 0 => Ok(Start::Absolute(n)),
            Ok(n) => Ok(Start::FromEnd(n.saturating_neg())),
            Err(_) => Err(format!(
                "-o expects beginning, end, an offset, -N or s@TIMESTAMP_MS, got {s:?}"
            )),
        },
    }
}

struct Position {
    partition: i32,
    /// Its leader when reading started (kcat's "broker").
    leader: i32,
    offset: i64,
    done: bool,
}

/// The fetch settings among the properties (`isolation.level`), the last of each winning.
fn fetch_options(
    props: &ottla::Properties,
    exit_at_end: bool,
) -> Result<FetchOptions, ottla::ConfigError> {
    let mut options = FetchOptions {
        max_wait: if exit_at_end {
            Duration::from_millis(100)
        } else {
            Duration::from_millis(500)
        },
        ..FetchOptions::default()
    };
    for (k, v) in props.iter().filter(|(k, _)| FETCH_KEYS.contains(k)) {
        options.set(k, v)?;
    }
    Ok(options)
}

pub async fn run(props: &ottla::Properties, args: ConsumeArgs) -> CmdResult {
    if args.format.as_deref() == Some("lambda") {
        return super::consume_lambda::run(props, args).await;
    }
    if let Some(group) = args.group.clone() {
        return super::consume_group::run(props, args, &group).await;
    }
    let start = parse_start(&args.offset)?;
    let format = RecordFormat::from_args(
        args.format.as_deref(),
        args.json,
        args.key_delimiter.as_deref(),
    )?;
    let options = fetch_options(props, args.exit_at_end)?;
    // A read_committed reader ends at the last stable offset: records of a transaction still
    // open are not readable yet.
    let end = if options.read_committed {
        OffsetSpec::LastStable
    } else {
        OffsetSpec::Latest
    };
    let client = connect(props, FETCH_KEYS).await?;
    let metadata = client.metadata().await?;
    let topic = metadata.topic(&args.topic)?;
    let partitions: Vec<i32> = match args.partition {
        Some(p) if topic.partitions.contains_key(&p) => vec![p],
        Some(p) => {
            return Err(format!("topic {} has no partition {p}", args.topic).into());
        }
        None => topic.partitions.keys().copied().collect(),
    };
    let mut positions = Vec::with_capacity(partitions.len());
    for p in partitions {
        let offset = match start {
            Start::Beginning => list_offset(&client, &args.topic, p, OffsetSpec::Earliest).await?,
            Start::End => list_offset(&client, &args.topic, p, end).await?,
            Start::Absolute(n) => n,
            Start::FromEnd(n) => {
                let end = list_offset(&client, &args.topic, p, end).await?;
                let earliest = list_offset(&client, &args.topic, p, OffsetSpec::Earliest).await?;
                (end - n).max(earliest)
            }
            Start::Timestamp(ts) => {
                match list_offset(&client, &args.topic, p, OffsetSpec::Timestamp(ts)).await? {
                    -1 => list_offset(&client, &args.topic, p, end).await?,
                    found => found,
                }
            }
        };
        positions.push(Position {
            leader: topic
                .partitions
                .get(&p)
                .and_then(|m| m.leader)
                .unwrap_or(-1),
            partition: p,
            offset,
            done: false,
        });
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut printed = 0u64;
    let limit = args.count.unwrap_or(u64::MAX);
    let result: CmdResult = async {
        loop {
            if printed >= limit || (args.exit_at_end && positions.iter().all(|p| p.done)) {
                return Ok(());
            }
            for pos in positions.iter_mut().filter(|p| !p.done) {
                let fetched = tokio::select! {
                    f = fetch_partition(&client, &args.topic, pos.partition, pos.offset, &options) => f?,
                    _ = tokio::signal::ctrl_c() => return Ok(()),
                };
                for r in &fetched.records {
                    if printed >= limit {
                        break;
                    }
                    let view = View {
                        topic: &args.topic,
                        partition: pos.partition,
                        offset: r.offset,
                        timestamp: r.timestamp,
                        timestamp_type: r.timestamp_type,
                        broker: pos.leader,
                        key: r.key.as_deref(),
                        value: r.value.as_deref(),
                        headers: &r.headers,
                    };
                    format.write(&mut out, &view)?;
                    printed += 1;
                }
                pos.offset = fetched.next_offset;
                let end = match fetched.last_stable_offset {
                    lso if options.read_committed && lso >= 0 => lso,
                    _ => fetched.high_watermark,
                };
                if args.exit_at_end && pos.offset >= end {
                    pos.done = true;
                }
            }
            out.flush()?;
        }
    }
    .await;
    match (result, out.flush()) {
        (Err(e), _) if is_broken_pipe(&*e) => Ok(()),
        (Err(e), _) => Err(e),
        (Ok(()), Err(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        (Ok(()), r) => {
            r?;
            eprintln!("consumed {printed} record(s) from {}", args.topic);
            if let Some(f) = args.stats {
                let brokers = client.stats();
                stats_output::print(f, "brokers", &brokers, |p| {
                    p.brokers(&brokers);
                })?;
            }
            Ok(())
        }
    }
}

fn is_broken_pipe(e: &(dyn std::error::Error + Send + Sync + 'static)) -> bool {
    e.downcast_ref::<std::io::Error>()
        .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_positions() {
        assert_eq!(parse_start("beginning"), Ok(Start::Beginning));
        assert_eq!(parse_start("end"), Ok(Start::End));
        assert_eq!(parse_start("42"), Ok(Start::Absolute(42)));
        assert_eq!(parse_start("-10"), Ok(Start::FromEnd(10)));
        assert_eq!(
            parse_start("s@1700000000000"),
            Ok(Start::Timestamp(1_700_000_000_000))
        );
        assert!(parse_start("s@yesterday").is_err());
        assert!(parse_start("soon").is_err());
    }

    #[test]
    fn isolation_level_is_a_fetch_setting() {
        let mut props = ottla::Properties::new();
        assert!(!fetch_options(&props, true).unwrap().read_committed);
        props.set("isolation.level", "read_committed");
        assert!(fetch_options(&props, true).unwrap().read_committed);
        props.set("isolation.level", "read_uncommitted");
        assert!(!fetch_options(&props, true).unwrap().read_committed);
        props.set("isolation.level", "dirty");
        let e = fetch_options(&props, true).unwrap_err();
        assert!(
            matches!(&e, ottla::ConfigError::InvalidValue { key, .. } if key == "isolation.level"),
            "{e}"
        );
    }
}
