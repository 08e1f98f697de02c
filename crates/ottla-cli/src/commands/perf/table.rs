//! Plain-text tables with aligned columns.

use std::fmt::Write;

use super::compare::{Comparison, Versus};
use super::results::RunResult;
use crate::args::PerfClient;

/// How a column's cells line up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Text.
    Left,
    /// Numbers.
    Right,
}

/// Renders a header row, a rule, and the rows; columns are two spaces apart and as wide as
/// their widest cell (counted in characters). Trailing spaces are trimmed.
pub fn render(columns: &[(&str, Align)], rows: &[Vec<String>]) -> String {
    let width = |s: &str| s.chars().count();
    let mut widths: Vec<usize> = columns.iter().map(|(t, _)| width(t)).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(width(cell));
        }
    }
    let mut out = String::new();
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut text = String::new();
        for (i, cell) in cells.enumerate() {
            let (w, align) = (
                widths.get(i).copied().unwrap_or(0),
                columns.get(i).map_or(Align::Left, |c| c.1),
            );
            let pad = " ".repeat(w.saturating_sub(width(cell)));
            if i > 0 {
                text.push_str("  ");
            }
            match align {
                Align::Left => {
                    text.push_str(cell);
                    text.push_str(&pad);
                }
                Align::Right => {
                    text.push_str(&pad);
                    text.push_str(cell);
                }
            }
        }
        let _ = writeln!(out, "{}", text.trim_end());
    };
    line(&mut columns.iter().map(|(t, _)| *t));
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    line(&mut rule.iter().map(String::as_str));
    for row in rows {
        line(&mut row.iter().map(String::as_str));
    }
    out
}

/// An integer with thousands separators: `1,234,567`.
pub fn thousands(n: f64) -> String {
    let digits = format!("{:.0}", n.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `0.62× java`: the ratio to the best peer, and which peer that is.
fn versus(v: Option<&Versus>) -> String {
    match v {
        Some(v) => match v.ratio {
            Some(r) => format!("{r:.2}× {}", v.best_peer.name()),
            None => format!("- {}", v.best_peer.name()),
        },
        None => "-".to_owned(),
    }
}

/// One row per run; a `produce s` (`consume s`) column when a client reported its own
/// produce (consume) time, and
/// broker columns when the runs watched the broker.
pub fn runs_table(runs: &[RunResult]) -> String {
    use Align::{Left, Right};
    let mut columns = vec![
        ("client", Left),
        ("records", Right),
        ("size B", Right),
        ("parts", Right),
        ("codec", Left),
        ("wall s", Right),
    ];
    let produce = runs.iter().any(|r| r.produce_s.is_some());
    if produce {
        columns.push(("produce s", Right));
    }
    let consume = runs.iter().any(|r| r.consume_s.is_some());
    if consume {
        columns.push(("consume s", Right));
    }
    columns.extend([
        ("msgs/s", Right),
        ("MB/s", Right),
        ("CPU s", Right),
        ("CPU µs/msg", Right),
    ]);
    let broker = runs.iter().any(|r| r.broker_cpu_s.is_some());
    if broker {
        columns.extend([("broker CPU s", Right), ("broker busy", Right)]);
    }
    let rows: Vec<Vec<String>> = runs
        .iter()
        .map(|r| {
            let mut row = vec![
                r.client.name().to_owned(),
                thousands(r.scenario.records as f64),
                thousands(r.scenario.record_size as f64),
                r.scenario.partitions.to_string(),
                r.scenario.compression.to_owned(),
                format!("{:.2}", r.wall_s),
            ];
            if produce {
                row.push(
                    r.produce_s
                        .map_or_else(|| "-".into(), |p| format!("{p:.2}")),
                );
            }
            if consume {
                row.push(
                    r.consume_s
                        .map_or_else(|| "-".into(), |c| format!("{c:.2}")),
                );
            }
            row.extend([
                thousands(r.msgs_per_s),
                format!("{:.1}", r.mb_per_s),
                format!("{:.2}", r.cpu_s),
                format!("{:.3}", r.cpu_us_per_msg),
            ]);
            if broker {
                row.push(
                    r.broker_cpu_s
                        .map_or_else(|| "-".into(), |b| format!("{b:.2}")),
                );
                row.push(
                    r.broker_busy
                        .map_or_else(|| "-".into(), |b| format!("{:.0}%", b * 100.0)),
                );
            }
            row
        })
        .collect();
    render(&columns, &rows)
}

/// One row per scenario and client of ours: each figure of ours over the best peer's at that
/// figure, naming the peer; a line below says which way is better.
pub fn ratios_table(comparisons: &[Comparison]) -> String {
    use Align::{Left, Right};
    let columns = [
        ("records", Right),
        ("size B", Right),
        ("parts", Right),
        ("codec", Left),
        ("ours", Left),
        ("CPU s ÷ best peer", Left),
        ("msgs/s ÷ best peer", Left),
        ("MB/s ÷ best peer", Left),
    ];
    let rows: Vec<Vec<String>> = comparisons
        .iter()
        .map(|c| {
            vec![
                thousands(c.scenario.records as f64),
                thousands(c.scenario.record_size as f64),
                c.scenario.partitions.to_string(),
                c.scenario.compression.to_owned(),
                c.client.name().to_owned(),
                versus(c.cpu_s.as_ref()),
                versus(c.msgs_per_s.as_ref()),
                versus(c.mb_per_s.as_ref()),
            ]
        })
        .collect();
    let mut out = render(&columns, &rows);
    // Who is set against whom: "ottla vs franz-go/java, ottla-file vs kcat/kcat-noidem".
    let mut pairs: Vec<(PerfClient, Vec<PerfClient>)> = Vec::new();
    for c in comparisons {
        match pairs.iter_mut().find(|(ours, _)| *ours == c.client) {
            Some((_, peers)) => {
                for p in &c.peers {
                    if !peers.contains(p) {
                        peers.push(*p);
                    }
                }
            }
            None => pairs.push((c.client, c.peers.clone())),
        }
    }
    let pairs: Vec<String> = pairs
        .iter()
        .map(|(ours, peers)| {
            let peers: Vec<&str> = peers.iter().map(|p| p.name()).collect();
            format!("{} vs {}", ours.name(), peers.join("/"))
        })
        .collect();
    out.push_str(&format!(
        "ours ÷ the peer best at each figure ({}): CPU s below 1× and msgs/s, MB/s above 1× \
         favour ours\n",
        pairs.join(", ")
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::super::compare::compare;
    use super::super::results::tests::{run, scenario};
    use super::*;
    use crate::args::PerfClient;

    #[test]
    fn columns_line_up_left_and_right() {
        let t = render(
            &[("name", Align::Left), ("µs", Align::Right)],
            &[
                vec!["a".into(), "1.5".into()],
                vec!["longer".into(), "12.25".into()],
            ],
        );
        assert_eq!(
            t,
            "name       µs\n\
             ------  -----\n\
             a         1.5\n\
             longer  12.25\n"
        );
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0.0), "0");
        assert_eq!(thousands(999.4), "999");
        assert_eq!(thousands(1000.0), "1,000");
        assert_eq!(thousands(1_234_567.8), "1,234,568");
        assert_eq!(thousands(-5.0), "0");
    }

    #[test]
    fn run_and_ratio_tables() {
        let s = scenario(1_000_000, 100);
        let runs = [
            run(PerfClient::Ottla, s.clone(), 1000, 600, 200),
            run(PerfClient::Kcat, s.clone(), 500, 1200, 400),
        ];
        let t = runs_table(&runs);
        assert_eq!(
            t,
            "client    records  size B  parts  codec  wall s     msgs/s   MB/s  CPU s  CPU µs/msg\n\
             ------  ---------  ------  -----  -----  ------  ---------  -----  -----  ----------\n\
             ottla   1,000,000     100      1  none     1.00  1,000,000  100.0   0.80       0.800\n\
             kcat    1,000,000     100      1  none     0.50  2,000,000  200.0   1.60       1.600\n"
        );
        let watched = [runs[0]
            .clone()
            .with_broker_cpu(std::time::Duration::from_millis(970))];
        let w = runs_table(&watched);
        assert!(
            w.lines()
                .next()
                .unwrap()
                .ends_with("broker CPU s  broker busy"),
            "{w}"
        );
        assert!(
            w.lines().nth(2).unwrap().ends_with("0.97          97%"),
            "{w}"
        );
        let timed = [
            runs[0].clone().with_produce_s(Some(0.75)),
            run(PerfClient::KcatNoidem, s.clone(), 500, 1200, 400),
        ];
        assert_eq!(
            runs_table(&timed),
            "client         records  size B  parts  codec  wall s  produce s     msgs/s   MB/s  CPU s  CPU µs/msg\n\
             -----------  ---------  ------  -----  -----  ------  ---------  ---------  -----  -----  ----------\n\
             ottla        1,000,000     100      1  none     1.00       0.75  1,000,000  100.0   0.80       0.800\n\
             kcat-noidem  1,000,000     100      1  none     0.50          -  2,000,000  200.0   1.60       1.600\n"
        );

        let all = [
            run(PerfClient::Ottla, s.clone(), 1000, 600, 200),
            run(PerfClient::FranzGo, s.clone(), 500, 1200, 400),
            run(PerfClient::Java, s.clone(), 2000, 200, 200),
            run(PerfClient::OttlaFile, s.clone(), 1000, 800, 200),
            run(PerfClient::Kcat, s, 1000, 1600, 400),
        ];
        let r = ratios_table(&compare(&all));
        assert_eq!(
            r,
            "  records  size B  parts  codec  ours        CPU s ÷ best peer  msgs/s ÷ best peer  MB/s ÷ best peer\n\
             ---------  ------  -----  -----  ----------  -----------------  ------------------  ----------------\n\
             1,000,000     100      1  none   ottla       2.00× java         0.50× franz-go      0.50× franz-go\n\
             1,000,000     100      1  none   ottla-file  0.50× kcat         1.00× kcat          1.00× kcat\n\
             ours ÷ the peer best at each figure (ottla vs franz-go/java, ottla-file vs kcat): \
             CPU s below 1× and msgs/s, MB/s above 1× favour ours\n"
        );
    }
}
