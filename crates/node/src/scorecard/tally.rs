//! The scorecard's evidence kept between computations
//! (docs/assessment.md#incremental): a [`Tally`] holds, per object counted,
//! what the formulas need (author, `created`, first arrival here, quality,
//! normalised pattern, exercise flag, and for the viewer's own objects the
//! parties the release decision let it go to) and, per reaction, its
//! author, time, kind and the objects it names. Its first update reads the
//! agreement's evidence in full; each later one finds the objects and
//! reactions touched since the last (a version stored since, or a stored
//! version shared under the agreement since: `Query::added_after` on the
//! store, and `store::Store::added_to` on the agreement's collection, which
//! gives the ids and versions shared without the versions) and reads each again whole
//! from what the store KEPT (an object's stored versions, a reaction's
//! latest; an object it held nothing of, whose versions shared since were
//! all stored since, from those versions as found: see `read`), released
//! to the viewer through the same read path (decided,
//! logged), replacing what the tally held of it: a copy the store refused
//! or left unchanged changes nothing, a new version that revokes an object
//! (every version then recalled) drops it though itself unshared, and a
//! reaction stored before the object it names (kept aside by id) is read
//! again when that object arrives. The
//! evidence it gives is then the same as a full gather's, so the pure
//! computation gives the same figures (tested on random stores in
//! `scorecard/tally_tests.rs`).
//!
//! Beside the evidence it keeps the sums the figures are computed from
//! ([`scorecard::Kept`]): after an update, each object whose part changed
//! (read again, named by a reaction read again, or whose pattern was
//! first learned from another party since) is set again in them, and the
//! objects with an item dated after the last update's time once that time
//! is reached; trust's weights are kept summed for the window asked
//! ([`scorecard::Kept::keep_trust`]); [`Tally::kept`] then gives the
//! figures without gathering the evidence, and [`Tally::evidence`]
//! gathers it only when asked.
//!
//! A tally is started afresh (one full read) when any agreement of the
//! parties changed since the last update (a new version, a ratification,
//! a notice, a hold, a change of state: a release decision already taken
//! could change), when asked for a time
//! before its last update or before now, after any removal on this node
//! (a deletion or withholding: `crate::modules::scopes::removed`, which
//! the agreements' index also bumps when it finds the store's removal
//! generation moved: a deletion made through another server sharing the
//! store is seen at the index's next check, within a second), and at
//! least every [`FULL_EVERY_DAYS`]: a deletion of a version already
//! counted is not a new version, so only a full read drops it. Evidence
//! lists come from the sums, for the figures asked
//! ([`scorecard::Kept::fill`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use model::{StixId, Timestamp};
use scorecard::{Evidence, Kept, Reaction, ReactionKind, Release, DAY};
use serde_json::Value;
use store::{Query, Versions};

use super::{facts_exercise, quality, reaction_kind, refs, NOT_RELEASES};
use crate::modules::{Error, Node};
use crate::read::Out;
use crate::release::{held_by, Reader, Through};

pub mod saved;

/// A tally reads everything again at least this often (in its `at` days).
pub const FULL_EVERY_DAYS: i64 = 30;

/// How far before now a time still counts as now for an update (the
/// caller read the clock first, and may have waited for the tally):
/// five seconds.
pub const NOW: i64 = 5_000_000;

/// How far before the last update's start the next one reads again, so a
/// version stamped just before a read but committed after it is not
/// missed (reading a version twice changes nothing): ten seconds, far
/// longer than a write of one batch takes.
pub const MARGIN: i64 = 10_000_000;

/// How many ids an incremental read asks the store for at once.
const ID_CHUNK: usize = 500;

/// An id or a party's name, one allocation shared by every place that
/// names it (the tally's maps and indexes, the kept sums, a load's table).
type Name = Arc<str>;

/// A pattern, whitespace normalised, as the first 16 bytes of its SHA-256
/// ([`digest`]): patterns are only compared, and a million of them cost
/// 16 bytes each, not their text (a collision would take 2^64 tries).
type Pattern = [u8; 16];

/// One object counted, from its latest version released to the viewer
/// (names as [`Name`]s; saved with numbers: `saved.rs`).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
struct Held<N = Name> {
    author: N,
    created: Option<i64>,
    version: i64,
    first_added: i64,
    quality: f64,
    pattern: Option<Pattern>,
    exercise: bool,
    /// For the viewer's own objects: the partners it may go to.
    recipients: Vec<N>,
}

/// One reaction counted (its latest version, released to the viewer).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Said<N = Name> {
    by: N,
    at: i64,
    kind: ReactionKind,
    exercise: bool,
    refs: Vec<N>,
}

/// One object with a pattern in the patterns' index: (first stored, id, author).
type Holder = (i64, Name, Name);

/// The objects with one pattern, in order: nearly always one, kept
/// without a set of its own.
#[derive(Debug, Clone)]
enum Holders {
    One(Holder),
    Many(BTreeSet<Holder>),
}

impl Holders {
    fn first(&self) -> &Holder {
        match self {
            Holders::One(h) => h,
            Holders::Many(s) => s.first().expect("a pattern's holders are never empty"),
        }
    }

    fn insert(&mut self, h: Holder) {
        match self {
            Holders::One(x) if *x == h => {}
            Holders::One(x) => *self = Holders::Many(BTreeSet::from([x.clone(), h])),
            Holders::Many(s) => {
                s.insert(h);
            }
        }
    }

    /// Takes `h` out; false when none is left.
    fn remove(&mut self, h: &Holder) -> bool {
        match self {
            Holders::One(x) => x != h,
            Holders::Many(s) => {
                s.remove(h);
                match (s.len(), s.first()) {
                    (1, Some(one)) => *self = Holders::One(one.clone()),
                    (0, _) => return false,
                    _ => {}
                }
                true
            }
        }
    }

    fn ids(&self) -> Vec<Name> {
        match self {
            Holders::One(h) => vec![h.1.clone()],
            Holders::Many(s) => s.iter().map(|h| h.1.clone()).collect(),
        }
    }
}

/// What the tally was built for: a change of any part starts it afresh.
#[derive(Clone)]
struct Basis {
    me: StixId,
    agreement: StixId,
    /// [`fingerprint`] of the agreements the decisions read.
    agreements: [u8; 32],
    /// The node's removal generation (`crate::modules::scopes::removed`):
    /// a deletion or withholding since is no new version, so only a full
    /// read drops what it removed.
    removals: u64,
    /// The store's own removal count ([`store::Store::removals`]) read
    /// before the last full read: a saved tally ([`saved`]) is loaded
    /// only into a store whose count is still this.
    stored: u64,
    full_at: i64,
}

/// The evidence of one agreement's scorecard as one partner's node holds
/// it, kept up to date by [`Tally::update`] (see the module's doc).
#[derive(Clone)]
pub struct Tally {
    basis: Option<Basis>,
    /// Versions stored up to this time are in.
    through: i64,
    /// The version last stored of those it read: (its `date_added`, id,
    /// version). A saved tally is loaded only into a store that still
    /// holds it ([`saved`]: not one restored from an older copy).
    newest: Option<(i64, String, i64)>,
    objects: BTreeMap<Name, Held>,
    reactions: BTreeMap<Name, Said>,
    /// Reactions naming no object counted when read: their references.
    aside: HashMap<Name, Vec<Name>>,
    /// Per object, the reactions held that name it.
    named: HashMap<Name, BTreeSet<Name>>,
    /// Per normalised pattern, the objects with it (a map in order: built
    /// whole from a sorted list after a full read or a load).
    patterns: BTreeMap<Pattern, Holders>,
    /// Objects whose part in the sums may have changed in the last read.
    dirty: BTreeSet<Name>,
    /// The parties named (authors, recipients), each once.
    parties: Vec<Name>,
    /// The sums, kept from the first full read on.
    kept: Option<Kept>,
    /// Whether the last update read everything.
    full: bool,
    /// [`MARGIN`] (tests set 0).
    margin: i64,
    /// When it was last saved or loaded ([`saved`]), if it was.
    saved: Option<std::time::Instant>,
}

impl Default for Tally {
    fn default() -> Tally {
        Tally::new()
    }
}

impl Tally {
    /// A tally with nothing in it (the first update reads in full).
    pub fn new() -> Tally {
        Tally {
            basis: None,
            through: 0,
            newest: None,
            objects: BTreeMap::new(),
            reactions: BTreeMap::new(),
            aside: HashMap::new(),
            named: HashMap::new(),
            patterns: BTreeMap::new(),
            dirty: BTreeSet::new(),
            parties: Vec::new(),
            kept: None,
            full: false,
            margin: MARGIN,
            saved: None,
        }
    }

    /// A tally that reads again only what was stored after its last update's start.
    #[cfg(test)]
    pub(super) fn without_margin() -> Tally {
        Tally { margin: 0, ..Tally::new() }
    }

    /// Whether the last [`update`](Tally::update) read the evidence in full.
    pub fn was_full(&self) -> bool {
        self.full
    }

    /// Objects and reactions held.
    pub fn len(&self) -> (usize, usize) {
        (self.objects.len(), self.reactions.len())
    }

    /// The sums kept, when they stand at `e`'s time for `e`'s parties and
    /// service level (after an [`update`](Tally::update) to it).
    pub fn kept(&self, e: &Evidence) -> Option<&Kept> {
        self.kept.as_ref().filter(|k| k.stands_at(e.at) && k.kept_for() == (&e.parties[..], e.service_level))
    }

    /// Brings the tally to `at`: reads what was stored since the last
    /// update (or everything, see the module's doc) and brings the sums
    /// to it (`e`'s parties, time and service level are set; its
    /// releases and reactions are left alone: [`Tally::evidence`]).
    pub(super) fn update(&mut self, node: &Node, me: &StixId, agreement: &StixId, index: &Arc<policy::AgreementIndex>, e: &mut Evidence, channel: &str) -> Result<(), Error> {
        let at = e.at;
        let now = Timestamp::now().micros();
        let agreements = fingerprint(index, &e.parties, &Timestamp::from_micros(now));
        let removals = crate::modules::scopes::removals();
        // Only for now: a version stored after a past `at` would make a
        // full read drop a reaction's earlier version, which a merge keeps.
        let keep = self.basis.as_ref().is_some_and(|b| {
            &b.me == me && &b.agreement == agreement && b.agreements == agreements && b.removals == removals && at >= self.through && at >= now - NOW && at - b.full_at < FULL_EVERY_DAYS * DAY
        });
        if !keep {
            let (margin, stored) = (self.margin, node.store.removals()?);
            *self = Tally { basis: Some(Basis { me: me.clone(), agreement: agreement.clone(), agreements, removals, stored, full_at: at }), margin, ..Tally::new() };
        }
        self.full = !keep;
        let since = keep.then_some(self.through);
        self.read(node, me, agreement, index, &e.parties, at, since, channel)?;
        // The next update reads what was stored after this one started (or
        // after `at`, if earlier), less the margin.
        self.through = at.min(now) - self.margin;
        self.keep_sums(me, e);
        Ok(())
    }

    /// The sums brought up to date: built from every object after a full
    /// read (or for other parties or service level), else each dirty
    /// object and each due at `e.at` set again.
    fn keep_sums(&mut self, me: &StixId, e: &Evidence) {
        let dirty = std::mem::take(&mut self.dirty);
        // (Asked for a time a little before the sums' own, they stay at
        // theirs: that scorecard is computed from the evidence.)
        let fresh = self.full || self.kept.as_ref().is_none_or(|k| k.kept_for() != (&e.parties[..], e.service_level));
        let others: Vec<&String> = e.parties.iter().filter(|p| *p != me.as_str()).collect();
        if fresh {
            let mut kept = Kept::new(&e.parties, e.service_level, e.at);
            kept.keep_trust(e.window);
            for id in self.objects.keys() {
                let (releases, reactions) = self.part(me, &others, id).unwrap_or_default();
                kept.set(id.clone(), &releases, &reactions);
            }
            self.kept = Some(kept);
            return;
        }
        let Some(mut kept) = self.kept.take() else { return };
        kept.keep_trust(e.window);
        let mut ids = dirty;
        ids.extend(kept.advance(e.at));
        for id in &ids {
            match self.part(me, &others, id) {
                Some((releases, reactions)) => kept.set(id.clone(), &releases, &reactions),
                None => kept.remove(id),
            }
        }
        self.kept = Some(kept);
    }

    #[allow(clippy::too_many_arguments)]
    fn read(&mut self, node: &Node, me: &StixId, agreement: &StixId, index: &Arc<policy::AgreementIndex>, parties: &[String], at: i64, since: Option<i64>, channel: &str) -> Result<(), Error> {
        let reader = Reader::new(me.clone(), index.clone(), Through::AnyShare);
        let out = Out::new(&node.log, &reader, channel);
        let others: Vec<(String, Arc<Reader>)> = parties.iter().filter(|p| *p != me.as_str()).filter_map(|p| Some((p.clone(), Reader::new(StixId::parse(p).ok()?, index.clone(), Through::AnyShare)))).collect();

        // What to read: everything, or (incrementally) every object with a
        // version stored since, or a version shared under the agreement
        // since (a share of a version already stored is no new version).
        // Such an object is read again whole, from what the store KEPT (its
        // stored versions, whatever was posted: a version the store refused
        // or found unchanged changes nothing, a new one may recall the
        // others), and what the tally held of it is replaced.
        // The versions stored since, by id (`found`), and the versions
        // shared since (`shared`, dated by their share): an object the
        // tally held nothing of, all of whose versions shared since were
        // stored since, is read from `found` alone (see below).
        let mut found: HashMap<String, Vec<store::Record>> = HashMap::new();
        let mut shared: HashMap<String, Vec<i64>> = HashMap::new();
        let touched: Option<BTreeSet<String>> = match since {
            None => None,
            Some(since) => {
                let plain = Query { versions: Versions::ALL, added_after: Some(since), ..Query::default() };
                node.store.scan(&plain, &mut |r| {
                    found.entry(r.id.clone()).or_default().push(r);
                    Ok(())
                })?;
                // Of the versions shared since, only their ids and versions.
                for (id, version) in node.store.added_to(&store::agreement_collection(agreement.as_str()), since)? {
                    shared.entry(id).or_default().push(version);
                }
                Some(found.keys().chain(shared.keys()).cloned().collect())
            }
        };
        // An object touched that the tally held nothing of: none of its
        // versions stored before was released to the viewer at the last
        // update (which the tally then equalled a full read of), and none
        // can be now but through a share since, the agreements unchanged
        // (else a full read): what a version's release depends on but its
        // stored facts and shares is the agreements, the time they give,
        // and its object's recall, which only refuses more. So when every
        // version shared since was also stored since, its versions stored
        // since are all of it that can count, and are not read again. Any
        // other object touched is read again whole (a new version may
        // recall the others; a version stored before may be shared now).
        let fresh = |id: &String| !self.objects.contains_key(id.as_str()) && shared.get(id).is_none_or(|v| v.iter().all(|v| found.get(id).is_some_and(|f| f.iter().any(|r| r.version_micros == *v))));
        let held: Option<Vec<String>> = touched.as_ref().map(|ids| ids.iter().filter(|id| !fresh(id)).cloned().collect());
        let held_set: std::collections::HashSet<&String> = held.iter().flatten().collect();
        let found: Vec<store::Record> = found.into_iter().filter(|(id, _)| !held_set.contains(id)).flat_map(|(_, v)| v).collect();
        drop(held_set);
        let scan = |query: Query, f: &mut dyn FnMut(store::Record)| -> Result<(), Error> {
            match &touched {
                None => {
                    node.store.scan(&query, &mut |r| {
                        f(r);
                        Ok(())
                    })?;
                }
                Some(ids) => {
                    let ids: Vec<&String> = ids.iter().filter(|id| query.types.is_empty() || query.types.iter().any(|t| id.split("--").next() == Some(t.as_str()))).collect();
                    for chunk in ids.chunks(ID_CHUNK) {
                        let q = Query { ids: chunk.iter().map(|id| (*id).clone()).collect(), ..query.clone() };
                        node.store.scan(&q, &mut |r| {
                            f(r);
                            Ok(())
                        })?;
                    }
                }
            }
            Ok(())
        };

        // Intelligence under the agreement: the viewer's own shared under it,
        // its partners' received under it. Partnership records are the modules'.
        let mut candidates = Vec::new();
        // Every version read passes here (all of them, or every version of
        // each object and reaction touched): the newest stored is kept.
        let mut newest = self.newest.clone();
        let mut candidate = |r: store::Record| {
            newer(&mut newest, &r);
            if policy::kinds::is_record(&r.object_type) || NOT_RELEASES.contains(&r.object_type.as_str()) || r.date_added.0 > at {
                return;
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
        };
        match &held {
            None => scan(Query { versions: Versions::ALL, ..Query::default() }, &mut candidate)?,
            Some(held) => {
                for chunk in held.chunks(ID_CHUNK) {
                    node.store.scan(&Query { ids: chunk.to_vec(), versions: Versions::ALL, ..Query::default() }, &mut |r| {
                        candidate(r);
                        Ok(())
                    })?;
                }
                found.into_iter().for_each(&mut candidate);
            }
        }
        self.newest = newest;
        let mut held_before = BTreeSet::new();
        let mut before: Vec<(Pattern, Holder)> = Vec::new();
        if let Some(ids) = &touched {
            for id in ids {
                let id: Name = Name::from(id.as_str());
                if let Some(o) = self.objects.remove(&id) {
                    held_before.insert(id.clone());
                    if let Some(p) = o.pattern {
                        before.push((p, (o.first_added, id.clone(), o.author)));
                    }
                }
                self.dirty.insert(id);
            }
        }
        let mut latest: BTreeMap<Name, store::Record> = BTreeMap::new();
        let mut new_ids: BTreeSet<Name> = BTreeSet::new();
        for r in out.records(candidates)?.into_inner() {
            let o = match self.objects.get_mut(r.id.as_str()) {
                Some(o) => o,
                None => {
                    let id = Name::from(r.id.as_str());
                    if !held_before.contains(&id) {
                        new_ids.insert(id.clone());
                    }
                    self.objects.entry(id).or_insert(Held { first_added: r.date_added.0, ..Held::default() })
                }
            };
            o.first_added = o.first_added.min(r.date_added.0);
            if r.version_micros >= o.version {
                o.version = r.version_micros;
                o.author = intern(&mut self.parties, r.created_by_ref.as_deref().unwrap_or_default());
                let (created, quality, pattern) = counted(&r.json);
                (o.created, o.quality, o.pattern) = (created, quality, pattern);
                o.exercise = facts_exercise(&r.id, &r.facts);
                latest.insert(Name::from(r.id.as_str()), r);
            }
        }
        // Who the viewer's own objects go to, from their latest version.
        for (id, r) in &latest {
            if let Some(o) = self.objects.get_mut(id) {
                o.recipients = if &*o.author == me.as_str() { others.iter().filter(|(_, reader)| reader.allowed(r).is_some()).map(|(p, _)| intern(&mut self.parties, p)).collect() } else { Vec::new() };
            }
        }
        // The patterns' index, and every object of a pattern whose first
        // author or time changed (their novelty may have).
        match &touched {
            None => self.index_patterns(),
            Some(ids) => {
                let after: Vec<(Pattern, Holder)> = ids.iter().filter_map(|id| self.objects.get_key_value(id.as_str()).and_then(|(id, o)| Some((o.pattern?, (o.first_added, id.clone(), o.author.clone()))))).collect();
                let first = |patterns: &BTreeMap<Pattern, Holders>, p: &Pattern| patterns.get(p).map(|s| s.first()).map(|(t, _, a)| (*t, a.clone()));
                let affected: BTreeSet<Pattern> = before.iter().chain(&after).map(|(p, _)| *p).collect();
                let was: Vec<_> = affected.iter().map(|p| first(&self.patterns, p)).collect();
                for (p, entry) in &before {
                    if let Some(set) = self.patterns.get_mut(p) {
                        if !set.remove(entry) {
                            self.patterns.remove(p);
                        }
                    }
                }
                for (p, entry) in after {
                    match self.patterns.entry(p) {
                        std::collections::btree_map::Entry::Occupied(mut e) => e.get_mut().insert(entry),
                        std::collections::btree_map::Entry::Vacant(e) => {
                            e.insert(Holders::One(entry));
                        }
                    }
                }
                for (p, was) in affected.iter().zip(was) {
                    if first(&self.patterns, p) != was {
                        self.dirty.extend(self.patterns.get(p).map(Holders::ids).unwrap_or_default());
                    }
                }
            }
        }

        // Reactions: the touched ones (all, in a full read) from their
        // latest stored version, and those kept aside that name an object
        // counted for the first time now.
        let mut candidates = Vec::new();
        let mut named: BTreeSet<String> = BTreeSet::new();
        let reaction_types = || vec!["sighting".into(), "opinion".into(), "note".into()];
        scan(Query { types: reaction_types(), versions: Versions::LAST, ..Query::default() }, &mut |r| {
            if r.date_added.0 <= at {
                named.insert(r.id.clone());
                candidates.push(r);
            }
        })?;
        if let Some(ids) = &touched {
            // What a touched reaction said before goes, whatever its latest
            // version says (or if it is not to be read yet).
            for id in ids {
                self.forget_reaction(id);
                self.aside.remove(id.as_str());
            }
        }
        let returning: Vec<String> = self.aside.iter().filter(|(id, refs)| !named.contains(&***id) && refs.iter().any(|x| new_ids.contains(x))).map(|(id, _)| id.to_string()).collect();
        if !returning.is_empty() {
            let query = Query { types: reaction_types(), ids: returning, versions: Versions::LAST, ..Query::default() };
            node.store.scan(&query, &mut |r| {
                if r.date_added.0 <= at {
                    candidates.push(r);
                }
                Ok(())
            })?;
        }
        let mut asked = Vec::new();
        for r in candidates {
            let names = refs(&r.json);
            // What it said before is replaced by this version, whatever it says.
            self.forget_reaction(&r.id);
            self.aside.remove(r.id.as_str());
            if names.iter().any(|x| self.objects.contains_key(x.as_str())) {
                asked.push(r);
            } else {
                self.aside.insert(Name::from(r.id.as_str()), names.iter().map(|x| self.name(x)).collect());
            }
        }
        for r in out.records(asked)?.into_inner() {
            let Ok(v) = serde_json::from_slice::<Value>(&r.json) else { continue };
            let Some(by) = v["created_by_ref"].as_str().filter(|b| parties.iter().any(|p| p == b)) else { continue };
            let Some(when) = v["created"].as_str().and_then(|t| Timestamp::parse(t).ok()) else { continue };
            if v["revoked"] == true {
                continue;
            }
            let id = Name::from(r.id.as_str());
            let refs: Vec<Name> = refs(&r.json).iter().map(|x| self.name(x)).collect();
            let said = Said { by: intern(&mut self.parties, by), at: when.micros(), kind: reaction_kind(&v), exercise: facts_exercise(&r.id, &r.facts), refs };
            for of in &said.refs {
                self.named.entry(of.clone()).or_default().insert(id.clone());
                self.dirty.insert(of.clone());
            }
            self.reactions.insert(id, said);
        }
        Ok(())
    }

    /// `id` as the tally names it: the object's own name when it holds
    /// the object (one allocation for both), else a new one.
    fn name(&self, id: &str) -> Name {
        self.objects.get_key_value(id).map_or_else(|| Name::from(id), |(k, _)| k.clone())
    }

    /// The patterns' index built again from the objects held: their
    /// patterns sorted, then the map built whole from them in order.
    fn index_patterns(&mut self) {
        let mut all: Vec<(Pattern, Holder)> = self.objects.iter().filter_map(|(id, o)| Some((o.pattern?, (o.first_added, id.clone(), o.author.clone())))).collect();
        all.sort_unstable_by_key(|(p, _)| u128::from_be_bytes(*p));
        let mut grouped: Vec<(Pattern, Holders)> = Vec::with_capacity(all.len());
        for (p, holder) in all {
            match grouped.last_mut() {
                Some((last, holders)) if *last == p => holders.insert(holder),
                _ => grouped.push((p, Holders::One(holder))),
            }
        }
        self.patterns = grouped.into_iter().collect();
    }

    /// Drops reaction `id`, marking the objects it named dirty.
    fn forget_reaction(&mut self, id: &str) {
        let Some(said) = self.reactions.remove(id) else { return };
        for of in said.refs {
            if let Some(set) = self.named.get_mut(&of) {
                set.remove(id);
                if set.is_empty() {
                    self.named.remove(&of);
                }
            }
            self.dirty.insert(of);
        }
    }

    /// Object `id`'s releases (one per party it goes to) and the reactions
    /// naming it (one per time named), as the scorecard counts them; `None`
    /// when the tally holds no such object.
    fn part(&self, me: &StixId, others: &[&String], id: &str) -> Option<(Vec<Release>, Vec<Reaction>)> {
        let o = self.objects.get(id)?;
        let mine = &*o.author == me.as_str();
        let mut releases = Vec::with_capacity(if mine { o.recipients.len() } else { 1 });
        let named = self.named.get(id);
        let mut reactions = Vec::with_capacity(named.map_or(0, BTreeSet::len));
        if let Some(created) = o.created {
            if mine {
                for p in others.iter().filter(|p| o.recipients.iter().any(|r| &**r == p.as_str())) {
                    releases.push(Release { id: id.to_owned(), author: o.author.to_string(), recipient: (*p).clone(), created, arrived: None, quality: o.quality, novel: None, exercise: o.exercise });
                }
            } else {
                // Novelty, on the recipient's node: no object with the same
                // pattern from another author reached it earlier (among this
                // evidence; the first stored, the smallest id at a tie).
                let first = o.pattern.map(|p| self.patterns.get(&p).map(Holders::first));
                let novel = first.map(|f| f.is_none_or(|(t, _, a)| *a == o.author || *t >= o.first_added));
                releases.push(Release { id: id.to_owned(), author: o.author.to_string(), recipient: me.to_string(), created, arrived: Some(o.first_added), quality: o.quality, novel, exercise: o.exercise });
            }
        }
        for rid in named.into_iter().flatten() {
            let Some(s) = self.reactions.get(rid) else { continue };
            for _ in s.refs.iter().filter(|x| &***x == id) {
                reactions.push(Reaction { id: rid.to_string(), by: s.by.to_string(), of: id.to_owned(), at: s.at, kind: s.kind, exercise: s.exercise });
            }
        }
        Some((releases, reactions))
    }

    /// The releases and reactions of the tally into `e` (after an
    /// [`update`](Tally::update)): the evidence a full gather gives.
    pub fn evidence(&self, me: &StixId, e: &mut Evidence) {
        let others: Vec<&String> = e.parties.iter().filter(|p| *p != me.as_str()).collect();
        let (mut releases, mut reactions) = (Vec::new(), Vec::new());
        for id in self.objects.keys() {
            let (r, x) = self.part(me, &others, id).unwrap_or_default();
            releases.extend(r);
            reactions.extend(x);
        }
        e.releases = releases;
        e.reactions = reactions;
    }
}

/// `r` as `newest` if it was stored after it (see [`Tally`]'s `newest`).
fn newer(newest: &mut Option<(i64, String, i64)>, r: &store::Record) {
    if newest.as_ref().is_none_or(|(t, _, _)| r.date_added.0 > *t) {
        *newest = Some((r.date_added.0, r.id.clone(), r.version_micros));
    }
}

/// `name` as the tally holds it: the one of `names` equal to it, else
/// added to them (a party's name: there are few).
fn intern(names: &mut Vec<Name>, name: &str) -> Name {
    if let Some(n) = names.iter().find(|n| &***n == name) {
        return n.clone();
    }
    let n = Name::from(name);
    names.push(n.clone());
    n
}

/// A pattern's [`Pattern`]: the first 16 bytes of the SHA-256 of its
/// words joined by single spaces (its whitespace normalised).
fn digest(pattern: &str) -> Pattern {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    for (i, word) in pattern.split_whitespace().enumerate() {
        if i > 0 {
            h.update(b" ");
        }
        h.update(word.as_bytes());
    }
    let d = h.finalize();
    let mut p = [0; 16];
    p.copy_from_slice(&d[..16]);
    p
}

/// What an object's version gives the figures: its `created`, its quality
/// weight (`super::quality`) and its pattern, whitespace normalised (as its
/// [`digest`]). Read
/// through a struct of those properties alone; JSON it does not take (a
/// property of another type, a key twice) is read as a whole value, as
/// before, with the same outcome.
fn counted(json: &[u8]) -> (Option<i64>, f64, Option<Pattern>) {
    #[derive(serde::Deserialize)]
    struct Counted<'a> {
        #[serde(borrow, default)]
        created: Option<std::borrow::Cow<'a, str>>,
        #[serde(default)]
        confidence: Option<f64>,
        #[serde(default)]
        revoked: Option<bool>,
        #[serde(borrow, default)]
        pattern: Option<std::borrow::Cow<'a, str>>,
    }
    match serde_json::from_slice::<Counted>(json) {
        Ok(c) => {
            let quality = if c.revoked == Some(true) { 0.0 } else { c.confidence.map_or(1.0, |c| (c / 100.0).clamp(0.0, 1.0)) };
            (c.created.and_then(|t| Timestamp::parse(&t).ok()).map(|t| t.micros()), quality, c.pattern.as_deref().map(digest))
        }
        Err(_) => {
            let v: Value = serde_json::from_slice(json).unwrap_or(Value::Null);
            (v["created"].as_str().and_then(|t| Timestamp::parse(t).ok()).map(|t| t.micros()), quality(&v), v["pattern"].as_str().map(digest))
        }
    }
}

/// What the release decisions for the agreement's parties read from the
/// agreements' index at `now`, hashed: every agreement any of them is a
/// party to, its latest version, the parties that ratified it and its
/// state. The index itself is rebuilt at least every minute
/// (`release::INDEX_REBUILD`), so its identity says nothing.
fn fingerprint(index: &policy::AgreementIndex, parties: &[String], now: &Timestamp) -> [u8; 32] {
    use sha2::Digest;
    let mut ids = BTreeSet::new();
    for p in parties {
        if let Ok(p) = StixId::parse(p) {
            ids.extend(index.agreements_of(&p));
        }
    }
    let mut h = sha2::Sha256::new();
    for id in &ids {
        h.update(format!("{id}\n{:?}\n{:?}\n{:?}\n", index.agreement(id), index.agreed_parties(id), index.state(id, now)).as_bytes());
    }
    h.finalize().into()
}
