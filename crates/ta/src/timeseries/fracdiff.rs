//! Fractional differencing with a fixed-width window (FFD), and the smallest order that
//! makes a series stationary.
//!
//! Integer differencing (returns) makes prices stationary but erases their memory; a
//! fractional order d < 1 keeps as much memory as stationarity allows (M. Lopez de Prado,
//! "Advances in Financial Machine Learning", Wiley 2018, ch. 5: snippet 5.3 `getWeights_FFD` /
//! `fracDiff_FFD` and snippet 5.4 `plotMinFFD`).

use super::adf::{adf, AdfOptions};
use super::mackinnon::Regression;
use crate::stats::error::ensure_finite;
use crate::stats::StatsError;

/// Refuses thresholds so small that the window would not fit any realistic series.
const MAX_WEIGHTS: usize = 1_000_000;

/// FFD weights, newest observation first: w_0 = 1, w_k = -w_{k-1} (d - k + 1) / k, kept while
/// |w_k| >= `threshold` (the first weight below it ends the window, as in the book). For an
/// integer d the weights are the binomial ones and end exactly after w_d.
///
/// Errors: d negative or non-finite; threshold not in (0, 1); more than 10^6 weights.
pub fn ffd_weights(d: f64, threshold: f64) -> Result<Vec<f64>, StatsError> {
    if !(d.is_finite() && d >= 0.0) {
        return Err(StatsError::InvalidParameter {
            name: "d",
            reason: format!("must be finite and >= 0, got {d}"),
        });
    }
    if !(threshold > 0.0 && threshold < 1.0) {
        return Err(StatsError::InvalidParameter {
            name: "threshold",
            reason: format!("must lie strictly between 0 and 1, got {threshold}"),
        });
    }
    let mut w = vec![1.0];
    let mut k = 1usize;
    loop {
        let prev = w[k - 1];
        let next = -prev / k as f64 * (d - k as f64 + 1.0);
        if next.abs() < threshold {
            return Ok(w);
        }
        if w.len() >= MAX_WEIGHTS {
            return Err(StatsError::InvalidParameter {
                name: "threshold",
                reason: format!("{threshold} needs more than {MAX_WEIGHTS} weights for d = {d}"),
            });
        }
        w.push(next);
        k += 1;
    }
}

/// Fractionally differenced series: `out[i] = sum_k w_k x[i + width - k]` for
/// `i in 0..n - width`, where `width = weights.len() - 1`; `out[0]` belongs to `x[width]`. The
/// book's pandas version skips NaNs; here non-finite input is an error, so drop or fill
/// missing values first. Errors: those of [`ffd_weights`], non-finite x, n <= width
/// (`TooShort`).
pub fn frac_diff_ffd(x: &[f64], d: f64, threshold: f64) -> Result<Vec<f64>, StatsError> {
    let w = ffd_weights(d, threshold)?;
    ensure_finite(x)?;
    let width = w.len() - 1;
    if x.len() <= width {
        return Err(StatsError::TooShort {
            needed: width + 1,
            got: x.len(),
        });
    }
    // Oldest-first, as the book's np.dot(w.T, window) with w stored oldest first.
    Ok(x.windows(width + 1)
        .map(|win| win.iter().zip(w.iter().rev()).map(|(v, wk)| v * wk).sum())
        .collect())
}

/// One order of the search in [`min_d_stationary`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MinDRow {
    pub d: f64,
    /// Length of the differenced series.
    pub ffd_len: usize,
    pub adf_statistic: f64,
    pub adf_p_value: f64,
}

/// The search table and the smallest order whose ADF p-value is below `p_max`.
#[derive(Debug, Clone, PartialEq)]
pub struct MinD {
    pub rows: Vec<MinDRow>,
    /// `None` when no order of the grid passes.
    pub min_d: Option<f64>,
}

/// The book's `plotMinFFD` search: for each d of `grid`, FFD with `threshold`, then ADF with
/// a constant, one lag and no lag search (`adfuller(maxlag=1, regression="c",
/// autolag=None)`); the smallest d with p-value < `p_max` (0.05 in the book). Apply it to
/// log prices. Errors: empty grid, `p_max` not in (0, 1), and those of [`frac_diff_ffd`] and
/// [`adf`] for any d of the grid (e.g. a window longer than the series).
pub fn min_d_stationary(
    x: &[f64],
    grid: &[f64],
    threshold: f64,
    p_max: f64,
) -> Result<MinD, StatsError> {
    if grid.is_empty() {
        return Err(StatsError::InvalidParameter {
            name: "grid",
            reason: "needs at least one order d".into(),
        });
    }
    if !(p_max > 0.0 && p_max < 1.0) {
        return Err(StatsError::InvalidParameter {
            name: "p_max",
            reason: format!("must lie strictly between 0 and 1, got {p_max}"),
        });
    }
    let opts = AdfOptions {
        regression: Regression::Constant,
        max_lag: Some(1),
        autolag: None,
    };
    let mut rows = Vec::with_capacity(grid.len());
    for &d in grid {
        let y = frac_diff_ffd(x, d, threshold)?;
        let a = adf(&y, &opts)?;
        rows.push(MinDRow {
            d,
            ffd_len: y.len(),
            adf_statistic: a.statistic,
            adf_p_value: a.p_value,
        });
    }
    let min_d = rows
        .iter()
        .filter(|r| r.adf_p_value < p_max)
        .map(|r| r.d)
        .reduce(f64::min);
    Ok(MinD { rows, min_d })
}

#[cfg(test)]
mod tests {
    use super::*;

    // d = 0.5: w = 1, -0.5, -0.125, -0.0625, -0.0390625, ... (binomial series of (1 - B)^0.5).
    #[test]
    fn weights_by_hand() {
        let w = ffd_weights(0.5, 0.05).unwrap();
        assert_eq!(w, vec![1.0, -0.5, -0.125, -0.0625]);
        // Integer orders give the binomial weights and stop exactly.
        assert_eq!(ffd_weights(1.0, 1e-12).unwrap(), vec![1.0, -1.0]);
        assert_eq!(ffd_weights(2.0, 1e-12).unwrap(), vec![1.0, -2.0, 1.0]);
        assert_eq!(ffd_weights(0.0, 1e-12).unwrap(), vec![1.0]);
    }

    // d = 1 is the first difference; d = 0 the series itself.
    #[test]
    fn integer_orders() {
        let x = [1.0, 4.0, 9.0, 16.0];
        assert_eq!(frac_diff_ffd(&x, 1.0, 1e-5).unwrap(), vec![3.0, 5.0, 7.0]);
        assert_eq!(frac_diff_ffd(&x, 2.0, 1e-5).unwrap(), vec![2.0, 2.0]);
        assert_eq!(frac_diff_ffd(&x, 0.0, 1e-5).unwrap(), x.to_vec());
    }

    #[test]
    fn edges() {
        assert!(ffd_weights(-0.5, 1e-3).is_err());
        assert!(ffd_weights(0.5, 0.0).is_err());
        assert!(ffd_weights(f64::NAN, 1e-3).is_err());
        assert!(matches!(
            frac_diff_ffd(&[1.0, 2.0], 2.0, 1e-5),
            Err(StatsError::TooShort { needed: 3, got: 2 })
        ));
        assert!(frac_diff_ffd(&[], 0.5, 1e-2).is_err());
        assert!(frac_diff_ffd(&[1.0, f64::NAN, 1.0, 1.0, 1.0], 0.5, 0.1).is_err());
        assert!(min_d_stationary(&[1.0; 50], &[], 0.01, 0.05).is_err());
        // A constant series differences to a constant: the ADF refuses it.
        assert!(min_d_stationary(&[1.0; 50], &[0.5], 0.01, 0.05).is_err());
    }
}
