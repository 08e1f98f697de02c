//! `ottla consume -f lambda`: records in batches of up to 100 (Lambda's default batch size),
//! each printed as Lambda's Kafka event on one line; alone (every partition, or -p) or as a
//! group member (-G).

use std::io::Write;
use std::time::Duration;

use ottla::consumer::{Consumer, ConsumerConfig};
use ottla::group::TopicPartition;
use ottla::processor::{EventSource, KafkaEvent};

use super::CmdResult;
use crate::args::ConsumeArgs;

/// Lambda's default batch size.
const BATCH: usize = 100;

pub async fn run(props: &ottla::Properties, args: ConsumeArgs) -> CmdResult {
    let reset = match args.offset.as_str() {
        "beginning" | "earliest" => "earliest",
        "end" | "latest" => "latest",
        other => {
            return Err(format!("with -f lambda, -o takes beginning or end, got {other:?}").into())
        }
    };
    let mut builder = ConsumerConfig::builder();
    builder.set("auto.offset.reset", reset)?;
    let mut source = EventSource::SelfManaged;
    for (k, v) in props.iter() {
        match k {
            // The event's source: -X event.source=aws:kafka -X event.source.arn=ARN.
            "event.source" if v == "aws:kafka" => source = EventSource::Msk { arn: None },
            "event.source" if v == "SelfManagedKafka" => source = EventSource::SelfManaged,
            "event.source" => {
                return Err(
                    format!("event.source is aws:kafka or SelfManagedKafka, got {v:?}").into(),
                )
            }
            "event.source.arn" => {
                source = EventSource::Msk {
                    arn: Some(v.to_owned()),
                }
            }
            _ => {
                builder.set(k, v)?;
            }
        }
    }
    if let Some(group) = &args.group {
        builder.set("group.id", group)?;
    }
    let config = builder.build()?;
    let bootstrap = config.client().bootstrap_servers_text();
    let mut consumer = Consumer::new(config).await?;
    let mut owned = Vec::new();
    if args.group.is_some() {
        if args.partition.is_some() || args.exit_at_end {
            return Err("-p and -e cannot be used with -G".into());
        }
        consumer.subscribe([args.topic.as_str()])?;
    } else {
        let metadata = consumer.client().metadata().await?;
        let topic = metadata.topic(&args.topic)?;
        owned = match args.partition {
            Some(p) if topic.partitions.contains_key(&p) => vec![p],
            Some(p) => return Err(format!("topic {} has no partition {p}", args.topic).into()),
            None => topic.partitions.keys().copied().collect(),
        }
        .into_iter()
        .map(|p| TopicPartition::new(args.topic.as_str(), p))
        .collect();
        consumer.assign(owned.clone())?;
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let limit = args.count.unwrap_or(u64::MAX);
    let (mut printed, mut events) = (0u64, 0u64);
    let result: CmdResult = async {
        while printed < limit {
            let want = BATCH.min((limit - printed) as usize);
            let batch = tokio::select! {
                b = consumer.recv_batch(want, Duration::from_secs(1)) => b?,
                _ = tokio::signal::ctrl_c() => break,
            };
            if batch.is_empty() {
                let at_end = owned.iter().all(|tp| consumer.lag(tp) == Some(0));
                if args.exit_at_end && at_end {
                    break;
                }
                continue;
            }
            let event = KafkaEvent::from_records(&batch, &source, &bootstrap);
            serde_json::to_writer(&mut out, &event)?;
            out.write_all(b"\n")?;
            out.flush()?;
            printed += batch.len() as u64;
            events += 1;
        }
        Ok(())
    }
    .await;
    let closed = consumer.close().await;
    result?;
    closed?;
    eprintln!(
        "consumed {printed} record(s) from {} in {events} event(s)",
        args.topic
    );
    Ok(())
}
