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
//! `schedule.rs` the snapshots a node takes on its own schedule.

mod checks;
pub mod report;
pub mod schedule;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use model::{StixId, Timestamp};
use scorecard::{Evidence, Indicator, Reaction, ReactionKind, Release, Scorecard, DAY};
use serde_json::Value;
use store::{Query, Versions};

use crate::modules::{Error, Modules, Node};
use crate::read::Out;
use crate::release::{held_by, Reader, Through};

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

/// The scorecard of `agreement` as `me` sees it: [`gather`], then computed.
pub fn scorecard(node: &Node, modules: &Modules, me: &StixId, agreement: &StixId, ask: &Ask, channel: &str) -> Result<Scorecard, Error> {
    let evidence = gather(node, modules, me, agreement, ask, channel)?;
    Ok(scorecard::compute(&evidence))
}

/// Computes the scorecard of `agreement` as `me` sees it at `ask` and
/// records its figures as a snapshot authored by `me` (the module
/// `scorecard`, `scorecard::snapshot`), which travels to the parties like
/// every partnership record. Returns the record.
pub fn snapshot(node: &Node, modules: &Modules, me: &StixId, agreement: &StixId, ask: &Ask, channel: &str) -> Result<model::Object, Error> {
    let module = crate::modules::find(modules, "scorecard")?;
    let card = scorecard(node, modules, me, agreement, ask, channel)?;
    crate::modules::act(node, me, agreement, &*module, "snapshot", &scorecard::snapshot::summary(&card), channel)
}

/// The evidence for `agreement`'s scorecard from what `me` holds and may
/// see: its own objects shared under the agreement (one release per party
/// the release decision lets each go to), its partners' objects received
/// under the agreement (arrival = when this node first stored them), the
/// recipients' sightings, opinions and notes on them, and the checks and
/// fair-share ratios from the modules' states at `ask.at`.
pub fn gather(node: &Node, modules: &Modules, me: &StixId, agreement: &StixId, ask: &Ask, channel: &str) -> Result<Evidence, Error> {
    let index = node.agreements.index(&*node.store)?;
    let Some(latest) = index.agreement(agreement).filter(|a| a.is_party(me)).cloned() else {
        return Err(Error::NotFound("no such agreement".into()));
    };
    let (service_level, weights) = terms(&latest)?;
    let parties: Vec<String> = latest.terms.parties.iter().map(ToString::to_string).collect();
    let at = ask.at.micros();
    let mut e = Evidence { parties: parties.clone(), at, window: ask.window_days * DAY, service_level, weights, ..Evidence::default() };
    let reader = Reader::new(me.clone(), index.clone(), Through::AnyShare);
    let out = Out::new(&node.log, &reader, channel);
    let others: Vec<(String, std::sync::Arc<Reader>)> =
        latest.terms.parties.iter().filter(|p| *p != me).map(|p| (p.to_string(), Reader::new(p.clone(), index.clone(), Through::AnyShare))).collect();

    // Intelligence under the agreement: the viewer's own shared under it,
    // its partners' received under it. Partnership records are the modules'.
    let mut candidates = Vec::new();
    node.store.scan(&Query { versions: Versions::ALL, ..Query::default() }, &mut |r| {
        if policy::kinds::is_record(&r.object_type) || NOT_RELEASES.contains(&r.object_type.as_str()) || r.date_added.0 > at {
            return Ok(());
        }
        let mine = r.created_by_ref.as_deref() == Some(me.as_str()) && r.shared_under.split(' ').any(|a| a == agreement.as_str());
        // A partner's: received from its node under the agreement, or
        // shared under it by a partner hosted on this node.
        let under = match held_by(&r) {
            Some(v) => &v.agreement == agreement,
            None => r.shared_under.split(' ').any(|a| a == agreement.as_str()),
        };
        let theirs = under && r.created_by_ref.as_deref().is_some_and(|a| a != me.as_str() && parties.iter().any(|p| p == a));
        if mine || theirs {
            candidates.push(r);
        }
        Ok(())
    })?;
    let released = out.records(candidates)?.into_inner();
    let mut objects: BTreeMap<String, Obj> = BTreeMap::new();
    for r in &released {
        let o = objects.entry(r.id.clone()).or_insert_with(|| Obj { first_added: r.date_added.0, ..Obj::default() });
        o.first_added = o.first_added.min(r.date_added.0);
        if r.version_micros >= o.version {
            o.version = r.version_micros;
            o.author = r.created_by_ref.clone().unwrap_or_default();
            o.read(&r.json, &r.facts, &r.id);
            o.record = Some(r.clone());
        }
    }
    // Novelty, on the recipient's node: no object with the same pattern
    // from another author reached it earlier (among this evidence).
    let mut first_by_pattern: HashMap<&str, (i64, &str)> = HashMap::new();
    for o in objects.values() {
        if let Some(p) = o.pattern.as_deref() {
            let entry = first_by_pattern.entry(p).or_insert((o.first_added, o.author.as_str()));
            if o.first_added < entry.0 {
                *entry = (o.first_added, o.author.as_str());
            }
        }
    }
    for (id, o) in &objects {
        let Some(created) = o.created else { continue };
        if o.author == me.as_str() {
            let Some(r) = &o.record else { continue };
            for (p, reader) in &others {
                if reader.allowed(r).is_some() {
                    e.releases.push(Release { id: id.clone(), author: o.author.clone(), recipient: p.clone(), created, arrived: None, quality: o.quality, novel: None, exercise: o.exercise });
                }
            }
        } else {
            let novel = o.pattern.as_deref().map(|p| first_by_pattern.get(p).is_none_or(|(t, a)| *a == o.author || *t >= o.first_added));
            e.releases.push(Release { id: id.clone(), author: o.author.clone(), recipient: me.to_string(), created, arrived: Some(o.first_added), quality: o.quality, novel, exercise: o.exercise });
        }
    }

    // Reactions to those objects: sightings, opinions, notes.
    let ids: BTreeSet<&str> = objects.keys().map(String::as_str).collect();
    let mut candidates = Vec::new();
    let query = Query { types: vec!["sighting".into(), "opinion".into(), "note".into()], versions: Versions::LAST, ..Query::default() };
    node.store.scan(&query, &mut |r| {
        if r.date_added.0 <= at && refs(&r.json).iter().any(|x| ids.contains(x.as_str())) {
            candidates.push(r);
        }
        Ok(())
    })?;
    for r in out.records(candidates)?.into_inner() {
        let Ok(v) = serde_json::from_slice::<Value>(&r.json) else { continue };
        let Some(by) = v["created_by_ref"].as_str().filter(|b| parties.iter().any(|p| p == b)) else { continue };
        let Some(when) = v["created"].as_str().and_then(|t| Timestamp::parse(t).ok()) else { continue };
        if v["revoked"] == true {
            continue;
        }
        let exercise = facts_exercise(&r.id, &r.facts);
        let kind = reaction_kind(&v);
        for of in refs(&r.json).into_iter().filter(|x| ids.contains(x.as_str())) {
            e.reactions.push(Reaction { id: r.id.clone(), by: by.to_owned(), of, at: when.micros(), kind, exercise });
        }
    }

    checks::from_modules(node, modules, me, agreement, &ask.at, channel, &mut e)?;
    if !e.absent.contains_key(&Indicator::Compliance) {
        e.absent.insert(
            Indicator::Compliance,
            "no record of handling violations is kept: this node's release log holds its own decisions, all made through the release gate, and sync refusals are counted per round, not stored".into(),
        );
    }
    Ok(e)
}

/// One object of the evidence, from its latest version here.
#[derive(Default)]
struct Obj {
    author: String,
    created: Option<i64>,
    version: i64,
    first_added: i64,
    quality: f64,
    pattern: Option<String>,
    exercise: bool,
    record: Option<store::Record>,
}

impl Obj {
    fn read(&mut self, json: &[u8], facts: &[u8], id: &str) {
        let v: Value = serde_json::from_slice(json).unwrap_or(Value::Null);
        self.created = v["created"].as_str().and_then(|t| Timestamp::parse(t).ok()).map(|t| t.micros());
        self.quality = quality(&v);
        self.pattern = v["pattern"].as_str().map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "));
        self.exercise = facts_exercise(id, facts);
    }
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
