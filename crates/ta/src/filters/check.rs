//! Parameter checks shared by the Kalman filters.
//!
//! Variances must be finite and of the right sign, or the filter's numbers mean nothing.

use crate::stats::StatsError;

pub(crate) fn non_negative(name: &'static str, v: f64) -> Result<(), StatsError> {
    if v >= 0.0 && v.is_finite() {
        Ok(())
    } else {
        Err(StatsError::InvalidParameter {
            name,
            reason: format!("must be finite and >= 0, got {v}"),
        })
    }
}

pub(crate) fn positive(name: &'static str, v: f64) -> Result<(), StatsError> {
    if v > 0.0 && v.is_finite() {
        Ok(())
    } else {
        Err(StatsError::InvalidParameter {
            name,
            reason: format!("must be finite and > 0, got {v}"),
        })
    }
}

/// A 2x2 covariance must be finite, symmetric, with non-negative diagonal.
pub(crate) fn covariance2(
    name: &'static str,
    m: &nalgebra::Matrix2<f64>,
) -> Result<(), StatsError> {
    let ok = m.iter().all(|v| v.is_finite())
        && m[(0, 0)] >= 0.0
        && m[(1, 1)] >= 0.0
        && m[(0, 1)] == m[(1, 0)];
    if ok {
        Ok(())
    } else {
        Err(StatsError::InvalidParameter {
            name,
            reason: format!("must be a finite symmetric 2x2 covariance, got {m:?}"),
        })
    }
}
