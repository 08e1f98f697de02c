//! `ottla`: a Kafka command-line tool in the manner of kcat, on the ottla client.
#![forbid(unsafe_code)]

mod args;
mod commands;
mod output;
mod settings;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args = args::parse();
    init_logging(args.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ottla: error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        // `ottla doctor` printed its findings already.
        Err(e) if e.is::<commands::doctor::Failed>() => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("ottla: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("OTTLA_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
