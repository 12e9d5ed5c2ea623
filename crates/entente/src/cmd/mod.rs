//! One module per command; `run` dispatches.

mod export;
mod import;
mod serve;
mod stats;

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;

use crate::cli::{Cli, Command};
use crate::config::Config;

pub fn run(cli: Cli, config: Config) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(_) => serve::run(&config),
        Command::Import(args) => import::run(&args, &config),
        Command::Export(args) => export::run(&args, &config),
        Command::Generate(args) => crate::generate::run(&args),
        Command::Stats => stats::run(&config),
    }
}

/// Opens the node's store in the configured data dir.
pub fn open_store(config: &Config) -> anyhow::Result<Arc<dyn store::Store>> {
    let store = store_sqlite::SqliteStore::open(&config.data_dir)
        .with_context(|| format!("opening the store in {}", config.data_dir.display()))?;
    Ok(Arc::new(store))
}
