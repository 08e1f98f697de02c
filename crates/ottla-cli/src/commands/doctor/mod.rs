//! `ottla doctor`: walks DNS → TCP → TLS → Kafka (ApiVersions) → clock (SigV4) → SASL →
//! Metadata → produce/consume for the first bootstrap server, and for the first step that
//! fails says what failed and the likely causes. Knows Amazon MSK's port convention
//! ([`msk_ports`]).

mod certificate;
mod clock_check;
mod connect_failure;
mod http_date;
mod kafka_step;
mod metadata_step;
mod msk_ports;
mod network;
mod probe;
mod report;
mod round_trip;
mod sasl_step;
mod target;
mod tls_step;

use std::fmt;
use std::io::Write;
use std::time::Duration;

use ottla_aws::{AwsEnv, Clock, HttpClient};
use serde_json::json;
use tokio::time::Instant;

use super::CmdResult;
use crate::args::DoctorArgs;
use crate::settings;
use report::{Report, Status, Step};
use target::Target;

/// The steps, in order.
const STEPS: &[&str] = &[
    "Config", "DNS", "TCP", "TLS", "Kafka", "Clock", "SASL", "Metadata", "Produce", "Consume",
];

/// How long the clock check waits for the STS endpoint.
const CLOCK_TIMEOUT: Duration = Duration::from_secs(10);

/// The doctor found a failure (already printed): exit with status 1 and say nothing more.
#[derive(Debug)]
pub struct Failed;

impl fmt::Display for Failed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a check failed")
    }
}

impl std::error::Error for Failed {}

/// What the checks read from outside the configuration: the environment (AWS region and
/// endpoint overrides), the clock, and the HTTP client for the clock check.
#[derive(Debug, Clone)]
pub struct Environment {
    /// `AWS_*` variables.
    pub aws_env: AwsEnv,
    /// Local time.
    pub clock: Clock,
    /// HTTP for the STS endpoint.
    pub http: HttpClient,
}

/// Runs every check, prints the report and fails with [`Failed`] when a check failed.
pub async fn run(props: &ottla::Properties, args: DoctorArgs) -> CmdResult {
    let env = Environment {
        aws_env: AwsEnv::from_process(),
        clock: Clock::system(),
        http: HttpClient::new(),
    };
    let json = args.json;
    let mut print_step = |s: &Step| {
        if !json {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(s.text().as_bytes());
            let _ = out.flush();
        }
    };
    let report = diagnose(props, &args, &env, &mut print_step).await;
    let mut out = std::io::stdout().lock();
    if json {
        out.write_all(report.json()?.as_bytes())?;
    } else {
        writeln!(out, "{}", report.verdict())?;
    }
    out.flush()?;
    if report.ok {
        Ok(())
    } else {
        Err(Box::new(Failed))
    }
}

/// The steps taken so far; `on_step` sees each as it is recorded.
struct Steps<'a> {
    done: Vec<Step>,
    on_step: &'a mut dyn FnMut(&Step),
}

impl Steps<'_> {
    fn record(&mut self, step: Step) {
        (self.on_step)(&step);
        self.done.push(step);
    }

    /// Records a step's outcome with its time; the value on success, `None` on failure.
    fn timed<T>(&mut self, started: Instant, r: Result<(Step, T), Step>) -> Option<T> {
        match r {
            Ok((s, v)) => {
                self.record(s.took(started.elapsed()));
                Some(v)
            }
            Err(s) => {
                self.record(s.took(started.elapsed()));
                None
            }
        }
    }

    /// Every step not recorded yet, as skipped.
    fn finish(mut self, target: String) -> Report {
        let failed = self.done.iter().any(|s| s.status == Status::Fail);
        for name in STEPS {
            if !self.done.iter().any(|s| s.name == *name) {
                let why = if failed {
                    "skipped: an earlier step failed"
                } else {
                    "skipped"
                };
                self.record(Step::skipped(name, why));
            }
        }
        Report::new(target, self.done)
    }
}

/// Runs the checks in order, stopping at the first failure.
pub async fn diagnose(
    props: &ottla::Properties,
    args: &DoctorArgs,
    env: &Environment,
    on_step: &mut dyn FnMut(&Step),
) -> Report {
    let mut steps = Steps {
        done: Vec::new(),
        on_step,
    };
    let t = Instant::now();
    let Some(target) = steps.timed(t, config(props)) else {
        return steps.finish(String::new());
    };
    let endpoint = target.endpoint();
    walk(&target, args, env, &mut steps).await;
    steps.finish(endpoint)
}

/// Every step after Config; `None` once one failed.
async fn walk(
    target: &Target,
    args: &DoctorArgs,
    env: &Environment,
    steps: &mut Steps<'_>,
) -> Option<()> {
    let t = Instant::now();
    let addrs = steps.timed(t, network::dns(target).await)?;
    let t = Instant::now();
    steps.timed(t, network::tcp(target, &addrs).await.map(|s| (s, ())))?;
    let protocol = target.protocol();
    let transport = if protocol.uses_tls() {
        let t = Instant::now();
        Some(steps.timed(t, tls_step::tls(target, env.clock.now()).await)?)
    } else {
        steps.record(Step::skipped(
            "TLS",
            format!(
                "skipped: not used (security.protocol={})",
                protocol_name(target)
            ),
        ));
        None
    };
    let t = Instant::now();
    let probe = steps.timed(t, kafka_step::kafka(target, transport).await)?;
    let clock_checked = if target.config.security().uses_aws() {
        let t = Instant::now();
        let region = clock_check::region(
            target.config.security().aws.region.as_deref(),
            &env.aws_env,
            &target.host,
        );
        let url = clock_check::sts_endpoint(&env.aws_env, region.as_deref());
        let verdict = clock_check::check(&url, &env.clock, &env.http, CLOCK_TIMEOUT).await;
        let measured = matches!(verdict, clock_check::ClockVerdict::Measured { .. });
        steps.timed(t, clock_check::step(&verdict).map(|s| (s, ())))?;
        measured
    } else {
        steps.record(Step::skipped(
            "Clock",
            "skipped: not needed (no AWS signing)",
        ));
        false
    };
    let connected = if protocol.uses_sasl() {
        let t = Instant::now();
        Some(steps.timed(t, sasl_step::sasl(target, probe, clock_checked).await)?)
    } else {
        drop(probe);
        steps.record(Step::skipped(
            "SASL",
            format!(
                "skipped: not used (security.protocol={})",
                protocol_name(target)
            ),
        ));
        None
    };
    let t = Instant::now();
    let topic = args.topic.as_deref();
    let client = steps.timed(t, metadata_step::metadata(target, connected, topic).await)?;
    let Some(topic) = topic else {
        steps.record(Step::skipped("Produce", "skipped: no --topic given"));
        steps.record(Step::skipped("Consume", "skipped: no --topic given"));
        return Some(());
    };
    let t = Instant::now();
    let written = steps.timed(t, round_trip::produce(target, &client, topic).await)?;
    let t = Instant::now();
    steps.timed(
        t,
        round_trip::consume(target, &client, topic, &written)
            .await
            .map(|s| (s, ())),
    )?;
    Some(())
}

fn protocol_name(target: &Target) -> &'static str {
    match target.protocol() {
        ottla::config::SecurityProtocol::Plaintext => "PLAINTEXT",
        ottla::config::SecurityProtocol::Ssl => "SSL",
        ottla::config::SecurityProtocol::SaslPlaintext => "SASL_PLAINTEXT",
        ottla::config::SecurityProtocol::SaslSsl => "SASL_SSL",
    }
}

/// The Config step: the client configuration, and what the port convention says about it.
fn config(props: &ottla::Properties) -> Result<(Step, Target), Step> {
    let config = settings::client_config(props, &[]).map_err(|e| {
        Step::fail("Config", format!("the configuration is invalid: {e}"))
            .hints(e.key().map(|k| format!("fix or remove {k} (-X, -F or -b)")))
    })?;
    let count = config.bootstrap_servers().len();
    let Some(target) = Target::new(config) else {
        return Err(Step::fail("Config", "bootstrap.servers lists no server")
            .hints(["set -b HOST:PORT or bootstrap.servers".to_owned()]));
    };
    let mut detail = vec![format!("settings: {}", target.settings_text())];
    if count > 1 {
        detail.push(format!(
            "bootstrap.servers lists {count} servers; the checks use the first"
        ));
    }
    let s = &target.config.security();
    if s.uses_aws() {
        let region = s.aws.region.as_deref().unwrap_or("from the environment");
        let profile = s.aws.profile.as_deref().unwrap_or("default chain");
        detail.push(format!("AWS: region {region}, credentials: {profile}"));
    }
    let step = Step::ok(
        "Config",
        format!(
            "checking {} ({})",
            target.endpoint(),
            target.settings_text()
        ),
    )
    .detail(detail)
    .warnings(target.port_hints.iter().cloned())
    .data(json!({
        "bootstrap": target.endpoint(),
        "bootstrap_servers": count,
        "security_protocol": protocol_name(&target),
        "sasl_mechanism": target.mechanism().map(|m| m.name()),
        "port_hints": target.port_hints,
    }));
    Ok((step, target))
}
