//! Unit tests of the formulas in [`crate::rules`], each checked against a
//! plain second computation of the same rule, and property tests of their
//! bounds.

use model::Timestamp;
use proptest::prelude::*;

use crate::rules::{expected, kpi_status, objective_status, progress, weighted_mean, Status, TOLERANCE};

/// The progress rule written out case by case, as a reader would apply it.
fn plain_progress(baseline: f64, target: f64, x: f64) -> f64 {
    if target > baseline {
        if x <= baseline {
            0.0
        } else if x >= target {
            1.0
        } else {
            (x - baseline) / (target - baseline)
        }
    } else if x >= baseline {
        0.0
    } else if x <= target {
        1.0
    } else {
        (baseline - x) / (baseline - target)
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()))
}

fn at(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

#[test]
fn progress_examples() {
    // Exercises per year, 1 → 4: at 2, a third of the way.
    assert!(close(progress(1.0, 4.0, 2.0), 1.0 / 3.0));
    // Hours to share, 12 → 4 (decrease): at 6, three quarters of the way.
    assert_eq!(progress(12.0, 4.0, 6.0), 0.75);
    // Beyond the target counts as met, behind the baseline as nothing.
    assert_eq!(progress(12.0, 4.0, 2.0), 1.0);
    assert_eq!(progress(12.0, 4.0, 20.0), 0.0);
    assert_eq!(progress(1.0, 4.0, 4.0), 1.0);
    assert_eq!(progress(0.0, 0.0, 1.0), 0.0, "a zero span (never valid) is no progress, not NaN");
}

#[test]
fn weighted_mean_examples() {
    assert_eq!(weighted_mean(&[]), 0.0);
    assert!(close(weighted_mean(&[(1.0, 0.5), (3.0, 1.0)]), 0.875));
    assert!(close(weighted_mean(&[(2.0, 0.2), (2.0, 0.4)]), 0.3));
}

#[test]
fn expected_grows_linearly_from_start_to_due() {
    let (start, due) = (at("2026-01-01T00:00:00Z"), at("2026-01-11T00:00:00Z"));
    assert_eq!(expected(&start, &due, &at("2025-12-01T00:00:00Z")), 0.0);
    assert_eq!(expected(&start, &due, &at("2026-01-01T00:00:00Z")), 0.0);
    assert!(close(expected(&start, &due, &at("2026-01-03T12:00:00Z")), 0.25));
    assert_eq!(expected(&start, &due, &due), 1.0);
    assert_eq!(expected(&start, &due, &at("2027-01-01T00:00:00Z")), 1.0);
    assert_eq!(expected(&start, &start, &start), 1.0, "due at its creation: expected in full at once");
}

#[test]
fn kpi_status_follows_the_rule() {
    let due = at("2026-12-31T00:00:00Z");
    let before = at("2026-06-01T00:00:00Z");
    let after = at("2027-01-01T00:00:00Z");
    let cases = [
        (1.0, 0.5, &before, Status::Met),
        (1.0, 1.0, &after, Status::Met),
        (0.99, 1.0, &after, Status::Late),
        (0.5, 0.5, &before, Status::OnTrack),
        (0.5 - TOLERANCE, 0.5, &before, Status::OnTrack),
        (0.39, 0.5, &before, Status::AtRisk),
        (0.0, 0.05, &before, Status::OnTrack),
    ];
    for (p, e, now, want) in cases {
        assert_eq!(kpi_status(p, e, now, &due), want, "p={p} expected={e} now={now}");
    }
    assert_eq!(objective_status([Status::Met, Status::Met]), Status::Met);
    assert_eq!(objective_status([Status::Met, Status::OnTrack]), Status::OnTrack);
    assert_eq!(objective_status([Status::OnTrack, Status::AtRisk, Status::Met]), Status::AtRisk);
    assert_eq!(objective_status([Status::AtRisk, Status::Late]), Status::Late);
}

/// A baseline and a different target, in either direction.
fn kpi() -> impl Strategy<Value = (f64, f64)> {
    (-1e6f64..1e6, -1e6f64..1e6).prop_filter("target ≠ baseline", |(b, t)| b != t)
}

proptest! {
    #[test]
    fn progress_is_in_0_1_and_equals_the_plain_rule((b, t) in kpi(), x in -2e6f64..2e6) {
        let p = progress(b, t, x);
        prop_assert!((0.0..=1.0).contains(&p), "{p}");
        prop_assert!(close(p, plain_progress(b, t, x)), "{p} vs {}", plain_progress(b, t, x));
    }

    #[test]
    fn progress_is_monotone_in_the_kpis_direction((b, t) in kpi(), x in -2e6f64..2e6, dx in 0f64..1e6) {
        let (p, q) = (progress(b, t, x), progress(b, t, x + dx));
        if t > b {
            prop_assert!(q >= p, "increase: {p} at {x}, {q} at {}", x + dx);
        } else {
            prop_assert!(q <= p, "decrease: {p} at {x}, {q} at {}", x + dx);
        }
    }

    #[test]
    fn the_weighted_mean_lies_between_the_least_and_greatest_progress(parts in proptest::collection::vec((0.001f64..100.0, 0f64..=1.0), 1..20)) {
        let m = weighted_mean(&parts);
        let lo = parts.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
        let hi = parts.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
        prop_assert!(lo <= m && m <= hi, "{lo} ≤ {m} ≤ {hi}");
        // The plain computation: normalise the weights first.
        let total: f64 = parts.iter().map(|p| p.0).sum();
        let plain: f64 = parts.iter().map(|(w, p)| (w / total) * p).sum();
        prop_assert!(close(m, plain), "{m} vs {plain}");
    }

    #[test]
    fn expected_is_monotone_in_time(start in 0i64..1_000_000, span in 0i64..1_000_000, a in -10i64..3_000_000, d in 0i64..1_000_000) {
        let t = |m: i64| Timestamp::from_micros(1_700_000_000_000_000 + m * 1_000_000);
        let (s, due) = (t(start), t(start + span));
        let (e1, e2) = (expected(&s, &due, &t(a)), expected(&s, &due, &t(a + d)));
        prop_assert!((0.0..=1.0).contains(&e1) && e1 <= e2, "{e1} then {e2}");
    }
}
