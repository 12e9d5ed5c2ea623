//! `entente serve`: open the store and serve the node until SIGTERM or Ctrl-C.

use std::process::ExitCode;

use anyhow::Context;

use crate::config::Config;

pub fn run(config: &Config) -> anyhow::Result<ExitCode> {
    let node = super::open(config)?;
    server::telemetry::install();
    // Adds a stopped process left pending are resolved from the store
    // before anyone can poll them (docs/reliability.md).
    server::taxii::resolve_pending(&*node.store, &*node.registry).context("resolving pending TAXII statuses")?;
    let stats = node.store.stats()?;
    metrics::gauge!("entente_objects_stored").set(stats.versions as f64);
    let tls = match &config.tls {
        Some((cert, key)) => Some(server::tls::server_config(cert, key, config.tls_client_ca.as_deref()).map_err(anyhow::Error::msg)?),
        None => None,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("listening on {}", config.listen))?;
        tracing::info!(data_dir = %config.data_dir.display(), objects = stats.versions, "store open");
        let log = audit::SharedLog::open(config.data_dir.join("release.log"))
            .with_context(|| format!("opening the release log in {}", config.data_dir.display()))?;
        let state = server::AppState::new(
            node.store,
            node.registry,
            node.identity,
            config.taxii.clone(),
            config.limits,
            node.keys,
            log.clone(),
        );
        let mut state = server::AppState {
            web: std::sync::Arc::new(server::web::Sessions::new(tls.is_some() || config.secure_cookies).with_public(config.public_url.clone(), config.public_rate_limit)),
            metrics: config.metrics_access,
            sources: std::sync::Arc::new(config.sources.clone()),
            ..state
        };
        state.agreements.scopes().set_max_bytes(config.scope_cache_bytes);
        state.auth_failures = std::sync::Arc::new(server::auth::FailureLimiter::new(config.auth_failure_limit, std::time::Duration::from_secs(60)));
        let syncing = config.sync_interval.map(|every| {
            let secrets = server::peers::PeerSecrets::in_data_dir(&config.data_dir);
            tokio::spawn(server::sync::run(state.clone(), secrets, every))
        });
        let sweeping = tokio::spawn(server::retention::run(state.clone(), std::time::Duration::from_secs(3600)));
        let pulling = (!config.sources.is_empty())
            .then(|| tokio::spawn(server::sources::run(state.clone(), config.sources.clone(), config.data_dir.clone())));
        let warming = tokio::spawn(server::modules::keep_warm(state.clone()));
        let snapshots = config.scorecard_snapshot_days.map(|days| tokio::spawn(server::scorecard::run(state.clone(), i64::from(days))));
        let app = server::router(state);
        // Releases are flushed to the OS as they are logged; fsync each second and at the end.
        let syncer = log.clone();
        let sync_task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
            loop {
                tick.tick().await;
                let s = syncer.clone();
                if let Ok(Err(e)) = tokio::task::spawn_blocking(move || s.sync()).await {
                    tracing::error!(error = %e, "release log sync failed");
                }
            }
        });
        match tls {
            Some(tls) => {
                tracing::info!(client_certificates = config.tls_client_ca.is_some(), "TLS");
                server::serve(server::tls::TlsListener::new(listener, tls)?, app, server::shutdown_signal()).await?
            }
            None => server::serve(listener, app, server::shutdown_signal()).await?,
        }
        sync_task.abort();
        sweeping.abort();
        warming.abort();
        if let Some(task) = pulling {
            task.abort();
        }
        if let Some(s) = snapshots {
            s.abort();
        }
        if let Some(task) = syncing {
            task.abort();
        }
        log.sync().context("syncing the release log")?;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
