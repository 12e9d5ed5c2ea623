//! The burden-sharing formulas, pure and on plain numbers: cost-share keys
//! (equal, proportional to GNI, UN-scale-style, blend, fixed, capped
//! proportional), water-filling between a floor and a ceiling, and the
//! figures compared across parties (fair-share ratio, Gini coefficient,
//! Spearman's ρ). docs/partnership.md#resources-and-burden-sharing gives
//! each with its source.
//!
//! **Arithmetic.** Shares are binary floating point (`f64`). Every function
//! takes its parties in the order given and the callers give them in one
//! canonical order (by partner id), so every node computes the same bits
//! from the same figures; results that must sum to 1 are computed so that
//! they do within 1e-12 (the proptests check 1e-9). Money is not here: the
//! ledger keeps amounts in whole cents ([`crate::rules`]).

/// Why a key cannot be computed from the figures given.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyError(pub String);

impl std::fmt::Display for KeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Equal shares: `1/n` each.
pub fn equal(n: usize) -> Vec<f64> {
    if n == 0 {
        return Vec::new();
    }
    vec![1.0 / n as f64; n]
}

/// Shares proportional to `weights` (GNI): `wᵢ / Σw`. All weights must be
/// finite and ≥ 0, their sum above 0.
pub fn proportional(weights: &[f64]) -> Result<Vec<f64>, KeyError> {
    if let Some(i) = weights.iter().position(|w| !w.is_finite() || *w < 0.0) {
        return Err(KeyError(format!("weight {i} ({}) must be a finite number ≥ 0", weights[i])));
    }
    let total: f64 = weights.iter().sum();
    if total.is_nan() || total <= 0.0 || !total.is_finite() {
        return Err(KeyError("the weights sum to 0".into()));
    }
    Ok(weights.iter().map(|w| w / total).collect())
}

/// The blend `α·equal + (1−α)·proportional(gni)`, `α` in [0, 1].
pub fn blend(alpha: f64, gni: &[f64]) -> Result<Vec<f64>, KeyError> {
    if !(0.0..=1.0).contains(&alpha) {
        return Err(KeyError(format!("alpha ({alpha}) must be between 0 and 1")));
    }
    let p = proportional(gni)?;
    let e = equal(gni.len());
    Ok(e.iter().zip(&p).map(|(e, p)| alpha * e + (1.0 - alpha) * p).collect())
}

/// Fixed shares as given: each ≥ 0, summing to 1 within 1e-9.
pub fn fixed(shares: &[f64]) -> Result<Vec<f64>, KeyError> {
    if let Some(i) = shares.iter().position(|s| !s.is_finite() || *s < 0.0) {
        return Err(KeyError(format!("share {i} ({}) must be a finite number ≥ 0", shares[i])));
    }
    let total: f64 = shares.iter().sum();
    if (total - 1.0).abs() > 1e-9 {
        return Err(KeyError(format!("the fixed shares sum to {total}, not 1")));
    }
    Ok(shares.to_vec())
}

/// Shares `sᵢ = clamp(λ·wᵢ, floor, ceiling)` with `λ` chosen so that they
/// sum to 1: proportional to the weights wherever the bounds allow, the
/// excess of those held at the ceiling and the shortfall of those raised
/// to the floor spread over the others in proportion to their weights
/// ("water-filling"). Needs `n·floor ≤ 1 ≤ n·ceiling`.
///
/// `Σ clamp(λ·wᵢ)` grows piecewise linearly with `λ`; the breakpoints are
/// `floor/wᵢ` and `ceiling/wᵢ`. We find the segment where the sum reaches
/// 1 and solve the line there, so the result is exact up to rounding,
/// with no iteration count to tune.
pub fn water_fill(weights: &[f64], floor: f64, ceiling: f64) -> Result<Vec<f64>, KeyError> {
    let n = weights.len();
    if n == 0 {
        return Ok(Vec::new());
    }
    if floor.is_nan() || ceiling.is_nan() || floor < 0.0 || ceiling > 1.0 || floor > ceiling {
        return Err(KeyError(format!("the floor ({floor}) and ceiling ({ceiling}) must satisfy 0 ≤ floor ≤ ceiling ≤ 1")));
    }
    if floor * n as f64 > 1.0 + 1e-12 {
        return Err(KeyError(format!("a floor of {floor} for {n} parties exceeds 1 in total")));
    }
    if ceiling * (n as f64) < 1.0 - 1e-12 {
        return Err(KeyError(format!("a ceiling of {ceiling} for {n} parties does not reach 1 in total")));
    }
    if let Some(i) = weights.iter().position(|w| !w.is_finite() || *w < 0.0) {
        return Err(KeyError(format!("weight {i} ({}) must be a finite number ≥ 0", weights[i])));
    }
    let sum_at = |lambda: f64| -> f64 { weights.iter().map(|w| (lambda * w).clamp(floor, ceiling)).sum() };
    let mut points: Vec<f64> = weights.iter().filter(|w| **w > 0.0).flat_map(|w| [floor / w, ceiling / w]).collect();
    points.push(0.0);
    points.sort_by(f64::total_cmp);
    points.dedup();
    // Largest breakpoint at which the sum is still ≤ 1: the solution lies on the segment after it.
    let mut lo = 0.0;
    for p in &points {
        if sum_at(*p) <= 1.0 {
            lo = *p;
        } else {
            break;
        }
    }
    // On [lo, next], the parties strictly inside their bounds move with λ: Σ = fixed + λ·W.
    let next = points.iter().copied().find(|p| *p > lo);
    let mid = next.map_or(lo + 1.0, |h| (lo + h) / 2.0);
    let (mut fixed_sum, mut free_weight) = (0.0, 0.0);
    for w in weights {
        let x = mid * w;
        if x <= floor {
            fixed_sum += floor;
        } else if x >= ceiling {
            fixed_sum += ceiling;
        } else {
            free_weight += w;
        }
    }
    let shares: Vec<f64> = if free_weight > 0.0 {
        let lambda = (1.0 - fixed_sum) / free_weight;
        weights.iter().map(|w| (lambda * w).clamp(floor, ceiling)).collect()
    } else {
        // Nothing moves with λ (every party at a bound, or weights all 0):
        // spread what is left over those at the floor equally, else all.
        let base: Vec<f64> = weights.iter().map(|w| (lo * w).clamp(floor, ceiling)).collect();
        let left = 1.0 - base.iter().sum::<f64>();
        let open: Vec<usize> = (0..n).filter(|i| base[*i] < ceiling).collect();
        let open = if open.is_empty() { (0..n).collect() } else { open };
        let mut s = base;
        for i in &open {
            s[*i] += left / open.len() as f64;
        }
        s
    };
    Ok(shares)
}

/// The UN scale's low per-capita income adjustment, then a floor and a
/// ceiling by [`water_fill`].
///
/// With base shares `sᵢ = GNIᵢ / ΣGNI`, per-capita incomes
/// `pcᵢ = GNIᵢ / popᵢ` and the threshold `T = ΣGNI / Σpop` (the parties'
/// average per-capita income), each party below the threshold has its
/// share reduced by `rᵢ = sᵢ · gradient · (1 − pcᵢ/T)`; the total
/// reduction `Σr` is spread over the parties at or above the threshold in
/// proportion to their base shares. Then `floor` and `ceiling` apply, the
/// excess redistributed by water-filling.
pub fn un_scale(gni: &[f64], population: &[f64], gradient: f64, floor: f64, ceiling: f64) -> Result<Vec<f64>, KeyError> {
    if gni.len() != population.len() {
        return Err(KeyError("every party needs both GNI and population".into()));
    }
    if !(0.0..=1.0).contains(&gradient) {
        return Err(KeyError(format!("the gradient ({gradient}) must be between 0 and 1")));
    }
    if let Some(i) = population.iter().position(|p| !p.is_finite() || *p <= 0.0) {
        return Err(KeyError(format!("population {i} ({}) must be above 0", population[i])));
    }
    let base = proportional(gni)?;
    let threshold = gni.iter().sum::<f64>() / population.iter().sum::<f64>();
    let reduction: Vec<f64> = base
        .iter()
        .zip(gni.iter().zip(population))
        .map(|(s, (g, p))| {
            let pc = g / p;
            if pc < threshold {
                s * gradient * (1.0 - pc / threshold)
            } else {
                0.0
            }
        })
        .collect();
    let total: f64 = reduction.iter().sum();
    let above: f64 = base.iter().zip(&reduction).filter(|(_, r)| **r == 0.0).map(|(s, _)| s).sum();
    let adjusted: Vec<f64> = base
        .iter()
        .zip(&reduction)
        .map(|(s, r)| if *r > 0.0 { s - r } else if above > 0.0 { s + total * s / above } else { *s })
        .collect();
    water_fill(&adjusted, floor, ceiling)
}

/// Shares proportional to `gni`, the largest party's share capped at the
/// next-largest's, everyone else paying the difference pro rata: the NATO
/// common-funding arrangement of 2021–2024 (the largest contributor's
/// share brought down to the second's). With base shares `s`, the largest
/// `s₁` and the next `s₂`, every other share is scaled by
/// `k = 1 / (1 − s₁ + s₂)` and the largest pays `k·s₂`, which is then the
/// next-largest's share exactly. Ties for the largest change nothing.
pub fn capped(gni: &[f64]) -> Result<Vec<f64>, KeyError> {
    let base = proportional(gni)?;
    if base.len() < 2 {
        return Ok(base);
    }
    // The largest: the first of the largest in the order given.
    let mut largest = 0;
    for (i, s) in base.iter().enumerate() {
        if *s > base[largest] {
            largest = i;
        }
    }
    let second = base.iter().enumerate().filter(|(i, _)| *i != largest).map(|(_, s)| *s).fold(0.0, f64::max);
    let k = 1.0 / (1.0 - base[largest] + second);
    Ok(base.iter().enumerate().map(|(i, s)| if i == largest { k * second } else { k * s }).collect())
}

/// The fair-share ratio `R = (own share of contributions) / (own share of
/// GNI)`: 1 is exactly one's share by capacity, above 1 more. None when
/// the GNI share is 0.
pub fn fair_share_ratio(contribution_share: f64, gni_share: f64) -> Option<f64> {
    (gni_share > 0.0).then(|| contribution_share / gni_share)
}

/// The Gini coefficient of `values` (≥ 0): `G = Σᵢ Σⱼ |xᵢ − xⱼ| / (2·n²·x̄)`,
/// 0 when all are equal, towards 1 when one holds everything. None with no
/// values or a mean of 0.
pub fn gini(values: &[f64]) -> Option<f64> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    if mean.is_nan() || mean <= 0.0 {
        return None;
    }
    let mut diffs = 0.0;
    for a in values {
        for b in values {
            diffs += (a - b).abs();
        }
    }
    Some(diffs / (2.0 * (n * n) as f64 * mean))
}

/// Ranks from 1, ties given the mean of the ranks they span.
pub fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|a, b| values[*a].total_cmp(&values[*b]).then(a.cmp(b)));
    let mut ranks = vec![0.0; values.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && values[order[j + 1]] == values[order[i]] {
            j += 1;
        }
        let mean = (i + j) as f64 / 2.0 + 1.0;
        for k in &order[i..=j] {
            ranks[*k] = mean;
        }
        i = j + 1;
    }
    ranks
}

/// Spearman's ρ between `x` and `y`: Pearson's correlation of their ranks
/// (ties at mean ranks). None with fewer than 3 pairs or when either
/// side's ranks are all equal. The Olson–Zeckhauser test reads it between
/// size (GNI) and burden (contribution / GNI): a positive ρ means the
/// larger parties carry a larger burden relative to their size.
pub fn spearman(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.len() != y.len() || x.len() < 3 {
        return None;
    }
    let (rx, ry) = (ranks(x), ranks(y));
    let n = x.len() as f64;
    let (mx, my) = (rx.iter().sum::<f64>() / n, ry.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in rx.iter().zip(&ry) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    (sxx > 0.0 && syy > 0.0).then(|| (sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0))
}
