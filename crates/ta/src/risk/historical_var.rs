//! Historical (empirical) value at risk and expected shortfall of a return sample.
//!
//! The risk engine's VaR limit uses these. Conventions (those of empyrical-reloaded, recorded as
//! fixtures): VaR_c = -Q(1 - c) with Q numpy's `percentile(method="linear")`; CVaR_c = minus the
//! mean of the k + 1 smallest returns, k = floor((n - 1)(1 - c)). Both are losses, positive when
//! the tail return is negative.

use crate::stats::error::{ensure_finite, ensure_len, ensure_open_unit};
use crate::stats::StatsError;

/// Historical VaR at `confidence` (e.g. 0.95) as a positive loss fraction.
pub fn historical_var(returns: &[f64], confidence: f64) -> Result<f64, StatsError> {
    let sorted = sorted_finite(returns, confidence)?;
    Ok(-quantile_linear(&sorted, 1.0 - confidence))
}

/// Historical CVaR (expected shortfall) at `confidence` as a positive loss fraction.
pub fn historical_cvar(returns: &[f64], confidence: f64) -> Result<f64, StatsError> {
    let sorted = sorted_finite(returns, confidence)?;
    let k = ((sorted.len() - 1) as f64 * (1.0 - confidence)) as usize;
    let tail = &sorted[..=k];
    Ok(-(tail.iter().sum::<f64>() / tail.len() as f64))
}

/// `(historical_var, historical_cvar)` of the same sample (the risk engine asks for both every
/// cycle). Both read only the lowest order statistics, up to index floor(h) + 1 with
/// h = (n − 1)(1 − c): those are selected and sorted, not the whole sample. Values equal
/// under `total_cmp` have the same bits, so the prefix is the full sort's, bit for bit.
pub fn historical_var_cvar(returns: &[f64], confidence: f64) -> Result<(f64, f64), StatsError> {
    ensure_open_unit("confidence", confidence)?;
    ensure_len(returns, 1)?;
    ensure_finite(returns)?;
    let n = returns.len();
    let h = (n - 1) as f64 * (1.0 - confidence);
    // The last index `quantile_linear` and the tail read (h ≥ 0, so `as` floors it).
    let last = (h as usize + 1).min(n - 1);
    let mut v = returns.to_vec();
    let (low, _, _) = v.select_nth_unstable_by(last, f64::total_cmp);
    low.sort_unstable_by(f64::total_cmp);
    let lowest = &v[..=last];
    let var = -quantile_of_n(lowest, n, 1.0 - confidence);
    let k = h as usize;
    let tail = &lowest[..=k];
    Ok((var, -(tail.iter().sum::<f64>() / tail.len() as f64)))
}

/// Quantile of sorted data by linear interpolation between order statistics at h = (n - 1) p,
/// numpy's default `method="linear"` (Hyndman & Fan type 7), with numpy's two-sided lerp.
pub fn quantile_linear(sorted: &[f64], p: f64) -> f64 {
    quantile_of_n(sorted, sorted.len(), p)
}

/// `quantile_linear` of a sorted sample of `n` values of which `sorted` holds the lowest (at
/// least up to the order statistic after h).
fn quantile_of_n(sorted: &[f64], n: usize, p: f64) -> f64 {
    if n == 0 || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    let h = (n - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    let t = h - lo as f64;
    let (a, b) = (sorted[lo], sorted[hi]);
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

fn sorted_finite(returns: &[f64], confidence: f64) -> Result<Vec<f64>, StatsError> {
    ensure_open_unit("confidence", confidence)?;
    ensure_len(returns, 1)?;
    ensure_finite(returns)?;
    let mut v = returns.to_vec();
    v.sort_by(f64::total_cmp);
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One sort gives both numbers bit for bit, and the same refusals.
    #[test]
    fn var_cvar_together_match_each_alone() {
        let mut x = 0.3f64;
        let sample: Vec<f64> = (0..257)
            .map(|i| {
                x = (x * 3.7 * (1.0 - x)).clamp(0.01, 0.99);
                (x - 0.5) * 0.04 + if i % 17 == 0 { -0.03 } else { 0.0 }
            })
            .collect();
        for n in [1, 2, 5, 60, 250, 257] {
            for c in [0.5, 0.9, 0.95, 0.99, 0.999] {
                let r = &sample[..n];
                let (v, cv) = historical_var_cvar(r, c).unwrap();
                assert_eq!(v.to_bits(), historical_var(r, c).unwrap().to_bits());
                assert_eq!(cv.to_bits(), historical_cvar(r, c).unwrap().to_bits());
            }
        }
        assert_eq!(
            historical_var_cvar(&[], 0.95).unwrap_err().to_string(),
            historical_var(&[], 0.95).unwrap_err().to_string()
        );
        assert!(historical_var_cvar(&[0.1, f64::NAN], 0.95).is_err());
        assert!(historical_var_cvar(&[0.1], 1.0).is_err());
    }

    /// The partial selection against the full sort it replaces, bit for bit: random samples
    /// of every length up to 300 with ties, signed zeros and extreme values, at several
    /// confidences.
    #[test]
    fn selection_matches_the_full_sort() {
        fn full_sort(r: &[f64], c: f64) -> (f64, f64) {
            let sorted = sorted_finite(r, c).unwrap();
            let var = -quantile_linear(&sorted, 1.0 - c);
            let k = ((sorted.len() - 1) as f64 * (1.0 - c)) as usize;
            let tail = &sorted[..=k];
            (var, -(tail.iter().sum::<f64>() / tail.len() as f64))
        }
        let mut s = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        for n in 1..=300 {
            for round in 0..4 {
                let r: Vec<f64> = (0..n)
                    .map(|_| {
                        let u = next();
                        match (u % 13, round) {
                            (0, _) => 0.0,
                            (1, _) => -0.0,
                            (2, 1) => 1e300,
                            (3, 1) => -1e-300,
                            // Few distinct values: many ties.
                            (_, 2) => f64::from((u >> 20) as u8 % 5) * 0.01 - 0.02,
                            _ => ((u >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 0.1,
                        }
                    })
                    .collect();
                for c in [0.5, 0.9, 0.95, 0.975, 0.99, 0.999, 1e-9] {
                    let (v, cv) = historical_var_cvar(&r, c).unwrap();
                    let (v0, cv0) = full_sort(&r, c);
                    assert_eq!(
                        (v.to_bits(), cv.to_bits()),
                        (v0.to_bits(), cv0.to_bits()),
                        "n {n} c {c}"
                    );
                }
            }
        }
    }

    #[test]
    fn hand_checked() {
        // Losses of 1..=11 percent, c = 0.75: h = 10 * 0.25 = 2.5 -> halfway between -0.09 and
        // -0.08; k = floor(2.5) = 2 -> mean of the three worst (-0.11, -0.10, -0.09).
        let r: Vec<f64> = (1..=11).map(|i| -(i as f64) / 100.0).collect();
        assert!((historical_var(&r, 0.75).unwrap() - 0.085).abs() < 1e-15);
        assert!((historical_cvar(&r, 0.75).unwrap() - 0.10).abs() < 1e-15);
        // c = 0.9: 1 - 0.9 = 0.09999999999999998 in binary, so k = floor(0.999...) = 0 and the
        // tail is the single worst return, exactly as empyrical computes it.
        assert!((historical_cvar(&r, 0.9).unwrap() - 0.11).abs() < 1e-15);
        assert_eq!(historical_var(&[0.02], 0.95).unwrap(), -0.02);
        assert!(historical_var(&[], 0.95).is_err());
        assert!(historical_var(&r, 1.0).is_err());
        assert!(historical_cvar(&[f64::NAN], 0.95).is_err());
        assert_eq!(quantile_linear(&[1.0, 2.0], 0.5), 1.5);
    }
}
