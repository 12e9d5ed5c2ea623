//! Unit tests of the burden-sharing formulas in [`crate::shares`]: small
//! examples worked by hand (the working is in the comments), each formula
//! checked against a plain second computation, and property tests of the
//! keys (shares sum to 1, stay within the floor and ceiling, do not depend
//! on the order of the parties).

use proptest::prelude::*;

use crate::rules::cents;
use crate::shares::{blend, capped, equal, fair_share_ratio, fixed, gini, proportional, ranks, spearman, un_scale, water_fill};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * (1.0 + a.abs().max(b.abs()))
}

fn all_close(got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
    for (g, w) in got.iter().zip(want) {
        assert!(close(*g, *w), "{got:?} vs {want:?}");
    }
}

#[test]
fn the_simple_keys_by_hand() {
    all_close(&equal(4), &[0.25; 4]);
    // GNI 600, 300, 100 of 1000.
    all_close(&proportional(&[600.0, 300.0, 100.0]).unwrap(), &[0.6, 0.3, 0.1]);
    // α = 0.5: (1/3 + 0.6)/2 = 0.4666…, (1/3 + 0.3)/2 = 0.31666…, (1/3 + 0.1)/2 = 0.21666…
    all_close(&blend(0.5, &[600.0, 300.0, 100.0]).unwrap(), &[(1.0 / 3.0 + 0.6) / 2.0, (1.0 / 3.0 + 0.3) / 2.0, (1.0 / 3.0 + 0.1) / 2.0]);
    all_close(&fixed(&[0.5, 0.3, 0.2]).unwrap(), &[0.5, 0.3, 0.2]);
    assert!(fixed(&[0.5, 0.3, 0.3]).is_err(), "fixed shares must sum to 1");
    assert!(proportional(&[1.0, -1.0]).is_err(), "a negative weight is refused");
    assert!(proportional(&[0.0, 0.0]).is_err(), "weights summing to 0 are refused");
    assert!(blend(1.5, &[1.0, 1.0]).is_err());
}

/// The UN-scale-style key on four parties, worked by hand:
///
/// ```text
///        GNI   pop   per capita   base share
///   A    600    10       60          0.60
///   B    300    10       30          0.30
///   C     80    20        4          0.08
///   D     20    10        2          0.02
///       1000    50   threshold T = 1000/50 = 20
/// ```
///
/// Low per-capita income adjustment, gradient 0.8, for C and D (below 20):
/// C loses 0.08·0.8·(1 − 4/20) = 0.0512 → 0.0288; D loses 0.02·0.8·(1 −
/// 2/20) = 0.0144 → 0.0056. The 0.0656 lost goes to A and B pro rata
/// (0.6 : 0.3): A 0.6 + 0.0656·2/3 = 0.64373…, B 0.3 + 0.0656/3 =
/// 0.9656/3 = 0.32186….
///
/// Ceiling 0.5, floor 0.01: A is held at 0.5, D raised to 0.01; the
/// 0.49 left goes to B and C in proportion 0.9656/3 : 0.0288 (= 0.9656 :
/// 0.0864, sum 1.052): B = 0.49·0.9656/1.052 = 0.473144/1.052 = 0.44976…,
/// C = 0.49·0.0864/1.052 = 0.042336/1.052 = 0.04024…; both inside the bounds.
#[test]
fn the_un_scale_adjustment_and_ceiling_by_hand() {
    let gni = [600.0, 300.0, 80.0, 20.0];
    let pop = [10.0, 10.0, 20.0, 10.0];
    // Without floor and ceiling: the adjustment alone.
    let adjusted = un_scale(&gni, &pop, 0.8, 0.0, 1.0).unwrap();
    all_close(&adjusted, &[0.6 + 0.0656 * 2.0 / 3.0, 0.9656 / 3.0, 0.0288, 0.0056]);
    let shares = un_scale(&gni, &pop, 0.8, 0.01, 0.5).unwrap();
    all_close(&shares, &[0.5, 0.473144 / 1.052, 0.042336 / 1.052, 0.01]);
    // A gradient of 0 is the plain GNI key.
    all_close(&un_scale(&gni, &pop, 0.0, 0.0, 1.0).unwrap(), &[0.6, 0.3, 0.08, 0.02]);
    // A ceiling too low for the parties to reach 1, a floor too high: refused.
    assert!(un_scale(&gni, &pop, 0.8, 0.0, 0.2).is_err());
    assert!(un_scale(&gni, &pop, 0.8, 0.3, 1.0).is_err());
}

/// Capped proportional shares like NATO's common funding 2021–2024, by
/// hand: GNI 500, 200, 150, 150 → base 0.5, 0.2, 0.15, 0.15. The largest
/// (0.5) is brought to the next-largest's level; the others scale by
/// k = 1/(1 − 0.5 + 0.2) = 1/0.7: B = 0.2/0.7 = 2/7, C = D = 0.15/0.7 =
/// 3/14, and A = k·0.2 = 2/7, B's share exactly. Sum 2/7 + 2/7 + 3/14 +
/// 3/14 = 1.
#[test]
fn capped_proportional_by_hand() {
    let s = capped(&[500.0, 200.0, 150.0, 150.0]).unwrap();
    all_close(&s, &[2.0 / 7.0, 2.0 / 7.0, 3.0 / 14.0, 3.0 / 14.0]);
    // The largest anywhere in the list.
    all_close(&capped(&[150.0, 500.0, 150.0, 200.0]).unwrap(), &[3.0 / 14.0, 2.0 / 7.0, 3.0 / 14.0, 2.0 / 7.0]);
    // A tie for the largest changes nothing.
    all_close(&capped(&[300.0, 300.0, 100.0]).unwrap(), &[3.0 / 7.0, 3.0 / 7.0, 1.0 / 7.0]);
}

/// Three parties, worked by hand:
///
/// ```text
///        GNI   GNI share   contributed   share   R = share / GNI share   burden = contributed / GNI
///   A    600     0.6          300         0.6          1.0                     0.5
///   B    300     0.3          100         0.2          0.666…                  0.333…
///   C    100     0.1          100         0.2          2.0                     1.0
/// ```
///
/// Gini of R: mean 11/9; Σ over ordered pairs of |Rᵢ − Rⱼ| = 2·(1/3 + 1 +
/// 4/3) = 16/3; G = (16/3) / (2·9·11/9) = 16/66 = 8/33.
///
/// Spearman between GNI (ranks 3, 2, 1) and burden (ranks 2, 1, 3):
/// d = 1, 1, −2, Σd² = 6, ρ = 1 − 6·6/(3·(9 − 1)) = 1 − 36/24 = −0.5: here
/// the smaller carry more relative to their size (the opposite of
/// Olson–Zeckhauser's exploitation of the large by the small).
#[test]
fn fair_share_gini_and_spearman_by_hand() {
    let r: Vec<f64> = [(0.6, 0.6), (0.2, 0.3), (0.2, 0.1)].iter().map(|(c, g)| fair_share_ratio(*c, *g).unwrap()).collect();
    all_close(&r, &[1.0, 2.0 / 3.0, 2.0]);
    assert!(close(gini(&r).unwrap(), 8.0 / 33.0), "{:?}", gini(&r));
    assert!(close(spearman(&[600.0, 300.0, 100.0], &[0.5, 1.0 / 3.0, 1.0]).unwrap(), -0.5));
    assert_eq!(fair_share_ratio(0.5, 0.0), None);
    assert_eq!(gini(&[1.0, 1.0, 1.0]), Some(0.0));
    assert_eq!(gini(&[]), None);
    // One party holds everything: G = (n − 1)/n.
    assert!(close(gini(&[0.0, 0.0, 0.0, 4.0]).unwrap(), 0.75));
    // Ties at mean ranks: x ranks 1, 2.5, 2.5, 4; y ranks 1, 2, 3, 4.
    all_close(&ranks(&[1.0, 5.0, 5.0, 9.0]), &[1.0, 2.5, 2.5, 4.0]);
    assert!(close(spearman(&[1.0, 5.0, 5.0, 9.0], &[1.0, 2.0, 3.0, 4.0]).unwrap(), 4.5 / (4.5f64 * 5.0).sqrt()));
    assert_eq!(spearman(&[1.0, 2.0], &[2.0, 1.0]), None, "too few");
    assert_eq!(spearman(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]), None, "no variation");
}

#[test]
fn values_round_to_whole_cents_half_away_from_zero() {
    // 7.5 hours at 95.13 = 713.475 → 713.48, i.e. 71348 cents (in binary
    // floating point the product is 71347.4999…: the rounding to a
    // millionth of a cent first gives the decimal answer).
    assert_eq!(cents(7.5, 95.13), 71348);
    assert_eq!(cents(1_000_000.0, 0.92), 92_000_000);
    assert_eq!(cents(0.0, 5.0), 0);
}

/// The water-filling rule computed another way: bisect on λ until
/// `Σ clamp(λ·wᵢ, floor, ceiling)` is 1 (the sum grows with λ).
fn plain_water_fill(w: &[f64], floor: f64, ceiling: f64) -> Vec<f64> {
    let sum = |l: f64| w.iter().map(|x| (l * x).clamp(floor, ceiling)).sum::<f64>();
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    while sum(hi) < 1.0 {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = (lo + hi) / 2.0;
        if sum(mid) < 1.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    w.iter().map(|x| (hi * x).clamp(floor, ceiling)).collect()
}

/// A key as a function of GNI and population.
type KeyFn = Box<dyn Fn(&[f64], &[f64]) -> Vec<f64>>;

fn weights() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(1.0f64..1e6, 2..12)
}

proptest! {
    #[test]
    fn water_fill_sums_to_one_within_bounds_and_matches_the_plain_way(w in weights(), f in 0.0f64..1.0, c in 0.0f64..1.0) {
        let n = w.len() as f64;
        let floor = f / n;          // n·floor ≤ 1
        let ceiling = (1.0 / n + c * (1.0 - 1.0 / n)).max(floor); // n·ceiling ≥ 1
        let s = water_fill(&w, floor, ceiling).unwrap();
        prop_assert!((s.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{s:?}");
        for x in &s {
            prop_assert!(*x >= floor - 1e-12 && *x <= ceiling + 1e-12, "{x} outside [{floor}, {ceiling}]");
        }
        let plain = plain_water_fill(&w, floor, ceiling);
        for (a, b) in s.iter().zip(&plain) {
            prop_assert!((a - b).abs() < 1e-9, "{s:?} vs {plain:?}");
        }
    }

    #[test]
    fn every_key_sums_to_one_and_ignores_the_order_of_parties(w in weights(), pop in prop::collection::vec(1.0f64..1e4, 12), alpha in 0.0f64..1.0, f in 0.0f64..1.0, rot in 0usize..12) {
        let n = w.len();
        let pop = &pop[..n];
        let floor = f / n as f64 * 0.5;
        let keys: Vec<(&str, KeyFn)> = vec![
            ("gni", Box::new(|g: &[f64], _: &[f64]| proportional(g).unwrap())),
            ("blend", Box::new(move |g: &[f64], _: &[f64]| blend(alpha, g).unwrap())),
            ("capped", Box::new(|g: &[f64], _: &[f64]| capped(g).unwrap())),
            ("un-scale", Box::new(move |g: &[f64], p: &[f64]| un_scale(g, p, 0.8, floor, 1.0).unwrap())),
        ];
        let k = rot % n;
        let (mut rw, mut rp) = (w.clone(), pop.to_vec());
        rw.rotate_left(k);
        rp.rotate_left(k);
        for (name, key) in &keys {
            let s = key(&w, pop);
            prop_assert!((s.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{name}: {s:?}");
            if *name == "un-scale" {
                prop_assert!(s.iter().all(|x| *x >= floor - 1e-12), "{name}: {s:?}");
            }
            let mut r = key(&rw, &rp);
            r.rotate_right(k);
            for (a, b) in s.iter().zip(&r) {
                prop_assert!((a - b).abs() < 1e-9, "{name}: the order of parties changed the shares: {s:?} vs {r:?}");
            }
        }
        // Capped: the largest ends at the next-largest's share, and no share exceeds it.
        let s = capped(&w).unwrap();
        let mut sorted = s.clone();
        sorted.sort_by(|a, b| b.total_cmp(a));
        prop_assert!((sorted[0] - sorted[1]).abs() < 1e-12, "{s:?}");
    }

    #[test]
    fn gini_matches_the_sorted_formula(x in prop::collection::vec(0.0f64..100.0, 1..20)) {
        // G = 2·Σ i·x₍ᵢ₎ / (n·Σx) − (n + 1)/n, x sorted ascending, i from 1.
        let mut s = x.clone();
        s.sort_by(f64::total_cmp);
        let n = s.len() as f64;
        let total: f64 = s.iter().sum();
        prop_assume!(total > 0.0);
        let plain = 2.0 * s.iter().enumerate().map(|(i, v)| (i as f64 + 1.0) * v).sum::<f64>() / (n * total) - (n + 1.0) / n;
        prop_assert!((gini(&x).unwrap() - plain).abs() < 1e-9);
    }

    #[test]
    fn spearman_matches_the_rank_difference_formula_without_ties(pairs in prop::collection::btree_map(0u32..10_000, 0u32..10_000, 3..15)) {
        let x: Vec<f64> = pairs.keys().map(|k| f64::from(*k)).collect();
        let mut y: Vec<f64> = pairs.values().map(|v| f64::from(*v)).collect();
        // Break ties in y so that the classic formula applies.
        for (i, v) in y.iter_mut().enumerate() {
            *v += i as f64 * 1e-6;
        }
        let (rx, ry) = (ranks(&x), ranks(&y));
        let n = x.len() as f64;
        let d2: f64 = rx.iter().zip(&ry).map(|(a, b)| (a - b) * (a - b)).sum();
        let plain = 1.0 - 6.0 * d2 / (n * (n * n - 1.0));
        prop_assert!((spearman(&x, &y).unwrap() - plain).abs() < 1e-9);
    }
}
