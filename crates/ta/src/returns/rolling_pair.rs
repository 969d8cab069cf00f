//! Rolling covariance, correlation and OLS beta of two aligned series.
//!
//! Cross-asset and hedge-ratio plugins need these per bar; they match pandas
//! `x.rolling(n).cov(y)`, `.corr(y)` and cov/var (ddof = 1). Beta is the slope of y on x.

use super::window::rolling_map2;
use crate::stats::moments::{all_equal, mean_unchecked, sum_sq_dev};
use crate::stats::StatsError;

/// Trailing sample covariance (ddof = 1, window >= 2).
pub fn rolling_covariance(xs: &[f64], ys: &[f64], window: usize) -> Result<Vec<f64>, StatsError> {
    rolling_map2(xs, ys, window, 2, |x, y| {
        cross_dev(x, y) / (x.len() - 1) as f64
    })
}

/// Trailing Pearson correlation (window >= 2); NaN when either window is constant.
pub fn rolling_correlation(xs: &[f64], ys: &[f64], window: usize) -> Result<Vec<f64>, StatsError> {
    rolling_map2(xs, ys, window, 2, |x, y| {
        if all_equal(x) || all_equal(y) {
            return f64::NAN;
        }
        let sxx = sum_sq_dev(x, mean_unchecked(x));
        let syy = sum_sq_dev(y, mean_unchecked(y));
        (cross_dev(x, y) / (sxx * syy).sqrt()).clamp(-1.0, 1.0)
    })
}

/// Trailing OLS slope of y on x with intercept: cov(x, y) / var(x) (window >= 2); NaN when the
/// x window is constant.
pub fn rolling_beta(xs: &[f64], ys: &[f64], window: usize) -> Result<Vec<f64>, StatsError> {
    rolling_map2(xs, ys, window, 2, |x, y| {
        if all_equal(x) {
            return f64::NAN;
        }
        cross_dev(x, y) / sum_sq_dev(x, mean_unchecked(x))
    })
}

fn cross_dev(x: &[f64], y: &[f64]) -> f64 {
    let (mx, my) = (mean_unchecked(x), mean_unchecked(y));
    x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges() {
        assert_eq!(
            rolling_covariance(&[1.0], &[1.0, 2.0], 2),
            Err(StatsError::LengthMismatch { left: 1, right: 2 })
        );
        let x = [1.0, 2.0, 3.0, 4.0];
        let y = [2.0, 4.0, 6.0, 8.0];
        assert_eq!(rolling_beta(&x, &y, 3).unwrap()[3], 2.0);
        assert_eq!(rolling_correlation(&x, &y, 3).unwrap()[3], 1.0);
        let c = [5.0; 4];
        assert!(rolling_correlation(&x, &c, 3).unwrap()[3].is_nan());
        assert!(rolling_beta(&c, &y, 3).unwrap()[3].is_nan());
        assert_eq!(rolling_covariance(&x, &c, 3).unwrap()[3], 0.0);
        assert!(rolling_beta(&x, &y, 5).unwrap().iter().all(|v| v.is_nan()));
        assert!(rolling_covariance(&[], &[], 2).unwrap().is_empty());
        let xn = [1.0, f64::NAN, 3.0, 4.0, 5.0];
        let yn = [1.0, 2.0, 3.0, 4.0, 6.0];
        let c = rolling_correlation(&xn, &yn, 2).unwrap();
        assert!(c[1].is_nan() && c[2].is_nan() && c[3] == 1.0);
    }
}
