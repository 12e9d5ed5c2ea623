//! The demo's scorecard history: each nation's node holds a year of
//! monthly snapshots of the trilateral agreement's scorecard, as if it had
//! taken them on a schedule (`node::scorecard::schedule::history_as`: the
//! evidence its node holds, spread over the year by the generator, counted
//! as it stood at each month's end; the partners' objects, stored in one
//! go when the demo federated, counted as arrived 0 to 72 hours after they
//! were made, a delay drawn from each object's id, and said so in each
//! snapshot's note; each snapshot authored by the kit at its date), and Aurelia's report for the review board is written as a
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
        react(n, nations, trilateral)?;
    }
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

/// What a nation did with its partners' indicators over the year, on its
/// own node and its partners' (as sync would take it there): a sighting of two
/// in five, a day to five days after each was made, one in twenty of them
/// reporting a false positive; a note on one in ten more. Which, and when,
/// drawn from each indicator's id, so the months differ.
fn react(n: &Nation, nations: &[Nation], agreement: &model::StixId) -> anyhow::Result<()> {
    let partners: Vec<String> = nations.iter().filter(|m| m.partner != n.partner).map(|m| m.partner.to_string()).collect();
    let mut made = Vec::new();
    let query = store::Query { types: vec!["indicator".into()], versions: store::Versions::LAST, ..store::Query::default() };
    let now = Timestamp::now().micros();
    n.node.store.scan(&query, &mut |r| {
        let (Some(author), Ok(v)) = (r.created_by_ref.as_deref(), serde_json::from_slice::<serde_json::Value>(&r.json)) else { return Ok(()) };
        let Some(created) = v["created"].as_str().and_then(|t| Timestamp::parse(t).ok()) else { return Ok(()) };
        if !partners.iter().any(|p| p == author) {
            return Ok(());
        }
        // 0 to 99 hours, from the id and the reader: the draw and the delay.
        let draw = node::scorecard::schedule::synthetic_delay(&format!("{}{}", r.id, n.partner), 99) / (DAY / 24);
        let when = created.micros() + DAY + node::scorecard::schedule::synthetic_delay(&r.id, 96);
        if when > now {
            return Ok(());
        }
        let at = Timestamp::from_micros(when).to_string();
        let mut o = match draw {
            0..40 => serde_json::json!({ "type": "sighting", "sighting_of_ref": r.id, "count": 1 + draw % 3 }),
            40..50 => serde_json::json!({ "type": "note", "content": "Seen in our sector; shared with our operators.", "object_refs": [r.id] }),
            _ => return Ok(()),
        };
        let id = format!("{}--{}", o["type"].as_str().unwrap_or("note"), uuid::Uuid::new_v4());
        o["id"] = serde_json::json!(id);
        o["spec_version"] = serde_json::json!("2.1");
        o["created"] = serde_json::json!(at);
        o["modified"] = serde_json::json!(at);
        o["created_by_ref"] = serde_json::json!(n.partner.as_str());
        if draw < 2 {
            o["labels"] = serde_json::json!(["false-positive"]);
        }
        if let Ok(object) = model::Object::from_value(o) {
            made.push(object);
        }
        Ok(())
    })?;
    let options = store::PutOptions { posted_by: Some(n.partner.to_string()), shares: vec![agreement.to_string()], only_author: true, ..store::PutOptions::default() };
    // On its own node, and on its partners' as their sync would store them
    // (received from it under the agreement, held there by the receiving
    // partner: `posted_by` is the holder), so that every node's history
    // counts them.
    let received = |m: &Nation| store::PutOptions { posted_by: Some(m.partner.to_string()), received_under: Some(agreement.to_string()), ..store::PutOptions::default() };
    for batch in made.chunks(1000) {
        n.node.store.put(batch, &options).with_context(|| format!("{}: storing its sightings", n.name))?;
        for m in nations.iter().filter(|m| m.partner != n.partner) {
            m.node.store.put(batch, &received(m)).with_context(|| format!("{}: storing {}'s sightings", m.name, n.name))?;
        }
    }
    Ok(())
}

fn node_of(n: &Nation) -> anyhow::Result<server::modules::Node> {
    Ok(server::modules::Node {
        store: n.node.store.clone(),
        agreements: std::sync::Arc::new(server::release::Agreements::default()),
        log: audit::SharedLog::open(n.dir.join("release.log")).context("opening the release log")?,
        limits: model::Limits::default(),
    })
}
