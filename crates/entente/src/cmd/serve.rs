//! `entente serve`: open the store and serve the node until SIGTERM or Ctrl-C.

use std::process::ExitCode;

use anyhow::Context;

use crate::config::Config;

pub fn run(config: &Config) -> anyhow::Result<ExitCode> {
    let node = super::open(config)?;
    server::telemetry::install();
    let stats = node.store.stats()?;
    metrics::gauge!("entente_objects_stored").set(stats.versions as f64);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("listening on {}", config.listen))?;
        tracing::info!(data_dir = %config.data_dir.display(), objects = stats.versions, "store open");
        let state = server::AppState::new(node.store, node.registry, node.identity, config.taxii.clone(), config.limits, node.keys);
        let app = server::router(state);
        server::serve(listener, app, server::shutdown_signal()).await?;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
