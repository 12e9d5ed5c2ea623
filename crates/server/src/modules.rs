//! The partnership modules this node runs: the registry, one line per
//! module (docs/modules.md), and the module service as the REST API
//! (`rest::modules`) and the `entente module` command call it.

use std::sync::Arc;

use partnership::Module;

pub use rest::modules::*;

/// The partnership modules of this build: one line each.
pub fn registered() -> Modules {
    #[allow(unused_mut)]
    let mut modules: Vec<Arc<dyn Module>> = vec![
        Arc::new(::agreements::Agreements),
        Arc::new(crisis::Crisis),
        Arc::new(dialogue::Dialogue),
        Arc::new(disputes::Disputes),
        Arc::new(exercises::Exercises),
        Arc::new(exercises::Exchanges),
        Arc::new(objectives::Objectives),
        Arc::new(resources::Resources),
        Arc::new(scorecard::Snapshots),
        Arc::new(statements::Statements),
    ];
    // The kit's example module, first, in builds for tests only (feature `example-module`).
    #[cfg(feature = "example-module")]
    modules.insert(0, Arc::new(partnership::suite::Notes));
    ::node::modules::build(modules)
}


/// Keeps the node's own partner's module scopes warm
/// (`node::modules::warm`, logged on channel `warm`): at start, then each
/// minute, so that the first page after a restart, after an agreement
/// changed or after a scope's periodic full read is not the one that
/// reads every record. Started by `serve`; runs until the process stops.
pub async fn keep_warm(state: crate::AppState) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Ok(me) = model::StixId::parse(&state.node.partner) else { return };
        let (node, modules) = (node_of(&state), state.modules.clone());
        let started = std::time::Instant::now();
        match tokio::task::spawn_blocking(move || ::node::modules::warm(&node, &modules, &me, "warm")).await {
            Ok(Ok(0)) => {}
            Ok(Ok(full)) => tracing::info!(scopes = full, seconds = started.elapsed().as_secs_f64(), "module scopes read in full to keep them warm"),
            Ok(Err(e)) => tracing::warn!(error = %e, "keeping module scopes warm failed"),
            Err(e) => tracing::warn!(error = %e, "keeping module scopes warm stopped"),
        }
    }
}
