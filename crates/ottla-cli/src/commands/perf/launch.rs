//! Starting a client as a child process and measuring it.

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::broker::BrokerProcess;
use super::cpu::{reaped_children, CpuTime};

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_is_measured_with_its_output() {
        let mut c = Command::new("sh");
        c.args([
            "-c",
            "i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done; echo out; echo err >&2; exit 3",
        ]);
        let m = measure(c, None).unwrap();
        assert!(m.cpu.total() > Duration::ZERO);
        assert!(m.wall > Duration::ZERO);
        assert_eq!(m.output.status.code(), Some(3));
        assert_eq!(
            (&m.output.stdout[..], &m.output.stderr[..]),
            (&b"out\n"[..], &b"err\n"[..])
        );
        assert_eq!(m.broker_cpu, None);
        let e = measure(Command::new("/nonexistent/peer"), None).unwrap_err();
        assert!(e.starts_with("cannot start /nonexistent/peer"), "{e}");
    }
}
