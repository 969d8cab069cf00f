//! Parameter checks shared by the Kalman filters.
//!
//! Variances must be finite and of the right sign, or the filter's numbers mean nothing.

use crate::stats::StatsError;
use nalgebra::{Matrix2, Vector2};

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
pub(crate) fn covariance2(name: &'static str, m: &Matrix2<f64>) -> Result<(), StatsError> {
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

/// Checks the parameters every two-state filter shares: state noise `q` and prior covariance are
/// 2×2 covariances, observation noise `r` is positive, and the prior state is finite.
pub(crate) fn two_state(
    q: &Matrix2<f64>,
    r: f64,
    initial_state: &Vector2<f64>,
    initial_covariance: &Matrix2<f64>,
) -> Result<(), StatsError> {
    covariance2("q", q)?;
    positive("r", r)?;
    covariance2("initial_covariance", initial_covariance)?;
    if !initial_state.iter().all(|v| v.is_finite()) {
        return Err(StatsError::InvalidParameter {
            name: "initial_state",
            reason: "must be finite".into(),
        });
    }
    Ok(())
}
