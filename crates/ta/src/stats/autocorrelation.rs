//! Sample autocorrelations, needed by Lo's (2002) non-iid Sharpe-ratio scaling.
//!
//! Convention of statsmodels `acf(adjusted=False)`: every lag divides by the full-sample sum of
//! squares, which keeps the sequence positive semi-definite.

use super::error::{ensure_finite, ensure_len, StatsError};
use super::moments::{all_equal, mean_unchecked, sum_sq_dev};

/// Autocorrelations rho_1..=rho_nlags; rho_k = sum_t (x_t - m)(x_{t+k} - m) / sum_t (x_t - m)^2.
/// A constant series has undefined autocorrelation: all NaN.
pub fn autocorrelations(xs: &[f64], nlags: usize) -> Result<Vec<f64>, StatsError> {
    ensure_len(xs, nlags + 1)?;
    ensure_finite(xs)?;
    if all_equal(xs) {
        return Ok(vec![f64::NAN; nlags]);
    }
    let m = mean_unchecked(xs);
    let denom = sum_sq_dev(xs, m);
    Ok((1..=nlags)
        .map(|k| {
            xs.iter()
                .zip(&xs[k..])
                .map(|(a, b)| (a - m) * (b - m))
                .sum::<f64>()
                / denom
        })
        .collect())
}
