//! How `ottla consume` prints a record: the value per line (with the key first under `-K`),
//! a kcat format string (`-f`), or kcat's JSON envelope (`-J`), byte for byte as kcat 1.7
//! over librdkafka prints them.
//!
//! Written by hand: the format is kcat's own small template language (`%t %p %o %k %K %s %S
//! %R %T %h`, `\n \r \t \\ \xHH`), and its JSON envelope has a fixed field order that a JSON
//! map would sort away.

use std::io::{self, Write};

use ottla::protocol::records::{Header, TimestampType};

/// One record as the formats see it.
pub(super) struct View<'a> {
    pub topic: &'a str,
    pub partition: i32,
    pub offset: i64,
    pub timestamp: i64,
    pub timestamp_type: TimestampType,
    /// The partition leader the record came from (-1: not known).
    pub broker: i32,
    pub key: Option<&'a [u8]>,
    pub value: Option<&'a [u8]>,
    pub headers: &'a [Header],
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Piece {
    Text(Vec<u8>),
    Value,
    ValueLen,
    ValueLenBinary,
    Key,
    KeyLen,
    Timestamp,
    Headers,
    Topic,
    Partition,
    Offset,
}

/// The output format of `ottla consume`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum RecordFormat {
    /// The value and a newline; the key and the delimiter first when one is given (`-K`).
    Lines { key_delimiter: Option<String> },
    /// A kcat format string (`-f`).
    Template(Vec<Piece>),
    /// kcat's JSON envelope, one object per line (`-J`).
    Json,
}

impl RecordFormat {
    /// The format `-f`, `-J` and `-K` ask for (`-f` and `-J` exclude each other; `-f` wins
    /// over `-K`, as in kcat).
    pub fn from_args(
        template: Option<&str>,
        json: bool,
        key_delimiter: Option<&str>,
    ) -> Result<Self, String> {
        Ok(match (template, json) {
            (Some(_), true) => return Err("-f and -J exclude each other".into()),
            (Some(t), false) => RecordFormat::Template(parse_template(t)?),
            (None, true) => RecordFormat::Json,
            (None, false) => RecordFormat::Lines {
                key_delimiter: key_delimiter.map(str::to_owned),
            },
        })
    }

    /// Writes `r`.
    pub fn write(&self, out: &mut impl Write, r: &View<'_>) -> io::Result<()> {
        match self {
            RecordFormat::Lines { key_delimiter } => {
                if let Some(d) = key_delimiter {
                    out.write_all(r.key.unwrap_or_default())?;
                    out.write_all(d.as_bytes())?;
                }
                out.write_all(r.value.unwrap_or_default())?;
                out.write_all(b"\n")
            }
            RecordFormat::Template(pieces) => {
                for piece in pieces {
                    write_piece(out, piece, r)?;
                }
                Ok(())
            }
            RecordFormat::Json => write_json(out, r),
        }
    }
}

fn write_piece(out: &mut impl Write, piece: &Piece, r: &View<'_>) -> io::Result<()> {
    let len = |b: Option<&[u8]>| b.map_or(-1, |b| i64::try_from(b.len()).unwrap_or(i64::MAX));
    match piece {
        Piece::Text(t) => out.write_all(t),
        Piece::Value => out.write_all(r.value.unwrap_or_default()),
        Piece::ValueLen => write!(out, "{}", len(r.value)),
        Piece::ValueLenBinary => {
            let n = r
                .value
                .map_or(-1, |v| i32::try_from(v.len()).unwrap_or(i32::MAX));
            out.write_all(&n.to_be_bytes())
        }
        Piece::Key => out.write_all(r.key.unwrap_or_default()),
        Piece::KeyLen => write!(out, "{}", len(r.key)),
        Piece::Timestamp => write!(out, "{}", r.timestamp),
        Piece::Headers => {
            for (i, h) in r.headers.iter().enumerate() {
                if i > 0 {
                    out.write_all(b",")?;
                }
                out.write_all(h.key.as_bytes())?;
                out.write_all(b"=")?;
                out.write_all(h.value.as_deref().unwrap_or_default())?;
            }
            Ok(())
        }
        Piece::Topic => out.write_all(r.topic.as_bytes()),
        Piece::Partition => write!(out, "{}", r.partition),
        Piece::Offset => write!(out, "{}", r.offset),
    }
}

/// `{"topic":…,"partition":…,"offset":…,"tstype":…,"ts":…,"broker":…,["headers":[n,v,…],]
/// "key":…,"payload":…}` and a newline, as kcat writes it. Bytes that are not UTF-8 are
/// replaced (U+FFFD).
fn write_json(out: &mut impl Write, r: &View<'_>) -> io::Result<()> {
    let tstype = match r.timestamp_type {
        TimestampType::CreateTime => "create",
        TimestampType::LogAppendTime => "logappend",
    };
    write!(out, "{{\"topic\":")?;
    json_string(out, r.topic.as_bytes())?;
    write!(
        out,
        ",\"partition\":{},\"offset\":{},\"tstype\":\"{tstype}\",\"ts\":{},\"broker\":{}",
        r.partition, r.offset, r.timestamp, r.broker
    )?;
    if !r.headers.is_empty() {
        out.write_all(b",\"headers\":[")?;
        for (i, h) in r.headers.iter().enumerate() {
            if i > 0 {
                out.write_all(b",")?;
            }
            json_string(out, h.key.as_bytes())?;
            out.write_all(b",")?;
            json_nullable(out, h.value.as_deref())?;
        }
        out.write_all(b"]")?;
    }
    out.write_all(b",\"key\":")?;
    json_nullable(out, r.key)?;
    out.write_all(b",\"payload\":")?;
    json_nullable(out, r.value)?;
    out.write_all(b"}\n")
}

fn json_nullable(out: &mut impl Write, bytes: Option<&[u8]>) -> io::Result<()> {
    match bytes {
        Some(b) => json_string(out, b),
        None => out.write_all(b"null"),
    }
}

fn json_string(out: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
    let text = String::from_utf8_lossy(bytes);
    serde_json::to_writer(&mut *out, &*text).map_err(io::Error::other)
}

/// Parses a kcat format string.
fn parse_template(template: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut text = Vec::new();
    let mut chars = template.chars().peekable();
    let flush = |text: &mut Vec<u8>, pieces: &mut Vec<Piece>| {
        if !text.is_empty() {
            pieces.push(Piece::Text(std::mem::take(text)));
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '%' => {
                let token = chars.next().ok_or("-f: a format string cannot end in %")?;
                let piece = match token {
                    's' => Piece::Value,
                    'S' => Piece::ValueLen,
                    'R' => Piece::ValueLenBinary,
                    'k' => Piece::Key,
                    'K' => Piece::KeyLen,
                    'T' => Piece::Timestamp,
                    'h' => Piece::Headers,
                    't' => Piece::Topic,
                    'p' => Piece::Partition,
                    'o' => Piece::Offset,
                    '%' => {
                        text.push(b'%');
                        continue;
                    }
                    other => {
                        return Err(format!(
                            "-f: unknown token %{other} (known: %s %S %R %k %K %T %h %t %p %o %%)"
                        ))
                    }
                };
                flush(&mut text, &mut pieces);
                pieces.push(piece);
            }
            '\\' => match chars.next() {
                Some('n') => text.push(b'\n'),
                Some('r') => text.push(b'\r'),
                Some('t') => text.push(b'\t'),
                Some('\\') => text.push(b'\\'),
                Some('x') => {
                    let hex: String = std::iter::from_fn(|| chars.next_if(char::is_ascii_hexdigit))
                        .take(2)
                        .collect();
                    let byte = u8::from_str_radix(&hex, 16)
                        .map_err(|_| format!("-f: \\x needs two hex digits, got {hex:?}"))?;
                    text.push(byte);
                }
                Some(other) => {
                    text.push(b'\\');
                    let mut buf = [0u8; 4];
                    text.extend_from_slice(other.encode_utf8(&mut buf).as_bytes());
                }
                None => text.push(b'\\'),
            },
            other => {
                let mut buf = [0u8; 4];
                text.extend_from_slice(other.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    flush(&mut text, &mut pieces);
    Ok(pieces)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ottla::protocol::StrBytes;

    fn render(format: &RecordFormat, r: &View<'_>) -> Vec<u8> {
        let mut out = Vec::new();
        format.write(&mut out, r).unwrap();
        out
    }

    fn sample(headers: &[Header]) -> View<'_> {
        View {
            topic: "t",
            partition: 2,
            offset: 7,
            timestamp: 1_700_000_000_123,
            timestamp_type: TimestampType::CreateTime,
            broker: 1,
            key: Some(b"k1"),
            value: Some(b"q\"uo\\te\x01"),
            headers,
        }
    }

    fn header(k: &str, v: Option<&str>) -> Header {
        Header {
            key: StrBytes::from_string(k.to_owned()),
            value: v.map(|v| bytes::Bytes::from(v.to_owned())),
        }
    }

    #[test]
    fn templates_print_every_kcat_token() {
        let headers = [header("h1", Some("x")), header("h2", None)];
        let f = RecordFormat::from_args(
            Some(r"%t|%p|%o|%k|%K|%s|%S|%h|%T|100%%\t\x41\n"),
            false,
            Some("ignored"),
        )
        .unwrap();
        assert_eq!(
            render(&f, &sample(&headers)),
            b"t|2|7|k1|2|q\"uo\\te\x01|8|h1=x,h2=|1700000000123|100%\tA\n"
        );
        let mut nulls = sample(&[]);
        nulls.key = None;
        nulls.value = None;
        assert_eq!(
            render(&f, &nulls),
            b"t|2|7||-1||-1||1700000000123|100%\tA\n"
        );
        let binary = RecordFormat::from_args(Some("%R%s"), false, None).unwrap();
        assert_eq!(render(&binary, &nulls), (-1i32).to_be_bytes());
    }

    #[test]
    fn bad_templates_say_what_is_wrong() {
        for (t, says) in [
            ("%q", "unknown token %q"),
            ("50%", "cannot end in %"),
            (r"\xZZ", "two hex digits"),
        ] {
            let e = RecordFormat::from_args(Some(t), false, None).unwrap_err();
            assert!(e.contains(says), "{t}: {e}");
        }
        assert!(RecordFormat::from_args(Some("%s"), true, None).is_err());
    }

    /// The field order and escapes of kcat's envelope (checked against kcat itself in
    /// crates/ottla-cli/tests/consume_format.rs).
    #[test]
    fn json_is_kcats_envelope() {
        let headers = [header("h1", Some("x")), header("h2", None)];
        let line = render(&RecordFormat::Json, &sample(&headers));
        assert_eq!(
            String::from_utf8(line).unwrap(),
            "{\"topic\":\"t\",\"partition\":2,\"offset\":7,\"tstype\":\"create\",\"ts\":1700000000123,\"broker\":1,\"headers\":[\"h1\",\"x\",\"h2\",null],\"key\":\"k1\",\"payload\":\"q\\\"uo\\\\te\\u0001\"}\n"
        );
        let mut bare = sample(&[]);
        bare.key = None;
        bare.timestamp_type = TimestampType::LogAppendTime;
        let line = String::from_utf8(render(&RecordFormat::Json, &bare)).unwrap();
        assert!(line.contains("\"tstype\":\"logappend\""), "{line}");
        assert!(!line.contains("headers"), "{line}");
        assert!(line.contains("\"key\":null,"), "{line}");
    }
}
