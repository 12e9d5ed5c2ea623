//! Observation-expression evaluation: sets of *bindings* (observation
//! instances bound to the bracketed expressions) combined by AND, OR,
//! FOLLOWEDBY, REPEATS, WITHIN and START/STOP.
//!
//! A binding is a sorted set of instance ids (observation index, instance
//! number below `number_observed`). WITHIN and START/STOP constraints are
//! monotone (a subset of a satisfying binding satisfies them), so the
//! constraints of enclosing qualifiers are pushed down and prune candidates
//! early; each combined expression keeps at most [`super::MAX_BINDINGS`]
//! candidates (a bracketed one, or an OR, [`super::MAX_LEAF_BINDINGS`]),
//! and every loop spends steps from the match's [`super::Budget`].

use std::collections::HashSet;

use super::{Meter, Observation, MAX_BINDINGS, MAX_LEAF_BINDINGS};
use crate::ast::{ObsExpr, Qualifier};
use crate::error::{Error, Result};
use crate::timestamp::{self, Micros};

type Binding = Vec<u64>;

/// Most candidates one pruning check of the REPEATS search examines.
const SCAN_LIMIT: usize = 256;

/// Most instance ids held by the candidate list of one expression.
const MAX_ELEMENTS: usize = 2_000_000;

/// Rejects qualifiers the reference matcher refuses to evaluate.
pub fn check_qualifiers(e: &ObsExpr) -> Result<()> {
    match e {
        ObsExpr::Simple(_) => Ok(()),
        ObsExpr::Group(i) => check_qualifiers(i),
        ObsExpr::Qualified(i, qs) => {
            check_qualifiers(i)?;
            for q in qs {
                match q {
                    Qualifier::Within(n) if n.value() <= 0.0 => {
                        return Err(Error::eval(format!(
                            "Invalid WITHIN value (must be positive): {q}"
                        )))
                    }
                    Qualifier::Repeats(0) => {
                        return Err(Error::eval("Invalid repetition count: 0"))
                    }
                    Qualifier::StartStop(a, b) => {
                        for t in [a, b] {
                            if timestamp::parse(t).is_none() {
                                return Err(Error::eval(format!(
                                    "Invalid TimestampLiteral: t'{t}'"
                                )));
                            }
                        }
                    }
                    _ => {}
                }
            }
            Ok(())
        }
        ObsExpr::And(v) | ObsExpr::Or(v) | ObsExpr::FollowedBy(v) => {
            v.iter().try_for_each(check_qualifiers)
        }
    }
}

/// Temporal constraints every binding of a subexpression must meet.
#[derive(Clone, Default)]
struct Cons {
    within: Option<i64>,
    windows: Vec<(Micros, Micros)>,
}

impl Cons {
    fn with(&self, q: &Qualifier) -> Cons {
        let mut c = self.clone();
        match q {
            Qualifier::Within(n) => {
                let d = timestamp::seconds_to_micros(n.value());
                c.within = Some(c.within.map_or(d, |w| w.min(d)));
            }
            Qualifier::StartStop(a, b) => {
                let (a, b) = (
                    timestamp::parse(a).unwrap_or(0),
                    timestamp::parse(b).unwrap_or(0),
                );
                c.windows.push((a, b));
            }
            Qualifier::Repeats(_) => {}
        }
        c
    }
}

struct Eval<'o, 'a, 'm, 'b> {
    obs: &'o [Observation<'a>],
    leaves: &'o [Vec<usize>],
    next_leaf: usize,
    inst_cap: u64,
    meter: &'m mut Meter<'b>,
}

fn obs_of(id: u64) -> usize {
    (id >> 32) as usize
}

fn disjoint(a: &[u64], b: &[u64]) -> bool {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => return false,
        }
    }
    true
}

fn union(a: &[u64], b: &[u64]) -> Binding {
    let mut v = Vec::with_capacity(a.len() + b.len());
    v.extend_from_slice(a);
    v.extend_from_slice(b);
    v.sort_unstable();
    v
}

/// Upper bound on the number of instances any single binding can use.
fn binding_size(e: &ObsExpr) -> u64 {
    match e {
        ObsExpr::Simple(_) => 1,
        ObsExpr::Group(i) => binding_size(i),
        ObsExpr::Qualified(i, qs) => qs.iter().fold(binding_size(i), |acc, q| match q {
            Qualifier::Repeats(n) => acc.saturating_mul(*n),
            _ => acc,
        }),
        ObsExpr::And(v) | ObsExpr::Or(v) | ObsExpr::FollowedBy(v) => v
            .iter()
            .fold(0u64, |a, x| a.saturating_add(binding_size(x))),
    }
}

impl Eval<'_, '_, '_, '_> {
    fn step(&mut self, n: u64) -> Result<()> {
        self.meter.step(n)
    }

    fn first(&self, id: u64) -> Micros {
        self.obs[obs_of(id)].first
    }

    fn last(&self, id: u64) -> Micros {
        self.obs[obs_of(id)].last
    }

    fn max_first(&self, b: &[u64]) -> Micros {
        b.iter()
            .map(|i| self.first(*i))
            .max()
            .unwrap_or(Micros::MIN)
    }

    fn min_last(&self, b: &[u64]) -> Micros {
        b.iter().map(|i| self.last(*i)).min().unwrap_or(Micros::MAX)
    }

    fn ok(&self, b: &[u64], c: &Cons) -> bool {
        if let Some(d) = c.within {
            if self.max_first(b) > self.min_last(b).saturating_add(d) {
                return false;
            }
        }
        c.windows.iter().all(|&(start, stop)| {
            start < stop
                && b.iter()
                    .all(|i| self.first(*i) < stop && self.last(*i) >= start)
        })
    }

    fn eval(&mut self, e: &ObsExpr, want: usize, c: &Cons) -> Result<Vec<Binding>> {
        match e {
            ObsExpr::Simple(_) => {
                let leaf = self.leaves.get(self.next_leaf).cloned().unwrap_or_default();
                self.next_leaf += 1;
                let mut out = Vec::new();
                'outer: for oi in leaf {
                    let n = self.obs[oi].number_observed.min(self.inst_cap);
                    self.step(n)?;
                    for k in 0..n {
                        let b = vec![(oi as u64) << 32 | k];
                        if self.ok(&b, c) {
                            out.push(b);
                            if out.len() >= MAX_LEAF_BINDINGS {
                                break 'outer;
                            }
                        }
                    }
                }
                Ok(out)
            }
            ObsExpr::Group(i) => self.eval(i, want, c),
            ObsExpr::Qualified(inner, qs) => {
                let inner_cons = qs.iter().fold(c.clone(), |acc, q| acc.with(q));
                let mut cur = self.eval(inner, MAX_BINDINGS, &inner_cons)?;
                for (k, q) in qs.iter().enumerate() {
                    self.step(cur.len() as u64 / 16)?;
                    let later = qs[k + 1..].iter().fold(c.clone(), |acc, q| acc.with(q));
                    let stage_want = if k + 1 == qs.len() {
                        want
                    } else {
                        MAX_BINDINGS
                    };
                    cur = match q {
                        Qualifier::Repeats(n) => self.repeats(&cur, *n, stage_want, &later)?,
                        _ => {
                            let here = Cons::default().with(q);
                            cur.into_iter()
                                .filter(|b| self.ok(b, &here))
                                .take(stage_want)
                                .collect()
                        }
                    };
                }
                cur.truncate(want);
                Ok(cur)
            }
            ObsExpr::Or(items) => {
                let mut out = Vec::new();
                for it in items {
                    let r = self.eval(it, want, c)?;
                    out.extend(r);
                }
                out.truncate(MAX_LEAF_BINDINGS);
                Ok(out)
            }
            ObsExpr::And(items) | ObsExpr::FollowedBy(items) => {
                let ordered = matches!(e, ObsExpr::FollowedBy(_));
                let mut acc = self.eval(&items[0], MAX_BINDINGS, c)?;
                for (k, it) in items.iter().enumerate().skip(1) {
                    let rhs = self.eval(it, MAX_BINDINGS, c)?;
                    let cap = if k + 1 == items.len() {
                        want
                    } else {
                        MAX_BINDINGS
                    };
                    acc = self.join(&acc, &rhs, ordered, cap, c)?;
                }
                Ok(acc)
            }
        }
    }

    fn join(
        &mut self,
        lhs: &[Binding],
        rhs: &[Binding],
        ordered: bool,
        cap: usize,
        c: &Cons,
    ) -> Result<Vec<Binding>> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        if lhs.is_empty() || rhs.is_empty() {
            return Ok(out);
        }
        // Time extremes of each right-hand binding, and a visiting order that
        // lets the scan stop early: by latest `last` for FOLLOWEDBY (later
        // candidates cannot follow), by earliest `first` under a WITHIN.
        let times: Vec<(Micros, Micros)> = rhs
            .iter()
            .map(|r| (self.max_first(r), self.min_last(r)))
            .collect();
        let mut order: Vec<usize> = (0..rhs.len()).collect();
        if ordered {
            order.sort_by_key(|&i| std::cmp::Reverse(times[i].1));
        } else if c.within.is_some() {
            order.sort_by_key(|&i| times[i].0);
        }
        let mut elements = 0usize;
        for l in lhs {
            let (lf, ll) = (self.max_first(l), self.min_last(l));
            for (k, &i) in order.iter().enumerate() {
                if k % 64 == 63 {
                    self.step(1)?;
                }
                let (rf, rl) = times[i];
                if ordered && lf > rl {
                    break;
                }
                if let Some(d) = c.within {
                    if !ordered && rf > ll.saturating_add(d) {
                        break;
                    }
                    if lf.max(rf) > ll.min(rl).saturating_add(d) {
                        continue;
                    }
                }
                self.step(1)?;
                let r = &rhs[i];
                if !disjoint(l, r) {
                    continue;
                }
                let u = union(l, r);
                self.step(u.len() as u64 / 4)?;
                if self.ok(&u, c) && seen.insert(u.clone()) {
                    elements += u.len();
                    out.push(u);
                    if out.len() >= cap || elements >= MAX_ELEMENTS {
                        return Ok(out);
                    }
                }
            }
        }
        Ok(out)
    }

    fn repeats(&mut self, items: &[Binding], n: u64, cap: usize, c: &Cons) -> Result<Vec<Binding>> {
        self.step(items.len() as u64 / 16)?;
        if n == 1 {
            return Ok(items
                .iter()
                .filter(|b| self.ok(b, c))
                .take(cap)
                .cloned()
                .collect());
        }
        // Candidates that can take part at all, with their time extremes.
        let items: Vec<(&Binding, Micros, Micros)> = items
            .iter()
            .filter(|b| self.ok(b, c))
            .map(|b| (b, self.max_first(b), self.min_last(b)))
            .collect();
        let distinct: HashSet<u64> = items.iter().flat_map(|(b, ..)| b.iter().copied()).collect();
        let min_len = items
            .iter()
            .map(|(b, ..)| b.len())
            .min()
            .unwrap_or(1)
            .max(1) as u64;
        if n.saturating_mul(min_len) > distinct.len() as u64 {
            return Ok(Vec::new());
        }
        let n = n as usize;
        let cap = cap.min((MAX_ELEMENTS / n.saturating_mul(min_len as usize).max(1)).max(1));
        let mut search = Search {
            items: &items,
            within: c.within,
            acc: Vec::new(),
            set: HashSet::new(),
        };
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        // Iterative depth-first search; frame d holds the state after d choices.
        let mut stack = vec![Frame {
            next: 0,
            max_first: Micros::MIN,
            min_last: Micros::MAX,
            base: 0,
        }];
        while let Some(top) = stack.last().copied() {
            let d = stack.len() - 1;
            if d == n {
                let mut b = search.acc.clone();
                b.sort_unstable();
                self.step(b.len() as u64)?;
                if seen.insert(b.clone()) {
                    out.push(b);
                }
                search.undo(top.base);
                stack.pop();
                continue;
            }
            let i = top.next;
            if out.len() >= cap || i >= items.len() || items.len() - i < n - d {
                search.undo(top.base);
                stack.pop();
                continue;
            }
            if let Some(f) = stack.last_mut() {
                f.next = i + 1;
            }
            self.step(1)?;
            let Some((mf, ml)) = search.fits(i, top.max_first, top.min_last) else {
                continue;
            };
            let base = search.acc.len();
            search.add(i);
            // Without a WITHIN bound the distinct-instance bound above suffices.
            let (ok, checked) = if c.within.is_some() {
                search.enough_left(i + 1, n - d - 1, mf, ml)
            } else {
                (true, 0)
            };
            self.step(checked as u64 / 16)?;
            if ok {
                stack.push(Frame {
                    next: i + 1,
                    max_first: mf,
                    min_last: ml,
                    base,
                });
            } else {
                search.undo(base);
            }
        }
        Ok(out)
    }
}

/// Depth-first search state for REPEATS: the chosen instances, kept once.
struct Search<'i> {
    items: &'i [(&'i Binding, Micros, Micros)],
    within: Option<i64>,
    acc: Vec<u64>,
    set: HashSet<u64>,
}

#[derive(Clone, Copy)]
struct Frame {
    next: usize,
    max_first: Micros,
    min_last: Micros,
    base: usize,
}

impl Search<'_> {
    /// If candidate `i` can join the current choice, the new time extremes.
    fn fits(&self, i: usize, max_first: Micros, min_last: Micros) -> Option<(Micros, Micros)> {
        let (b, f, l) = self.items[i];
        if b.iter().any(|x| self.set.contains(x)) {
            return None;
        }
        let (mf, ml) = (max_first.max(f), min_last.min(l));
        match self.within {
            Some(d) if mf > ml.saturating_add(d) => None,
            _ => Some((mf, ml)),
        }
    }

    fn add(&mut self, i: usize) {
        for x in self.items[i].0 {
            self.acc.push(*x);
            self.set.insert(*x);
        }
    }

    fn undo(&mut self, base: usize) {
        for x in self.acc.drain(base..) {
            self.set.remove(&x);
        }
    }

    /// Are at least `need` candidates from `from` on compatible with the
    /// current choice? A necessary condition that prunes hopeless branches;
    /// it looks at no more than [`SCAN_LIMIT`] candidates and answers `true`
    /// when that is not enough to decide. Also returns how many it examined.
    fn enough_left(&self, from: usize, need: usize, mf: Micros, ml: Micros) -> (bool, usize) {
        let mut found = 0;
        for k in from..self.items.len() {
            if found >= need || k - from >= SCAN_LIMIT {
                return (true, k - from);
            }
            if self.items.len() - k < need - found {
                return (false, k - from);
            }
            if self.fits(k, mf, ml).is_some() {
                found += 1;
            }
        }
        (found >= need, self.items.len() - from)
    }
}

/// Does some binding satisfy the whole pattern? `leaves` holds, in pattern
/// order, the observations satisfying each bracketed expression.
pub fn matches(root: &ObsExpr, obs: &[Observation<'_>], leaves: &[Vec<usize>], meter: &mut Meter<'_>) -> Result<bool> {
    let inst_cap = binding_size(root).clamp(1, MAX_BINDINGS as u64);
    let mut ev = Eval {
        obs,
        leaves,
        next_leaf: 0,
        inst_cap,
        meter,
    };
    Ok(!ev.eval(root, 1, &Cons::default())?.is_empty())
}
