//! The payload both clients send, and the file kcat reads it from.

use std::io::Write;
use std::path::{Path, PathBuf};

use bytes::Bytes;

/// `size` printable ASCII bytes (`!`..=`~`, so never `\n`), the same on every call: kcat
/// reads one record per line, and ottla sends the very same bytes.
pub fn payload(size: usize) -> Bytes {
    // xorshift64*: cheap, deterministic, and not a run of one byte (which any codec would
    // shrink to nothing).
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..size)
        .map(|_| {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            let r = state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32;
            b'!' + (r % 94) as u8
        })
        .collect::<Vec<u8>>()
        .into()
}

/// A temporary directory of payload files, removed on drop.
#[derive(Debug)]
pub struct PayloadFiles {
    dir: PathBuf,
}

impl PayloadFiles {
    /// Creates the directory under the system's temporary directory.
    pub fn new() -> std::io::Result<Self> {
        let dir = std::env::temp_dir().join(format!("ottla-perf-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        Ok(Self { dir })
    }

    /// The file of `records` lines of `payload(size)`, written on first use.
    pub fn file(&self, records: u64, size: usize) -> std::io::Result<PathBuf> {
        let path = self.dir.join(format!("{records}x{size}.txt"));
        if !path.exists() {
            write_lines(&path, &payload(size), records)?;
        }
        Ok(path)
    }
}

impl Drop for PayloadFiles {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Writes `count` lines of `line` (each followed by `\n`); a partial file is removed.
fn write_lines(path: &Path, line: &[u8], count: u64) -> std::io::Result<()> {
    let written = (|| {
        let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
        for _ in 0..count {
            out.write_all(line)?;
            out.write_all(b"\n")?;
        }
        out.into_inner().map_err(|e| e.into_error())?.sync_all()
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(path);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_is_printable_stable_and_varied() {
        let p = payload(1000);
        assert_eq!(p.len(), 1000);
        assert!(p.iter().all(|b| (b'!'..=b'~').contains(b)));
        assert_eq!(p, payload(1000));
        assert_eq!(payload(10), p.slice(..10));
        let distinct: std::collections::BTreeSet<u8> = p.iter().copied().collect();
        assert!(distinct.len() > 60, "{} distinct bytes", distinct.len());
    }

    #[test]
    fn file_holds_one_payload_per_line_and_goes_away() {
        let files = PayloadFiles::new().unwrap();
        let path = files.file(3, 5).unwrap();
        let text = std::fs::read(&path).unwrap();
        let p = payload(5);
        let want: Vec<u8> = [&p[..], b"\n"].concat().repeat(3);
        assert_eq!(text, want);
        let dir = path.parent().unwrap().to_owned();
        drop(files);
        assert!(!dir.exists());
    }
}
