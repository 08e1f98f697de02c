//! `docker-compose.yml` (Kafka and Redpanda for users with Docker) checked without Docker: it
//! parses, every service it depends on exists, every file it mounts, runs or reads exists in the
//! repository or is written by the compose file's own `certs` service, every variable it names
//! has a default and is one our scripts know, and the ports it publishes are the ones its header,
//! Redpanda's node config and the README tell users to point the tests at.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use yaml_rust2::{Yaml, YamlLoader};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn load(rel: &str) -> Yaml {
    let docs = YamlLoader::load_from_str(&read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    assert_eq!(docs.len(), 1, "{rel}: one YAML document");
    docs.into_iter().next().expect("one document")
}

fn map_keys(y: &Yaml) -> Vec<String> {
    y.as_hash()
        .map(|h| {
            h.keys()
                .filter_map(|k| k.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn strings(y: &Yaml) -> Vec<String> {
    match y {
        Yaml::Array(a) => a.iter().filter_map(scalar).collect(),
        other => scalar(other).into_iter().collect(),
    }
}

fn scalar(y: &Yaml) -> Option<String> {
    match y {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Every `${NAME...}` in `text`: (name, default after `:-` if any).
fn variables(text: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("${") {
        let after = &rest[i + 2..];
        let end = after.find('}').expect("unclosed ${");
        let inner = &after[..end];
        let (name, default) = match inner.split_once(":-") {
            Some((n, d)) => (n, Some(d.to_owned())),
            None => (inner, None),
        };
        out.push((name.to_owned(), default));
        rest = &after[end..];
    }
    out
}

/// `${NAME:-default}` replaced by its default.
fn resolve(text: &str) -> String {
    let mut s = text.to_owned();
    for (name, default) in variables(text) {
        let d = default.clone().unwrap_or_default();
        s = s.replace(&format!("${{{name}:-{d}}}"), &d);
    }
    s
}

struct Mount {
    host: String,
    container: String,
    read_only: bool,
}

fn mounts(service: &Yaml) -> Vec<Mount> {
    strings(&service["volumes"])
        .iter()
        .map(|v| {
            let parts: Vec<&str> = v.split(':').collect();
            assert!(parts.len() >= 2, "volume {v}: host:container[:mode]");
            Mount {
                host: parts[0].trim_start_matches("./").to_owned(),
                container: parts[1].to_owned(),
                read_only: parts.get(2) == Some(&"ro"),
            }
        })
        .collect()
}

struct Compose {
    doc: Yaml,
    text: String,
}

impl Compose {
    fn load() -> Self {
        Self {
            doc: load("docker-compose.yml"),
            text: read("docker-compose.yml"),
        }
    }

    fn services(&self) -> Vec<String> {
        map_keys(&self.doc["services"])
    }

    fn service(&self, name: &str) -> &Yaml {
        &self.doc["services"][name]
    }

    /// Host directories that a one-shot service writes (mounted read-write, its entrypoint a
    /// script of ours): they are generated, not in the repository.
    fn generated_dirs(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for name in self.services() {
            let s = self.service(&name);
            let ms = mounts(s);
            let script = ms
                .iter()
                .find(|m| strings(&s["entrypoint"]).iter().any(|e| e == &m.container))
                .map(|m| m.host.clone());
            if let Some(script) = script {
                for m in ms.iter().filter(|m| !m.read_only) {
                    out.push((m.host.clone(), script.clone()));
                }
            }
        }
        out
    }

    /// Whether repository path `rel` exists, or is a file the generating script writes.
    fn file_exists(&self, rel: &str) -> Result<(), String> {
        if root().join(rel).exists() {
            return Ok(());
        }
        for (dir, script) in self.generated_dirs() {
            if let Some(file) = rel.strip_prefix(&format!("{dir}/")) {
                let body = read(&script);
                let writes = [
                    format!(">{file}"),
                    format!("-out {file}"),
                    format!("-keyout {file}"),
                ];
                return if writes.iter().any(|w| body.contains(w.as_str())) {
                    Ok(())
                } else {
                    Err(format!(
                        "{rel}: not in the repository and {script} does not write {file}"
                    ))
                };
            }
            if rel == dir {
                return Ok(());
            }
        }
        Err(format!(
            "{rel}: no such file, and no service of the compose file writes it"
        ))
    }

    fn published_ports(&self, service: &str) -> Vec<(String, u16, u16)> {
        strings(&self.service(service)["ports"])
            .iter()
            .map(|p| {
                let parts: Vec<&str> = p.split(':').collect();
                assert_eq!(parts.len(), 3, "{service}: port {p} as ip:host:container");
                (
                    parts[0].to_owned(),
                    parts[1].parse().expect("host port"),
                    parts[2].parse().expect("container port"),
                )
            })
            .collect()
    }
}

#[test]
fn compose_file_parses_and_its_services_depend_on_services_it_has() {
    let c = Compose::load();
    let services = c.services();
    for want in [
        "certs",
        "kafka",
        "redpanda",
        "kafka-users",
        "redpanda-users",
    ] {
        assert!(
            services.iter().any(|s| s == want),
            "no service {want}: {services:?}"
        );
    }
    for name in &services {
        let s = c.service(name);
        let image = resolve(
            s["image"]
                .as_str()
                .unwrap_or_else(|| panic!("{name}: no image")),
        );
        let (repo, tag) = image
            .rsplit_once(':')
            .unwrap_or_else(|| panic!("{name}: image {image} has no tag"));
        assert!(
            !repo.is_empty() && !tag.is_empty() && tag != "latest",
            "{name}: {image}"
        );
        for dep in map_keys(&s["depends_on"]) {
            assert!(services.contains(&dep), "{name} depends on missing {dep}");
            let cond = s["depends_on"][dep.as_str()]["condition"]
                .as_str()
                .unwrap_or("");
            if cond == "service_completed_successfully" {
                assert_eq!(
                    c.service(&dep)["restart"].as_str(),
                    Some("no"),
                    "{dep} is waited for to complete, so it must not restart"
                );
            }
        }
    }
}

#[test]
fn every_file_the_compose_file_mounts_runs_or_reads_exists() {
    let c = Compose::load();
    let mut checked = 0;
    let mut problems = Vec::new();
    for name in c.services() {
        let s = c.service(&name);
        let ms = mounts(s);
        for m in &ms {
            match c.file_exists(&m.host) {
                Ok(()) => checked += 1,
                Err(e) => problems.push(format!("{name}: {e}")),
            }
        }
        // Container paths named in the environment, command and healthcheck, mapped back to
        // the host through the service's mounts.
        let mut texts = strings(&s["command"]);
        texts.extend(strings(&s["entrypoint"]));
        for (k, v) in s["environment"].as_hash().into_iter().flatten() {
            let (Some(k), Some(v)) = (k.as_str(), scalar(v)) else {
                continue;
            };
            // The apache/kafka image reads these file names relative to /etc/kafka/secrets.
            if k.starts_with("KAFKA_SSL_")
                && (k.ends_with("_FILENAME") || k.ends_with("_CREDENTIALS"))
            {
                texts.push(format!("/etc/kafka/secrets/{v}"));
            } else {
                texts.push(v);
            }
        }
        for text in texts {
            for word in text.split(|c: char| c.is_whitespace() || c == '=' || c == '\'' || c == '"')
            {
                for m in &ms {
                    if let Some(rest) = word.strip_prefix(&format!("{}/", m.container)) {
                        let host = format!("{}/{rest}", m.host);
                        match c.file_exists(&host) {
                            Ok(()) => checked += 1,
                            Err(e) => problems.push(format!("{name}: {word}: {e}")),
                        }
                    }
                }
            }
        }
    }
    // The header's commands and paths.
    for line in c
        .text
        .lines()
        .take_while(|l| l.starts_with('#') || l.is_empty())
    {
        for word in line.split_whitespace() {
            let word = word.trim_matches(|c: char| matches!(c, ',' | ';' | ')' | '(' | ':' | '.'));
            let word = word.rsplit('=').next().unwrap_or(word);
            if word.starts_with("scripts/") || word.starts_with("docker/") {
                match c.file_exists(word.trim_end_matches('/')) {
                    Ok(()) => checked += 1,
                    Err(e) => problems.push(format!("header: {e}")),
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(
        checked >= 12,
        "only {checked} paths found to check: the parsing is off"
    );
}

#[test]
fn every_variable_has_a_default_our_scripts_agree_with() {
    let c = Compose::load();
    let vars = variables(&c.text);
    assert!(!vars.is_empty(), "the Kafka version is a variable");
    for (name, default) in vars {
        let default = default
            .unwrap_or_else(|| panic!("${{{name}}} has no default: compose would need a .env"));
        assert!(!default.is_empty(), "${{{name}}}: empty default");
        match name.as_str() {
            "OTTLA_KAFKA_VERSION" => assert_eq!(
                default,
                read("scripts/kafka-version").trim(),
                "the compose file's Kafka is the one scripts/kafka.sh runs"
            ),
            other => panic!("${{{other}}}: a variable no script of ours defines"),
        }
    }
    assert!(
        read("scripts/kafka.sh").contains("OTTLA_KAFKA_VERSION"),
        "scripts/kafka.sh prints OTTLA_KAFKA_VERSION"
    );
}

#[test]
fn published_ports_match_the_header_redpanda_config_and_readme() {
    let c = Compose::load();
    let readme = read("README.md");
    let header: String = c
        .text
        .lines()
        .take_while(|l| l.starts_with('#') || l.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    let mut plaintext = Vec::new();
    for service in ["kafka", "redpanda"] {
        let ports = c.published_ports(service);
        assert!(
            ports.len() >= 2,
            "{service}: PLAINTEXT and SASL_SSL published"
        );
        for (ip, host, _) in &ports {
            assert_eq!(ip, "127.0.0.1", "{service}: publish on loopback only");
            assert!(
                header.contains(&host.to_string()),
                "{service}: header does not list port {host}"
            );
        }
        plaintext.push(ports[0].1);
    }
    // Kafka: the advertised listeners name the published ports.
    let kafka_env = &c.service("kafka")["environment"];
    let advertised = kafka_env["KAFKA_ADVERTISED_LISTENERS"]
        .as_str()
        .expect("advertised listeners");
    for (_, host, container) in c.published_ports("kafka") {
        assert_eq!(host, container, "kafka advertises what it listens on");
        assert!(
            advertised.contains(&format!("127.0.0.1:{host}")),
            "{advertised}"
        );
    }
    // Redpanda: its node config listens on and advertises the published ports.
    let rp = load("docker/redpanda/redpanda.yaml");
    let listen: BTreeSet<i64> = rp["redpanda"]["kafka_api"]
        .as_vec()
        .expect("kafka_api")
        .iter()
        .filter_map(|l| l["port"].as_i64())
        .collect();
    let advertised: BTreeSet<String> = rp["redpanda"]["advertised_kafka_api"]
        .as_vec()
        .expect("advertised_kafka_api")
        .iter()
        .map(|l| {
            format!(
                "{}:{}",
                l["address"].as_str().unwrap_or(""),
                l["port"].as_i64().unwrap_or(0)
            )
        })
        .collect();
    for (_, host, container) in c.published_ports("redpanda") {
        assert!(
            listen.contains(&i64::from(container)),
            "redpanda does not listen on {container}"
        );
        assert!(
            advertised.contains(&format!("127.0.0.1:{host}")),
            "{advertised:?}"
        );
    }
    for tls in rp["redpanda"]["kafka_api_tls"]
        .as_vec()
        .into_iter()
        .flatten()
    {
        for key in ["cert_file", "key_file", "truststore_file"] {
            let path = tls[key].as_str().expect("TLS file");
            let rel = path.replacen("/certs/", "docker/certs/", 1);
            c.file_exists(&rel)
                .unwrap_or_else(|e| panic!("redpanda {key}: {e}"));
        }
    }
    // The README points the suite at the same PLAINTEXT ports.
    for port in plaintext {
        assert!(
            readme.contains(&format!("OTTLA_BOOTSTRAP=127.0.0.1:{port}")),
            "README does not show the suite against 127.0.0.1:{port}"
        );
    }
}

#[test]
fn the_checks_see_a_missing_file() {
    // The checker itself: a path nobody writes is refused, a generated one accepted.
    let c = Compose::load();
    assert!(c.file_exists("docker/no-such-script.sh").is_err());
    assert!(c.file_exists("docker/certs/no-such-file.pem").is_err());
    assert!(c.file_exists("docker/certs/ca.crt").is_ok());
    assert!(c.file_exists("docker/gen-certs.sh").is_ok());
}
