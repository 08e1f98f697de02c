//! `credential_process`: credentials printed by a program the profile names.
//!
//! The command line is split into words with POSIX shell quoting (see `shell_words.rs`) and
//! the program run directly, without a shell, as botocore does. It gets no input, must finish
//! within a timeout (it is killed otherwise), and must print on stdout:
//!
//! ```json
//! {"Version": 1, "AccessKeyId": "ASIA…", "SecretAccessKey": "…",
//!  "SessionToken": "…", "Expiration": "2024-01-15T12:34:56Z"}
//! ```
//!
//! `SessionToken` and `Expiration` (RFC 3339) may be left out for long-term keys. A nonzero
//! exit is an error carrying the program's stderr (trimmed, at most 1000 characters); its
//! stdout is never quoted in a message (it holds the secret key).

use std::io::{self, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use super::credential_document::{credentials_from_document, json_object, PROCESS_FIELDS};
use super::error::AwsError;
use super::shell_words::split_words;
use crate::{AwsCredentials, BoxFuture, ProvideAwsCredentials};

/// The most of stdout read (a credential document is a few KiB).
const MAX_STDOUT: usize = 1 << 20;
/// The most of stderr kept.
const MAX_STDERR: usize = 64 << 10;
/// The most of stderr shown in a message, in characters.
const STDERR_SHOWN: usize = 1000;
/// How long to wait for the pipes to close after the program exited (a child it left
/// behind may hold them open).
const PIPE_GRACE: Duration = Duration::from_secs(1);

/// The provider name in [`AwsCredentials::source`].
const PROVIDER: &str = "credential_process";

/// Runs a `credential_process` command for credentials. Every call runs it again; put a
/// cache in front.
#[derive(Debug, Clone)]
pub struct CredentialProcess {
    command: String,
    timeout: Duration,
}

impl CredentialProcess {
    /// How long the program may run by default.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

    /// The command line, as written in the profile (`/opt/bin/creds --role "x y"`).
    pub fn new(command: impl Into<String>) -> Self {
        Self {
            command: command.into(),
            timeout: Self::DEFAULT_TIMEOUT,
        }
    }

    /// Sets how long the program may run before it is killed.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The command line.
    pub fn command(&self) -> &str {
        &self.command
    }

    fn fail(&self, why: impl Into<String>) -> AwsError {
        AwsError::CredentialProcess {
            command: self.command.clone(),
            why: why.into(),
        }
    }

    /// Runs the command and parses what it prints.
    pub async fn load(&self) -> Result<AwsCredentials, AwsError> {
        let words = split_words(&self.command)
            .map_err(|e| self.fail(format!("cannot split the command line: {e}")))?;
        let Some((program, args)) = words.split_first() else {
            return Err(self.fail("the command is empty"));
        };
        let (program, args, timeout) = (program.clone(), args.to_vec(), self.timeout);
        let output = tokio::task::spawn_blocking(move || run(&program, &args, timeout))
            .await
            .map_err(|e| self.fail(format!("the task running it failed: {e}")))?
            .map_err(|why| self.fail(why))?;
        if !output.status.success() {
            let stderr = excerpt(&output.stderr);
            return Err(self.fail(if stderr.is_empty() {
                format!("failed ({}) and printed nothing on stderr", output.status)
            } else {
                format!("failed ({}): {stderr}", output.status)
            }));
        }
        if output.stdout_truncated {
            return Err(self.fail(format!(
                "printed more than {MAX_STDOUT} bytes on stdout (expected a small JSON document)"
            )));
        }
        parse_output(&output.stdout).map_err(|why| self.fail(why))
    }
}

impl ProvideAwsCredentials for CredentialProcess {
    fn credentials(&self) -> BoxFuture<'_, Result<AwsCredentials, AwsError>> {
        Box::pin(self.load())
    }
}

/// The document a successful run printed.
pub(crate) fn parse_output(stdout: &[u8]) -> Result<AwsCredentials, String> {
    if stdout.iter().all(u8::is_ascii_whitespace) {
        return Err("printed nothing on stdout (expected a JSON credential document)".into());
    }
    let doc = json_object(stdout).map_err(|why| format!("its output is {why}"))?;
    match doc.get("Version") {
        Some(v) if v.as_u64() == Some(1) => {}
        Some(serde_json::Value::Number(n)) => {
            return Err(format!(
                "unsupported `Version` {n} in its output (expected 1)"
            ))
        }
        Some(_) => return Err("`Version` in its output should be the number 1".into()),
        None => return Err("`Version` is missing from its output (expected 1)".into()),
    }
    credentials_from_document(&doc, PROCESS_FIELDS, PROVIDER)
        .map_err(|why| format!("its output is unusable: {why}"))
}

/// The first [`STDERR_SHOWN`] characters of `stderr`, trimmed.
fn excerpt(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let text = text.trim();
    let mut out: String = text.chars().take(STDERR_SHOWN).collect();
    if text.chars().count() > STDERR_SHOWN {
        out.push('…');
    }
    out
}

/// What a reader thread sends: the bytes kept and whether some were dropped.
type PipeReader = mpsc::Receiver<io::Result<(Vec<u8>, bool)>>;

struct Output {
    status: ExitStatus,
    stdout: Vec<u8>,
    stdout_truncated: bool,
    stderr: Vec<u8>,
}

/// Runs `program` to completion or `timeout` (blocking; called on tokio's blocking pool).
fn run(program: &str, args: &[String], timeout: Duration) -> Result<Output, String> {
    let deadline = Instant::now() + timeout;
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start `{program}`: {e}"))?;
    let stdout = child
        .stdout
        .take()
        .map(|pipe| read_in_background(pipe, MAX_STDOUT));
    let stderr = child
        .stderr
        .take()
        .map(|pipe| read_in_background(pipe, MAX_STDERR));
    let status = wait_until(&mut child, deadline)
        .map_err(|e| format!("waiting for it failed: {e}"))?
        .ok_or_else(|| format!("did not finish within {timeout:?}; killed it"))?;
    let collect = |reader: Option<PipeReader>, name: &str| {
        let Some(reader) = reader else {
            return Ok((Vec::new(), false));
        };
        let wait = deadline
            .saturating_duration_since(Instant::now())
            .max(PIPE_GRACE);
        match reader.recv_timeout(wait) {
            Ok(Ok(read)) => Ok(read),
            Ok(Err(e)) => Err(format!("reading its {name} failed: {e}")),
            Err(_) => Err(format!(
                "it exited ({status}) but its {name} stayed open (a process it started still holds it?)"
            )),
        }
    };
    let (stdout, stdout_truncated) = collect(stdout, "stdout")?;
    let (stderr, _) = collect(stderr, "stderr")?;
    Ok(Output {
        status,
        stdout,
        stdout_truncated,
        stderr,
    })
}

/// Waits for `child` until `deadline`; kills it then and returns `Ok(None)`.
fn wait_until(child: &mut Child, deadline: Instant) -> io::Result<Option<ExitStatus>> {
    let mut pause = Duration::from_millis(1);
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        let now = Instant::now();
        if now >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(None);
        }
        thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(25));
    }
}

/// Reads `pipe` to its end on a thread, keeping at most `cap` bytes (the rest is read and
/// dropped, so the program never blocks on a full pipe). The flag says whether some was
/// dropped.
fn read_in_background(pipe: impl Read + Send + 'static, cap: usize) -> PipeReader {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut pipe = pipe;
        let mut kept = Vec::new();
        let result = (&mut pipe)
            .take(cap as u64)
            .read_to_end(&mut kept)
            .and_then(|_| io::copy(&mut pipe, &mut io::sink()))
            .map(|dropped| (kept, dropped > 0));
        let _ = tx.send(result);
    });
    rx
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::test_dir::TestDir;
    use ottla_sasl::Secret;
    use std::time::SystemTime;

    const GOOD: &str = r#"{"Version": 1, "AccessKeyId": "ASIAPROC", "SecretAccessKey": "procsecret",
        "SessionToken": "proctoken", "Expiration": "2024-01-15T12:34:56Z"}"#;

    #[tokio::test]
    async fn runs_the_program_and_parses_its_json() {
        let dir = TestDir::new("process-good");
        let file = dir.write("out dir/creds.json", GOOD);
        // A quoted path with a space: split like a shell would, run without one.
        let command = format!("cat '{}'", file.display());
        let c = CredentialProcess::new(command).credentials().await.unwrap();
        assert_eq!(c.access_key_id(), "ASIAPROC");
        assert_eq!(c.secret_access_key().expose(), "procsecret");
        assert_eq!(c.session_token().map(Secret::expose), Some("proctoken"));
        assert_eq!(
            c.expires_at(),
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_705_322_096))
        );
        assert_eq!(c.source(), "credential_process");
    }

    #[tokio::test]
    async fn long_term_keys_need_no_token_or_expiry() {
        let dir = TestDir::new("process-long-term");
        let file = dir.write(
            "creds.json",
            r#"{"Version":1,"AccessKeyId":"AKIA","SecretAccessKey":"s"}"#,
        );
        let c = CredentialProcess::new(format!("cat {}", file.display()))
            .load()
            .await
            .unwrap();
        assert_eq!(c.session_token(), None);
        assert_eq!(c.expires_at(), None);
    }

    #[tokio::test]
    async fn nonzero_exit_reports_trimmed_stderr() {
        let dir = TestDir::new("process-fail");
        // Run through `sh script` rather than executing the file: no exec of a file that
        // another test thread's fork might still hold open for writing (ETXTBSY).
        let script = dir.write(
            "fail.sh",
            "echo '{\"Version\": 1, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"leaked\"}'\n\
             echo '  token expired: run aws sso login  ' >&2\nexit 3\n",
        );
        let e = CredentialProcess::new(format!("sh {}", script.display()))
            .load()
            .await
            .unwrap_err();
        let text = e.to_string();
        assert!(matches!(e, AwsError::CredentialProcess { .. }), "{e:?}");
        assert!(
            text.ends_with("failed (exit status: 3): token expired: run aws sso login"),
            "{text}"
        );
        assert!(!text.contains("leaked"), "{text}");

        let quiet = dir.write("quiet.sh", "exit 1\n");
        let e = CredentialProcess::new(format!("sh {}", quiet.display()))
            .load()
            .await
            .unwrap_err();
        assert!(
            e.to_string()
                .ends_with("failed (exit status: 1) and printed nothing on stderr"),
            "{e}"
        );
    }

    #[tokio::test]
    async fn long_stderr_is_capped() {
        let dir = TestDir::new("process-long-stderr");
        let noise = dir.write("noise.txt", &"x".repeat(5000));
        let script = dir.write("fail.sh", &format!("cat {} >&2\nexit 2\n", noise.display()));
        let e = CredentialProcess::new(format!("sh {}", script.display()))
            .load()
            .await
            .unwrap_err();
        let text = e.to_string();
        assert!(
            text.ends_with(&format!("{}…", "x".repeat(STDERR_SHOWN))),
            "{}",
            text.len()
        );
        assert!(!text.contains(&"x".repeat(STDERR_SHOWN + 1)));
    }

    #[tokio::test]
    async fn bad_output_is_an_error_without_the_secret() {
        let dir = TestDir::new("process-bad");
        let cases = [
            ("notjson.txt", "SecretAccessKey=hunter2", "not valid JSON"),
            ("empty.txt", "\n", "printed nothing on stdout"),
            (
                "noversion.json",
                r#"{"AccessKeyId":"A","SecretAccessKey":"hunter2"}"#,
                "`Version` is missing",
            ),
            (
                "v2.json",
                r#"{"Version":2,"AccessKeyId":"A","SecretAccessKey":"hunter2"}"#,
                "unsupported `Version` 2",
            ),
            (
                "nosecret.json",
                r#"{"Version":1,"AccessKeyId":"A"}"#,
                "`SecretAccessKey` is missing",
            ),
            (
                "nokey.json",
                r#"{"Version":1,"SecretAccessKey":"hunter2"}"#,
                "`AccessKeyId` is missing",
            ),
            (
                "badexpiry.json",
                r#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"hunter2","Expiration":"later"}"#,
                "`Expiration` is not an RFC 3339 time",
            ),
        ];
        for (name, content, expected) in cases {
            let file = dir.write(name, content);
            let e = CredentialProcess::new(format!("cat {}", file.display()))
                .load()
                .await
                .unwrap_err();
            let text = e.to_string();
            assert!(text.contains(expected), "{name}: {text}");
            assert!(!text.contains("hunter2"), "{name}: {text}");
        }
    }

    #[tokio::test]
    async fn command_problems() {
        let e = CredentialProcess::new("   ").load().await.unwrap_err();
        assert!(e.to_string().ends_with("the command is empty"), "{e}");
        let e = CredentialProcess::new("cat 'unclosed")
            .load()
            .await
            .unwrap_err();
        assert!(e.to_string().contains("a ' quote is never closed"), "{e}");
        let e = CredentialProcess::new("/nonexistent/ottla-no-such-program --x")
            .load()
            .await
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("cannot start `/nonexistent/ottla-no-such-program`"),
            "{e}"
        );
    }

    #[tokio::test]
    async fn a_hanging_program_is_killed_at_the_timeout() {
        let started = Instant::now();
        let e = CredentialProcess::new("sleep 30")
            .with_timeout(Duration::from_millis(300))
            .load()
            .await
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("did not finish within 300ms; killed it"),
            "{e}"
        );
        // A bound on the timeout, not a performance claim.
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
    }
}
