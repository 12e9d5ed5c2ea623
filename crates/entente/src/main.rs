//! The `entente` command: parse the command line, start logging, run, map the
//! error to an exit code.

mod cli;
mod cmd;
mod config;
mod generate;
mod progress;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let config = match config::Config::load(&cli) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("entente: {e:#}");
            return ExitCode::from(2);
        }
    };
    config::init_logging(&config);
    match cmd::run(cli, config) {
        Ok(code) => code,
        Err(e) => {
            tracing::debug!(error = ?e, "command failed");
            eprintln!("entente: {e:#}");
            ExitCode::FAILURE
        }
    }
}
