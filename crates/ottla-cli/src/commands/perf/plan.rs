//! What to run: one configuration, or the matrix.

use ottla::protocol::compression::Compression;
use serde::Serialize;

use crate::args::{PerfConsumeArgs, PerfDataArgs, PerfProduceArgs};

/// One configuration both clients run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scenario {
    /// Records to produce.
    pub records: u64,
    /// Payload bytes per record.
    pub record_size: usize,
    /// Partitions of the fresh topic.
    pub partitions: i32,
    /// Codec name (`none`, `lz4`, …).
    pub compression: &'static str,
    /// `0`, `1` or `all`.
    pub acks: &'static str,
    /// `linger.ms`.
    pub linger_ms: u64,
    /// `enable.idempotence`.
    pub idempotence: bool,
}

impl Scenario {
    /// Payload bytes of the whole run.
    pub fn payload_bytes(&self) -> u64 {
        self.records.saturating_mul(self.record_size as u64)
    }

    /// A short label: `1000000×100 B p1 none`.
    pub fn label(&self) -> String {
        format!(
            "{}×{} B p{} {}",
            self.records, self.record_size, self.partitions, self.compression
        )
    }
}

/// Normalises `--acks` (`-1` is `all`).
pub fn parse_acks(acks: &str) -> Result<&'static str, String> {
    match acks.trim() {
        "all" | "-1" => Ok("all"),
        "1" => Ok("1"),
        "0" => Ok("0"),
        other => Err(format!("--acks: expected 0, 1 or all, got {other:?}")),
    }
}

/// Checks `--compression` and returns its canonical name.
pub fn parse_compression(name: &str) -> Result<&'static str, String> {
    name.trim()
        .parse::<Compression>()
        .map(Compression::name)
        .map_err(|e| format!("--compression: {e}"))
}

/// The runs `args` asks for, each run by every client.
pub fn scenarios(args: &PerfProduceArgs) -> Result<Vec<Scenario>, String> {
    let acks = parse_acks(&args.acks)?;
    let base = |records, record_size, partitions, compression| Scenario {
        records,
        record_size,
        partitions,
        compression,
        acks,
        linger_ms: args.linger_ms,
        idempotence: args.idempotence,
    };
    pick(args.matrix, &args.data, base)
}

/// The scenarios of `ottla perf consume`: the records are written once per scenario with
/// acks=all, linger.ms=5 and idempotence (what the fields say), then read by every client.
pub fn consume_scenarios(args: &PerfConsumeArgs) -> Result<Vec<Scenario>, String> {
    let base = |records, record_size, partitions, compression| Scenario {
        records,
        record_size,
        partitions,
        compression,
        acks: "all",
        linger_ms: 5,
        idempotence: true,
    };
    pick(args.matrix, &args.data, base)
}

/// The matrix (1,000,000 × 100 B and 100,000 × 10 KB; 1 and 8 partitions; none and lz4), or
/// the one scenario of the flags (records, size, partitions, codec).
fn pick(
    matrix: bool,
    data: &PerfDataArgs,
    base: impl Fn(u64, usize, i32, &'static str) -> Scenario,
) -> Result<Vec<Scenario>, String> {
    let (records, record_size, partitions) = (data.records, data.record_size, data.partitions);
    if matrix {
        let mut all = Vec::new();
        for (records, size) in [(1_000_000, 100), (100_000, 10_000)] {
            for partitions in [1, 8] {
                for codec in ["none", "lz4"] {
                    all.push(base(records, size, partitions, codec));
                }
            }
        }
        return Ok(all);
    }
    if records == 0 || record_size == 0 || partitions < 1 {
        return Err("--records, --record-size and --partitions must be at least 1".into());
    }
    let codec = parse_compression(&data.compression)?;
    Ok(vec![base(records, record_size, partitions, codec)])
}

/// The small scenario the unit tests of the perf modules share.
#[cfg(test)]
pub fn sample_scenario() -> Scenario {
    Scenario {
        records: 20,
        record_size: 100,
        partitions: 2,
        compression: "lz4",
        acks: "all",
        linger_ms: 5,
        idempotence: true,
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::args::{Cli, Command, PerfCommand};

    fn args(line: &[&str]) -> PerfProduceArgs {
        let mut full = vec!["ottla", "perf", "produce"];
        full.extend_from_slice(line);
        match Cli::parse_from(full).command {
            Command::Perf(PerfCommand::Produce(a)) => a,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn matrix_is_two_sizes_two_partition_counts_two_codecs() {
        let all = scenarios(&args(&["--matrix"])).unwrap();
        assert_eq!(all.len(), 8);
        assert!(all
            .iter()
            .all(|s| s.acks == "all" && s.linger_ms == 5 && s.idempotence));
        assert_eq!(
            all.iter()
                .filter(|s| s.records == 1_000_000 && s.record_size == 100)
                .count(),
            4
        );
        assert_eq!(
            all.iter()
                .filter(|s| s.records == 100_000 && s.record_size == 10_000)
                .count(),
            4
        );
        assert_eq!(
            all.iter()
                .filter(|s| s.partitions == 8 && s.compression == "lz4")
                .count(),
            2
        );
        assert_eq!(all[0].label(), "1000000×100 B p1 none");
        assert_eq!(all[7].payload_bytes(), 1_000_000_000);
    }

    #[test]
    fn one_scenario_from_the_flags() {
        let one = scenarios(&args(&[
            "--records",
            "20",
            "--record-size",
            "7",
            "--partitions",
            "3",
            "--compression",
            "LZ4",
            "--acks",
            "-1",
            "--linger-ms",
            "0",
            "--idempotence",
            "false",
        ]))
        .unwrap();
        assert_eq!(
            one,
            [Scenario {
                records: 20,
                record_size: 7,
                partitions: 3,
                compression: "lz4",
                acks: "all",
                linger_ms: 0,
                idempotence: false,
            }]
        );
        assert!(scenarios(&args(&["--compression", "brotli"]))
            .unwrap_err()
            .contains("--compression"));
        assert!(scenarios(&args(&["--acks", "2"]))
            .unwrap_err()
            .contains("--acks"));
        assert!(scenarios(&args(&["--records", "0"])).is_err());
    }
}
