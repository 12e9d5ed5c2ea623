//! Matching a parsed pattern against observed data, with the semantics of the
//! STIX 2.1 specification as implemented by the OASIS `stix2-matcher`.
//!
//! Input is a list of STIX 2.1 bundles (observed-data objects with
//! `object_refs`, SCOs alongside; all bundles are pooled), or for STIX 2.0 a
//! list of observed-data objects with embedded `objects` maps.
//!
//! Evaluation is bounded: each observation contributes at most as many
//! instances (`number_observed`) as the pattern can bind, and never more
//! than [`MAX_BINDINGS`]; each combined observation expression keeps at
//! most [`MAX_BINDINGS`] candidate bindings (bracketed ones and ORs
//! [`MAX_LEAF_BINDINGS`]); and every match spends from a [`Budget`] of
//! steps (an instance expanded, an object scanned, a pair of candidates
//! joined, a REPEATS choice), [`MAX_STEPS`] unless the caller gives less,
//! with an optional deadline and cancel flag checked every [`CHECK_EVERY`]
//! steps: running out is a [`crate::ErrorKind::Budget`] error. Regexes use
//! the linear-time `regex` crate.

mod bindings;
mod compare;
mod net;
mod path;
#[cfg(test)]
mod tests;

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use serde_json::Value;

use crate::ast::{CompExpr, ObsExpr, Pattern};
use crate::error::{Error, Exceeded, Result};
use crate::timestamp::{self, Micros};

pub use net::ip_in_subnet;

/// Checks that this engine can run every `MATCHES` and `LIKE` of `p`: the
/// strict validator accepts what Python's `re` accepts, back-references and
/// look-around included, which the linear-time `regex` crate cannot run.
/// Objects are checked with it at ingest, so a stored indicator never fails
/// in detection for its regex.
pub fn check_runnable(p: &Pattern) -> Result<()> {
    fn comp(c: &CompExpr) -> Result<()> {
        match c {
            CompExpr::And(v) | CompExpr::Or(v) => v.iter().try_for_each(comp),
            CompExpr::Exists(_) => Ok(()),
            CompExpr::Test(t) if matches!(t.op, crate::ast::Op::Matches | crate::ast::Op::Like) => {
                compare::compile(t).map(drop).map_err(|e| {
                    // The regex crate's message spans lines; keep its last (the reason).
                    let text = e.to_string();
                    let why = text.lines().rev().find_map(|l| l.trim().strip_prefix("error: ")).unwrap_or(text.trim());
                    let why = why.split(" (at byte").next().unwrap_or(why).to_owned();
                    Error::new(
                        crate::ErrorKind::InvalidLiteral(format!("{} {}: this node cannot run it: {why}", t.op.as_str(), t.value)),
                        crate::Span::default(),
                    )
                })
            }
            CompExpr::Test(_) => Ok(()),
        }
    }
    fn obs(e: &ObsExpr) -> Result<()> {
        match e {
            ObsExpr::Simple(c) => comp(c),
            ObsExpr::Group(i) | ObsExpr::Qualified(i, _) => obs(i),
            ObsExpr::And(v) | ObsExpr::Or(v) | ObsExpr::FollowedBy(v) => v.iter().try_for_each(obs),
        }
    }
    obs(&p.root)
}
pub(crate) use net::{cidr_of, net_of};

/// Most candidate bindings kept per observation expression.
pub const MAX_BINDINGS: usize = 20_000;
/// Most candidate bindings kept for a bracketed expression or an OR.
pub const MAX_LEAF_BINDINGS: usize = 1_000_000;
/// Most steps spent on one match unless its [`Budget`] says fewer.
pub const MAX_STEPS: u64 = 5_000_000;
/// How often, in steps, a match looks at its deadline and cancel flag.
pub const CHECK_EVERY: u64 = 4096;

/// What one match may spend: steps, time, and a flag that stops it from
/// outside (another thread sets it when the answer is no longer wanted).
#[derive(Debug, Clone, Copy)]
pub struct Budget<'a> {
    /// Most steps the match may spend.
    pub steps: u64,
    /// Stop once this instant has passed.
    pub deadline: Option<Instant>,
    /// Stop once this is set.
    pub cancel: Option<&'a AtomicBool>,
}

impl Default for Budget<'_> {
    fn default() -> Self {
        Budget { steps: MAX_STEPS, deadline: None, cancel: None }
    }
}

impl Budget<'_> {
    /// The deadline or the cancel flag, if either says stop now.
    pub fn check(&self) -> Result<()> {
        if self.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            return Err(Error::budget(Exceeded::Cancelled));
        }
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(Error::budget(Exceeded::Deadline));
        }
        Ok(())
    }
}

/// Steps spent so far against a [`Budget`].
pub(crate) struct Meter<'a> {
    budget: Budget<'a>,
    spent: u64,
    next_check: u64,
}

impl<'a> Meter<'a> {
    fn new(budget: Budget<'a>) -> Self {
        Meter { budget, spent: 0, next_check: CHECK_EVERY }
    }

    /// Spends `n` steps: an error once the budget is gone.
    pub(crate) fn step(&mut self, n: u64) -> Result<()> {
        self.spent = self.spent.saturating_add(n);
        if self.spent > self.budget.steps {
            return Err(Error::budget(Exceeded::Steps(self.budget.steps)));
        }
        if self.spent >= self.next_check {
            self.next_check = self.spent.saturating_add(CHECK_EVERY);
            self.budget.check()?;
        }
        Ok(())
    }
}

/// Which STIX data model the observed data follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StixVersion {
    /// STIX 2.0: observed-data with embedded `objects` maps.
    V20,
    /// STIX 2.1: bundles with observed-data `object_refs` and separate SCOs.
    #[default]
    V21,
}

/// Non-SCO object types of STIX 2.1, which patterns never match.
const SDO_TYPES_V21: &[&str] = &[
    "attack-pattern",
    "bundle",
    "campaign",
    "course-of-action",
    "extension-definition",
    "grouping",
    "identity",
    "incident",
    "indicator",
    "infrastructure",
    "intrusion-set",
    "language-content",
    "location",
    "malware",
    "malware-analysis",
    "marking-definition",
    "note",
    "observed-data",
    "opinion",
    "relationship",
    "report",
    "threat-actor",
    "tool",
    "sighting",
    "vulnerability",
];

/// One observation: its time window, count, root objects and reference table.
pub struct Observation<'a> {
    first: Micros,
    last: Micros,
    number_observed: u64,
    /// Root objects in order, each with its `type` (2.1: the observed-data
    /// itself and its SCOs).
    roots: Vec<(Option<&'a str>, &'a Value)>,
    /// Reference resolution table (2.1: by `id`; 2.0: by key of `objects`),
    /// sorted by key; objects under the same key keep their order.
    table: Vec<(&'a str, &'a Value)>,
}

impl<'a> Observation<'a> {
    fn resolve(&self, id: &str) -> Vec<&'a Value> {
        let from = self.table.partition_point(|(k, _)| *k < id);
        self.table[from..]
            .iter()
            .take_while(|(k, _)| *k == id)
            .map(|(_, v)| *v)
            .collect()
    }
}

fn type_of(o: &Value) -> Option<&str> {
    field(o, "type").and_then(Value::as_str)
}

fn field<'a>(o: &'a Value, k: &str) -> Option<&'a Value> {
    o.as_object().and_then(|m| m.get(k))
}

fn header(sdo: &Value, version: StixVersion) -> Result<(Micros, Micros, u64)> {
    let (Some(n), Some(f), Some(l)) = (
        field(sdo, "number_observed"),
        field(sdo, "first_observed"),
        field(sdo, "last_observed"),
    ) else {
        let v = if version == StixVersion::V21 {
            "v2.1 observed-data object"
        } else {
            "v2.0 SDO"
        };
        return Err(Error::data(format!(
            "STIX {v} must have all the following keys: number_observed, first_observed, last_observed."
        )));
    };
    let n = match n.as_i64() {
        Some(n) if n >= 1 => n as u64,
        Some(n) => {
            return Err(Error::data(format!(
                "SDO with invalid number_observed (must be >= 1): {n}"
            )))
        }
        None => match n.as_u64() {
            Some(n) => n,
            None => return Err(Error::data(format!("invalid number_observed: {n}"))),
        },
    };
    let ts = |v: &Value| -> Result<Micros> {
        v.as_str()
            .and_then(timestamp::parse)
            .ok_or_else(|| Error::data(format!("invalid timestamp: {v}")))
    };
    Ok((ts(f)?, ts(l)?, n))
}

fn id_of(o: &Value) -> Result<&str> {
    field(o, "id")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::data("object without a string 'id'"))
}

/// Up to this many roots, a repeated id is found by a linear scan.
const LINEAR_DEDUP: usize = 16;

fn load_v21(bundles: &[Value]) -> Result<Vec<Observation<'_>>> {
    let mut lists: Vec<&[Value]> = Vec::with_capacity(bundles.len());
    for b in bundles {
        match field(b, "objects") {
            Some(Value::Array(a)) => lists.push(a),
            Some(_) => return Err(Error::data("bundle 'objects' must be a list")),
            None => {}
        }
    }
    if lists.is_empty() {
        return Err(Error::data(
            "STIX v2.1 bundle object must have 'objects' key",
        ));
    }
    let mut observed = Vec::new();
    // Every other object as (id, type, object), sorted by id, stably: of
    // equal ids the last one wins.
    let mut scos: Vec<(&str, &str, &Value)> = Vec::new();
    for o in lists.iter().flat_map(|l| l.iter()) {
        let ty = type_of(o).ok_or_else(|| Error::data("object without 'type'"))?;
        if ty == "observed-data" {
            observed.push(o);
        } else {
            scos.push((id_of(o)?, ty, o));
        }
    }
    scos.sort_by(|a, b| a.0.cmp(b.0));
    let sco = |id: &str| {
        let end = scos.partition_point(|(k, ..)| *k <= id);
        scos[..end].last().filter(|(k, ..)| *k == id).copied()
    };
    let mut out = Vec::with_capacity(observed.len());
    for od in observed {
        let refs = field(od, "object_refs").ok_or_else(|| {
            Error::data("STIX v2.1 observed-data object must have 'object_refs' key")
        })?;
        let (first, last, number_observed) = header(od, StixVersion::V21)?;
        let refs = refs.as_array().map(Vec::as_slice).unwrap_or_default();
        let mut objs: Vec<(&str, &str, &Value)> = Vec::with_capacity(refs.len() + 1);
        objs.push((id_of(od)?, "observed-data", od));
        objs.extend(refs.iter().filter_map(|r| r.as_str().and_then(sco)));
        // A repeated id keeps its first place and takes its last object.
        let mut roots: Vec<(Option<&str>, &Value)> = Vec::with_capacity(objs.len());
        let mut ids: Vec<&str> = Vec::with_capacity(objs.len());
        let mut index: Option<HashMap<&str, usize>> =
            (objs.len() > LINEAR_DEDUP).then(HashMap::new);
        for &(id, ty, o) in &objs {
            let seen = match &index {
                Some(m) => m.get(id).copied(),
                None => ids.iter().position(|k| *k == id),
            };
            match seen {
                Some(p) => roots[p] = (Some(ty), o),
                None => {
                    if let Some(m) = &mut index {
                        m.insert(id, roots.len());
                    }
                    ids.push(id);
                    roots.push((Some(ty), o));
                }
            }
        }
        let mut table: Vec<(&str, &Value)> = objs.iter().map(|&(id, _, o)| (id, o)).collect();
        table.sort_by(|a, b| a.0.cmp(b.0));
        out.push(Observation {
            first,
            last,
            number_observed,
            roots,
            table,
        });
    }
    Ok(out)
}

fn load_v20(sdos: &[Value]) -> Result<Vec<Observation<'_>>> {
    let mut out = Vec::new();
    for sdo in sdos {
        let (first, last, number_observed) = header(sdo, StixVersion::V20)?;
        let mut roots = Vec::new();
        let mut table = Vec::new();
        if let Some(Value::Object(m)) = field(sdo, "objects") {
            for (k, v) in m {
                roots.push((type_of(v), v));
                table.push((k.as_str(), v));
            }
        }
        table.sort_by(|a, b| a.0.cmp(b.0));
        out.push(Observation {
            first,
            last,
            number_observed,
            roots,
            table,
        });
    }
    Ok(out)
}

/// Root objects of each observation that satisfy a comparison expression:
/// observation index -> set of root indices.
type Hits = BTreeMap<usize, BTreeSet<usize>>;

struct Ctx<'a, 'o> {
    obs: &'o [Observation<'a>],
    version: StixVersion,
    /// Root objects a path was evaluated on (charged as steps).
    scanned: Cell<u64>,
}

impl Ctx<'_, '_> {
    fn comp(&self, c: &CompExpr) -> Result<Hits> {
        match c {
            CompExpr::And(items) => {
                let mut acc: Option<Hits> = None;
                for it in items {
                    let h = self.comp(it)?;
                    acc = Some(match acc {
                        None => h,
                        Some(a) => a
                            .into_iter()
                            .filter_map(|(k, s)| {
                                let i: BTreeSet<usize> =
                                    h.get(&k)?.intersection(&s).copied().collect();
                                (!i.is_empty()).then_some((k, i))
                            })
                            .collect(),
                    });
                }
                Ok(acc.unwrap_or_default())
            }
            CompExpr::Or(items) => {
                let mut acc = Hits::new();
                for it in items {
                    for (k, s) in self.comp(it)? {
                        acc.entry(k).or_default().extend(s);
                    }
                }
                Ok(acc)
            }
            CompExpr::Test(t) => {
                let compiled = compare::compile(t)?;
                self.scan(&t.path, |vals| {
                    for v in vals {
                        if compiled.eval(v)? {
                            return Ok(true);
                        }
                    }
                    Ok(false)
                })
            }
            CompExpr::Exists(p) => self.scan(p, |vals| Ok(!vals.is_empty())),
        }
    }

    /// Runs `pred` on the values a path reaches from each root of the path's type.
    fn scan(
        &self,
        p: &crate::ast::ObjectPath,
        pred: impl Fn(&[path::Val<'_>]) -> Result<bool>,
    ) -> Result<Hits> {
        let mut hits = Hits::new();
        if self.version == StixVersion::V21 && SDO_TYPES_V21.contains(&p.object_type.as_str()) {
            return Ok(hits);
        }
        for (oi, obs) in self.obs.iter().enumerate() {
            for (ri, &(ty, root)) in obs.roots.iter().enumerate() {
                if ty != Some(p.object_type.as_str()) {
                    continue;
                }
                self.scanned.set(self.scanned.get() + 1);
                let vals = path::eval_path(obs, root, &p.steps)?;
                if !vals.is_empty() && pred(&vals)? {
                    hits.entry(oi).or_default().insert(ri);
                }
            }
        }
        Ok(hits)
    }
}

/// Evaluates every bracketed comparison expression, in pattern order.
fn leaf_hits(ctx: &Ctx<'_, '_>, e: &ObsExpr, out: &mut Vec<Vec<usize>>) -> Result<()> {
    match e {
        ObsExpr::Simple(c) => {
            out.push(ctx.comp(c)?.into_keys().collect());
            Ok(())
        }
        ObsExpr::Group(inner) | ObsExpr::Qualified(inner, _) => leaf_hits(ctx, inner, out),
        ObsExpr::And(items) | ObsExpr::Or(items) | ObsExpr::FollowedBy(items) => {
            items.iter().try_for_each(|i| leaf_hits(ctx, i, out))
        }
    }
}

/// Matches `pattern` against observed data (a list of bundles for 2.1, of
/// observed-data objects for 2.0). `Ok(true)` if some binding of observations
/// satisfies the whole pattern.
pub fn match_pattern(pattern: &Pattern, observed: &[Value], version: StixVersion) -> Result<bool> {
    let obs = match version {
        StixVersion::V21 => load_v21(observed)?,
        StixVersion::V20 => load_v20(observed)?,
    };
    evaluate(pattern, &obs, version, &mut Meter::new(Budget::default()))
}

/// Evaluates the bracketed expressions, then the observation expressions.
fn evaluate(pattern: &Pattern, obs: &[Observation<'_>], version: StixVersion, meter: &mut Meter<'_>) -> Result<bool> {
    let ctx = Ctx { obs, version, scanned: Cell::new(0) };
    let mut leaves = Vec::new();
    leaf_hits(&ctx, &pattern.root, &mut leaves)?;
    meter.step(ctx.scanned.get())?;
    bindings::check_qualifiers(&pattern.root)?;
    bindings::matches(&pattern.root, obs, &leaves, meter)
}

/// Matches `pattern` against one STIX 2.1 observation: an observed-data
/// object and the objects it may reference (those its `object_refs` name
/// are used, the rest ignored), without building a bundle.
pub fn match_observation(pattern: &Pattern, observed_data: &Value, objects: &[&Value]) -> Result<bool> {
    match_observation_within(pattern, observed_data, objects, Budget::default()).0
}

/// [`match_observation`] within a budget; also returns the steps spent
/// (the whole budget's steps when they ran out).
pub fn match_observation_within(
    pattern: &Pattern,
    observed_data: &Value,
    objects: &[&Value],
    budget: Budget<'_>,
) -> (Result<bool>, u64) {
    let mut meter = Meter::new(budget);
    let r = observation_with(pattern, observed_data, objects, &mut meter);
    (r, meter.spent.min(meter.budget.steps))
}

fn observation_with(pattern: &Pattern, observed_data: &Value, objects: &[&Value], meter: &mut Meter<'_>) -> Result<bool> {
    let refs = field(observed_data, "object_refs").ok_or_else(|| {
        Error::data("STIX v2.1 observed-data object must have 'object_refs' key")
    })?;
    let (first, last, number_observed) = header(observed_data, StixVersion::V21)?;
    let refs = refs.as_array().map(Vec::as_slice).unwrap_or_default();
    let mut table: Vec<(&str, &Value)> = vec![(id_of(observed_data)?, observed_data)];
    let mut roots = vec![(type_of(observed_data), observed_data)];
    // Beyond a few references, lookups by id go through maps (the first
    // object of an id wins), so many references cost linear time.
    let large = refs.len() > LINEAR_DEDUP;
    let by_id: HashMap<&str, &Value> = if large {
        objects.iter().rev().filter_map(|o| Some((field(o, "id")?.as_str()?, *o))).collect()
    } else {
        HashMap::new()
    };
    let mut taken: HashMap<&str, ()> = HashMap::new();
    if large {
        taken.insert(table[0].0, ());
    }
    for r in refs {
        let Some(id) = r.as_str() else { continue };
        let found = if large {
            if taken.insert(id, ()).is_some() {
                continue;
            }
            by_id.get(id).copied()
        } else {
            if table.iter().any(|(k, _)| *k == id) {
                continue;
            }
            objects.iter().find(|o| field(o, "id").and_then(Value::as_str) == Some(id)).copied()
        };
        if let Some(o) = found {
            table.push((id, o));
            roots.push((type_of(o), o));
        }
    }
    table.sort_by(|a, b| a.0.cmp(b.0));
    let obs = [Observation { first, last, number_observed, roots, table }];
    evaluate(pattern, &obs, StixVersion::V21, meter)
}

/// Parses `src` and matches it (see [`match_pattern`]).
pub fn match_str(src: &str, observed: &[Value], version: StixVersion) -> Result<bool> {
    let p = crate::parse(src)?;
    match_pattern(&p, observed, version)
}
