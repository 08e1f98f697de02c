//! The reference-client peers' contract (`tests/peers/README.md`) on ottla's side: the peer
//! record set ([`peer_record`]), the perf payload ([`perf_payload`]), one line of a peer's
//! `consume` output ([`PeerRecord`]) and [`PeerCommand`], which runs one subcommand of a peer
//! and parses what it prints. Nothing here knows which peer it runs: every command takes the
//! peer's executable (the Java peer, franz-go, …).
//!
//! ```no_run
//! use ottla_tests::peer_records::{peer_record, PeerCommand};
//!
//! # fn demo(peer: &std::path::Path) {
//! let sent = PeerCommand::new(peer, "produce")
//!     .broker("127.0.0.1:9092", "t")
//!     .flag("--count", 10)
//!     .flag("--partitions-explicit", 1)
//!     .run_json();
//! assert_eq!(sent["sent"], 10);
//! let lines = PeerCommand::new(peer, "consume")
//!     .broker("127.0.0.1:9092", "t")
//!     .flag("--count", 10)
//!     .consume();
//! for (i, line) in lines.iter().enumerate() {
//!     line.assert_is(i as i64, "t");
//! }
//! # }
//! ```

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use bytes::Bytes;
use ottla::basic::{fetch_partition, FetchOptions};
use ottla::protocol::records::{ConsumedRecord, Header, Record};
use ottla::ProducerRecord;

/// The create time of record 0 (ms); record `i` has `TIMESTAMP_BASE + i`.
pub const TIMESTAMP_BASE: i64 = 1_700_000_000_000;

/// The configs of a topic for peer records: `retention.ms=-1`. Their create times are in
/// November 2023, so under the default 7-day retention the broker deletes them at its next
/// retention check (every 5 minutes): a reader then finds the log starting past them.
pub const PEER_TOPIC_CONFIGS: &[(&str, &str)] = &[("retention.ms", "-1")];

/// Creates a fresh topic (named from `prefix`, [`create_unique_topic`](crate::create_unique_topic))
/// with `partitions` partitions and [`PEER_TOPIC_CONFIGS`], and returns its name.
pub async fn create_peer_topic(client: &ottla::Client, prefix: &str, partitions: i32) -> String {
    crate::create_unique_topic(client, prefix, partitions, PEER_TOPIC_CONFIGS).await
}

/// Record `i` of the peer record set: key `key-{i}` (null when `i % 10 == 3`), value
/// `value-{i}:` and `i % 200` copies of `'a' + i % 26` (null when `i % 10 == 7`), headers
/// `idx`=`{i}`, `empty`=`""` and, when `i % 3 == 2`, `nullv`=null (none when `i % 3 == 0`),
/// create time [`TIMESTAMP_BASE`]` + i`.
pub fn peer_record(i: i64) -> Record {
    assert!(i >= 0, "peer record {i}: indices start at 0");
    let key = (i % 10 != 3).then(|| Bytes::from(format!("key-{i}")));
    let value = (i % 10 != 7).then(|| {
        let mut v = format!("value-{i}:").into_bytes();
        v.resize(v.len() + (i % 200) as usize, b'a' + (i % 26) as u8);
        Bytes::from(v)
    });
    let mut headers = Vec::new();
    if i % 3 != 0 {
        headers.push(Header::new("idx", Some(Bytes::from(i.to_string()))));
        headers.push(Header::new("empty", Some(Bytes::new())));
        if i % 3 == 2 {
            headers.push(Header::new("nullv", None));
        }
    }
    Record {
        key,
        value,
        headers,
        timestamp: TIMESTAMP_BASE + i,
    }
}

/// The index of the peer record with create time `timestamp` (`None` before record 0).
pub fn peer_index(timestamp: i64) -> Option<i64> {
    (timestamp >= TIMESTAMP_BASE).then(|| timestamp - TIMESTAMP_BASE)
}

/// Record `i` as ottla's producer sends it, to `topic` and `partition` (`None`: the
/// partitioner decides).
pub fn producer_record(topic: &Arc<str>, i: i64, partition: Option<i32>) -> ProducerRecord {
    let r = peer_record(i);
    ProducerRecord {
        topic: Arc::clone(topic),
        partition,
        key: r.key,
        value: r.value,
        headers: r.headers,
        timestamp: Some(r.timestamp),
    }
}

/// The perf payload: `size` printable bytes from xorshift64* (the same bytes as
/// `crates/ottla-cli/src/commands/perf/payload.rs`).
pub fn perf_payload(size: usize) -> Vec<u8> {
    let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..size)
        .map(|_| {
            s ^= s >> 12;
            s ^= s << 25;
            s ^= s >> 27;
            let r = s.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32;
            b'!' + (r % 94) as u8
        })
        .collect()
}

/// The record part of a record ottla fetched (its offset left out).
pub fn record_of(r: &ConsumedRecord) -> Record {
    Record {
        key: r.key.clone(),
        value: r.value.clone(),
        headers: r.headers.clone(),
        timestamp: r.timestamp,
    }
}

/// Bytes for a message: escaped ASCII, at most 120 bytes shown, with the length.
fn show(b: Option<&[u8]>) -> String {
    match b {
        None => "null".to_owned(),
        Some(b) if b.len() > 120 => format!("{} bytes \"{}…\"", b.len(), b[..120].escape_ascii()),
        Some(b) => format!("{} bytes \"{}\"", b.len(), b.escape_ascii()),
    }
}

fn show_headers(h: &[Header]) -> String {
    let parts: Vec<String> = h
        .iter()
        .map(|h| format!("{}={}", h.key.as_str(), show(h.value.as_deref())))
        .collect();
    format!("[{}]", parts.join(", "))
}

/// The first field in which `got` differs from `want` (timestamp, key, value, headers), both
/// values shown; `None` when they are byte for byte equal.
pub fn record_difference(got: &Record, want: &Record) -> Option<String> {
    if got.timestamp != want.timestamp {
        return Some(format!(
            "timestamp {} != expected {}",
            got.timestamp, want.timestamp
        ));
    }
    if got.key != want.key {
        return Some(format!(
            "key {} != expected {}",
            show(got.key.as_deref()),
            show(want.key.as_deref())
        ));
    }
    if got.value != want.value {
        return Some(format!(
            "value {} != expected {}",
            show(got.value.as_deref()),
            show(want.value.as_deref())
        ));
    }
    let same_headers = got.headers.len() == want.headers.len()
        && got
            .headers
            .iter()
            .zip(&want.headers)
            .all(|(g, w)| g.key.as_str() == w.key.as_str() && g.value == w.value);
    if !same_headers {
        return Some(format!(
            "headers {} != expected {}",
            show_headers(&got.headers),
            show_headers(&want.headers)
        ));
    }
    None
}

/// Panics, naming `context` and the field, unless `got` is byte for byte `want`.
pub fn assert_same_record(context: impl fmt::Display, got: &Record, want: &Record) {
    if let Some(d) = record_difference(got, want) {
        panic!("{context}: {d}");
    }
}

/// Checks that `got` (one partition's records in offset order, as ottla fetched them) is the
/// peer records `want` in that order, byte for byte, at increasing offsets. `what` names the
/// round trip in messages.
pub fn assert_partition_holds(what: &str, partition: i32, got: &[ConsumedRecord], want: &[i64]) {
    let got_indices: Vec<Option<i64>> = got.iter().map(|r| peer_index(r.timestamp)).collect();
    let want_indices: Vec<Option<i64>> = want.iter().map(|&i| Some(i)).collect();
    if got_indices != want_indices {
        let first = got_indices
            .iter()
            .zip(&want_indices)
            .position(|(g, w)| g != w)
            .unwrap_or(got_indices.len().min(want_indices.len()));
        panic!(
            "{what}: partition {partition} holds {} records, expected {}; first difference at \
             position {first}: record {:?} (by timestamp) at offset {:?}, expected record {:?}",
            got.len(),
            want.len(),
            got_indices.get(first).copied().flatten(),
            got.get(first).map(|r| r.offset),
            want_indices.get(first).copied().flatten(),
        );
    }
    let mut last_offset = -1;
    for (r, &i) in got.iter().zip(want) {
        let context = format!(
            "{what}: partition {partition} offset {} (record {i})",
            r.offset
        );
        assert!(r.offset > last_offset, "{context}: offsets out of order");
        last_offset = r.offset;
        assert_same_record(&context, &record_of(r), &peer_record(i));
    }
}

/// Fetches `partition` of `topic` with ottla from offset 0 until the fetch position reaches
/// the end of the log, and returns what it saw (control records and, with read_committed,
/// aborted records removed by ottla). The end is the high watermark; with read_committed, the
/// last stable offset once it has caught up with the high watermark: a peer's commit returns
/// before the coordinator has written the transaction's markers to every partition, and until
/// then the last stable offset stops short of records already committed. So every transaction
/// in the partition must be committed or aborted. Panics after 30 s without reaching the end.
pub async fn fetch_to_end(
    client: &ottla::Client,
    topic: &str,
    partition: i32,
    options: &FetchOptions,
) -> Vec<ConsumedRecord> {
    let mut got = Vec::new();
    let mut offset = 0;
    let mut ends = (-1, -1);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        assert!(
            Instant::now() < deadline,
            "{topic}-{partition}: fetch still at offset {offset} after 30 s (last stable offset, \
             high watermark: {ends:?})"
        );
        let f = fetch_partition(client, topic, partition, offset, options)
            .await
            .unwrap_or_else(|e| panic!("fetch {topic}-{partition} at offset {offset}: {e}"));
        offset = f.next_offset;
        ends = (f.last_stable_offset, f.high_watermark);
        got.extend(f.records);
        let decided = !options.read_committed || f.last_stable_offset == f.high_watermark;
        if decided && f.high_watermark >= 0 && offset >= f.high_watermark {
            return got;
        }
    }
}

/// One line of a peer's `consume` output:
/// `{"partition":P,"offset":O,"timestamp":T,"key":B64|null,"value":B64|null,
/// "headers":[["name",B64|null],…]}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerRecord {
    /// The partition the record was read from.
    pub partition: i32,
    /// Its offset.
    pub offset: i64,
    /// Key, value, headers and timestamp, decoded from base64.
    pub record: Record,
}

fn b64(v: &serde_json::Value, what: &str) -> Result<Option<Bytes>, String> {
    match v {
        serde_json::Value::Null => Ok(None),
        serde_json::Value::String(s) => STANDARD
            .decode(s)
            .map(|b| Some(Bytes::from(b)))
            .map_err(|e| format!("{what}: not standard base64 ({e}): {s:?}")),
        other => Err(format!("{what}: expected base64 or null, got {other}")),
    }
}

impl PeerRecord {
    /// Parses one `consume` line; the error names what is wrong.
    pub fn parse(line: &str) -> Result<Self, String> {
        let v: serde_json::Value =
            serde_json::from_str(line).map_err(|e| format!("not JSON ({e})"))?;
        let obj = v.as_object().ok_or("not a JSON object")?;
        let expected = [
            "partition",
            "offset",
            "timestamp",
            "key",
            "value",
            "headers",
        ];
        if let Some(k) = obj.keys().find(|k| !expected.contains(&k.as_str())) {
            return Err(format!("unexpected field {k:?}"));
        }
        let int = |k: &str| {
            v.get(k)
                .and_then(serde_json::Value::as_i64)
                .ok_or(format!("no integer {k:?}"))
        };
        let mut headers = Vec::new();
        for h in v
            .get("headers")
            .and_then(serde_json::Value::as_array)
            .ok_or("no \"headers\" array")?
        {
            match h.as_array().map(Vec::as_slice) {
                Some([name, value]) => {
                    let name = name.as_str().ok_or(format!("header name {name} in {h}"))?;
                    headers.push(Header::new(name.to_owned(), b64(value, "header value")?));
                }
                _ => return Err(format!("header {h} is not [name, value]")),
            }
        }
        let partition = int("partition")?;
        Ok(PeerRecord {
            partition: i32::try_from(partition).map_err(|_| format!("partition {partition}"))?,
            offset: int("offset")?,
            record: Record {
                key: b64(v.get("key").ok_or("no \"key\"")?, "key")?,
                value: b64(v.get("value").ok_or("no \"value\"")?, "value")?,
                headers,
                timestamp: int("timestamp")?,
            },
        })
    }

    /// The peer record index of this line, by its timestamp.
    pub fn index(&self) -> Option<i64> {
        peer_index(self.record.timestamp)
    }

    /// Panics, naming `what`, the partition and offset, unless this is peer record `i` byte
    /// for byte.
    pub fn assert_is(&self, i: i64, what: &str) {
        assert_same_record(
            format!(
                "{what}: partition {} offset {} (record {i})",
                self.partition, self.offset
            ),
            &self.record,
            &peer_record(i),
        );
    }
}

/// One run of a peer subcommand: `<exe> <subcommand> [--flag value]… [-X key=value]…`.
#[derive(Debug, Clone)]
pub struct PeerCommand {
    exe: PathBuf,
    args: Vec<String>,
}

impl PeerCommand {
    /// `exe subcommand`, no flags yet.
    pub fn new(exe: impl AsRef<Path>, subcommand: &str) -> Self {
        Self {
            exe: exe.as_ref().to_owned(),
            args: vec![subcommand.to_owned()],
        }
    }

    /// Adds `name value` (`name` with its dashes: `--count`).
    pub fn flag(mut self, name: &str, value: impl ToString) -> Self {
        self.args.push(name.to_owned());
        self.args.push(value.to_string());
        self
    }

    /// Adds `--bootstrap bootstrap --topic topic`.
    pub fn broker(self, bootstrap: &str, topic: &str) -> Self {
        self.flag("--bootstrap", bootstrap).flag("--topic", topic)
    }

    /// Adds `-X key=value`.
    pub fn property(self, key: &str, value: &str) -> Self {
        self.flag("-X", format!("{key}={value}"))
    }

    /// Runs the command and returns what it did, whatever its exit status.
    pub fn output(&self) -> Output {
        Command::new(&self.exe)
            .args(&self.args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run `{self}`: {e}"))
    }

    /// Runs the command and returns its stdout; panics with the command line, the exit status
    /// and stderr unless it exits 0.
    pub fn run(&self) -> String {
        let started = Instant::now();
        let out = self.output();
        if !out.status.success() {
            panic!(
                "`{self}` failed ({}) after {:.1} s; stderr:\n{}\nstdout:\n{}",
                out.status,
                started.elapsed().as_secs_f64(),
                String::from_utf8_lossy(&out.stderr),
                String::from_utf8_lossy(&out.stdout),
            );
        }
        String::from_utf8(out.stdout).unwrap_or_else(|e| panic!("`{self}`: stdout not UTF-8: {e}"))
    }

    /// Runs the command and parses its output: exactly one JSON object line.
    pub fn run_json(&self) -> serde_json::Value {
        let out = self.run();
        let lines: Vec<&str> = out.lines().filter(|l| !l.trim().is_empty()).collect();
        let [line] = lines.as_slice() else {
            panic!("`{self}`: expected one JSON line, got:\n{out}");
        };
        let v: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("`{self}`: not JSON ({e}): {line}"));
        assert!(v.is_object(), "`{self}`: not a JSON object: {line}");
        v
    }

    /// Runs a `consume` command and parses every line.
    pub fn consume(&self) -> Vec<PeerRecord> {
        self.run()
            .lines()
            .enumerate()
            .map(|(n, line)| {
                PeerRecord::parse(line)
                    .unwrap_or_else(|e| panic!("`{self}`: line {}: {e}: {line}", n + 1))
            })
            .collect()
    }

    /// Runs a `partition` command: one partition per line.
    pub fn partitions(&self) -> Vec<i32> {
        self.run()
            .lines()
            .enumerate()
            .map(|(n, line)| {
                line.trim()
                    .parse()
                    .unwrap_or_else(|e| panic!("`{self}`: line {}: {e}: {line:?}", n + 1))
            })
            .collect()
    }
}

impl fmt::Display for PeerCommand {
    /// The command line, each argument quoted when it is not plain.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.exe.display())?;
        for a in &self.args {
            let plain = !a.is_empty()
                && a.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.,:=/@+".contains(&b));
            if plain {
                write!(f, " {a}")?;
            } else {
                write!(f, " '{}'", a.replace('\'', r"'\''"))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_records_follow_the_readme() {
        let r = peer_record(2);
        assert_eq!(r.key.as_deref(), Some(&b"key-2"[..]));
        assert_eq!(r.value.as_deref(), Some(&b"value-2:cc"[..]));
        assert_eq!(r.timestamp, 1_700_000_000_002);
        let h: Vec<(&str, Option<&[u8]>)> = r
            .headers
            .iter()
            .map(|h| (h.key.as_str(), h.value.as_deref()))
            .collect();
        assert_eq!(
            h,
            [
                ("idx", Some(&b"2"[..])),
                ("empty", Some(&b""[..])),
                ("nullv", None)
            ]
        );
        let r13 = peer_record(13);
        assert_eq!(r13.key, None);
        assert_eq!(r13.headers.len(), 2);
        let r27 = peer_record(27);
        assert_eq!(r27.value, None);
        assert!(r27.headers.is_empty());
        let v = peer_record(199).value.unwrap();
        assert_eq!(v.len(), "value-199:".len() + 199);
        assert_eq!(v.last(), Some(&(b'a' + 199 % 26)));
        assert_eq!(peer_record(200).value.as_deref(), Some(&b"value-200:"[..]));
        assert_eq!(peer_index(peer_record(4321).timestamp), Some(4321));
    }

    /// The first 40 bytes, as the franz-go peer's known-answer test has them.
    #[test]
    fn perf_payload_known_answer() {
        assert_eq!(
            perf_payload(40),
            b"9X;,`<-O=fsI.6tJpgE-6&m45jmU|9*39T)SM&o2"
        );
        assert!(perf_payload(1000).starts_with(&perf_payload(40)));
    }

    #[test]
    fn consume_lines_parse() {
        let line = r#"{"partition":1,"offset":7,"timestamp":1700000000002,"key":"a2V5LTI=","value":"dmFsdWUtMjpjYw==","headers":[["idx","Mg=="],["empty",""],["nullv",null]]}"#;
        let p = PeerRecord::parse(line).unwrap();
        assert_eq!((p.partition, p.offset, p.index()), (1, 7, Some(2)));
        p.assert_is(2, "sample");
        assert_eq!(record_difference(&p.record, &peer_record(2)), None);
        let d = record_difference(&p.record, &peer_record(5)).unwrap();
        assert!(d.starts_with("timestamp"), "{d}");

        let null_key = r#"{"partition":0,"offset":0,"timestamp":1700000000003,"key":null,"value":"dmFsdWUtMzpkZGQ=","headers":[]}"#;
        PeerRecord::parse(null_key)
            .unwrap()
            .assert_is(3, "null key");

        for bad in [
            "",
            "[]",
            r#"{"partition":0,"offset":0,"timestamp":1,"key":null,"value":null}"#,
            r#"{"partition":0,"offset":0,"timestamp":1,"key":"%%","value":null,"headers":[]}"#,
            r#"{"partition":0,"offset":0,"timestamp":1,"key":null,"value":null,"headers":[["a"]]}"#,
            r#"{"partition":0,"offset":0,"timestamp":1,"key":null,"value":null,"headers":[],"x":1}"#,
        ] {
            assert!(PeerRecord::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn differences_name_the_field() {
        let want = peer_record(2);
        let mut got = want.clone();
        got.headers[2].value = Some(Bytes::new());
        let d = record_difference(&got, &want).unwrap();
        assert!(d.starts_with("headers") && d.contains("nullv=null"), "{d}");
        let mut got = want.clone();
        got.value = Some(Bytes::from_static(b"value-2:cd"));
        let d = record_difference(&got, &want).unwrap();
        assert!(
            d.starts_with("value") && d.contains("\"value-2:cd\""),
            "{d}"
        );
    }

    #[test]
    fn command_lines_show_quoted() {
        let c = PeerCommand::new("/p/peer", "produce")
            .broker("h:1", "t")
            .property("sasl.password", "it's secret");
        assert_eq!(
            c.to_string(),
            r"/p/peer produce --bootstrap h:1 --topic t -X 'sasl.password=it'\''s secret'"
        );
    }
}
