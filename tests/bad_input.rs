//! Bad input from users (issue 16, point 6): every config key with a wrong value, unreadable
//! or wrong certificate and key files, a missing CA, an unreachable bootstrap list. Each
//! error names the key, file or address, and arrives within the configured timeouts.
//!
//! Every test prints its rows as `ROW|role|input|when|elapsed|message` (run with
//! `--nocapture` to collect them into the closing note's table).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ottla::basic::FETCH_KEYS;
use ottla::config::{ConfigError, CLIENT_KEYS, SECURITY_KEYS};
use ottla::consumer::{ConsumerConfig, CONSUMER_KEYS};
use ottla::processor::{ProcessorConfig, PROCESSOR_KEYS};
use ottla::producer::PRODUCER_KEYS;
use ottla::{Client, ClientConfig, Error, ProducerConfig};
use ottla_tests::hostile::HostilePeer;
use ottla_tests::{fixture, fixture_str, tls_bootstrap, unique_topic};

/// Which builder a key belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Client,
    Producer,
    Consumer,
    Processor,
}

/// Sets `pairs` on a fresh builder of `role` (bootstrap servers, and for the processor a
/// topic and a group, already set) and builds it; the error and whether `set` or `build`
/// gave it.
fn try_config(role: Role, pairs: &[(&str, &str)]) -> Result<(), (ConfigError, &'static str)> {
    let bootstrap = "127.0.0.1:9092";
    let set = |e: ConfigError| (e, "set");
    let build = |e: ConfigError| (e, "build");
    match role {
        Role::Client => {
            let mut b = ClientConfig::builder();
            b.bootstrap_servers(bootstrap);
            for (k, v) in pairs {
                b.set(k, v).map_err(set)?;
            }
            b.build().map(drop).map_err(build)
        }
        Role::Producer => {
            let mut b = ProducerConfig::builder();
            b.bootstrap_servers(bootstrap);
            for (k, v) in pairs {
                b.set(k, v).map_err(set)?;
            }
            b.build().map(drop).map_err(build)
        }
        Role::Consumer => {
            let mut b = ConsumerConfig::builder();
            b.bootstrap_servers(bootstrap);
            for (k, v) in pairs {
                b.set(k, v).map_err(set)?;
            }
            b.build().map(drop).map_err(build)
        }
        Role::Processor => {
            let mut b = ProcessorConfig::builder();
            b.bootstrap_servers(bootstrap).topics(["t"]).group_id("g");
            for (k, v) in pairs {
                b.set(k, v).map_err(set)?;
            }
            b.build().map(drop).map_err(build)
        }
    }
}

fn row(role: &str, input: &str, when: &str, elapsed: &str, message: &str) {
    println!(
        "ROW|{role}|{}|{when}|{elapsed}|{}",
        input.replace('|', "\\|"),
        message.replace('|', "\\|")
    );
}

/// A wrong value for each key: (role, key, value, the key the error names). The error names
/// the key given, except for an alias whose value is checked under its main name.
const BAD_VALUES: &[(Role, &str, &str, &str)] = &[
    // The client's keys.
    (
        Role::Client,
        "bootstrap.servers",
        "host-without-port",
        "bootstrap.servers",
    ),
    (
        Role::Client,
        "metadata.broker.list",
        "h:99999",
        "bootstrap.servers",
    ),
    (
        Role::Client,
        "request.timeout.ms",
        "abc",
        "request.timeout.ms",
    ),
    (
        Role::Client,
        "socket.connection.setup.timeout.ms",
        "-5",
        "socket.connection.setup.timeout.ms",
    ),
    (
        Role::Client,
        "metadata.max.age.ms",
        "0",
        "metadata.max.age.ms",
    ),
    (
        Role::Client,
        "reconnect.backoff.ms",
        "1.5",
        "reconnect.backoff.ms",
    ),
    (
        Role::Client,
        "reconnect.backoff.max.ms",
        "-1",
        "reconnect.backoff.max.ms",
    ),
    (
        Role::Client,
        "max.in.flight.requests.per.connection",
        "0",
        "max.in.flight.requests.per.connection",
    ),
    (Role::Client, "max.in.flight", "many", "max.in.flight"),
    (
        Role::Client,
        "receive.message.max.bytes",
        "10",
        "receive.message.max.bytes",
    ),
    // Security.
    (
        Role::Client,
        "security.protocol",
        "TLS",
        "security.protocol",
    ),
    (Role::Client, "sasl.mechanism", "GSSAPI", "sasl.mechanism"),
    (
        Role::Client,
        "sasl.mechanisms",
        "KERBEROS",
        "sasl.mechanisms",
    ),
    (
        Role::Client,
        "ssl.endpoint.identification.algorithm",
        "dns",
        "ssl.endpoint.identification.algorithm",
    ),
    (
        Role::Client,
        "sasl.oauthbearer.method",
        "oidc",
        "sasl.oauthbearer.method",
    ),
    (
        Role::Client,
        "sasl.scram.secret.id",
        " ",
        "sasl.scram.secret.id",
    ),
    (Role::Client, "aws.region", "US East", "aws.region"),
    (Role::Client, "aws.profile", "", "aws.profile"),
    (Role::Client, "aws.role.arn", " ", "aws.role.arn"),
    (
        Role::Client,
        "aws.role.session.name",
        "has space",
        "aws.role.session.name",
    ),
    (
        Role::Client,
        "aws.role.external.id",
        "",
        "aws.role.external.id",
    ),
    (Role::Client, "aws.sts.region", "-eu-", "aws.sts.region"),
    (
        Role::Client,
        "aws.msk.host.suffix",
        "",
        "aws.msk.host.suffix",
    ),
    // The producer's keys.
    (Role::Producer, "acks", "2", "acks"),
    (
        Role::Producer,
        "request.required.acks",
        "maybe",
        "request.required.acks",
    ),
    (
        Role::Producer,
        "enable.idempotence",
        "maybe",
        "enable.idempotence",
    ),
    (Role::Producer, "transactional.id", " ", "transactional.id"),
    (
        Role::Producer,
        "transaction.timeout.ms",
        "abc",
        "transaction.timeout.ms",
    ),
    (Role::Producer, "linger.ms", "-1", "linger.ms"),
    (
        Role::Producer,
        "queue.buffering.max.ms",
        "900001",
        "queue.buffering.max.ms",
    ),
    (Role::Producer, "batch.size", "0", "batch.size"),
    (
        Role::Producer,
        "batch.num.messages",
        "abc",
        "batch.num.messages",
    ),
    (Role::Producer, "buffer.memory", "0", "buffer.memory"),
    (
        Role::Producer,
        "queue.buffering.max.kbytes",
        "lots",
        "queue.buffering.max.kbytes",
    ),
    (
        Role::Producer,
        "queue.buffering.max.messages",
        "0",
        "queue.buffering.max.messages",
    ),
    (Role::Producer, "max.block.ms", "forever", "max.block.ms"),
    (
        Role::Producer,
        "compression.type",
        "brotli",
        "compression.type",
    ),
    (
        Role::Producer,
        "compression.codec",
        "zip",
        "compression.codec",
    ),
    (
        Role::Producer,
        "compression.level",
        "high",
        "compression.level",
    ),
    (
        Role::Producer,
        "message.max.bytes",
        "10",
        "message.max.bytes",
    ),
    (
        Role::Producer,
        "max.request.size",
        "abc",
        "max.request.size",
    ),
    (Role::Producer, "retries", "-2", "retries"),
    (
        Role::Producer,
        "message.send.max.retries",
        "many",
        "message.send.max.retries",
    ),
    (Role::Producer, "retry.backoff.ms", "0", "retry.backoff.ms"),
    (
        Role::Producer,
        "retry.backoff.max.ms",
        "abc",
        "retry.backoff.max.ms",
    ),
    (
        Role::Producer,
        "delivery.timeout.ms",
        "0",
        "delivery.timeout.ms",
    ),
    (
        Role::Producer,
        "message.timeout.ms",
        "abc",
        "message.timeout.ms",
    ),
    // The consumer's keys.
    (Role::Consumer, "group.id", " ", "group.id"),
    (
        Role::Consumer,
        "group.protocol",
        "streams",
        "group.protocol",
    ),
    (
        Role::Consumer,
        "group.remote.assignor",
        "",
        "group.remote.assignor",
    ),
    (Role::Consumer, "group.instance.id", "", "group.instance.id"),
    (
        Role::Consumer,
        "auto.offset.reset",
        "sometimes",
        "auto.offset.reset",
    ),
    (
        Role::Consumer,
        "enable.auto.commit",
        "maybe",
        "enable.auto.commit",
    ),
    (
        Role::Consumer,
        "auto.commit.interval.ms",
        "abc",
        "auto.commit.interval.ms",
    ),
    (
        Role::Consumer,
        "session.timeout.ms",
        "0",
        "session.timeout.ms",
    ),
    (
        Role::Consumer,
        "heartbeat.interval.ms",
        "-1",
        "heartbeat.interval.ms",
    ),
    (
        Role::Consumer,
        "max.poll.interval.ms",
        "abc",
        "max.poll.interval.ms",
    ),
    (
        Role::Consumer,
        "partition.assignment.strategy",
        "range,sticky-ish",
        "partition.assignment.strategy",
    ),
    (
        Role::Consumer,
        "isolation.level",
        "dirty",
        "isolation.level",
    ),
    (Role::Consumer, "fetch.min.bytes", "-1", "fetch.min.bytes"),
    (Role::Consumer, "fetch.max.bytes", "0", "fetch.max.bytes"),
    (
        Role::Consumer,
        "fetch.max.wait.ms",
        "300001",
        "fetch.max.wait.ms",
    ),
    (
        Role::Consumer,
        "fetch.wait.max.ms",
        "abc",
        "fetch.wait.max.ms",
    ),
    (
        Role::Consumer,
        "max.partition.fetch.bytes",
        "0",
        "max.partition.fetch.bytes",
    ),
    (Role::Consumer, "client.rack", " ", "client.rack"),
    (Role::Consumer, "retry.backoff.ms", "0", "retry.backoff.ms"),
    (
        Role::Consumer,
        "retry.backoff.max.ms",
        "abc",
        "retry.backoff.max.ms",
    ),
    (
        Role::Consumer,
        "enable.partition.eof",
        "maybe",
        "enable.partition.eof",
    ),
    (
        Role::Consumer,
        "default.api.timeout.ms",
        "abc",
        "default.api.timeout.ms",
    ),
    (
        Role::Consumer,
        "queued.max.messages.kbytes",
        "0",
        "queued.max.messages.kbytes",
    ),
    // The processor's keys.
    (Role::Processor, "batch.size", "0", "batch.size"),
    (
        Role::Processor,
        "batch.window.ms",
        "300001",
        "batch.window.ms",
    ),
    (Role::Processor, "batch.max.bytes", "0", "batch.max.bytes"),
    (Role::Processor, "max.concurrency", "0", "max.concurrency"),
    (Role::Processor, "max.retries", "-2", "max.retries"),
    (
        Role::Processor,
        "max.record.age.ms",
        "abc",
        "max.record.age.ms",
    ),
    (
        Role::Processor,
        "bisect.on.error",
        "maybe",
        "bisect.on.error",
    ),
    (
        Role::Processor,
        "report.batch.item.failures",
        "maybe",
        "report.batch.item.failures",
    ),
    (
        Role::Processor,
        "starting.position",
        "oldest",
        "starting.position",
    ),
    (
        Role::Processor,
        "starting.position.timestamp.ms",
        "-5",
        "starting.position.timestamp.ms",
    ),
    (
        Role::Processor,
        "failure.destination",
        "sqs://q",
        "failure.destination",
    ),
    (Role::Processor, "event.source", "kinesis", "event.source"),
];

/// Keys whose every string is a valid value, and why.
const ANY_STRING: &[(Role, &str, &str)] = &[
    (
        Role::Client,
        "client.id",
        "free text, sent to the broker as is",
    ),
    (
        Role::Client,
        "sasl.username",
        "free text; an empty one is refused at build when SASL is on (Missing sasl.username)",
    ),
    (Role::Client, "sasl.password", "free text, a secret"),
    (
        Role::Client,
        "ssl.key.password",
        "free text, a secret; a wrong one is refused at connect (tls_files test)",
    ),
    (
        Role::Processor,
        "event.source.arn",
        "any ARN text, passed on in the events; without event.source=aws:kafka it is a conflict",
    ),
];

/// Keys naming files or PEM text: any string is taken at set and build; the content is read
/// and checked at `Client::connect`, before any broker is contacted (the `tls_files` test).
const CHECKED_AT_CONNECT: &[&str] = &[
    "ssl.ca.location",
    "ssl.ca.pem",
    "ssl.certificate.location",
    "ssl.certificate.pem",
    "ssl.key.location",
    "ssl.key.pem",
];

/// Every key of every exported key list has a case here: a new key without one fails.
#[test]
fn every_key_with_a_wrong_value_is_refused_and_named() {
    let lists: [(Role, &[&str]); 6] = [
        (Role::Client, CLIENT_KEYS),
        (Role::Client, SECURITY_KEYS),
        (Role::Producer, PRODUCER_KEYS),
        (Role::Consumer, CONSUMER_KEYS),
        (Role::Consumer, FETCH_KEYS),
        (Role::Processor, PROCESSOR_KEYS),
    ];
    let mut missing = Vec::new();
    for (role, keys) in lists {
        for key in keys {
            if let Some((_, _, value, names)) = BAD_VALUES
                .iter()
                .find(|(r, k, _, _)| *r == role && k == key)
            {
                let (e, when) = match try_config(role, &[(key, value)]) {
                    Err(found) => found,
                    Ok(()) => panic!("{role:?}: {key}={value:?} was accepted"),
                };
                let text = e.to_string();
                assert_eq!(e.key(), Some(*names), "{key}={value:?}: {text}");
                assert!(text.contains(names), "{key}: {text}");
                assert!(text.contains(&format!("{value:?}")), "{key}: {text}");
                match &e {
                    ConfigError::InvalidValue { expected, .. } => {
                        assert!(!expected.is_empty(), "{key}: {text}")
                    }
                    other => panic!("{key}: not an InvalidValue: {other:?}"),
                }
                row(
                    &format!("{role:?}"),
                    &format!("{key}={value}"),
                    when,
                    "",
                    &text,
                );
            } else if let Some((_, _, why)) =
                ANY_STRING.iter().find(|(r, k, _)| *r == role && k == key)
            {
                // An ARN goes with event.source=aws:kafka (without it: a conflict, below).
                let pairs: &[(&str, &str)] = if *key == "event.source.arn" {
                    &[("event.source", "aws:kafka"), (key, "any text ✓")]
                } else {
                    &[(key, "any text ✓")]
                };
                try_config(role, pairs).unwrap_or_else(|(e, _)| panic!("{key}: {e}"));
                row(
                    &format!("{role:?}"),
                    &format!("{key}=<any>"),
                    "-",
                    "",
                    &format!("accepted: {why}"),
                );
            } else if !CHECKED_AT_CONNECT.contains(key) {
                missing.push(format!("{role:?} {key}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "keys without a bad-value case: {missing:?}"
    );
}

#[test]
fn unknown_keys_are_named_with_a_suggestion() {
    for role in [
        Role::Client,
        Role::Producer,
        Role::Consumer,
        Role::Processor,
    ] {
        for (key, suggestion) in [
            ("no.such.key", None),
            ("linger.msec", Some("linger.ms")),
            ("bootstrap.server", Some("bootstrap.servers")),
        ] {
            let (e, when) = try_config(role, &[(key, "1")]).unwrap_err();
            assert_eq!(when, "set");
            assert_eq!(e.key(), Some(key));
            let text = e.to_string();
            assert!(text.contains(key), "{text}");
            match (&e, suggestion) {
                (ConfigError::UnknownKey { suggestion: s, .. }, want) => {
                    assert_eq!(s.as_deref(), want, "{text}")
                }
                (other, _) => panic!("{other:?}"),
            }
            if role == Role::Client {
                row("any", &format!("{key}=1"), when, "", &text);
            }
        }
    }
    let (e, when) = {
        let b = ClientConfig::builder();
        (b.build().unwrap_err(), "build")
    };
    assert_eq!(e.key(), Some("bootstrap.servers"));
    row("Client", "(no bootstrap.servers)", when, "", &e.to_string());
}

/// Settings, the key the error names, and the other key (or word) its message names.
type Conflict = (
    Role,
    &'static [(&'static str, &'static str)],
    &'static str,
    &'static str,
);

/// Settings that are each fine but not together: the error names both keys.
#[test]
fn conflicting_keys_name_both() {
    let cases: &[Conflict] = &[
        (
            Role::Producer,
            &[("enable.idempotence", "true"), ("acks", "1")],
            "acks",
            "enable.idempotence",
        ),
        (
            Role::Producer,
            &[
                ("enable.idempotence", "true"),
                ("max.in.flight.requests.per.connection", "6"),
            ],
            "max.in.flight.requests.per.connection",
            "enable.idempotence",
        ),
        (
            Role::Producer,
            &[("enable.idempotence", "true"), ("retries", "0")],
            "retries",
            "enable.idempotence",
        ),
        (
            Role::Producer,
            &[("transactional.id", "t"), ("enable.idempotence", "false")],
            "enable.idempotence",
            "transactional.id",
        ),
        (
            Role::Producer,
            &[("transactional.id", "t"), ("acks", "1")],
            "acks",
            "enable.idempotence",
        ),
        (
            Role::Producer,
            &[("batch.size", "2000000")],
            "batch.size",
            "message.max.bytes",
        ),
        (
            Role::Producer,
            &[("retry.backoff.ms", "500"), ("retry.backoff.max.ms", "100")],
            "retry.backoff.max.ms",
            "retry.backoff.ms",
        ),
        (
            Role::Producer,
            &[("delivery.timeout.ms", "1000")],
            "delivery.timeout.ms",
            "request.timeout.ms",
        ),
        (
            Role::Producer,
            &[("compression.type", "gzip"), ("compression.level", "42")],
            "compression.level",
            "gzip",
        ),
        (
            Role::Client,
            &[
                ("reconnect.backoff.ms", "500"),
                ("reconnect.backoff.max.ms", "100"),
            ],
            "reconnect.backoff.max.ms",
            "reconnect.backoff.ms",
        ),
        (
            Role::Client,
            &[("ssl.ca.location", "/ca.pem"), ("ssl.ca.pem", "x")],
            "ssl.ca.pem",
            "ssl.ca.location",
        ),
        (
            Role::Client,
            &[("ssl.certificate.location", "/c.pem")],
            "ssl.key.location",
            "ssl.key.location",
        ),
        (
            Role::Client,
            &[("aws.role.external.id", "x")],
            "aws.role.external.id",
            "aws.role.arn",
        ),
        (
            Role::Client,
            &[("security.protocol", "SASL_SSL")],
            "sasl.mechanism",
            "security.protocol",
        ),
        (
            Role::Client,
            &[
                ("security.protocol", "SASL_SSL"),
                ("sasl.mechanism", "PLAIN"),
            ],
            "sasl.username",
            "sasl.mechanism",
        ),
        (
            Role::Client,
            &[
                ("security.protocol", "SASL_SSL"),
                ("sasl.mechanism", "OAUTHBEARER"),
            ],
            "sasl.mechanism",
            "sasl.oauthbearer.method",
        ),
        (
            Role::Consumer,
            &[
                ("session.timeout.ms", "3000"),
                ("heartbeat.interval.ms", "3000"),
            ],
            "heartbeat.interval.ms",
            "session.timeout.ms",
        ),
        (
            Role::Consumer,
            &[
                ("group.id", "g"),
                ("group.protocol", "consumer"),
                ("session.timeout.ms", "3000"),
            ],
            "session.timeout.ms",
            "group.protocol",
        ),
        (
            Role::Consumer,
            &[("group.id", "g"), ("group.remote.assignor", "uniform")],
            "group.remote.assignor",
            "group.protocol",
        ),
        (
            Role::Consumer,
            &[("enable.auto.commit", "true")],
            "enable.auto.commit",
            "group.id",
        ),
        (
            Role::Consumer,
            &[("group.instance.id", "pod-1")],
            "group.instance.id",
            "group.id",
        ),
        (
            Role::Consumer,
            &[("retry.backoff.ms", "500"), ("retry.backoff.max.ms", "100")],
            "retry.backoff.max.ms",
            "retry.backoff.ms",
        ),
        (
            Role::Processor,
            &[("starting.position.timestamp.ms", "1700000000000")],
            "starting.position.timestamp.ms",
            "starting.position",
        ),
        (
            Role::Processor,
            &[("starting.position", "AT_TIMESTAMP")],
            "starting.position.timestamp.ms",
            "starting.position",
        ),
        (
            Role::Processor,
            &[("event.source.arn", "arn:x")],
            "event.source.arn",
            "event.source",
        ),
        (
            Role::Processor,
            &[("enable.auto.commit", "true")],
            "enable.auto.commit",
            "processor",
        ),
        (
            Role::Processor,
            &[("auto.offset.reset", "earliest")],
            "auto.offset.reset",
            "starting.position",
        ),
    ];
    for (role, pairs, key, other) in cases {
        let (e, when) = match try_config(*role, pairs) {
            Err(found) => found,
            Ok(()) => panic!("{role:?} {pairs:?} was accepted"),
        };
        let text = e.to_string();
        assert_eq!(e.key(), Some(*key), "{pairs:?}: {text}");
        assert!(
            text.contains(key) && text.contains(other),
            "{pairs:?}: {text}"
        );
        let input: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        row(&format!("{role:?}"), &input.join(" "), when, "", &text);
    }
    // The value the user wrote, not an internal name.
    let (e, _) = try_config(
        Role::Producer,
        &[("enable.idempotence", "true"), ("acks", "1")],
    )
    .unwrap_err();
    assert!(e.to_string().contains("\"1\""), "{e}");
}

/// The error of a connect that must fail.
fn fails(result: Result<Client, Error>, what: &str) -> Error {
    match result {
        Ok(_) => panic!("{what}"),
        Err(e) => e,
    }
}

/// A directory of files for one test, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(unique_topic(name));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn file(&self, name: &str, content: &[u8]) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, content).unwrap();
        path.to_string_lossy().into_owned()
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).to_string_lossy().into_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A port nobody listens on.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn short_timeouts(b: &mut ottla::ClientConfigBuilder, bootstrap: &str) {
    b.bootstrap_servers(bootstrap);
    b.set("socket.connection.setup.timeout.ms", "500").unwrap();
    b.set("request.timeout.ms", "500").unwrap();
    b.set("reconnect.backoff.ms", "10").unwrap();
    b.set("reconnect.backoff.max.ms", "20").unwrap();
}

/// Connects with `security.protocol=SSL` and `props`; the error and how long it took.
async fn connect_tls(props: &[(&str, &str)]) -> (Error, Duration) {
    let mut b = ClientConfig::builder();
    short_timeouts(&mut b, &format!("127.0.0.1:{}", closed_port()));
    b.set("security.protocol", "SSL").unwrap();
    for (k, v) in props {
        b.set(k, v).unwrap();
    }
    let config = b
        .build()
        .expect("file settings are checked at connect, not build");
    let started = Instant::now();
    let e = fails(Client::connect(config).await, "connect must fail");
    (e, started.elapsed())
}

/// What is wrong, the settings, the path the error names, and what it says of it.
type FileCase<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str, &'a str);

/// Certificate and key files: what the crate supports is PEM CA files, PEM client chains,
/// and keys in PKCS#8, PKCS#1 (RSA), SEC1 (EC) or encrypted PKCS#8 (PBES2). Every file is
/// read at `Client::connect`, before any broker is contacted: the error is
/// `Error::Tls` naming the setting and the path.
#[tokio::test]
async fn tls_files_name_the_file_and_what_is_wrong() {
    let dir = TempDir::new("bad-input-tls");
    let ca = fixture_str("ca.pem");
    let cert = fixture_str("client.pem");
    let key = fixture_str("client.key.pkcs8.pem");
    let empty = dir.file("empty-ca.pem", b"");
    let garbage = dir.file("garbage.pem", b"this is not a certificate\n\x00\x01\x02");
    let client_text = std::fs::read_to_string(fixture("client.pem")).unwrap();
    let truncated = dir.file(
        "truncated.pem",
        &client_text.as_bytes()[..client_text.len() / 2],
    );
    let missing = dir.path("no-such-file.pem");
    let encrypted = fixture_str("client.key.encrypted.pem");
    let pbe = fixture_str("client.key.pbe-sha1-3des.pem");
    let ec_key = fixture_str("client-ec.key.pkcs8.pem");
    let cases: Vec<FileCase> = vec![
        (
            "CA file missing",
            vec![("ssl.ca.location", &missing)],
            &missing,
            "ssl.ca.location",
        ),
        (
            "CA file empty",
            vec![("ssl.ca.location", &empty)],
            &empty,
            "no PEM certificate",
        ),
        (
            "CA file not PEM",
            vec![("ssl.ca.location", &garbage)],
            &garbage,
            "no PEM certificate",
        ),
        (
            "CA file a key, not a certificate",
            vec![("ssl.ca.location", &key)],
            &key,
            "no PEM certificate",
        ),
        (
            "certificate missing",
            vec![
                ("ssl.ca.location", &ca),
                ("ssl.certificate.location", &missing),
                ("ssl.key.location", &key),
            ],
            &missing,
            "ssl.certificate.location",
        ),
        (
            "certificate truncated PEM",
            vec![
                ("ssl.ca.location", &ca),
                ("ssl.certificate.location", &truncated),
                ("ssl.key.location", &key),
            ],
            &truncated,
            "not valid PEM",
        ),
        (
            "certificate garbage",
            vec![
                ("ssl.ca.location", &ca),
                ("ssl.certificate.location", &garbage),
                ("ssl.key.location", &key),
            ],
            &garbage,
            "ssl.certificate.location",
        ),
        (
            "key missing",
            vec![
                ("ssl.ca.location", &ca),
                ("ssl.certificate.location", &cert),
                ("ssl.key.location", &missing),
            ],
            &missing,
            "ssl.key.location",
        ),
        (
            "key garbage",
            vec![
                ("ssl.ca.location", &ca),
                ("ssl.certificate.location", &cert),
                ("ssl.key.location", &garbage),
            ],
            &garbage,
            "no private key",
        ),
        (
            "key file holds a certificate",
            vec![
                ("ssl.ca.location", &ca),
                ("ssl.certificate.location", &cert),
                ("ssl.key.location", &ca),
            ],
            &ca,
            "no private key",
        ),
        (
            "encrypted key, no password",
            vec![
                ("ssl.ca.location", &ca),
                ("ssl.certificate.location", &cert),
                ("ssl.key.location", &encrypted),
            ],
            &encrypted,
            "ssl.key.password",
        ),
        (
            "encrypted key, wrong password",
            vec![
                ("ssl.ca.location", &ca),
                ("ssl.certificate.location", &cert),
                ("ssl.key.location", &encrypted),
                ("ssl.key.password", "wrong"),
            ],
            &encrypted,
            "ssl.key.password",
        ),
        (
            "key with PKCS#12-style encryption (unsupported)",
            vec![
                ("ssl.ca.location", &ca),
                ("ssl.certificate.location", &cert),
                ("ssl.key.location", &pbe),
                ("ssl.key.password", "ottla-test"),
            ],
            &pbe,
            "unsupported encryption",
        ),
        (
            "certificate and key do not match",
            vec![
                ("ssl.ca.location", &ca),
                ("ssl.certificate.location", &cert),
                ("ssl.key.location", &ec_key),
            ],
            &ec_key,
            "does not match",
        ),
    ];
    for (what, props, path, needle) in &cases {
        let (e, elapsed) = connect_tls(props).await;
        let text = e.to_string();
        assert!(matches!(e, Error::Tls { .. }), "{what}: {text}");
        assert!(
            text.contains(path) && text.contains(needle),
            "{what}: {text}"
        );
        assert!(elapsed < Duration::from_secs(1), "{what}: {elapsed:?}");
        let shown: Vec<String> = props
            .iter()
            .map(|(k, v)| format!("{k}={}", short(v)))
            .collect();
        row(
            "Client (SSL)",
            &format!("{what}: {}", shown.join(" ")),
            "connect",
            &format!("{elapsed:.0?}"),
            &text,
        );
    }

    // Unreadable: chmod 000. Root reads it anyway, so the check is skipped there.
    let unreadable = dir.file("unreadable-ca.pem", client_text.as_bytes());
    set_mode(Path::new(&unreadable), 0o000);
    if std::fs::File::open(&unreadable).is_ok() {
        println!("skipped: chmod 000 does not stop this user (root) from reading {unreadable}");
        row(
            "Client (SSL)",
            "CA file chmod 000",
            "-",
            "",
            "skipped: running as root, which reads it anyway",
        );
    } else {
        let (e, elapsed) = connect_tls(&[("ssl.ca.location", &unreadable)]).await;
        let text = e.to_string();
        assert!(
            text.contains(&unreadable) && text.contains("ssl.ca.location"),
            "{text}"
        );
        row(
            "Client (SSL)",
            "CA file chmod 000",
            "connect",
            &format!("{elapsed:.0?}"),
            &text,
        );
    }
    set_mode(Path::new(&unreadable), 0o600);
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A path's file name, for the table.
fn short(v: &str) -> String {
    if !v.contains('/') {
        return v.to_owned();
    }
    Path::new(v)
        .file_name()
        .map_or_else(|| v.to_owned(), |n| format!(".../{}", n.to_string_lossy()))
}

/// `ssl.ca.location` unset: the system CAs do not know the test CA, so the broker's
/// certificate is refused as from an unknown issuer, naming the broker.
#[tokio::test]
async fn missing_ca_is_an_unknown_issuer_naming_the_broker() {
    let peer = HostilePeer::start_tls().await;
    let mut targets = vec![("local TLS listener (test CA)", peer.bootstrap())];
    if let Some(b) = tls_bootstrap() {
        targets.push(("OTTLA_TLS_BOOTSTRAP broker", b));
    }
    for (what, bootstrap) in targets {
        let mut b = ClientConfig::builder();
        short_timeouts(&mut b, &bootstrap);
        b.set("socket.connection.setup.timeout.ms", "2000").unwrap();
        b.set("security.protocol", "SSL").unwrap();
        let started = Instant::now();
        let e = fails(Client::connect(b.build().unwrap()).await, "must fail");
        let elapsed = started.elapsed();
        let text = e.to_string();
        match &e {
            // A machine without a CA store says so, and what to set.
            Error::Tls { .. } => assert!(text.contains("ssl.ca.location"), "{text}"),
            _ => {
                let first = bootstrap.split(',').next().unwrap();
                assert!(text.contains(first), "{what}: {text}");
                assert!(text.to_lowercase().contains("issuer"), "{what}: {text}");
            }
        }
        assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
        row(
            "Client (SSL)",
            &format!("no ssl.ca.location, {what}"),
            "connect",
            &format!("{elapsed:.0?}"),
            &text,
        );
    }
}

/// A listener that accepts connections and never says a word.
async fn silent_listener() -> (String, tokio::task::JoinHandle<()>) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = l.accept().await {
            held.push(s);
        }
    });
    (addr, task)
}

/// Every bootstrap address unreachable: the error lists each address and why, within the
/// timeouts. A refused or unresolvable address fails at once; a silent one costs
/// `socket.connection.setup.timeout.ms` (TCP and TLS) plus `request.timeout.ms` (its
/// ApiVersions answer) at most. Timeouts here: 500 ms each.
#[tokio::test]
async fn unreachable_bootstrap_lists_every_address_in_time() {
    let setup = Duration::from_millis(500);
    let request = Duration::from_millis(500);
    let slack = Duration::from_secs(1);
    let (silent, _task) = silent_listener().await;
    let refused_a = format!("127.0.0.1:{}", closed_port());
    let refused_b = format!("127.0.0.1:{}", closed_port());
    let unresolvable = "no-such-host.invalid:9092".to_owned();
    let cases: Vec<(&str, Vec<String>, Vec<&str>)> = vec![
        (
            "all refusing",
            vec![refused_a.clone(), refused_b.clone()],
            vec!["refused", "refused"],
        ),
        (
            "unresolvable host",
            vec![unresolvable.clone()],
            vec!["resolve"],
        ),
        ("silent listener", vec![silent.clone()], vec!["timed out"]),
        (
            "refused, unresolvable, silent",
            vec![refused_a.clone(), unresolvable.clone(), silent.clone()],
            vec!["refused", "resolve", "timed out"],
        ),
    ];
    for (what, addrs, reasons) in cases {
        let mut b = ClientConfig::builder();
        short_timeouts(&mut b, &addrs.join(","));
        let started = Instant::now();
        let e = fails(Client::connect(b.build().unwrap()).await, "must fail");
        let elapsed = started.elapsed();
        let text = e.to_string();
        let Error::Bootstrap { attempts, .. } = &e else {
            panic!("{what}: {text}");
        };
        assert_eq!(attempts.len(), addrs.len(), "{what}: {text}");
        for ((attempt, addr), reason) in attempts.iter().zip(&addrs).zip(&reasons) {
            assert!(attempt.contains(addr.as_str()), "{what}: {attempt}");
            assert!(attempt.to_lowercase().contains(reason), "{what}: {attempt}");
        }
        let bound = (setup + request) * addrs.len() as u32 + slack;
        assert!(elapsed <= bound, "{what}: {elapsed:?} > {bound:?}");
        row(
            "Client",
            &format!(
                "{what}: bootstrap.servers={} (setup 500 ms, request 500 ms)",
                addrs.join(",")
            ),
            "connect",
            &format!("{elapsed:.0?} (bound {bound:.0?})"),
            &text,
        );
    }
}
