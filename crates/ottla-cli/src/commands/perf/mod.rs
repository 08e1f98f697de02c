//! `ottla perf produce`: ottla's [`Producer`](ottla::Producer) side by side with reference
//! clients against the same broker, like for like; `ottla perf consume` the same for the
//! [`Consumer`](ottla::consumer::Consumer) (`consume.rs`).
//!
//! Each client runs as a child process of its own, one after the other, on a fresh topic
//! per run (deleted afterwards unless `--keep-topics`), with the same payload, record count,
//! `acks`, `linger.ms`, codec and idempotence (`clients.rs` lists them: `ottla` and the
//! franz-go and Java peers build the payload in memory; `ottla-file`, i.e. `ottla produce`,
//! and kcat read it from a file written once per record size, `payload.rs`). Wall time is from
//! spawn to exit; CPU time is the child's user + system time from `getrusage(RUSAGE_CHILDREN)`
//! (`cpu.rs` explains why that is exact). Every run is checked: the client's own report and the
//! records on the topic (`outcome.rs`). With `--repeat N` the clients take turns N times per
//! scenario, in alternating order, and the tables show each client's medians (`results.rs`);
//! the ratio table sets each of ours against the best peer at each figure (`compare.rs`).
//!
//! | file | holds |
//! |---|---|
//! | `plan.rs` | the scenarios: one from the flags, or `--matrix` |
//! | `clients.rs` | the clients, which of ours is compared with which peers, their executables, the default `--clients` |
//! | `payload.rs` | the payload and the payload file |
//! | `child.rs` | the measured ottla process (`--child`) |
//! | `consume.rs` | `perf consume`: the topic written once per scenario, each consumer's command line and check |
//! | `consume_child.rs` | the measured ottla consumer (`perf consume --child`) |
//! | `command_line.rs` | each client's command line for a scenario |
//! | `launch.rs` | spawning a child and measuring it |
//! | `cpu.rs` | CPU time from `getrusage(RUSAGE_CHILDREN)` |
//! | `broker.rs` | a local broker's CPU time (`--broker-pid`) |
//! | `outcome.rs` | whether a run delivered every record |
//! | `topics.rs` | the fresh topic's name, and the records it holds after a run |
//! | `results.rs` | per-run figures and medians |
//! | `compare.rs` | ours ÷ the best peer, per scenario and figure |
//! | `table.rs` | the summary tables |

mod broker;
mod child;
mod clients;
mod command_line;
mod compare;
mod consume;
mod consume_child;
mod cpu;
mod launch;
mod outcome;
mod payload;
mod plan;
mod results;
mod table;
mod topics;

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use ottla::basic::delete_topic;
use ottla::producer::PRODUCER_KEYS;
use serde::Serialize;

use super::CmdResult;
use crate::args::{PerfClient, PerfCommand, PerfProduceArgs};
use crate::settings;
use clients::Executables;
use command_line::Job;
use compare::{compare, Comparison};
use launch::Measured;
use outcome::Reported;
use payload::PayloadFiles;
use results::{medians, RunResult};

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
        PerfCommand::Consume(args) if args.child => {
            let topic = args.topic.clone().ok_or("--child needs --topic")?;
            let scenario = plan::consume_scenarios(&args)?
                .into_iter()
                .next()
                .ok_or("no scenario")?;
            consume_child::run(props, &scenario, &topic).await
        }
        PerfCommand::Consume(args) => consume::run(props, args).await,
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
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
    let exes = Executables::new(exe, &args.run);
    let clients = clients::chosen(args.clients.as_deref(), &exes)?;
    // The admin client ignores the producer settings meant for the children.
    let admin = ottla::Client::connect(settings::client_config(props, PRODUCER_KEYS)?).await?;
    let broker = args
        .run
        .broker_pid
        .map(broker::BrokerProcess::new)
        .transpose()?;
    let files =
        PayloadFiles::new().map_err(|e| format!("cannot create a temporary directory: {e}"))?;

    let repeat = args.run.repeat.max(1) as usize;
    let total = (scenarios.len() * clients.len() * repeat) as u64;
    let bar = progress(total)?;

    let mut runs = Vec::new();
    let turns = turns(&clients, repeat);
    for scenario in &scenarios {
        for &client in &turns {
            bar.set_message(format!("{} {}", client.name(), scenario.label()));
            let topic = topics::fresh_topic(&args.topic_prefix, client, scenario);
            topics::create(&admin, &topic, scenario.partitions).await?;
            let job = Job {
                props,
                scenario,
                topic: &topic,
            };
            let checked = run_client(client, &exes, job, &files, broker, &admin).await;
            if !args.run.keep_topics {
                if let Err(e) = delete_topic(&admin, &topic).await {
                    bar.suspend(|| eprintln!("warning: cannot delete topic {topic}: {e}"));
                }
            }
            let (m, reported) = checked.map_err(|e| format!("{}: {e}", scenario.label()))?;
            let mut result = RunResult::measured(client, scenario.clone(), topic, &m)
                .with_produce_s(reported.produce_s);
            result.client_stats = reported.stats;
            bar.println(result.one_line());
            runs.push(result);
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    drop(files);

    let medians = medians(&runs);
    let comparisons = compare(&medians);
    print_report(args.run.json, repeat, runs, medians, comparisons)
}

/// A progress bar of `total` runs.
fn progress(total: u64) -> Result<ProgressBar, String> {
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}")
            .map_err(|e| format!("progress bar: {e}"))?,
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    Ok(bar)
}

/// The tables (or `--json`'s report) of a benchmark.
fn print_report(
    json: bool,
    repeat: usize,
    runs: Vec<RunResult>,
    medians: Vec<RunResult>,
    comparisons: Vec<Comparison>,
) -> CmdResult {
    if json {
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
        let ottla_runs: Vec<&RunResult> =
            runs.iter().filter(|r| r.client_stats.is_some()).collect();
        if !ottla_runs.is_empty() {
            println!();
            println!("ottla's client, per run:");
            for r in ottla_runs {
                if let Some(stats) = &r.client_stats {
                    println!("  {} {}: {stats}", r.client.name(), r.scenario.label());
                }
            }
        }
    }
    Ok(())
}

/// Runs `client` on `job` as a measured child, then checks what it reported and (unless
/// `acks=0`, where nothing is confirmed) the records it left on the topic.
async fn run_client(
    client: PerfClient,
    exes: &Executables,
    job: Job<'_>,
    files: &PayloadFiles,
    broker: Option<broker::BrokerProcess>,
    admin: &ottla::Client,
) -> Result<(Measured, Reported), String> {
    let command = command_line::command(client, exes, job, files)?;
    let measured = tokio::task::spawn_blocking(move || launch::measure(command, broker))
        .await
        .map_err(|e| format!("measuring task: {e}"))??;
    let records = job.scenario.records;
    let reported = outcome::check(client, &measured.output, records)?;
    if job.scenario.acks != "0" {
        let on_topic = topics::records_on(admin, job.topic, job.scenario.partitions)
            .await
            .map_err(|e| format!("cannot count the records on {}: {e}", job.topic))?;
        let idempotent = client.idempotent(job.scenario.idempotence);
        outcome::check_topic(client, on_topic, records, idempotent)?;
    }
    Ok((measured, reported))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_alternate_who_goes_first() {
        use PerfClient::{FranzGo, Kcat, Ottla};
        assert_eq!(turns(&[Ottla, Kcat], 1), [Ottla, Kcat]);
        assert_eq!(
            turns(&[Ottla, Kcat], 3),
            [Ottla, Kcat, Kcat, Ottla, Ottla, Kcat]
        );
        assert_eq!(
            turns(&[Ottla, FranzGo, Kcat], 2),
            [Ottla, FranzGo, Kcat, Kcat, FranzGo, Ottla]
        );
        assert_eq!(turns(&[Ottla], 2), [Ottla, Ottla]);
    }
}
