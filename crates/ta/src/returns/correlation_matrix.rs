//! Pearson correlation matrix of several aligned series (numpy `corrcoef`, rows = series).
//!
//! The cross-asset correlation plugin watches this matrix for regime breaks; entries are
//! clipped to [-1, 1] as numpy does, and a constant series gives a NaN row and column.

use nalgebra::DMatrix;

use crate::stats::error::{ensure_finite, ensure_len};
use crate::stats::moments::{all_equal, mean_unchecked};
use crate::stats::StatsError;

/// Correlation matrix of `series` (each of equal length >= 2, finite). Entry (i, j) is
/// cov(i, j) / (sd_i sd_j) with the sample covariance; the diagonal is 1 (NaN for a constant
/// series).
pub fn correlation_matrix(series: &[&[f64]]) -> Result<DMatrix<f64>, StatsError> {
    let k = series.len();
    let n = series.first().map_or(0, |s| s.len());
    for s in series {
        if s.len() != n {
            return Err(StatsError::LengthMismatch {
                left: n,
                right: s.len(),
            });
        }
        ensure_len(s, 2)?;
        ensure_finite(s)?;
    }
    let centered: Vec<Vec<f64>> = series
        .iter()
        .map(|s| {
            let m = mean_unchecked(s);
            s.iter().map(|v| v - m).collect()
        })
        .collect();
    let constant: Vec<bool> = series.iter().map(|s| all_equal(s)).collect();
    let cov = DMatrix::from_fn(k, k, |i, j| {
        centered[i]
            .iter()
            .zip(&centered[j])
            .map(|(a, b)| a * b)
            .sum::<f64>()
            / (n - 1) as f64
    });
    Ok(DMatrix::from_fn(k, k, |i, j| {
        if constant[i] || constant[j] {
            return f64::NAN;
        }
        (cov[(i, j)] / cov[(i, i)].sqrt() / cov[(j, j)].sqrt()).clamp(-1.0, 1.0)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges() {
        let m = correlation_matrix(&[]).unwrap();
        assert_eq!(m.nrows(), 0);
        let a = [1.0, 2.0, 3.0];
        let b = [3.0, 2.0, 1.0];
        let c = [7.0, 7.0, 7.0];
        let m = correlation_matrix(&[&a, &b, &c]).unwrap();
        assert_eq!(m[(0, 1)], -1.0);
        assert_eq!(m[(0, 0)], 1.0);
        assert!(m[(2, 2)].is_nan() && m[(0, 2)].is_nan());
        assert_eq!(
            correlation_matrix(&[&a, &[1.0, 2.0]]),
            Err(StatsError::LengthMismatch { left: 3, right: 2 })
        );
        assert!(correlation_matrix(&[&[1.0]]).is_err());
        assert_eq!(
            correlation_matrix(&[&a, &[1.0, f64::NAN, 2.0]]),
            Err(StatsError::NonFinite { index: 1 })
        );
    }
}
