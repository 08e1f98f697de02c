//! `ottla acls list|add|delete`.

use ottla::admin::{AclBinding, AclFilter, AclOperation, AclPermission, PatternType, ResourceType};

use super::{admin, CmdResult};
use crate::args::{AclArgs, AclsCommand};

fn operation(name: &str) -> Result<AclOperation, String> {
    Ok(match name.to_ascii_lowercase().replace(['-', '_'], "").as_str() {
        "all" => AclOperation::All,
        "read" => AclOperation::Read,
        "write" => AclOperation::Write,
        "create" => AclOperation::Create,
        "delete" => AclOperation::Delete,
        "alter" => AclOperation::Alter,
        "describe" => AclOperation::Describe,
        "clusteraction" => AclOperation::ClusterAction,
        "describeconfigs" => AclOperation::DescribeConfigs,
        "alterconfigs" => AclOperation::AlterConfigs,
        "idempotentwrite" => AclOperation::IdempotentWrite,
        other => return Err(format!("unknown --operation {other:?}: read, write, create, delete, alter, describe, all, cluster-action, describe-configs, alter-configs, idempotent-write")),
    })
}

/// The resource named by the options, if any.
fn resource(a: &AclArgs) -> Option<(ResourceType, String)> {
    match (&a.topic, &a.group, a.cluster) {
        (Some(t), _, _) => Some((ResourceType::Topic, t.clone())),
        (_, Some(g), _) => Some((ResourceType::Group, g.clone())),
        (_, _, true) => Some((ResourceType::Cluster, "kafka-cluster".into())),
        _ => None,
    }
}

fn filter(a: &AclArgs) -> Result<AclFilter, String> {
    let (resource_type, resource_name) = match resource(a) {
        Some((t, n)) => (t, Some(n)),
        None => (ResourceType::Any, None),
    };
    Ok(AclFilter {
        resource_type,
        resource_name,
        pattern_type: match (a.prefixed, resource_type) {
            (true, _) => PatternType::Prefixed,
            (false, ResourceType::Any) => PatternType::Any,
            (false, _) => PatternType::Literal,
        },
        principal: a.principal.clone(),
        host: a.host.clone(),
        operation: a
            .operation
            .as_deref()
            .map(operation)
            .transpose()?
            .unwrap_or(AclOperation::Any),
        permission: if a.deny {
            AclPermission::Deny
        } else if a.operation.is_some() {
            AclPermission::Allow
        } else {
            AclPermission::Any
        },
    })
}

fn print(b: &AclBinding) {
    println!(
        "{:?} {:?}:{} {} {:?} {:?} from {}",
        b.permission,
        b.resource_type,
        b.resource_name,
        if b.pattern_type == PatternType::Prefixed {
            "(prefixed)"
        } else {
            ""
        },
        b.operation,
        b.principal,
        b.host
    );
}

pub async fn run(props: &ottla::Properties, cmd: AclsCommand) -> CmdResult {
    let admin = admin(props).await?;
    match cmd {
        AclsCommand::List { acl } => {
            for b in admin.describe_acls(&filter(&acl)?).await? {
                print(&b);
            }
        }
        AclsCommand::Add { acl } => {
            let (resource_type, resource_name) =
                resource(&acl).ok_or("add needs --topic, --group or --cluster")?;
            let binding = AclBinding {
                resource_type,
                resource_name,
                pattern_type: if acl.prefixed {
                    PatternType::Prefixed
                } else {
                    PatternType::Literal
                },
                principal: acl
                    .principal
                    .clone()
                    .ok_or("add needs --principal User:NAME")?,
                host: acl.host.clone().unwrap_or_else(|| "*".into()),
                operation: operation(acl.operation.as_deref().ok_or("add needs --operation")?)?,
                permission: if acl.deny {
                    AclPermission::Deny
                } else {
                    AclPermission::Allow
                },
            };
            admin.create_acls(std::slice::from_ref(&binding)).await?;
            print(&binding);
        }
        AclsCommand::Delete { acl } => {
            let deleted = admin.delete_acls(&[filter(&acl)?]).await?;
            for b in &deleted {
                print(b);
            }
            eprintln!("deleted {} ACL(s)", deleted.len());
        }
    }
    Ok(())
}
