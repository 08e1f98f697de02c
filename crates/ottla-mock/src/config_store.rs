//! Dynamic configs of topics, brokers and groups, as DescribeConfigs shows them and
//! IncrementalAlterConfigs changes them, over a fixed table of defaults.

use std::collections::BTreeMap;

use kafka_protocol::ResponseError;

/// DescribeConfigs' resource type of a topic.
pub(crate) const TOPIC: i8 = 2;
/// ... of a broker (name: its node id, or empty for the cluster-wide default).
pub(crate) const BROKER: i8 = 4;
/// ... of a consumer group (KIP-848 group configs).
pub(crate) const GROUP: i8 = 32;

/// Config sources (DescribeConfigs `config_source`).
pub(crate) mod source {
    pub const DYNAMIC_TOPIC: i8 = 1;
    pub const DYNAMIC_BROKER: i8 = 2;
    pub const DYNAMIC_DEFAULT_BROKER: i8 = 3;
    pub const STATIC_BROKER: i8 = 4;
    pub const DEFAULT: i8 = 5;
    pub const GROUP: i8 = 8;
}

/// A config key of the defaults table.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Key {
    pub name: &'static str,
    pub default: &'static str,
    /// A comma-separated list (APPEND and SUBTRACT apply).
    pub list: bool,
    pub read_only: bool,
}

const fn key(name: &'static str, default: &'static str) -> Key {
    Key {
        name,
        default,
        list: false,
        read_only: false,
    }
}

const TOPIC_KEYS: &[Key] = &[
    Key {
        list: true,
        ..key("cleanup.policy", "delete")
    },
    key("compression.type", "producer"),
    Key {
        list: true,
        ..key("follower.replication.throttled.replicas", "")
    },
    Key {
        list: true,
        ..key("leader.replication.throttled.replicas", "")
    },
    key("max.message.bytes", "1048588"),
    key("message.timestamp.type", "CreateTime"),
    key("min.insync.replicas", "1"),
    key("retention.bytes", "-1"),
    key("retention.ms", "604800000"),
    key("segment.bytes", "1073741824"),
];

const BROKER_KEYS: &[Key] = &[
    key("auto.create.topics.enable", "false"),
    key("default.replication.factor", "1"),
    key("log.retention.hours", "168"),
    key("log.retention.ms", ""),
    key("message.max.bytes", "1048588"),
    key("num.partitions", "1"),
    Key {
        read_only: true,
        ..key("process.roles", "broker,controller")
    },
];

const GROUP_KEYS: &[Key] = &[
    key("consumer.heartbeat.interval.ms", "5000"),
    key("consumer.session.timeout.ms", "45000"),
];

/// The keys a resource type has, or `None` for a type the mock does not serve.
pub(crate) fn keys(resource_type: i8) -> Option<&'static [Key]> {
    match resource_type {
        TOPIC => Some(TOPIC_KEYS),
        BROKER => Some(BROKER_KEYS),
        GROUP => Some(GROUP_KEYS),
        _ => None,
    }
}

/// One described config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Described {
    pub name: &'static str,
    pub value: String,
    pub source: i8,
    pub read_only: bool,
}

/// An IncrementalAlterConfigs operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Set,
    Delete,
    Append,
    Subtract,
}

impl Op {
    pub fn from_wire(op: i8) -> Option<Self> {
        match op {
            0 => Some(Self::Set),
            1 => Some(Self::Delete),
            2 => Some(Self::Append),
            3 => Some(Self::Subtract),
            _ => None,
        }
    }
}

/// The configs set dynamically, by (resource type, name).
#[derive(Debug, Default)]
pub(crate) struct ConfigStore {
    dynamic: BTreeMap<(i8, String), BTreeMap<String, String>>,
}

impl ConfigStore {
    /// Every config of a resource, its dynamic value where set. `overrides` are static values
    /// that replace the table's defaults (a broker's settings).
    pub fn describe(
        &self,
        resource_type: i8,
        name: &str,
        overrides: &[(&str, String)],
    ) -> Vec<Described> {
        let Some(keys) = keys(resource_type) else {
            return Vec::new();
        };
        let own = self.dynamic.get(&(resource_type, name.to_owned()));
        let cluster_default = (resource_type == BROKER)
            .then(|| self.dynamic.get(&(BROKER, String::new())))
            .flatten();
        keys.iter()
            .map(|k| {
                let (value, source) = if let Some(v) = own.and_then(|c| c.get(k.name)) {
                    let source = match resource_type {
                        TOPIC => source::DYNAMIC_TOPIC,
                        GROUP => source::GROUP,
                        _ if name.is_empty() => source::DYNAMIC_DEFAULT_BROKER,
                        _ => source::DYNAMIC_BROKER,
                    };
                    (v.clone(), source)
                } else if let Some(v) = cluster_default.and_then(|c| c.get(k.name)) {
                    (v.clone(), source::DYNAMIC_DEFAULT_BROKER)
                } else if let Some((_, v)) = overrides.iter().find(|(n, _)| *n == k.name) {
                    (v.clone(), source::STATIC_BROKER)
                } else {
                    (k.default.to_owned(), source::DEFAULT)
                };
                Described {
                    name: k.name,
                    value,
                    source,
                    read_only: k.read_only,
                }
            })
            .collect()
    }

    /// Applies `ops` to a resource, all or none; `Err` with INVALID_CONFIG (or
    /// INVALID_REQUEST) and a message naming the key.
    pub fn alter(
        &mut self,
        resource_type: i8,
        name: &str,
        ops: &[(String, Op, Option<String>)],
        validate_only: bool,
    ) -> Result<(), (i16, String)> {
        let invalid = |m: String| (ResponseError::InvalidConfig.code(), m);
        let keys = keys(resource_type).ok_or_else(|| {
            (
                ResponseError::InvalidRequest.code(),
                format!("resource type {resource_type} is not served"),
            )
        })?;
        let mut configs = self
            .dynamic
            .get(&(resource_type, name.to_owned()))
            .cloned()
            .unwrap_or_default();
        for (key_name, op, value) in ops {
            let Some(k) = keys.iter().find(|k| k.name == key_name) else {
                return Err(invalid(format!("unknown config {key_name}")));
            };
            if k.read_only {
                return Err(invalid(format!("{key_name} cannot be changed dynamically")));
            }
            let current = configs
                .get(k.name)
                .cloned()
                .unwrap_or_else(|| k.default.to_owned());
            let items = |v: &str| -> Vec<String> {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            };
            match op {
                Op::Set => {
                    let v = value
                        .clone()
                        .ok_or_else(|| invalid(format!("no value for {key_name}")))?;
                    if k.default.parse::<i64>().is_ok() && v.trim().parse::<i64>().is_err() {
                        return Err(invalid(format!(
                            "invalid value {v} for configuration {key_name}: not a number"
                        )));
                    }
                    configs.insert(k.name.to_owned(), v);
                }
                Op::Delete => {
                    configs.remove(k.name);
                }
                Op::Append | Op::Subtract if !k.list => {
                    return Err(invalid(format!(
                        "{key_name} is not a list: APPEND and SUBTRACT do not apply"
                    )));
                }
                Op::Append => {
                    let mut list = items(&current);
                    for item in items(value.as_deref().unwrap_or_default()) {
                        if !list.contains(&item) {
                            list.push(item);
                        }
                    }
                    configs.insert(k.name.to_owned(), list.join(","));
                }
                Op::Subtract => {
                    let remove = items(value.as_deref().unwrap_or_default());
                    let list: Vec<String> = items(&current)
                        .into_iter()
                        .filter(|i| !remove.contains(i))
                        .collect();
                    configs.insert(k.name.to_owned(), list.join(","));
                }
            }
        }
        if !validate_only {
            self.dynamic
                .insert((resource_type, name.to_owned()), configs);
        }
        Ok(())
    }

    /// One config's value (dynamic, else the default), if the resource type has the key.
    pub fn value(&self, resource_type: i8, name: &str, key: &str) -> Option<String> {
        self.describe(resource_type, name, &[])
            .into_iter()
            .find(|c| c.name == key)
            .map(|c| c.value)
    }

    /// Forgets a deleted topic's configs.
    pub fn remove(&mut self, resource_type: i8, name: &str) {
        self.dynamic.remove(&(resource_type, name.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_append_subtract_delete() {
        let mut s = ConfigStore::default();
        let op = |k: &str, op, v: Option<&str>| (k.to_owned(), op, v.map(str::to_owned));
        s.alter(
            TOPIC,
            "t",
            &[
                op("retention.ms", Op::Set, Some("1000")),
                op("cleanup.policy", Op::Append, Some("compact")),
            ],
            false,
        )
        .unwrap();
        let d = s.describe(TOPIC, "t", &[]);
        let get = |d: &[Described], n: &str| d.iter().find(|c| c.name == n).cloned().unwrap();
        assert_eq!(get(&d, "retention.ms").value, "1000");
        assert_eq!(get(&d, "retention.ms").source, source::DYNAMIC_TOPIC);
        assert_eq!(get(&d, "cleanup.policy").value, "delete,compact");
        assert_eq!(get(&d, "segment.bytes").source, source::DEFAULT);
        s.alter(
            TOPIC,
            "t",
            &[
                op("cleanup.policy", Op::Subtract, Some("delete")),
                op("retention.ms", Op::Delete, None),
            ],
            false,
        )
        .unwrap();
        let d = s.describe(TOPIC, "t", &[]);
        assert_eq!(get(&d, "cleanup.policy").value, "compact");
        assert_eq!(get(&d, "retention.ms").source, source::DEFAULT);
        let e = s
            .alter(TOPIC, "t", &[op("no.such", Op::Set, Some("1"))], false)
            .unwrap_err();
        assert_eq!(e.0, ResponseError::InvalidConfig.code());
        let e = s
            .alter(
                TOPIC,
                "t",
                &[op("retention.ms", Op::Set, Some("soon"))],
                false,
            )
            .unwrap_err();
        assert_eq!(e.0, ResponseError::InvalidConfig.code());
        let e = s
            .alter(
                TOPIC,
                "t",
                &[op("retention.ms", Op::Append, Some("1"))],
                false,
            )
            .unwrap_err();
        assert_eq!(e.0, ResponseError::InvalidConfig.code());
        // validate_only changes nothing; a broker's own value beats the cluster default.
        s.alter(TOPIC, "t", &[op("retention.ms", Op::Set, Some("5"))], true)
            .unwrap();
        assert_eq!(
            get(&s.describe(TOPIC, "t", &[]), "retention.ms").value,
            "604800000"
        );
        s.alter(
            BROKER,
            "",
            &[op("num.partitions", Op::Set, Some("3"))],
            false,
        )
        .unwrap();
        let d = s.describe(BROKER, "1", &[("num.partitions", "2".to_owned())]);
        assert_eq!(get(&d, "num.partitions").value, "3");
        assert_eq!(
            get(&d, "num.partitions").source,
            source::DYNAMIC_DEFAULT_BROKER
        );
        s.alter(
            BROKER,
            "1",
            &[op("num.partitions", Op::Set, Some("4"))],
            false,
        )
        .unwrap();
        let d = s.describe(BROKER, "1", &[]);
        assert_eq!(get(&d, "num.partitions").source, source::DYNAMIC_BROKER);
    }
}
