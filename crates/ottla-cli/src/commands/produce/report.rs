//! Delivery reports for `ottla produce -v`, and the summary line of a run.
//!
//! kcat prints its delivery reports on stderr, and only when asked for more verbosity
//! (`% Message delivered to partition P (offset O) on broker B` at `-vv`); stdout stays free
//! for data. `ottla produce -v` does the same with one line per record, in send order:
//!
//! ```text
//! delivered orders-2@41 timestamp=1700000000123
//! failed orders-5: Produce failed for orders-5: TOPIC_AUTHORIZATION_FAILED …
//! ```

use std::io::Write;

use super::super::delivery_window::Outcome;

/// The report line of one record.
pub fn line(topic: &str, partition: i32, outcome: &Outcome) -> String {
    match outcome {
        Ok(m) => format!(
            "delivered {}-{}@{} timestamp={}",
            m.topic, m.partition, m.offset, m.timestamp
        ),
        Err(e) => format!("failed {topic}-{partition}: {e}"),
    }
}

/// The last line `ottla produce` writes on stderr when every record was delivered.
pub fn summary(delivered: u64, topic: &str) -> String {
    format!("produced {delivered} record(s) to {topic}")
}

/// The delivered count of a [`summary`] line (how `ottla perf` checks an `ottla produce` run).
pub fn parse_summary(line: &str) -> Option<u64> {
    let rest = line.trim().strip_prefix("produced ")?;
    let (count, rest) = rest.split_once(' ')?;
    rest.starts_with("record(s) to ")
        .then(|| count.parse().ok())
        .flatten()
}

/// Writes report lines to stderr through a buffer (flushed by [`finish`](Self::finish)).
#[derive(Debug)]
pub struct Reports {
    out: Option<std::io::BufWriter<std::io::Stderr>>,
}

impl Reports {
    /// Reports when `on`, nothing otherwise.
    pub fn new(on: bool) -> Self {
        Self {
            out: on.then(|| std::io::BufWriter::new(std::io::stderr())),
        }
    }

    /// Reports one record (a closed stderr is ignored: the exit code still tells).
    pub fn record(&mut self, topic: &str, partition: i32, outcome: &Outcome) {
        if let Some(out) = &mut self.out {
            let _ = writeln!(out, "{}", line(topic, partition, outcome));
        }
    }

    /// Writes out what is buffered.
    pub fn finish(&mut self) {
        if let Some(out) = &mut self.out {
            let _ = out.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use ottla::producer::RecordMetadata;

    use super::*;

    #[test]
    fn report_lines() {
        let ok = Ok(RecordMetadata {
            topic: Arc::from("orders"),
            partition: 2,
            offset: 41,
            timestamp: 1_700_000_000_123,
        });
        assert_eq!(
            line("orders", 2, &ok),
            "delivered orders-2@41 timestamp=1700000000123"
        );
        assert_eq!(
            line("orders", 5, &Err(ottla::Error::Closed)),
            "failed orders-5: the client is closed"
        );
    }

    #[test]
    fn summary_line_reads_back() {
        assert_eq!(summary(20_000, "t-1"), "produced 20000 record(s) to t-1");
        assert_eq!(parse_summary(&summary(20_000, "t-1")), Some(20_000));
        assert_eq!(parse_summary("produced 7 record(s) to x\n"), Some(7));
        assert_eq!(parse_summary("produced many record(s) to x"), None);
        assert_eq!(parse_summary("delivered t-0@4 timestamp=1"), None);
    }
}
