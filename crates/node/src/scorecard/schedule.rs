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

use super::{Ask, Tally};
use crate::modules::{self, Error, Modules, Node};

/// Takes the snapshots due at `now` for `me` (see the module's doc);
/// returns the records made. An agreement whose snapshot fails is skipped
/// with the error kept for the caller, so one bad agreement does not stop
/// the others: the records made and the failures, by agreement.
pub fn take_due(node: &Node, modules: &Modules, me: &StixId, now: &Timestamp, every_days: i64, channel: &str) -> Result<(Vec<model::Object>, Vec<(StixId, Error)>), Error> {
    take_due_with(node, modules, me, now, every_days, channel, &mut Tallies::new())
}

/// The tallies a scheduler keeps between rounds, one per agreement
/// (docs/assessment.md#incremental).
pub type Tallies = std::collections::HashMap<StixId, Tally>;

/// [`take_due`], each snapshot computed incrementally from the agreement's
/// tally in `tallies` ([`super::incremental`]: the same figures, reading
/// only what was stored since the last).
#[allow(clippy::too_many_arguments)]
pub fn take_due_with(node: &Node, modules: &Modules, me: &StixId, now: &Timestamp, every_days: i64, channel: &str, tallies: &mut Tallies) -> Result<(Vec<model::Object>, Vec<(StixId, Error)>), Error> {
    let module = modules::find(modules, "scorecard")?;
    let index = node.agreements.index(&*node.store)?;
    let (mut made, mut failed) = (Vec::new(), Vec::new());
    for agreement in index.agreements_of(me).into_iter().filter(|a| index.in_force(a, now)) {
        let mut due = || -> Result<Option<model::Object>, Error> {
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
            let card = super::incremental(node, modules, me, &agreement, &ask, channel, tallies.entry(agreement.clone()).or_default())?;
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
/// taken them on a schedule would hold: the intelligence and reactions `me`
/// holds and may see are read once (at the last point; with
/// [`Arrival::Synthetic`], at `now`, since generated evidence was stored in
/// one go after the points), and each point's scorecard counts what was
/// made and had arrived by then within its own window (the window ending
/// there); the modules' checks are read at each point from their states
/// as they stood then (`view_at`); each snapshot is authored as at its
/// point (`act_at`). For the demo's year of history and for tests; a
/// running node takes snapshots with [`take_due`].
pub fn history(node: &Node, modules: &Modules, me: &StixId, agreement: &StixId, points: &[Timestamp], window_days: i64, channel: &str) -> Result<Vec<model::Object>, Error> {
    history_as(node, modules, me, agreement, points, window_days, Arrival::Stored, channel)
}

/// When a partner's object counts as arrived in a [`history_as`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// When this node first stored it (a node's real history).
    Stored,
    /// Evidence generated in one go (the demo), whose storing times say
    /// nothing: `created` plus a delay of 0 to `max_hours` hours taken from
    /// the object's id (the same on every node), each object once. Marked
    /// in each snapshot's note.
    Synthetic {
        /// The longest delay, in hours.
        max_hours: i64,
    },
}

/// The synthetic delay of object `id`: 0 to `max_hours` hours, from its id.
pub fn synthetic_delay(id: &str, max_hours: i64) -> i64 {
    use sha2::Digest;
    let h = sha2::Sha256::digest(id.as_bytes());
    let n = u64::from_be_bytes([h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]]);
    (n % (max_hours.max(0) as u64 + 1)) as i64 * DAY / 24
}

/// [`history`], partners' objects counted as arrived by `arrival`.
#[allow(clippy::too_many_arguments)]
pub fn history_as(node: &Node, modules: &Modules, me: &StixId, agreement: &StixId, points: &[Timestamp], window_days: i64, arrival: Arrival, channel: &str) -> Result<Vec<model::Object>, Error> {
    let Some(last) = points.iter().max_by_key(|t| t.micros()) else { return Ok(Vec::new()) };
    let module = modules::find(modules, "scorecard")?;
    // What the node holds: stored by the last point (a real history), or
    // now (generated evidence, stored after the points it is dated at:
    // read at the last point, none of it would count).
    let read_at = match arrival {
        Arrival::Stored => last.clone(),
        Arrival::Synthetic { .. } => Timestamp::from_micros(last.micros().max(Timestamp::now().micros())),
    };
    let mut evidence = super::gather(node, modules, me, agreement, &Ask { at: read_at, window_days }, channel)?;
    if let Arrival::Synthetic { max_hours } = arrival {
        for r in &mut evidence.releases {
            if r.arrived.is_some() {
                r.arrived = Some(r.created + synthetic_delay(&r.id, max_hours));
            }
        }
    }
    let note = match arrival {
        Arrival::Stored => "history: the evidence held at the last point, counted as it stood at this one".to_owned(),
        Arrival::Synthetic { max_hours } => format!("history: the evidence held, counted as it stood at this one, partners' objects as arrived 0 to {max_hours} hours after they were made (synthetic: generated in one go)"),
    };
    let mut made = Vec::new();
    for at in points {
        let mut e = evidence.clone();
        e.at = at.micros();
        super::modules_at(node, modules, me, agreement, at, channel, &mut e)?;
        let card = ::scorecard::compute_bare(&e);
        let mut input = ::scorecard::snapshot::summary(&card);
        input.insert("note".into(), note.clone().into());
        made.push(modules::act_at(node, me, agreement, &*module, "snapshot", &input, channel, at.clone())?);
    }
    Ok(made)
}
