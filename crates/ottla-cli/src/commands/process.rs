//! `ottla process`: a group's records in batches, as Lambda's Kafka event, to a command
//! (`--exec`, the event on stdin) or to a Lambda runtime's invoke endpoint (`--invoke-url`),
//! with the processor's semantics: offsets committed after success, retries, bisection,
//! partial batch responses, a failure destination. A summary on exit.

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use ottla::processor::{Batch, BatchResponse, HandlerError, Processor, ProcessorConfig};
use tokio::io::AsyncWriteExt as _;

use super::{stats_output, CmdResult};
use crate::args::ProcessArgs;

pub async fn run(props: &ottla::Properties, args: ProcessArgs) -> CmdResult {
    let mut builder = ProcessorConfig::builder();
    // The command line's handlers may name failed records (Lambda's batchItemFailures);
    // -X report.batch.item.failures=false turns that off.
    builder.set("report.batch.item.failures", "true")?;
    builder.set("starting.position", &args.starting_position)?;
    if let Some(ts) = args.starting_timestamp {
        builder.set("starting.position.timestamp.ms", &ts.to_string())?;
    }
    for (k, v) in props.iter() {
        builder.set(k, v)?;
    }
    builder
        .group_id(args.group.as_str())
        .topics(args.topics.iter().map(String::as_str));
    let config = builder.build()?;
    let processor = match (&args.exec, &args.invoke_url) {
        (Some(cmd), None) => {
            let cmd = Arc::<str>::from(cmd.as_str());
            Processor::new(config, move |batch: Batch| exec(Arc::clone(&cmd), batch)).await?
        }
        (None, Some(url)) => {
            let target = Arc::new(InvokeUrl::parse(url)?);
            Processor::new(config, move |batch: Batch| {
                invoke(Arc::clone(&target), batch)
            })
            .await?
        }
        _ => return Err("give one handler: --exec 'COMMAND' or --invoke-url URL".into()),
    };
    let handle = processor.handle();
    let limit = args.count.unwrap_or(u64::MAX);
    let stop = async move {
        let enough = async {
            while handle.stats().records_processed < limit {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        };
        tokio::select! {
            () = enough => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    };
    let stats = processor.run_until(stop).await?;
    eprintln!(
        "processed {} record(s) in {} batch(es): {} call(s), {} failed; {} record(s) given up, {} failure record(s) written; offset lag {}",
        stats.records_processed - stats.records_failed,
        stats.batches,
        stats.calls,
        stats.failed_calls,
        stats.records_failed,
        stats.destination_writes,
        stats.total_offset_lag(),
    );
    if let Some(f) = args.stats {
        stats_output::print(f, "processor", &stats, |p| {
            p.processor(&stats);
        })?;
    }
    Ok(())
}

/// What a handler's answer says: a JSON object with `batchItemFailures` names failed
/// records; anything else (nothing, other JSON, text) is success, as Lambda ignores a
/// response it does not read.
fn response(body: &[u8], batch: &Batch) -> Result<BatchResponse, HandlerError> {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(v) if v.get("batchItemFailures").is_some() => {
            BatchResponse::from_lambda_json(body, batch.records())
        }
        _ => Ok(BatchResponse::success()),
    }
}

/// `sh -c CMD` with the event on stdin: exit 0 is success (stdout read by [`response`]);
/// otherwise the last line of stderr says why.
async fn exec(cmd: Arc<str>, batch: Batch) -> Result<BatchResponse, HandlerError> {
    let unhandled = |m: String| HandlerError::new("Unhandled", m);
    let mut child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(&*cmd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| unhandled(format!("cannot run {cmd:?}: {e}")))?;
    let event = batch.event_json();
    if let Some(mut stdin) = child.stdin.take() {
        // A handler that exits without reading its input is judged by its exit status.
        let _ = stdin.write_all(&event).await;
    }
    let out = child
        .wait_with_output()
        .await
        .map_err(|e| unhandled(format!("{cmd:?}: {e}")))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let last = stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        return Err(unhandled(format!(
            "{cmd:?} exited with {}: {last}",
            out.status
        )));
    }
    response(&out.stdout, &batch)
}

/// `http://HOST:PORT/PATH` (a Lambda runtime's invoke endpoint is plain HTTP on the local
/// machine or network).
#[derive(Debug)]
struct InvokeUrl {
    authority: String,
    path: String,
}

impl InvokeUrl {
    fn parse(url: &str) -> Result<Self, String> {
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| format!("--invoke-url takes http://HOST:PORT/PATH, got {url:?}"))?;
        let (authority, path) = match rest.split_once('/') {
            Some((a, p)) => (a, format!("/{p}")),
            None => (rest, "/".to_owned()),
        };
        if authority.is_empty() {
            return Err(format!("--invoke-url {url:?} names no host"));
        }
        let authority = if authority.contains(':') {
            authority.to_owned()
        } else {
            format!("{authority}:80")
        };
        Ok(Self { authority, path })
    }
}

/// POSTs the event. A function error is a status other than 200, an `X-Amz-Function-Error`
/// header (Lambda's Invoke API), or a body with `errorType`/`errorMessage` (what the runtime
/// interface emulator returns, with status 200 and no header); otherwise [`response`].
async fn invoke(url: Arc<InvokeUrl>, batch: Batch) -> Result<BatchResponse, HandlerError> {
    let fail = |m: String| HandlerError::new("Unhandled", m);
    let stream = tokio::net::TcpStream::connect(&url.authority)
        .await
        .map_err(|e| fail(format!("connect {}: {e}", url.authority)))?;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .map_err(|e| fail(format!("{}: {e}", url.authority)))?;
    tokio::spawn(conn);
    let request = http::Request::post(url.path.as_str())
        .header(http::header::HOST, url.authority.as_str())
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(batch.event_json())))
        .map_err(|e| fail(e.to_string()))?;
    let answer = sender
        .send_request(request)
        .await
        .map_err(|e| fail(format!("invoke {}: {e}", url.path)))?;
    let status = answer.status();
    let function_error = answer
        .headers()
        .get("x-amz-function-error")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = answer
        .into_body()
        .collect()
        .await
        .map_err(|e| fail(format!("reading the answer: {e}")))?
        .to_bytes();
    let json: Option<serde_json::Value> = serde_json::from_slice(&body).ok();
    let field = |k: &str| {
        json.as_ref()
            .and_then(|j| j.get(k))
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    let (error_type, message) = (field("errorType"), field("errorMessage"));
    let text = String::from_utf8_lossy(&body);
    if status != http::StatusCode::OK
        || function_error.is_some()
        || error_type.is_some()
        || message.is_some()
        || text.starts_with("Task timed out")
    {
        return Err(HandlerError::new(
            function_error
                .or(error_type)
                .unwrap_or_else(|| "Unhandled".to_owned()),
            message.unwrap_or_else(|| format!("HTTP {status}: {}", text.trim())),
        ));
    }
    response(&body, &batch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invoke_urls() {
        let u = InvokeUrl::parse("http://localhost:9000/2015-03-31/functions/function/invocations")
            .unwrap();
        assert_eq!(u.authority, "localhost:9000");
        assert_eq!(u.path, "/2015-03-31/functions/function/invocations");
        let u = InvokeUrl::parse("http://lambda").unwrap();
        assert_eq!((u.authority.as_str(), u.path.as_str()), ("lambda:80", "/"));
        assert!(InvokeUrl::parse("https://x/y").is_err());
        assert!(InvokeUrl::parse("http:///y").is_err());
    }
}
