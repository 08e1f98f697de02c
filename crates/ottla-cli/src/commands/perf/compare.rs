//! Each of our clients against the best reference client that ran the same scenario with the
//! same input path (`clients.rs`: `ottla` against `franz-go`/`java`, `ottla-file` against
//! `kcat`/`kcat-noidem`). Per figure, the best peer at that figure, and ours ÷ theirs:
//!
//! | figure | better | ours ÷ best peer: ours leads when |
//! |---|---|---|
//! | `cpu_s` | lower | below 1 |
//! | `msgs_per_s`, `mb_per_s` | higher | above 1 |
//!
//! The figures are medians when runs were repeated (`results.rs`). A peer whose figure is
//! not positive (nothing measured) is not a candidate.

use serde::Serialize;

use super::plan::Scenario;
use super::results::RunResult;
use crate::args::PerfClient;

/// Which way a figure is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Better {
    /// Less is better (CPU time).
    Lower,
    /// More is better (throughput).
    Higher,
}

impl Better {
    /// Whether `a` beats `b`.
    fn prefers(self, a: f64, b: f64) -> bool {
        match self {
            Better::Lower => a < b,
            Better::Higher => a > b,
        }
    }
}

/// Ours against the best peer at one figure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Versus {
    /// The peer best at this figure.
    pub best_peer: PerfClient,
    /// Our figure.
    pub ours: f64,
    /// That peer's figure.
    pub best: f64,
    /// `ours / best` (`None` when ours is not positive).
    pub ratio: Option<f64>,
    /// Which way the figure is better.
    pub better: Better,
}

/// One of our clients against its peers on one scenario.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// The scenario.
    #[serde(flatten)]
    pub scenario: Scenario,
    /// Ours (`ottla` or `ottla-file`).
    pub client: PerfClient,
    /// The peers that ran the scenario.
    pub peers: Vec<PerfClient>,
    /// CPU seconds (user + system).
    pub cpu_s: Option<Versus>,
    /// Records per second.
    pub msgs_per_s: Option<Versus>,
    /// Payload MB per second.
    pub mb_per_s: Option<Versus>,
}

/// One comparison per scenario (in the order of the runs) and client of ours that ran it
/// alongside at least one of its peers.
pub fn compare(results: &[RunResult]) -> Vec<Comparison> {
    compare_with(results, PerfClient::peers)
}

/// [`compare`] with another pairing of ours and peers (`ottla perf consume`'s).
pub fn compare_with(
    results: &[RunResult],
    peers_of: fn(PerfClient) -> &'static [PerfClient],
) -> Vec<Comparison> {
    let mut scenarios: Vec<&Scenario> = Vec::new();
    for r in results {
        if !scenarios.contains(&&r.scenario) {
            scenarios.push(&r.scenario);
        }
    }
    let mut out = Vec::new();
    for scenario in scenarios {
        let of = |client: PerfClient| {
            results
                .iter()
                .find(|r| r.client == client && &r.scenario == scenario)
        };
        for client in PerfClient::ALL {
            let Some(ours) = of(client) else { continue };
            let peers: Vec<&RunResult> = peers_of(client).iter().filter_map(|&p| of(p)).collect();
            if peers.is_empty() {
                continue;
            }
            out.push(Comparison {
                scenario: scenario.clone(),
                client,
                peers: peers.iter().map(|p| p.client).collect(),
                cpu_s: versus(ours, &peers, |r| r.cpu_s, Better::Lower),
                msgs_per_s: versus(ours, &peers, |r| r.msgs_per_s, Better::Higher),
                mb_per_s: versus(ours, &peers, |r| r.mb_per_s, Better::Higher),
            });
        }
    }
    out
}

/// `ours` against the peer best at `figure` (the first of equals); `None` when no peer has a
/// positive figure.
fn versus(
    ours: &RunResult,
    peers: &[&RunResult],
    figure: fn(&RunResult) -> f64,
    better: Better,
) -> Option<Versus> {
    let best = peers
        .iter()
        .copied()
        .filter(|p| figure(p) > 0.0)
        .reduce(|a, b| {
            if better.prefers(figure(b), figure(a)) {
                b
            } else {
                a
            }
        })?;
    let (o, b) = (figure(ours), figure(best));
    Some(Versus {
        best_peer: best.client,
        ours: o,
        best: b,
        ratio: (o > 0.0).then(|| o / b),
        better,
    })
}

#[cfg(test)]
mod tests {
    use super::super::results::tests::{run, scenario};
    use super::*;
    use PerfClient::{FranzGo, Java, Kcat, KcatNoidem, Ottla, OttlaFile};

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-9)
    }

    #[test]
    fn each_figure_against_the_peer_best_at_it() {
        let s = scenario(1_000_000, 100);
        // franz-go is the fastest in-memory peer, java the one spending least CPU.
        let results = [
            run(Ottla, s.clone(), 1000, 600, 200),       // 1 M/s, 0.8 s CPU
            run(FranzGo, s.clone(), 500, 1500, 500),     // 2 M/s, 2.0 s
            run(Java, s.clone(), 2000, 300, 100),        // 0.5 M/s, 0.4 s
            run(OttlaFile, s.clone(), 2000, 900, 100),   // 0.5 M/s, 1.0 s
            run(Kcat, s.clone(), 4000, 1800, 200),       // 0.25 M/s, 2.0 s
            run(KcatNoidem, s.clone(), 1000, 2400, 600), // 1 M/s, 3.0 s
        ];
        let c = compare(&results);
        assert_eq!(c.len(), 2);
        let (mem, file) = (&c[0], &c[1]);
        assert_eq!((mem.client, &mem.peers[..]), (Ottla, &[FranzGo, Java][..]));
        let cpu = mem.cpu_s.as_ref().unwrap();
        assert_eq!((cpu.best_peer, cpu.better), (Java, Better::Lower));
        assert!(close(cpu.ratio, 2.0), "{cpu:?}"); // 0.8 s ÷ 0.4 s: twice java's CPU
        let rate = mem.msgs_per_s.as_ref().unwrap();
        assert_eq!((rate.best_peer, rate.better), (FranzGo, Better::Higher));
        assert!(close(rate.ratio, 0.5), "{rate:?}"); // half franz-go's rate
        assert_eq!(rate.best, 2_000_000.0);
        let mb = mem.mb_per_s.as_ref().unwrap();
        assert_eq!(mb.best_peer, FranzGo);
        assert!(close(mb.ratio, 0.5), "{mb:?}");

        assert_eq!(
            (file.client, &file.peers[..]),
            (OttlaFile, &[Kcat, KcatNoidem][..])
        );
        let cpu = file.cpu_s.as_ref().unwrap();
        assert_eq!(cpu.best_peer, Kcat); // 2.0 s, not kcat-noidem's 3.0 s
        assert!(close(cpu.ratio, 0.5), "{cpu:?}");
        let rate = file.msgs_per_s.as_ref().unwrap();
        assert_eq!(rate.best_peer, KcatNoidem); // 1 M/s, not kcat's 0.25 M/s
        assert!(close(rate.ratio, 0.5), "{rate:?}");
    }

    #[test]
    fn only_scenarios_with_a_peer_and_only_measured_peers() {
        let small = scenario(1_000_000, 100);
        let big = scenario(100_000, 10_000);
        let results = [
            run(Ottla, small.clone(), 1000, 600, 200),
            run(OttlaFile, small.clone(), 1000, 600, 200), // no kcat ran: no comparison
            run(Ottla, big.clone(), 1000, 0, 0),           // nothing measured
            run(Java, big.clone(), 1000, 0, 0),            // nor here
            run(FranzGo, big.clone(), 2000, 500, 0),
            run(FranzGo, small.clone(), 1000, 400, 0),
        ];
        let c = compare(&results);
        assert_eq!(
            c.iter()
                .map(|c| (c.scenario.records, c.client))
                .collect::<Vec<_>>(),
            [(1_000_000, Ottla), (100_000, Ottla)]
        );
        assert_eq!(c[0].peers, [FranzGo]);
        // java's zero CPU is not a measurement: franz-go is the best at CPU; ours measured
        // nothing, so there is no ratio.
        let cpu = c[1].cpu_s.as_ref().unwrap();
        assert_eq!((cpu.best_peer, cpu.ratio), (FranzGo, None));
        // java's rate was measured, and it is the faster.
        assert_eq!(c[1].msgs_per_s.as_ref().unwrap().best_peer, Java);
        // Equal figures: the first peer.
        let tie = [
            run(Ottla, big.clone(), 1000, 100, 0),
            run(FranzGo, big.clone(), 1000, 100, 0),
            run(Java, big, 1000, 100, 0),
        ];
        let t = &compare(&tie)[0];
        assert_eq!(t.msgs_per_s.as_ref().unwrap().best_peer, FranzGo);
        assert_eq!(t.cpu_s.as_ref().unwrap().best_peer, FranzGo);
        let idle = [
            run(Ottla, small.clone(), 1000, 1, 0),
            run(Java, small, 1000, 0, 0),
        ];
        assert_eq!(compare(&idle)[0].cpu_s, None);
    }

    #[test]
    fn json_names_the_best_peer_per_figure() {
        let s = scenario(10, 4);
        let c = compare(&[
            run(OttlaFile, s.clone(), 1000, 10, 0),
            run(KcatNoidem, s, 500, 20, 0),
        ]);
        let v = serde_json::to_value(&c[0]).unwrap();
        assert_eq!(v["client"], "ottla-file");
        assert_eq!(v["records"], 10);
        assert_eq!(v["peers"][0], "kcat-noidem");
        assert_eq!(v["cpu_s"]["best_peer"], "kcat-noidem");
        assert_eq!(v["cpu_s"]["better"], "lower");
        assert_eq!(v["cpu_s"]["ratio"], 0.5);
        assert_eq!(v["msgs_per_s"]["better"], "higher");
        assert_eq!(v["msgs_per_s"]["ratio"], 0.5);
    }
}
