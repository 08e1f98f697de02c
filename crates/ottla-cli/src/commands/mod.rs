//! One module per subcommand.

mod acls;
mod cluster;
mod configs;
mod consume;
mod consume_group;
mod consume_lambda;
mod delivery_window;
mod groups;
// A failed check returns its report line (`Result<_, Step>`): large, but made once per step.
#[allow(clippy::result_large_err)]
pub mod doctor;
mod metadata;
mod mock_broker;
mod msk_token;
mod perf;
mod process;
mod produce;
mod record_format;
mod stats_output;
mod topics;
mod users;

use crate::args::{Cli, Command};
use crate::settings;

/// A command's outcome; the message of an error is printed as one line.
pub type CmdResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> CmdResult {
    let props = settings::gather(&cli)?;
    match cli.command {
        Command::Metadata(a) => metadata::run(&props, a).await,
        Command::Topics(t) => topics::run(&props, t).await,
        Command::Groups(g) => groups::run(&props, g).await,
        Command::Produce(a) => produce::run(&props, a, cli.verbose > 0).await,
        Command::Consume(a) => consume::run(&props, a).await,
        Command::Doctor(a) => doctor::run(&props, a).await,
        Command::MskToken(a) => msk_token::run(&props, a).await,
        Command::Perf(p) => perf::run(&props, p).await,
        Command::Process(a) => process::run(&props, a).await,
        Command::Cluster => cluster::run(&props).await,
        Command::Configs(c) => configs::run(&props, c).await,
        Command::Acls(c) => acls::run(&props, c).await,
        Command::Users(c) => users::run(&props, c).await,
        Command::MockBroker(a) => mock_broker::run(cli.brokers.as_deref(), a).await,
    }
}

async fn admin(
    props: &ottla::Properties,
) -> Result<ottla::admin::Admin, Box<dyn std::error::Error + Send + Sync>> {
    Ok(ottla::admin::Admin::new(connect(props, &[]).await?))
}

async fn connect(
    props: &ottla::Properties,
    command_keys: &[&str],
) -> Result<ottla::Client, Box<dyn std::error::Error + Send + Sync>> {
    let config = settings::client_config(props, command_keys)?;
    Ok(ottla::Client::connect(config).await?)
}
