//! Entropy of a return series: Shannon entropy of an equal-width histogram, sample entropy
//! (Richman & Moorman 2000) and approximate entropy (Pincus 1991).
//!
//! Regime and predictability features use these as measures of how regular a series is; the
//! conventions follow antropy 0.2.3 and numpy/scipy, whose outputs the tests reproduce.

use crate::stats::error::{ensure_finite, ensure_len};
use crate::stats::{std_dev, StatsError};

/// Logarithm base of an entropy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntropyUnit {
    /// Natural logarithm (scipy `entropy` default).
    Nats,
    /// Base 2 (scipy `entropy(base=2)`).
    Bits,
}

/// Counts of `xs` in `bins` equal-width bins spanning [min, max], the last bin closed on the
/// right: `np.histogram(xs, bins, range=(min, max))`, including numpy's edge corrections so a
/// value lying exactly on an edge lands where numpy puts it. A constant series puts every value
/// in one bin (numpy would pick the middle one of a widened range; the entropy is 0 either way).
pub fn histogram_counts(xs: &[f64], bins: usize) -> Result<Vec<usize>, StatsError> {
    if bins == 0 {
        return Err(StatsError::InvalidParameter {
            name: "bins",
            reason: "must be at least 1".into(),
        });
    }
    ensure_len(xs, 1)?;
    ensure_finite(xs)?;
    let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut counts = vec![0; bins];
    if lo == hi {
        counts[0] = xs.len();
        return Ok(counts);
    }
    // Edges as np.linspace(lo, hi, bins + 1): lo + i * step, the last one exactly hi.
    let step = (hi - lo) / bins as f64;
    let edge = |i: usize| if i == bins { hi } else { lo + i as f64 * step };
    let norm = bins as f64 / (hi - lo);
    for &x in xs {
        let mut i = (((x - lo) * norm) as usize).min(bins - 1);
        if x < edge(i) {
            i -= 1;
        } else if i + 1 < bins && x >= edge(i + 1) {
            i += 1;
        }
        counts[i] += 1;
    }
    Ok(counts)
}

/// Shannon entropy -sum p_k log p_k of the equal-width histogram of `xs` ([`histogram_counts`]),
/// empty bins contributing 0 (scipy `entropy(counts)`). A constant or single-value series has
/// entropy 0; the maximum is log(bins).
pub fn shannon_entropy(xs: &[f64], bins: usize, unit: EntropyUnit) -> Result<f64, StatsError> {
    let counts = histogram_counts(xs, bins)?;
    let n = xs.len() as f64;
    let nats: f64 = counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.ln()
        })
        .sum();
    Ok(match unit {
        EntropyUnit::Nats => nats,
        EntropyUnit::Bits => nats / std::f64::consts::LN_2,
    })
}

/// Resolves the tolerance: antropy's default r = 0.2 * population std (ddof 0).
fn tolerance_or_default(xs: &[f64], tolerance: Option<f64>) -> Result<f64, StatsError> {
    match tolerance {
        Some(r) if r.is_finite() && r >= 0.0 => Ok(r),
        Some(r) => Err(StatsError::InvalidParameter {
            name: "tolerance",
            reason: format!("must be finite and non-negative, got {r}"),
        }),
        None => Ok(0.2 * std_dev(xs, 0)?),
    }
}

/// Chebyshev distance between the templates of length `len` starting at i and j.
fn chebyshev(xs: &[f64], i: usize, j: usize, len: usize) -> f64 {
    (0..len)
        .map(|k| (xs[i + k] - xs[j + k]).abs())
        .fold(0.0, f64::max)
}

fn check_order(xs: &[f64], order: usize, needed: usize) -> Result<(), StatsError> {
    if order == 0 {
        return Err(StatsError::InvalidParameter {
            name: "order",
            reason: "embedding dimension must be at least 1".into(),
        });
    }
    ensure_len(xs, needed)?;
    ensure_finite(xs)
}

/// Sample entropy SampEn(m, r) = -ln(A / B) as antropy's `sample_entropy(x, order=m,
/// tolerance=r)` (Chebyshev distance): over the N - m templates of length m starting at
/// 0..N-m-1, B counts pairs i < j within r on m points and A those also within r on the
/// (m+1)-th; self-matches are excluded. Two points match when their distance is strictly below
/// r (antropy's rule; Richman & Moorman write <= r, which differs only on exact ties).
/// `tolerance` None uses 0.2 * std (ddof 0). Needs N >= m + 2. A = 0 gives +inf (as antropy);
/// B = 0 (no pair matches at all, e.g. a constant series whose r is 0) is undefined and refused.
/// O(N^2 m) time.
pub fn sample_entropy(xs: &[f64], order: usize, tolerance: Option<f64>) -> Result<f64, StatsError> {
    check_order(xs, order, order + 2)?;
    let r = tolerance_or_default(xs, tolerance)?;
    let templates = xs.len() - order;
    let (mut a, mut b) = (0u64, 0u64);
    for i in 0..templates {
        for j in i + 1..templates {
            if chebyshev(xs, i, j, order) < r {
                b += 1;
                if (xs[i + order] - xs[j + order]).abs() < r {
                    a += 1;
                }
            }
        }
    }
    if b == 0 {
        return Err(StatsError::InvalidParameter {
            name: "tolerance",
            reason: format!("no two templates of length {order} lie within r = {r}: sample entropy is undefined"),
        });
    }
    if a == 0 {
        return Ok(f64::INFINITY);
    }
    Ok(-(a as f64 / b as f64).ln())
}

/// Approximate entropy ApEn(m, r) = phi_m - phi_{m+1} as antropy's `app_entropy(x, order=m,
/// tolerance=r)` (Pincus 1991, Chebyshev distance): phi_k is the mean over the N - k + 1
/// templates of length k of ln(C_i), C_i the share of templates within r of template i, itself
/// included, matching when the distance is <= r. `tolerance` None uses 0.2 * std (ddof 0).
/// Needs N >= m + 1. A constant series gives 0. O(N^2 m) time.
pub fn approximate_entropy(
    xs: &[f64],
    order: usize,
    tolerance: Option<f64>,
) -> Result<f64, StatsError> {
    check_order(xs, order, order + 1)?;
    let r = tolerance_or_default(xs, tolerance)?;
    Ok(phi(xs, order, r) - phi(xs, order + 1, r))
}

fn phi(xs: &[f64], len: usize, r: f64) -> f64 {
    let templates = xs.len() + 1 - len;
    let total: f64 = (0..templates)
        .map(|i| {
            let c = (0..templates)
                .filter(|&j| chebyshev(xs, i, j, len) <= r)
                .count();
            (c as f64 / templates as f64).ln()
        })
        .sum();
    total / templates as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shannon_hand_examples() {
        // [0, 1, 2, 3] in 2 bins over 0..3 (edge 1.5): two values each, H = ln 2 = 1 bit.
        let x = [0.0, 1.0, 2.0, 3.0];
        assert_eq!(histogram_counts(&x, 2).unwrap(), vec![2, 2]);
        let h = shannon_entropy(&x, 2, EntropyUnit::Nats).unwrap();
        assert!((h - std::f64::consts::LN_2).abs() < 1e-15);
        assert!((shannon_entropy(&x, 2, EntropyUnit::Bits).unwrap() - 1.0).abs() < 1e-15);
        // 3 bins, edges 0, 1, 2, 3: 1 sits on edge 1 -> bin 1; 3 on the closed last edge.
        assert_eq!(histogram_counts(&x, 3).unwrap(), vec![1, 1, 2]);
        // Four bins with [1, 1, 1, 2]: p = (3/4, 1/4) -> H = -(.75 ln .75 + .25 ln .25).
        let h = shannon_entropy(&[1.0, 1.0, 1.0, 2.0], 4, EntropyUnit::Nats).unwrap();
        assert!((h - 0.562_335_144_618_808_2).abs() < 1e-15);
    }

    #[test]
    fn shannon_edge_cases() {
        assert_eq!(shannon_entropy(&[5.0], 10, EntropyUnit::Bits).unwrap(), 0.0);
        assert_eq!(
            shannon_entropy(&[2.0; 7], 3, EntropyUnit::Nats).unwrap(),
            0.0
        );
        assert!(matches!(
            shannon_entropy(&[], 3, EntropyUnit::Nats),
            Err(StatsError::TooShort { .. })
        ));
        assert!(matches!(
            shannon_entropy(&[1.0], 0, EntropyUnit::Nats),
            Err(StatsError::InvalidParameter { .. })
        ));
        assert!(matches!(
            shannon_entropy(&[1.0, f64::NAN], 2, EntropyUnit::Nats),
            Err(StatsError::NonFinite { index: 1 })
        ));
    }

    #[test]
    fn alternating_series_hand_example() {
        // x = 1 3 1 3 1, m = 1, r = 0.5.
        // SampEn: length-1 templates x0..x3 = 1 3 1 3 match in pairs (0,2), (1,3): B = 2; both
        // pairs also match on the next point: A = 2; SampEn = -ln 1 = 0.
        // ApEn: phi_1 = (3 ln(3/5) + 2 ln(2/5)) / 5 over 1 3 1 3 1; the four length-2
        // templates 13 31 13 31 each match two: phi_2 = ln(1/2).
        let x = [1.0, 3.0, 1.0, 3.0, 1.0];
        assert_eq!(sample_entropy(&x, 1, Some(0.5)).unwrap(), 0.0);
        let want = (3.0 * 0.6f64.ln() + 2.0 * 0.4f64.ln()) / 5.0 - 0.5f64.ln();
        let got = approximate_entropy(&x, 1, Some(0.5)).unwrap();
        assert!((got - want).abs() < 1e-15, "{got} vs {want}");
        assert!((got - 0.020_135_5).abs() < 1e-7);
    }

    #[test]
    fn sample_entropy_no_longer_match_is_infinite() {
        // 0 0 1 1 with m = 1, r = 0.5: templates 0 0 1 -> B = 1 (pair (0,1)), next points 0 and
        // 1 differ: A = 0 -> +inf.
        assert_eq!(
            sample_entropy(&[0.0, 0.0, 1.0, 1.0], 1, Some(0.5)).unwrap(),
            f64::INFINITY
        );
    }

    #[test]
    fn entropy_edge_cases() {
        // Constant: r = 0, nothing is strictly closer than 0 -> SampEn undefined; ApEn = 0.
        assert!(matches!(
            sample_entropy(&[4.0; 20], 2, None),
            Err(StatsError::InvalidParameter { .. })
        ));
        assert_eq!(approximate_entropy(&[4.0; 20], 2, None).unwrap(), 0.0);
        assert!(matches!(
            sample_entropy(&[1.0, 2.0, 3.0], 2, None),
            Err(StatsError::TooShort { needed: 4, .. })
        ));
        assert!(matches!(
            approximate_entropy(&[1.0, 2.0], 2, None),
            Err(StatsError::TooShort { needed: 3, .. })
        ));
        assert!(matches!(
            sample_entropy(&[1.0, 2.0, 3.0], 0, None),
            Err(StatsError::InvalidParameter { .. })
        ));
        assert!(matches!(
            approximate_entropy(&[1.0, 2.0, 3.0, 4.0], 1, Some(-1.0)),
            Err(StatsError::InvalidParameter { .. })
        ));
        assert!(matches!(
            sample_entropy(&[1.0, f64::NAN, 3.0, 4.0], 1, None),
            Err(StatsError::NonFinite { index: 1 })
        ));
    }
}
