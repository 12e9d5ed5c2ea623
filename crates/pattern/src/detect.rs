//! Detection: which of many patterns match one observation. Candidates are
//! pre-selected by the observables the observation holds (each pattern's
//! [`cover`]); patterns without a cover sit in a separate list, by the
//! object types they need, so they cost nothing for observations that hold
//! none of those types. The matcher confirms every candidate, each
//! evaluation within the steps its caller allows ([`Detector::detect_within`]).

use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher;

use foldhash::fast::RandomState;

use serde_json::Value;

use crate::ast::Pattern;
use crate::error::{Error, Exceeded};
use crate::matcher::{match_observation_within, Budget};
use crate::observables::{cover, mask, net_probe, probes, required_types, Key};

/// The exact-key map is keyed by hashes already: it need not hash again.
#[derive(Default, Clone, Copy)]
struct Identity;

impl BuildHasher for Identity {
    type Hasher = IdentityHasher;
    fn build_hasher(&self) -> IdentityHasher {
        IdentityHasher(0)
    }
}

#[derive(Default)]
struct IdentityHasher(u64);

impl std::hash::Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// One observation: an observed-data object and the objects it references.
#[derive(Debug, Clone, Copy)]
pub struct Observation<'a> {
    /// The observed-data object.
    pub observed_data: &'a Value,
    /// The objects its `object_refs` name that were found.
    pub objects: &'a [&'a Value],
}

struct Entry<T> {
    pattern: Pattern,
    handle: T,
    live: bool,
    /// Pre-selected by value (it has a cover), or in the unindexed list.
    indexed: bool,
}

/// Patterns to detect, indexed for pre-selection. `T` is the caller's handle
/// of each pattern (an indicator's id and what its release needs).
pub struct Detector<T> {
    entries: Vec<Entry<T>>,
    hasher: RandomState,
    exact: HashMap<u64, Vec<u32>, Identity>,
    nets: HashMap<(u128, u32, u32), Vec<u32>>,
    /// The (prefix, width) pairs present in `nets`.
    net_lengths: Vec<(u32, u32)>,
    unindexed: HashMap<String, Vec<u32>>,
    dead: usize,
    indexed: usize,
}

impl<T> Default for Detector<T> {
    fn default() -> Self {
        Detector {
            entries: Vec::new(),
            hasher: RandomState::default(),
            exact: HashMap::default(),
            nets: HashMap::new(),
            net_lengths: Vec::new(),
            unindexed: HashMap::new(),
            dead: 0,
            indexed: 0,
        }
    }
}

/// What one [`Detector::detect`] call did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Work {
    /// Candidates from the observable index that the caller allowed.
    pub indexed: u64,
    /// Patterns without a cover evaluated.
    pub unindexed: u64,
    /// Evaluations that ended in an error (a value the pattern cannot
    /// compare, a resource limit): counted, not matches.
    pub errors: u64,
}

impl<T> Detector<T> {
    /// An empty detector.
    pub fn new() -> Self {
        Self::default()
    }

    /// Live patterns.
    pub fn len(&self) -> usize {
        self.entries.len() - self.dead
    }

    /// Whether no pattern is live.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Live patterns with a cover (pre-selected by value).
    pub fn indexed(&self) -> usize {
        self.indexed
    }

    /// Slots removed but not yet reclaimed (see [`Detector::compact`]).
    pub fn dead(&self) -> usize {
        self.dead
    }

    fn hash(&self, kind: &str, value: &str) -> u64 {
        self.hasher.hash_one((kind, value))
    }

    /// Adds a pattern; returns its slot.
    pub fn insert(&mut self, pattern: Pattern, handle: T) -> usize {
        let slot = self.entries.len() as u32;
        let keys = cover(&pattern);
        let indexed = keys.is_some();
        match keys {
            Some(keys) => {
                self.indexed += 1;
                for k in keys {
                    match k {
                        Key::Exact(o) => {
                            let h = self.hash(o.kind, &o.value);
                            self.exact.entry(h).or_default().push(slot);
                        }
                        Key::Net { bits, prefix, width } => {
                            if !self.net_lengths.contains(&(prefix, width)) {
                                self.net_lengths.push((prefix, width));
                            }
                            self.nets.entry((bits, prefix, width)).or_default().push(slot);
                        }
                    }
                }
            }
            None => {
                for t in required_types(&pattern) {
                    self.unindexed.entry(t).or_default().push(slot);
                }
            }
        }
        self.entries.push(Entry { pattern, handle, live: true, indexed });
        slot as usize
    }

    /// Removes the pattern in `slot`; its handle is returned once.
    pub fn remove(&mut self, slot: usize) -> Option<&T> {
        let e = self.entries.get_mut(slot)?;
        if !e.live {
            return None;
        }
        e.live = false;
        self.dead += 1;
        if e.indexed {
            self.indexed -= 1;
        }
        Some(&self.entries[slot].handle)
    }

    /// The pattern and handle in `slot`.
    pub fn get(&self, slot: usize) -> Option<(&Pattern, &T)> {
        self.entries.get(slot).filter(|e| e.live).map(|e| (&e.pattern, &e.handle))
    }

    /// Every live slot, pattern and handle.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &Pattern, &T)> {
        self.entries.iter().enumerate().filter(|(_, e)| e.live).map(|(i, e)| (i, &e.pattern, &e.handle))
    }

    /// Rebuilds the index without removed slots; slots are renumbered, in
    /// order, so callers holding slots must rebuild their own maps.
    pub fn compact(self) -> Detector<T> {
        let mut out = Detector::new();
        for e in self.entries.into_iter().filter(|e| e.live) {
            out.insert(e.pattern, e.handle);
        }
        out
    }

    /// Indexed candidates for an observation's objects, deduplicated.
    pub fn candidates(&self, objects: &[&Value], out: &mut Vec<usize>) {
        for o in objects {
            let Some(m) = o.as_object() else { continue };
            probes(m, |kind, value| {
                if let Some(slots) = self.exact.get(&self.hash(kind, value)) {
                    out.extend(slots.iter().map(|s| *s as usize));
                }
            });
            if self.net_lengths.is_empty() {
                continue;
            }
            if let Some((bits, prefix, width)) = net_probe(m) {
                for &(p, w) in &self.net_lengths {
                    if w == width && p <= prefix {
                        if let Some(slots) = self.nets.get(&(mask(bits, p, w), p, w)) {
                            out.extend(slots.iter().map(|s| *s as usize));
                        }
                    }
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out.retain(|s| self.entries[*s].live);
    }

    /// Patterns without a cover that need one of the types the objects have.
    pub fn unindexed_for(&self, objects: &[&Value], out: &mut Vec<usize>) {
        if self.unindexed.is_empty() {
            return;
        }
        let mut types: HashSet<&str> = HashSet::new();
        for o in objects {
            if let Some(t) = o.get("type").and_then(Value::as_str) {
                types.insert(t);
            }
        }
        for t in types {
            if let Some(slots) = self.unindexed.get(t) {
                out.extend(slots.iter().map(|s| *s as usize));
            }
        }
        out.sort_unstable();
        out.dedup();
        out.retain(|s| self.entries[*s].live);
    }

    /// The slots whose patterns match the observation, among those `allow`
    /// accepts (the caller's release decision), in slot order. With
    /// `unindexed` false only pre-selected candidates are evaluated.
    pub fn detect(
        &self,
        obs: Observation<'_>,
        unindexed: bool,
        mut allow: impl FnMut(&T) -> bool,
        hits: &mut Vec<usize>,
    ) -> Work {
        let budget = Budget::default();
        let steps = budget.steps;
        // Without a deadline or cancel flag, nothing stops the whole run.
        self.detect_within(obs, unindexed, budget, |_, h| allow(h).then_some(steps), |_, _, _| {}, hits)
            .unwrap_or_default()
    }

    /// [`Detector::detect`] within a budget. `allow` gives each candidate
    /// the most steps its evaluation may spend (`None`: not evaluated);
    /// `spent` hears, for each evaluation, its slot, the steps it spent and
    /// whether it ran out of them (then it is not a hit, and is counted in
    /// [`Work::errors`]). The deadline and cancel flag of `budget` stop the
    /// whole call with their [`crate::ErrorKind::Budget`] error; its steps
    /// are not used.
    pub fn detect_within(
        &self,
        obs: Observation<'_>,
        unindexed: bool,
        budget: Budget<'_>,
        mut allow: impl FnMut(usize, &T) -> Option<u64>,
        mut spent: impl FnMut(usize, u64, bool),
        hits: &mut Vec<usize>,
    ) -> Result<Work, Error> {
        budget.check()?;
        let mut work = Work::default();
        let mut roots: Vec<&Value> = Vec::with_capacity(obs.objects.len() + 1);
        roots.push(obs.observed_data);
        roots.extend(obs.objects.iter().copied());
        let mut slots = Vec::new();
        self.candidates(&roots, &mut slots);
        let indexed = slots.len();
        if unindexed {
            self.unindexed_for(&roots, &mut slots);
        }
        for (i, slot) in slots.into_iter().enumerate() {
            let e = &self.entries[slot];
            let Some(steps) = allow(slot, &e.handle) else {
                continue;
            };
            if i < indexed {
                work.indexed += 1;
            } else {
                work.unindexed += 1;
            }
            let within = Budget { steps, ..budget };
            let (r, n) = match_observation_within(&e.pattern, obs.observed_data, obs.objects, within);
            match r {
                Ok(true) => hits.push(slot),
                Ok(false) => {}
                Err(e) => match e.exceeded() {
                    Some(Exceeded::Steps(_)) => {
                        work.errors += 1;
                        spent(slot, n, true);
                        continue;
                    }
                    Some(_) => return Err(e),
                    None => work.errors += 1,
                },
            }
            spent(slot, n, false);
        }
        hits.sort_unstable();
        hits.dedup();
        Ok(work)
    }
}

/// Splits a list of objects (a bundle's) into observations: each
/// observed-data with the objects of the list that its `object_refs` name.
pub fn observations(objects: &[Value]) -> Vec<(&Value, Vec<&Value>)> {
    let by_id: HashMap<&str, &Value> =
        objects.iter().filter_map(|o| Some((o.get("id")?.as_str()?, o))).collect();
    objects
        .iter()
        .filter(|o| o.get("type").and_then(Value::as_str) == Some("observed-data"))
        .map(|od| {
            let refs = od
                .get("object_refs")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).filter_map(|id| by_id.get(id).copied()).collect())
                .unwrap_or_default();
            (od, refs)
        })
        .collect()
}
