//! `ottla perf consume`: ottla's [`Consumer`](ottla::consumer::Consumer) and the reference
//! consumers reading the same records, like for like. Per scenario one topic is written once
//! (by ottla's producer: the perf payload, the scenario's codec, acks=all, idempotent), then
//! every client reads all of it from the earliest offsets, without a group, as a measured
//! child process, the clients taking turns (`--repeat`). Every run is checked:
//!
//! | client | command line | succeeded when it exited 0 and |
//! |---|---|---|
//! | `ottla` | `ottla -X… perf consume --child --topic T --records N …` | printed `{"records":N,"consume_s":S}` |
//! | `franz-go`, `java` | `PEER perf-consume --bootstrap B -X… --topic T --records N` | the same |
//! | `kcat` | `kcat -C -b B -X… -t T -o beginning -e -f ''` | its end-of-partition lines add up to N |
//!
//! `ottla` is compared with the best of the three.

use super::super::stats_output::ClientStatsLine;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use ottla::basic::delete_topic;
use ottla::consumer::CONSUMER_KEYS;

use super::super::CmdResult;
use super::clients::{self, Executables};
use super::command_line::{ottla, pass_properties};
use super::compare::compare_with;
use super::consume_child::ConsumeSummary;
use super::launch::{self, Measured};
use super::plan::{self, Scenario};
use super::results::{medians, RunResult};
use super::{broker, child, print_report, progress, topics, turns};
use crate::args::{PerfClient, PerfConsumeArgs};
use crate::settings;

/// The clients `perf consume` has, in the order they run within a round.
const CONSUMERS: [PerfClient; 4] = [
    PerfClient::Ottla,
    PerfClient::FranzGo,
    PerfClient::Java,
    PerfClient::Kcat,
];

/// ottla against every reference consumer.
fn peers(client: PerfClient) -> &'static [PerfClient] {
    match client {
        PerfClient::Ottla => &[PerfClient::FranzGo, PerfClient::Java, PerfClient::Kcat],
        _ => &[],
    }
}

pub async fn run(props: &ottla::Properties, args: PerfConsumeArgs) -> CmdResult {
    let scenarios = plan::consume_scenarios(&args)?;
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
    let exes = Executables::new(exe, &args.run);
    let clients = clients::chosen_among(args.clients.as_deref(), &exes, &CONSUMERS)?;
    let admin = ottla::Client::connect(settings::client_config(props, CONSUMER_KEYS)?).await?;
    let broker = args
        .run
        .broker_pid
        .map(broker::BrokerProcess::new)
        .transpose()?;
    let repeat = args.run.repeat.max(1) as usize;
    let bar = progress((scenarios.len() * clients.len() * repeat) as u64)?;
    let mut runs = Vec::new();
    for scenario in &scenarios {
        let topic = topic_name(&args.topic_prefix, scenario);
        bar.set_message(format!("writing {}", scenario.label()));
        topics::create(&admin, &topic, scenario.partitions).await?;
        let written = child::produce(&producer_props(props), scenario, &topic).await;
        let measured = match written {
            Ok(w) if w.delivered == scenario.records => {
                measure_all(
                    props, &args, &exes, &clients, scenario, &topic, broker, &bar,
                )
                .await
            }
            Ok(w) => Err(format!(
                "{} of {} records written to {topic}",
                w.delivered, scenario.records
            )),
            Err(e) => Err(format!("writing {topic}: {e}")),
        };
        if !args.run.keep_topics {
            if let Err(e) = delete_topic(&admin, &topic).await {
                bar.suspend(|| eprintln!("warning: cannot delete topic {topic}: {e}"));
            }
        }
        runs.extend(measured.map_err(|e| format!("{}: {e}", scenario.label()))?);
    }
    bar.finish_and_clear();
    let medians = medians(&runs);
    let comparisons = compare_with(&medians, peers);
    print_report(args.run.json, repeat, runs, medians, comparisons)
}

/// Every client's turns on one scenario's topic.
#[allow(clippy::too_many_arguments)]
async fn measure_all(
    props: &ottla::Properties,
    args: &PerfConsumeArgs,
    exes: &Executables,
    clients: &[PerfClient],
    scenario: &Scenario,
    topic: &str,
    broker: Option<broker::BrokerProcess>,
    bar: &indicatif::ProgressBar,
) -> Result<Vec<RunResult>, String> {
    let mut out = Vec::new();
    for client in turns(clients, args.run.repeat.max(1) as usize) {
        bar.set_message(format!("{} {}", client.name(), scenario.label()));
        let exe = exes
            .of(client)
            .ok_or_else(|| format!("{} is not known", client.name()))?;
        let command = command(client, exe, props, scenario, topic);
        let m: Measured = tokio::task::spawn_blocking(move || launch::measure(command, broker))
            .await
            .map_err(|e| format!("measuring task: {e}"))??;
        let (consume_s, stats) = check(client, &m.output, scenario.records)?;
        let mut result = RunResult::measured(client, scenario.clone(), topic.to_owned(), &m);
        result.consume_s = consume_s;
        result.client_stats = stats;
        bar.println(result.one_line());
        out.push(result);
        bar.inc(1);
    }
    Ok(out)
}

/// The writer's properties: the connection and security ones given to `perf consume`.
fn producer_props(props: &ottla::Properties) -> ottla::Properties {
    let mut out = ottla::Properties::new();
    for (k, v) in props.iter().filter(|(k, _)| !CONSUMER_KEYS.contains(k)) {
        out.set(k, v);
    }
    out
}

/// `PREFIX-RECORDSxSIZE-pN-CODEC-PID-NANOS`: no earlier run used it.
fn topic_name(prefix: &str, s: &Scenario) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{prefix}-{}x{}-p{}-{}-{}-{nanos}",
        s.records,
        s.record_size,
        s.partitions,
        s.compression,
        std::process::id()
    )
}

/// `client`'s command line for reading `topic`.
fn command(
    client: PerfClient,
    exe: &Path,
    props: &ottla::Properties,
    s: &Scenario,
    topic: &str,
) -> Command {
    match client {
        PerfClient::Kcat => {
            let mut c = Command::new(exe);
            c.arg("-C");
            pass_properties(&mut c, props, Some("-b"));
            c.args(["-t", topic, "-o", "beginning", "-e", "-f", ""]);
            c
        }
        PerfClient::FranzGo | PerfClient::Java => {
            let mut c = Command::new(exe);
            c.arg("perf-consume");
            pass_properties(&mut c, props, Some("--bootstrap"));
            c.args(["--topic", topic, "--records"])
                .arg(s.records.to_string());
            c
        }
        _ => {
            let mut c = ottla(exe, props);
            c.args(["perf", "consume", "--child", "--topic", topic])
                .arg("--records")
                .arg(s.records.to_string())
                .arg("--record-size")
                .arg(s.record_size.to_string())
                .arg("--partitions")
                .arg(s.partitions.to_string())
                .args(["--compression", s.compression]);
            c
        }
    }
}

/// What a consuming client said of its run: its own consume seconds, and ottla's client
/// stats.
type ConsumeReport = (Option<f64>, Option<ClientStatsLine>);

/// Whether `client` read all `records`; its own consume seconds (and, for ottla, its stats)
/// when it says.
fn check(client: PerfClient, output: &Output, records: u64) -> Result<ConsumeReport, String> {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let fail = |what: String| {
        let last = stderr.lines().last().unwrap_or("");
        format!("{} {what} (stderr: {last})", client.name())
    };
    if !output.status.success() {
        return Err(fail(format!("failed ({})", output.status)));
    }
    if client == PerfClient::Kcat {
        let read = kcat_records(&stderr);
        return if read == records {
            Ok((None, None))
        } else {
            Err(fail(format!(
                "reached the ends at {read} records, not {records}"
            )))
        };
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let summary: ConsumeSummary = stdout
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str(l).ok())
        .ok_or_else(|| fail(format!("printed no summary (stdout {stdout:?})")))?;
    if summary.records != records {
        return Err(fail(format!(
            "read {} records, not {records}",
            summary.records
        )));
    }
    Ok((Some(summary.consume_s), summary.stats))
}

/// The records kcat read: the sum of the offsets of its `Reached end of topic T [P] at offset
/// X` lines, the last per partition (the topic is fresh: every partition starts at 0).
fn kcat_records(stderr: &str) -> u64 {
    let mut ends: BTreeMap<&str, u64> = BTreeMap::new();
    for line in stderr.lines() {
        let Some(rest) = line.split("Reached end of topic ").nth(1) else {
            continue;
        };
        let Some((head, tail)) = rest.split_once("] at offset ") else {
            continue;
        };
        let partition = head.rsplit('[').next().unwrap_or(head);
        let offset = tail
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .and_then(|n| n.parse().ok());
        if let Some(offset) = offset {
            ends.insert(partition, offset);
        }
    }
    ends.values().sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kcat_reads_are_counted_from_its_end_lines() {
        let stderr = "% Reached end of topic t-1 [1] at offset 400\n\
                      % Reached end of topic t-1 [0] at offset 500\n\
                      % Reached end of topic t-1 [1] at offset 500: exiting\n";
        assert_eq!(kcat_records(stderr), 1_000);
        assert_eq!(kcat_records("% ERROR: nothing\n"), 0);
    }

    #[test]
    fn ottla_is_compared_with_every_reference_consumer() {
        assert_eq!(
            peers(PerfClient::Ottla),
            [PerfClient::FranzGo, PerfClient::Java, PerfClient::Kcat]
        );
        for c in CONSUMERS.iter().skip(1) {
            assert!(peers(*c).is_empty());
        }
    }

    #[test]
    fn each_client_reads_the_topic_its_way() {
        let mut props = ottla::Properties::new();
        props.set("bootstrap.servers", "h:1");
        let s = plan::sample_scenario();
        let args = |c: &Command| -> Vec<String> {
            c.get_args()
                .map(|a| a.to_string_lossy().into_owned())
                .collect()
        };
        let kcat = command(PerfClient::Kcat, Path::new("kcat"), &props, &s, "t");
        assert_eq!(
            args(&kcat),
            [
                "-C",
                "-b",
                "h:1",
                "-t",
                "t",
                "-o",
                "beginning",
                "-e",
                "-f",
                ""
            ]
        );
        let go = command(PerfClient::FranzGo, Path::new("go"), &props, &s, "t");
        assert_eq!(
            args(&go),
            [
                "perf-consume",
                "--bootstrap",
                "h:1",
                "--topic",
                "t",
                "--records",
                "20"
            ]
        );
        let ours = command(PerfClient::Ottla, Path::new("ottla"), &props, &s, "t");
        assert_eq!(
            args(&ours)[..6],
            [
                "-X",
                "bootstrap.servers=h:1",
                "perf",
                "consume",
                "--child",
                "--topic"
            ]
        );
    }
}
