//! Whether a client's run succeeded: what it said when it finished, and what reached the
//! topic. A failure names the client and its last stderr line.
//!
//! | client | succeeded when it exited 0 and |
//! |---|---|
//! | `ottla`, `franz-go`, `java` | printed `{"records":N,"delivered":N,"produce_s":S}` |
//! | `ottla-file` | wrote `produced N record(s) to T` on stderr |
//! | `kcat`, `kcat-noidem` | wrote no `Delivery failed` on stderr |
//!
//! and, for every client (unless `acks=0`), the topic's partitions end at N records in all,
//! or at least N for a client that is not idempotent (a retried batch may be written twice).

use std::process::Output;

use super::super::produce::report::parse_summary;
use super::child::ChildSummary;
use crate::args::PerfClient;

/// What a client reported about its run.
#[derive(Debug, Clone, PartialEq)]
pub struct Reported {
    /// Records it says were delivered (kcat says nothing when every one was).
    pub delivered: Option<u64>,
    /// Its own seconds from the first send to the last delivery, start-up excluded (the
    /// clients that print a summary).
    pub produce_s: Option<f64>,
    /// ottla's own client stats (only ottla prints them).
    pub stats: Option<super::super::stats_output::ClientStatsLine>,
}

/// Checks a finished client's exit status and output: every one of `records` delivered.
pub fn check(client: PerfClient, output: &Output, records: u64) -> Result<Reported, String> {
    if !output.status.success() {
        return Err(failure(
            client,
            &format!("failed ({})", output.status),
            output,
        ));
    }
    let reported = match client {
        PerfClient::Ottla | PerfClient::FranzGo | PerfClient::Java => {
            let stdout = String::from_utf8_lossy(&output.stdout);
            let summary: ChildSummary = stdout
                .lines()
                .rev()
                .find_map(|l| serde_json::from_str(l).ok())
                .ok_or_else(|| {
                    failure(
                        client,
                        &format!("printed no summary (stdout {stdout:?})"),
                        output,
                    )
                })?;
            if summary.records != records {
                return Err(failure(
                    client,
                    &format!("sent {} record(s) instead of {records}", summary.records),
                    output,
                ));
            }
            Reported {
                delivered: Some(summary.delivered),
                produce_s: Some(summary.produce_s),
                stats: summary.stats,
            }
        }
        PerfClient::OttlaFile => {
            let delivered = stderr(output)
                .lines()
                .rev()
                .find_map(parse_summary)
                .ok_or_else(|| failure(client, "wrote no summary line", output))?;
            Reported {
                delivered: Some(delivered),
                produce_s: None,
                stats: None,
            }
        }
        PerfClient::Kcat | PerfClient::KcatNoidem => {
            if stderr(output).contains("Delivery failed") {
                return Err(failure(client, "failed a delivery", output));
            }
            Reported {
                delivered: None,
                produce_s: None,
                stats: None,
            }
        }
    };
    match reported.delivered {
        Some(d) if d != records => Err(failure(
            client,
            &format!("delivered {d} of {records} record(s)"),
            output,
        )),
        _ => Ok(reported),
    }
}

/// Checks the records on the run's topic after the client finished: `records`, or at least
/// that many when the client was not idempotent (it may have written a retried batch twice).
pub fn check_topic(
    client: PerfClient,
    on_topic: u64,
    records: u64,
    idempotent: bool,
) -> Result<(), String> {
    if on_topic == records || (on_topic > records && !idempotent) {
        return Ok(());
    }
    Err(format!(
        "{} finished, but the topic holds {on_topic} record(s), not {records}{}",
        client.name(),
        if idempotent { " (idempotent)" } else { "" }
    ))
}

fn stderr(output: &Output) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(&output.stderr)
}

/// `CLIENT WHAT; last stderr line: …`.
fn failure(client: PerfClient, what: &str, output: &Output) -> String {
    let stderr = stderr(output);
    let last = stderr
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("(none)");
    format!("{} {what}; last stderr line: {last}", client.name())
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::process::Command;
    use std::time::Duration;

    use super::super::command_line::{peer, Job};
    use super::super::launch::measure;
    use super::super::plan::sample_scenario;
    use super::*;
    use PerfClient::{FranzGo, Java, Kcat, KcatNoidem, Ottla, OttlaFile};

    fn sh(script: &str) -> Output {
        Command::new("sh").args(["-c", script]).output().unwrap()
    }

    #[test]
    fn summaries_are_checked() {
        let ok = sh(r#"echo starting; echo '{"records":20,"delivered":20,"produce_s":0.5}'"#);
        for client in [Ottla, FranzGo, Java] {
            assert_eq!(
                check(client, &ok, 20).unwrap(),
                Reported {
                    delivered: Some(20),
                    produce_s: Some(0.5),
                    stats: None,
                }
            );
        }
        let e = check(Java, &ok, 21).unwrap_err();
        assert!(e.starts_with("java sent 20 record(s) instead of 21"), "{e}");
        let short =
            sh(r#"echo '{"records":20,"delivered":19,"produce_s":0.5}'; echo 'one timed out' >&2"#);
        let e = check(FranzGo, &short, 20).unwrap_err();
        assert_eq!(
            e,
            "franz-go delivered 19 of 20 record(s); last stderr line: one timed out"
        );
        let e = check(Ottla, &sh("echo nothing"), 20).unwrap_err();
        assert!(e.starts_with("ottla printed no summary"), "{e}");
        assert!(e.ends_with("last stderr line: (none)"), "{e}");
    }

    #[test]
    fn a_failed_exit_names_the_client_and_its_last_stderr_line() {
        let failed = sh(
            r#"echo '{"records":20,"delivered":20,"produce_s":0.5}'; echo 'Exception in thread "main"' >&2; echo '  at Peer.main' >&2; echo >&2; exit 3"#,
        );
        for client in PerfClient::ALL {
            let e = check(client, &failed, 20).unwrap_err();
            assert!(e.starts_with(&format!("{} failed (", client.name())), "{e}");
            assert!(e.ends_with("last stderr line: at Peer.main"), "{e}");
        }
    }

    #[test]
    fn ottla_file_and_kcat_outcomes() {
        let produced = sh("echo 'produced 20 record(s) to t1' >&2");
        assert_eq!(check(OttlaFile, &produced, 20).unwrap().delivered, Some(20));
        let e = check(OttlaFile, &produced, 30).unwrap_err();
        assert!(e.starts_with("ottla-file delivered 20 of 30"), "{e}");
        assert!(check(OttlaFile, &sh("true"), 20)
            .unwrap_err()
            .contains("no summary line"));
        assert_eq!(
            check(Kcat, &sh("true"), 20).unwrap(),
            Reported {
                delivered: None,
                produce_s: None,
                stats: None,
            }
        );
        let failed = sh("echo '% Delivery failed for message: Local: Unknown partition' >&2");
        let e = check(KcatNoidem, &failed, 20).unwrap_err();
        assert!(e.starts_with("kcat-noidem failed a delivery"), "{e}");
        assert!(e.contains("Unknown partition"), "{e}");
    }

    #[test]
    fn the_topic_holds_every_record_once_unless_not_idempotent() {
        assert!(check_topic(Ottla, 20, 20, true).is_ok());
        assert!(check_topic(KcatNoidem, 21, 20, false).is_ok());
        let e = check_topic(Ottla, 21, 20, true).unwrap_err();
        assert_eq!(
            e,
            "ottla finished, but the topic holds 21 record(s), not 20 (idempotent)"
        );
        assert!(check_topic(KcatNoidem, 19, 20, false).is_err());
    }

    /// A fake peer on the contract: it checks its command line, prints the summary and
    /// exits like the real ones; the topic name picks its behaviour.
    const FAKE_PEER: &str = r#"#!/bin/sh
[ "$1" = perf-produce ] || { echo "unknown subcommand $1" >&2; exit 2; }
shift
while [ $# -gt 0 ]; do
  case "$1" in
    --bootstrap) b=$2 ;; --topic) t=$2 ;; --records) n=$2 ;; --record-size) s=$2 ;;
    --compression) c=$2 ;; --acks) a=$2 ;; --linger-ms) l=$2 ;; --idempotence) i=$2 ;;
    --partitions-hint) p=$2 ;; -X) ;;
    *) echo "unknown flag $1" >&2; exit 2 ;;
  esac
  shift 2
done
[ "$b/$s/$c/$a/$l/$i/$p" = "h:1/100/lz4/all/5/true/2" ] || { echo "bad flags $b/$s/$c/$a/$l/$i/$p" >&2; exit 2; }
i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done
case "$t" in
  short) echo "{\"records\":$n,\"delivered\":$((n-1)),\"produce_s\":0.25}"; echo "1 record failed: NOT_LEADER" >&2 ;;
  crash) echo "connection refused" >&2; exit 1 ;;
  *) echo "{\"records\":$n,\"delivered\":$n,\"produce_s\":0.25}" ;;
esac
"#;

    #[test]
    fn a_fake_peer_is_launched_measured_and_checked() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("ottla-fake-peer-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let exe = dir.join("peer");
        std::fs::write(&exe, FAKE_PEER).unwrap();
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
        let mut props = ottla::Properties::new();
        props.set("bootstrap.servers", "h:1");
        props.set("client.id", "x");
        let scenario = sample_scenario();
        let run = |client, topic| {
            let job = Job {
                props: &props,
                scenario: &scenario,
                topic,
            };
            // A script just written may be "busy" while a concurrent test's fork still holds
            // it open: try again then.
            let m = (0..100)
                .find_map(|_| match measure(peer(Path::new(&exe), job), None) {
                    Err(e) if e.contains("busy") => {
                        std::thread::sleep(Duration::from_millis(10));
                        None
                    }
                    other => Some(other.unwrap()),
                })
                .unwrap();
            (m.cpu.total(), check(client, &m.output, scenario.records))
        };
        let (cpu, ok) = run(FranzGo, "t1");
        assert!(cpu > Duration::ZERO);
        assert_eq!(ok.unwrap().produce_s, Some(0.25));
        let e = run(Java, "short").1.unwrap_err();
        assert_eq!(
            e,
            "java delivered 19 of 20 record(s); last stderr line: 1 record failed: NOT_LEADER"
        );
        let e = run(Java, "crash").1.unwrap_err();
        assert!(e.starts_with("java failed (exit status: 1)"), "{e}");
        assert!(e.ends_with("last stderr line: connection refused"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
