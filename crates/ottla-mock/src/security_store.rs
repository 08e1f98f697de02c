//! What an admin client sets for security and quotas: ACL bindings, SCRAM credentials and client
//! quotas, as Kafka's controller keeps them. The mock stores and describes them; it does not
//! enforce them (SASL logins use [`MockSasl`](crate::MockSasl)'s users, and nothing is
//! authorized or throttled by them).

use std::collections::BTreeMap;

use kafka_protocol::ResponseError;

/// Filter and type codes shared by the ACL APIs.
pub(crate) mod acl_code {
    /// `ANY` in a filter (resource, pattern, operation, permission type).
    pub const ANY: i8 = 1;
    /// Pattern type `MATCH` in a filter: literal, wildcard and prefixed bindings that apply.
    pub const MATCH: i8 = 2;
    pub const LITERAL: i8 = 3;
    pub const PREFIXED: i8 = 4;
}

/// The ACL wildcard resource name.
const WILDCARD: &str = "*";

/// One ACL binding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Acl {
    pub resource_type: i8,
    pub resource_name: String,
    pub pattern_type: i8,
    pub principal: String,
    pub host: String,
    pub operation: i8,
    pub permission_type: i8,
}

/// A filter over ACL bindings (DescribeAcls, DeleteAcls).
#[derive(Debug, Clone)]
pub(crate) struct AclFilter {
    pub resource_type: i8,
    pub resource_name: Option<String>,
    pub pattern_type: i8,
    pub principal: Option<String>,
    pub host: Option<String>,
    pub operation: i8,
    pub permission_type: i8,
}

impl AclFilter {
    pub fn matches(&self, acl: &Acl) -> bool {
        let code = |filter: i8, value: i8| filter == acl_code::ANY || filter == value;
        let text =
            |filter: &Option<String>, value: &str| filter.as_deref().is_none_or(|f| f == value);
        let name = match (self.pattern_type, &self.resource_name) {
            (_, None) => true,
            (acl_code::MATCH, Some(n)) => match acl.pattern_type {
                acl_code::LITERAL => acl.resource_name == *n || acl.resource_name == WILDCARD,
                acl_code::PREFIXED => n.starts_with(&acl.resource_name),
                _ => false,
            },
            (_, Some(n)) => acl.resource_name == *n,
        };
        let pattern = matches!(self.pattern_type, acl_code::ANY | acl_code::MATCH)
            || self.pattern_type == acl.pattern_type;
        code(self.resource_type, acl.resource_type)
            && pattern
            && name
            && text(&self.principal, &acl.principal)
            && text(&self.host, &acl.host)
            && code(self.operation, acl.operation)
            && code(self.permission_type, acl.permission_type)
    }
}

/// SCRAM mechanisms as AlterUserScramCredentials numbers them.
const SCRAM_SHA_256: i8 = 1;
const SCRAM_SHA_512: i8 = 2;
/// Kafka's bounds on SCRAM iterations.
const MIN_ITERATIONS: i32 = 4096;
const MAX_ITERATIONS: i32 = 16384;

/// A client quota entity: (entity type, name; `None` is the default entity), sorted.
pub(crate) type QuotaEntity = Vec<(String, Option<String>)>;

/// The quota keys Kafka accepts.
const QUOTA_KEYS: &[&str] = &[
    "producer_byte_rate",
    "consumer_byte_rate",
    "request_percentage",
    "controller_mutation_rate",
    "connection_creation_rate",
];

/// The entity types Kafka accepts.
const ENTITY_TYPES: &[&str] = &["user", "client-id", "ip"];

/// ACLs, SCRAM credentials and quotas.
#[derive(Debug, Default)]
pub(crate) struct SecurityStore {
    acls: Vec<Acl>,
    /// user → mechanism → iterations.
    scram: BTreeMap<String, BTreeMap<i8, i32>>,
    quotas: BTreeMap<QuotaEntity, BTreeMap<String, f64>>,
}

impl SecurityStore {
    /// Adds a binding (once); `Err` with a code for a binding that names ANY or MATCH.
    pub fn create_acl(&mut self, acl: Acl) -> Result<(), (i16, String)> {
        let concrete = |c: i8| c > acl_code::ANY;
        if !concrete(acl.resource_type)
            || !matches!(acl.pattern_type, acl_code::LITERAL | acl_code::PREFIXED)
            || !concrete(acl.operation)
            || !concrete(acl.permission_type)
            || acl.principal.is_empty()
        {
            return Err((
                ResponseError::InvalidRequest.code(),
                "a binding names a resource, a LITERAL or PREFIXED pattern, an operation, a permission and a principal".to_owned(),
            ));
        }
        if !self.acls.contains(&acl) {
            self.acls.push(acl);
        }
        Ok(())
    }

    /// The bindings `filter` matches.
    pub fn acls(&self, filter: &AclFilter) -> Vec<Acl> {
        let mut out: Vec<Acl> = self
            .acls
            .iter()
            .filter(|a| filter.matches(a))
            .cloned()
            .collect();
        out.sort();
        out
    }

    /// Removes and returns the bindings `filter` matches.
    pub fn delete_acls(&mut self, filter: &AclFilter) -> Vec<Acl> {
        let (gone, kept) = self.acls.drain(..).partition(|a| filter.matches(a));
        self.acls = kept;
        gone
    }

    /// A user's credentials (mechanism, iterations), or RESOURCE_NOT_FOUND.
    pub fn scram_user(&self, user: &str) -> Result<Vec<(i8, i32)>, (i16, String)> {
        self.scram
            .get(user)
            .map(|m| m.iter().map(|(&k, &v)| (k, v)).collect())
            .ok_or_else(|| {
                (
                    ResponseError::ResourceNotFound.code(),
                    format!("attempt to describe a user credential that does not exist: {user}"),
                )
            })
    }

    /// Every user with a credential.
    pub fn scram_users(&self) -> Vec<String> {
        self.scram.keys().cloned().collect()
    }

    /// Checks an upsertion or deletion of `user`'s `mechanism` credential.
    fn check_scram(user: &str, mechanism: i8) -> Result<(), (i16, String)> {
        if user.is_empty() {
            return Err((
                ResponseError::UnacceptableCredential.code(),
                "username must not be empty".to_owned(),
            ));
        }
        if !matches!(mechanism, SCRAM_SHA_256 | SCRAM_SHA_512) {
            return Err((
                ResponseError::UnsupportedSaslMechanism.code(),
                format!("unknown SCRAM mechanism {mechanism}"),
            ));
        }
        Ok(())
    }

    /// Sets `user`'s `mechanism` credential.
    pub fn upsert_scram(
        &mut self,
        user: &str,
        mechanism: i8,
        iterations: i32,
    ) -> Result<(), (i16, String)> {
        Self::check_scram(user, mechanism)?;
        if !(MIN_ITERATIONS..=MAX_ITERATIONS).contains(&iterations) {
            return Err((
                ResponseError::UnacceptableCredential.code(),
                format!(
                    "{iterations} iterations; {MIN_ITERATIONS} to {MAX_ITERATIONS} are allowed"
                ),
            ));
        }
        self.scram
            .entry(user.to_owned())
            .or_default()
            .insert(mechanism, iterations);
        Ok(())
    }

    /// Deletes `user`'s `mechanism` credential, or RESOURCE_NOT_FOUND.
    pub fn delete_scram(&mut self, user: &str, mechanism: i8) -> Result<(), (i16, String)> {
        Self::check_scram(user, mechanism)?;
        let removed = self
            .scram
            .get_mut(user)
            .and_then(|m| m.remove(&mechanism))
            .is_some();
        if self.scram.get(user).is_some_and(BTreeMap::is_empty) {
            self.scram.remove(user);
        }
        if removed {
            Ok(())
        } else {
            Err((
                ResponseError::ResourceNotFound.code(),
                format!("attempt to delete a user credential that does not exist: {user}"),
            ))
        }
    }

    /// Checks an entity and its quota operations (key, value; `None` removes).
    fn check_quota(
        entity: &QuotaEntity,
        ops: &[(String, Option<f64>)],
    ) -> Result<(), (i16, String)> {
        let invalid = |m: String| Err((ResponseError::InvalidRequest.code(), m));
        if entity.is_empty() {
            return invalid("an entity with no components".to_owned());
        }
        if let Some((t, _)) = entity
            .iter()
            .find(|(t, _)| !ENTITY_TYPES.contains(&t.as_str()))
        {
            return invalid(format!("unknown entity type {t}"));
        }
        if let Some((k, _)) = ops.iter().find(|(k, _)| !QUOTA_KEYS.contains(&k.as_str())) {
            return invalid(format!("unknown quota key {k}"));
        }
        if let Some((k, v)) = ops.iter().find(|(_, v)| v.is_some_and(|v| v <= 0.0)) {
            return invalid(format!("quota {k} must be positive, not {v:?}"));
        }
        Ok(())
    }

    /// Sets and removes quotas of one entity.
    pub fn alter_quotas(
        &mut self,
        mut entity: QuotaEntity,
        ops: &[(String, Option<f64>)],
        validate_only: bool,
    ) -> Result<(), (i16, String)> {
        entity.sort();
        Self::check_quota(&entity, ops)?;
        if validate_only {
            return Ok(());
        }
        let values = self.quotas.entry(entity.clone()).or_default();
        for (key, value) in ops {
            match value {
                Some(v) => {
                    values.insert(key.clone(), *v);
                }
                None => {
                    values.remove(key);
                }
            }
        }
        if values.is_empty() {
            self.quotas.remove(&entity);
        }
        Ok(())
    }

    /// The entities (with their quotas) `matches` accepts.
    pub fn quotas(
        &self,
        matches: impl Fn(&QuotaEntity) -> bool,
    ) -> Vec<(QuotaEntity, Vec<(String, f64)>)> {
        self.quotas
            .iter()
            .filter(|(e, _)| matches(e))
            .map(|(e, v)| (e.clone(), v.iter().map(|(k, v)| (k.clone(), *v)).collect()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acl(name: &str, pattern: i8, principal: &str) -> Acl {
        Acl {
            resource_type: 2,
            resource_name: name.to_owned(),
            pattern_type: pattern,
            principal: principal.to_owned(),
            host: "*".to_owned(),
            operation: 3,
            permission_type: 3,
        }
    }

    fn filter(name: Option<&str>, pattern: i8) -> AclFilter {
        AclFilter {
            resource_type: acl_code::ANY,
            resource_name: name.map(str::to_owned),
            pattern_type: pattern,
            principal: None,
            host: None,
            operation: acl_code::ANY,
            permission_type: acl_code::ANY,
        }
    }

    #[test]
    fn acl_filters_as_kafka_matches_them() {
        let mut s = SecurityStore::default();
        s.create_acl(acl("orders", acl_code::LITERAL, "User:a"))
            .unwrap();
        s.create_acl(acl("ord", acl_code::PREFIXED, "User:b"))
            .unwrap();
        s.create_acl(acl("*", acl_code::LITERAL, "User:c")).unwrap();
        s.create_acl(acl("orders", acl_code::LITERAL, "User:a"))
            .unwrap();
        assert!(s.create_acl(acl("x", acl_code::MATCH, "User:a")).is_err());
        assert_eq!(s.acls(&filter(None, acl_code::ANY)).len(), 3);
        assert_eq!(s.acls(&filter(Some("orders"), acl_code::ANY)).len(), 1);
        assert_eq!(s.acls(&filter(Some("orders"), acl_code::MATCH)).len(), 3);
        assert_eq!(s.acls(&filter(Some("ord"), acl_code::PREFIXED)).len(), 1);
        let gone = s.delete_acls(&filter(Some("orders"), acl_code::LITERAL));
        assert_eq!(gone, vec![acl("orders", acl_code::LITERAL, "User:a")]);
        assert_eq!(s.acls(&filter(None, acl_code::ANY)).len(), 2);
    }

    #[test]
    fn scram_and_quotas() {
        let mut s = SecurityStore::default();
        s.upsert_scram("u", SCRAM_SHA_256, 8192).unwrap();
        assert_eq!(s.scram_user("u").unwrap(), vec![(SCRAM_SHA_256, 8192)]);
        assert_eq!(
            s.upsert_scram("u", SCRAM_SHA_512, 10).unwrap_err().0,
            ResponseError::UnacceptableCredential.code()
        );
        assert_eq!(
            s.delete_scram("u", SCRAM_SHA_512).unwrap_err().0,
            ResponseError::ResourceNotFound.code()
        );
        s.delete_scram("u", SCRAM_SHA_256).unwrap();
        assert!(s.scram_user("u").is_err());

        let e: QuotaEntity = vec![("user".into(), Some("a".into()))];
        s.alter_quotas(
            e.clone(),
            &[("producer_byte_rate".into(), Some(1024.0))],
            false,
        )
        .unwrap();
        assert_eq!(s.quotas(|_| true).len(), 1);
        assert!(s
            .alter_quotas(e.clone(), &[("bogus".into(), Some(1.0))], false)
            .is_err());
        s.alter_quotas(e, &[("producer_byte_rate".into(), None)], false)
            .unwrap();
        assert!(s.quotas(|_| true).is_empty());
    }
}
