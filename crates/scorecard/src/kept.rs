//! Sums kept between computations (docs/assessment.md#incremental): per
//! directed pair, the releases by `created` and the recipient's sightings
//! and false positives by time, each with what the formulas ask of it
//! (quality, in time, sighted, novel, answered within 14 days), and running
//! counts per day. A window's figure is then the counts of the whole days
//! inside it plus the items of its two partial days; a new or changed
//! object changes only its own entries ([`Kept::set`]). Evidence lists are
//! made only when asked, for the figures asked ([`Kept::fill`]).
//!
//! The sums stand at one time ([`Kept::at`]): an item dated after it (an
//! object created or arrived later, a reaction made later) is left out and
//! its object named by [`Kept::due`] once that time is reached, to be set
//! again. [`Kept::scorecard`] gives exactly [`crate::compute_bare`]'s
//! figures for any time from then until the next such item, and nothing
//! (`None`) otherwise (tested against it on random evidence in
//! `kept_tests.rs`).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Bound::{Excluded, Included};
use std::sync::Arc;

use crate::compute::{assemble, decayed, epoch_weight, in_window, units, Share, Sums};
use crate::{Evidence, Indicator, Reaction, ReactionKind, Release, Scorecard, Status, DAY, FEEDBACK_DAYS};

/// One release in a pair, with what the formulas ask of it (its object's
/// id is in its key, beside its `created`).
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
struct Item {
    quality: i128,
    timely: Option<bool>,
    sighted: bool,
    novel: Option<bool>,
    answered: bool,
}

/// One sighting or false positive by a pair's recipient on one of its objects.
#[derive(Debug, Clone)]
struct Said {
    id: Arc<str>,
    of: Arc<str>,
    fp: bool,
}

/// Counts of the releases created in one day (or any span).
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
struct Counts {
    out: u64,
    v: i128,
    time_n: u64,
    time_k: u64,
    act_k: u64,
    nov_n: u64,
    nov_k: u64,
    /// Answered within 14 days of `created`.
    fb_ok: u64,
    /// Not answered within 14 days (counted once the 14 days are over).
    fb_late: u64,
}

impl Counts {
    fn of(i: &Item) -> Counts {
        Counts {
            out: 1,
            v: i.quality,
            time_n: u64::from(i.timely.is_some()),
            time_k: u64::from(i.timely == Some(true)),
            act_k: u64::from(i.sighted),
            nov_n: u64::from(i.novel.is_some()),
            nov_k: u64::from(i.novel == Some(true)),
            fb_ok: u64::from(i.answered),
            fb_late: u64::from(!i.answered),
        }
    }

    fn add(&mut self, o: &Counts, sign: i64) {
        let f = |x: &mut u64, y: u64| *x = x.wrapping_add_signed(sign * y as i64);
        f(&mut self.out, o.out);
        self.v += i128::from(sign) * o.v;
        f(&mut self.time_n, o.time_n);
        f(&mut self.time_k, o.time_k);
        f(&mut self.act_k, o.act_k);
        f(&mut self.nov_n, o.nov_n);
        f(&mut self.nov_k, o.nov_k);
        f(&mut self.fb_ok, o.fb_ok);
        f(&mut self.fb_late, o.fb_late);
    }
}

/// One directed pair's kept releases and reactions.
#[derive(Debug, Clone, Default)]
struct Group {
    /// By (created, object): an object has one release in a pair, and
    /// its releases in every pair share one id (`fill` dedups by address).
    releases: BTreeMap<(i64, Arc<str>), Item>,
    days: BTreeMap<i64, Counts>,
    said: BTreeMap<i64, Vec<Said>>,
    /// Per day: sightings and false positives, and sightings.
    said_days: BTreeMap<i64, [u64; 2]>,
    /// Trust's weights per epoch under the kept half-life
    /// ([`Kept::keep_trust`]; `compute::epoch_weight`): confirmations,
    /// false positives, and how many.
    trust: BTreeMap<i64, [i128; 3]>,
}

/// Adds (`sign` 1) or takes out (−1) a sighting or false positive at `t`
/// in a group's trust sums under half-life `half`.
fn weigh(trust: &mut BTreeMap<i64, [i128; 3]>, t: i64, fp: bool, half: i64, sign: i128) {
    let (k, w) = epoch_weight(t, half);
    let e = trust.entry(k).or_default();
    e[usize::from(fp)] += sign * w;
    e[2] += sign;
    if e[2] == 0 {
        trust.remove(&k);
    }
}

/// The spans a range `(lo, hi]` is read in: the items of `(lo, a)`, the
/// whole days `[da, db)`, the items of `[b, hi]` (a = da·DAY, b = db·DAY);
/// or only the items of `(lo, hi]` when it lies in one day.
enum Span {
    Items(i64, i64),
    Split { a: i64, days: (i64, i64), b: i64 },
}

fn span(lo: i64, hi: i64) -> Option<Span> {
    if hi <= lo {
        return None;
    }
    let (dl, dh) = (lo.div_euclid(DAY), hi.div_euclid(DAY));
    Some(if dl == dh { Span::Items(lo, hi) } else { Span::Split { a: (dl + 1) * DAY, days: (dl + 1, dh), b: dh * DAY } })
}

/// Adds into `acc` the items made in `(lo, hi]` (`items`, given each
/// span of times `[from, to]` to add) and each whole day's sums of `days`
/// in between (`day`), as [`span`] reads a window: two partial days'
/// items and the whole days' sums.
fn walk<D, A>(days: &BTreeMap<i64, D>, lo: i64, hi: i64, acc: &mut A, items: impl Fn(&mut A, i64, i64), day: impl Fn(&mut A, &D)) {
    match span(lo, hi) {
        None => {}
        Some(Span::Items(lo, hi)) => items(acc, lo.saturating_add(1), hi),
        Some(Span::Split { a, days: (from, to), b }) => {
            items(acc, lo.saturating_add(1), a - 1);
            items(acc, b, hi);
            days.range(from..to).for_each(|(_, d)| day(acc, d));
        }
    }
}

/// The releases of `releases` created in `[from, to]`.
fn created_in(releases: &BTreeMap<(i64, Arc<str>), Item>, from: i64, to: i64) -> impl Iterator<Item = (&Arc<str>, &Item)> {
    let least: Arc<str> = Arc::from("");
    let range = if from > to {
        None
    } else {
        let end = match to.checked_add(1) {
            Some(t) => Excluded((t, least.clone())),
            None => std::ops::Bound::Unbounded,
        };
        Some(releases.range((Included((from, least)), end)))
    };
    range.into_iter().flatten().map(|((_, id), i)| (id, i))
}

impl Group {
    /// The counts of the releases created in `(lo, hi]`.
    fn counts(&self, lo: i64, hi: i64) -> Counts {
        let mut c = Counts::default();
        let items = |c: &mut Counts, from, to| created_in(&self.releases, from, to).for_each(|(_, i)| c.add(&Counts::of(i), 1));
        walk(&self.days, lo, hi, &mut c, items, |c, d| c.add(d, 1));
        c
    }

    /// Sightings and false positives made in `(lo, hi]`, and sightings.
    fn said_counts(&self, lo: i64, hi: i64) -> [u64; 2] {
        let mut c = [0u64; 2];
        let items = |c: &mut [u64; 2], from: i64, to: i64| {
            if from <= to {
                for s in self.said.range(from..=to).flat_map(|(_, v)| v) {
                    c[0] += 1;
                    c[1] += u64::from(!s.fp);
                }
            }
        };
        walk(&self.said_days, lo, hi, &mut c, items, |c, d| {
            c[0] += d[0];
            c[1] += d[1];
        });
        c
    }

    /// The releases created in `(lo, hi]`, with their objects' ids.
    fn items(&self, lo: i64, hi: i64) -> impl Iterator<Item = (&Arc<str>, &Item)> {
        created_in(&self.releases, lo.saturating_add(1), hi)
    }
}

/// What one object put into the sums, to take it out again.
#[derive(Debug, Clone, Default)]
struct Part {
    /// (pair, created) of each release counted.
    releases: Vec<((u16, u16), i64)>,
    /// (pair, time, reaction id) of each sighting or false positive counted.
    said: Vec<((u16, u16), i64, Arc<str>)>,
    /// The earliest time after the sums' at which it would count more.
    wake: Option<i64>,
    set_aside: u64,
}

/// The kept sums of one agreement's scorecard as one node sees it (see
/// the module's doc). Saved and loaded by the node (its tally,
/// `node::scorecard::tally::saved`) as a [`KeptWire`].
#[derive(Debug, Clone)]
pub struct Kept {
    parties: Vec<String>,
    service_level: Option<i64>,
    at: i64,
    /// By id (a map in order: a load builds it whole from the saved order).
    objects: BTreeMap<Arc<str>, Part>,
    groups: HashMap<(u16, u16), Group>,
    wake: BTreeSet<(i64, Arc<str>)>,
    set_aside: u64,
    /// The half-life trust's sums are kept for ([`Kept::keep_trust`]).
    half: Option<i64>,
}

impl Kept {
    /// Nothing kept yet, for `parties` under the release service level
    /// `service_level` (microseconds, if the agreement states one), at `at`.
    pub fn new(parties: &[String], service_level: Option<i64>, at: i64) -> Kept {
        Kept { parties: parties.to_vec(), service_level, at, objects: BTreeMap::new(), groups: HashMap::new(), wake: BTreeSet::new(), set_aside: 0, half: None }
    }

    /// The time the sums stand at.
    pub fn at(&self) -> i64 {
        self.at
    }

    /// The parties and service level the sums were kept for.
    pub fn kept_for(&self) -> (&[String], Option<i64>) {
        (&self.parties, self.service_level)
    }

    /// Objects with a part in the sums.
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// Whether no object has a part in the sums.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// Moves the sums to `at` (not before their time): returns the objects
    /// to [`set`](Kept::set) again, those with an item dated in between.
    pub fn advance(&mut self, at: i64) -> Vec<Arc<str>> {
        self.at = self.at.max(at);
        self.wake.range(..(self.at + 1, Arc::from(""))).map(|(_, id)| id.clone()).collect()
    }

    /// Keeps trust's decayed weights as sums for the half-life `half` (a
    /// scorecard's window), each pair's per epoch, rebuilt from the
    /// reactions kept when another half-life was kept: a scorecard with
    /// that window then rescales them rather than weigh every reaction
    /// (one with another window still does, with the same result).
    pub fn keep_trust(&mut self, half: i64) {
        if self.half == Some(half) {
            return;
        }
        self.half = Some(half);
        for g in self.groups.values_mut() {
            g.trust.clear();
            let said: Vec<(i64, bool)> = g.said.iter().flat_map(|(t, v)| v.iter().map(move |x| (*t, x.fp))).collect();
            for (t, fp) in said {
                weigh(&mut g.trust, t, fp, half, 1);
            }
        }
    }

    fn party(&self, p: &str) -> Option<u16> {
        self.parties.iter().position(|x| x == p).map(|i| i as u16)
    }

    /// Takes object `id`'s part out of the sums.
    pub fn remove(&mut self, id: &str) {
        let Some((key, part)) = self.objects.remove_entry(id) else { return };
        let half = self.half;
        self.set_aside -= part.set_aside;
        if let Some(w) = part.wake {
            self.wake.remove(&(w, key.clone()));
        }
        for (pair, created) in part.releases {
            let Some(g) = self.groups.get_mut(&pair) else { continue };
            if let Some(item) = g.releases.remove(&(created, key.clone())) {
                let day = g.days.entry(created.div_euclid(DAY)).or_default();
                day.add(&Counts::of(&item), -1);
                if day.out == 0 {
                    g.days.remove(&created.div_euclid(DAY));
                }
            }
        }
        for (pair, at, reaction) in part.said {
            let Some(g) = self.groups.get_mut(&pair) else { continue };
            if let Some(v) = g.said.get_mut(&at) {
                if let Some(i) = v.iter().position(|s| s.id == reaction && *s.of == *id) {
                    let s = v.swap_remove(i);
                    let day = g.said_days.entry(at.div_euclid(DAY)).or_default();
                    day[0] -= 1;
                    day[1] -= u64::from(!s.fp);
                    if day[0] == 0 {
                        g.said_days.remove(&at.div_euclid(DAY));
                    }
                    if let Some(h) = half {
                        weigh(&mut g.trust, at, s.fp, h, -1);
                    }
                }
                if v.is_empty() {
                    g.said.remove(&at);
                }
            }
        }
    }

    /// Sets object `id`'s part: its `releases` (one per recipient; those
    /// of another id are ignored) and the `reactions` naming it (each with
    /// `of` = `id`; others ignored), replacing what it had. What
    /// [`crate::compute`] would count of them at the sums' time: exercise
    /// items set aside, items dated later left out until then.
    /// (`id` may be given as the caller's own shared one: the sums then
    /// share it.)
    pub fn set(&mut self, id: impl Into<Arc<str>>, releases: &[Release], reactions: &[Reaction]) {
        let key: Arc<str> = id.into();
        let id: &str = &key;
        self.remove(id);
        let (at, half) = (self.at, self.half);
        let mut part = Part::default();
        let wake = |t: i64, part: &mut Part| part.wake = Some(part.wake.map_or(t, |w| w.min(t)));
        let reactions: Vec<&Reaction> = reactions.iter().filter(|x| x.of == id).collect();
        for x in &reactions {
            part.set_aside += u64::from(x.exercise);
        }
        let mut recipients = BTreeSet::new();
        for r in releases.iter().filter(|r| r.id == id) {
            if r.exercise {
                part.set_aside += 1;
                continue;
            }
            let (Some(a), Some(b)) = (self.party(&r.author), self.party(&r.recipient)) else { continue };
            if a == b || !recipients.insert(b) {
                continue;
            }
            let counts_from = r.arrived.map_or(r.created, |t| t.max(r.created));
            if counts_from > at {
                wake(counts_from, &mut part);
                continue;
            }
            let said: Vec<&&Reaction> = reactions.iter().filter(|x| !x.exercise && x.by == r.recipient).collect();
            let mut now = Vec::new();
            for x in said {
                if x.at > at {
                    wake(x.at, &mut part);
                } else {
                    now.push(*x);
                }
            }
            let deadline = r.created + FEEDBACK_DAYS * DAY;
            let item = Item {
                quality: units(r.quality.clamp(0.0, 1.0)),
                timely: self.service_level.zip(r.arrived).map(|(sl, arrived)| arrived - r.created <= sl),
                sighted: now.iter().any(|x| x.kind == ReactionKind::Sighting),
                novel: r.novel,
                answered: now.iter().any(|x| x.at <= deadline),
            };
            let g = self.groups.entry((a, b)).or_default();
            g.days.entry(r.created.div_euclid(DAY)).or_default().add(&Counts::of(&item), 1);
            g.releases.insert((r.created, key.clone()), item);
            part.releases.push(((a, b), r.created));
            for x in now {
                let fp = match x.kind {
                    ReactionKind::Sighting => false,
                    ReactionKind::FalsePositive => true,
                    _ => continue,
                };
                let rid: Arc<str> = Arc::from(x.id.as_str());
                let day = g.said_days.entry(x.at.div_euclid(DAY)).or_default();
                day[0] += 1;
                day[1] += u64::from(!fp);
                g.said.entry(x.at).or_default().push(Said { id: rid.clone(), of: key.clone(), fp });
                if let Some(h) = half {
                    weigh(&mut g.trust, x.at, fp, h, 1);
                }
                part.said.push(((a, b), x.at, rid));
            }
        }
        if let Some(w) = part.wake {
            self.wake.insert((w, key.clone()));
        }
        self.set_aside += part.set_aside;
        self.objects.insert(key, part);
    }

    /// Whether the sums give `e.at`'s figures: `e.at` is not before their
    /// time and no item left out is dated at or before it.
    pub fn stands_at(&self, at: i64) -> bool {
        at >= self.at && self.wake.first().is_none_or(|(t, _)| *t > at)
    }

    /// The scorecard of `e` (its parties, time, window, checks, burden,
    /// absent indicators and weights; its releases and reactions are
    /// ignored: the sums are) without evidence lists, exactly as
    /// [`crate::compute_bare`] gives it on the evidence kept; `None` when
    /// the sums do not stand at `e.at` ([`Kept::stands_at`]) or were kept
    /// for other parties or another service level.
    pub fn scorecard(&self, e: &Evidence) -> Option<Scorecard> {
        if !self.stands_at(e.at) || e.parties != self.parties || e.service_level != self.service_level {
            return None;
        }
        let (lo, hi) = (e.at - e.window, e.at);
        let late = hi - FEEDBACK_DAYS * DAY;
        let mut groups = BTreeMap::new();
        for (&(a, b), g) in &self.groups {
            let c = g.counts(lo, hi);
            let l = g.counts(lo, late.min(hi));
            let [acc_n, acc_k] = g.said_counts(lo, hi);
            let mut s = Sums {
                v: c.v,
                v_n: c.out,
                out: c.out,
                timeliness: Share { k: c.time_k, n: c.time_n, ids: Vec::new() },
                actionability: Share { k: c.act_k, n: c.out, ids: Vec::new() },
                accuracy: Share { k: acc_k, n: acc_n, ids: Vec::new() },
                novelty: Share { k: c.nov_k, n: c.nov_n, ids: Vec::new() },
                feedback: Share { k: c.fb_ok, n: c.fb_ok + l.fb_late, ids: Vec::new() },
                ..Sums::default()
            };
            // Trust: the kept epochs' sums rescaled to `e.at`, or (another
            // window) each reaction weighed into epochs as `compute` does.
            let weighed;
            let trust = if self.half == Some(e.window) {
                &g.trust
            } else {
                let mut t = BTreeMap::new();
                for (at, v) in &g.said {
                    for x in v {
                        weigh(&mut t, *at, x.fp, e.window, 1);
                    }
                }
                weighed = t;
                &weighed
            };
            s.pos = decayed(trust.iter().map(|(k, w)| (*k, w[0])), e.at, e.window);
            s.neg = decayed(trust.iter().map(|(k, w)| (*k, w[1])), e.at, e.window);
            s.events = trust.values().map(|w| w[2] as u64).sum();
            if g.releases.is_empty() {
                continue;
            }
            groups.insert((self.parties[a as usize].as_str(), self.parties[b as usize].as_str()), s);
        }
        Some(assemble(e, groups, self.set_aside, false))
    }

    /// Fills the evidence lists of `card` (from [`Kept::scorecard`] on the
    /// same `e`): every figure's ids, sorted, as [`crate::compute`] lists
    /// them; with `most`, only the first `most` of each, with
    /// `evidence_total` saying how many there are. `only`, when given,
    /// limits it to one indicator (the drill-down); other figures keep
    /// empty lists.
    pub fn fill(&self, card: &mut Scorecard, e: &Evidence, most: Option<usize>, only: Option<Indicator>) {
        let (lo, hi) = (e.at - e.window, e.at);
        let late = hi - FEEDBACK_DAYS * DAY;
        let index = |p: &str| self.party(p);
        let groups_where = |f: &dyn Fn(u16, u16) -> bool| -> Vec<&Group> { self.groups.iter().filter(|((a, b), _)| f(*a, *b)).map(|(_, g)| g).collect() };
        let lists = |figures: &mut Vec<crate::Figure>, out: Vec<&Group>, back: Vec<&Group>, check: &dyn Fn(&crate::Check) -> bool, party: Option<&str>| {
            for f in figures.iter_mut() {
                if only.is_some_and(|i| i != f.indicator) {
                    continue;
                }
                if most.is_some() {
                    f.evidence_total = Some(0);
                }
                if f.status == Status::Absent {
                    continue;
                }
                let mut ids: Vec<&str> = Vec::new();
                let mut dedup = false;
                match f.indicator {
                    Indicator::Reciprocity => {
                        dedup = true;
                        for g in out.iter().chain(&back) {
                            ids.extend(g.items(lo, hi).map(|(id, _)| &**id));
                        }
                    }
                    Indicator::Timeliness => ids.extend(out.iter().flat_map(|g| g.items(lo, hi)).filter(|(_, i)| i.timely.is_some()).map(|(id, _)| &**id)),
                    Indicator::Actionability => ids.extend(out.iter().flat_map(|g| g.items(lo, hi)).map(|(id, _)| &**id)),
                    Indicator::Novelty => ids.extend(out.iter().flat_map(|g| g.items(lo, hi)).filter(|(_, i)| i.novel.is_some()).map(|(id, _)| &**id)),
                    Indicator::Feedback => {
                        for g in &out {
                            ids.extend(g.items(lo, hi).filter(|(_, i)| i.answered).map(|(id, _)| &**id));
                            ids.extend(g.items(lo, late.min(hi)).filter(|(_, i)| !i.answered).map(|(id, _)| &**id));
                        }
                    }
                    Indicator::Accuracy => {
                        for g in &out {
                            ids.extend(g.said.range((Excluded(lo), Included(hi.max(lo)))).flat_map(|(_, v)| v).map(|s| &*s.id));
                        }
                    }
                    Indicator::Burden => {
                        if let Some(b) = party.and_then(|p| e.burden.iter().filter(|b| b.party == p && b.ratio.is_finite() && b.ratio >= 0.0).max_by_key(|b| b.year)) {
                            // As the ledger gives them, not sorted.
                            page(&mut f.evidence, &mut f.evidence_total, b.evidence.iter().map(String::as_str).collect(), b.evidence.len(), most);
                        }
                        continue;
                    }
                    i => ids.extend(e.checks.iter().filter(|c| !c.exercise && c.at <= e.at && c.indicator == i && check(c) && in_window(e, c.at)).map(|c| c.id.as_str())),
                }
                let total = smallest(&mut ids, dedup, most);
                page(&mut f.evidence, &mut f.evidence_total, ids, total, most);
            }
        };
        for p in &mut card.parties {
            let Some(x) = index(&p.party) else { continue };
            let party = p.party.clone();
            lists(&mut p.figures, groups_where(&|a, _| a == x), groups_where(&|_, b| b == x), &|c| c.party == party, Some(&party));
        }
        for p in &mut card.pairs {
            let (Some(a), Some(b)) = (index(&p.from), index(&p.to)) else { continue };
            let (from, to) = (p.from.clone(), p.to.clone());
            lists(&mut p.figures, groups_where(&|x, y| (x, y) == (a, b)), groups_where(&|x, y| (x, y) == (b, a)), &|c| c.party == from && c.towards.as_deref() == Some(to.as_str()), None);
        }
    }
}

/// [`Kept`] in the form it is saved in (`node::scorecard::tally::saved`),
/// every id a number into a table its saver keeps ([`Kept::to_wire`],
/// [`Kept::from_wire`]): the tally names each id once in its file, and
/// a load makes each id once, shared by every place that names it.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct KeptWire {
    parties: Vec<String>,
    service_level: Option<i64>,
    at: i64,
    set_aside: u64,
    half: Option<i64>,
    objects: Vec<(u32, PartWire)>,
    groups: Vec<((u16, u16), GroupWire)>,
    wake: Vec<(i64, u32)>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct PartWire {
    releases: Vec<((u16, u16), i64)>,
    said: Vec<((u16, u16), i64, u32)>,
    wake: Option<i64>,
    set_aside: u64,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct GroupWire {
    releases: Vec<(i64, u32, Item)>,
    days: Vec<(i64, Counts)>,
    /// (time, reaction, object, false positive).
    said: Vec<(i64, u32, u32, bool)>,
    said_days: Vec<(i64, [u64; 2])>,
    trust: Vec<(i64, [i128; 3])>,
}

impl Kept {
    /// The sums to save, each id given as the number `number` gives it
    /// (the saver's table: every id the sums hold is an object or a
    /// reaction of the saver's).
    pub fn to_wire(&self, number: &mut dyn FnMut(&str) -> u32) -> KeptWire {
        let objects = self
            .objects
            .iter()
            .map(|(id, p)| {
                let said = p.said.iter().map(|(pair, t, r)| (*pair, *t, number(r))).collect();
                (number(id), PartWire { releases: p.releases.clone(), said, wake: p.wake, set_aside: p.set_aside })
            })
            .collect();
        let mut groups: Vec<((u16, u16), GroupWire)> = self
            .groups
            .iter()
            .map(|(pair, g)| {
                let wire = GroupWire {
                    releases: g.releases.iter().map(|((t, id), i)| (*t, number(id), *i)).collect(),
                    days: g.days.iter().map(|(d, c)| (*d, *c)).collect(),
                    said: g.said.iter().flat_map(|(t, v)| v.iter().map(move |s| (*t, s))).map(|(t, s)| (t, number(&s.id), number(&s.of), s.fp)).collect(),
                    said_days: g.said_days.iter().map(|(d, c)| (*d, *c)).collect(),
                    trust: g.trust.iter().map(|(k, w)| (*k, *w)).collect(),
                };
                (*pair, wire)
            })
            .collect();
        groups.sort_unstable_by_key(|(pair, _)| *pair);
        let wake = self.wake.iter().map(|(t, id)| (*t, number(id))).collect();
        KeptWire { parties: self.parties.clone(), service_level: self.service_level, at: self.at, set_aside: self.set_aside, half: self.half, objects, groups, wake }
    }

    /// The sums saved as `wire`, each id number an index into `ids` (the
    /// saver's table, loaded); an error names a number out of the table or
    /// a pair of parties the sums do not have.
    pub fn from_wire(wire: KeptWire, ids: &[Arc<str>]) -> Result<Kept, String> {
        let id = |n: u32| ids.get(n as usize).cloned().ok_or_else(|| format!("the kept sums name id {n}, beyond the {} saved", ids.len()));
        let parties = wire.parties.len();
        let pair = |p: (u16, u16)| if usize::from(p.0) < parties && usize::from(p.1) < parties { Ok(p) } else { Err(format!("the kept sums name the pair {p:?} of {parties} parties")) };
        let mut objects = Vec::with_capacity(wire.objects.len());
        for (n, p) in wire.objects {
            let said = p.said.into_iter().map(|(pr, t, r)| Ok((pair(pr)?, t, id(r)?))).collect::<Result<_, String>>()?;
            for (pr, _) in &p.releases {
                pair(*pr)?;
            }
            objects.push((id(n)?, Part { releases: p.releases, said, wake: p.wake, set_aside: p.set_aside }));
        }
        let objects: BTreeMap<Arc<str>, Part> = objects.into_iter().collect();
        let mut groups = HashMap::with_capacity(wire.groups.len());
        for (pr, g) in wire.groups {
            let mut said: BTreeMap<i64, Vec<Said>> = BTreeMap::new();
            for (t, r, of, fp) in g.said {
                said.entry(t).or_default().push(Said { id: id(r)?, of: id(of)?, fp });
            }
            let group = Group {
                releases: g.releases.into_iter().map(|(t, n, i)| Ok(((t, id(n)?), i))).collect::<Result<_, String>>()?,
                days: g.days.into_iter().collect(),
                said,
                said_days: g.said_days.into_iter().collect(),
                trust: g.trust.into_iter().collect(),
            };
            groups.insert(pair(pr)?, group);
        }
        let wake = wire.wake.into_iter().map(|(t, n)| Ok((t, id(n)?))).collect::<Result<_, String>>()?;
        Ok(Kept { parties: wire.parties, service_level: wire.service_level, at: wire.at, objects, groups, wake, set_aside: wire.set_aside, half: wire.half })
    }
}

/// `ids` sorted (each once, with `dedup`), or with `most` only the
/// smallest `most` of them, sorted; returns how many there were (each
/// once). A page costs one comparison with the largest kept for most
/// ids, not a sort of every id.
fn smallest(ids: &mut Vec<&str>, dedup: bool, most: Option<usize>) -> usize {
    let Some(m) = most else {
        ids.sort_unstable();
        if dedup {
            ids.dedup();
        }
        return ids.len();
    };
    if dedup {
        // One object's items share one id (`Kept::set` makes one key per
        // object, `Kept::from_wire` one per number): equal ids are the
        // same allocation, found by address without reading the text.
        ids.sort_unstable_by_key(|id| id.as_ptr() as usize);
        ids.dedup_by_key(|id| id.as_ptr() as usize);
    }
    let total = ids.len();
    if total > m {
        let mut kept: std::collections::BinaryHeap<&str> = std::collections::BinaryHeap::with_capacity(m + 1);
        for id in ids.iter() {
            if kept.len() < m {
                kept.push(id);
            } else if kept.peek().is_some_and(|top| id < top) {
                kept.pop();
                kept.push(id);
            }
        }
        *ids = kept.into_sorted_vec();
    } else {
        ids.sort_unstable();
    }
    total
}

/// `ids` (in order) into a figure's list: all, or the first `most` with
/// the total (`of`: how many the list has, `ids` perhaps only its first).
fn page(list: &mut Vec<String>, total: &mut Option<usize>, ids: Vec<&str>, of: usize, most: Option<usize>) {
    match most {
        None => *list = ids.into_iter().map(str::to_owned).collect(),
        Some(m) => {
            *total = Some(of);
            *list = ids.into_iter().take(m).map(str::to_owned).collect();
        }
    }
}
