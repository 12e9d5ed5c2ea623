//! The statistics every indicator uses: the Wilson score interval of a
//! proportion (Wilson 1927), the weighted geometric mean of the composite,
//! and the beta reputation with decay of the trust estimate (Jøsang &
//! Ismail 2002). Plain numbers in, plain numbers out.

/// The normal quantile of a two-sided 95 % interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// The Wilson score interval of `k` successes in `n` trials at quantile
/// `z`: `(p̂ + z²/2n ± z·√(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n)`, with
/// `p̂ = k/n`, clamped to [0, 1]. `None` when `n` is 0. `k` may be
/// fractional (a quality-weighted count) and is clamped to [0, n].
pub fn wilson(k: f64, n: f64, z: f64) -> Option<(f64, f64)> {
    if n <= 0.0 || !n.is_finite() || !k.is_finite() {
        return None;
    }
    let p = (k / n).clamp(0.0, 1.0);
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = z / denom * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    Some(((centre - half).clamp(0.0, 1.0), (centre + half).clamp(0.0, 1.0)))
}

/// The weighted geometric mean `exp(Σ wᵢ·ln xᵢ / Σ wᵢ)` of `(x, w)` pairs
/// with `x` in [0, 1] and `w ≥ 0`; a value of 0 with a positive weight
/// makes it 0 (one failing indicator cannot hide behind good ones). Pairs
/// with weight 0 are left out; `None` when no weight is positive.
pub fn geometric_mean(values: &[(f64, f64)]) -> Option<f64> {
    let mut total = 0.0;
    let mut sum = 0.0;
    for &(x, w) in values {
        if !(w.is_finite() && w > 0.0) {
            continue;
        }
        let x = x.clamp(0.0, 1.0);
        if x == 0.0 {
            return Some(0.0);
        }
        total += w;
        sum += w * x.ln();
    }
    (total > 0.0).then(|| (sum / total).exp().clamp(0.0, 1.0))
}

/// The expected value of a beta reputation `Beta(r + 1, s + 1)`:
/// `(r + 1) / (r + s + 2)`, 0.5 with no evidence.
pub fn beta_expectation(r: f64, s: f64) -> f64 {
    (r + 1.0) / (r + s + 2.0)
}

/// The weight of an event `age` microseconds old with half-life
/// `half_life` microseconds: `0.5^(age / half_life)`; events in the future
/// (negative age) weigh 0, as does everything when the half-life is not
/// positive.
pub fn decay(age: i64, half_life: i64) -> f64 {
    if age < 0 || half_life <= 0 {
        return 0.0;
    }
    0.5f64.powf(age as f64 / half_life as f64)
}
