//! The error type shared by returns/, risk/, stats/ and filters/.
//!
//! One enum so callers (risk engine, plugins) can tell a bad argument from too little data and
//! refuse with a reason instead of trading on a silently wrong number.

use thiserror::Error;

/// Why a statistic could not be computed.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum StatsError {
    /// A rolling window must hold at least `min` observations.
    #[error("window must be at least {min}, got {got}")]
    InvalidWindow { got: usize, min: usize },
    /// Paired inputs (x and y, several series) must have equal length.
    #[error("inputs must have the same length, got {left} and {right}")]
    LengthMismatch { left: usize, right: usize },
    /// Fewer observations than the statistic needs.
    #[error("need at least {needed} observations, got {got}")]
    TooShort { needed: usize, got: usize },
    /// Aggregate statistics refuse NaN/inf instead of skipping them silently.
    #[error("input contains a non-finite value at index {index}; clean or drop it first")]
    NonFinite { index: usize },
    /// A parameter outside its domain (confidence not in (0, 1), negative variance, ...).
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter { name: &'static str, reason: String },
    /// A design matrix without full column rank.
    #[error("matrix is rank deficient: {0}")]
    Singular(&'static str),
}

/// Checks that every value is finite, naming the first offending index.
pub(crate) fn ensure_finite(xs: &[f64]) -> Result<(), StatsError> {
    match xs.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(StatsError::NonFinite { index }),
        None => Ok(()),
    }
}

/// Checks that `xs` has at least `needed` values.
pub(crate) fn ensure_len(xs: &[f64], needed: usize) -> Result<(), StatsError> {
    if xs.len() < needed {
        Err(StatsError::TooShort {
            needed,
            got: xs.len(),
        })
    } else {
        Ok(())
    }
}

/// Checks that a probability-like parameter lies strictly inside (0, 1).
pub(crate) fn ensure_open_unit(name: &'static str, v: f64) -> Result<(), StatsError> {
    if v > 0.0 && v < 1.0 {
        Ok(())
    } else {
        Err(StatsError::InvalidParameter {
            name,
            reason: format!("must lie strictly between 0 and 1, got {v}"),
        })
    }
}

/// Checks that two paired inputs have equal length.
pub(crate) fn ensure_same_len(a: &[f64], b: &[f64]) -> Result<(), StatsError> {
    if a.len() == b.len() {
        Ok(())
    } else {
        Err(StatsError::LengthMismatch {
            left: a.len(),
            right: b.len(),
        })
    }
}
