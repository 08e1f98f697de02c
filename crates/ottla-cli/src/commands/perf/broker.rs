//! The CPU time of a local broker process during a run, from `/proc/PID/stat`.
//!
//! Fields 14 and 15 of that file (utime, stime) are the process's user and system time over
//! all its threads, in clock ticks (`sysconf(_SC_CLK_TCK)`, 100 per second on Linux): the
//! figure has 10 ms resolution, fine for runs of a second or more. The second field (the
//! command name, in parentheses) may itself hold spaces and parentheses, so the fields are
//! counted from the last `)`.

use std::time::Duration;

use nix::unistd::{sysconf, SysconfVar};

/// A broker process to watch.
#[derive(Debug, Clone, Copy)]
pub struct BrokerProcess {
    pid: u32,
    ticks_per_s: u64,
}

impl BrokerProcess {
    /// Checks that `pid` can be read now.
    pub fn new(pid: u32) -> Result<Self, String> {
        let ticks = sysconf(SysconfVar::CLK_TCK)
            .map_err(|e| format!("sysconf(CLK_TCK): {e}"))?
            .and_then(|t| u64::try_from(t).ok())
            .filter(|&t| t > 0)
            .ok_or("sysconf(CLK_TCK) gave no clock tick rate")?;
        let broker = Self {
            pid,
            ticks_per_s: ticks,
        };
        broker.cpu()?;
        Ok(broker)
    }

    /// The process's user + system CPU time so far.
    pub fn cpu(&self) -> Result<Duration, String> {
        let path = format!("/proc/{}/stat", self.pid);
        let stat = std::fs::read_to_string(&path)
            .map_err(|e| format!("broker process {}: cannot read {path}: {e}", self.pid))?;
        let ticks =
            cpu_ticks(&stat).ok_or_else(|| format!("{path}: no utime and stime in {stat:?}"))?;
        Ok(ticks_to_duration(ticks, self.ticks_per_s))
    }
}

/// utime + stime of a `/proc/PID/stat` line.
fn cpu_ticks(stat: &str) -> Option<u64> {
    let (_, after_name) = stat.rsplit_once(')')?;
    // After the name: state (field 3) … utime (field 14), stime (field 15).
    let mut fields = after_name.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    utime.checked_add(stime)
}

fn ticks_to_duration(ticks: u64, per_s: u64) -> Duration {
    let nanos = u128::from(ticks) * 1_000_000_000 / u128::from(per_s.max(1));
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_counted_after_the_name() {
        // A name with a space and a parenthesis; utime 250, stime 75.
        let stat = "4242 (tan su) x) S 1 4242 4242 0 -1 4194560 9000 0 0 0 250 75 0 0 20 0 \
                    12 0 1234 56184 8344 18446744073709551615";
        assert_eq!(cpu_ticks(stat), Some(325));
        assert_eq!(ticks_to_duration(325, 100), Duration::from_millis(3250));
        assert_eq!(cpu_ticks("4242 (short) S 1 2"), None);
        assert_eq!(cpu_ticks("no name at all"), None);
    }

    #[test]
    fn reads_this_process() {
        let me = BrokerProcess::new(std::process::id()).unwrap();
        let before = me.cpu().unwrap();
        // Spin until the clock ticks at least once (10 ms at 100 Hz).
        let started = std::time::Instant::now();
        let mut x = 0u64;
        while me.cpu().unwrap() == before && started.elapsed() < Duration::from_secs(5) {
            x = x.wrapping_add(1);
        }
        assert!(me.cpu().unwrap() > before, "{x}");
        assert!(BrokerProcess::new(u32::MAX).is_err());
    }
}
