//! What one run measured, the figures derived from it, and the medians of repeated runs.

use std::time::Duration;

use serde::Serialize;

use super::super::stats_output::ClientStatsLine;
use super::cpu::CpuTime;
use super::plan::Scenario;
use crate::args::PerfClient;

/// One client's run of one scenario.
#[derive(Debug, Clone, Serialize)]
pub struct RunResult {
    /// Which client.
    pub client: PerfClient,
    /// What it ran.
    #[serde(flatten)]
    pub scenario: Scenario,
    /// The fresh topic it wrote to.
    pub topic: String,
    /// From spawn to exit (connecting and metadata included, as for a user).
    pub wall_s: f64,
    /// User CPU seconds of the child.
    pub cpu_user_s: f64,
    /// System CPU seconds of the child.
    pub cpu_system_s: f64,
    /// User + system.
    pub cpu_s: f64,
    /// Records per wall second.
    pub msgs_per_s: f64,
    /// Payload megabytes (10^6 bytes) per wall second.
    pub mb_per_s: f64,
    /// CPU microseconds per record.
    pub cpu_us_per_msg: f64,
    /// Runs these figures stand for (above 1: the medians of that many runs).
    pub runs: usize,
    /// The broker's CPU seconds during the run (`--broker-pid`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broker_cpu_s: Option<f64>,
    /// Broker CPU time / wall time: near 1 (or above, for a broker serving on several
    /// threads), the broker was busy all the run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broker_busy: Option<f64>,
    /// The client's own seconds from its first send to its last delivery (start-up
    /// excluded), when it reports them (ottla, franz-go, java).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub produce_s: Option<f64>,
    /// The consumer's own seconds from its first fetch to its last record (`perf consume`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consume_s: Option<f64>,
    /// ottla's own client stats for the run (requests, bytes, round trips, batching).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_stats: Option<ClientStatsLine>,
}

/// `n / d`, or 0 when `d` is not positive.
fn per(n: f64, d: f64) -> f64 {
    if d > 0.0 {
        n / d
    } else {
        0.0
    }
}

impl RunResult {
    /// Derives the figures of a run from its wall time and CPU time.
    pub fn new(
        client: PerfClient,
        scenario: Scenario,
        topic: String,
        wall: Duration,
        cpu: CpuTime,
    ) -> Self {
        let wall_s = wall.as_secs_f64();
        let cpu_s = cpu.total().as_secs_f64();
        let records = scenario.records as f64;
        Self {
            client,
            topic,
            wall_s,
            cpu_user_s: cpu.user.as_secs_f64(),
            cpu_system_s: cpu.system.as_secs_f64(),
            cpu_s,
            msgs_per_s: per(records, wall_s),
            mb_per_s: per(scenario.payload_bytes() as f64 / 1e6, wall_s),
            cpu_us_per_msg: per(cpu_s * 1e6, records),
            scenario,
            runs: 1,
            broker_cpu_s: None,
            broker_busy: None,
            produce_s: None,
            consume_s: None,
            client_stats: None,
        }
    }

    /// The figures of a measured child's run, the broker's CPU time included when watched.
    pub fn measured(
        client: PerfClient,
        scenario: Scenario,
        topic: String,
        m: &super::launch::Measured,
    ) -> Self {
        let r = Self::new(client, scenario, topic, m.wall, m.cpu);
        match m.broker_cpu {
            Some(cpu) => r.with_broker_cpu(cpu),
            None => r,
        }
    }

    /// One progress line: client, scenario, throughput and CPU per record.
    pub fn one_line(&self) -> String {
        format!(
            "{:<11} {}: {:.0} msgs/s, {:.1} MB/s, {:.3} CPU µs/msg",
            self.client.name(),
            self.scenario.label(),
            self.msgs_per_s,
            self.mb_per_s,
            self.cpu_us_per_msg
        )
    }

    /// Adds the client's own produce time.
    pub fn with_produce_s(mut self, produce_s: Option<f64>) -> Self {
        self.produce_s = produce_s;
        self
    }

    /// Adds the broker's CPU time over the run.
    pub fn with_broker_cpu(mut self, cpu: Duration) -> Self {
        let cpu_s = cpu.as_secs_f64();
        self.broker_cpu_s = Some(cpu_s);
        self.broker_busy = (self.wall_s > 0.0).then(|| cpu_s / self.wall_s);
        self
    }
}

/// The middle value's index in a sorted list of `n` (the upper middle when `n` is even).
fn middle(n: usize) -> usize {
    n / 2
}

/// The median of `values` (the upper middle of an even count), `None` for none.
fn median(values: impl Iterator<Item = f64>) -> Option<f64> {
    let mut v: Vec<f64> = values.collect();
    v.sort_by(f64::total_cmp);
    v.get(middle(v.len())).copied()
}

/// One result per client and scenario, in the order of their first run: the median wall
/// time and, from the run with the median CPU time, its user and system time. Throughput and
/// CPU per record are derived from those, so one slow or busy run does not decide a ratio.
pub fn medians(runs: &[RunResult]) -> Vec<RunResult> {
    let mut out: Vec<RunResult> = Vec::new();
    for first in runs {
        if out
            .iter()
            .any(|m| m.client == first.client && m.scenario == first.scenario)
        {
            continue;
        }
        let mut same: Vec<&RunResult> = runs
            .iter()
            .filter(|r| r.client == first.client && r.scenario == first.scenario)
            .collect();
        let mid = middle(same.len());
        same.sort_by(|a, b| a.wall_s.total_cmp(&b.wall_s));
        let wall = same[mid].wall_s;
        same.sort_by(|a, b| a.cpu_s.total_cmp(&b.cpu_s));
        let cpu = same[mid];
        let mut m = RunResult::new(
            first.client,
            first.scenario.clone(),
            cpu.topic.clone(),
            Duration::from_secs_f64(wall),
            CpuTime {
                user: Duration::from_secs_f64(cpu.cpu_user_s),
                system: Duration::from_secs_f64(cpu.cpu_system_s),
            },
        );
        if let Some(b) = median(same.iter().filter_map(|r| r.broker_cpu_s)) {
            m = m.with_broker_cpu(Duration::from_secs_f64(b));
        }
        m.produce_s = median(same.iter().filter_map(|r| r.produce_s));
        m.consume_s = median(same.iter().filter_map(|r| r.consume_s));
        m.runs = same.len();
        out.push(m);
    }
    out
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub fn scenario(records: u64, size: usize) -> Scenario {
        Scenario {
            records,
            record_size: size,
            partitions: 1,
            compression: "none",
            acks: "all",
            linger_ms: 5,
            idempotence: true,
        }
    }

    pub fn run(
        client: PerfClient,
        s: Scenario,
        wall_ms: u64,
        user_ms: u64,
        sys_ms: u64,
    ) -> RunResult {
        RunResult::new(
            client,
            s,
            "t".into(),
            Duration::from_millis(wall_ms),
            CpuTime {
                user: Duration::from_millis(user_ms),
                system: Duration::from_millis(sys_ms),
            },
        )
    }

    #[test]
    fn figures_of_a_run() {
        // 1,000,000 × 100 B in 2 s with 1.5 s user + 0.5 s system.
        let r = run(PerfClient::Ottla, scenario(1_000_000, 100), 2000, 1500, 500);
        assert_eq!(r.wall_s, 2.0);
        assert_eq!(r.cpu_s, 2.0);
        assert_eq!(r.msgs_per_s, 500_000.0);
        assert_eq!(r.mb_per_s, 50.0);
        assert!((r.cpu_us_per_msg - 2.0).abs() < 1e-9);
        let zero = run(PerfClient::Kcat, scenario(10, 1), 0, 0, 0);
        assert_eq!(
            (zero.msgs_per_s, zero.mb_per_s, zero.cpu_us_per_msg),
            (0.0, 0.0, 0.0)
        );
    }

    #[test]
    fn medians_per_client_and_scenario() {
        let s = scenario(1_000_000, 100);
        let other = scenario(10, 1);
        let runs = [
            run(PerfClient::Ottla, s.clone(), 900, 500, 100),
            run(PerfClient::Kcat, s.clone(), 2000, 1000, 0),
            run(PerfClient::Ottla, s.clone(), 3000, 300, 100), // slow but idle
            run(PerfClient::Ottla, other.clone(), 50, 5, 0),
            run(PerfClient::Ottla, s.clone(), 1000, 700, 200), // busy
        ];
        let m = medians(&runs);
        assert_eq!(m.len(), 3);
        let o = &m[0];
        assert_eq!((o.client, o.runs), (PerfClient::Ottla, 3));
        assert!((o.wall_s - 1.0).abs() < 1e-9, "{o:?}");
        // The median CPU run is 500 + 100 ms, its user and system time kept together.
        assert!((o.cpu_user_s - 0.5).abs() < 1e-9 && (o.cpu_system_s - 0.1).abs() < 1e-9);
        assert!((o.cpu_us_per_msg - 0.6).abs() < 1e-9);
        assert_eq!(
            (m[1].client, m[1].runs, m[1].wall_s),
            (PerfClient::Kcat, 1, 2.0)
        );
        assert_eq!((m[2].scenario.records, m[2].runs), (10, 1));
        // Two runs: the upper middle.
        let two = medians(&runs[..3]);
        assert!((two[0].wall_s - 3.0).abs() < 1e-9);
        assert_eq!(two[0].broker_cpu_s, None);
        // Broker figures: the median broker CPU, as a share of the median wall time.
        let watched = [
            runs[0].clone().with_broker_cpu(Duration::from_millis(850)),
            runs[2].clone().with_broker_cpu(Duration::from_millis(2900)),
            runs[4].clone().with_broker_cpu(Duration::from_millis(950)),
        ];
        let b = &medians(&watched)[0];
        assert_eq!(b.broker_cpu_s, Some(0.95));
        assert!((b.broker_busy.unwrap() - 0.95).abs() < 1e-9, "{b:?}");
        assert_eq!(b.produce_s, None);
        // The clients' own produce times: the median of those reported.
        let timed = [
            runs[0].clone().with_produce_s(Some(0.7)),
            runs[2].clone().with_produce_s(Some(2.5)),
            runs[4].clone().with_produce_s(Some(0.8)),
        ];
        assert_eq!(medians(&timed)[0].produce_s, Some(0.8));
    }

    #[test]
    fn json_is_flat() {
        let r = run(PerfClient::Kcat, scenario(10, 4), 1000, 10, 0);
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["client"], "kcat");
        assert_eq!(v["records"], 10);
        assert_eq!(v["compression"], "none");
        assert_eq!(v["msgs_per_s"], 10.0);
        assert!(v.get("produce_s").is_none() && v.get("broker_cpu_s").is_none());
        let v =
            serde_json::to_value(run(PerfClient::KcatNoidem, scenario(10, 4), 1, 1, 0)).unwrap();
        assert_eq!(v["client"], "kcat-noidem");
    }
}
