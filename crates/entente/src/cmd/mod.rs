//! One module per command; `run` dispatches.

mod admin;
mod agreement;
mod audit;
mod datadir;
mod demo;
mod detect;
mod export;
mod extract;
mod import;
mod misp;
mod sources;
mod module;
mod pattern;
mod scorecard;
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
        Command::Import(args) if args.misp.is_some() => misp::import(&args, &config),
        Command::Import(args) => import::run(&args, &config),
        Command::Export(args) => export::run(&args, &config),
        Command::Generate(args) => crate::generate::run(&args),
        Command::Stats => stats::run(&config),
        Command::Init(_) => admin::init(&config),
        Command::Partner(c) => admin::partner(c, &config),
        Command::Token(c) => admin::token(c, &config),
        Command::User(c) => admin::user(c, &config),
        Command::Collection(c) => admin::collection(c, &config),
        Command::Pattern(args) => pattern::run(&args),
        Command::Agreement(c) => agreement::run(c, &config),
        Command::Module(c) => module::run(c, &config),
        Command::Scorecard(args) => scorecard::run(&args, &config),
        Command::Audit(c) => audit::run(c, &config),
        Command::Peer(c) => admin::peer(c, &config),
        Command::Sync { peer } => admin::sync(peer.as_deref(), &config),
        Command::Share(args) => agreement::share(&args, &config),
        Command::Retention => admin::retention(&config),
        Command::Detect(args) => detect::run(&args, &config),
        Command::Correlate(args) => detect::correlate(&args, &config),
        Command::Extract(args) => extract::run(&args, &config),
        Command::Demo(args) => demo::run(&args, &config),
        Command::Sources { pull } => sources::run(pull, &config),
        Command::Migrate => {
            open(&config)?;
            eprintln!("migrations applied");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The node's storage, opened, with its identity initialised.
pub struct Node {
    pub store: Arc<dyn store::Store>,
    pub registry: Arc<dyn store::Registry>,
    pub identity: server::node::NodeIdentity,
    pub keys: server::keys::KeyDir,
    /// The build's partnership modules, their record kinds registered with
    /// the release decision before any command reads a record.
    pub modules: server::modules::Modules,
}

/// Opens the node's store (PostgreSQL when `database_url` is set, else the
/// SQLite file in the data dir), applying migrations and initialising the
/// node's identity the first time. The data dir is made (or restricted to)
/// its owner first.
pub fn open(config: &Config) -> anyhow::Result<Node> {
    open_with(config, |store| store)
}

/// [`open`], the store seen through `wrap` from the start (node
/// initialisation included): the demo dates its history this way.
pub fn open_with(config: &Config, wrap: impl FnOnce(Arc<dyn store::Store>) -> Arc<dyn store::Store>) -> anyhow::Result<Node> {
    datadir::prepare(&config.data_dir)?;
    let (store, registry): (Arc<dyn store::Store>, Arc<dyn store::Registry>) = match &config.database_url {
        Some(url) => {
            let backend = Arc::new(store_postgres::PgStore::open(url).context("opening the PostgreSQL store")?);
            (backend.clone(), backend)
        }
        None => {
            let backend = Arc::new(
                store_sqlite::SqliteStore::open(&config.data_dir)
                    .with_context(|| format!("opening the store in {}", config.data_dir.display()))?,
            );
            (backend.clone(), backend)
        }
    };
    let store = wrap(store);
    let keys = server::keys::KeyDir::in_data_dir(&config.data_dir);
    let identity = server::node::init(&*store, &*registry, &keys, &config.node_name)?;
    Ok(Node { store, registry, identity, keys, modules: server::modules::registered() })
}
