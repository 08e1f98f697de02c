//! What one run measured, the figures derived from it, and ottla/kcat ratios.

use std::time::Duration;

use serde::Serialize;

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
        }
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
        let mut broker: Vec<f64> = same.iter().filter_map(|r| r.broker_cpu_s).collect();
        broker.sort_by(f64::total_cmp);
        if let Some(&b) = broker.get(middle(broker.len())) {
            m = m.with_broker_cpu(Duration::from_secs_f64(b));
        }
        m.runs = same.len();
        out.push(m);
    }
    out
}

/// ottla against kcat on one scenario.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// The scenario.
    #[serde(flatten)]
    pub scenario: Scenario,
    /// ottla's CPU µs per record / kcat's (below 1: ottla spends less CPU).
    pub cpu_per_msg_ratio: Option<f64>,
    /// ottla's records per second / kcat's (above 1: ottla is faster).
    pub throughput_ratio: Option<f64>,
}

/// `a / b` when both are positive.
fn ratio(a: f64, b: f64) -> Option<f64> {
    (a > 0.0 && b > 0.0).then(|| a / b)
}

/// One comparison per scenario that both clients ran, in the order of the runs.
pub fn compare(runs: &[RunResult]) -> Vec<Comparison> {
    let mut out: Vec<Comparison> = Vec::new();
    for o in runs.iter().filter(|r| r.client == PerfClient::Ottla) {
        if out.iter().any(|c| c.scenario == o.scenario) {
            continue;
        }
        let kcat = runs
            .iter()
            .find(|k| k.client == PerfClient::Kcat && k.scenario == o.scenario);
        if let Some(k) = kcat {
            out.push(Comparison {
                scenario: o.scenario.clone(),
                cpu_per_msg_ratio: ratio(o.cpu_us_per_msg, k.cpu_us_per_msg),
                throughput_ratio: ratio(o.msgs_per_s, k.msgs_per_s),
            });
        }
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
    fn ratios_pair_the_same_scenario() {
        let small = scenario(1_000_000, 100);
        let big = scenario(100_000, 10_000);
        let runs = [
            run(PerfClient::Ottla, small.clone(), 1000, 600, 200), // 0.8 µs/msg, 1 M/s
            run(PerfClient::Kcat, small.clone(), 500, 1200, 400),  // 1.6 µs/msg, 2 M/s
            run(PerfClient::Ottla, big.clone(), 1000, 100, 0),     // no kcat run: no ratio
        ];
        let c = compare(&runs);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].scenario, small);
        assert!((c[0].cpu_per_msg_ratio.unwrap() - 0.5).abs() < 1e-9);
        assert!((c[0].throughput_ratio.unwrap() - 0.5).abs() < 1e-9);
        let idle = [
            run(PerfClient::Ottla, small.clone(), 1000, 0, 0),
            run(PerfClient::Kcat, small, 1000, 0, 0),
        ];
        assert_eq!(compare(&idle)[0].cpu_per_msg_ratio, None);
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
    }

    #[test]
    fn json_is_flat() {
        let r = run(PerfClient::Kcat, scenario(10, 4), 1000, 10, 0);
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["client"], "kcat");
        assert_eq!(v["records"], 10);
        assert_eq!(v["compression"], "none");
        assert_eq!(v["msgs_per_s"], 10.0);
    }
}
