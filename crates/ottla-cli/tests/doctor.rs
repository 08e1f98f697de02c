//! `ottla doctor` end to end: against `ottla-mock` (plain, SASL/SCRAM), an in-process TLS
//! front end (rustls, the ottla-tls fixtures) in front of the mock, a loopback HTTP double for
//! the SigV4 clock check, and the real TLS peers of `scripts/test.sh` when their variables
//! are set.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use ottla_mock::{MockCluster, MockSasl, SaslMechanism};
use ottla_tests::{fixture_str, tls_badname_bootstrap, tls_bootstrap};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What one run printed and how it ended.
struct Run {
    status: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", self.stdout, self.stderr))
    }
}

fn run_blocking(args: &[String], env: &[(String, String)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ottla"));
    cmd.args(args)
        .env_remove("OTTLA_BROKERS")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for var in ["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS"] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out: Output = cmd.output().expect("run ottla");
    Run {
        status: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `ottla -b BOOTSTRAP [-X k=v …] doctor EXTRA…` off the async runtime (the mock and
/// the TLS front end live on it).
async fn doctor(
    bootstrap: &str,
    props: &[(&str, &str)],
    extra: &[&str],
    env: &[(&str, &str)],
) -> Run {
    let mut args = vec!["-b".to_owned(), bootstrap.to_owned()];
    for (k, v) in props {
        args.push("-X".to_owned());
        args.push(format!("{k}={v}"));
    }
    args.push("doctor".to_owned());
    args.extend(extra.iter().map(|s| s.to_string()));
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    tokio::task::spawn_blocking(move || run_blocking(&args, &env))
        .await
        .unwrap()
}

/// The step called `name` in a JSON report.
fn step<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no step {name} in {report:#}"))
}

fn status<'a>(report: &'a Value, name: &str) -> &'a str {
    step(report, name)["status"].as_str().unwrap()
}

fn hints(report: &Value, name: &str) -> String {
    step(report, name)["hints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

fn text(report: &Value, name: &str, field: &str) -> String {
    match &step(report, name)[field] {
        Value::String(s) => s.clone(),
        Value::Array(a) => a
            .iter()
            .map(|l| l.as_str().unwrap_or_default().to_owned())
            .collect::<Vec<_>>()
            .join("\n"),
        other => other.to_string(),
    }
}

/// Asserts that the run failed (exit 1) at `name` and that every later step was skipped.
fn assert_fails_at(run: &Run, name: &str) -> Value {
    assert_eq!(run.status, Some(1), "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    assert_eq!(report["ok"], false);
    assert_eq!(report["failed_step"], name, "{report:#}");
    let steps = report["steps"].as_array().unwrap();
    let at = steps.iter().position(|s| s["name"] == name).unwrap();
    assert_eq!(steps[at]["status"], "fail");
    assert!(
        !step(&report, name)["hints"].as_array().unwrap().is_empty(),
        "a failed step names likely causes: {report:#}"
    );
    for s in &steps[at + 1..] {
        assert_eq!(s["status"], "skipped", "{s:#}");
    }
    assert_eq!(steps.len(), 10);
    report
}

async fn plain_cluster() -> MockCluster {
    MockCluster::builder()
        .brokers(1)
        .topic("t", 1)
        .start()
        .await
        .unwrap()
}

async fn scram_cluster() -> MockCluster {
    MockCluster::builder()
        .brokers(1)
        .topic("t", 1)
        .sasl(
            MockSasl::new()
                .mechanism(SaslMechanism::ScramSha512)
                .user("alice", "alice-secret")
                .session_lifetime(Duration::from_secs(3600)),
        )
        .start()
        .await
        .unwrap()
}

const SCRAM: &[(&str, &str)] = &[
    ("security.protocol", "SASL_PLAINTEXT"),
    ("sasl.mechanism", "SCRAM-SHA-512"),
    ("sasl.username", "alice"),
    ("sasl.password", "alice-secret"),
];

fn with(
    base: &[(&'static str, &'static str)],
    key: &'static str,
    value: &'static str,
) -> Vec<(&'static str, &'static str)> {
    let mut v: Vec<_> = base.iter().filter(|(k, _)| *k != key).copied().collect();
    v.push((key, value));
    v
}

/// A port nobody listens on.
fn dead_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plaintext_all_steps_pass_with_a_round_trip() {
    let cluster = plain_cluster().await;
    let b = cluster.bootstrap();
    let run = doctor(&b, &[], &["--topic", "t", "--json"], &[]).await;
    assert_eq!(run.status, Some(0), "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    assert_eq!(report["ok"], true);
    assert_eq!(report["target"], b.as_str());
    for name in [
        "Config", "DNS", "TCP", "Kafka", "Metadata", "Produce", "Consume",
    ] {
        assert_eq!(status(&report, name), "ok", "{name}: {report:#}");
        assert!(step(&report, name)["elapsed_ms"].is_u64());
    }
    for name in ["TLS", "Clock", "SASL"] {
        assert_eq!(status(&report, name), "skipped", "{name}");
    }
    let meta = &step(&report, "Metadata")["data"];
    assert_eq!(meta["topics"], serde_json::json!(["t"]));
    assert_eq!(meta["brokers"][0]["id"], 1);
    assert_eq!(meta["brokers"][0]["error"], Value::Null);
    assert_eq!(
        step(&report, "Produce")["data"]["offset"],
        step(&report, "Consume")["data"]["offset"]
    );
    assert_eq!(cluster.high_watermark("t", 0).unwrap(), 1);

    // The text form: one line per step, then the verdict.
    let run = doctor(&b, &[], &["-t", "t"], &[]).await;
    assert_eq!(run.status, Some(0), "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().filter(|l| !l.starts_with(' ')).collect();
    assert_eq!(lines.len(), 11, "{}", run.stdout);
    assert!(lines[1].starts_with("✔ DNS"), "{}", run.stdout);
    assert!(
        lines[3].starts_with("– TLS      skipped: not used"),
        "{}",
        run.stdout
    );
    assert!(
        lines[9].starts_with("✔ Consume  read it back from t-0 at offset 1"),
        "{}",
        run.stdout
    );
    assert!(lines[9].ends_with(" ms)"), "{}", run.stdout);
    assert_eq!(lines[10], "all checks passed");
    assert_eq!(cluster.high_watermark("t", 0).unwrap(), 2);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_topic_fails_at_produce() {
    let cluster = plain_cluster().await;
    let run = doctor(
        &cluster.bootstrap(),
        &[],
        &["--topic", "nope", "--json"],
        &[],
    )
    .await;
    let report = assert_fails_at(&run, "Produce");
    assert_eq!(status(&report, "Metadata"), "warn");
    assert!(
        hints(&report, "Produce").contains("ottla topics create nope"),
        "{report:#}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unresolvable_name_fails_at_dns() {
    let run = doctor("no-such-host.invalid:9092", &[], &["--json"], &[]).await;
    let report = assert_fails_at(&run, "DNS");
    assert!(text(&report, "DNS", "summary").contains("no-such-host.invalid"));
    assert!(hints(&report, "DNS").contains("mistyped"), "{report:#}");
    // Text: the failure, its causes, the skipped rest, the verdict; nothing on stderr.
    let run = doctor("no-such-host.invalid:9092", &[], &[], &[]).await;
    assert_eq!(run.status, Some(1));
    assert!(run.stdout.contains("✘ DNS"), "{}", run.stdout);
    assert!(run.stdout.contains("    likely cause: "), "{}", run.stdout);
    assert!(run
        .stdout
        .contains("– TCP      skipped: an earlier step failed"));
    assert!(run.stdout.ends_with("failed at DNS\n"), "{}", run.stdout);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_port_fails_at_tcp() {
    let port = dead_port();
    let run = doctor(&format!("127.0.0.1:{port}"), &[], &["--json"], &[]).await;
    let report = assert_fails_at(&run, "TCP");
    assert!(
        text(&report, "TCP", "summary").contains("connection refused"),
        "{report:#}"
    );
    assert!(text(&report, "TCP", "detail").contains(&format!("127.0.0.1:{port}")));
    let h = hints(&report, "TCP");
    assert!(
        h.contains(&format!("nothing listens on port {port}")),
        "{h}"
    );
    assert!(h.contains("9098 IAM"), "{h}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_configuration_fails_at_config() {
    let run = doctor(
        "127.0.0.1:1",
        &[("request.timeout.ms", "soon")],
        &["--json"],
        &[],
    )
    .await;
    let report = assert_fails_at(&run, "Config");
    assert!(
        hints(&report, "Config").contains("request.timeout.ms"),
        "{report:#}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scram_passes_and_reports_the_session_lifetime() {
    let cluster = scram_cluster().await;
    let run = doctor(
        &cluster.bootstrap(),
        SCRAM,
        &["--topic", "t", "--json"],
        &[],
    )
    .await;
    assert_eq!(run.status, Some(0), "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    assert_eq!(status(&report, "SASL"), "ok");
    assert_eq!(
        text(&report, "SASL", "summary"),
        "authenticated with SCRAM-SHA-512 as alice"
    );
    let sasl = &step(&report, "SASL")["data"];
    assert_eq!(sasl["offered"], serde_json::json!(["SCRAM-SHA-512"]));
    assert_eq!(sasl["session_lifetime_ms"], 3_600_000);
    assert!(text(&report, "SASL", "detail").contains("session lifetime: 1 h 0 min"));
    assert_eq!(status(&report, "Consume"), "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mechanism_not_offered_lists_what_is() {
    let cluster = scram_cluster().await;
    let props = with(SCRAM, "sasl.mechanism", "SCRAM-SHA-256");
    let run = doctor(&cluster.bootstrap(), &props, &["--json"], &[]).await;
    let report = assert_fails_at(&run, "SASL");
    let summary = text(&report, "SASL", "summary");
    assert!(
        summary.contains("does not offer SCRAM-SHA-256; it offers: SCRAM-SHA-512"),
        "{summary}"
    );
    assert!(hints(&report, "SASL").contains("set sasl.mechanism to one it offers"));
    assert_eq!(status(&report, "Kafka"), "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_is_an_authentication_failure() {
    let cluster = scram_cluster().await;
    let props = with(SCRAM, "sasl.password", "wrong-secret-42");
    let run = doctor(&cluster.bootstrap(), &props, &["--json"], &[]).await;
    let report = assert_fails_at(&run, "SASL");
    assert!(
        text(&report, "SASL", "summary")
            .contains("authentication with SCRAM-SHA-512 as alice failed"),
        "{report:#}"
    );
    let h = hints(&report, "SASL");
    assert!(h.contains("sasl.username or sasl.password is wrong"), "{h}");
    assert!(!run.stdout.contains("wrong-secret-42"), "{}", run.stdout);
    assert_eq!(
        step(&report, "SASL")["data"]["offered"],
        serde_json::json!(["SCRAM-SHA-512"])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_sasl_against_a_sasl_listener_fails_at_metadata() {
    let cluster = scram_cluster().await;
    let run = doctor(&cluster.bootstrap(), &[], &["--json"], &[]).await;
    let report = assert_fails_at(&run, "Metadata");
    assert_eq!(status(&report, "Kafka"), "ok");
    assert!(
        hints(&report, "Metadata").contains("the listener requires SASL"),
        "{report:#}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssl_to_a_plaintext_listener_fails_at_tls() {
    let cluster = plain_cluster().await;
    let props = [
        ("security.protocol", "SSL"),
        ("ssl.ca.location", &*fixture("ca.pem")),
    ];
    let run = doctor(&cluster.bootstrap(), &props, &["--json"], &[]).await;
    let report = assert_fails_at(&run, "TLS");
    let h = hints(&report, "TLS");
    assert!(h.contains("is not a TLS listener"), "{h}");
    assert!(h.contains("security.protocol=PLAINTEXT"), "{h}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plaintext_to_a_tls_listener_fails_at_kafka() {
    let cluster = plain_cluster().await;
    let front = tls_front(&cluster, "server.pem", "server.key").await;
    let run = doctor(&format!("localhost:{front}"), &[], &["--json"], &[]).await;
    let report = assert_fails_at(&run, "Kafka");
    assert_eq!(status(&report, "TCP"), "ok");
    assert!(
        hints(&report, "Kafka").contains("is a TLS listener: set security.protocol=SSL"),
        "{report:#}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_chain_is_printed_with_expiry() {
    let cluster = plain_cluster().await;
    let front = tls_front(&cluster, "server.pem", "server.key").await;
    let props = [
        ("security.protocol", "SSL"),
        ("ssl.ca.location", &*fixture("ca.pem")),
    ];
    let run = doctor(&format!("localhost:{front}"), &props, &["--json"], &[]).await;
    // The TLS front end serves the mock, but the mock advertises its own plaintext port:
    // TLS and Kafka pass, and the broker check fails on the advertised address.
    let report = assert_fails_at(&run, "Metadata");
    assert_eq!(status(&report, "TLS"), "ok", "{report:#}");
    let chain = &step(&report, "TLS")["data"]["chain"];
    assert_eq!(chain[0]["subject"], "CN=localhost");
    assert_eq!(
        chain[0]["names"],
        serde_json::json!(["localhost", "127.0.0.1"])
    );
    assert!(chain[0]["days_left"].as_i64().unwrap() > 30);
    assert!(chain[0]["not_after"].as_str().unwrap().starts_with("21"));
    let detail = text(&report, "TLS", "detail");
    assert!(detail.contains("[0] subject: CN=localhost"), "{detail}");
    assert!(detail.contains("days left"), "{detail}");
    assert_eq!(status(&report, "Kafka"), "ok");
    let summary = text(&report, "Metadata", "summary");
    assert!(
        summary.contains("broker(s) 1 cannot be reached at their advertised address"),
        "{summary}"
    );
    let h = hints(&report, "Metadata");
    assert!(h.contains("advertised.listeners"), "{h}");
    assert!(h.contains("not a TLS listener"), "{h}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostname_mismatch_names_the_certificate_names() {
    let cluster = plain_cluster().await;
    let front = tls_front(&cluster, "server-other-name.pem", "server-other-name.key").await;
    let props = [
        ("security.protocol", "SSL"),
        ("ssl.ca.location", &*fixture("ca.pem")),
    ];
    let run = doctor(&format!("localhost:{front}"), &props, &["--json"], &[]).await;
    let report = assert_fails_at(&run, "TLS");
    assert_eq!(
        text(&report, "TLS", "summary"),
        "the broker's certificate is not valid for localhost"
    );
    assert!(text(&report, "TLS", "detail").contains("valid for: broker.example"));
    assert!(hints(&report, "TLS").contains("broker.example"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_ca_suggests_ssl_ca_location() {
    let cluster = plain_cluster().await;
    let front = tls_front(&cluster, "server.pem", "server.key").await;
    let run = doctor(
        &format!("localhost:{front}"),
        &[("security.protocol", "SSL")],
        &["--json"],
        &[],
    )
    .await;
    let report = assert_fails_at(&run, "TLS");
    assert!(
        text(&report, "TLS", "summary").contains("unknown CA"),
        "{report:#}"
    );
    assert!(hints(&report, "TLS").contains("set ssl.ca.location"));
    // With the wrong CA file set, the hint is about that file.
    let props = [
        ("security.protocol", "SSL"),
        ("ssl.ca.location", &*fixture("other-ca.pem")),
    ];
    let run = doctor(&format!("localhost:{front}"), &props, &["--json"], &[]).await;
    let report = assert_fails_at(&run, "TLS");
    assert!(
        hints(&report, "TLS").contains("does not hold the CA"),
        "{report:#}"
    );
}

/// SigV4 settings over SASL_PLAINTEXT, so the mock's plaintext listener gets as far as the
/// clock check.
const IAM: &[(&str, &str)] = &[
    ("security.protocol", "SASL_PLAINTEXT"),
    ("sasl.mechanism", "AWS_MSK_IAM"),
    ("aws.region", "eu-west-1"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clock_ten_minutes_off_fails_the_clock_step() {
    let cluster = plain_cluster().await;
    let sts = date_double(SystemTime::now() - Duration::from_secs(600)).await;
    let run = doctor(
        &cluster.bootstrap(),
        IAM,
        &["--json"],
        &[("AWS_ENDPOINT_URL_STS", &sts)],
    )
    .await;
    let report = assert_fails_at(&run, "Clock");
    let summary = text(&report, "Clock", "summary");
    assert!(summary.contains("ahead of AWS's time"), "{summary}");
    let skew = step(&report, "Clock")["data"]["skew_seconds"]
        .as_i64()
        .unwrap();
    assert!((-602..=-598).contains(&skew), "{skew}");
    let h = hints(&report, "Clock");
    assert!(h.contains("more than 5 minutes"), "{h}");
    assert!(h.contains("chrony"), "{h}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clock_in_sync_passes_and_an_unreachable_endpoint_warns() {
    let cluster = MockCluster::builder()
        .brokers(1)
        .sasl(
            MockSasl::new()
                .mechanism(SaslMechanism::OAuthBearer)
                .oauth_validator(|_, _| Err("no".to_owned())),
        )
        .start()
        .await
        .unwrap();
    let sts = date_double(SystemTime::now()).await;
    let run = doctor(
        &cluster.bootstrap(),
        IAM,
        &["--json"],
        &[("AWS_ENDPOINT_URL_STS", &sts)],
    )
    .await;
    // The clock is fine; the listener offers only OAUTHBEARER.
    let report = assert_fails_at(&run, "SASL");
    assert_eq!(status(&report, "Clock"), "ok", "{report:#}");
    assert!(text(&report, "SASL", "summary")
        .contains("does not offer AWS_MSK_IAM; it offers: OAUTHBEARER"));
    let dead = format!("http://127.0.0.1:{}/", dead_port());
    let run = doctor(
        &cluster.bootstrap(),
        IAM,
        &["--json"],
        &[("AWS_ENDPOINT_URL", &dead)],
    )
    .await;
    let report = assert_fails_at(&run, "SASL");
    assert_eq!(status(&report, "Clock"), "warn", "{report:#}");
    assert!(text(&report, "Clock", "warnings").starts_with("could not check the clock: "));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_tls_peer_chain_and_expiry() {
    let Some(b) = tls_bootstrap() else { return };
    let props = [
        ("security.protocol", "SSL"),
        ("ssl.ca.location", &*fixture_str("ca.pem")),
    ];
    let run = doctor(&b, &props, &["--json"], &[]).await;
    assert_eq!(run.status, Some(0), "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    assert_eq!(status(&report, "TLS"), "ok");
    let chain = step(&report, "TLS")["data"]["chain"]
        .as_array()
        .unwrap()
        .clone();
    assert!(!chain.is_empty());
    assert!(chain[0]["days_left"].as_i64().unwrap() > 0);
    assert!(text(&report, "TLS", "detail").contains("expires: "));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_tls_peer_with_another_name() {
    let Some(b) = tls_badname_bootstrap() else {
        return;
    };
    let props = [
        ("security.protocol", "SSL"),
        ("ssl.ca.location", &*fixture_str("ca.pem")),
    ];
    let run = doctor(&b, &props, &["--json"], &[]).await;
    let report = assert_fails_at(&run, "TLS");
    assert!(
        text(&report, "TLS", "summary").contains("not valid for"),
        "{report:#}"
    );
    assert!(
        text(&report, "TLS", "detail").contains("broker.example"),
        "{report:#}"
    );
}

/// A fixture of ottla-tls (`OTTLA_TLS_FIXTURES` is for the external peers; the in-process
/// front end always uses the checked-in files).
fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../ottla-tls/tests/fixtures")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// A TLS front end on a loopback port that forwards every connection to the mock's first
/// broker, presenting `cert`/`key`.
async fn tls_front(cluster: &MockCluster, cert: &str, key: &str) -> u16 {
    let provider = Arc::new(ottla_tls::crypto_provider().unwrap());
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(fixture(cert))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(fixture(key)).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let backend = cluster.bootstrap().split(',').next().unwrap().to_owned();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            let backend = backend.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let Ok(mut upstream) = TcpStream::connect(&backend).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut upstream).await;
            });
        }
    });
    port
}

/// An HTTP server that answers every request 404 with `Date: <at>`; its URL.
async fn date_double(at: SystemTime) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let date = imf_fixdate(at);
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else {
                return;
            };
            let date = date.clone();
            tokio::spawn(async move {
                let mut got = Vec::new();
                let mut buf = [0u8; 2048];
                while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                    }
                }
                let reply = format!(
                    "HTTP/1.1 404 Not Found\r\nDate: {date}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
                let _ = s.write_all(reply.as_bytes()).await;
            });
        }
    });
    format!("http://{addr}/")
}

/// RFC 7231 IMF-fixdate, written out by hand (the test does not share the code under test).
fn imf_fixdate(t: SystemTime) -> String {
    let secs = t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        WEEKDAYS[days.rem_euclid(7) as usize],
        MONTHS[(month - 1) as usize],
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

#[test]
fn imf_fixdate_matches_the_rfc_example() {
    let t = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
    assert_eq!(imf_fixdate(t), "Sun, 06 Nov 1994 08:49:37 GMT");
}

/// A mock that takes MSK IAM (OAUTHBEARER tokens and AWS_MSK_IAM) for one access key.
async fn iam_cluster() -> MockCluster {
    MockCluster::builder()
        .brokers(1)
        .topic("t", 1)
        .sasl(MockSasl::msk_iam(
            ottla_mock::MockIam::new("us-east-1").key("AKIDDOCTOR", "doctor-secret"),
        ))
        .start()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn msk_iam_passes_and_a_wrong_key_fails_at_sasl() {
    let cluster = iam_cluster().await;
    let sts = date_double(SystemTime::now()).await;
    let home = std::env::temp_dir().join(format!("ottla-doctor-iam-{}", std::process::id()));
    let home = home.to_string_lossy().into_owned();
    for mechanism in [
        &[("sasl.mechanism", "AWS_MSK_IAM")][..],
        &[
            ("sasl.mechanism", "OAUTHBEARER"),
            ("sasl.oauthbearer.method", "aws_msk_iam"),
        ][..],
    ] {
        let mut props = vec![
            ("security.protocol", "SASL_PLAINTEXT"),
            ("aws.region", "us-east-1"),
        ];
        props.extend_from_slice(mechanism);
        let env = |secret: &'static str| {
            [
                ("HOME", home.as_str()),
                ("AWS_ACCESS_KEY_ID", "AKIDDOCTOR"),
                ("AWS_SECRET_ACCESS_KEY", secret),
                ("AWS_ENDPOINT_URL_STS", sts.as_str()),
                ("AWS_EC2_METADATA_DISABLED", "true"),
            ]
        };
        let run = doctor(
            &cluster.bootstrap(),
            &props,
            &["--json"],
            &env("doctor-secret"),
        )
        .await;
        assert_eq!(run.status, Some(0), "{}\n{}", run.stdout, run.stderr);
        let report = run.json();
        assert_eq!(status(&report, "Clock"), "ok", "{report:#}");
        assert_eq!(status(&report, "SASL"), "ok", "{report:#}");

        let run = doctor(
            &cluster.bootstrap(),
            &props,
            &["--json"],
            &env("wrong-secret"),
        )
        .await;
        let report = assert_fails_at(&run, "SASL");
        let summary = text(&report, "SASL", "summary");
        assert!(summary.contains("failed"), "{summary}");
        assert!(!run.stdout.contains("wrong-secret"), "{}", run.stdout);
        assert!(
            hints(&report, "SASL").contains("kafka-cluster:Connect"),
            "{report:#}"
        );
    }
}
