//! `ottla topics create|delete|partitions|offsets|delete-records`.

use std::collections::BTreeMap;

use ottla::admin::{Admin, OffsetSpec};
use ottla::basic::{create_topic, delete_topic, NewTopic};
use ottla::group::TopicPartition;

use super::{connect, CmdResult};
use crate::args::TopicsCommand;

pub async fn run(props: &ottla::Properties, cmd: TopicsCommand) -> CmdResult {
    let client = connect(props, &[]).await?;
    match cmd {
        TopicsCommand::Create {
            name,
            partitions,
            replication_factor,
            configs,
        } => {
            if partitions < 1 {
                return Err(format!("--partitions must be at least 1, got {partitions}").into());
            }
            let configs = configs
                .iter()
                .map(|c| {
                    c.split_once('=')
                        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                        .ok_or_else(|| format!("--config expects key=value, got {c:?}"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let topic = NewTopic {
                name: name.clone(),
                partitions,
                replication_factor,
                configs,
            };
            create_topic(&client, &topic).await?;
            eprintln!("created topic {name} with {partitions} partition(s)");
        }
        TopicsCommand::Delete { name } => {
            delete_topic(&client, &name).await?;
            eprintln!("deleted topic {name}");
        }
        TopicsCommand::Partitions { name, count } => {
            Admin::new(client).create_partitions(&name, count).await?;
            eprintln!("topic {name} has {count} partition(s)");
        }
        TopicsCommand::Offsets { name, at } => {
            let spec = match at.as_str() {
                "earliest" | "beginning" => OffsetSpec::Earliest,
                "latest" | "end" => OffsetSpec::Latest,
                ms => OffsetSpec::Timestamp(ms.parse().map_err(|_| {
                    format!("--at is earliest, latest or a time in ms, got {ms:?}")
                })?),
            };
            let metadata = client.metadata().await?;
            let partitions: Vec<TopicPartition> = metadata
                .topic(&name)?
                .partitions
                .keys()
                .map(|&p| TopicPartition::new(name.as_str(), p))
                .collect();
            for (tp, offset) in Admin::new(client).list_offsets(&partitions, spec).await? {
                println!("{} {} {offset}", tp.topic, tp.partition);
            }
        }
        TopicsCommand::DeleteRecords {
            name,
            partition,
            before,
        } => {
            let tp = TopicPartition::new(name.as_str(), partition);
            let low = Admin::new(client)
                .delete_records(&BTreeMap::from([(tp.clone(), before)]))
                .await?;
            eprintln!("{tp} now starts at {}", low[&tp]);
        }
    }
    Ok(())
}
