//! The formulas as first written, row by row over every release: the
//! reference the grouped computation (`compute.rs`) is tested against
//! (same figures, n, intervals, evidence and trust on random evidence).
//! Test-only.
//!
//! A row is either a directed pair A→B (A's releases to B, B's reactions
//! to them, A's checks owed to B) or a party P (P's releases to every
//! partner, their reactions, all of P's checks). Releases and checks count
//! when dated in the window `(at − window, at]`; a release's reactions
//! count up to `at`. Exercise items are set aside before anything else.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::stats::{beta_expectation, decay, geometric_mean, wilson, Z95};
use crate::{Check, Composite, Evidence, Figure, Indicator, Pair, Party, Reaction, ReactionKind, Release, Scorecard, Status, Trust, DAY, FEEDBACK_DAYS, MIN_N};

/// Which releases and checks a row covers.
#[derive(Clone, Copy)]
enum Row<'a> {
    Pair(&'a str, &'a str),
    Party(&'a str),
}

impl Row<'_> {
    /// Whether `r` is a release by the row's party to the row's partner(s).
    fn gives(&self, r: &Release) -> bool {
        match *self {
            Row::Pair(a, b) => r.author == a && r.recipient == b,
            Row::Party(p) => r.author == p && r.recipient != p,
        }
    }

    /// Whether `r` is a release to the row's party from the row's partner(s).
    fn receives(&self, r: &Release) -> bool {
        match *self {
            Row::Pair(a, b) => r.author == b && r.recipient == a,
            Row::Party(p) => r.recipient == p && r.author != p,
        }
    }

    /// Whether `c` is a check of the row's party (owed to the partner, in a pair row).
    fn checks(&self, c: &Check) -> bool {
        match *self {
            Row::Pair(a, b) => c.party == a && c.towards.as_deref() == Some(b),
            Row::Party(p) => c.party == p,
        }
    }
}

/// What every row reads, exercise items set aside.
struct Ctx<'a> {
    e: &'a Evidence,
    releases: Vec<&'a Release>,
    checks: Vec<&'a Check>,
    /// Reactions by (object, author), up to `at`.
    reactions: HashMap<(&'a str, &'a str), Vec<&'a Reaction>>,
}

impl Ctx<'_> {
    fn in_window(&self, t: i64) -> bool {
        t > self.e.at - self.e.window && t <= self.e.at
    }
}

/// The scorecard of `e`.
pub(crate) fn compute(e: &Evidence) -> Scorecard {
    let mut set_aside = 0u64;
    let mut keep = |exercise: bool| {
        set_aside += u64::from(exercise);
        !exercise
    };
    // What had not been made, or had not arrived, by `at` does not count yet.
    let releases: Vec<&Release> = e.releases.iter().filter(|r| keep(r.exercise) && r.created <= e.at && r.arrived.is_none_or(|a| a <= e.at)).collect();
    let checks: Vec<&Check> = e.checks.iter().filter(|c| keep(c.exercise) && c.at <= e.at).collect();
    let mut reactions: HashMap<(&str, &str), Vec<&Reaction>> = HashMap::new();
    for r in &e.reactions {
        if keep(r.exercise) && r.at <= e.at {
            reactions.entry((r.of.as_str(), r.by.as_str())).or_default().push(r);
        }
    }
    let ctx = Ctx { e, releases, checks, reactions };
    let weights: BTreeMap<Indicator, f64> = Indicator::ALL
        .into_iter()
        .map(|i| (i, if e.weights.is_empty() { 1.0 } else { e.weights.get(&i).copied().filter(|w| w.is_finite() && *w > 0.0).unwrap_or(0.0) }))
        .collect();
    let parties = e
        .parties
        .iter()
        .map(|p| {
            let figures = figures(&ctx, Row::Party(p));
            Party { party: p.clone(), composite: composite(&figures, &weights), figures }
        })
        .collect();
    let mut pairs = Vec::new();
    for a in &e.parties {
        for b in &e.parties {
            if a == b {
                continue;
            }
            let figures = figures(&ctx, Row::Pair(a, b));
            pairs.push(Pair { from: a.clone(), to: b.clone(), composite: composite(&figures, &weights), trust: trust(&ctx, a, b), figures });
        }
    }
    Scorecard { at: e.at, window_days: e.window / DAY, weights, parties, pairs, exercise_set_aside: set_aside }
}

fn figures(ctx: &Ctx<'_>, row: Row<'_>) -> Vec<Figure> {
    Indicator::ALL
        .into_iter()
        .map(|i| match ctx.e.absent.get(&i) {
            Some(why) => absent(i, why),
            None => figure(ctx, row, i),
        })
        .collect()
}

fn figure(ctx: &Ctx<'_>, row: Row<'_>, i: Indicator) -> Figure {
    let all_out: Vec<&Release> = ctx.releases.iter().copied().filter(|r| row.gives(r)).collect();
    let out: Vec<&Release> = all_out.iter().copied().filter(|r| ctx.in_window(r.created)).collect();
    let answered = |r: &Release, kinds: &[ReactionKind], by: Option<i64>| {
        ctx.reactions.get(&(r.id.as_str(), r.recipient.as_str())).is_some_and(|v| v.iter().any(|x| kinds.contains(&x.kind) && by.is_none_or(|t| x.at <= t)))
    };
    match i {
        Indicator::Reciprocity => {
            let back: Vec<&Release> = ctx.releases.iter().copied().filter(|r| row.receives(r) && ctx.in_window(r.created)).collect();
            reciprocity(&out, &back)
        }
        Indicator::Timeliness => {
            let Some(sl) = ctx.e.service_level else { return absent(i, "the agreement states no release service level") };
            let known: Vec<&Release> = out.iter().copied().filter(|r| r.arrived.is_some()).collect();
            if known.is_empty() && !out.is_empty() {
                return absent(i, "arrival times are known only on the recipient's node");
            }
            let k = known.iter().filter(|r| r.arrived.is_some_and(|t| t - r.created <= sl)).count();
            proportion(i, k as u64, &ids(&known), None)
        }
        Indicator::Actionability => {
            let k = out.iter().filter(|r| answered(r, &[ReactionKind::Sighting], None)).count();
            proportion(i, k as u64, &ids(&out), None)
        }
        Indicator::Accuracy => {
            let given: HashSet<(&str, &str)> = all_out.iter().map(|r| (r.id.as_str(), r.recipient.as_str())).collect();
            let mut counted: Vec<&Reaction> = Vec::new();
            for key in &given {
                for x in ctx.reactions.get(key).into_iter().flatten() {
                    if matches!(x.kind, ReactionKind::Sighting | ReactionKind::FalsePositive) && ctx.in_window(x.at) {
                        counted.push(x);
                    }
                }
            }
            let k = counted.iter().filter(|x| x.kind == ReactionKind::Sighting).count();
            let evidence: Vec<String> = counted.iter().map(|x| x.id.clone()).collect();
            proportion(i, k as u64, &evidence, None)
        }
        Indicator::Novelty => {
            let known: Vec<&Release> = out.iter().copied().filter(|r| r.novel.is_some()).collect();
            if known.is_empty() && !out.is_empty() {
                return absent(i, "what a recipient held before is known only on the recipient's node");
            }
            let k = known.iter().filter(|r| r.novel == Some(true)).count();
            proportion(i, k as u64, &ids(&known), None)
        }
        Indicator::Feedback => {
            let all = [ReactionKind::Sighting, ReactionKind::FalsePositive, ReactionKind::Opinion, ReactionKind::Note];
            let mut considered = Vec::new();
            let mut k = 0u64;
            for r in &out {
                // From `created`, the signed time, not arrival: every node
                // holding the same evidence computes the same figure.
                let deadline = r.created + FEEDBACK_DAYS * DAY;
                if answered(r, &all, Some(deadline)) {
                    k += 1;
                    considered.push(*r);
                } else if deadline <= ctx.e.at {
                    considered.push(*r);
                }
            }
            proportion(i, k, &ids(&considered), Some("objects still inside their 14 days and unanswered are not counted yet"))
        }
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
                    evidence: b.evidence.clone(),
                    evidence_total: None,
                },
            },
        },
        _ => {
            let counted: Vec<&Check> = ctx.checks.iter().copied().filter(|c| c.indicator == i && row.checks(c) && ctx.in_window(c.at)).collect();
            let k = counted.iter().filter(|c| c.ok).count();
            let evidence: Vec<String> = counted.iter().map(|c| c.id.clone()).collect();
            proportion(i, k as u64, &evidence, None)
        }
    }
}

/// `1 − |V_out − V_back| / (V_out + V_back)`, V the quality-weighted count;
/// its interval is the image of the Wilson interval of `p = V_out / V`
/// (with n the releases both ways) under `1 − |2p − 1|`.
fn reciprocity(out: &[&Release], back: &[&Release]) -> Figure {
    let i = Indicator::Reciprocity;
    let v_out: f64 = out.iter().map(|r| r.quality.clamp(0.0, 1.0)).sum();
    let v_back: f64 = back.iter().map(|r| r.quality.clamp(0.0, 1.0)).sum();
    let n = (out.len() + back.len()) as u64;
    let mut evidence: Vec<String> = out.iter().chain(back).map(|r| r.id.clone()).collect();
    evidence.sort();
    evidence.dedup();
    let total = v_out + v_back;
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

fn proportion(i: Indicator, k: u64, evidence: &[String], note: Option<&str>) -> Figure {
    let n = evidence.len() as u64;
    let mut evidence = evidence.to_vec();
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

fn ids(releases: &[&Release]) -> Vec<String> {
    releases.iter().map(|r| r.id.clone()).collect()
}

/// The weighted geometric mean of the measured figures (weight > 0).
fn composite(figures: &[Figure], weights: &BTreeMap<Indicator, f64>) -> Composite {
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
/// A's failed checks, each weighted `0.5^(age / window)`.
fn trust(ctx: &Ctx<'_>, a: &str, b: &str) -> Trust {
    let (mut pos, mut neg, mut events) = (0.0, 0.0, 0u64);
    let at = ctx.e.at;
    let half = ctx.e.window;
    let mut seen = BTreeSet::new();
    for r in ctx.releases.iter().filter(|r| r.author == a && r.recipient == b) {
        if !seen.insert(r.id.as_str()) {
            continue;
        }
        for x in ctx.reactions.get(&(r.id.as_str(), b)).into_iter().flatten() {
            match x.kind {
                ReactionKind::Sighting => pos += decay(at - x.at, half),
                ReactionKind::FalsePositive => neg += decay(at - x.at, half),
                _ => continue,
            }
            events += 1;
        }
    }
    for c in ctx.checks.iter().filter(|c| c.party == a && c.towards.as_deref().is_none_or(|t| t == b)) {
        let w = decay(at - c.at, half);
        if c.ok {
            pos += w;
        } else {
            neg += w;
        }
        events += 1;
    }
    Trust { value: beta_expectation(pos, neg), positive: pos, negative: neg, events }
}
