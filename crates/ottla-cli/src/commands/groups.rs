//! `ottla groups list|describe|lag|delete|reset-offsets`: consumer groups as
//! `kafka-consumer-groups.sh` shows and changes them.

use ottla::admin::{Admin, OffsetReset};
use ottla::group::admin::{describe_group, group_lag, list_groups};
use serde_json::json;

use super::{connect, CmdResult};
use crate::args::GroupsCommand;

pub async fn run(props: &ottla::Properties, cmd: GroupsCommand) -> CmdResult {
    let client = connect(props, &[]).await?;
    match cmd {
        GroupsCommand::List => {
            println!("{:<40} {:<10} {:<20} COORDINATOR", "GROUP", "TYPE", "STATE");
            for g in list_groups(&client).await? {
                let state = g.state.as_deref().unwrap_or("-");
                let kind = if g.protocol_type.is_empty() {
                    "-"
                } else {
                    &g.protocol_type
                };
                println!(
                    "{:<40} {:<10} {:<20} {}",
                    g.group_id, kind, state, g.coordinator
                );
            }
        }
        GroupsCommand::Describe { group } => {
            let d = describe_group(&client, &group).await?;
            let kip848 = if d.group_protocol == "consumer" {
                ", group.protocol=consumer"
            } else {
                ""
            };
            println!(
                "group {} ({}{kip848}), state {}, assignor {}",
                d.group_id,
                d.protocol_type,
                d.state,
                if d.assignor.is_empty() {
                    "-"
                } else {
                    &d.assignor
                }
            );
            for m in &d.members {
                let parts: Vec<String> = m.assignment.iter().map(ToString::to_string).collect();
                let instance = m
                    .instance_id
                    .as_deref()
                    .map(|i| format!(" instance {i}"))
                    .unwrap_or_default();
                println!(
                    "  {} (client {} from {}{}): {}",
                    m.member_id,
                    m.client_id,
                    m.client_host,
                    instance,
                    if parts.is_empty() {
                        "-".to_owned()
                    } else {
                        parts.join(", ")
                    }
                );
            }
        }
        GroupsCommand::Lag { group, json } => {
            let lags = group_lag(&client, &group).await?;
            let total: i64 = lags.iter().filter_map(|l| l.lag).sum();
            if json {
                for l in &lags {
                    let line = json!({
                        "topic": &*l.partition.topic,
                        "partition": l.partition.partition,
                        "committed": l.committed,
                        "end": l.end,
                        "lag": l.lag,
                        "owner": l.owner,
                    });
                    println!("{line}");
                }
                println!("{}", json!({ "group": group, "total_lag": total }));
            } else {
                println!(
                    "{:<40} {:>9} {:>12} {:>12} {:>10}  OWNER",
                    "TOPIC", "PARTITION", "COMMITTED", "END", "LAG"
                );
                let dash = || "-".to_owned();
                for l in &lags {
                    println!(
                        "{:<40} {:>9} {:>12} {:>12} {:>10}  {}",
                        l.partition.topic,
                        l.partition.partition,
                        l.committed.map_or_else(dash, |c| c.to_string()),
                        l.end,
                        l.lag.map_or_else(dash, |c| c.to_string()),
                        l.owner.as_deref().unwrap_or("-"),
                    );
                }
                println!("total lag {total}");
            }
        }
        GroupsCommand::Delete { group } => {
            Admin::new(client).delete_groups(&[&group]).await?;
            eprintln!("deleted group {group}");
        }
        GroupsCommand::ResetOffsets {
            group,
            topics,
            to_earliest,
            to_latest,
            to_datetime,
            to_offset,
            execute,
        } => {
            let to = match (to_earliest, to_latest, to_datetime, to_offset) {
                (true, ..) => OffsetReset::Earliest,
                (_, true, ..) => OffsetReset::Latest,
                (_, _, Some(ms), _) => OffsetReset::Timestamp(ms),
                (_, _, _, Some(n)) => OffsetReset::Offset(n),
                _ => {
                    return Err(
                        "give one of --to-earliest, --to-latest, --to-datetime, --to-offset".into(),
                    )
                }
            };
            let names: Vec<&str> = topics.iter().map(String::as_str).collect();
            let plan = Admin::new(client)
                .reset_offsets(&group, &names, to, execute)
                .await?;
            println!(
                "{:<40} {:>9} {:>12} {:>12}",
                "TOPIC", "PARTITION", "COMMITTED", "NEW"
            );
            for (tp, (before, after)) in &plan.partitions {
                let before = before.map_or_else(|| "-".to_owned(), |b| b.to_string());
                println!(
                    "{:<40} {:>9} {:>12} {:>12}",
                    tp.topic, tp.partition, before, after
                );
            }
            if plan.executed {
                eprintln!("committed the new offsets of group {group}");
            } else {
                eprintln!("dry run: nothing committed (add --execute)");
            }
        }
    }
    Ok(())
}
