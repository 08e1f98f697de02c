//! `ottla users describe|set-password|delete`: SCRAM credentials.

use std::io::BufRead as _;

use ottla::sasl::ScramAlgorithm;

use super::{admin, CmdResult};
use crate::args::UsersCommand;

fn mechanism(name: &str) -> Result<ScramAlgorithm, String> {
    ScramAlgorithm::from_mechanism(name)
        .ok_or_else(|| format!("--mechanism is SCRAM-SHA-256 or SCRAM-SHA-512, got {name:?}"))
}

pub async fn run(props: &ottla::Properties, cmd: UsersCommand) -> CmdResult {
    let admin = admin(props).await?;
    match cmd {
        UsersCommand::Describe { users } => {
            let names: Vec<&str> = users.iter().map(String::as_str).collect();
            for u in admin.describe_scram_users(&names).await? {
                let creds: Vec<String> = u
                    .credentials
                    .iter()
                    .map(|c| format!("{:?} ({} iterations)", c.mechanism, c.iterations))
                    .collect();
                println!("{}: {}", u.name, creds.join(", "));
            }
        }
        UsersCommand::SetPassword {
            user,
            mechanism: m,
            iterations,
        } => {
            let m = mechanism(&m)?;
            let mut password = String::new();
            std::io::stdin().lock().read_line(&mut password)?;
            let password = password.trim_end_matches(['\r', '\n']);
            if password.is_empty() {
                return Err("no password on standard input".into());
            }
            admin
                .set_scram_password(&user, m, password, iterations)
                .await?;
            eprintln!("set {m:?} credential of {user}");
        }
        UsersCommand::Delete { user, mechanism: m } => {
            admin.delete_scram_credential(&user, mechanism(&m)?).await?;
            eprintln!("deleted {m} credential of {user}");
        }
    }
    Ok(())
}
