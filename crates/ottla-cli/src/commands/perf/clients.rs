//! The clients `ottla perf produce` measures: their names, which of ours is compared with
//! which reference clients, where their executables come from, and which run by default.
//!
//! Comparisons are like for like — the same input path:
//!
//! | ours | reads the payload from | compared with the best of |
//! |---|---|---|
//! | `ottla` | memory | `franz-go`, `java` |
//! | `ottla-file` | the payload file | `kcat`, `kcat-noidem` |

use std::path::{Path, PathBuf};

use crate::args::{PerfClient, PerfRunArgs};

impl PerfClient {
    /// Every client, in the order they run within a round.
    pub const ALL: [PerfClient; 6] = [
        PerfClient::Ottla,
        PerfClient::FranzGo,
        PerfClient::Java,
        PerfClient::OttlaFile,
        PerfClient::Kcat,
        PerfClient::KcatNoidem,
    ];

    /// The name on the command line, in the tables and in the JSON.
    pub fn name(self) -> &'static str {
        match self {
            PerfClient::Ottla => "ottla",
            PerfClient::FranzGo => "franz-go",
            PerfClient::Java => "java",
            PerfClient::OttlaFile => "ottla-file",
            PerfClient::Kcat => "kcat",
            PerfClient::KcatNoidem => "kcat-noidem",
        }
    }

    /// The reference clients this one of ours is compared with (the same input path); empty
    /// for a reference client.
    pub fn peers(self) -> &'static [PerfClient] {
        match self {
            PerfClient::Ottla => &[PerfClient::FranzGo, PerfClient::Java],
            PerfClient::OttlaFile => &[PerfClient::Kcat, PerfClient::KcatNoidem],
            _ => &[],
        }
    }

    /// Its `enable.idempotence` in a scenario: the scenario's, but kcat-noidem's is off.
    pub fn idempotent(self, scenario_idempotence: bool) -> bool {
        scenario_idempotence && self != PerfClient::KcatNoidem
    }

    /// Where its executable is given: the flag and the environment variable, and what
    /// builds it; `None` for ottla's own clients (this program).
    fn source(self) -> Option<(&'static str, &'static str, &'static str)> {
        match self {
            PerfClient::Ottla | PerfClient::OttlaFile => None,
            PerfClient::FranzGo => {
                Some(("--franz-go", "OTTLA_GO_PEER", "scripts/install-go-peer.sh"))
            }
            PerfClient::Java => Some(("--java", "OTTLA_JAVA_PEER", "scripts/install-java-peer.sh")),
            PerfClient::Kcat | PerfClient::KcatNoidem => {
                Some(("--kcat", "OTTLA_KCAT", "scripts/install-kcat.sh"))
            }
        }
    }
}

/// The executables the clients run.
#[derive(Debug, Clone)]
pub struct Executables {
    /// This program (`ottla` and `ottla-file`).
    pub ottla: PathBuf,
    /// kcat (`kcat` and `kcat-noidem`).
    pub kcat: Option<PathBuf>,
    /// The franz-go peer.
    pub franz_go: Option<PathBuf>,
    /// The Java peer.
    pub java: Option<PathBuf>,
}

impl Executables {
    /// This program and the paths given by flag or environment.
    pub fn new(ottla: PathBuf, args: &PerfRunArgs) -> Self {
        Self {
            ottla,
            kcat: args.kcat.clone(),
            franz_go: args.franz_go.clone(),
            java: args.java.clone(),
        }
    }

    /// The executable of `client`, when known.
    pub fn of(&self, client: PerfClient) -> Option<&Path> {
        match client {
            PerfClient::Ottla | PerfClient::OttlaFile => Some(&self.ottla),
            PerfClient::FranzGo => self.franz_go.as_deref(),
            PerfClient::Java => self.java.as_deref(),
            PerfClient::Kcat | PerfClient::KcatNoidem => self.kcat.as_deref(),
        }
    }
}

/// The clients to run, each once, in [`PerfClient::ALL`]'s order: those asked for, or every
/// client whose executable is known. A client asked for without a known executable is an
/// error saying which flag or environment variable to set.
pub fn chosen(
    requested: Option<&[PerfClient]>,
    exes: &Executables,
) -> Result<Vec<PerfClient>, String> {
    chosen_among(requested, exes, &PerfClient::ALL)
}

/// [`chosen`] among `among` only (the clients a benchmark has); another one asked for is an
/// error.
pub fn chosen_among(
    requested: Option<&[PerfClient]>,
    exes: &Executables,
    among: &[PerfClient],
) -> Result<Vec<PerfClient>, String> {
    let Some(requested) = requested else {
        return Ok(among
            .iter()
            .copied()
            .filter(|&c| exes.of(c).is_some())
            .collect());
    };
    if requested.is_empty() {
        return Err("--clients: name at least one client".into());
    }
    if let Some(other) = requested.iter().find(|c| !among.contains(c)) {
        let names: Vec<&str> = among.iter().map(|c| c.name()).collect();
        return Err(format!(
            "--clients: {} does not run here (choose from {})",
            other.name(),
            names.join(", ")
        ));
    }
    let mut out = Vec::new();
    for &client in among {
        if !requested.contains(&client) {
            continue;
        }
        if let (None, Some((flag, env, script))) = (exes.of(client), client.source()) {
            return Err(format!(
                "{} is not known: pass {flag} PATH or set {env} ({script} prints it), \
                 or leave {} out of --clients",
                client.name(),
                client.name()
            ));
        }
        out.push(client);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use PerfClient::{FranzGo, Java, Kcat, KcatNoidem, Ottla, OttlaFile};

    fn exes(kcat: bool, go: bool, java: bool) -> Executables {
        let path = |on: bool, p: &str| on.then(|| PathBuf::from(p));
        Executables {
            ottla: PathBuf::from("/bin/ottla"),
            kcat: path(kcat, "/bin/kcat"),
            franz_go: path(go, "/bin/go-peer"),
            java: path(java, "/bin/java-peer"),
        }
    }

    #[test]
    fn names_match_the_command_line_and_the_json() {
        use clap::ValueEnum;
        for c in PerfClient::ALL {
            assert_eq!(serde_json::to_value(c).unwrap(), c.name());
            assert_eq!(c.to_possible_value().unwrap().get_name(), c.name());
        }
        assert_eq!(PerfClient::value_variants().len(), PerfClient::ALL.len());
    }

    #[test]
    fn ours_are_compared_like_for_like() {
        assert_eq!(Ottla.peers(), [FranzGo, Java]);
        assert_eq!(OttlaFile.peers(), [Kcat, KcatNoidem]);
        for c in PerfClient::ALL {
            for &p in c.peers() {
                assert!(p.peers().is_empty(), "{p:?} is a peer, not ours");
            }
        }
        assert!(Kcat.idempotent(true) && !KcatNoidem.idempotent(true));
        assert!(!Ottla.idempotent(false));
    }

    #[test]
    fn default_clients_are_the_known_ones() {
        assert_eq!(
            chosen(None, &exes(false, false, false)).unwrap(),
            [Ottla, OttlaFile]
        );
        assert_eq!(
            chosen(None, &exes(true, false, true)).unwrap(),
            [Ottla, Java, OttlaFile, Kcat, KcatNoidem]
        );
        assert_eq!(
            chosen(None, &exes(true, true, true)).unwrap(),
            PerfClient::ALL
        );
    }

    #[test]
    fn named_clients_run_once_in_order_and_need_their_executable() {
        assert_eq!(
            chosen(Some(&[Kcat, Ottla, Kcat]), &exes(true, false, false)).unwrap(),
            [Ottla, Kcat]
        );
        let e = chosen(Some(&[Ottla, FranzGo]), &exes(true, false, true)).unwrap_err();
        assert!(e.contains("franz-go") && e.contains("--franz-go") && e.contains("OTTLA_GO_PEER"));
        let e = chosen(Some(&[Java]), &exes(true, true, false)).unwrap_err();
        assert!(e.contains("--java") && e.contains("OTTLA_JAVA_PEER"), "{e}");
        let e = chosen(Some(&[KcatNoidem]), &exes(false, true, true)).unwrap_err();
        assert!(e.contains("kcat-noidem") && e.contains("--kcat") && e.contains("OTTLA_KCAT"));
        assert!(chosen(Some(&[]), &exes(true, true, true)).is_err());
    }
}
