//! Two-sample Kolmogorov-Smirnov test: statistic and exact two-sided p-value.
//!
//! Drift monitors compare a recent return (or feature) sample with a reference one. Matches
//! scipy `ks_2samp(a, b)` with its defaults (two-sided, method="auto"), which is exact for
//! sample sizes up to 10 000: for equal sizes the alternating-sum formula for
//! P(D_{n,n} >= h/n), otherwise the lattice-path recursion of Hodges (1958) in the
//! "1 - p" form of Viehmann (2021, arXiv:2102.08037), which stays in [0, 1] without
//! cancellation. scipy's asymptotic branch (larger samples) is not implemented: such input is
//! refused rather than answered with a different approximation.

use super::error::ensure_finite;
use super::StatsError;

/// Largest sample size for which scipy's "auto" picks the exact method.
pub const KS_EXACT_MAX_N: usize = 10_000;

/// Result of the two-sample KS test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KsTest {
    /// sup |F_a - F_b| over the pooled sample (empirical cdfs right-continuous).
    pub statistic: f64,
    /// Exact two-sided p-value P(D >= statistic) under the null of one distribution.
    pub p_value: f64,
}

/// Two-sided two-sample KS test of `a` against `b` (each non-empty, finite, at most
/// [`KS_EXACT_MAX_N`] values).
pub fn ks_two_sample(a: &[f64], b: &[f64]) -> Result<KsTest, StatsError> {
    for s in [a, b] {
        if s.is_empty() {
            return Err(StatsError::TooShort { needed: 1, got: 0 });
        }
        ensure_finite(s)?;
        if s.len() > KS_EXACT_MAX_N {
            return Err(StatsError::InvalidParameter {
                name: "sample size",
                reason: format!(
                    "{} exceeds {KS_EXACT_MAX_N}: only the exact p-value is implemented",
                    s.len()
                ),
            });
        }
    }
    let d = ks_statistic(a, b);
    let (n1, n2) = (a.len() as u64, b.len() as u64);
    let g = gcd(n1, n2);
    let lcm = (n1 / g) * n2;
    // The statistic is a multiple of 1/lcm; recover that integer exactly.
    let h = (d * lcm as f64).round() as u64;
    let statistic = h as f64 / lcm as f64;
    let p = if h == 0 {
        1.0
    } else if n1 == n2 {
        prob_outside_square(n1, h)
    } else {
        prob_outside_band(n1, n2, g, h)
    };
    Ok(KsTest {
        statistic,
        p_value: p.clamp(0.0, 1.0),
    })
}

/// sup over pooled values v of |#{a <= v}/n1 - #{b <= v}/n2|.
fn ks_statistic(a: &[f64], b: &[f64]) -> f64 {
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j) = (0usize, 0usize);
    let mut d: f64 = 0.0;
    while i < a.len() || j < b.len() {
        let v = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) => x.min(y),
            (Some(&x), None) => x,
            (None, Some(&y)) => y,
            (None, None) => break,
        };
        while i < a.len() && a[i] <= v {
            i += 1;
        }
        while j < b.len() && b[j] <= v {
            j += 1;
        }
        d = d.max((i as f64 / n1 - j as f64 / n2).abs());
    }
    d
}

/// P(D_{n,n} >= h/n) = 2 sum_k (-1)^(k+1) C(2n, n - kh) / C(2n, n), evaluated as a nested
/// product from the innermost term so no large binomials or cancellations appear.
fn prob_outside_square(n: u64, h: u64) -> f64 {
    let (n, h) = (n as f64, h as f64);
    let mut p = 0.0;
    let mut k = (n / h).floor();
    while k >= 0.0 {
        let mut ratio = 1.0;
        let mut j = 0.0;
        while j < h {
            ratio = (n - k * h - j) * ratio / (n + k * h + j + 1.0);
            j += 1.0;
        }
        p = ratio * (1.0 - p);
        k -= 1.0;
    }
    2.0 * p
}

/// Probability that a uniformly random lattice path from (0, 0) to (m, n) leaves the band
/// |x n/g - y m/g| < h at least once. Column by column, q(x, y) is that probability for paths
/// ending at (x, y): 1 outside the band, otherwise the step-weighted mean
/// (x q(x-1, y) + y q(x, y-1)) / (x + y).
fn prob_outside_band(n1: u64, n2: u64, g: u64, h: u64) -> f64 {
    let (m, n) = if n1 >= n2 { (n1, n2) } else { (n2, n1) };
    let (mg, ng) = (m / g, n / g);
    let outside = |x: u64, y: u64| (ng * x).abs_diff(mg * y) >= h;
    let mut col: Vec<f64> = (0..=n)
        .map(|y| if outside(0, y) { 1.0 } else { 0.0 })
        .collect();
    // Once a column is outside from some y on, it stays so (the band is convex): fill ones.
    for y in 1..=n as usize {
        if col[y - 1] == 1.0 {
            col[y] = 1.0;
        }
    }
    for x in 1..=m {
        let xf = x as f64;
        for y in 0..=n {
            let yi = y as usize;
            col[yi] = if outside(x, y) {
                1.0
            } else if y == 0 {
                col[0]
            } else {
                let yf = y as f64;
                (col[yi] * xf + col[yi - 1] * yf) / (xf + yf)
            };
        }
    }
    col[n as usize]
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    // Disjoint samples of sizes 3 and 3: D = 1 and p = 2 / C(6, 3) = 0.1; sizes 2 and 3:
    // p = 2 / C(5, 2) = 0.2 (only the two fully separated orderings reach D = 1).
    #[test]
    fn hand_counted_paths() {
        let t = ks_two_sample(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]).unwrap();
        assert_eq!(t.statistic, 1.0);
        assert!((t.p_value - 0.1).abs() < 1e-15);
        let t = ks_two_sample(&[1.0, 2.0], &[4.0, 5.0, 6.0]).unwrap();
        assert!((t.p_value - 0.2).abs() < 1e-15);
        let same = ks_two_sample(&[1.0, 2.0], &[1.0, 2.0]).unwrap();
        assert_eq!((same.statistic, same.p_value), (0.0, 1.0));
        assert!(ks_two_sample(&[], &[1.0]).is_err());
        assert!(ks_two_sample(&[f64::NAN], &[1.0]).is_err());
    }
}
