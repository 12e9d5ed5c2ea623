//! The scorecard's scheduled snapshots (the REST API's scorecard is
//! `rest::scorecard`, re-exported here).

pub use rest::scorecard::*;

use crate::modules::node_of;

/// Snapshots on the node's schedule: every hour (the first after a
/// minute), the node's partner takes the snapshots due
/// (`node::scorecard::schedule::take_due`: none in the last `every_days`
/// days), until the process stops. Started by `serve` when
/// `scorecard_snapshot_days` is set.
pub async fn run(state: crate::AppState, every_days: i64) {
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + std::time::Duration::from_secs(60), std::time::Duration::from_secs(3600));
    // One tally per agreement between rounds: each snapshot reads only what
    // was stored since the last (docs/assessment.md#incremental).
    let mut tallies = ::node::scorecard::schedule::Tallies::new();
    loop {
        tick.tick().await;
        let Ok(me) = model::StixId::parse(&state.node.partner) else { return };
        let (node, modules) = (node_of(&state), state.modules.clone());
        let now = model::Timestamp::now();
        let mut kept = std::mem::take(&mut tallies);
        let round = tokio::task::spawn_blocking(move || {
            let out = ::node::scorecard::schedule::take_due_with(&node, &modules, &me, &now, every_days, "schedule", &mut kept);
            (out, kept)
        })
        .await
        .map(|(out, kept)| {
            tallies = kept;
            out
        });
        match round {
            Ok(Ok((made, failed))) => {
                for r in &made {
                    tracing::info!(snapshot = %r.id(), "scorecard snapshot taken");
                }
                for (agreement, e) in &failed {
                    tracing::warn!(agreement = %agreement, error = %e, "scorecard snapshot failed");
                }
            }
            Ok(Err(e)) => tracing::warn!(error = %e, "scorecard snapshots failed"),
            Err(e) => tracing::warn!(error = %e, "scorecard snapshots stopped"),
        }
    }
}
