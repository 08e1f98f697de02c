//! `ottla perf produce`: ottla's [`Producer`](ottla::Producer) and kcat side by side against
//! the same broker.
//!
//! Each client runs as a child process of its own, one after the other, on a fresh topic
//! per run (deleted afterwards unless `--keep-topics`), with the same payload, record count,
//! `acks`, `linger.ms`, codec and idempotence. Wall time is from spawn to exit; CPU time is
//! the child's user + system time from `getrusage(RUSAGE_CHILDREN)` (`cpu.rs` explains why
//! that is exact). The ottla child is this binary (`--child`); kcat reads the payload from a
//! file written once per record size (`payload.rs`). With `--repeat N` the clients take turns
//! N times per scenario, in alternating order, and the tables show each client's medians
//! (`results.rs`).
//!
//! | file | holds |
//! |---|---|
//! | `plan.rs` | the scenarios: one from the flags, or `--matrix` |
//! | `payload.rs` | the payload and kcat's payload file |
//! | `child.rs` | the measured ottla process |
//! | `launch.rs` | the child command lines, spawning and measuring, checking the outcome |
//! | `cpu.rs` | CPU time from `getrusage(RUSAGE_CHILDREN)` |
//! | `broker.rs` | a local broker's CPU time (`--broker-pid`) |
//! | `results.rs` | per-run figures and ottla/kcat ratios |
//! | `table.rs` | the summary tables |

mod broker;
mod child;
mod cpu;
mod launch;
mod payload;
mod plan;
mod results;
mod table;

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use ottla::basic::{create_topic, delete_topic, NewTopic};
use ottla::producer::PRODUCER_KEYS;
use serde::Serialize;

use super::CmdResult;
use crate::args::{PerfClient, PerfCommand, PerfProduceArgs};
use crate::settings;
use payload::PayloadFiles;
use plan::Scenario;
use results::{compare, medians, Comparison, RunResult};

/// Runs `ottla perf …`.
pub async fn run(props: &ottla::Properties, cmd: PerfCommand) -> CmdResult {
    match cmd {
        PerfCommand::Produce(args) if args.child => {
            let topic = args.topic.clone().ok_or("--child needs --topic")?;
            let scenario = plan::scenarios(&args)?
                .into_iter()
                .next()
                .ok_or("no scenario")?;
            child::run(props, &scenario, &topic).await
        }
        PerfCommand::Produce(args) => produce(props, args).await,
    }
}

/// Everything `--json` prints.
#[derive(Debug, Serialize)]
struct Report {
    runs: Vec<RunResult>,
    medians: Vec<RunResult>,
    comparisons: Vec<Comparison>,
}

async fn produce(props: &ottla::Properties, args: PerfProduceArgs) -> CmdResult {
    let scenarios = plan::scenarios(&args)?;
    let mut clients = args.clients.clone();
    clients.sort_unstable();
    clients.dedup();
    let kcat =
        match (clients.contains(&PerfClient::Kcat), &args.kcat) {
            (false, _) => None,
            (true, Some(path)) => Some(path.clone()),
            (true, None) => return Err(
                "kcat is not known: pass --kcat PATH or set OTTLA_KCAT (or run --clients ottla)"
                    .into(),
            ),
        };
    // The admin client ignores the producer settings meant for the children.
    let admin = ottla::Client::connect(settings::client_config(props, PRODUCER_KEYS)?).await?;
    let broker = args
        .broker_pid
        .map(broker::BrokerProcess::new)
        .transpose()?;
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
    let files =
        PayloadFiles::new().map_err(|e| format!("cannot create a temporary directory: {e}"))?;

    let repeat = args.repeat.max(1) as usize;
    let total = (scenarios.len() * clients.len() * repeat) as u64;
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}")
            .map_err(|e| format!("progress bar: {e}"))?,
    );
    bar.enable_steady_tick(Duration::from_millis(200));

    let mut runs = Vec::new();
    let turns = turns(&clients, repeat);
    for scenario in &scenarios {
        for &client in &turns {
            bar.set_message(format!("{} {}", name(client), scenario.label()));
            let topic = fresh_topic(&args.topic_prefix, client, scenario);
            create_topic(
                &admin,
                &NewTopic {
                    name: topic.clone(),
                    partitions: scenario.partitions,
                    replication_factor: -1,
                    configs: Vec::new(),
                },
            )
            .await?;
            let command = match client {
                PerfClient::Ottla => launch::ottla_command(&exe, props, scenario, &topic),
                PerfClient::Kcat => {
                    let file = files
                        .file(scenario.records, scenario.record_size)
                        .map_err(|e| format!("cannot write the payload file: {e}"))?;
                    let kcat = kcat.as_deref().ok_or("kcat is not known")?;
                    launch::kcat_command(kcat, props, scenario, &topic, &file)
                }
            };
            let measured = tokio::task::spawn_blocking(move || launch::measure(command, broker))
                .await
                .map_err(|e| format!("measuring task: {e}"))?;
            let checked = measured.and_then(|m| {
                match client {
                    PerfClient::Ottla => launch::check_ottla(&m.output, scenario).map(|_| ()),
                    PerfClient::Kcat => launch::check_kcat(&m.output),
                }
                .map(|()| m)
            });
            if !args.keep_topics {
                if let Err(e) = delete_topic(&admin, &topic).await {
                    bar.suspend(|| eprintln!("warning: cannot delete topic {topic}: {e}"));
                }
            }
            let m = checked.map_err(|e| format!("{} ({}): {e}", scenario.label(), name(client)))?;
            let mut result = RunResult::new(client, scenario.clone(), topic, m.wall, m.cpu);
            if let Some(cpu) = m.broker_cpu {
                result = result.with_broker_cpu(cpu);
            }
            bar.println(format!(
                "{:<5} {}: {:.0} msgs/s, {:.1} MB/s, {:.3} CPU µs/msg",
                name(client),
                scenario.label(),
                result.msgs_per_s,
                result.mb_per_s,
                result.cpu_us_per_msg
            ));
            runs.push(result);
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    drop(files);

    let medians = medians(&runs);
    let comparisons = compare(&medians);
    if args.json {
        let report = Report {
            runs,
            medians,
            comparisons,
        };
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        if repeat > 1 {
            println!("median of {repeat} runs per client and scenario");
        }
        print!("{}", table::runs_table(&medians));
        if !comparisons.is_empty() {
            println!();
            print!("{}", table::ratios_table(&comparisons));
        }
    }
    Ok(())
}

/// The order the clients run in, per scenario: every client once per round, the order
/// reversed every other round, so that none always runs first (a broker can slow down as it
/// fills).
fn turns(clients: &[PerfClient], repeat: usize) -> Vec<PerfClient> {
    (0..repeat)
        .flat_map(|round| {
            let mut order = clients.to_vec();
            if round % 2 == 1 {
                order.reverse();
            }
            order
        })
        .collect()
}

fn name(client: PerfClient) -> &'static str {
    match client {
        PerfClient::Ottla => "ottla",
        PerfClient::Kcat => "kcat",
    }
}

/// `PREFIX-CLIENT-RECORDSxSIZE-pN-CODEC-PID-NANOS`: no earlier run used it.
fn fresh_topic(prefix: &str, client: PerfClient, s: &Scenario) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{prefix}-{}-{}x{}-p{}-{}-{}-{nanos}",
        name(client),
        s.records,
        s.record_size,
        s.partitions,
        s.compression,
        std::process::id()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_alternate_who_goes_first() {
        use PerfClient::{Kcat, Ottla};
        assert_eq!(turns(&[Ottla, Kcat], 1), [Ottla, Kcat]);
        assert_eq!(
            turns(&[Ottla, Kcat], 3),
            [Ottla, Kcat, Kcat, Ottla, Ottla, Kcat]
        );
        assert_eq!(turns(&[Ottla], 2), [Ottla, Ottla]);
    }
}
