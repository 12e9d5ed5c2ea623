//! The demo's scorecard history: each nation's node holds a year of
//! monthly snapshots of the trilateral agreement's scorecard, as if it had
//! taken them on a schedule (`node::scorecard::schedule::history`: the
//! evidence its node holds, spread over the year by the generator, counted
//! as it stood at each month's end; each snapshot authored by the kit at
//! its date), and Aurelia's report for the review board is written as a
//! PDF beside the nodes (`node::scorecard::report`): what changed since
//! last month, trends over the year.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use model::Timestamp;

use super::coalition::Nation;

const DAY: i64 = 86_400_000_000;

/// The report's file in the demo's folder.
pub const REPORT: &str = "scorecard-report.pdf";

/// Twelve monthly snapshots on each nation's node (the last a day ago),
/// then Aurelia's report now, as a PDF in `dir`; its path. Run once the
/// nodes have federated, so that each counts what it received.
pub fn set_up(nations: &[Nation], trilateral: &model::StixId, dir: &Path) -> anyhow::Result<PathBuf> {
    let [aurelia, ..] = nations else { bail!("the scorecard demo takes the nations") };
    let modules = server::modules::registered();
    let now = Timestamp::now();
    let points: Vec<Timestamp> = (0..12).rev().map(|k| Timestamp::from_micros(now.micros() - DAY - k * 30 * DAY)).collect();
    for n in nations {
        let node = node_of(n)?;
        node::scorecard::schedule::history(&node, &modules, &n.partner, trilateral, &points, 90, "cli").with_context(|| format!("{}: the scorecard's history", n.name))?;
    }
    let node = node_of(aurelia)?;
    let ask = node::scorecard::Ask { at: now, window_days: 90 };
    let review = node::scorecard::report::review(&node, &modules, &aurelia.partner, trilateral, &ask, "cli")?;
    let names = aurelia.node.registry.partners()?.into_iter().map(|p| (p.id, p.name)).collect();
    let path = dir.join(REPORT);
    std::fs::write(&path, node::scorecard::report::render(&review, &names, node::scorecard::report::Format::Pdf)).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

fn node_of(n: &Nation) -> anyhow::Result<server::modules::Node> {
    Ok(server::modules::Node {
        store: n.node.store.clone(),
        agreements: std::sync::Arc::new(server::release::Agreements::default()),
        log: audit::SharedLog::open(n.dir.join("release.log")).context("opening the release log")?,
        limits: model::Limits::default(),
    })
}
