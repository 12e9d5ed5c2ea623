//! Retention's sweep on a running server: every hour, the sweep of
//! [`node::retention`] (what a node holds under ended agreements).

use model::Timestamp;

pub use node::retention::{sweep, Sweep};

/// Sweeps every `every` until the process stops (the first after one minute).
pub async fn run(state: crate::AppState, every: std::time::Duration) {
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + std::time::Duration::from_secs(60), every);
    loop {
        tick.tick().await;
        let (store, registry, log) = (state.store.clone(), state.registry.clone(), state.log.clone());
        match tokio::task::spawn_blocking(move || sweep(&*store, &*registry, &log, &Timestamp::now())).await {
            Ok(Ok(s)) if s.withheld + s.deleted > 0 => {
                state.indicators.invalidate();
                tracing::info!(withheld = s.withheld, deleted = s.deleted, "retention sweep");
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "retention sweep failed"),
            Err(e) => tracing::warn!(error = %e, "retention sweep stopped"),
        }
    }
}
