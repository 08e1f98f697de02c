//! DescribeAcls, CreateAcls and DeleteAcls over the [`SecurityStore`]'s bindings (stored and
//! matched as Kafka's authorizer does; not enforced).
//!
//! [`SecurityStore`]: crate::security_store::SecurityStore

use kafka_protocol::messages::create_acls_response::AclCreationResult;
use kafka_protocol::messages::delete_acls_response::{
    DeleteAclsFilterResult, DeleteAclsMatchingAcl,
};
use kafka_protocol::messages::describe_acls_response::{AclDescription, DescribeAclsResource};
use kafka_protocol::messages::{
    CreateAclsRequest, CreateAclsResponse, DeleteAclsRequest, DeleteAclsResponse,
    DescribeAclsRequest, DescribeAclsResponse,
};
use kafka_protocol::protocol::StrBytes;

use super::Ctx;
use crate::security_store::{Acl, AclFilter};

fn text(s: &str) -> StrBytes {
    StrBytes::from_string(s.to_owned())
}

fn opt(s: Option<&StrBytes>) -> Option<String> {
    s.map(|v| v.to_string())
}

/// The filter of a DescribeAclsRequest or a DeleteAclsFilter (the same fields, two types).
macro_rules! acl_filter {
    ($f:expr) => {
        AclFilter {
            resource_type: $f.resource_type_filter,
            resource_name: opt($f.resource_name_filter.as_ref()),
            pattern_type: $f.pattern_type_filter,
            principal: opt($f.principal_filter.as_ref()),
            host: opt($f.host_filter.as_ref()),
            operation: $f.operation,
            permission_type: $f.permission_type,
        }
    };
}

pub(crate) fn describe(ctx: &Ctx<'_>, r: &DescribeAclsRequest) -> DescribeAclsResponse {
    if let Some(code) = ctx.injected.top_level() {
        return DescribeAclsResponse::default().with_error_code(code);
    }
    let filter = acl_filter!(r);
    let acls = ctx.shared.lock().security.acls(&filter);
    let mut resources: Vec<DescribeAclsResource> = Vec::new();
    for a in acls {
        let entry = AclDescription::default()
            .with_principal(text(&a.principal))
            .with_host(text(&a.host))
            .with_operation(a.operation)
            .with_permission_type(a.permission_type);
        match resources.last_mut() {
            Some(res)
                if res.resource_type == a.resource_type
                    && res.resource_name.as_str() == a.resource_name
                    && res.pattern_type == a.pattern_type =>
            {
                res.acls.push(entry);
            }
            _ => resources.push(
                DescribeAclsResource::default()
                    .with_resource_type(a.resource_type)
                    .with_resource_name(text(&a.resource_name))
                    .with_pattern_type(a.pattern_type)
                    .with_acls(vec![entry]),
            ),
        }
    }
    DescribeAclsResponse::default().with_resources(resources)
}

pub(crate) fn create(ctx: &Ctx<'_>, r: &CreateAclsRequest) -> CreateAclsResponse {
    let mut state = ctx.shared.lock();
    let results = r
        .creations
        .iter()
        .map(|c| {
            if let Some(code) = ctx.injected.topic(c.resource_name.as_str()) {
                return AclCreationResult::default().with_error_code(code);
            }
            let acl = Acl {
                resource_type: c.resource_type,
                resource_name: c.resource_name.to_string(),
                pattern_type: c.resource_pattern_type,
                principal: c.principal.to_string(),
                host: c.host.to_string(),
                operation: c.operation,
                permission_type: c.permission_type,
            };
            match state.security.create_acl(acl) {
                Ok(()) => AclCreationResult::default(),
                Err((code, message)) => AclCreationResult::default()
                    .with_error_code(code)
                    .with_error_message(Some(StrBytes::from_string(message))),
            }
        })
        .collect();
    CreateAclsResponse::default().with_results(results)
}

pub(crate) fn delete(ctx: &Ctx<'_>, r: &DeleteAclsRequest) -> DeleteAclsResponse {
    let mut state = ctx.shared.lock();
    let filter_results = r
        .filters
        .iter()
        .map(|f| {
            if let Some(code) = f
                .resource_name_filter
                .as_ref()
                .and_then(|n| ctx.injected.topic(n.as_str()))
            {
                return DeleteAclsFilterResult::default().with_error_code(code);
            }
            let filter = acl_filter!(f);
            let matching = state
                .security
                .delete_acls(&filter)
                .into_iter()
                .map(|a| {
                    DeleteAclsMatchingAcl::default()
                        .with_resource_type(a.resource_type)
                        .with_resource_name(text(&a.resource_name))
                        .with_pattern_type(a.pattern_type)
                        .with_principal(text(&a.principal))
                        .with_host(text(&a.host))
                        .with_operation(a.operation)
                        .with_permission_type(a.permission_type)
                })
                .collect();
            DeleteAclsFilterResult::default().with_matching_acls(matching)
        })
        .collect();
    DeleteAclsResponse::default().with_filter_results(filter_results)
}
