//! Command-line arguments (kcat conventions).

use std::path::PathBuf;

use clap::{Arg, ArgAction, ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand};

/// The id of `-X` on every level of the command line.
const PROPERTY: &str = "properties";
/// The id of `-F` on every level of the command line.
const PROPERTIES_FILE: &str = "properties_files";
const PROPERTY_HELP: &str = "A client property, key=value (repeatable, before and after the \
    subcommand: all of them count, those before the subcommand first; a later one wins)";
const PROPERTIES_FILE_HELP: &str = "A client.properties file (key=value lines, # comments; \
    repeatable like -X); files are read before every -X, so -X entries override them";

// `-X` and `-F` are accepted before the subcommand and after it (on every level). They are
// not clap `global` arguments, which keep only the last level's values: `parse` collects
// every level's, in order, into `properties` and `properties_files`. (A comment, not a doc
// comment: clap shows the doc comment as `--help`.)
/// A pure-Rust Kafka client on the command line.
#[derive(Debug, Parser)]
#[command(name = "ottla", version, about, mut_subcommands = with_property_args)]
pub struct Cli {
    /// Bootstrap brokers, HOST:PORT[,HOST:PORT…] (or bootstrap.servers in -X/-F).
    #[arg(short = 'b', long = "brokers", global = true, env = "OTTLA_BROKERS")]
    pub brokers: Option<String>,
    #[arg(short = 'X', id = PROPERTY, value_name = "KEY=VALUE", help = PROPERTY_HELP)]
    pub properties: Vec<String>,
    #[arg(short = 'F', id = PROPERTIES_FILE, value_name = "FILE", help = PROPERTIES_FILE_HELP)]
    pub properties_files: Vec<PathBuf>,
    /// More logging on stderr (-v info, -vv debug; OTTLA_LOG overrides). `produce -v` also
    /// prints one delivery report per record on stderr.
    #[arg(short = 'v', long = "verbose", action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Parses the process's command line (exits with clap's message on a usage error or for
/// `--help`).
pub fn parse() -> Cli {
    try_parse_from(std::env::args_os()).unwrap_or_else(|e| e.exit())
}

/// Parses a command line; `-X` and `-F` of every level are collected in order: those before
/// the subcommand, then the subcommand's, then a nested subcommand's.
pub fn try_parse_from<I, T>(args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let matches = Cli::command().try_get_matches_from(args)?;
    let mut cli = Cli::from_arg_matches(&matches)?;
    cli.properties.clear();
    cli.properties_files.clear();
    let mut level = Some(&matches);
    while let Some(m) = level {
        collect(m, PROPERTY, &mut cli.properties);
        collect(m, PROPERTIES_FILE, &mut cli.properties_files);
        level = m.subcommand().map(|(_, sub)| sub);
    }
    Ok(cli)
}

fn collect<T: Clone + Send + Sync + 'static>(m: &ArgMatches, id: &str, into: &mut Vec<T>) {
    if let Ok(Some(values)) = m.try_get_many::<T>(id) {
        into.extend(values.cloned());
    }
}

/// Gives a subcommand (and its subcommands) `-X` and `-F` of its own.
fn with_property_args(cmd: clap::Command) -> clap::Command {
    cmd.arg(
        Arg::new(PROPERTY)
            .short('X')
            .value_name("KEY=VALUE")
            .help(PROPERTY_HELP)
            .action(ArgAction::Append),
    )
    .arg(
        Arg::new(PROPERTIES_FILE)
            .short('F')
            .value_name("FILE")
            .help(PROPERTIES_FILE_HELP)
            .value_parser(clap::value_parser!(PathBuf))
            .action(ArgAction::Append),
    )
    .mut_subcommands(with_property_args)
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show brokers, topics, partitions and leaders.
    Metadata(MetadataArgs),
    /// Create or delete topics.
    #[command(subcommand)]
    Topics(TopicsCommand),
    /// Write one record per line of standard input (or of -l FILE); -v prints a delivery
    /// report per record on stderr. With -X transactional.id=ID the whole input is one
    /// transaction: committed once every record is delivered, aborted (exit 1) on any failure.
    Produce(ProduceArgs),
    /// Print record values, one per line. -X isolation.level=read_committed (default
    /// read_uncommitted) skips records of aborted transactions and ends at open ones.
    Consume(ConsumeArgs),
    /// Check the way to the cluster step by step (DNS, TCP, TLS, SASL, metadata, and a
    /// produce/consume round trip with --topic) and say what is wrong; exit 1 on a failure.
    Doctor(DoctorArgs),
    /// Print an MSK IAM token (OAUTHBEARER) or AWS_MSK_IAM payload, signed with the AWS
    /// credential chain (environment, web identity, profiles, ECS, EC2; -X aws.* tunes it).
    MskToken(MskTokenArgs),
    /// Benchmarks: ottla side by side with a reference client on the same broker.
    #[command(subcommand)]
    Perf(PerfCommand),
    /// Consumer groups: list, describe, lag.
    #[command(subcommand)]
    Groups(GroupsCommand),
    /// Lambda-style processing: a group's records in batches, as Lambda's Kafka event, to a
    /// command (--exec, the event on stdin; exit 0 = success) or a Lambda runtime's invoke
    /// endpoint (--invoke-url); offsets committed after success. -X batch.size,
    /// batch.window.ms, max.retries, max.record.age.ms, bisect.on.error,
    /// failure.destination=kafka://TOPIC|file:///PATH, event.source, … A handler's
    /// {"batchItemFailures": [...]} answer is honoured. A summary on exit.
    Process(ProcessArgs),
    /// The cluster: its id, controller and brokers.
    Cluster,
    /// Describe or alter configs of topics, brokers and groups.
    #[command(subcommand)]
    Configs(ConfigsCommand),
    /// List, add and delete ACLs.
    #[command(subcommand)]
    Acls(AclsCommand),
    /// SCRAM users: describe, set a password, delete.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Run ottla-mock's fake cluster as local brokers on 127.0.0.1: -b/--brokers N brokers
    /// (default 1; node ids 1..=N), on ports PORT..PORT+N-1 with --port (free ports without).
    /// Prints the bootstrap servers on one line of standard output, then serves until Ctrl-C
    /// or SIGTERM. Data lives in memory only.
    MockBroker(MockBrokerArgs),
}

/// `ottla mock-broker`.
#[derive(Debug, Args)]
pub struct MockBrokerArgs {
    /// The first broker's port; broker n listens on PORT+n-1. Free ports when absent.
    #[arg(long = "port")]
    pub port: Option<u16>,
    /// A topic to create, NAME:PARTITIONS (or NAME: one partition); repeatable.
    #[arg(short = 't', long = "topic", value_name = "NAME:PARTITIONS")]
    pub topics: Vec<String>,
    /// Create a topic when a client's Metadata request names an unknown one
    /// (auto.create.topics.enable).
    #[arg(long = "auto-create-topics")]
    pub auto_create_topics: bool,
}

/// `ottla process`.
#[derive(Debug, Args)]
pub struct ProcessArgs {
    /// The consumer group (Lambda's consumer group id).
    #[arg(short = 'G', long = "group")]
    pub group: String,
    /// A topic to read (repeatable).
    #[arg(short = 't', long = "topic", required = true)]
    pub topics: Vec<String>,
    /// Where a partition without a committed offset starts: LATEST, TRIM_HORIZON or
    /// AT_TIMESTAMP (with --starting-timestamp).
    #[arg(long = "starting-position", default_value = "LATEST")]
    pub starting_position: String,
    /// For AT_TIMESTAMP: ms since the epoch.
    #[arg(long = "starting-timestamp")]
    pub starting_timestamp: Option<i64>,
    /// Run this shell command once per batch, the event JSON on its stdin.
    #[arg(
        long,
        conflicts_with = "invoke_url",
        required_unless_present = "invoke_url"
    )]
    pub exec: Option<String>,
    /// POST each batch's event here, e.g.
    /// http://localhost:9000/2015-03-31/functions/function/invocations (the runtime
    /// interface emulator of AWS's Lambda base images).
    #[arg(long = "invoke-url")]
    pub invoke_url: Option<String>,
    /// Stop after this many records (processed or given up).
    #[arg(short = 'c', long = "count")]
    pub count: Option<u64>,
    /// At exit, print the processor's stats (batches, calls, retries, failures, OffsetLag)
    /// on stderr: json (the default) or prometheus.
    #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "json", value_name = "FORMAT")]
    pub stats: Option<StatsFormat>,
}

/// `ottla groups …`.
#[derive(Debug, Subcommand)]
pub enum GroupsCommand {
    /// Every group of the cluster: id, type, state and coordinator.
    List,
    /// A group's state, assignor and members with their partitions.
    Describe {
        /// The group id.
        group: String,
    },
    /// A group's committed offset, end offset and lag per partition, and the total.
    Lag {
        /// The group id.
        group: String,
        /// One JSON object per partition, then one with the total.
        #[arg(long)]
        json: bool,
    },
    /// Delete a group (it must have no members) and its committed offsets.
    Delete {
        /// The group id.
        group: String,
    },
    /// Move a group's committed offsets for every partition of the topics (the group must
    /// have no members). A dry run that prints the plan unless --execute.
    #[command(group(clap::ArgGroup::new("to").required(true).multiple(false)))]
    ResetOffsets {
        /// The group id.
        group: String,
        /// A topic (repeatable).
        #[arg(short = 't', long = "topic", required = true)]
        topics: Vec<String>,
        /// To each partition's log start.
        #[arg(long, group = "to")]
        to_earliest: bool,
        /// To each partition's end.
        #[arg(long, group = "to")]
        to_latest: bool,
        /// To the first record at or after this time (ms since the epoch).
        #[arg(long, group = "to", value_name = "MS")]
        to_datetime: Option<i64>,
        /// To this offset (within each partition's log start and end).
        #[arg(long, group = "to", value_name = "OFFSET")]
        to_offset: Option<i64>,
        /// Commit the new offsets (without it, only print them).
        #[arg(long)]
        execute: bool,
    },
}

/// `ottla configs`.
#[derive(Debug, Subcommand)]
pub enum ConfigsCommand {
    /// Every config of a topic, a broker or a group, with where its value comes from.
    Describe {
        #[command(flatten)]
        resource: ConfigTarget,
    },
    /// Change configs key by key (IncrementalAlterConfigs).
    Alter {
        #[command(flatten)]
        resource: ConfigTarget,
        /// key=value to set (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// A key back to its default (repeatable).
        #[arg(long = "delete", value_name = "KEY")]
        delete: Vec<String>,
        /// key=value to add to a list config (repeatable).
        #[arg(long = "append", value_name = "KEY=VALUE")]
        append: Vec<String>,
        /// key=value to remove from a list config (repeatable).
        #[arg(long = "subtract", value_name = "KEY=VALUE")]
        subtract: Vec<String>,
    },
}

/// Whose configs.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct ConfigTarget {
    /// A topic.
    #[arg(long)]
    pub topic: Option<String>,
    /// A broker (node id).
    #[arg(long)]
    pub broker: Option<i32>,
    /// A consumer group.
    #[arg(long)]
    pub group: Option<String>,
}

/// `ottla acls`.
#[derive(Debug, Subcommand)]
pub enum AclsCommand {
    /// The ACLs matching the options (all with none).
    List {
        #[command(flatten)]
        acl: AclArgs,
    },
    /// Create one ACL.
    Add {
        #[command(flatten)]
        acl: AclArgs,
    },
    /// Delete the ACLs matching the options.
    Delete {
        #[command(flatten)]
        acl: AclArgs,
    },
}

/// An ACL, or a filter of ACLs.
#[derive(Debug, Args)]
pub struct AclArgs {
    /// User:NAME.
    #[arg(long)]
    pub principal: Option<String>,
    /// A topic.
    #[arg(long, conflicts_with_all = ["group", "cluster"])]
    pub topic: Option<String>,
    /// A consumer group.
    #[arg(long, conflicts_with = "cluster")]
    pub group: Option<String>,
    /// The cluster.
    #[arg(long)]
    pub cluster: bool,
    /// The name is a prefix.
    #[arg(long)]
    pub prefixed: bool,
    /// read, write, create, delete, alter, describe, all, … (add: required).
    #[arg(long)]
    pub operation: Option<String>,
    /// Deny instead of allow.
    #[arg(long)]
    pub deny: bool,
    /// The client host (default *).
    #[arg(long)]
    pub host: Option<String>,
}

/// `ottla users`.
#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// SCRAM users and their mechanisms (all, or those named).
    Describe {
        /// User names.
        users: Vec<String>,
    },
    /// Set a user's SCRAM password, read from the first line of standard input.
    SetPassword {
        /// The user.
        user: String,
        /// SCRAM-SHA-256 or SCRAM-SHA-512.
        #[arg(long, default_value = "SCRAM-SHA-512")]
        mechanism: String,
        /// PBKDF2 iterations (Kafka's minimum: 4096).
        #[arg(long, default_value_t = 8192)]
        iterations: u32,
    },
    /// Remove a user's SCRAM credential.
    Delete {
        /// The user.
        user: String,
        /// SCRAM-SHA-256 or SCRAM-SHA-512.
        #[arg(long, default_value = "SCRAM-SHA-512")]
        mechanism: String,
    },
}

/// `ottla metadata`.
#[derive(Debug, Args)]
pub struct MetadataArgs {
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Only this topic.
    #[arg(short = 't', long = "topic")]
    pub topic: Option<String>,
}

/// `ottla topics …`.
#[derive(Debug, Subcommand)]
pub enum TopicsCommand {
    /// Create a topic.
    Create {
        /// Topic name.
        name: String,
        /// Number of partitions.
        #[arg(long, short = 'p')]
        partitions: i32,
        /// Replication factor (-1: the broker's default).
        #[arg(long, short = 'r', default_value_t = -1, allow_negative_numbers = true)]
        replication_factor: i16,
        /// A topic config, key=value (repeatable).
        #[arg(long = "config", short = 'c', value_name = "KEY=VALUE")]
        configs: Vec<String>,
    },
    /// Delete a topic.
    Delete {
        /// Topic name.
        name: String,
    },
    /// Grow a topic to this many partitions.
    Partitions {
        /// Topic name.
        name: String,
        /// The new partition count.
        #[arg(long, short = 'p')]
        count: i32,
    },
    /// Each partition's log start, end, or first offset at a time.
    Offsets {
        /// Topic name.
        name: String,
        /// earliest, latest, or a time in ms since the epoch.
        #[arg(long, default_value = "latest")]
        at: String,
    },
    /// Delete the records of a partition before an offset (-1: all written so far).
    DeleteRecords {
        /// Topic name.
        name: String,
        /// The partition.
        #[arg(long, short = 'p')]
        partition: i32,
        /// The first offset kept.
        #[arg(long, allow_negative_numbers = true)]
        before: i64,
    },
}

/// `ottla produce`.
#[derive(Debug, Args)]
pub struct ProduceArgs {
    /// Topic.
    #[arg(short = 't', long = "topic")]
    pub topic: String,
    /// Partition (default: keyed records by the Java client's murmur2 hash, others spread).
    #[arg(short = 'p', long = "partition")]
    pub partition: Option<i32>,
    /// Key delimiter: text before its first occurrence in a line is the key.
    #[arg(short = 'K', long = "key-delimiter")]
    pub key_delimiter: Option<String>,
    /// A header for every record, key=value (repeatable; a key without `=` gets a null value).
    #[arg(short = 'H', long = "header", value_name = "KEY=VALUE")]
    pub headers: Vec<String>,
    /// Read records from this file, one per line, instead of standard input.
    #[arg(short = 'l', long = "file", value_name = "FILE")]
    pub file: Option<PathBuf>,
}

/// `ottla perf …`.
#[derive(Debug, Subcommand)]
pub enum PerfCommand {
    /// Produce the same records with ottla and with reference clients (franz-go, the Java
    /// client, kcat), each in a child process of its own, and compare throughput and CPU time
    /// (user + system of the child).
    Produce(PerfProduceArgs),
    /// Read the same records with ottla and with reference clients (franz-go, the Java
    /// consumer, kcat): each from the start of every partition, without a group, in a child
    /// process of its own; compare throughput and CPU time.
    Consume(PerfConsumeArgs),
}

/// A client `ottla perf produce` measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PerfClient {
    /// ottla's `Producer`, run as `ottla perf produce --child` (payload in memory).
    Ottla,
    /// The franz-go peer's `perf-produce` (payload in memory).
    FranzGo,
    /// The Java peer's `perf-produce` (payload in memory).
    Java,
    /// `ottla produce -l FILE` (the file kcat reads).
    OttlaFile,
    /// kcat (librdkafka) with `-P -l FILE`.
    Kcat,
    /// kcat with `enable.idempotence=false`.
    KcatNoidem,
}

/// `ottla perf produce`.
#[derive(Debug, Clone, Args)]
pub struct PerfProduceArgs {
    /// Prefix of the fresh topics each run creates (and deletes afterwards).
    #[arg(long, default_value = "ottla-perf")]
    pub topic_prefix: String,
    /// The records: how many, their size, the topic's partitions and the codec.
    #[command(flatten)]
    pub data: PerfDataArgs,
    /// acks: 0, 1 or all.
    #[arg(long, default_value = "all", allow_hyphen_values = true)]
    pub acks: String,
    /// linger.ms of every client.
    #[arg(long, default_value_t = 5)]
    pub linger_ms: u64,
    /// enable.idempotence of every client but kcat-noidem (ottla's default; the others are
    /// told explicitly).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub idempotence: bool,
    /// Clients to run, comma-separated (default: ottla, ottla-file, and every other client
    /// whose executable is known).
    #[arg(long, value_delimiter = ',')]
    pub clients: Option<Vec<PerfClient>>,
    /// The reference clients, the broker to watch, the output and the repeats.
    #[command(flatten)]
    pub run: PerfRunArgs,
    /// Run the whole matrix instead of one configuration: 1,000,000 × 100 B and
    /// 100,000 × 10 KB; 1 and 8 partitions; none and lz4 (with --acks and --linger-ms).
    #[arg(long)]
    pub matrix: bool,
    /// Internal: be the measured ottla child (produce to --topic and print a JSON summary).
    #[arg(long, hide = true)]
    pub child: bool,
    /// Internal: the topic the child produces to.
    #[arg(long, hide = true, requires = "child")]
    pub topic: Option<String>,
}

/// The records a benchmark writes (and reads).
#[derive(Debug, Clone, Args)]
pub struct PerfDataArgs {
    /// Records per run.
    #[arg(long, default_value_t = 1_000_000)]
    pub records: u64,
    /// Bytes of payload per record (no key, no headers).
    #[arg(long, default_value_t = 100)]
    pub record_size: usize,
    /// Partitions of each topic.
    #[arg(long, default_value_t = 1)]
    pub partitions: i32,
    /// Codec: none, gzip, snappy, lz4 or zstd.
    #[arg(long, default_value = "none")]
    pub compression: String,
}

/// What `perf produce` and `perf consume` share: where the reference clients are, the
/// broker to watch, the output and the repeats.
#[derive(Debug, Clone, Args)]
pub struct PerfRunArgs {
    /// kcat to run (a kcat over librdkafka 2.16 or later).
    #[arg(long, env = "OTTLA_KCAT", value_name = "PATH")]
    pub kcat: Option<PathBuf>,
    /// The franz-go peer to run (scripts/install-go-peer.sh prints its path).
    #[arg(long, env = "OTTLA_GO_PEER", value_name = "PATH")]
    pub franz_go: Option<PathBuf>,
    /// The Java peer to run (scripts/install-java-peer.sh prints its path).
    #[arg(long, env = "OTTLA_JAVA_PEER", value_name = "PATH")]
    pub java: Option<PathBuf>,
    /// The broker's process id (a local broker): the tables then show the broker's CPU time
    /// during each run and how busy it was (CPU time / wall time), from /proc/PID/stat. A
    /// broker that serves a connection's requests one at a time and is busy near 100% of a
    /// run is what limits that run.
    #[arg(long, value_name = "PID")]
    pub broker_pid: Option<u32>,
    /// Print the results as JSON on stdout instead of tables.
    #[arg(long)]
    pub json: bool,
    /// Keep the topics the runs created.
    #[arg(long)]
    pub keep_topics: bool,
    /// Runs of each client per scenario, the clients taking turns; the tables and ratios use
    /// each client's median wall time and median CPU time (--json also lists every run).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub repeat: u32,
}

/// `ottla perf consume`.
#[derive(Debug, Clone, Args)]
pub struct PerfConsumeArgs {
    /// Prefix of the topics the runs read (one per scenario, written once before the runs,
    /// deleted afterwards).
    #[arg(long, default_value = "ottla-perf-consume")]
    pub topic_prefix: String,
    /// The records: how many, their size, the topic's partitions and the codec.
    #[command(flatten)]
    pub data: PerfDataArgs,
    /// Clients to run, comma-separated, among ottla, franz-go, java and kcat (default: ottla
    /// and every other one whose executable is known).
    #[arg(long, value_delimiter = ',')]
    pub clients: Option<Vec<PerfClient>>,
    /// Run the whole matrix: 1,000,000 × 100 B and 100,000 × 10 KB; 1 and 8 partitions;
    /// none and lz4.
    #[arg(long)]
    pub matrix: bool,
    /// The reference clients, the broker to watch, the output and the repeats.
    #[command(flatten)]
    pub run: PerfRunArgs,
    /// Internal: be the measured ottla child (read --records from --topic, print a summary).
    #[arg(long, hide = true)]
    pub child: bool,
    /// Internal: the topic the child reads.
    #[arg(long, hide = true, requires = "child")]
    pub topic: Option<String>,
}

/// `ottla consume`.
#[derive(Debug, Args)]
pub struct ConsumeArgs {
    /// Topic; with -G, a name starting with ^ is a regular expression (kcat's convention):
    /// every topic it matches, followed as topics come and go.
    #[arg(short = 't', long = "topic")]
    pub topic: String,
    /// Partition (default: all).
    #[arg(short = 'p', long = "partition")]
    pub partition: Option<i32>,
    /// Start: beginning, end, an absolute offset, -N for N before the end, or s@TIMESTAMP_MS
    /// for the first record at or after that time.
    #[arg(
        short = 'o',
        long = "offset",
        default_value = "beginning",
        allow_hyphen_values = true
    )]
    pub offset: String,
    /// Stop after this many records.
    #[arg(short = 'c', long = "count")]
    pub count: Option<u64>,
    /// Exit once the end of every partition is reached.
    #[arg(short = 'e', long = "exit")]
    pub exit_at_end: bool,
    /// Print keys too, separated from the value by this delimiter.
    #[arg(short = 'K', long = "key-delimiter")]
    pub key_delimiter: Option<String>,
    /// A kcat format string: %t topic, %p partition, %o offset, %k key, %K key length, %s
    /// value, %S value length, %R value length (4 bytes, big endian), %T timestamp, %h
    /// headers (n=v,…), %% a %; \n \r \t \xHH. Wins over -K.
    #[arg(short = 'f', long = "format", conflicts_with = "json")]
    pub format: Option<String>,
    /// One JSON object per record, kcat's envelope: topic, partition, offset, tstype, ts,
    /// broker, headers (name, value, …), key, payload. (`-f lambda` prints batches of up to
    /// 100 records as Lambda's Kafka event instead, one per line.)
    #[arg(short = 'J', long = "json")]
    pub json: bool,
    /// Read as a member of this consumer group: the group assigns the partitions, -o
    /// beginning|end says where to start without a committed offset, offsets are committed
    /// as records are printed (every auto.commit.interval.ms) and on exit (-c or Ctrl-C).
    #[arg(short = 'G', long = "group")]
    pub group: Option<String>,
    /// At exit, print the client's stats on stderr (per broker: requests, bytes, round
    /// trips, errors, throttling; with -G also fetches, rebalances, lag per partition):
    /// json (the default) or prometheus.
    #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "json", value_name = "FORMAT")]
    pub stats: Option<StatsFormat>,
}

/// `ottla doctor`.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Also write one record to this topic (partition 0) and read it back.
    #[arg(short = 't', long = "topic")]
    pub topic: Option<String>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `ottla msk-token`.
#[derive(Debug, Args)]
pub struct MskTokenArgs {
    /// The cluster's region (else -X aws.region, AWS_REGION, AWS_DEFAULT_REGION, the profile).
    #[arg(long)]
    pub region: Option<String>,
    /// Sign at this time (RFC 3339, e.g. 2024-01-15T12:34:56Z) instead of now, to compare a
    /// token with a reference signer.
    #[arg(long, value_name = "TIME")]
    pub signing_time: Option<String>,
    /// Print the presigned URL instead of its base64url token.
    #[arg(long, conflicts_with = "json_payload")]
    pub decode: bool,
    /// Print the AWS_MSK_IAM JSON payload for --broker-host instead of a token.
    #[arg(long, requires = "broker_host")]
    pub json_payload: bool,
    /// The broker host name the AWS_MSK_IAM payload is signed for (no port).
    #[arg(long, value_name = "HOST")]
    pub broker_host: Option<String>,
}

/// How `--stats` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StatsFormat {
    /// One JSON object.
    Json,
    /// Prometheus' text exposition format.
    Prometheus,
}
