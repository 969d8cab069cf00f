//! The one error type of the indicator modules.
//!
//! Indicators refuse bad parameters and mismatched inputs up front, so a caller never gets a
//! silently shifted or truncated series.

use thiserror::Error;

/// Why an indicator refused its parameters or inputs.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum TaError {
    /// A period is below the smallest value TA-Lib accepts for it.
    #[error("{indicator}: `{param}` = {value} is invalid, it must be at least {min}")]
    InvalidPeriod {
        /// Indicator name, e.g. "RSI".
        indicator: &'static str,
        /// Parameter name, e.g. "period".
        param: &'static str,
        /// The value passed.
        value: usize,
        /// The smallest accepted value.
        min: usize,
    },
    /// A real-valued parameter (e.g. a deviation multiplier) is NaN or infinite.
    #[error("{indicator}: `{param}` = {value} is invalid, it must be a finite number")]
    InvalidParameter {
        /// Indicator name.
        indicator: &'static str,
        /// Parameter name.
        param: &'static str,
        /// The value passed.
        value: f64,
    },
    /// Two input slices that describe the same bars have different lengths.
    #[error("{indicator}: input `{input}` has {found} values but `{reference}` has {expected}")]
    LengthMismatch {
        /// Indicator name.
        indicator: &'static str,
        /// Name of the first input, whose length the others must match.
        reference: &'static str,
        /// Its length.
        expected: usize,
        /// Name of the offending input.
        input: &'static str,
        /// Its length.
        found: usize,
    },
}

/// Refuses `value < min` for a period-like parameter.
pub(crate) fn check_period(
    indicator: &'static str,
    param: &'static str,
    value: usize,
    min: usize,
) -> Result<(), TaError> {
    if value < min {
        return Err(TaError::InvalidPeriod {
            indicator,
            param,
            value,
            min,
        });
    }
    Ok(())
}

/// Refuses a NaN or infinite real parameter.
pub(crate) fn check_finite(
    indicator: &'static str,
    param: &'static str,
    value: f64,
) -> Result<(), TaError> {
    if !value.is_finite() {
        return Err(TaError::InvalidParameter {
            indicator,
            param,
            value,
        });
    }
    Ok(())
}

/// Refuses inputs whose lengths differ from the first one's.
pub(crate) fn check_lengths(
    indicator: &'static str,
    inputs: &[(&'static str, usize)],
) -> Result<usize, TaError> {
    let Some(&(reference, expected)) = inputs.first() else {
        return Ok(0);
    };
    for &(input, found) in &inputs[1..] {
        if found != expected {
            return Err(TaError::LengthMismatch {
                indicator,
                reference,
                expected,
                input,
                found,
            });
        }
    }
    Ok(expected)
}
