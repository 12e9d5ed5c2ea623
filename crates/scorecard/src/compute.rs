//! The formulas: from an [`Evidence`] value to a [`Scorecard`]
//! (docs/assessment.md gives each with its source and limits).
//!
//! A row is either a directed pair A→B (A's releases to B, B's reactions
//! to them, A's checks owed to B) or a party P (P's releases to every
//! partner, their reactions, all of P's checks). Releases and checks count
//! when dated in the window `(at − window, at]`; a release's reactions
//! count up to `at`. Exercise items are set aside before anything else.
//!
//! Releases are grouped once by (author, recipient) and each group's sums
//! (numerators, denominators, quality weights, trust events) computed once:
//! a pair row is its group (and, for reciprocity, the reverse group), a
//! party row the sum of its groups. The cost is linear in the evidence
//! whatever the number of parties; `reference.rs` (tests) keeps the
//! row-by-row formulas this is tested against. [`compute_bare`] leaves the
//! evidence lists out (snapshots and benchmarks need the figures only).
//!
//! Quality weights and decayed trust weights are summed in fixed point
//! ([`units`], 2⁻⁶⁰): a sum is then the same to the last bit in any order
//! and after any additions and removals, so sums kept between
//! computations (`kept.rs`) give exactly the figures computed afresh.
//! Trust's weights are summed per epoch at the epoch's start and rescaled
//! to the scorecard's time ([`epoch_weight`], [`decayed`]), so kept sums
//! need not weigh every reaction again at each computation.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::stats::{beta_expectation, decay, geometric_mean, wilson, Z95};
use crate::{Check, Composite, Evidence, Figure, Indicator, Pair, Party, Reaction, ReactionKind, Release, Scorecard, Status, Trust, DAY, FEEDBACK_DAYS, MIN_N};

/// Which checks a row covers.
#[derive(Clone, Copy)]
enum Row<'a> {
    Pair(&'a str, &'a str),
    Party(&'a str),
}

impl Row<'_> {
    /// Whether `c` is a check of the row's party (owed to the partner, in a pair row).
    fn checks(&self, c: &Check) -> bool {
        match *self {
            Row::Pair(a, b) => c.party == a && c.towards.as_deref() == Some(b),
            Row::Party(p) => c.party == p,
        }
    }
}

/// One in fixed point: [`units`].
const UNIT: f64 = (1u64 << 60) as f64;

/// `x` in fixed point (units of 2⁻⁶⁰): sums of these are exact whatever
/// their order.
pub(crate) fn units(x: f64) -> i128 {
    (x * UNIT).round() as i128
}

/// A fixed-point sum back as a number.
pub(crate) fn from_units(u: i128) -> f64 {
    u as f64 / UNIT
}

/// Trust's decayed weights are summed by epoch (docs/assessment.md#trust):
/// an epoch is this many half-lives long.
const EPOCH_HALF_LIVES: i64 = 16;

/// The epoch of an event at `t` under half-life `half` (> 0), and its
/// weight at the epoch's start in [`units`]: `2^((t − start) / half)`, in
/// [1, 2¹⁶]. The weight at a later `at` is then that times
/// `0.5^((at − start) / half)`: the decay `0.5^((at − t) / half)` split at
/// the epoch's start, so each epoch's weights are an exact integer sum
/// that a new event adds to and that any `at` rescales ([`decayed`]).
pub(crate) fn epoch_weight(t: i64, half: i64) -> (i64, i128) {
    if half <= 0 {
        return (0, 0);
    }
    let len = half.saturating_mul(EPOCH_HALF_LIVES);
    let k = t.div_euclid(len);
    let offset = (i128::from(t) - i128::from(k) * i128::from(len)) as f64 / half as f64;
    (k, units(2f64.powf(offset)))
}

/// The decayed sum at `at` of the epochs' weights ([`epoch_weight`]):
/// `Σ round(sum × 0.5^((at − start) / half))` in [`units`], each epoch
/// rounded on its own, so the same epochs' sums give the same total in
/// any order. 0 when `half` is not positive (as [`decay`]).
pub(crate) fn decayed(epochs: impl Iterator<Item = (i64, i128)>, at: i64, half: i64) -> i128 {
    if half <= 0 {
        return 0;
    }
    let len = half.saturating_mul(EPOCH_HALF_LIVES);
    epochs.map(|(k, sum)| (sum as f64 * 0.5f64.powf((i128::from(at) - i128::from(k) * i128::from(len)) as f64 / half as f64)).round() as i128).sum()
}

/// A share: `k` of `n`, and the ids counted (when lists are kept).
#[derive(Default, Clone)]
pub(crate) struct Share<'a> {
    pub(crate) k: u64,
    pub(crate) n: u64,
    pub(crate) ids: Vec<&'a str>,
}

impl<'a> Share<'a> {
    fn count(&mut self, id: &'a str, ok: bool, lists: bool) {
        self.n += 1;
        self.k += u64::from(ok);
        if lists {
            self.ids.push(id);
        }
    }

    fn add(&mut self, other: &Share<'a>) {
        self.k += other.k;
        self.n += other.n;
        self.ids.extend_from_slice(&other.ids);
    }
}

/// The sums of one group of releases, A→B.
#[derive(Default, Clone)]
pub(crate) struct Sums<'a> {
    /// Quality weight of the releases in the window ([`units`]), their
    /// number and ids.
    pub(crate) v: i128,
    pub(crate) v_n: u64,
    pub(crate) v_ids: Vec<&'a str>,
    /// Releases in the window (any known arrival or not).
    pub(crate) out: u64,
    pub(crate) timeliness: Share<'a>,
    pub(crate) actionability: Share<'a>,
    pub(crate) accuracy: Share<'a>,
    pub(crate) novelty: Share<'a>,
    pub(crate) feedback: Share<'a>,
    /// Trust: decayed confirmations, false positives ([`units`]), events.
    pub(crate) pos: i128,
    pub(crate) neg: i128,
    pub(crate) events: u64,
}

impl<'a> Sums<'a> {
    fn add(&mut self, o: &Sums<'a>) {
        self.v += o.v;
        self.v_n += o.v_n;
        self.v_ids.extend_from_slice(&o.v_ids);
        self.out += o.out;
        self.timeliness.add(&o.timeliness);
        self.actionability.add(&o.actionability);
        self.accuracy.add(&o.accuracy);
        self.novelty.add(&o.novelty);
        self.feedback.add(&o.feedback);
    }
}

/// What every row reads, exercise items set aside.
struct Ctx<'a> {
    e: &'a Evidence,
    checks: Vec<&'a Check>,
    /// Sums per (author, recipient), author ≠ recipient.
    groups: BTreeMap<(&'a str, &'a str), Sums<'a>>,
    lists: bool,
}

pub(crate) fn in_window(e: &Evidence, t: i64) -> bool {
    t > e.at - e.window && t <= e.at
}

/// The scorecard of `e`, every figure with the ids of its evidence.
pub fn compute(e: &Evidence) -> Scorecard {
    run(e, true)
}

/// The scorecard of `e` without evidence lists (`Figure::evidence` empty;
/// every number as [`compute`] gives it): what a snapshot records.
pub fn compute_bare(e: &Evidence) -> Scorecard {
    run(e, false)
}

fn run(e: &Evidence, lists: bool) -> Scorecard {
    let mut set_aside = 0u64;
    let mut keep = |exercise: bool| {
        set_aside += u64::from(exercise);
        !exercise
    };
    // What had not been made, or had not arrived, by `at` does not count yet.
    let mut by_pair: BTreeMap<(&str, &str), Vec<&Release>> = BTreeMap::new();
    for r in &e.releases {
        if keep(r.exercise) && r.created <= e.at && r.arrived.is_none_or(|a| a <= e.at) && r.author != r.recipient {
            by_pair.entry((r.author.as_str(), r.recipient.as_str())).or_default().push(r);
        }
    }
    let mut reactions: HashMap<(&str, &str), Vec<&Reaction>> = HashMap::new();
    for r in &e.reactions {
        if keep(r.exercise) && r.at <= e.at {
            reactions.entry((r.of.as_str(), r.by.as_str())).or_default().push(r);
        }
    }
    // One order whatever the evidence's: sums of decayed weights come out
    // the same to the last bit however the evidence was gathered.
    for v in reactions.values_mut() {
        v.sort_by(|a, b| (a.at, a.id.as_str(), a.kind as u8).cmp(&(b.at, b.id.as_str(), b.kind as u8)));
    }
    let groups = by_pair.into_iter().map(|(key, releases)| (key, sums(e, &releases, &reactions, lists))).collect();
    assemble(e, groups, set_aside, lists)
}

/// The scorecard from the groups' sums (`groups`, author ≠ recipient) and
/// the rest of `e` (parties, time, window, checks, burden, absent
/// indicators, weights); `set_aside` exercise releases and reactions.
pub(crate) fn assemble<'a>(e: &'a Evidence, groups: BTreeMap<(&'a str, &'a str), Sums<'a>>, set_aside: u64, lists: bool) -> Scorecard {
    let mut set_aside = set_aside;
    let checks: Vec<&Check> = e
        .checks
        .iter()
        .filter(|c| {
            set_aside += u64::from(c.exercise);
            !c.exercise && c.at <= e.at
        })
        .collect();
    let ctx = Ctx { e, checks, groups, lists };
    let weights: BTreeMap<Indicator, f64> = Indicator::ALL
        .into_iter()
        .map(|i| (i, if e.weights.is_empty() { 1.0 } else { e.weights.get(&i).copied().filter(|w| w.is_finite() && *w > 0.0).unwrap_or(0.0) }))
        .collect();
    let empty = Sums::default();
    let parties = e
        .parties
        .iter()
        .map(|p| {
            let (mut out, mut back) = (Sums::default(), Sums::default());
            for ((a, b), s) in &ctx.groups {
                if a == p {
                    out.add(s);
                } else if b == p {
                    back.add(s);
                }
            }
            let figures = figures(&ctx, Row::Party(p), &out, &back);
            Party { party: p.clone(), composite: composite(&figures, &weights), figures }
        })
        .collect();
    let mut pairs = Vec::new();
    for a in &e.parties {
        for b in &e.parties {
            if a == b {
                continue;
            }
            let out = ctx.groups.get(&(a.as_str(), b.as_str())).unwrap_or(&empty);
            let back = ctx.groups.get(&(b.as_str(), a.as_str())).unwrap_or(&empty);
            let figures = figures(&ctx, Row::Pair(a, b), out, back);
            pairs.push(Pair { from: a.clone(), to: b.clone(), composite: composite(&figures, &weights), trust: trust(&ctx, a, b, out), figures });
        }
    }
    Scorecard { at: e.at, window_days: e.window / DAY, weights, parties, pairs, exercise_set_aside: set_aside }
}

/// The sums of one group's releases (A→B), each object once.
fn sums<'a>(e: &'a Evidence, releases: &[&'a Release], reactions: &HashMap<(&'a str, &'a str), Vec<&'a Reaction>>, lists: bool) -> Sums<'a> {
    let mut s = Sums::default();
    let mut seen: HashSet<&str> = HashSet::with_capacity(releases.len());
    // Trust's weights by epoch: (confirmations, false positives).
    let mut epochs: BTreeMap<i64, [i128; 2]> = BTreeMap::new();
    let all = [ReactionKind::Sighting, ReactionKind::FalsePositive, ReactionKind::Opinion, ReactionKind::Note];
    for r in releases {
        let first = seen.insert(r.id.as_str());
        let said: &[&Reaction] = reactions.get(&(r.id.as_str(), r.recipient.as_str())).map_or(&[], Vec::as_slice);
        if first {
            // Accuracy and trust: the recipient's reactions on what it was
            // given at any time, each object once.
            for x in said {
                let fp = match x.kind {
                    ReactionKind::Sighting => false,
                    ReactionKind::FalsePositive => true,
                    _ => continue,
                };
                if in_window(e, x.at) {
                    s.accuracy.count(&x.id, !fp, lists);
                }
                let (k, w) = epoch_weight(x.at, e.window);
                epochs.entry(k).or_default()[usize::from(fp)] += w;
                s.events += 1;
            }
        }
        if !in_window(e, r.created) {
            continue;
        }
        s.v += units(r.quality.clamp(0.0, 1.0));
        s.v_n += 1;
        s.out += 1;
        if lists {
            s.v_ids.push(&r.id);
        }
        if let (Some(sl), Some(arrived)) = (e.service_level, r.arrived) {
            s.timeliness.count(&r.id, arrived - r.created <= sl, lists);
        }
        s.actionability.count(&r.id, said.iter().any(|x| x.kind == ReactionKind::Sighting), lists);
        if let Some(novel) = r.novel {
            s.novelty.count(&r.id, novel, lists);
        }
        // From `created`, the signed time, not arrival: every node holding
        // the same evidence computes the same figure.
        let deadline = r.created + FEEDBACK_DAYS * DAY;
        if said.iter().any(|x| all.contains(&x.kind) && x.at <= deadline) {
            s.feedback.count(&r.id, true, lists);
        } else if deadline <= e.at {
            s.feedback.count(&r.id, false, lists);
        }
    }
    s.pos = decayed(epochs.iter().map(|(k, w)| (*k, w[0])), e.at, e.window);
    s.neg = decayed(epochs.iter().map(|(k, w)| (*k, w[1])), e.at, e.window);
    s
}

fn figures(ctx: &Ctx<'_>, row: Row<'_>, out: &Sums<'_>, back: &Sums<'_>) -> Vec<Figure> {
    Indicator::ALL
        .into_iter()
        .map(|i| match ctx.e.absent.get(&i) {
            Some(why) => absent(i, why),
            None => figure(ctx, row, i, out, back),
        })
        .collect()
}

fn figure(ctx: &Ctx<'_>, row: Row<'_>, i: Indicator, out: &Sums<'_>, back: &Sums<'_>) -> Figure {
    let lists = ctx.lists;
    match i {
        Indicator::Reciprocity => reciprocity(out, back),
        Indicator::Timeliness => {
            if ctx.e.service_level.is_none() {
                return absent(i, "the agreement states no release service level");
            }
            if out.timeliness.n == 0 && out.out > 0 {
                return absent(i, "arrival times are known only on the recipient's node");
            }
            proportion(i, &out.timeliness, None)
        }
        Indicator::Actionability => proportion(i, &out.actionability, None),
        Indicator::Accuracy => proportion(i, &out.accuracy, None),
        Indicator::Novelty => {
            if out.novelty.n == 0 && out.out > 0 {
                return absent(i, "what a recipient held before is known only on the recipient's node");
            }
            proportion(i, &out.novelty, None)
        }
        Indicator::Feedback => proportion(i, &out.feedback, Some("objects still inside their 14 days and unanswered are not counted yet")),
        Indicator::Burden => match row {
            Row::Pair(..) => absent(i, "burden balance is a party's figure, not a pair's"),
            Row::Party(p) => match ctx.e.burden.iter().filter(|b| b.party == p && b.ratio.is_finite() && b.ratio >= 0.0).max_by_key(|b| b.year) {
                None => Figure { indicator: i, status: Status::TooFew, value: None, n: 0, k: 0.0, interval: None, note: Some("no fair-share ratio: no confirmed contributions or no figures".into()), evidence: Vec::new(), evidence_total: None },
                Some(b) => Figure {
                    indicator: i,
                    status: Status::Measured,
                    value: Some(b.ratio.min(1.0)),
                    n: b.n,
                    k: b.ratio,
                    interval: None,
                    note: Some(format!("fair-share ratio {:.3} in {} (capped at 1); a ledger figure, not a sample", b.ratio, b.year)),
                    evidence: if lists { b.evidence.clone() } else { Vec::new() },
                    evidence_total: None,
                },
            },
        },
        _ => {
            let mut share = Share::default();
            for c in ctx.checks.iter().filter(|c| c.indicator == i && row.checks(c) && in_window(ctx.e, c.at)) {
                share.count(&c.id, c.ok, lists);
            }
            proportion(i, &share, None)
        }
    }
}

/// `1 − |V_out − V_back| / (V_out + V_back)`, V the quality-weighted count;
/// its interval is the image of the Wilson interval of `p = V_out / V`
/// (with n the releases both ways) under `1 − |2p − 1|`.
fn reciprocity(out: &Sums<'_>, back: &Sums<'_>) -> Figure {
    let i = Indicator::Reciprocity;
    let (v_out, v_back) = (from_units(out.v), from_units(back.v));
    let n = out.v_n + back.v_n;
    let mut evidence: Vec<String> = out.v_ids.iter().chain(&back.v_ids).map(|s| (*s).to_owned()).collect();
    evidence.sort();
    evidence.dedup();
    let total = from_units(out.v + back.v);
    if n < MIN_N || total <= 0.0 {
        return Figure { indicator: i, status: Status::TooFew, value: None, n, k: 0.0, interval: None, note: Some(too_few(n)), evidence, evidence_total: None };
    }
    let p = v_out / total;
    let r = |p: f64| 1.0 - (2.0 * p - 1.0).abs();
    let interval = wilson(p * n as f64, n as f64, Z95).map(|(lo, hi)| {
        let (a, b) = (r(lo), r(hi));
        [a.min(b), if lo <= 0.5 && hi >= 0.5 { 1.0 } else { a.max(b) }]
    });
    Figure { indicator: i, status: Status::Measured, value: Some(r(p)), n, k: v_out, interval, note: Some(format!("quality-weighted: {v_out:.2} given, {v_back:.2} received")), evidence, evidence_total: None }
}

fn proportion(i: Indicator, share: &Share<'_>, note: Option<&str>) -> Figure {
    let (k, n) = (share.k, share.n);
    let mut evidence: Vec<String> = share.ids.iter().map(|s| (*s).to_owned()).collect();
    evidence.sort();
    if n < MIN_N {
        return Figure { indicator: i, status: Status::TooFew, value: None, n, k: k as f64, interval: None, note: Some(too_few(n)), evidence, evidence_total: None };
    }
    let value = k as f64 / n as f64;
    let interval = wilson(k as f64, n as f64, Z95).map(|(lo, hi)| [lo, hi]);
    Figure { indicator: i, status: Status::Measured, value: Some(value), n, k: k as f64, interval, note: note.map(str::to_owned), evidence, evidence_total: None }
}

fn too_few(n: u64) -> String {
    format!("too few: n = {n}, fewer than {MIN_N}")
}

fn absent(i: Indicator, why: &str) -> Figure {
    Figure { indicator: i, status: Status::Absent, value: None, n: 0, k: 0.0, interval: None, note: Some(why.to_owned()), evidence: Vec::new(), evidence_total: None }
}

/// The weighted geometric mean of the measured figures (weight > 0).
pub(crate) fn composite(figures: &[Figure], weights: &BTreeMap<Indicator, f64>) -> Composite {
    let mut values = Vec::new();
    let (mut lows, mut highs) = (Vec::new(), Vec::new());
    let mut over = Vec::new();
    for f in figures {
        let (Some(v), Some(&w)) = (f.value, weights.get(&f.indicator)) else { continue };
        if f.status != Status::Measured || w <= 0.0 {
            continue;
        }
        over.push(f.indicator);
        values.push((v, w));
        let [lo, hi] = f.interval.unwrap_or([v, v]);
        lows.push((lo, w));
        highs.push((hi, w));
    }
    let value = geometric_mean(&values);
    let interval = value.and_then(|_| Some([geometric_mean(&lows)?, geometric_mean(&highs)?]));
    Composite { value, interval, over }
}

/// B's trust in A: beta reputation over B's confirmations (sightings) and
/// A's kept checks (owed to B or to all) against B's false positives and
/// A's failed checks, each weighted `0.5^(age / window)`. The reactions'
/// part is the group's sums (`out`).
fn trust(ctx: &Ctx<'_>, a: &str, b: &str, out: &Sums<'_>) -> Trust {
    let (mut pos, mut neg, mut events) = (out.pos, out.neg, out.events);
    let at = ctx.e.at;
    let half = ctx.e.window;
    for c in ctx.checks.iter().filter(|c| c.party == a && c.towards.as_deref().is_none_or(|t| t == b)) {
        let w = units(decay(at - c.at, half));
        if c.ok {
            pos += w;
        } else {
            neg += w;
        }
        events += 1;
    }
    let (pos, neg) = (from_units(pos), from_units(neg));
    Trust { value: beta_expectation(pos, neg), positive: pos, negative: neg, events }
}
