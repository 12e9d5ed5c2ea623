//! `entente sources [--pull]`: the feeds of `[[sources]]` (docs/sources.md)
//! with each one's last pull, counts and error from the data directory's
//! `sources.json`, one JSON line each; `--pull` pulls every source now
//! (the server's puller, [`server::sources`]) before printing.

use std::process::ExitCode;

use anyhow::Context;
use node::sources::Statuses;

use crate::config::Config;

pub fn run(pull: bool, config: &Config) -> anyhow::Result<ExitCode> {
    if config.sources.is_empty() {
        eprintln!("no sources configured (`[[sources]]` in entente.toml; docs/sources.md)");
        return Ok(ExitCode::SUCCESS);
    }
    if pull {
        let node = super::open(config)?;
        let log = audit::SharedLog::open(config.data_dir.join("release.log")).context("opening the release log")?;
        let services = node::Node {
            store: node.store.clone(),
            agreements: std::sync::Arc::new(node::release::Agreements::default()),
            log,
            keys: server::keys::KeyDir::in_data_dir(&config.data_dir),
            limits: config.limits,
            modules: node.modules.clone(),
        };
        let holder = model::StixId::parse(&node.identity.partner).map_err(anyhow::Error::msg)?;
        // A pull asked for now pulls every source, due or not.
        for s in &config.sources {
            server::sources::pull_now(&services, &holder, s, &config.data_dir, &model::Timestamp::now()).context("keeping the sources' status")?;
        }
    }
    let statuses = Statuses::load(&config.data_dir).context("reading sources.json")?;
    let mut failed = false;
    for s in &config.sources {
        let status = statuses.sources.get(&s.name).cloned().unwrap_or_default();
        failed |= status.error.is_some();
        let line = serde_json::json!({ "name": s.name, "kind": s.kind, "url": s.url, "interval": s.interval, "status": status });
        println!("{line}");
    }
    Ok(if pull && failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}
