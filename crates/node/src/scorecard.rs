//! The partnership scorecard as one partner's node sees it
//! (docs/assessment.md): the evidence gathered from what the viewing
//! partner holds and may see ([`gather`]), then computed by the pure
//! `scorecard` crate ([`scorecard`]). Intelligence and reactions are read
//! from the store and released to the viewer through the one read path
//! (`crate::read::Out::records`: decided again, logged on `channel`); the
//! partnership modules' states through `crate::modules::view_at`, at the
//! scorecard's time. An agreement the viewer is no party to is "no such
//! agreement", as on every other path. Mapping the modules' states to
//! checks lives in `scorecard/checks.rs`. [`snapshot`] records the figures
//! as a partnership record of the module `scorecard`; `report.rs` the
//! report for a review board (what changed since the last snapshot);
//! `schedule.rs` the snapshots a node takes on its own schedule;
//! `tally.rs` the evidence and the sums kept between computations, so that
//! the next reads only what was stored since ([`incremental`]): a
//! scorecard for now ([`scorecard`], [`listing`]) is computed from the
//! node's own tally for the viewer and agreement (kept beside the
//! agreements' index), warm after the first; one for another time is
//! gathered and computed afresh.

mod checks;
pub mod report;
pub mod schedule;
pub mod tally;
#[cfg(test)]
mod tally_tests;
#[cfg(test)]
mod tests;

pub use tally::Tally;

use std::collections::BTreeMap;

use model::{StixId, Timestamp};
use scorecard::{Evidence, Indicator, ReactionKind, Scorecard, DAY};
use serde_json::Value;

use crate::modules::{Error, Modules, Node};

/// The longest window a scorecard may cover, in days (ten years).
pub const MAX_WINDOW_DAYS: i64 = 3650;

/// The scorecard's agreement terms, the module's (`scorecard::terms`).
pub use scorecard::terms::{SERVICE_LEVEL_TERM, WEIGHTS_TERM};

/// Types that are not counted as releases: reactions (sightings, opinions,
/// notes; counted as what the recipient did) and the objects that only
/// describe others.
const NOT_RELEASES: &[&str] = &["sighting", "opinion", "note", "identity", "marking-definition", "extension-definition", "language-content"];

/// What a scorecard is asked for.
#[derive(Debug, Clone)]
pub struct Ask {
    /// The time it is for.
    pub at: Timestamp,
    /// The window, in days (1 to [`MAX_WINDOW_DAYS`]).
    pub window_days: i64,
}

impl Ask {
    /// The default: now, over [`scorecard::DEFAULT_WINDOW_DAYS`].
    pub fn now() -> Ask {
        Ask { at: Timestamp::now(), window_days: scorecard::DEFAULT_WINDOW_DAYS }
    }

    /// From the optional raw `window` (days) and `at` (a timestamp) of a
    /// request; a bad value is refused naming the parameter.
    pub fn parse(window: Option<&str>, at: Option<&str>) -> Result<Ask, Error> {
        let window_days = match window {
            None => scorecard::DEFAULT_WINDOW_DAYS,
            Some(w) => match w.trim().parse::<i64>() {
                Ok(d) if (1..=MAX_WINDOW_DAYS).contains(&d) => d,
                _ => return Err(partnership::Error::invalid("input", "window", format!("must be a whole number of days from 1 to {MAX_WINDOW_DAYS}, not {w:?}")).into()),
            },
        };
        let at = match at {
            None => Timestamp::now(),
            Some(t) => Timestamp::parse(t.trim()).map_err(|e| partnership::Error::invalid("input", "at", format!("must be a timestamp such as 2026-12-06T00:00:00Z: {e}")))?,
        };
        Ok(Ask { at, window_days })
    }
}

/// Which evidence lists a scorecard carries ([`listing`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lists {
    /// None: figures only (snapshots, the report).
    None,
    /// Every figure's first `n` ids, with `evidence_total` (REST).
    First(usize),
    /// Every id of one indicator's figures (a drill-down).
    Only(Indicator),
    /// Every id of every figure (the command).
    All,
}

/// The scorecard of `agreement` as `me` sees it, every figure with its
/// evidence list: [`listing`] with [`Lists::All`].
pub fn scorecard(node: &Node, modules: &Modules, me: &StixId, agreement: &StixId, ask: &Ask, channel: &str) -> Result<Scorecard, Error> {
    listing(node, modules, me, agreement, ask, channel, Lists::All)
}

/// The scorecard of `agreement` as `me` sees it with the evidence lists
/// `lists`. For now (`ask.at` within [`tally::NOW`] of the clock when the
/// tally is free), from the node's tally for `me` and `agreement`: brought
/// up to date (reading only what was stored since, after the first), the
/// figures from its kept sums and the lists asked from them. For another
/// time: [`gather`], then computed. The same figures and lists either way
/// (`tally_tests.rs`).
pub fn listing(node: &Node, modules: &Modules, me: &StixId, agreement: &StixId, ask: &Ask, channel: &str, lists: Lists) -> Result<Scorecard, Error> {
    let past = || ask.at.micros() < Timestamp::now().micros() - tally::NOW;
    let shared = (!past()).then(|| node.agreements.tally(me, agreement));
    let card = {
        let mut tally = shared.as_ref().map(|t| t.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        // Past by the time the tally is free: gathered, the tally left as it is.
        let Some(tally) = tally.as_deref_mut().filter(|_| !past()) else {
            let evidence = gather(node, modules, me, agreement, ask, channel)?;
            return Ok(with_lists(&evidence, lists));
        };
        from_tally(node, modules, me, agreement, ask, channel, lists, tally)?
    };
    // The tally grew: the least recently used dropped past the bound.
    node.agreements.trim_tallies();
    Ok(card)
}

/// [`listing`] from `tally`, brought up to date.
#[allow(clippy::too_many_arguments)]
fn from_tally(node: &Node, modules: &Modules, me: &StixId, agreement: &StixId, ask: &Ask, channel: &str, lists: Lists, tally: &mut Tally) -> Result<Scorecard, Error> {
    let ask = &restore(node, me, agreement, ask, tally)?;
    let mut e = prepare(node, modules, me, agreement, ask, channel, tally)?;
    keep_saved(node, tally);
    if let Some(kept) = tally.kept(&e) {
        if let Some(mut card) = kept.scorecard(&e) {
            match lists {
                Lists::None => {}
                Lists::First(n) => kept.fill(&mut card, &e, Some(n), None),
                Lists::Only(i) => kept.fill(&mut card, &e, None, Some(i)),
                Lists::All => kept.fill(&mut card, &e, None, None),
            }
            return Ok(card);
        }
    }
    tally.evidence(me, &mut e);
    Ok(with_lists(&e, lists))
}

/// The scorecard of `e` computed afresh, with the lists asked.
fn with_lists(e: &Evidence, lists: Lists) -> Scorecard {
    if lists == Lists::None {
        return scorecard::compute_bare(e);
    }
    let mut card = scorecard::compute(e);
    let rows = card.parties.iter_mut().map(|p| &mut p.figures).chain(card.pairs.iter_mut().map(|p| &mut p.figures));
    for f in rows.flatten() {
        match lists {
            Lists::First(n) => {
                f.evidence_total = Some(f.evidence.len());
                f.evidence.truncate(n);
            }
            Lists::Only(i) if f.indicator != i => f.evidence.clear(),
            _ => {}
        }
    }
    card
}

/// Computes the scorecard of `agreement` as `me` sees it at `ask` and
/// records its figures as a snapshot authored by `me` (the module
/// `scorecard`, `scorecard::snapshot`), which travels to the parties like
/// every partnership record. Returns the record.
pub fn snapshot(node: &Node, modules: &Modules, me: &StixId, agreement: &StixId, ask: &Ask, channel: &str) -> Result<model::Object, Error> {
    let module = crate::modules::find(modules, "scorecard")?;
    let card = listing(node, modules, me, agreement, ask, channel, Lists::None)?;
    crate::modules::act(node, me, agreement, &*module, "snapshot", &scorecard::snapshot::summary(&card), channel)
}

/// The evidence for `agreement`'s scorecard from what `me` holds and may
/// see: its own objects shared under the agreement (one release per party
/// the release decision lets each go to), its partners' objects received
/// under the agreement (arrival = when this node first stored them), the
/// recipients' sightings, opinions and notes on them, and the checks and
/// fair-share ratios from the modules' states at `ask.at`.
pub fn gather(node: &Node, modules: &Modules, me: &StixId, agreement: &StixId, ask: &Ask, channel: &str) -> Result<Evidence, Error> {
    gather_into(node, modules, me, agreement, ask, channel, &mut Tally::new())
}

/// The scorecard of `agreement` as `me` sees it at `ask`, bare (figures
/// without evidence lists, [`scorecard::compute_bare`]), reading only what
/// was stored since `tally`'s last update when it can
/// (docs/assessment.md#incremental, `scorecard/tally.rs`) and computed
/// from its kept sums when they stand at `ask.at`: the same figures as
/// [`scorecard`] gives. The first call, and any after a change of the
/// agreements, reads in full.
pub fn incremental(node: &Node, modules: &Modules, me: &StixId, agreement: &StixId, ask: &Ask, channel: &str, tally: &mut Tally) -> Result<Scorecard, Error> {
    let ask = &restore(node, me, agreement, ask, tally)?;
    let mut e = prepare(node, modules, me, agreement, ask, channel, tally)?;
    keep_saved(node, tally);
    if let Some(card) = tally.kept(&e).and_then(|k| k.scorecard(&e)) {
        return Ok(card);
    }
    tally.evidence(me, &mut e);
    Ok(scorecard::compute_bare(&e))
}

/// When the node saves its tallies ([`crate::release::Agreements::save_tallies_in`]),
/// a tally never brought up to date is loaded from its saved copy
/// (`tally::saved`) when asked for now; a copy that is not used is logged
/// (why), and the tally reads in full as on a new node. Returns the ask,
/// its time moved on by the load's when one was loaded (a scorecard for
/// now is for after it).
fn restore(node: &Node, me: &StixId, agreement: &StixId, ask: &Ask, tally: &mut Tally) -> Result<Ask, Error> {
    let Some(dir) = node.agreements.tallies_dir() else { return Ok(ask.clone()) };
    let started = std::time::Instant::now();
    let clock = Timestamp::now().micros();
    if tally.started() || ask.at.micros() < clock - tally::NOW || ask.at.micros() > clock + tally::NOW {
        return Ok(ask.clone());
    }
    // The index first: its first build in a process moves the node's
    // removal generation (the store's count is news to it), which the
    // loaded tally is tied to from then on.
    node.agreements.index(&*node.store)?;
    match Tally::load(&*node.store, &dir, me, agreement)? {
        tally::saved::Loaded::None => {}
        tally::saved::Loaded::Unusable(why) => tracing::warn!(viewer = %me, agreement = %agreement, "a saved scorecard tally was not used, the tally reads in full: {why}"),
        tally::saved::Loaded::Tally(saved) => {
            tracing::info!(viewer = %me, agreement = %agreement, objects = saved.len().0, reactions = saved.len().1, "the scorecard's tally loaded as saved");
            *tally = *saved;
            // Asked for now: now is after the load (which may take longer
            // than `tally::NOW` at a million objects).
            let waited = i64::try_from(started.elapsed().as_micros()).unwrap_or(i64::MAX);
            return Ok(Ask { at: Timestamp::from_micros(ask.at.micros().saturating_add(waited)), window_days: ask.window_days });
        }
    }
    Ok(ask.clone())
}

/// When the node saves its tallies, `tally` saved if due
/// ([`Tally::save_due`]: after a full read, else every
/// [`tally::saved::SAVE_EVERY`]), encoded here and written by a thread of
/// its own ([`Tally::save_in_background`]); a failure is logged, the
/// scorecard answered all the same.
fn keep_saved(node: &Node, tally: &mut Tally) {
    let Some(dir) = node.agreements.tallies_dir() else { return };
    if !tally.save_due() {
        return;
    }
    if let Err(e) = tally.save_in_background(&*node.store, &dir) {
        tracing::warn!("the scorecard's tally was not saved: {e}");
    }
}

/// Saves the node's tally of `agreement` as `me` sees it now, due or not
/// (`tally::saved`; a server saves on its own schedule: [`Tally::save_due`]).
/// Returns the bytes written; none when the node saves no tallies or the
/// tally is not to be saved ([`Tally::save`]).
pub fn save_tally(node: &Node, me: &StixId, agreement: &StixId) -> Result<Option<u64>, Error> {
    let Some(dir) = node.agreements.tallies_dir() else { return Ok(None) };
    let tally = node.agreements.tally(me, agreement);
    let mut tally = tally.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    tally.save(&*node.store, &dir)
}

/// [`gather`], through `tally`.
pub fn gather_into(node: &Node, modules: &Modules, me: &StixId, agreement: &StixId, ask: &Ask, channel: &str, tally: &mut Tally) -> Result<Evidence, Error> {
    let mut e = prepare(node, modules, me, agreement, ask, channel, tally)?;
    tally.evidence(me, &mut e);
    Ok(e)
}

/// `tally` brought up to `ask` and the evidence but releases and
/// reactions (the agreement's terms, the modules' checks).
fn prepare(node: &Node, modules: &Modules, me: &StixId, agreement: &StixId, ask: &Ask, channel: &str, tally: &mut Tally) -> Result<Evidence, Error> {
    let index = node.agreements.index(&*node.store)?;
    let Some(latest) = index.agreement(agreement).filter(|a| a.is_party(me)).cloned() else {
        return Err(Error::NotFound("no such agreement".into()));
    };
    let (service_level, weights) = terms(&latest)?;
    let parties: Vec<String> = latest.terms.parties.iter().map(ToString::to_string).collect();
    let at = ask.at.micros();
    let mut e = Evidence { parties: parties.clone(), at, window: ask.window_days * DAY, service_level, weights, ..Evidence::default() };
    tally.update(node, me, agreement, &index, &mut e, channel)?;
    modules_at(node, modules, me, agreement, &ask.at, channel, &mut e)?;
    Ok(e)
}

/// The part of the evidence the partnership modules give, from their
/// states at `at` (`checks.rs`): `e`'s checks, fair-share ratios and
/// absent indicators replaced.
pub(crate) fn modules_at(node: &Node, modules: &Modules, me: &StixId, agreement: &StixId, at: &Timestamp, channel: &str, e: &mut Evidence) -> Result<(), Error> {
    e.checks.clear();
    e.burden.clear();
    e.absent.clear();
    checks::from_modules(node, modules, me, agreement, at, channel, e)?;
    if !e.absent.contains_key(&Indicator::Compliance) {
        e.absent.insert(
            Indicator::Compliance,
            "no record of handling violations is kept: this node's release log holds its own decisions, all made through the release gate, and sync refusals are counted per round, not stored".into(),
        );
    }
    Ok(())
}

/// An object's quality weight (docs/assessment.md#quality): 0 once revoked,
/// else its `confidence` / 100 when it states one, else 1.
pub fn quality(v: &Value) -> f64 {
    if v["revoked"] == true {
        return 0.0;
    }
    v["confidence"].as_f64().map_or(1.0, |c| (c / 100.0).clamp(0.0, 1.0))
}

/// How a reaction reads: a sighting labelled `false-positive`, or an
/// opinion that disagrees, reports a false positive.
pub fn reaction_kind(v: &Value) -> ReactionKind {
    let labelled = v["labels"].as_array().is_some_and(|l| l.iter().any(|x| x == "false-positive"));
    match v["type"].as_str() {
        Some("sighting") if labelled => ReactionKind::FalsePositive,
        Some("sighting") => ReactionKind::Sighting,
        Some("opinion") if matches!(v["opinion"].as_str(), Some("disagree" | "strongly-disagree")) || labelled => ReactionKind::FalsePositive,
        Some("opinion") => ReactionKind::Opinion,
        _ => ReactionKind::Note,
    }
}

/// What a reaction is about: a sighting's `sighting_of_ref`, an opinion's
/// or note's `object_refs`.
fn refs(json: &[u8]) -> Vec<String> {
    #[derive(serde::Deserialize)]
    struct Refs {
        #[serde(default)]
        sighting_of_ref: Option<String>,
        #[serde(default)]
        object_refs: Vec<String>,
    }
    match serde_json::from_slice::<Refs>(json) {
        Ok(r) => r.sighting_of_ref.into_iter().chain(r.object_refs).collect(),
        Err(_) => Vec::new(),
    }
}

fn facts_exercise(id: &str, facts: &[u8]) -> bool {
    StixId::parse(id).ok().and_then(|id| policy::ObjectFacts::decode(id, None, facts)).is_some_and(|f| f.exercise)
}

/// The agreement's scorecard terms ([`scorecard::terms::read`]): the
/// release service level ([`SERVICE_LEVEL_TERM`]) and the weights
/// ([`WEIGHTS_TERM`]). A malformed one is refused naming the property.
pub fn terms(agreement: &policy::Agreement) -> Result<(Option<i64>, BTreeMap<Indicator, f64>), Error> {
    scorecard::terms::read(agreement).map_err(|(property, why)| partnership::Error::invalid(agreement.id.as_str(), property, why).into())
}
