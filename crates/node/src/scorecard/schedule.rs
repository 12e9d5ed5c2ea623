//! Snapshots on a schedule (docs/assessment.md#snapshots): for each
//! agreement in force at `now` to which the partner is a party, a snapshot
//! of its scorecard (default window) is taken when the partner's latest
//! snapshot is `every_days` old or more, or there is none. The clock is
//! the caller's: `serve` passes the time each day (`server::scorecard::run`),
//! tests pass their own. Each snapshot is an ordinary action of the module
//! `scorecard` (`crate::modules::act_at`), authored by the partner and
//! shared with the agreement's parties by sync like any record.

use model::{StixId, Timestamp};
use scorecard::DAY;

use super::{scorecard, Ask};
use crate::modules::{self, Error, Modules, Node};

/// Takes the snapshots due at `now` for `me` (see the module's doc);
/// returns the records made. An agreement whose snapshot fails is skipped
/// with the error kept for the caller, so one bad agreement does not stop
/// the others: the records made and the failures, by agreement.
pub fn take_due(node: &Node, modules: &Modules, me: &StixId, now: &Timestamp, every_days: i64, channel: &str) -> Result<(Vec<model::Object>, Vec<(StixId, Error)>), Error> {
    let module = modules::find(modules, "scorecard")?;
    let index = node.agreements.index(&*node.store)?;
    let (mut made, mut failed) = (Vec::new(), Vec::new());
    for agreement in index.agreements_of(me).into_iter().filter(|a| index.in_force(a, now)) {
        let due = || -> Result<Option<model::Object>, Error> {
            let scope = modules::view_at(node, me, &agreement, &*module, channel, now.clone())?;
            let last = scope
                .records
                .of_kind(::scorecard::SNAPSHOT)
                .filter(|r| &r.author == me)
                .filter_map(|r| Timestamp::parse(r.properties.get("at")?.as_str()?).ok())
                .map(|t| t.micros())
                .max();
            if last.is_some_and(|t| now.micros() - t < every_days * DAY) {
                return Ok(None);
            }
            let ask = Ask { at: now.clone(), window_days: ::scorecard::DEFAULT_WINDOW_DAYS };
            let card = scorecard(node, modules, me, &agreement, &ask, channel)?;
            let mut input = ::scorecard::snapshot::summary(&card);
            input.insert("note".into(), format!("taken on the node's schedule, every {every_days} days").into());
            modules::act_at(node, me, &agreement, &*module, "snapshot", &input, channel, now.clone()).map(Some)
        };
        match due() {
            Ok(Some(record)) => made.push(record),
            Ok(None) => {}
            Err(e) => failed.push((agreement.clone(), e)),
        }
    }
    Ok((made, failed))
}

/// A history of snapshots at `points` (oldest first), as a node that had
/// taken them on a schedule would hold: the evidence `me` holds and may see
/// is read once, at the last point, and each point's scorecard counts what
/// was made and had arrived by then (the window ending there); each
/// snapshot is authored as at its point (`act_at`). The modules' checks are
/// those of their states at the last point, dated by their own times (as
/// on the scorecard page's chart). For the demo's year of history and for
/// tests; a running node takes snapshots with [`take_due`].
pub fn history(node: &Node, modules: &Modules, me: &StixId, agreement: &StixId, points: &[Timestamp], window_days: i64, channel: &str) -> Result<Vec<model::Object>, Error> {
    let Some(last) = points.iter().max_by_key(|t| t.micros()) else { return Ok(Vec::new()) };
    let module = modules::find(modules, "scorecard")?;
    let evidence = super::gather(node, modules, me, agreement, &Ask { at: last.clone(), window_days }, channel)?;
    let mut made = Vec::new();
    for at in points {
        let mut e = evidence.clone();
        e.at = at.micros();
        let card = ::scorecard::compute(&e);
        let mut input = ::scorecard::snapshot::summary(&card);
        input.insert("note".into(), "history: the evidence held at the last point, counted as it stood at this one".into());
        made.push(modules::act_at(node, me, agreement, &*module, "snapshot", &input, channel, at.clone())?);
    }
    Ok(made)
}
