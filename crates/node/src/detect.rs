//! Detection and correlation: shared indicators matched against what a
//! partner observes, and who else reported an observable. Both are paths
//! out of the node, so both answer through the caller's release decision.
//!
//! * [`Indicators`]: the node's live indicators (latest versions, not
//!   revoked, STIX patterns), parsed once and indexed by observable in a
//!   [`pattern::Detector`]; refreshed incrementally from the store by
//!   `date_added` (new versions replace old ones), rebuilt after deletions.
//! * [`Feed`]: turns observations as they arrive (bundles, JSON Lines of
//!   objects or bundles, a streamed document) into observed-data objects
//!   with the objects they reference.
//! * [`Session`]: one caller's detection run: pre-selection by the cached
//!   release facts, the matcher within a [`Budget`] (steps per indicator
//!   and per run, a deadline, a cancel flag), then the release decision
//!   again on the indicator as stored now (a hit is only reported from the
//!   object actually read); sightings for hits when asked.
//! * [`correlate`]: which partners reported an observable, counting only
//!   the versions the caller may see.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use model::{StixId, Timestamp};
use pattern::detect::Observation;
use pattern::{Detector, Exceeded};
use serde::Deserialize;
use serde_json::{json, Value};
use store::{ObservableKey, PutOptions, Query, Record, Store, Versions};

use crate::release::Reader;

/// An indicator held by the detector: its stored record without the JSON
/// bytes (for the release pre-check) and its validity.
pub struct Held {
    /// The version's record (`json` empty).
    pub record: Record,
    /// `valid_until`, microseconds, if set.
    pub valid_until: Option<i64>,
}

#[derive(Deserialize)]
struct IndicatorFields {
    pattern: Option<String>,
    pattern_type: Option<String>,
    valid_until: Option<String>,
    #[serde(default)]
    revoked: bool,
    #[serde(default)]
    object_marking_refs: Vec<String>,
}

#[derive(Default)]
struct Engine {
    detector: Detector<Held>,
    slots: HashMap<String, usize>,
    /// `date_added` of the last version read from the store.
    watermark: i64,
    /// The [`Indicators::invalidate`] count this engine was built after.
    epoch: u64,
}

/// An indicator version read from the store, parsed outside the engine's
/// lock: its pattern and validity when it is a live STIX indicator.
struct Prepared {
    record: Record,
    live: Option<(pattern::Pattern, Option<i64>)>,
}

impl Prepared {
    fn of(mut r: Record) -> Prepared {
        let live = serde_json::from_slice::<IndicatorFields>(&r.json).ok().and_then(|f| {
            if f.revoked || f.pattern_type.as_deref() != Some("stix") {
                return None;
            }
            let p = pattern::parse(f.pattern.as_deref()?).ok()?;
            let valid_until = f.valid_until.and_then(|v| Timestamp::parse(&v).ok()).map(|t| t.micros());
            Some((p, valid_until))
        });
        r.json = Vec::new();
        Prepared { record: r, live }
    }
}

impl Engine {
    fn add(&mut self, p: Prepared) {
        let Prepared { record: r, live } = p;
        self.watermark = self.watermark.max(r.date_added.0);
        if let Some(old) = self.slots.remove(&r.id) {
            self.detector.remove(old);
        }
        let Some((p, valid_until)) = live else { return };
        let id = r.id.clone();
        let slot = self.detector.insert(p, Held { record: r, valid_until });
        self.slots.insert(id, slot);
    }
}

/// The node's indicators, indexed for detection (see the module docs).
///
/// Detection runs hold the engine's read lock for one observation at a
/// time; a refresh reads and parses new versions without the lock and
/// takes the write lock only when there is something to add, so a long
/// run never makes other callers' refreshes (and through them their runs)
/// wait.
#[derive(Default)]
pub struct Indicators {
    engine: RwLock<Engine>,
    /// One refresh at a time.
    refreshing: Mutex<()>,
    /// How many times [`Indicators::invalidate`] was called.
    invalidations: AtomicU64,
}

impl Indicators {
    /// Forgets everything: the next refresh reads every indicator again
    /// (after deletions, which an incremental refresh cannot see).
    pub fn invalidate(&self) {
        self.invalidations.fetch_add(1, Ordering::SeqCst);
    }

    /// Reads the indicator versions added since the last refresh.
    pub fn refresh(&self, store: &dyn Store) -> store::Result<()> {
        let _one = self.refreshing.lock().unwrap_or_else(|p| p.into_inner());
        let epoch = self.invalidations.load(Ordering::SeqCst);
        let (rebuild, watermark) = {
            let e = self.engine.read().unwrap_or_else(|p| p.into_inner());
            let rebuild = e.epoch != epoch || e.watermark == 0;
            (rebuild, if rebuild { i64::MIN } else { e.watermark })
        };
        let q = Query {
            types: vec!["indicator".into()],
            added_after: Some(watermark),
            versions: Versions::LAST,
            ..Query::default()
        };
        let mut fresh = Vec::new();
        store.scan(&q, &mut |r| {
            fresh.push(Prepared::of(r));
            Ok(())
        })?;
        if !rebuild && fresh.is_empty() {
            return Ok(());
        }
        let mut e = self.engine.write().unwrap_or_else(|p| p.into_inner());
        if rebuild {
            *e = Engine { watermark: i64::MIN, epoch, ..Engine::default() };
        }
        for p in fresh {
            e.add(p);
        }
        if e.detector.dead() > 1024 && e.detector.dead() > e.detector.len() {
            let Engine { detector, watermark, epoch, .. } = std::mem::take(&mut *e);
            let detector = detector.compact();
            let slots = detector.iter().map(|(s, _, h)| (h.record.id.clone(), s)).collect();
            *e = Engine { detector, slots, watermark, epoch };
        }
        Ok(())
    }

    /// Live indicators, and how many of them are pre-selected by value.
    pub fn counts(&self) -> (usize, usize) {
        let e = self.engine.read().unwrap_or_else(|p| p.into_inner());
        (e.detector.len(), e.detector.indexed())
    }
}

/// Most objects [`Feed`] keeps for later references.
const POOL_MAX: usize = 200_000;

/// Observations from a stream of objects: observed-data objects are
/// released with the objects they reference once all have arrived (or at
/// the end, with those that did); other objects that come alone are kept,
/// up to [`POOL_MAX`], for observed-data that references them later. A
/// bundle is complete in itself.
#[derive(Default)]
pub struct Feed {
    pool: HashMap<String, Arc<Value>>,
    order: VecDeque<String>,
    waiting: Vec<Arc<Value>>,
}

/// One observation, ready to match: the observed-data and its objects.
pub struct Ready {
    /// The observed-data object.
    pub observed_data: Arc<Value>,
    /// The objects it references that were found.
    pub objects: Vec<Arc<Value>>,
}

impl Feed {
    /// Takes one document: a bundle (its objects), a JSON array (of objects
    /// or bundles), or one object.
    pub fn push_document(&mut self, doc: Value, out: &mut Vec<Ready>) {
        match doc {
            Value::Object(mut m) if m.get("type").and_then(Value::as_str) == Some("bundle") || m.contains_key("objects") => {
                if let Some(Value::Array(objects)) = m.remove("objects") {
                    self.push_bundle(objects, out);
                }
            }
            Value::Array(items) => items.into_iter().for_each(|d| self.push_document(d, out)),
            other => self.push(other, out),
        }
    }

    /// A bundle is a unit: its observed-data reference its own objects (or
    /// objects that came alone before it), which are not kept after it.
    fn push_bundle(&mut self, objects: Vec<Value>, out: &mut Vec<Ready>) {
        let (observed, rest): (Vec<Value>, Vec<Value>) =
            objects.into_iter().partition(|o| o.get("type").and_then(Value::as_str) == Some("observed-data"));
        let own: HashMap<String, Arc<Value>> = rest
            .into_iter()
            .filter_map(|o| Some((o.get("id")?.as_str()?.to_owned(), Arc::new(o))))
            .collect();
        for od in observed {
            let objects = Self::refs(&od).filter_map(|r| own.get(r).or_else(|| self.pool.get(r)).cloned()).collect();
            out.push(Ready { observed_data: Arc::new(od), objects });
        }
    }

    /// Takes one object.
    pub fn push(&mut self, object: Value, out: &mut Vec<Ready>) {
        let is_od = object.get("type").and_then(Value::as_str) == Some("observed-data");
        let object = Arc::new(object);
        if is_od {
            if self.complete(&object) {
                out.push(self.resolve(object));
            } else {
                self.waiting.push(object);
            }
            return;
        }
        let Some(id) = object.get("id").and_then(Value::as_str).map(str::to_owned) else { return };
        if self.pool.len() >= POOL_MAX {
            if let Some(old) = self.order.pop_front() {
                self.pool.remove(&old);
            }
        }
        if self.pool.insert(id.clone(), object).is_none() {
            self.order.push_back(id);
        }
        if !self.waiting.is_empty() {
            let waiting = std::mem::take(&mut self.waiting);
            for od in waiting {
                if self.complete(&od) {
                    out.push(self.resolve(od));
                } else {
                    self.waiting.push(od);
                }
            }
        }
    }

    /// Releases the observations still waiting for objects, with what came.
    pub fn finish(&mut self, out: &mut Vec<Ready>) {
        for od in std::mem::take(&mut self.waiting) {
            out.push(self.resolve(od));
        }
    }

    fn refs(od: &Value) -> impl Iterator<Item = &str> {
        od.get("object_refs").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str)
    }

    fn complete(&self, od: &Value) -> bool {
        Self::refs(od).all(|r| self.pool.contains_key(r))
    }

    fn resolve(&self, od: Arc<Value>) -> Ready {
        let objects = Self::refs(&od).filter_map(|r| self.pool.get(r).cloned()).collect();
        Ready { observed_data: od, objects }
    }
}

/// One hit: an indicator (as stored now, released to the caller) and the
/// observation it matched.
pub struct Hit {
    /// The indicator's stored version.
    pub indicator: Record,
    /// The agreement it reached the caller under (`None`: its own or published).
    pub agreement: Option<StixId>,
    /// The observed-data it matched.
    pub observed_data: Arc<Value>,
}

/// What a detection run did, for its summary.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct Totals {
    /// Observations matched.
    pub observations: u64,
    /// Hits reported.
    pub hits: u64,
    /// Candidates from the observable index evaluated.
    pub indexed_evaluations: u64,
    /// Indicators without a value to pre-select by, evaluated.
    pub unindexed_evaluations: u64,
    /// Evaluations that ended in an error (not matches).
    pub errors: u64,
    /// Matches whose indicator the caller may no longer see, as stored now.
    pub withdrawn: u64,
    /// Matching steps spent (see [`Budget`]).
    pub steps: u64,
}

/// Most matching steps one indicator may spend in one run, by default.
pub const INDICATOR_STEPS: u64 = 1_000_000;

/// An indicator's evaluations are charged to it one by one only from
/// this many steps on (cheaper ones count toward the run's total alone),
/// so ordinary matching never touches the per-indicator accounts.
const CHARGE_FROM: u64 = 256;

/// What one detection run may spend. Steps are the matcher's
/// ([`pattern::Budget`]): an instance of an observation expanded, an
/// object scanned, a pair of candidate bindings joined.
#[derive(Debug, Clone)]
pub struct Budget {
    /// Most steps one indicator may spend over the run; past them it is
    /// set aside for the rest of the run ([`SetAside`]).
    pub indicator_steps: u64,
    /// Most steps the whole run may spend; past them the run stops.
    pub run_steps: u64,
    /// When the run stops.
    pub deadline: Option<Instant>,
    /// Set by another thread to stop the run (its caller went away).
    pub cancel: Option<Arc<AtomicBool>>,
}

impl Default for Budget {
    fn default() -> Self {
        Budget { indicator_steps: INDICATOR_STEPS, run_steps: u64::MAX, deadline: None, cancel: None }
    }
}

/// The limit that stopped a run or set an indicator aside.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    /// [`Budget::indicator_steps`].
    IndicatorSteps,
    /// [`Budget::run_steps`].
    RequestSteps,
    /// [`Budget::deadline`].
    RequestTime,
    /// [`Budget::cancel`].
    Cancelled,
}

impl Limit {
    /// The limit's name in answers and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Limit::IndicatorSteps => "indicator_steps",
            Limit::RequestSteps => "request_steps",
            Limit::RequestTime => "request_time",
            Limit::Cancelled => "cancelled",
        }
    }
}

/// An indicator that ran out of its steps: not evaluated for the rest of
/// the run, so the run's answer is incomplete for it.
#[derive(Debug, Clone)]
pub struct SetAside {
    /// The indicator (as stored now, released to the caller).
    pub indicator: Record,
    /// The observation it ran out on.
    pub observed_data: Option<String>,
}

/// Why a run stopped before the end of its observations.
#[derive(Debug, Clone)]
pub struct Stopped {
    /// Which limit.
    pub limit: Limit,
    /// The indicator being evaluated then, if the caller may see it.
    pub indicator: Option<Record>,
    /// The observation being matched then.
    pub observed_data: Option<String>,
}

/// One caller's detection run over the node's indicators.
pub struct Session<'a> {
    indicators: &'a Indicators,
    store: &'a dyn Store,
    reader: Arc<Reader>,
    now: i64,
    /// Also evaluate indicators that cannot be pre-selected by value.
    pub unindexed: bool,
    /// What the run may spend.
    pub budget: Budget,
    /// What the run did so far.
    pub totals: Totals,
    /// Indicators set aside for running out of their steps, once each.
    pub set_aside: Vec<SetAside>,
    /// Why the run stopped, once it has (then [`Session::run`] does nothing
    /// more and returns no hits).
    pub stopped: Option<Stopped>,
    /// Steps charged per indicator id (evaluations of [`CHARGE_FROM`] steps or more).
    spent: HashMap<String, u64>,
    /// Ids of the indicators set aside.
    aside: HashSet<String>,
}

impl<'a> Session<'a> {
    /// A run for the reader's partner (refresh the indicators first).
    pub fn new(indicators: &'a Indicators, store: &'a dyn Store, reader: Arc<Reader>) -> Session<'a> {
        Session {
            indicators,
            store,
            reader,
            now: Timestamp::now().micros(),
            unindexed: true,
            budget: Budget::default(),
            totals: Totals::default(),
            set_aside: Vec::new(),
            stopped: None,
            spent: HashMap::new(),
            aside: HashSet::new(),
        }
    }

    /// Matches observations; returns the hits, each checked against the
    /// indicator as stored now. Indicators that run out of their steps are
    /// set aside ([`Session::set_aside`]); when the run's own budget runs
    /// out it stops ([`Session::stopped`]) and returns no hits.
    pub fn run(&mut self, batch: &[Ready]) -> store::Result<Vec<Hit>> {
        let mut ids: Vec<(String, Arc<Value>)> = Vec::new();
        let mut aside: Vec<(String, Option<String>)> = Vec::new();
        let mut stop: Option<(Limit, Option<String>, Option<String>)> = None;
        let (now, reader) = (self.now, self.reader.clone());
        let cancel = self.budget.cancel.clone();
        let budget = pattern::Budget { steps: 0, deadline: self.budget.deadline, cancel: cancel.as_deref() };
        let (indicator_steps, run_steps) = (self.budget.indicator_steps, self.budget.run_steps);
        let mut hits = Vec::new();
        for obs in batch {
            if self.stopped.is_some() || stop.is_some() {
                break;
            }
            let od_id = || obs.observed_data.get("id").and_then(Value::as_str).map(str::to_owned);
            let objects: Vec<&Value> = obs.objects.iter().map(|o| &**o).collect();
            hits.clear();
            // The read lock is held for one observation: a refresh with
            // something to add waits for one observation's matching at most.
            let e = self.indicators.engine.read().unwrap_or_else(|p| p.into_inner());
            let total = Cell::new(self.totals.steps);
            let spent = RefCell::new(&mut self.spent);
            let current = Cell::new(None::<usize>);
            let mut ran_out: Vec<usize> = Vec::new();
            let set_aside = &self.aside;
            let result = e.detector.detect_within(
                Observation { observed_data: &obs.observed_data, objects: &objects },
                self.unindexed,
                budget,
                |slot, h: &Held| {
                    if !(h.valid_until.is_none_or(|u| u > now) && reader.allowed(&h.record).is_some()) {
                        return None;
                    }
                    if !set_aside.is_empty() && set_aside.contains(&h.record.id) {
                        return None;
                    }
                    let spent = spent.borrow();
                    let used = if spent.is_empty() { 0 } else { spent.get(&h.record.id).copied().unwrap_or(0) };
                    let left = indicator_steps.saturating_sub(used).min(run_steps.saturating_sub(total.get()));
                    current.set(Some(slot));
                    Some(left)
                },
                |slot, n, out| {
                    total.set(total.get().saturating_add(n));
                    if n >= CHARGE_FROM {
                        if let Some((_, h)) = e.detector.get(slot) {
                            *spent.borrow_mut().entry(h.record.id.clone()).or_default() += n;
                        }
                    }
                    if out {
                        ran_out.push(slot);
                    }
                },
                &mut hits,
            );
            self.totals.steps = total.get();
            let id_of = |slot: usize| e.detector.get(slot).map(|(_, h)| h.record.id.clone());
            match result {
                Ok(work) => {
                    self.totals.observations += 1;
                    self.totals.indexed_evaluations += work.indexed;
                    self.totals.unindexed_evaluations += work.unindexed;
                    self.totals.errors += work.errors;
                }
                Err(err) => {
                    let limit = match err.exceeded() {
                        Some(Exceeded::Cancelled) => Limit::Cancelled,
                        _ => Limit::RequestTime,
                    };
                    stop = Some((limit, current.get().and_then(id_of), od_id()));
                }
            }
            for slot in ran_out {
                let Some(id) = id_of(slot) else { continue };
                if self.totals.steps >= run_steps {
                    stop.get_or_insert((Limit::RequestSteps, Some(id), od_id()));
                } else if self.aside.insert(id.clone()) {
                    aside.push((id, od_id()));
                }
            }
            // Slots are only valid under this lock: turn them into ids.
            ids.extend(hits.iter().filter_map(|s| Some((e.detector.get(*s)?.1.record.id.clone(), obs.observed_data.clone()))));
        }
        for (id, observed_data) in aside {
            if let Some((indicator, _)) = self.visible(&id)? {
                self.set_aside.push(SetAside { indicator, observed_data });
            }
        }
        if let Some((limit, id, observed_data)) = stop {
            // Stopped between evaluations: the indicator that spent most.
            let id = id.or_else(|| self.spent.iter().max_by_key(|(_, n)| **n).map(|(id, _)| id.clone()));
            let indicator = match id {
                Some(id) => self.visible(&id)?.map(|(r, _)| r),
                None => None,
            };
            self.stopped = Some(Stopped { limit, indicator, observed_data });
        }
        if self.stopped.is_some() {
            return Ok(Vec::new());
        }
        self.confirm(ids)
    }

    /// The indicator as stored now, if the caller may see it, with the
    /// agreement it reached the caller under.
    fn visible(&self, id: &str) -> store::Result<Option<(Record, Option<StixId>)>> {
        let fresh = match StixId::parse(id) {
            Ok(sid) => self.store.get(&sid, &Versions::LAST)?.pop(),
            Err(_) => None,
        };
        Ok(fresh.and_then(|r| {
            let a = self.reader.allowed(&r)?;
            Some((r, a))
        }))
    }

    /// The release decision again, on each hit's indicator as stored now.
    fn confirm(&mut self, ids: Vec<(String, Arc<Value>)>) -> store::Result<Vec<Hit>> {
        let mut current: HashMap<String, Option<(Record, Option<StixId>)>> = HashMap::new();
        let mut out = Vec::new();
        for (id, od) in ids {
            if !current.contains_key(&id) {
                let released = self.visible(&id)?;
                current.insert(id.clone(), released);
            }
            match &current[&id] {
                Some((r, a)) => out.push(Hit { indicator: r.clone(), agreement: a.clone(), observed_data: od }),
                None => self.totals.withdrawn += 1,
            }
        }
        self.totals.hits += out.len() as u64;
        Ok(out)
    }
}

/// A sighting of a hit's indicator by `partner`, for the indicator's author
/// alone (`recipient_refs`), with the indicator's TLP markings.
pub fn sighting(partner: &StixId, hit: &Hit, now: &Timestamp) -> Value {
    let od = &hit.observed_data;
    let author = hit.indicator.created_by_ref.clone().or_else(|| hit.indicator.posted_by.clone());
    let markings: Vec<String> = serde_json::from_slice::<IndicatorFields>(&hit.indicator.json)
        .map(|f| f.object_marking_refs.into_iter().filter(|m| model::tlp::MARKINGS.iter().any(|t| t.id == m)).collect())
        .unwrap_or_default();
    let mut s = json!({
        "type": "sighting",
        "spec_version": "2.1",
        "id": format!("sighting--{}", uuid::Uuid::new_v4()),
        "created": now.to_string(),
        "modified": now.to_string(),
        "created_by_ref": partner.as_str(),
        "sighting_of_ref": hit.indicator.id,
        "where_sighted_refs": [partner.as_str()],
        "count": od.get("number_observed").and_then(Value::as_u64).unwrap_or(1).min(999_999_999),
    });
    if let Some(id) = od.get("id").and_then(Value::as_str) {
        s["observed_data_refs"] = json!([id]);
    }
    for (from, to) in [("first_observed", "first_seen"), ("last_observed", "last_seen")] {
        if let Some(t) = od.get(from).and_then(Value::as_str).and_then(|t| Timestamp::parse(t).ok()) {
            s[to] = json!(t.to_string());
        }
    }
    if !markings.is_empty() {
        s["object_marking_refs"] = json!(markings);
    }
    if let Some(a) = author.filter(|a| a != partner.as_str()) {
        s["extensions"] = json!({ policy::ext::RELEASE_EXT: {
            "extension_type": "property-extension",
            "recipient_refs": [a],
        }});
    }
    s
}

/// Stores sightings for hits, each shared under the agreement its
/// indicator came by (the author receives it; its `recipient_refs` keep it
/// from the agreement's other parties). Returns each hit's sighting id, in
/// the hits' order (`None` where the observation's times could not make a
/// valid sighting even without them).
pub fn record_sightings(store: &dyn Store, partner: &StixId, hits: &[Hit]) -> Result<Vec<Option<String>>, String> {
    let now = Timestamp::now();
    let mut ids = vec![None; hits.len()];
    let mut by_agreement: BTreeMap<Option<String>, Vec<(usize, model::Object)>> = BTreeMap::new();
    for (i, h) in hits.iter().enumerate() {
        let mut v = sighting(partner, h, &now);
        let object = model::Object::from_value(v.clone()).or_else(|_| {
            // Observation times out of order: a sighting without them.
            if let Some(m) = v.as_object_mut() {
                m.remove("first_seen");
                m.remove("last_seen");
            }
            model::Object::from_value(v)
        });
        if let Ok(o) = object {
            by_agreement.entry(h.agreement.as_ref().map(|a| a.to_string())).or_default().push((i, o));
        }
    }
    for (agreement, batch) in by_agreement {
        let options = PutOptions {
            shares: agreement.into_iter().collect(),
            posted_by: Some(partner.to_string()),
            only_author: true,
            ..PutOptions::default()
        };
        let objects: Vec<model::Object> = batch.iter().map(|(_, o)| o.clone()).collect();
        store.put(&objects, &options).map_err(|e| e.to_string())?;
        for (i, o) in batch {
            ids[i] = Some(o.id().to_string());
        }
    }
    Ok(ids)
}

/// Values reported by more objects than this are noisy by default.
pub const NOISY_DEFAULT: usize = 100;

/// The most objects a correlation lists when noisy values are asked for.
pub const NOISY_CAP: usize = 10_000;

/// Who reported one observable, as far as the caller may see.
#[derive(Debug, Default, serde::Serialize)]
pub struct Correlation {
    /// The observable's kind.
    pub kind: String,
    /// Its normalised value.
    pub value: String,
    /// More objects than the threshold carry it (then `objects` and
    /// `partners` are left out unless asked for).
    pub noisy: bool,
    /// Objects counted (at most threshold + 1 when noisy and not asked for).
    pub object_count: usize,
    /// Per reporting partner: objects, first and last `date_added`.
    pub partners: Vec<Reporter>,
    /// The objects (latest visible versions): id, type, author, date added.
    pub objects: Vec<Value>,
    /// First and last time the node received a version carrying it.
    pub first_seen: Option<String>,
    /// See `first_seen`.
    pub last_seen: Option<String>,
}

/// One partner's reports of an observable.
#[derive(Debug, serde::Serialize)]
pub struct Reporter {
    /// The partner's identity id.
    pub partner: String,
    /// How many of its objects carry it.
    pub objects: usize,
    /// When the first arrived here.
    pub first_seen: String,
    /// When the last arrived here.
    pub last_seen: String,
}

/// Which partners reported `value` (of `kind`), counting only the latest
/// versions `reader` may see. Reads at most `threshold + 1` objects unless
/// `include_noisy` (then at most `cap`). Returns the records read, for the
/// release log.
pub fn correlate(
    store: &dyn Store,
    reader: &Arc<Reader>,
    kind: &'static str,
    raw_value: &str,
    threshold: usize,
    include_noisy: bool,
    cap: usize,
) -> store::Result<(Correlation, Vec<Record>)> {
    let value = pattern::observables::normalise(kind, raw_value.trim()).into_owned();
    let key = ObservableKey::new(kind, &value);
    let limit = if include_noisy { cap } else { threshold + 1 };
    let q = Query {
        observables: vec![key],
        versions: Versions::LAST,
        gate: Some(reader.gate()),
        limit: Some(limit),
        ..Query::default()
    };
    let mut records = store.query(&q)?.records;
    for r in &mut records {
        r.json = Vec::new();
    }
    let noisy = records.len() > threshold;
    let mut c = Correlation { kind: kind.into(), value, noisy, object_count: records.len(), ..Correlation::default() };
    if noisy && !include_noisy {
        return Ok((c, Vec::new()));
    }
    let mut by: BTreeMap<String, (usize, i64, i64)> = BTreeMap::new();
    for r in &records {
        let author = author_of(r).unwrap_or_default().to_owned();
        let e = by.entry(author.clone()).or_insert((0, i64::MAX, i64::MIN));
        e.0 += 1;
        e.1 = e.1.min(r.date_added.0);
        e.2 = e.2.max(r.date_added.0);
        c.objects.push(json!({"id": r.id, "type": r.object_type, "author": author, "date_added": r.date_added.to_string()}));
    }
    let ts = |d: i64| store::DateAdded(d).to_string();
    c.first_seen = records.iter().map(|r| r.date_added.0).min().map(ts);
    c.last_seen = records.iter().map(|r| r.date_added.0).max().map(ts);
    c.partners = by
        .into_iter()
        .map(|(partner, (n, f, l))| Reporter { partner, objects: n, first_seen: ts(f), last_seen: ts(l) })
        .collect();
    Ok((c, records))
}

/// Who reported a stored version: its `created_by_ref`, else the partner
/// that posted it here (an object without `created_by_ref` is its poster's).
pub fn author_of(r: &store::Record) -> Option<&str> {
    r.created_by_ref.as_deref().or(r.posted_by.as_deref())
}

/// How many partners other than `author` ([`author_of`] the object) reported one of the observables
/// whose correlations these are (noisy ones left out). The correlations are
/// the caller's ([`correlate`]), so this counts only what it may see.
pub fn also_reported_by(author: Option<&str>, correlations: &[Correlation]) -> usize {
    let partners: BTreeSet<&str> = correlations
        .iter()
        .filter(|c| !c.noisy)
        .flat_map(|c| c.partners.iter().map(|p| p.partner.as_str()))
        .filter(|p| Some(*p) != author)
        .collect();
    partners.len()
}

/// What one detection request found for a caller ([`request`]).
pub struct Detection {
    /// The hits, each on an indicator the caller may see as stored now.
    pub hits: Vec<Hit>,
    /// What the run did.
    pub totals: Totals,
    /// Each hit's sighting id, in the hits' order, when sightings were asked.
    pub sightings: Vec<Option<String>>,
    /// The indicators hit, once each, as released.
    pub indicators: Vec<Record>,
    /// Indicators set aside for running out of their steps (released: the
    /// answer names them); the answer is incomplete for them.
    pub set_aside: Vec<SetAside>,
}

/// How a detection request ended (one per request: its size does not matter).
#[allow(clippy::large_enum_variant)]
pub enum Ran {
    /// It ran to the end.
    Done(Detection),
    /// It went over its budget (the indicator being matched then released).
    Stopped {
        /// Where and why it stopped.
        stop: Stopped,
        /// What it did until then.
        totals: Totals,
        /// Indicators set aside until then.
        set_aside: Vec<SetAside>,
    },
}

/// The detection of the REST API and the pages: matches `ready` against
/// the indicators `reader` may see (its gate before and after matching),
/// creates a sighting per hit for the indicator's author when `sight` (the
/// caller's role is the transport's to check), and releases through the one
/// read path on `channel` the indicators hit and those set aside (or, when
/// the request went over `budget`, the indicator being matched). Blocking.
#[allow(clippy::too_many_arguments)]
pub fn request(
    node: &crate::Node,
    indicators: &Indicators,
    reader: &Arc<Reader>,
    ready: &[Ready],
    unindexed: bool,
    sight: bool,
    budget: Budget,
    channel: &str,
) -> crate::Result<Ran> {
    indicators.refresh(&*node.store)?;
    let mut session = Session::new(indicators, &*node.store, reader.clone());
    session.unindexed = unindexed;
    session.budget = budget;
    let hits = session.run(ready)?;
    let out = crate::read::Out::new(&node.log, reader, channel);
    if let Some(stop) = session.stopped.take() {
        if let Some(r) = &stop.indicator {
            out.records(vec![r.clone()])?;
        }
        return Ok(Ran::Stopped { stop, totals: session.totals, set_aside: session.set_aside });
    }
    let sightings = if sight { record_sightings(&*node.store, &reader.partner, &hits).map_err(crate::Error::Internal)? } else { Vec::new() };
    let mut released: BTreeMap<String, Record> = BTreeMap::new();
    for h in &hits {
        released.entry(h.indicator.id.clone()).or_insert_with(|| h.indicator.clone());
    }
    let indicators = out.records(released.into_values().collect())?.into_inner();
    out.records(session.set_aside.iter().map(|a| a.indicator.clone()).collect())?;
    Ok(Ran::Done(Detection { hits, totals: session.totals, sightings, indicators, set_aside: session.set_aside }))
}

/// Reads observations from a body: one JSON document (a bundle, an array,
/// one object, or `{"observations": [...], "sight": bool}`) or JSON Lines
/// (each line an object or a bundle). Malformed lines are reported by number
/// and skipped.
pub fn read_body(body: &[u8], feed: &mut Feed, ready: &mut Vec<Ready>, sight: &mut Option<bool>) -> Vec<String> {
    let mut errors = Vec::new();
    if let Ok(doc) = serde_json::from_slice::<Value>(body) {
        match doc {
            Value::Object(mut m) if m.contains_key("observations") => {
                if let Some(s) = m.get("sight").and_then(Value::as_bool) {
                    sight.get_or_insert(s);
                }
                match m.remove("observations") {
                    Some(Value::Array(items)) => items.into_iter().for_each(|d| feed.push_document(d, ready)),
                    _ => errors.push("`observations` must be a list".into()),
                }
            }
            doc => feed.push_document(doc, ready),
        }
    } else {
        for (n, line) in body.split(|b| *b == b'\n').enumerate() {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match serde_json::from_slice::<Value>(line) {
                Ok(doc) => feed.push_document(doc, ready),
                Err(e) => errors.push(format!("line {}: {e}", n + 1)),
            }
        }
    }
    feed.finish(ready);
    errors
}

/// Whether the caller's role may create sightings (the web pages follow it).
pub fn may_sight(caller: &crate::Caller) -> bool {
    caller.can(store::Role::Analyst)
}

/// A false positive `partner` reports on an object it received (`target`,
/// its latest visible version): an opinion `disagree` naming it, with the
/// analyst's explanation, for the object's author alone (`recipient_refs`),
/// with its TLP markings, shared under `agreement` (the one the object
/// came by), as a sighting is (docs/detection.md). The scorecard counts it
/// against the author's accuracy (docs/assessment.md). Returns its id.
pub fn report_false_positive(store: &dyn Store, partner: &StixId, target: &Record, agreement: &str, explanation: &str) -> Result<String, String> {
    let author = author_of(target).ok_or("the object names no author to tell")?.to_owned();
    if author == partner.as_str() {
        return Err("your partner authored it: revoke or correct it instead".into());
    }
    let explanation = explanation.trim();
    if explanation.is_empty() || explanation.chars().count() > 4_000 {
        return Err("explanation: say why it is a false positive (at most 4,000 characters)".into());
    }
    let markings: Vec<String> = serde_json::from_slice::<IndicatorFields>(&target.json)
        .map(|f| f.object_marking_refs.into_iter().filter(|m| model::tlp::MARKINGS.iter().any(|t| t.id == m)).collect())
        .unwrap_or_default();
    let now = Timestamp::now().to_string();
    let mut o = json!({
        "type": "opinion", "spec_version": "2.1", "id": format!("opinion--{}", uuid::Uuid::new_v4()),
        "created": now, "modified": now, "created_by_ref": partner.as_str(),
        "opinion": "disagree", "explanation": format!("False positive: {explanation}"), "object_refs": [target.id],
        "labels": ["false-positive"],
        "extensions": { policy::ext::RELEASE_EXT: { "extension_type": "property-extension", "recipient_refs": [author] } },
    });
    if !markings.is_empty() {
        o["object_marking_refs"] = json!(markings);
    }
    let object = model::Object::from_value(o).map_err(|e| e.to_string())?;
    let options = PutOptions { shares: vec![agreement.to_owned()], posted_by: Some(partner.to_string()), only_author: true, ..PutOptions::default() };
    store.put(std::slice::from_ref(&object), &options).map_err(|e| e.to_string())?;
    Ok(object.id().to_string())
}
