//! `ottla topics create|delete`.

use ottla::basic::{create_topic, delete_topic, NewTopic};

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
    }
    Ok(())
}
