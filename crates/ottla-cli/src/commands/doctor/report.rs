//! The doctor's findings: one [`Step`] per check, printed as text lines or one JSON object.

use std::fmt::Write;
use std::time::Duration;

use serde::Serialize;

/// How a step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Passed.
    Ok,
    /// Passed, with something worth knowing (a certificate about to expire, a clock that
    /// could not be checked, a port that does not fit the settings).
    Warn,
    /// Failed: the steps after it do not run.
    Fail,
    /// Not run: not used by these settings, or an earlier step failed.
    Skipped,
}

impl Status {
    fn mark(self) -> &'static str {
        match self {
            Status::Ok => "✔",
            Status::Warn => "!",
            Status::Fail => "✘",
            Status::Skipped => "–",
        }
    }
}

/// What one check found.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// The check (`DNS`, `TCP`, `TLS`, …).
    pub name: &'static str,
    /// How it ended.
    pub status: Status,
    /// One line: what was found, or what failed.
    pub summary: String,
    /// More lines (addresses, certificates, brokers, …).
    pub detail: Vec<String>,
    /// Things worth knowing even though the step passed.
    pub warnings: Vec<String>,
    /// For a failed step: the likely causes, most likely first.
    pub hints: Vec<String>,
    /// How long it took (none for skipped steps).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elapsed_ms: Option<u64>,
    /// Machine-readable findings (for `--json`).
    #[serde(skip_serializing_if = "serde_json::Value::is_null")]
    pub data: serde_json::Value,
}

impl Step {
    /// A step with this status and summary and nothing else yet.
    pub fn new(name: &'static str, status: Status, summary: impl Into<String>) -> Self {
        Self {
            name,
            status,
            summary: summary.into(),
            detail: Vec::new(),
            warnings: Vec::new(),
            hints: Vec::new(),
            elapsed_ms: None,
            data: serde_json::Value::Null,
        }
    }

    /// A passed step.
    pub fn ok(name: &'static str, summary: impl Into<String>) -> Self {
        Self::new(name, Status::Ok, summary)
    }

    /// A failed step.
    pub fn fail(name: &'static str, summary: impl Into<String>) -> Self {
        Self::new(name, Status::Fail, summary)
    }

    /// A step that was not run, and why.
    pub fn skipped(name: &'static str, why: impl Into<String>) -> Self {
        Self::new(name, Status::Skipped, why)
    }

    /// Adds detail lines.
    pub fn detail(mut self, lines: impl IntoIterator<Item = String>) -> Self {
        self.detail.extend(lines);
        self
    }

    /// Adds likely causes (duplicates dropped).
    pub fn hints(mut self, hints: impl IntoIterator<Item = String>) -> Self {
        for h in hints {
            if !self.hints.contains(&h) {
                self.hints.push(h);
            }
        }
        self
    }

    /// Adds warnings; a passed step becomes [`Status::Warn`].
    pub fn warnings(mut self, warnings: impl IntoIterator<Item = String>) -> Self {
        for w in warnings {
            if !self.warnings.contains(&w) {
                self.warnings.push(w);
            }
        }
        if self.status == Status::Ok && !self.warnings.is_empty() {
            self.status = Status::Warn;
        }
        self
    }

    /// Sets the machine-readable findings.
    pub fn data(mut self, data: serde_json::Value) -> Self {
        self.data = data;
        self
    }

    /// Records how long the step took.
    pub fn took(mut self, elapsed: Duration) -> Self {
        self.elapsed_ms = Some(u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX));
        self
    }

    /// The step as text: the status line, then indented detail, warnings and likely causes.
    pub fn text(&self) -> String {
        let mut s = String::new();
        let time = self
            .elapsed_ms
            .map(|ms| format!("  ({ms} ms)"))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "{} {:<9}{}{time}",
            self.status.mark(),
            self.name,
            self.summary
        );
        for d in &self.detail {
            let _ = writeln!(s, "      {d}");
        }
        for w in &self.warnings {
            let _ = writeln!(s, "    warning: {w}");
        }
        for h in &self.hints {
            let _ = writeln!(s, "    likely cause: {h}");
        }
        s
    }
}

/// Every step, in order.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The broker checked (`host:port`).
    pub target: String,
    /// Whether every step passed (or was skipped as not used).
    pub ok: bool,
    /// The first failed step, if any.
    pub failed_step: Option<&'static str>,
    /// The steps.
    pub steps: Vec<Step>,
}

impl Report {
    /// A report over `steps`.
    pub fn new(target: String, steps: Vec<Step>) -> Self {
        let failed_step = steps
            .iter()
            .find(|s| s.status == Status::Fail)
            .map(|s| s.name);
        Self {
            target,
            ok: failed_step.is_none(),
            failed_step,
            steps,
        }
    }

    /// The last line of the text output.
    pub fn verdict(&self) -> String {
        match self.failed_step {
            None => "all checks passed".to_owned(),
            Some(name) => format!("failed at {name}"),
        }
    }

    /// The report as one JSON document, newline-terminated.
    pub fn json(&self) -> Result<String, serde_json::Error> {
        let mut s = serde_json::to_string_pretty(self)?;
        s.push('\n');
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_lines() {
        let step = Step::fail("TCP", "cannot connect to h:1")
            .detail(["127.0.0.1:1: connection refused".to_owned()])
            .hints(["wrong port".to_owned(), "wrong port".to_owned()])
            .took(Duration::from_millis(12));
        assert_eq!(
            step.text(),
            "✘ TCP      cannot connect to h:1  (12 ms)\n      127.0.0.1:1: connection refused\n    likely cause: wrong port\n"
        );
        assert_eq!(
            Step::skipped("TLS", "skipped: not used").text(),
            "– TLS      skipped: not used\n"
        );
    }

    #[test]
    fn warnings_turn_ok_into_warn_but_not_fail() {
        let s = Step::ok("TLS", "x").warnings(["expires soon".to_owned()]);
        assert_eq!(s.status, Status::Warn);
        let s = Step::fail("TLS", "x").warnings(["expires soon".to_owned()]);
        assert_eq!(s.status, Status::Fail);
        let s = Step::ok("TLS", "x").warnings(Vec::new());
        assert_eq!(s.status, Status::Ok);
    }

    #[test]
    fn report_names_the_first_failure() {
        let r = Report::new(
            "h:1".into(),
            vec![
                Step::ok("DNS", "a"),
                Step::fail("TCP", "b"),
                Step::skipped("TLS", "c"),
            ],
        );
        assert!(!r.ok);
        assert_eq!(r.verdict(), "failed at TCP");
        let v: serde_json::Value = serde_json::from_str(&r.json().unwrap()).unwrap();
        assert_eq!(v["steps"][1]["status"], "fail");
        assert_eq!(v["steps"][2]["status"], "skipped");
        assert_eq!(v["failed_step"], "TCP");
        let r = Report::new("h:1".into(), vec![Step::ok("DNS", "a")]);
        assert!(r.ok);
        assert_eq!(r.verdict(), "all checks passed");
    }
}
