//! One module per command; `run` dispatches.

mod admin;
mod export;
mod import;
mod pattern;
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
        Command::Init(_) => admin::init(&config),
        Command::Partner(c) => admin::partner(c, &config),
        Command::Token(c) => admin::token(c, &config),
        Command::Collection(c) => admin::collection(c, &config),
        Command::Pattern(args) => pattern::run(&args),
    }
}

/// The node's storage, opened, with its identity initialised.
pub struct Node {
    pub store: Arc<dyn store::Store>,
    pub registry: Arc<dyn store::Registry>,
    pub identity: server::node::NodeIdentity,
}

/// Opens the node's store in the configured data dir, initialising the
/// node's identity the first time.
pub fn open(config: &Config) -> anyhow::Result<Node> {
    let backend = Arc::new(
        store_sqlite::SqliteStore::open(&config.data_dir)
            .with_context(|| format!("opening the store in {}", config.data_dir.display()))?,
    );
    let identity = server::node::init(&*backend, &*backend, &config.node_name)?;
    Ok(Node { store: backend.clone(), registry: backend, identity })
}
