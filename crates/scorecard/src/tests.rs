//! The formulas against small worlds written out here, values worked by
//! hand in the comments; property tests of the bounds and monotonicity.

use std::collections::BTreeMap;

use proptest::prelude::*;

use crate::stats::{beta_expectation, decay, geometric_mean, wilson, Z95};
use crate::{compute, Burden, Check, Evidence, Indicator, ReactionKind, Reaction, Release, Status, DAY};

const H: i64 = DAY / 24;

fn world() -> Evidence {
    // Now is day 100; the window is 90 days: (day 10, day 100].
    Evidence { parties: vec!["A".into(), "B".into(), "C".into()], at: 100 * DAY, window: 90 * DAY, ..Evidence::default() }
}

fn release(id: &str, from: &str, to: &str, created: i64) -> Release {
    Release { id: id.into(), author: from.into(), recipient: to.into(), created, arrived: None, quality: 1.0, novel: None, exercise: false }
}

fn reaction(id: &str, by: &str, of: &str, at: i64, kind: ReactionKind) -> Reaction {
    Reaction { id: id.into(), by: by.into(), of: of.into(), at, kind, exercise: false }
}

fn check(i: Indicator, party: &str, towards: Option<&str>, id: &str, at: i64, ok: bool) -> Check {
    Check { indicator: i, party: party.into(), towards: towards.map(Into::into), id: id.into(), at, ok, exercise: false }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-4
}

#[test]
fn wilson_matches_the_published_values() {
    // 3 of 5 at 95 %: p = 0.6, z² = 3.8415, 1 + z²/n = 1.7683,
    // centre = (0.6 + 0.38415) / 1.7683 = 0.55655,
    // half = 1.95996 / 1.7683 · √(0.048 + 0.038415) = 0.32583,
    // so [0.2307, 0.8824].
    let (lo, hi) = wilson(3.0, 5.0, Z95).unwrap();
    assert!(close(lo, 0.2307) && close(hi, 0.8824), "{lo} {hi}");
    // 0 of 10: [0, z²/(n + z²)] = [0, 3.8415 / 13.8415] = [0, 0.2775].
    let (lo, hi) = wilson(0.0, 10.0, Z95).unwrap();
    assert!(close(lo, 0.0) && close(hi, 0.2775), "{lo} {hi}");
    assert_eq!(wilson(0.0, 0.0, Z95), None);
}

#[test]
fn reciprocity_weighs_quality_both_ways_in_the_window() {
    let mut e = world();
    for i in 0..6 {
        e.releases.push(release(&format!("ab{i}"), "A", "B", (20 + i) * DAY));
    }
    e.releases.push(release("ba0", "B", "A", 30 * DAY));
    e.releases.push(release("ba1", "B", "A", 31 * DAY));
    let mut half = release("ba2", "B", "A", 32 * DAY);
    half.quality = 0.5;
    e.releases.push(half);
    // Before the window: not counted.
    e.releases.push(release("old", "B", "A", 5 * DAY));
    let s = compute(&e);
    // V_ab = 6, V_ba = 1 + 1 + 0.5 = 2.5: 1 − 3.5 / 8.5 = 0.588235; n = 9.
    for (a, b) in [("A", "B"), ("B", "A")] {
        let f = s.pair_figure(a, b, Indicator::Reciprocity).unwrap();
        assert_eq!((f.status, f.n), (Status::Measured, 9));
        assert!(close(f.value.unwrap(), 0.588_235), "{f:?}");
        let [lo, hi] = f.interval.unwrap();
        assert!(lo <= f.value.unwrap() && f.value.unwrap() <= hi);
        assert!(!f.evidence.contains(&"old".to_owned()));
    }
    // A and C exchanged nothing: too few, no number.
    let f = s.pair_figure("A", "C", Indicator::Reciprocity).unwrap();
    assert_eq!((f.status, f.value, f.n), (Status::TooFew, None, 0));
}

#[test]
fn timeliness_counts_arrivals_within_the_service_level() {
    let mut e = world();
    e.service_level = Some(DAY);
    // Delays 1 h, 23 h, 24 h (at the limit: in time), 25 h, 72 h: 3 of 5 = 0.6.
    for (i, d) in [H, 23 * H, 24 * H, 25 * H, 72 * H].into_iter().enumerate() {
        let mut r = release(&format!("r{i}"), "A", "B", 50 * DAY);
        r.arrived = Some(50 * DAY + d);
        e.releases.push(r);
    }
    let s = compute(&e);
    let f = s.pair_figure("A", "B", Indicator::Timeliness).unwrap();
    assert_eq!((f.n, f.k), (5, 3.0));
    assert!(close(f.value.unwrap(), 0.6));
    let [lo, hi] = f.interval.unwrap();
    assert!(close(lo, 0.2307) && close(hi, 0.8824));
    // Seen from before the last arrived, it had not arrived: not counted.
    let mut earlier = e.clone();
    earlier.at = 50 * DAY + 48 * H;
    let f = compute(&earlier).pair_figure("A", "B", Indicator::Timeliness).unwrap().clone();
    assert_eq!((f.n, f.k), (4, 3.0));
    // Without a service level the figure is absent, not invented.
    e.service_level = None;
    assert_eq!(compute(&e).pair_figure("A", "B", Indicator::Timeliness).unwrap().status, Status::Absent);
    // Without arrival times (the author's node): absent, saying why.
    e.service_level = Some(DAY);
    for r in &mut e.releases {
        r.arrived = None;
    }
    let f = compute(&e).pair_figure("A", "B", Indicator::Timeliness).unwrap().clone();
    assert_eq!((f.status, f.value), (Status::Absent, None));
    assert!(f.note.unwrap().contains("recipient's node"));
}

#[test]
fn actionability_counts_objects_the_recipient_sighted() {
    let mut e = world();
    for i in 0..5 {
        e.releases.push(release(&format!("r{i}"), "A", "B", 50 * DAY));
    }
    e.reactions.push(reaction("s1", "B", "r0", 51 * DAY, ReactionKind::Sighting));
    e.reactions.push(reaction("s2", "B", "r0", 52 * DAY, ReactionKind::Sighting));
    e.reactions.push(reaction("s3", "B", "r1", 53 * DAY, ReactionKind::Sighting));
    // A's own sighting, C's, B's note and a sighting after `at`: none counts.
    e.reactions.push(reaction("s4", "A", "r2", 51 * DAY, ReactionKind::Sighting));
    e.reactions.push(reaction("s5", "C", "r3", 51 * DAY, ReactionKind::Sighting));
    e.reactions.push(reaction("n1", "B", "r4", 51 * DAY, ReactionKind::Note));
    e.reactions.push(reaction("s6", "B", "r4", 101 * DAY, ReactionKind::Sighting));
    // r0 and r1 of 5: 0.4.
    let f = compute(&e).pair_figure("A", "B", Indicator::Actionability).unwrap().clone();
    assert_eq!((f.n, f.k), (5, 2.0));
    assert!(close(f.value.unwrap(), 0.4));
}

#[test]
fn accuracy_is_one_minus_the_false_positive_share() {
    let mut e = world();
    e.releases.push(release("x", "A", "B", 5 * DAY)); // released before the window: its sightings still count
    e.releases.push(release("y", "A", "B", 50 * DAY));
    for (i, of) in ["x", "x", "y", "y"].iter().enumerate() {
        e.reactions.push(reaction(&format!("s{i}"), "B", of, 60 * DAY, ReactionKind::Sighting));
    }
    e.reactions.push(reaction("fp", "B", "y", 61 * DAY, ReactionKind::FalsePositive));
    e.reactions.push(reaction("fp-old", "B", "y", 9 * DAY, ReactionKind::FalsePositive)); // before the window
    // 4 sightings, 1 false positive: 1 − 1/5 = 0.8.
    let s = compute(&e);
    let f = s.pair_figure("A", "B", Indicator::Accuracy).unwrap();
    assert_eq!((f.n, f.k), (5, 4.0));
    assert!(close(f.value.unwrap(), 0.8));
    assert!(f.evidence.contains(&"fp".to_owned()) && !f.evidence.contains(&"fp-old".to_owned()));
    // The party row pools every recipient: the same here.
    assert!(close(s.party_figure("A", Indicator::Accuracy).unwrap().value.unwrap(), 0.8));
}

#[test]
fn novelty_counts_what_the_recipient_learned_first_here() {
    let mut e = world();
    for (i, n) in [Some(true), Some(true), Some(false), Some(true), Some(false), None].into_iter().enumerate() {
        let mut r = release(&format!("r{i}"), "A", "B", 50 * DAY);
        r.novel = n;
        e.releases.push(r);
    }
    // Five known, three novel: 0.6; the unknown one is not counted.
    let f = compute(&e).pair_figure("A", "B", Indicator::Novelty).unwrap().clone();
    assert_eq!((f.n, f.k), (5, 3.0));
    assert!(close(f.value.unwrap(), 0.6));
    assert!(!f.evidence.contains(&"r5".to_owned()));
}

#[test]
fn feedback_counts_answers_within_fourteen_days_of_creation() {
    let mut e = world();
    let mut r6 = release("r6", "A", "B", 40 * DAY);
    r6.arrived = Some(45 * DAY);
    e.releases.extend([
        release("r1", "A", "B", 50 * DAY), // note on day 55: answered
        release("r2", "A", "B", 50 * DAY), // opinion on day 70: late
        release("r3", "A", "B", 60 * DAY), // unanswered, 14 days over: counted, not answered
        release("r4", "A", "B", 95 * DAY), // unanswered, inside its 14 days: not counted yet
        release("r5", "A", "B", 95 * DAY), // sighting on day 96: answered
        r6,                                // arrived day 45, answered day 52: counted from created (day 40), in time
        release("r7", "A", "B", 80 * DAY), // answered by C, not B: not answered
    ]);
    e.reactions.extend([
        reaction("n1", "B", "r1", 55 * DAY, ReactionKind::Note),
        reaction("o2", "B", "r2", 70 * DAY, ReactionKind::Opinion),
        reaction("s5", "B", "r5", 96 * DAY, ReactionKind::Sighting),
        reaction("o6", "B", "r6", 52 * DAY, ReactionKind::Opinion),
        reaction("c7", "C", "r7", 81 * DAY, ReactionKind::Note),
    ]);
    // Counted: r1 r2 r3 r5 r6 r7 (6); answered: r1 r5 r6 (3): 0.5.
    let f = compute(&e).pair_figure("A", "B", Indicator::Feedback).unwrap().clone();
    assert_eq!((f.n, f.k), (6, 3.0));
    assert!(close(f.value.unwrap(), 0.5));
    assert!(!f.evidence.contains(&"r4".to_owned()));
}

#[test]
fn check_indicators_count_kept_checks_per_party_and_per_pair() {
    let mut e = world();
    // Compliance of A: 10 decisions in the window, one a violation: 0.9.
    for i in 0..10 {
        e.checks.push(check(Indicator::Compliance, "A", if i < 2 { Some("B") } else { None }, &format!("d{i}"), 50 * DAY, i != 3));
    }
    e.checks.push(check(Indicator::Compliance, "A", None, "old", 5 * DAY, false)); // before the window
    let s = compute(&e);
    let f = s.party_figure("A", Indicator::Compliance).unwrap();
    assert_eq!((f.n, f.k), (10, 9.0));
    assert!(close(f.value.unwrap(), 0.9));
    // Two of them were owed to B: too few for the pair.
    let f = s.pair_figure("A", "B", Indicator::Compliance).unwrap();
    assert_eq!((f.status, f.n, f.value), (Status::TooFew, 2, None));
    // Nothing for C: too few (n = 0), never a number.
    assert_eq!(s.party_figure("C", Indicator::Compliance).unwrap().status, Status::TooFew);
}

#[test]
fn burden_takes_the_latest_year_capped_at_one_and_absent_sources_say_so() {
    let mut e = world();
    let b = |p: &str, year, ratio| Burden { party: p.into(), year, ratio, n: 3, evidence: vec![format!("{p}{year}")] };
    e.burden = vec![b("A", 2025, 1.3), b("A", 2026, 0.8), b("B", 2026, 1.2)];
    e.absent.insert(Indicator::Crisis, "the crisis module is not in this build".into());
    let s = compute(&e);
    assert!(close(s.party_figure("A", Indicator::Burden).unwrap().value.unwrap(), 0.8));
    assert!(close(s.party_figure("B", Indicator::Burden).unwrap().value.unwrap(), 1.0));
    assert_eq!(s.pair_figure("A", "B", Indicator::Burden).unwrap().status, Status::Absent);
    let f = s.party_figure("A", Indicator::Crisis).unwrap();
    assert_eq!((f.status, f.value), (Status::Absent, None));
    assert_eq!(f.note.as_deref(), Some("the crisis module is not in this build"));
}

#[test]
fn the_composite_is_the_weighted_geometric_mean_of_measured_figures() {
    // √(0.25 · 1) = 0.5; with weights 2 and 1: 0.25^(2/3) = 0.39685.
    assert!(close(geometric_mean(&[(0.25, 1.0), (1.0, 1.0)]).unwrap(), 0.5));
    assert!(close(geometric_mean(&[(0.25, 2.0), (1.0, 1.0)]).unwrap(), 0.396_85));
    // One indicator at 0 sinks it; weight 0 leaves it out.
    assert_eq!(geometric_mean(&[(0.0, 1.0), (1.0, 1.0)]), Some(0.0));
    assert_eq!(geometric_mean(&[(0.0, 0.0), (0.5, 1.0)]), Some(0.5));
    assert_eq!(geometric_mean(&[]), None);
    // In a scorecard: compliance 0.9 (10 checks) and objectives 0.4 (5
    // checks), objectives weighing 3 and the rest 0 apart from compliance 1:
    // 0.9^(1/4) · 0.4^(3/4) = 0.97400 · 0.50297 = 0.48990.
    let mut e = world();
    for i in 0..10 {
        e.checks.push(check(Indicator::Compliance, "A", None, &format!("d{i}"), 50 * DAY, i != 0));
    }
    for i in 0..5 {
        e.checks.push(check(Indicator::Objectives, "A", None, &format!("k{i}"), 50 * DAY, i < 2));
    }
    e.weights = BTreeMap::from([(Indicator::Compliance, 1.0), (Indicator::Objectives, 3.0)]);
    let s = compute(&e);
    let a = s.parties.iter().find(|p| p.party == "A").unwrap();
    assert_eq!(a.composite.over, vec![Indicator::Compliance, Indicator::Objectives]);
    assert!(close(a.composite.value.unwrap(), 0.489_90), "{:?}", a.composite);
    // C has no measured figure: no composite.
    assert_eq!(s.parties.iter().find(|p| p.party == "C").unwrap().composite.value, None);
}

#[test]
fn trust_is_a_decayed_beta_reputation() {
    let mut e = world();
    e.releases.push(release("r", "A", "B", 50 * DAY));
    // Two sightings now (2), a false positive one half-life old (0.5), a kept
    // check two half-lives old (0.25): (2.25 + 1) / (2.25 + 0.5 + 2) = 0.684211.
    e.reactions.push(reaction("s1", "B", "r", 100 * DAY, ReactionKind::Sighting));
    e.reactions.push(reaction("s2", "B", "r", 100 * DAY, ReactionKind::Sighting));
    e.reactions.push(reaction("fp", "B", "r", 10 * DAY, ReactionKind::FalsePositive));
    e.checks.push(check(Indicator::Crisis, "A", None, "ack", -80 * DAY, true));
    let s = compute(&e);
    let t = &s.pairs.iter().find(|p| p.from == "A" && p.to == "B").unwrap().trust;
    assert!(close(t.positive, 2.25) && close(t.negative, 0.5) && t.events == 4, "{t:?}");
    assert!(close(t.value, 0.684_211));
    // C has seen nothing of A's: only the kept check owed to all (0.25): 1.25 / 2.25.
    let t = &s.pairs.iter().find(|p| p.from == "A" && p.to == "C").unwrap().trust;
    assert!(close(t.value, (0.25 + 1.0) / (0.25 + 2.0)));
    assert!(close(beta_expectation(0.0, 0.0), 0.5));
}

#[test]
fn exercise_data_never_counts() {
    let mut e = world();
    for i in 0..5 {
        e.releases.push(release(&format!("r{i}"), "A", "B", 50 * DAY));
        let mut x = release(&format!("x{i}"), "A", "B", 50 * DAY);
        x.exercise = true;
        e.releases.push(x);
        let mut s = reaction(&format!("s{i}"), "B", &format!("r{i}"), 51 * DAY, ReactionKind::Sighting);
        s.exercise = true;
        e.reactions.push(s);
        let mut c = check(Indicator::Crisis, "A", None, &format!("c{i}"), 50 * DAY, true);
        c.exercise = true;
        e.checks.push(c);
    }
    let s = compute(&e);
    let f = s.pair_figure("A", "B", Indicator::Actionability).unwrap();
    // Five real releases, none sighted for real: 0 of 5.
    assert_eq!((f.n, f.value), (5, Some(0.0)));
    assert!(f.evidence.iter().all(|id| id.starts_with('r')));
    assert_eq!(s.party_figure("A", Indicator::Crisis).unwrap().n, 0);
    assert_eq!(s.exercise_set_aside, 15);
}

#[test]
fn decay_halves_each_half_life() {
    assert!(close(decay(0, DAY), 1.0));
    assert!(close(decay(2 * DAY, DAY), 0.25));
    assert_eq!(decay(-1, DAY), 0.0);
}

fn arb_evidence() -> impl Strategy<Value = Evidence> {
    let party = prop::sample::select(vec!["A", "B", "C"]);
    let rel = (0..40usize, party.clone(), party.clone(), 0..120i64, prop::option::of(0..72i64), 0.0..=1.0f64, prop::option::of(any::<bool>()), any::<bool>());
    let rea = (0..40usize, party.clone(), 0..120i64, 0..4usize);
    let chk = (0..12usize, party.clone(), prop::option::of(party), 0..120i64, any::<bool>());
    (prop::collection::vec(rel, 0..40), prop::collection::vec(rea, 0..60), prop::collection::vec(chk, 0..60), prop::option::of(1..48i64)).prop_map(|(rels, reas, chks, sl)| {
        let mut e = world();
        e.service_level = sl.map(|h| h * H);
        for (id, a, b, c, arr, q, nov, ex) in rels {
            if a == b {
                continue;
            }
            e.releases.push(Release { id: format!("o{id}"), author: a.into(), recipient: b.into(), created: c * DAY, arrived: arr.map(|h| c * DAY + h * H), quality: q, novel: nov, exercise: ex && id % 7 == 0 });
        }
        for (i, (of, by, at, k)) in reas.into_iter().enumerate() {
            let kind = [ReactionKind::Sighting, ReactionKind::FalsePositive, ReactionKind::Opinion, ReactionKind::Note][k];
            e.reactions.push(reaction(&format!("x{i}"), by, &format!("o{of}"), at * DAY, kind));
        }
        for (i, (ind, p, t, at, ok)) in chks.into_iter().enumerate() {
            let ind = [Indicator::Compliance, Indicator::Objectives, Indicator::Crisis, Indicator::Exercises, Indicator::Dialogue][ind % 5];
            e.checks.push(check(ind, p, t, &format!("c{i}"), at * DAY, ok));
        }
        e
    })
}

/// Whether two scorecards give the same figures: every status, n, k,
/// value, interval and evidence list, composite and trust (floats to 1e-12:
/// sums taken in another order). With `lists` false, `b`'s evidence lists
/// are empty. (The reference printed an empty sum of quality weights as
/// "-0.00": an empty `f64` sum is −0.)
fn same(a: &crate::Scorecard, b: &crate::Scorecard, lists: bool) -> Result<(), String> {
    let near = |x: f64, y: f64| (x - y).abs() <= 1e-12;
    let opt = |x: Option<f64>, y: Option<f64>| match (x, y) {
        (Some(x), Some(y)) => near(x, y),
        (None, None) => true,
        _ => false,
    };
    let int = |x: Option<[f64; 2]>, y: Option<[f64; 2]>| match (x, y) {
        (Some([a, b]), Some([c, d])) => near(a, c) && near(b, d),
        (None, None) => true,
        _ => false,
    };
    let figs = |row: &str, fa: &[crate::Figure], fb: &[crate::Figure]| -> Result<(), String> {
        for (x, y) in fa.iter().zip(fb) {
            let ok = x.indicator == y.indicator && x.status == y.status && x.n == y.n && near(x.k, y.k) && opt(x.value, y.value) && int(x.interval, y.interval) && x.note.as_deref().map(|n| n.replace("-0.00", "0.00")) == y.note;
            let ev = if lists { x.evidence == y.evidence } else { y.evidence.is_empty() };
            if !ok || !ev {
                return Err(format!("{row}: {x:?} against {y:?}"));
            }
        }
        Ok(())
    };
    if a.parties.len() != b.parties.len() || a.pairs.len() != b.pairs.len() || a.exercise_set_aside != b.exercise_set_aside || a.weights != b.weights {
        return Err("rows, exercise or weights differ".into());
    }
    for (x, y) in a.parties.iter().zip(&b.parties) {
        figs(&x.party, &x.figures, &y.figures)?;
        if x.party != y.party || !opt(x.composite.value, y.composite.value) || !int(x.composite.interval, y.composite.interval) || x.composite.over != y.composite.over {
            return Err(format!("{}: composite {:?} against {:?}", x.party, x.composite, y.composite));
        }
    }
    for (x, y) in a.pairs.iter().zip(&b.pairs) {
        let row = format!("{}→{}", x.from, x.to);
        figs(&row, &x.figures, &y.figures)?;
        if !opt(x.composite.value, y.composite.value) || !int(x.composite.interval, y.composite.interval) {
            return Err(format!("{row}: composite {:?} against {:?}", x.composite, y.composite));
        }
        let (s, t) = (&x.trust, &y.trust);
        if !(near(s.value, t.value) && near(s.positive, t.positive) && near(s.negative, t.negative) && s.events == t.events) {
            return Err(format!("{row}: trust {s:?} against {t:?}"));
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn the_grouped_computation_equals_the_row_by_row_formulas(e in arb_evidence()) {
        let reference = crate::reference::compute(&e);
        prop_assert_eq!(same(&reference, &compute(&e), true), Ok(()));
        prop_assert_eq!(same(&reference, &crate::compute_bare(&e), false), Ok(()));
    }

    #[test]
    fn wilson_brackets_the_proportion_and_rises_with_k(n in 1u32..500, k in 0u32..500) {
        let k = k.min(n);
        let (lo, hi) = wilson(f64::from(k), f64::from(n), Z95).unwrap();
        let p = f64::from(k) / f64::from(n);
        prop_assert!((0.0..=1.0).contains(&lo) && (0.0..=1.0).contains(&hi));
        prop_assert!(lo <= p + 1e-12 && p <= hi + 1e-12);
        if k < n {
            let (lo2, hi2) = wilson(f64::from(k + 1), f64::from(n), Z95).unwrap();
            prop_assert!(lo2 >= lo && hi2 >= hi);
        }
    }

    #[test]
    fn the_geometric_mean_is_bounded_by_the_weakest_indicator(xs in prop::collection::vec((0.0..=1.0f64, 0.01..5.0f64), 1..12)) {
        let g = geometric_mean(&xs).unwrap();
        let total: f64 = xs.iter().map(|(_, w)| w).sum();
        let min = xs.iter().map(|(x, _)| *x).fold(1.0, f64::min);
        let max = xs.iter().map(|(x, _)| *x).fold(0.0, f64::max);
        let arith: f64 = xs.iter().map(|(x, w)| x * w).sum::<f64>() / total;
        prop_assert!(min - 1e-12 <= g && g <= max + 1e-12);
        prop_assert!(g <= arith + 1e-12, "AM-GM");
        // The documented bound: G ≤ x_i^(w_i / W) for every i, since every
        // other factor is at most 1; the weakest cannot hide.
        for (x, w) in &xs {
            prop_assert!(g <= x.powf(w / total) + 1e-9);
        }
    }

    #[test]
    fn every_figure_is_in_bounds_and_no_number_without_enough_evidence(e in arb_evidence()) {
        let s = compute(&e);
        let figures = s.parties.iter().flat_map(|p| &p.figures).chain(s.pairs.iter().flat_map(|p| &p.figures));
        for f in figures {
            match f.status {
                crate::Status::Measured => {
                    let v = f.value.unwrap();
                    prop_assert!((0.0..=1.0).contains(&v), "{f:?}");
                    prop_assert!(f.n >= crate::MIN_N || f.indicator == Indicator::Burden);
                    if let Some([lo, hi]) = f.interval {
                        prop_assert!(lo <= v + 1e-9 && v <= hi + 1e-9, "{f:?}");
                    }
                }
                _ => prop_assert!(f.value.is_none()),
            }
            prop_assert!(!f.evidence.iter().any(|id| e.releases.iter().any(|r| r.exercise && &r.id == id && !e.releases.iter().any(|o| !o.exercise && o.id == r.id))));
        }
        for p in &s.pairs {
            prop_assert!(p.trust.value > 0.0 && p.trust.value < 1.0);
        }
        for c in s.parties.iter().map(|p| &p.composite).chain(s.pairs.iter().map(|p| &p.composite)) {
            if let Some(v) = c.value { prop_assert!((0.0..=1.0).contains(&v)); }
        }
    }

    #[test]
    fn keeping_a_check_never_lowers_its_figure_nor_trust(e in arb_evidence(), pick in any::<prop::sample::Index>()) {
        prop_assume!(e.checks.iter().any(|c| !c.ok));
        let failed: Vec<usize> = e.checks.iter().enumerate().filter(|(_, c)| !c.ok).map(|(i, _)| i).collect();
        let i = failed[pick.index(failed.len())];
        let mut better = e.clone();
        better.checks[i].ok = true;
        let (a, b) = (compute(&e), compute(&better));
        let c = &e.checks[i];
        let before = a.party_figure(&c.party, c.indicator).unwrap().value;
        let after = b.party_figure(&c.party, c.indicator).unwrap().value;
        if let (Some(x), Some(y)) = (before, after) { prop_assert!(y >= x); }
        for (p, q) in a.pairs.iter().zip(&b.pairs) {
            prop_assert!(q.trust.value >= p.trust.value - 1e-12);
        }
    }

    #[test]
    fn a_sighting_never_lowers_actionability(e in arb_evidence(), pick in any::<prop::sample::Index>()) {
        let real: Vec<&Release> = e.releases.iter().filter(|r| !r.exercise && r.created <= e.at).collect();
        prop_assume!(!real.is_empty());
        let r = real[pick.index(real.len())].clone();
        let mut more = e.clone();
        more.reactions.push(reaction("new", &r.recipient, &r.id, e.at, ReactionKind::Sighting));
        let (a, b) = (compute(&e), compute(&more));
        let x = a.pair_figure(&r.author, &r.recipient, Indicator::Actionability).unwrap().value;
        let y = b.pair_figure(&r.author, &r.recipient, Indicator::Actionability).unwrap().value;
        if let (Some(x), Some(y)) = (x, y) { prop_assert!(y >= x); }
    }
}

#[test]
fn changes_since_a_snapshot_say_up_down_new_and_gone() {
    // A gave B 6 objects, B sighted 4 of them: B's actionability on the
    // pair A→B is 4/6. The snapshot then said 0.5 for it, nothing for A's
    // accuracy (now measured?: no, never: stays unlisted), 0.9 for a
    // figure now too few (feedback), and had a row for a party since gone.
    let mut e = world();
    for i in 0..6 {
        e.releases.push(release(&format!("o{i}"), "A", "B", 50 * DAY));
    }
    for i in 0..4 {
        e.reactions.push(reaction(&format!("s{i}"), "B", &format!("o{i}"), 51 * DAY, ReactionKind::Sighting));
    }
    let card = compute(&e);
    let now_act = card.pair_figure("A", "B", Indicator::Actionability).and_then(|f| f.value).expect("measured");
    assert!(close(now_act, 4.0 / 6.0));
    let mut snap = serde_json::Value::Object(crate::snapshot::summary(&card));
    let pair = snap["pairs"].as_array_mut().unwrap().iter_mut().find(|p| p["from"] == "A" && p["to"] == "B").unwrap();
    pair["figures"]["actionability"] = serde_json::json!(0.5);
    pair["figures"]["feedback"] = serde_json::json!(0.9);
    // Reciprocity: a value then 0.004 away is unchanged; trust moved up from 0.1.
    let recip = pair["figures"]["reciprocity"].as_f64();
    if let Some(r) = recip {
        pair["figures"]["reciprocity"] = serde_json::json!((r - 0.004).max(0.0));
    }
    pair["trust"] = serde_json::json!(0.1);
    snap["parties"].as_array_mut().unwrap().push(serde_json::json!({ "party": "D", "composite": 0.7, "figures": { "accuracy": 0.8, "novelty": null } }));
    // And a figure measured now that the snapshot lacked: A's composite.
    let a = snap["parties"].as_array_mut().unwrap().iter_mut().find(|p| p["party"] == "A").unwrap();
    let a_composite = a["composite"].clone();
    a["composite"] = serde_json::Value::Null;

    let changes = crate::changes::changes(&card, &snap);
    let find = |row: &crate::changes::Row, figure: &str| changes.iter().find(|c| &c.row == row && c.figure == figure);
    let ab = crate::changes::Row::Pair("A".into(), "B".into());
    let act = find(&ab, "actionability").expect("actionability listed");
    assert_eq!((act.movement, act.then), (crate::changes::Movement::Up, Some(0.5)));
    let feedback_now = card.pair_figure("A", "B", Indicator::Feedback).and_then(|f| f.value);
    match feedback_now {
        None => assert_eq!(find(&ab, "feedback").map(|c| c.movement), Some(crate::changes::Movement::Gone)),
        Some(v) => assert_eq!(find(&ab, "feedback").map(|c| c.movement), Some(if v < 0.9 { crate::changes::Movement::Down } else { crate::changes::Movement::Up })),
    }
    assert!(find(&ab, "reciprocity").is_none(), "a change under the step is not listed");
    assert_eq!(find(&ab, "trust").map(|c| c.movement), Some(crate::changes::Movement::Up));
    let d = crate::changes::Row::Party("D".into());
    assert_eq!(changes.iter().filter(|c| c.row == d).map(|c| (c.figure.as_str(), c.movement)).collect::<Vec<_>>(), [("accuracy", crate::changes::Movement::Gone), ("composite", crate::changes::Movement::Gone)]);
    let a_row = crate::changes::Row::Party("A".into());
    if !a_composite.is_null() {
        assert_eq!(find(&a_row, "composite").map(|c| c.movement), Some(crate::changes::Movement::New));
    }
    // Party rows come first.
    let first_pair = changes.iter().position(|c| matches!(c.row, crate::changes::Row::Pair(..))).unwrap_or(changes.len());
    assert!(changes[first_pair..].iter().all(|c| matches!(c.row, crate::changes::Row::Pair(..))));
    // Against itself, nothing changed.
    assert!(crate::changes::changes(&card, &serde_json::Value::Object(crate::snapshot::summary(&card))).is_empty());
}
