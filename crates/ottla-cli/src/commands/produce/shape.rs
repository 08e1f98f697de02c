//! How a line becomes a record: key split, partition, headers.

use std::sync::Arc;

use bytes::Bytes;
use ottla::producer::ProducerRecord;
use ottla::protocol::records::Header;

/// What every record of the run shares.
#[derive(Debug, Clone)]
pub struct Shape {
    /// The topic, shared by every record.
    pub topic: Arc<str>,
    /// `-K`: the key delimiter.
    pub key_delimiter: Option<Bytes>,
    /// `-p`.
    pub partition: Option<i32>,
    /// `-H`, in order.
    pub headers: Vec<Header>,
}

impl Shape {
    /// The record for one input line.
    pub fn record(&self, line: Bytes) -> ProducerRecord {
        let (key, value) = split_key(line, self.key_delimiter.as_deref());
        let mut record = ProducerRecord::new(Arc::clone(&self.topic), value);
        record.key = key;
        record.partition = self.partition;
        if !self.headers.is_empty() {
            record.headers = self.headers.clone();
        }
        record
    }
}

/// Parses `-H` arguments: `key=value`, or `key` alone for a null value (as kcat does).
pub fn parse_headers(args: &[String]) -> Result<Vec<Header>, String> {
    args.iter()
        .map(|h| {
            let (key, value) = match h.split_once('=') {
                Some((k, v)) => (k, Some(Bytes::copy_from_slice(v.as_bytes()))),
                None => (h.as_str(), None),
            };
            if key.is_empty() {
                return Err(format!(
                    "-H expects key=value with a non-empty key, got {h:?}"
                ));
            }
            Ok(Header::new(key.to_owned(), value))
        })
        .collect()
}

/// Splits at the first occurrence of `delimiter`: before it the key, after it the value; a
/// line without it is a value without a key.
pub fn split_key(line: Bytes, delimiter: Option<&[u8]>) -> (Option<Bytes>, Bytes) {
    let Some(d) = delimiter.filter(|d| !d.is_empty()) else {
        return (None, line);
    };
    match line.windows(d.len()).position(|w| w == d) {
        Some(i) => (Some(line.slice(..i)), line.slice(i + d.len()..)),
        None => (None, line),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_split_at_first_delimiter() {
        let (k, v) = split_key(Bytes::from_static(b"a::b::c"), Some(b"::"));
        assert_eq!(k.as_deref(), Some(&b"a"[..]));
        assert_eq!(&v[..], b"b::c");
        let (k, v) = split_key(Bytes::from_static(b"nokey"), Some(b":"));
        assert!(k.is_none());
        assert_eq!(&v[..], b"nokey");
        let (k, v) = split_key(Bytes::from_static(b":v"), Some(b":"));
        assert_eq!((k.as_deref(), &v[..]), (Some(&b""[..]), &b"v"[..]));
        let (k, v) = split_key(Bytes::from_static(b"a:b"), None);
        assert_eq!((k, &v[..]), (None, &b"a:b"[..]));
    }

    #[test]
    fn headers_keep_order_and_null_values() {
        let h = parse_headers(&["a=1".into(), "b".into(), "a=x=y".into(), "c=".into()]).unwrap();
        let got: Vec<(&str, Option<&[u8]>)> = h
            .iter()
            .map(|h| (h.key.as_str(), h.value.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("a", Some(&b"1"[..])),
                ("b", None),
                ("a", Some(&b"x=y"[..])),
                ("c", Some(&b""[..]))
            ]
        );
        assert!(parse_headers(&["=v".into()]).unwrap_err().contains("=v"));
    }

    #[test]
    fn record_carries_key_partition_and_headers() {
        let shape = Shape {
            topic: Arc::from("t"),
            key_delimiter: Some(Bytes::from_static(b";")),
            partition: Some(2),
            headers: parse_headers(&["h=v".into()]).unwrap(),
        };
        let r = shape.record(Bytes::from_static(b"k;v"));
        assert!(Arc::ptr_eq(&r.topic, &shape.topic));
        assert_eq!(r.key.as_deref(), Some(&b"k"[..]));
        assert_eq!(r.value.as_deref(), Some(&b"v"[..]));
        assert_eq!(r.partition, Some(2));
        assert_eq!(r.headers.len(), 1);
    }
}
