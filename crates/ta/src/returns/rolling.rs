//! Rolling mean, standard deviation and z-score over a trailing window.
//!
//! Feature and signal plugins normalise prices and spreads with these; the numbers match
//! pandas `rolling(n).mean()/.std()` (ddof = 1) so research notebooks and the engine agree.

use super::window::rolling_map;
use crate::stats::moments::{all_equal, mean_unchecked, sum_sq_dev};
use crate::stats::StatsError;

/// Trailing mean over `window` values (window >= 1).
pub fn rolling_mean(xs: &[f64], window: usize) -> Result<Vec<f64>, StatsError> {
    rolling_map(xs, window, 1, mean_unchecked)
}

/// Trailing sample standard deviation (ddof = 1, window >= 2). A constant window gives exactly 0.
pub fn rolling_std(xs: &[f64], window: usize) -> Result<Vec<f64>, StatsError> {
    rolling_map(xs, window, 2, window_std)
}

/// (x_t - mean) / std over the trailing window that ends at t (window >= 2). NaN where the
/// window is constant: a z-score of a zero-dispersion window is undefined, not infinite.
pub fn rolling_zscore(xs: &[f64], window: usize) -> Result<Vec<f64>, StatsError> {
    rolling_map(xs, window, 2, |w| {
        let sd = window_std(w);
        if sd == 0.0 {
            return f64::NAN;
        }
        (w[w.len() - 1] - mean_unchecked(w)) / sd
    })
}

pub(crate) fn window_std(w: &[f64]) -> f64 {
    if all_equal(w) {
        return 0.0;
    }
    (sum_sq_dev(w, mean_unchecked(w)) / (w.len() - 1) as f64).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges() {
        assert!(rolling_mean(&[], 3).unwrap().is_empty());
        assert!(rolling_mean(&[1.0, 2.0], 3)
            .unwrap()
            .iter()
            .all(|v| v.is_nan()));
        assert_eq!(
            rolling_std(&[1.0, 2.0], 1),
            Err(StatsError::InvalidWindow { got: 1, min: 2 })
        );
        assert_eq!(
            rolling_mean(&[1.0], 0),
            Err(StatsError::InvalidWindow { got: 0, min: 1 })
        );
        assert_eq!(rolling_mean(&[4.0], 1).unwrap(), vec![4.0]);
        let c = [0.1; 5];
        assert_eq!(rolling_std(&c, 3).unwrap()[2..], [0.0, 0.0, 0.0]);
        assert!(rolling_zscore(&c, 3).unwrap().iter().all(|v| v.is_nan()));
        // mean of (1,2,3) = 2, sd = 1 -> z of 3 is 1.
        assert_eq!(rolling_zscore(&[1.0, 2.0, 3.0], 3).unwrap()[2], 1.0);
    }
}
