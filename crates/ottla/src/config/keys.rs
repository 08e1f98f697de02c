//! Property names ottla does not use but the Java client or librdkafka know, so that a
//! pasted config is accepted (and the unused keys named once), and the closest known key
//! for a mistyped one.

use crate::basic::FETCH_KEYS;
use crate::consumer::CONSUMER_KEYS;
use crate::producer::PRODUCER_KEYS;

use super::{CLIENT_KEYS, SECURITY_KEYS};

/// Producer, consumer and common properties of the Java client 4.x and librdkafka 2.x that
/// ottla does not read, sorted: librdkafka 2.15's CONFIGURATION.md (global and topic
/// tables) and the Java client's producer, consumer, common, SASL and SSL config
/// definitions of 4.0.2, 4.3.1 and 4.4.0, minus the keys ottla reads.
pub const FOREIGN_KEYS: &[&str] = &[
    "allow.auto.create.topics",
    "api.version.fallback.ms",
    "api.version.request",
    "api.version.request.timeout.ms",
    "auto.commit.enable",
    "background_event_cb",
    "bootstrap.resolve.timeout.ms",
    "broker.address.family",
    "broker.address.ttl",
    "broker.version.fallback",
    "buffer.memory.allocation.strategy",
    "builtin.features",
    "check.crcs",
    "client.dns.lookup",
    "closesocket_cb",
    "compression.gzip.level",
    "compression.lz4.level",
    "compression.zstd.level",
    "config.providers",
    "connect_cb",
    "connections.max.idle.ms",
    "consume.callback.max.messages",
    "consume_cb",
    "coordinator.query.interval.ms",
    "debug",
    "default_topic_conf",
    "delivery.report.only.error",
    "dr_cb",
    "dr_msg_cb",
    "enable.auto.offset.store",
    "enable.gapless.guarantee",
    "enable.metrics.push",
    "enable.random.seed",
    "enable.sasl.oauthbearer.unsecure.jwt",
    "enable.ssl.certificate.verification",
    "enabled_events",
    "error_cb",
    "exclude.internal.topics",
    "fetch.error.backoff.ms",
    "fetch.message.max.bytes",
    "fetch.queue.backoff.ms",
    "group.protocol.type",
    "https.ca.location",
    "https.ca.pem",
    "interceptor.classes",
    "interceptors",
    "internal.leave.group.on.close",
    "internal.termination.signal",
    "internal.throw.on.fetch.stable.offset.unsupported",
    "key.deserializer",
    "key.serializer",
    "log.connection.close",
    "log.queue",
    "log.thread.name",
    "log_cb",
    "log_level",
    "max.poll.records",
    "message.copy.max.bytes",
    "metadata.cluster.check.enable",
    "metadata.max.idle.ms",
    "metadata.recovery.rebootstrap.trigger.ms",
    "metadata.recovery.strategy",
    "metric.reporters",
    "metrics.num.samples",
    "metrics.recording.level",
    "metrics.sample.window.ms",
    "msg_order_cmp",
    "oauthbearer_token_refresh_cb",
    "offset.store.method",
    "offset.store.path",
    "offset.store.sync.interval.ms",
    "offset_commit_cb",
    "opaque",
    "open_cb",
    "partitioner",
    "partitioner.adaptive.partitioning.enable",
    "partitioner.availability.timeout.ms",
    "partitioner.class",
    "partitioner.ignore.keys",
    "partitioner.rack.aware",
    "partitioner_cb",
    "plugin.library.paths",
    "produce.offset.report",
    "queue.buffering.backpressure.threshold",
    "queued.min.messages",
    "queuing.strategy",
    "rebalance_cb",
    "receive.buffer.bytes",
    "reconnect.backoff.jitter.ms",
    "resolve_cb",
    "sasl.client.callback.handler.class",
    "sasl.jaas.config",
    "sasl.kerberos.keytab",
    "sasl.kerberos.kinit.cmd",
    "sasl.kerberos.min.time.before.relogin",
    "sasl.kerberos.principal",
    "sasl.kerberos.service.name",
    "sasl.kerberos.ticket.renew.jitter",
    "sasl.kerberos.ticket.renew.window.factor",
    "sasl.login.callback.handler.class",
    "sasl.login.class",
    "sasl.login.connect.timeout.ms",
    "sasl.login.read.timeout.ms",
    "sasl.login.refresh.buffer.seconds",
    "sasl.login.refresh.min.period.seconds",
    "sasl.login.refresh.window.factor",
    "sasl.login.refresh.window.jitter",
    "sasl.login.retry.backoff.max.ms",
    "sasl.login.retry.backoff.ms",
    "sasl.oauthbearer.allow.unverified.audience",
    "sasl.oauthbearer.allow.unverified.issuer",
    "sasl.oauthbearer.assertion.algorithm",
    "sasl.oauthbearer.assertion.claim.aud",
    "sasl.oauthbearer.assertion.claim.exp.seconds",
    "sasl.oauthbearer.assertion.claim.iss",
    "sasl.oauthbearer.assertion.claim.jti.include",
    "sasl.oauthbearer.assertion.claim.nbf.seconds",
    "sasl.oauthbearer.assertion.claim.sub",
    "sasl.oauthbearer.assertion.file",
    "sasl.oauthbearer.assertion.jwt.template.file",
    "sasl.oauthbearer.assertion.private.key.file",
    "sasl.oauthbearer.assertion.private.key.passphrase",
    "sasl.oauthbearer.assertion.private.key.pem",
    "sasl.oauthbearer.assertion.template.file",
    "sasl.oauthbearer.client.credentials.client.id",
    "sasl.oauthbearer.client.credentials.client.secret",
    "sasl.oauthbearer.client.id",
    "sasl.oauthbearer.client.secret",
    "sasl.oauthbearer.clock.skew.seconds",
    "sasl.oauthbearer.config",
    "sasl.oauthbearer.expected.audience",
    "sasl.oauthbearer.expected.issuer",
    "sasl.oauthbearer.extensions",
    "sasl.oauthbearer.grant.type",
    "sasl.oauthbearer.header.urlencode",
    "sasl.oauthbearer.jwks.endpoint.refresh.ms",
    "sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms",
    "sasl.oauthbearer.jwks.endpoint.retry.backoff.ms",
    "sasl.oauthbearer.jwks.endpoint.url",
    "sasl.oauthbearer.jwt.retriever.class",
    "sasl.oauthbearer.jwt.validator.class",
    "sasl.oauthbearer.metadata.authentication.type",
    "sasl.oauthbearer.scope",
    "sasl.oauthbearer.scope.claim.name",
    "sasl.oauthbearer.sub.claim.name",
    "sasl.oauthbearer.token.endpoint.url",
    "security.providers",
    "send.buffer.bytes",
    "share.acknowledgement.mode",
    "share.acquire.mode",
    "socket.blocking.max.ms",
    "socket.connection.setup.timeout.max.ms",
    "socket.keepalive.enable",
    "socket.max.fails",
    "socket.nagle.disable",
    "socket.receive.buffer.bytes",
    "socket.send.buffer.bytes",
    "socket.timeout.ms",
    "socket_cb",
    "ssl.ca.certificate.stores",
    "ssl.certificate.verify_cb",
    "ssl.cipher.suites",
    "ssl.crl.location",
    "ssl.curves.list",
    "ssl.enabled.protocols",
    "ssl.engine.factory.class",
    "ssl.engine.id",
    "ssl.engine.location",
    "ssl.keymanager.algorithm",
    "ssl.keystore.certificate.chain",
    "ssl.keystore.key",
    "ssl.keystore.location",
    "ssl.keystore.password",
    "ssl.keystore.type",
    "ssl.protocol",
    "ssl.provider",
    "ssl.providers",
    "ssl.secure.random.implementation",
    "ssl.sigalgs.list",
    "ssl.trustmanager.algorithm",
    "ssl.truststore.certificates",
    "ssl.truststore.location",
    "ssl.truststore.password",
    "ssl.truststore.type",
    "ssl_ca",
    "ssl_certificate",
    "ssl_engine_callback_data",
    "ssl_key",
    "statistics.interval.ms",
    "stats_cb",
    "sticky.partitioning.linger.ms",
    "throttle_cb",
    "topic.blacklist",
    "topic.metadata.propagation.max.ms",
    "topic.metadata.refresh.fast.cnt",
    "topic.metadata.refresh.fast.interval.ms",
    "topic.metadata.refresh.interval.ms",
    "topic.metadata.refresh.sparse",
    "transaction.two.phase.commit.enable",
    "value.deserializer",
    "value.serializer",
];

/// Whether `key` is one of [`FOREIGN_KEYS`].
pub fn is_foreign_key(key: &str) -> bool {
    FOREIGN_KEYS.binary_search(&key).is_ok()
}

/// The known key (ottla's own or a foreign one) closest to `key` by edit distance, when it
/// is close: at most 3 edits, and fewer than half of `key`'s length.
pub fn closest_key(key: &str) -> Option<&'static str> {
    let limit = 3.min(key.len().saturating_sub(1) / 2);
    CLIENT_KEYS
        .iter()
        .chain(SECURITY_KEYS)
        .chain(PRODUCER_KEYS)
        .chain(CONSUMER_KEYS)
        .chain(FETCH_KEYS)
        .chain(FOREIGN_KEYS)
        .map(|k| (strsim::damerau_levenshtein(key, k), *k))
        .filter(|&(d, _)| d > 0 && d <= limit)
        .min()
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ConfigError;
    use crate::consumer::ConsumerConfig;
    use crate::{ClientConfig, ProducerConfig};

    #[test]
    fn foreign_keys_are_sorted_and_none_is_ours() {
        assert!(
            FOREIGN_KEYS.windows(2).all(|w| w[0] < w[1]),
            "sorted, no repeats"
        );
        let ours = CLIENT_KEYS
            .iter()
            .chain(SECURITY_KEYS)
            .chain(PRODUCER_KEYS)
            .chain(CONSUMER_KEYS)
            .chain(FETCH_KEYS);
        for k in ours {
            assert!(!is_foreign_key(k), "{k} is ottla's own");
        }
    }

    #[test]
    fn mistyped_keys_get_the_closest_known_one() {
        for (typo, want) in [
            ("group.idd", Some("group.id")),
            ("bootstrap.server", Some("bootstrap.servers")),
            ("enable.autocommit", Some("enable.auto.commit")),
            ("sasl.mechanisms ", Some("sasl.mechanisms")),
            ("linger.msec", Some("linger.ms")),
            ("xyzzy", None),
            ("acks", None),
        ] {
            assert_eq!(closest_key(typo), want, "{typo}");
        }
        let e = ConfigError::unknown_key("group.idd");
        assert_eq!(
            e.to_string(),
            r#"unknown configuration property "group.idd" (did you mean "group.id"?)"#
        );
    }

    /// A config pasted whole: another role's keys and the keys only the Java client or
    /// librdkafka use are accepted and listed; a typo still fails.
    #[test]
    fn pasted_configs_are_accepted_and_their_unused_keys_named() {
        let mut c = ConsumerConfig::builder();
        c.bootstrap_servers("127.0.0.1:9092");
        for (k, v) in [
            ("group.id", "billing"),
            ("linger.ms", "5"),
            ("socket.keepalive.enable", "true"),
            ("api.version.request", "true"),
            ("fetch.error.backoff.ms", "100"),
        ] {
            c.set(k, v).unwrap();
        }
        let built = c.build().unwrap();
        assert_eq!(
            built.client.ignored_keys,
            [
                "linger.ms",
                "socket.keepalive.enable",
                "api.version.request",
                "fetch.error.backoff.ms"
            ]
        );
        let mut p = ProducerConfig::builder();
        p.bootstrap_servers("127.0.0.1:9092");
        p.set("auto.offset.reset", "earliest").unwrap();
        p.set("sticky.partitioning.linger.ms", "10").unwrap();
        assert_eq!(
            p.build().unwrap().client.ignored_keys,
            ["auto.offset.reset", "sticky.partitioning.linger.ms"]
        );
        let mut client = ClientConfig::builder();
        let e = client.set("group.idd", "x").unwrap_err();
        assert!(
            matches!(&e, ConfigError::UnknownKey { suggestion: Some(s), .. } if s == "group.id"),
            "{e}"
        );
    }
}
