//! `ottla configs describe|alter`: configs of a topic, a broker or a group.

use ottla::admin::{AlterOp, ConfigResource};

use super::{admin, CmdResult};
use crate::args::{ConfigTarget, ConfigsCommand};

fn resource(t: ConfigTarget) -> Result<ConfigResource, String> {
    match (t.topic, t.broker, t.group) {
        (Some(topic), None, None) => Ok(ConfigResource::Topic(topic)),
        (None, Some(id), None) => Ok(ConfigResource::Broker(id)),
        (None, None, Some(g)) => Ok(ConfigResource::Group(g)),
        _ => Err("give one of --topic, --broker, --group".into()),
    }
}

fn pair(option: &str, kv: &str) -> Result<(String, String), String> {
    kv.split_once('=')
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .ok_or_else(|| format!("{option} expects key=value, got {kv:?}"))
}

pub async fn run(props: &ottla::Properties, cmd: ConfigsCommand) -> CmdResult {
    let admin = admin(props).await?;
    match cmd {
        ConfigsCommand::Describe { resource: target } => {
            let r = resource(target)?;
            for c in admin.describe_configs(&r).await? {
                let value = if c.sensitive {
                    "(sensitive)".to_owned()
                } else {
                    c.value.unwrap_or_else(|| "-".to_owned())
                };
                println!(
                    "{}={value}  ({:?}{})",
                    c.name,
                    c.source,
                    if c.read_only { ", read-only" } else { "" }
                );
            }
        }
        ConfigsCommand::Alter {
            resource: target,
            set,
            delete,
            append,
            subtract,
        } => {
            let r = resource(target)?;
            let mut ops = Vec::new();
            for kv in &set {
                let (k, v) = pair("--set", kv)?;
                ops.push(AlterOp::Set(k, v));
            }
            ops.extend(delete.into_iter().map(AlterOp::Delete));
            for kv in &append {
                let (k, v) = pair("--append", kv)?;
                ops.push(AlterOp::Append(k, v));
            }
            for kv in &subtract {
                let (k, v) = pair("--subtract", kv)?;
                ops.push(AlterOp::Subtract(k, v));
            }
            if ops.is_empty() {
                return Err(
                    "nothing to change: give --set, --delete, --append or --subtract".into(),
                );
            }
            admin.alter_configs(&r, &ops).await?;
            eprintln!("altered {} config(s) of {r:?}", ops.len());
        }
    }
    Ok(())
}
