//! `ottla produce`: one record per line of standard input.

use std::collections::BTreeMap;

use bytes::Bytes;
use ottla::basic::{produce_batch, Acks, ProduceOptions};
use ottla::partitioner::partition_for_key;
use ottla::protocol::compression::Compression;
use ottla::protocol::records::Record;
use tokio::io::{AsyncBufReadExt, BufReader};

use super::{connect, CmdResult};
use crate::args::ProduceArgs;

/// Keys this command reads itself.
const KEYS: &[&str] = &[
    "compression.type",
    "compression.codec",
    "compression.level",
    "acks",
    "request.required.acks",
    "batch.num.messages",
];

/// Records per Produce request when not configured.
const DEFAULT_BATCH: usize = 10_000;
/// Bytes per batch before it is sent.
const BATCH_BYTES: usize = 1 << 20;

pub async fn run(props: &ottla::Properties, args: ProduceArgs) -> CmdResult {
    let options = options(props)?;
    let batch_records = match props.get("batch.num.messages") {
        Some(v) => v.parse::<usize>().ok().filter(|n| *n > 0).ok_or_else(|| {
            format!("invalid value {v:?} for batch.num.messages: a positive integer")
        })?,
        None => DEFAULT_BATCH,
    };
    let client = connect(props, KEYS).await?;
    let partitions = client
        .metadata()
        .await?
        .topic(&args.topic)
        .map(|t| t.partitions.len() as i32);
    let partitions = match (partitions, args.partition) {
        (Ok(n), _) => n,
        (Err(_), Some(_)) | (Err(_), None) => {
            // The topic may be auto-created on first use: ask again once.
            client
                .refresh_metadata()
                .await?
                .topic(&args.topic)?
                .partitions
                .len() as i32
        }
    };
    if let Some(p) = args.partition {
        if !(0..partitions).contains(&p) {
            return Err(format!(
                "topic {} has no partition {p} (it has {partitions})",
                args.topic
            )
            .into());
        }
    }
    let mut pending: BTreeMap<i32, (Vec<Record>, usize)> = BTreeMap::new();
    let mut lines = BufReader::new(tokio::io::stdin()).split(b'\n');
    let mut next_spread = 0i32;
    let mut total = 0u64;
    let now = now_ms();
    while let Some(mut line) = lines.next_segment().await? {
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        let (key, value) = split_key(line, args.key_delimiter.as_deref());
        let partition = match (args.partition, &key) {
            (Some(p), _) => p,
            (None, Some(k)) => partition_for_key(k, partitions),
            (None, None) => next_spread,
        };
        let entry = pending.entry(partition).or_default();
        entry.1 += value.len() + key.as_ref().map_or(0, |k| k.len());
        entry.0.push(Record {
            key,
            value: Some(value),
            headers: Vec::new(),
            timestamp: now,
        });
        total += 1;
        if entry.0.len() >= batch_records || entry.1 >= BATCH_BYTES {
            let (records, _) = std::mem::take(entry);
            produce_batch(&client, &args.topic, partition, &records, &options).await?;
            // Keyless records move on to the next partition after each full batch.
            next_spread = (next_spread + 1) % partitions;
        }
    }
    for (partition, (records, _)) in pending {
        if !records.is_empty() {
            produce_batch(&client, &args.topic, partition, &records, &options).await?;
        }
    }
    eprintln!("produced {total} record(s) to {}", args.topic);
    Ok(())
}

fn split_key(line: Vec<u8>, delimiter: Option<&str>) -> (Option<Bytes>, Bytes) {
    let line = Bytes::from(line);
    let Some(d) = delimiter.filter(|d| !d.is_empty()) else {
        return (None, line);
    };
    let d = d.as_bytes();
    match line.windows(d.len()).position(|w| w == d) {
        Some(i) => (Some(line.slice(..i)), line.slice(i + d.len()..)),
        None => (None, line),
    }
}

fn options(props: &ottla::Properties) -> Result<ProduceOptions, String> {
    let compression = match props
        .get("compression.type")
        .or(props.get("compression.codec"))
    {
        Some(v) => v
            .parse::<Compression>()
            .map_err(|e| format!("compression.type: {e}"))?,
        None => Compression::None,
    };
    let compression_level = props
        .get("compression.level")
        .map(|v| {
            v.parse::<i32>()
                .map_err(|_| format!("invalid value {v:?} for compression.level: an integer"))
        })
        .transpose()?;
    let acks = match props.get("acks").or(props.get("request.required.acks")) {
        None | Some("all") | Some("-1") => Acks::All,
        Some("1") => Acks::Leader,
        Some("0") => Acks::None,
        Some(v) => return Err(format!("invalid value {v:?} for acks: 0, 1, all or -1")),
    };
    Ok(ProduceOptions {
        acks,
        compression,
        compression_level,
    })
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_split_at_first_delimiter() {
        let (k, v) = split_key(b"a::b::c".to_vec(), Some("::"));
        assert_eq!(k.as_deref(), Some(&b"a"[..]));
        assert_eq!(&v[..], b"b::c");
        let (k, v) = split_key(b"nokey".to_vec(), Some(":"));
        assert!(k.is_none());
        assert_eq!(&v[..], b"nokey");
    }

    #[test]
    fn bad_compression_names_key() {
        let mut p = ottla::Properties::new();
        p.set("compression.type", "brotli");
        assert!(options(&p).unwrap_err().contains("compression.type"));
    }
}
