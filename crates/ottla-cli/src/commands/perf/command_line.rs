//! Each client's command line: the same scenario, spelt the way that client takes it.
//!
//! | client | command line |
//! |---|---|
//! | `ottla` | `ottla -X… perf produce --child --topic T FLAGS --partitions P` |
//! | `franz-go`, `java` | `PEER perf-produce --bootstrap B --topic T -X… FLAGS --partitions-hint P` |
//! | `ottla-file` | `ottla -X… SETTINGS produce -t T -l FILE` |
//! | `kcat`, `kcat-noidem` | `kcat -P -b B -X… -t T SETTINGS -l FILE` |
//!
//! FLAGS are the peers' `perf-produce` flags (`tests/peers/README.md`), which the ottla child
//! takes too: `--records --record-size --compression --acks --linger-ms --idempotence`.
//! SETTINGS are the same four as properties under Kafka's names, which ottla and librdkafka
//! both take: `-X linger.ms=… -X acks=… -X compression.type=… -X enable.idempotence=…`.
//! `-X…` is every property given to `ottla perf` (security settings share their names).

use std::path::Path;
use std::process::Command;

use super::clients::Executables;
use super::payload::PayloadFiles;
use super::plan::Scenario;
use crate::args::PerfClient;

/// What every client of one run is told.
#[derive(Debug, Clone, Copy)]
pub struct Job<'a> {
    /// The properties given to `ottla perf`.
    pub props: &'a ottla::Properties,
    /// The scenario.
    pub scenario: &'a Scenario,
    /// The fresh topic.
    pub topic: &'a str,
}

/// The command that runs `client` on `job`; the payload file is written first when the
/// client reads one.
pub fn command(
    client: PerfClient,
    exes: &Executables,
    job: Job<'_>,
    files: &PayloadFiles,
) -> Result<Command, String> {
    let exe = exes
        .of(client)
        .ok_or_else(|| format!("{} is not known", client.name()))?;
    let file = || {
        files
            .file(job.scenario.records, job.scenario.record_size)
            .map_err(|e| format!("cannot write the payload file: {e}"))
    };
    Ok(match client {
        PerfClient::Ottla => ottla_child(exe, job),
        PerfClient::FranzGo | PerfClient::Java => peer(exe, job),
        PerfClient::OttlaFile => ottla_file(exe, job, &file()?),
        PerfClient::Kcat | PerfClient::KcatNoidem => kcat(
            exe,
            job,
            &file()?,
            client.idempotent(job.scenario.idempotence),
        ),
    })
}

/// `ottla -X… perf produce --child …`.
pub fn ottla_child(exe: &Path, job: Job<'_>) -> Command {
    let mut c = ottla(exe, job.props);
    c.args(["perf", "produce", "--child", "--topic", job.topic]);
    perf_produce_flags(&mut c, job.scenario);
    c.arg("--partitions")
        .arg(job.scenario.partitions.to_string());
    c
}

/// `PEER perf-produce …`, the franz-go and Java peers' contract.
pub fn peer(exe: &Path, job: Job<'_>) -> Command {
    let mut c = Command::new(exe);
    c.arg("perf-produce");
    pass_properties(&mut c, job.props, Some("--bootstrap"));
    c.args(["--topic", job.topic]);
    perf_produce_flags(&mut c, job.scenario);
    c.arg("--partitions-hint")
        .arg(job.scenario.partitions.to_string());
    c
}

/// `ottla -X… produce -t T -l FILE`: ottla as a user runs it on the file kcat reads.
pub fn ottla_file(exe: &Path, job: Job<'_>, payload_file: &Path) -> Command {
    let mut c = ottla(exe, job.props);
    producer_settings(&mut c, job.scenario, job.scenario.idempotence);
    c.args(["produce", "-t", job.topic, "-l"]).arg(payload_file);
    c
}

/// `kcat -P -b … -X… -t T -X … -l FILE`, with `enable.idempotence` as given.
pub fn kcat(exe: &Path, job: Job<'_>, payload_file: &Path, idempotent: bool) -> Command {
    let mut c = Command::new(exe);
    c.arg("-P");
    pass_properties(&mut c, job.props, Some("-b"));
    c.args(["-t", job.topic]);
    producer_settings(&mut c, job.scenario, idempotent);
    c.arg("-l").arg(payload_file);
    c
}

/// This program with every property as `-X` (and no `OTTLA_BROKERS` to add another).
pub fn ottla(exe: &Path, props: &ottla::Properties) -> Command {
    let mut c = Command::new(exe);
    c.env_remove("OTTLA_BROKERS");
    pass_properties(&mut c, props, None);
    c
}

/// `bootstrap.servers` as `bootstrap_flag` when the client has one; the rest as `-X k=v`.
pub fn pass_properties(c: &mut Command, props: &ottla::Properties, bootstrap_flag: Option<&str>) {
    for (k, v) in props.iter() {
        match bootstrap_flag {
            Some(flag) if k == "bootstrap.servers" => c.arg(flag).arg(v),
            _ => c.arg("-X").arg(format!("{k}={v}")),
        };
    }
}

/// The scenario as `perf-produce` flags.
fn perf_produce_flags(c: &mut Command, s: &Scenario) {
    c.arg("--records")
        .arg(s.records.to_string())
        .arg("--record-size")
        .arg(s.record_size.to_string())
        .args(["--compression", s.compression])
        .args(["--acks", s.acks])
        .arg("--linger-ms")
        .arg(s.linger_ms.to_string())
        .arg("--idempotence")
        .arg(s.idempotence.to_string());
}

/// The scenario's producer settings as `-X` properties.
fn producer_settings(c: &mut Command, s: &Scenario, idempotent: bool) {
    for setting in [
        format!("linger.ms={}", s.linger_ms),
        format!("acks={}", s.acks),
        format!("compression.type={}", s.compression),
        format!("enable.idempotence={idempotent}"),
    ] {
        c.arg("-X").arg(setting);
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;
    use std::path::PathBuf;

    use super::*;

    fn scenario() -> Scenario {
        super::super::plan::sample_scenario()
    }

    fn props() -> ottla::Properties {
        let mut props = ottla::Properties::new();
        props.set("bootstrap.servers", "h:1");
        props.set("client.id", "x");
        props
    }

    fn args(c: &Command) -> Vec<&str> {
        c.get_args().filter_map(OsStr::to_str).collect()
    }

    const SETTINGS: [&str; 8] = [
        "-X",
        "linger.ms=5",
        "-X",
        "acks=all",
        "-X",
        "compression.type=lz4",
        "-X",
        "enable.idempotence=true",
    ];

    const FLAGS: [&str; 12] = [
        "--records",
        "20",
        "--record-size",
        "100",
        "--compression",
        "lz4",
        "--acks",
        "all",
        "--linger-ms",
        "5",
        "--idempotence",
        "true",
    ];

    #[test]
    fn kcat_gets_the_same_settings() {
        let (props, s) = (props(), scenario());
        let job = Job {
            props: &props,
            scenario: &s,
            topic: "t1",
        };
        let c = kcat(Path::new("kcat"), job, Path::new("/tmp/p.txt"), true);
        let want = [
            &["-P", "-b", "h:1", "-X", "client.id=x", "-t", "t1"][..],
            &SETTINGS,
            &["-l", "/tmp/p.txt"],
        ]
        .concat();
        assert_eq!(args(&c), want);
        // kcat-noidem: the same but for idempotence.
        let c = kcat(Path::new("kcat"), job, Path::new("/tmp/p.txt"), false);
        let differ: Vec<(&str, &str)> = args(&c)
            .into_iter()
            .zip(want.iter().copied())
            .filter(|(a, b)| a != b)
            .collect();
        assert_eq!(
            differ,
            [("enable.idempotence=false", "enable.idempotence=true")]
        );
    }

    #[test]
    fn ottla_child_gets_the_scenario() {
        let (props, s) = (props(), scenario());
        let job = Job {
            props: &props,
            scenario: &s,
            topic: "t1",
        };
        let c = ottla_child(Path::new("ottla"), job);
        let want = [
            &[
                "-X",
                "bootstrap.servers=h:1",
                "-X",
                "client.id=x",
                "perf",
                "produce",
                "--child",
                "--topic",
                "t1",
            ][..],
            &FLAGS,
            &["--partitions", "2"],
        ]
        .concat();
        assert_eq!(args(&c), want);
        assert!(c
            .get_envs()
            .any(|(k, v)| k == "OTTLA_BROKERS" && v.is_none()));
    }

    #[test]
    fn peers_get_the_contract_flags() {
        let (props, s) = (props(), scenario());
        let job = Job {
            props: &props,
            scenario: &s,
            topic: "t1",
        };
        let c = peer(Path::new("/bin/peer"), job);
        assert_eq!(c.get_program(), "/bin/peer");
        let want = [
            &[
                "perf-produce",
                "--bootstrap",
                "h:1",
                "-X",
                "client.id=x",
                "--topic",
                "t1",
            ][..],
            &FLAGS,
            &["--partitions-hint", "2"],
        ]
        .concat();
        assert_eq!(args(&c), want);
    }

    #[test]
    fn ottla_file_reads_what_kcat_reads() {
        let (props, s) = (props(), scenario());
        let job = Job {
            props: &props,
            scenario: &s,
            topic: "t1",
        };
        let c = ottla_file(Path::new("ottla"), job, Path::new("/tmp/p.txt"));
        let want = [
            &["-X", "bootstrap.servers=h:1", "-X", "client.id=x"][..],
            &SETTINGS,
            &["produce", "-t", "t1", "-l", "/tmp/p.txt"],
        ]
        .concat();
        assert_eq!(args(&c), want);
        // The arguments parse as an `ottla produce` command line.
        use clap::Parser;
        let cli = crate::args::Cli::try_parse_from(
            std::iter::once("ottla").chain(args(&c).iter().copied()),
        )
        .unwrap();
        let crate::args::Command::Produce(p) = cli.command else {
            panic!("{:?}", cli.command)
        };
        assert_eq!(
            (p.topic.as_str(), p.file.as_deref()),
            ("t1", Some(Path::new("/tmp/p.txt")))
        );
    }

    #[test]
    fn each_client_gets_its_own_command() {
        let (props, s) = (props(), scenario());
        let job = Job {
            props: &props,
            scenario: &s,
            topic: "t1",
        };
        let exes = Executables {
            ottla: PathBuf::from("/bin/ottla"),
            kcat: Some(PathBuf::from("/bin/kcat")),
            franz_go: Some(PathBuf::from("/bin/go-peer")),
            java: None,
        };
        let files = PayloadFiles::new().unwrap();
        let file = files.file(20, 100).unwrap();
        let file = file.to_str().unwrap();
        let cmd = |client| command(client, &exes, job, &files);
        let ottla = cmd(PerfClient::Ottla).unwrap();
        assert_eq!(ottla.get_program(), "/bin/ottla");
        assert!(args(&ottla).contains(&"--child"));
        let go = cmd(PerfClient::FranzGo).unwrap();
        assert_eq!(
            (go.get_program(), args(&go)[0]),
            (OsStr::new("/bin/go-peer"), "perf-produce")
        );
        let of = cmd(PerfClient::OttlaFile).unwrap();
        assert_eq!(of.get_program(), "/bin/ottla");
        assert_eq!(args(&of).last(), Some(&file));
        let k = cmd(PerfClient::Kcat).unwrap();
        assert!(args(&k).contains(&"enable.idempotence=true"));
        assert_eq!(args(&k).last(), Some(&file));
        let kn = cmd(PerfClient::KcatNoidem).unwrap();
        assert_eq!(kn.get_program(), "/bin/kcat");
        assert!(args(&kn).contains(&"enable.idempotence=false"));
        assert!(cmd(PerfClient::Java).unwrap_err().contains("java"));
        // Like for like: ours and the peers it is compared with read the same input.
        for ours in [PerfClient::Ottla, PerfClient::OttlaFile] {
            let reads_file = |c| cmd(c).map(|c| args(&c).contains(&file));
            for &peer in ours.peers().iter().filter(|&&p| p != PerfClient::Java) {
                assert_eq!(reads_file(peer), reads_file(ours), "{ours:?} vs {peer:?}");
            }
        }
    }
}
