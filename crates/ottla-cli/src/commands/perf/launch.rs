//! Starting a client as a child process and measuring it.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::broker::BrokerProcess;
use super::child::ChildSummary;
use super::cpu::{reaped_children, CpuTime};
use super::plan::Scenario;

/// What a child's run took.
#[derive(Debug)]
pub struct Measured {
    /// From spawn to reaped.
    pub wall: Duration,
    /// The child's user and system CPU (see `cpu.rs` for the method).
    pub cpu: CpuTime,
    /// Its exit status, stdout and stderr.
    pub output: Output,
    /// The broker's CPU time over the same span, when a broker process is watched.
    pub broker_cpu: Option<Duration>,
}

/// Runs `command` to its end (stdin closed, stdout and stderr captured) and measures it, and
/// `broker`'s CPU time meanwhile. Blocking: call it off the async runtime.
pub fn measure(mut command: Command, broker: Option<BrokerProcess>) -> Result<Measured, String> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let program = command.get_program().to_string_lossy().into_owned();
    let broker_before = broker.map(|b| b.cpu()).transpose()?;
    let before = reaped_children().map_err(|e| format!("getrusage: {e}"))?;
    let started = Instant::now();
    let child = command
        .spawn()
        .map_err(|e| format!("cannot start {program}: {e}"))?;
    let output = child
        .wait_with_output()
        .map_err(|e| format!("waiting for {program}: {e}"))?;
    let wall = started.elapsed();
    let after = reaped_children().map_err(|e| format!("getrusage: {e}"))?;
    let broker_cpu = match (broker, broker_before) {
        (Some(b), Some(before)) => Some(b.cpu()?.saturating_sub(before)),
        _ => None,
    };
    Ok(Measured {
        wall,
        cpu: after.since(before),
        output,
        broker_cpu,
    })
}

/// `ottla [-X k=v …] perf produce --child …` for this scenario.
pub fn ottla_command(
    exe: &Path,
    props: &ottla::Properties,
    scenario: &Scenario,
    topic: &str,
) -> Command {
    let mut c = Command::new(exe);
    c.env_remove("OTTLA_BROKERS");
    for (k, v) in props.iter() {
        c.arg("-X").arg(format!("{k}={v}"));
    }
    c.args(["perf", "produce", "--child", "--topic", topic])
        .arg("--records")
        .arg(scenario.records.to_string())
        .arg("--record-size")
        .arg(scenario.record_size.to_string())
        .arg("--partitions")
        .arg(scenario.partitions.to_string())
        .args(["--compression", scenario.compression])
        .args(["--acks", scenario.acks])
        .arg("--linger-ms")
        .arg(scenario.linger_ms.to_string())
        .arg("--idempotence")
        .arg(scenario.idempotence.to_string());
    c
}

/// `kcat -P -b … -t … -X linger.ms=… -X acks=… -X compression.codec=… -l FILE`; every other
/// property given to `ottla perf` goes to kcat as `-X` too (security settings share names).
pub fn kcat_command(
    kcat: &Path,
    props: &ottla::Properties,
    scenario: &Scenario,
    topic: &str,
    payload_file: &Path,
) -> Command {
    let mut c = Command::new(kcat);
    c.arg("-P");
    for (k, v) in props.iter() {
        match k {
            "bootstrap.servers" => c.arg("-b").arg(v),
            _ => c.arg("-X").arg(format!("{k}={v}")),
        };
    }
    c.args(["-t", topic])
        .arg("-X")
        .arg(format!("linger.ms={}", scenario.linger_ms))
        .arg("-X")
        .arg(format!("acks={}", scenario.acks))
        .arg("-X")
        .arg(format!("compression.codec={}", scenario.compression))
        .arg("-X")
        .arg(format!("enable.idempotence={}", scenario.idempotence))
        .arg("-l")
        .arg(payload_file);
    c
}

fn failure(what: &str, output: &Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    format!("{what} failed ({}): {}", output.status, last.trim())
}

/// Checks the ottla child: exit 0 and a summary saying every record was delivered.
pub fn check_ottla(output: &Output, scenario: &Scenario) -> Result<ChildSummary, String> {
    if !output.status.success() {
        return Err(failure("ottla", output));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let summary: ChildSummary = text
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str(l).ok())
        .ok_or_else(|| format!("ottla child printed no summary: {text:?}"))?;
    if summary.delivered != scenario.records {
        return Err(format!(
            "ottla child delivered {} of {} record(s)",
            summary.delivered, scenario.records
        ));
    }
    Ok(summary)
}

/// Checks kcat: it exits non-zero when a delivery failed and prints the reason on stderr.
pub fn check_kcat(output: &Output) -> Result<(), String> {
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() || stderr.contains("Delivery failed") {
        return Err(failure("kcat", output));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;

    use super::*;

    fn scenario() -> Scenario {
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

    fn args(c: &Command) -> Vec<&str> {
        c.get_args().filter_map(OsStr::to_str).collect()
    }

    #[test]
    fn kcat_gets_the_same_settings() {
        let mut props = ottla::Properties::new();
        props.set("bootstrap.servers", "h:1");
        props.set("client.id", "x");
        let c = kcat_command(
            Path::new("kcat"),
            &props,
            &scenario(),
            "t1",
            Path::new("/tmp/p.txt"),
        );
        assert_eq!(
            args(&c),
            [
                "-P",
                "-b",
                "h:1",
                "-X",
                "client.id=x",
                "-t",
                "t1",
                "-X",
                "linger.ms=5",
                "-X",
                "acks=all",
                "-X",
                "compression.codec=lz4",
                "-X",
                "enable.idempotence=true",
                "-l",
                "/tmp/p.txt"
            ]
        );
    }

    #[test]
    fn ottla_child_gets_the_scenario() {
        let mut props = ottla::Properties::new();
        props.set("bootstrap.servers", "h:1");
        let c = ottla_command(Path::new("ottla"), &props, &scenario(), "t1");
        let a = args(&c);
        assert_eq!(
            &a[..5],
            ["-X", "bootstrap.servers=h:1", "perf", "produce", "--child"]
        );
        let joined = a.join(" ");
        for part in [
            "--topic t1",
            "--records 20",
            "--record-size 100",
            "--compression lz4",
            "--acks all",
            "--linger-ms 5",
            "--idempotence true",
        ] {
            assert!(joined.contains(part), "{joined}");
        }
    }

    #[test]
    fn measured_child_and_its_checks() {
        let mut c = Command::new("sh");
        c.args([
            "-c",
            r#"i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done; echo '{"records":20,"delivered":20,"produce_s":0.5}'"#,
        ]);
        let m = measure(c, None).unwrap();
        assert!(m.cpu.total() > Duration::ZERO);
        assert!(m.wall > Duration::ZERO);
        let s = check_ottla(&m.output, &scenario()).unwrap();
        assert_eq!(s.delivered, 20);
        let mut short = scenario();
        short.records = 21;
        assert!(check_ottla(&m.output, &short)
            .unwrap_err()
            .contains("20 of 21"));

        let mut c = Command::new("sh");
        c.args([
            "-c",
            "echo '% Delivery failed for message: Local: Unknown partition' >&2; exit 1",
        ]);
        let m = measure(c, None).unwrap();
        let e = check_kcat(&m.output).unwrap_err();
        assert!(e.contains("Unknown partition"), "{e}");
        assert!(check_ottla(&m.output, &scenario()).is_err());
    }
}
