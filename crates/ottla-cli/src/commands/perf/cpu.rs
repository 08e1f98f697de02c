//! CPU time of a measured client, from `getrusage(RUSAGE_CHILDREN)`.
//!
//! The method: take `getrusage(RUSAGE_CHILDREN)` just before a client is spawned and again
//! just after it has been waited for; user + system of the difference is that client's CPU
//! time, all its threads included. This is sound because
//!
//! - the kernel adds a child's whole usage to its parent's `RUSAGE_CHILDREN` totals when the
//!   parent reaps it, and not before: a child still running adds nothing;
//! - `ottla perf` runs the clients strictly one after another and starts no other process,
//!   so exactly one child is reaped between the two snapshots;
//! - the figure includes any process the client itself waited for (a wrapper script that
//!   forked kcat would count whole; the usual wrappers `exec` it anyway).
//!
//! Both clients are measured with the same yardstick. The alternatives are worse: a child's
//! `/proc/PID/stat` disappears at the moment it is reaped (the last reading before exit
//! misses the end of the run) and counts in 10 ms ticks; a child reporting its own usage
//! works for ottla but not for kcat.

use std::time::Duration;

use nix::sys::resource::{getrusage, UsageWho};
use nix::sys::time::TimeVal;
use serde::Serialize;

/// User and system CPU time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CpuTime {
    /// In user mode.
    pub user: Duration,
    /// In the kernel on the process's behalf.
    pub system: Duration,
}

impl CpuTime {
    /// User + system.
    pub fn total(self) -> Duration {
        self.user + self.system
    }

    /// What was spent between `earlier` and `self` (zero where a clock went backwards).
    pub fn since(self, earlier: CpuTime) -> CpuTime {
        CpuTime {
            user: self.user.saturating_sub(earlier.user),
            system: self.system.saturating_sub(earlier.system),
        }
    }
}

/// The CPU time of every child this process has reaped so far.
pub fn reaped_children() -> Result<CpuTime, nix::Error> {
    let usage = getrusage(UsageWho::RUSAGE_CHILDREN)?;
    Ok(CpuTime {
        user: duration(usage.user_time()),
        system: duration(usage.system_time()),
    })
}

/// A `timeval` as a `Duration` (a negative one, which the kernel never reports, as zero).
fn duration(tv: TimeVal) -> Duration {
    let secs = u64::try_from(tv.tv_sec()).unwrap_or(0);
    let micros = u64::try_from(tv.tv_usec()).unwrap_or(0);
    Duration::from_secs(secs) + Duration::from_micros(micros)
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    use super::*;

    #[test]
    fn differences_saturate_and_add_up() {
        let a = CpuTime {
            user: Duration::from_millis(1500),
            system: Duration::from_millis(200),
        };
        let b = CpuTime {
            user: Duration::from_millis(4000),
            system: Duration::from_millis(700),
        };
        let d = b.since(a);
        assert_eq!(d.user, Duration::from_millis(2500));
        assert_eq!(d.system, Duration::from_millis(500));
        assert_eq!(d.total(), Duration::from_secs(3));
        assert_eq!(a.since(b), CpuTime::default());
    }

    #[test]
    fn timevals_convert() {
        assert_eq!(
            duration(TimeVal::new(2, 250_000)),
            Duration::from_micros(2_250_000)
        );
        assert_eq!(duration(TimeVal::new(-1, 0)), Duration::ZERO);
    }

    #[test]
    fn a_reaped_child_that_spins_is_counted() {
        let before = reaped_children().unwrap();
        // A shell loop that burns some CPU in the child (and nothing in this process).
        let status = Command::new("sh")
            .args(["-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done"])
            .status()
            .unwrap();
        assert!(status.success());
        let spent = reaped_children().unwrap().since(before);
        assert!(
            spent.total() >= Duration::from_millis(20),
            "child CPU {spent:?} should be counted"
        );
    }
}
