//! ACLs: bindings described, created and deleted by filter (DescribeAcls, CreateAcls,
//! DeleteAcls). The broker must run an authorizer (SECURITY_DISABLED otherwise).

use ottla_protocol::messages::create_acls_request::AclCreation;
use ottla_protocol::messages::delete_acls_request::DeleteAclsFilter;
use ottla_protocol::messages::{ApiKey, CreateAclsRequest, DeleteAclsRequest, DescribeAclsRequest};
use ottla_protocol::StrBytes;

use super::{check, Admin};
use crate::Error;

macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $code:expr),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            fn wire(self) -> i8 {
                match self {
                    $($name::$variant => $code),+
                }
            }

            fn from_wire(code: i8) -> Option<Self> {
                match code {
                    $($code => Some($name::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

wire_enum!(
    /// What an ACL is about.
    ResourceType {
        /// Any (filters only).
        Any = 1,
        /// A topic.
        Topic = 2,
        /// A consumer group.
        Group = 3,
        /// The cluster.
        Cluster = 4,
        /// A transactional id.
        TransactionalId = 5,
        /// A delegation token.
        DelegationToken = 6,
        /// A user.
        User = 7,
    }
);

wire_enum!(
    /// How the resource name matches.
    PatternType {
        /// Any (filters only).
        Any = 1,
        /// Whatever would apply to the name (filters only).
        Match = 2,
        /// The name exactly (or `*`).
        Literal = 3,
        /// Names starting with it.
        Prefixed = 4,
    }
);

wire_enum!(
    /// The operation allowed or denied.
    AclOperation {
        /// Any (filters only).
        Any = 1,
        /// Every operation.
        All = 2,
        /// Read.
        Read = 3,
        /// Write.
        Write = 4,
        /// Create.
        Create = 5,
        /// Delete.
        Delete = 6,
        /// Alter.
        Alter = 7,
        /// Describe.
        Describe = 8,
        /// ClusterAction.
        ClusterAction = 9,
        /// DescribeConfigs.
        DescribeConfigs = 10,
        /// AlterConfigs.
        AlterConfigs = 11,
        /// IdempotentWrite.
        IdempotentWrite = 12,
        /// CreateTokens.
        CreateTokens = 13,
        /// DescribeTokens.
        DescribeTokens = 14,
    }
);

wire_enum!(
    /// Allow or deny.
    AclPermission {
        /// Any (filters only).
        Any = 1,
        /// Deny.
        Deny = 2,
        /// Allow.
        Allow = 3,
    }
);

/// One ACL.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AclBinding {
    /// The resource's type.
    pub resource_type: ResourceType,
    /// The resource's name (or prefix; `*` for all).
    pub resource_name: String,
    /// Literal or prefixed.
    pub pattern_type: PatternType,
    /// `User:NAME`.
    pub principal: String,
    /// The client host (`*` for any).
    pub host: String,
    /// The operation.
    pub operation: AclOperation,
    /// Allow or deny.
    pub permission: AclPermission,
}

/// Which ACLs to describe or delete; `None` matches anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AclFilter {
    /// The resource's type (`Any` for all).
    pub resource_type: ResourceType,
    /// The resource's name.
    pub resource_name: Option<String>,
    /// The pattern (`Any` for all, `Match` for what applies to the name).
    pub pattern_type: PatternType,
    /// The principal.
    pub principal: Option<String>,
    /// The host.
    pub host: Option<String>,
    /// The operation (`Any` for all).
    pub operation: AclOperation,
    /// The permission (`Any` for all).
    pub permission: AclPermission,
}

impl AclFilter {
    /// Every ACL.
    pub fn any() -> Self {
        Self {
            resource_type: ResourceType::Any,
            resource_name: None,
            pattern_type: PatternType::Any,
            principal: None,
            host: None,
            operation: AclOperation::Any,
            permission: AclPermission::Any,
        }
    }

    /// The ACLs of one resource (a literal or prefixed name of a type).
    pub fn resource(resource_type: ResourceType, name: &str) -> Self {
        Self {
            resource_type,
            resource_name: Some(name.to_owned()),
            ..Self::any()
        }
    }
}

impl From<&AclBinding> for AclFilter {
    /// Exactly that binding.
    fn from(b: &AclBinding) -> Self {
        Self {
            resource_type: b.resource_type,
            resource_name: Some(b.resource_name.clone()),
            pattern_type: b.pattern_type,
            principal: Some(b.principal.clone()),
            host: Some(b.host.clone()),
            operation: b.operation,
            permission: b.permission,
        }
    }
}

fn text(s: &Option<String>) -> Option<StrBytes> {
    s.as_ref().map(|s| StrBytes::from_string(s.clone()))
}

fn binding(
    resource_type: i8,
    resource_name: &StrBytes,
    pattern_type: i8,
    principal: &StrBytes,
    host: &StrBytes,
    operation: i8,
    permission: i8,
) -> Option<AclBinding> {
    Some(AclBinding {
        resource_type: ResourceType::from_wire(resource_type)?,
        resource_name: resource_name.to_string(),
        pattern_type: PatternType::from_wire(pattern_type)?,
        principal: principal.to_string(),
        host: host.to_string(),
        operation: AclOperation::from_wire(operation)?,
        permission: AclPermission::from_wire(permission)?,
    })
}

impl Admin {
    /// The ACLs matching `filter`.
    pub async fn describe_acls(&self, filter: &AclFilter) -> Result<Vec<AclBinding>, Error> {
        let request = DescribeAclsRequest::default()
            .with_resource_type_filter(filter.resource_type.wire())
            .with_resource_name_filter(text(&filter.resource_name))
            .with_pattern_type_filter(filter.pattern_type.wire())
            .with_principal_filter(text(&filter.principal))
            .with_host_filter(text(&filter.host))
            .with_operation(filter.operation.wire())
            .with_permission_type(filter.permission.wire());
        let response = self.client.send_to_any(&request).await?;
        check(
            ApiKey::DescribeAcls,
            response.error_code,
            || "ACLs".into(),
            response.error_message.as_ref(),
        )?;
        let mut out: Vec<AclBinding> = response
            .resources
            .iter()
            .flat_map(|r| {
                r.acls.iter().filter_map(move |a| {
                    binding(
                        r.resource_type,
                        &r.resource_name,
                        r.pattern_type,
                        &a.principal,
                        &a.host,
                        a.operation,
                        a.permission_type,
                    )
                })
            })
            .collect();
        out.sort();
        Ok(out)
    }

    /// Creates ACLs (all are tried; the first failure is returned).
    pub async fn create_acls(&self, acls: &[AclBinding]) -> Result<(), Error> {
        let request = CreateAclsRequest::default().with_creations(
            acls.iter()
                .map(|b| {
                    AclCreation::default()
                        .with_resource_type(b.resource_type.wire())
                        .with_resource_name(StrBytes::from_string(b.resource_name.clone()))
                        .with_resource_pattern_type(b.pattern_type.wire())
                        .with_principal(StrBytes::from_string(b.principal.clone()))
                        .with_host(StrBytes::from_string(b.host.clone()))
                        .with_operation(b.operation.wire())
                        .with_permission_type(b.permission.wire())
                })
                .collect(),
        );
        let response = self.client.send_to_any(&request).await?;
        for (r, b) in response.results.iter().zip(acls) {
            check(
                ApiKey::CreateAcls,
                r.error_code,
                || format!("{b:?}"),
                r.error_message.as_ref(),
            )?;
        }
        Ok(())
    }

    /// Deletes the ACLs matching each filter; returns those deleted.
    pub async fn delete_acls(&self, filters: &[AclFilter]) -> Result<Vec<AclBinding>, Error> {
        let request = DeleteAclsRequest::default().with_filters(
            filters
                .iter()
                .map(|f| {
                    DeleteAclsFilter::default()
                        .with_resource_type_filter(f.resource_type.wire())
                        .with_resource_name_filter(text(&f.resource_name))
                        .with_pattern_type_filter(f.pattern_type.wire())
                        .with_principal_filter(text(&f.principal))
                        .with_host_filter(text(&f.host))
                        .with_operation(f.operation.wire())
                        .with_permission_type(f.permission.wire())
                })
                .collect(),
        );
        let response = self.client.send_to_any(&request).await?;
        let mut out = Vec::new();
        for r in &response.filter_results {
            check(
                ApiKey::DeleteAcls,
                r.error_code,
                || "ACL filter".into(),
                r.error_message.as_ref(),
            )?;
            for m in &r.matching_acls {
                check(
                    ApiKey::DeleteAcls,
                    m.error_code,
                    || "ACL".into(),
                    m.error_message.as_ref(),
                )?;
                out.extend(binding(
                    m.resource_type,
                    &m.resource_name,
                    m.pattern_type,
                    &m.principal,
                    &m.host,
                    m.operation,
                    m.permission_type,
                ));
            }
        }
        out.sort();
        Ok(out)
    }
}
