//! The demo's scorecard history: each nation's node holds a year of
//! monthly snapshots of the trilateral agreement's scorecard, as if it had
//! taken them on a schedule (`node::scorecard::schedule::history_as`: the
//! evidence its node holds, spread over the year by the generator, counted
//! as it stood at each month's end; the partners' objects counted as
//! arrived 0 to 72 hours after they were made, a delay drawn from each
//! object's id, and said so in each snapshot's note; each snapshot
//! authored by the kit at its date; the nations' sightings and notes of
//! each other's indicators, [`reaction`], are written with the demo's
//! history), and Aurelia's report for the review board is written as a
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
        let arrival = node::scorecard::schedule::Arrival::Synthetic { max_hours: 72 };
        node::scorecard::schedule::history_as(&node, &modules, &n.partner, trilateral, &points, 90, arrival, "cli").with_context(|| format!("{}: the scorecard's history", n.name))?;
    }
    let node = node_of(aurelia)?;
    let ask = node::scorecard::Ask { at: now, window_days: 90 };
    let review = node::scorecard::report::review(&node, &modules, &aurelia.partner, trilateral, &ask, "cli")?;
    let names = aurelia.node.registry.partners()?.into_iter().map(|p| (p.id, p.name)).collect();
    let path = dir.join(REPORT);
    std::fs::write(&path, node::scorecard::report::render(&review, &names, node::scorecard::report::Format::Pdf)).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// What `reader`'s nation does with a partner's indicator `r` it holds
/// (demo/coalition.rs writes these as its history: on the day they are
/// dated, or the day the indicator arrived if later, shared under the
/// trilateral agreement; the partners' nodes pull them): a sighting of two
/// in five, a day to five days after the indicator was made, one in twenty
/// of them reporting a false positive; a note on one in ten more. Which,
/// and when, drawn from the indicator's id, so the months differ. The
/// reaction and its date (microseconds), or none.
pub(super) fn reaction(reader: &model::StixId, r: &store::Record) -> Option<(i64, model::Object)> {
    let v = serde_json::from_slice::<serde_json::Value>(&r.json).ok()?;
    let created = v["created"].as_str().and_then(|t| Timestamp::parse(t).ok())?;
    // 0 to 99 hours, from the id and the reader: the draw and the delay.
    let draw = node::scorecard::schedule::synthetic_delay(&format!("{}{}", r.id, reader), 99) / (DAY / 24);
    let when = created.micros() + DAY + node::scorecard::schedule::synthetic_delay(&r.id, 96);
    let at = Timestamp::from_micros(when).to_string();
    let mut o = match draw {
        0..40 => serde_json::json!({ "type": "sighting", "sighting_of_ref": r.id, "count": 1 + draw % 3 }),
        40..50 => serde_json::json!({ "type": "note", "content": "Seen in our sector; shared with our operators.", "object_refs": [r.id] }),
        _ => return None,
    };
    let id = format!("{}--{}", o["type"].as_str().unwrap_or("note"), uuid::Uuid::new_v4());
    o["id"] = serde_json::json!(id);
    o["spec_version"] = serde_json::json!("2.1");
    o["created"] = serde_json::json!(at);
    o["modified"] = serde_json::json!(at);
    o["created_by_ref"] = serde_json::json!(reader.as_str());
    if draw < 2 {
        o["labels"] = serde_json::json!(["false-positive"]);
    }
    model::Object::from_value(o).ok().map(|o| (when, o))
}

fn node_of(n: &Nation) -> anyhow::Result<server::modules::Node> {
    Ok(server::modules::Node {
        store: n.node.store.clone(),
        agreements: std::sync::Arc::new(server::release::Agreements::default()),
        log: audit::SharedLog::open(n.dir.join("release.log")).context("opening the release log")?,
        limits: model::Limits::default(),
    })
}
