//! Simple moving average, TA-Lib `SMA`: the mean of the last `period` values.
//!
//! Lookback `period - 1`. O(1) per bar with a running sum that is recomputed afresh every
//! `period` bars (`average::window`), so long series do not drift (TA-Lib's never refreshed
//! running sum agrees to ~1e-14 relative). A NaN or infinity makes every window containing
//! it NaN; the average recovers once the value has left the window.

use super::window::{emit_after_run, window_map, Window, MEAN};
use super::{check_period, TaError};

/// Streaming SMA; `update` returns `None` until `period` values have been seen.
#[derive(Debug, Clone)]
pub struct Sma {
    window: Window,
}

impl Sma {
    /// `period` must be at least 2 (TA-Lib's range).
    pub fn new(period: usize) -> Result<Self, TaError> {
        check_period("SMA", "period", period, 2)?;
        Ok(Self::new_unchecked(period))
    }

    /// Used by composite indicators (STOCH) whose smoothing periods may be 1.
    pub(crate) fn new_unchecked(period: usize) -> Self {
        Self {
            window: Window::new(period),
        }
    }

    /// Feeds one value; the average once the window is full.
    pub fn update(&mut self, value: f64) -> Option<f64> {
        self.window.push(value);
        if !self.window.is_full() {
            return None;
        }
        if self.window.has_gap() {
            return Some(f64::NAN);
        }
        Some(self.window.mean())
    }

    /// True once `update` returns values.
    pub fn is_ready(&self) -> bool {
        self.window.is_full()
    }

    /// Forgets all values seen.
    pub fn reset(&mut self) {
        self.window.clear();
    }
}

/// SMA over a whole series: same length as `values`, the first `period - 1` entries NaN.
pub fn sma(values: &[f64], period: usize) -> Result<Vec<f64>, TaError> {
    check_period("SMA", "period", period, 2)?;
    Ok(sma_unchecked(values, period))
}

/// The batch twin of `Sma::update` (the same window sums read in the same order), also used
/// by STOCH.
pub(crate) fn sma_unchecked(values: &[f64], period: usize) -> Vec<f64> {
    window_map::<MEAN>(
        values,
        period,
        |mean| mean,
        emit_after_run::<MEAN>(|mean| mean),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn textbook_values_and_lookback() {
        let out = sma(&[1.0, 2.0, 3.0, 4.0, 5.0], 3).unwrap();
        assert!(out[0].is_nan() && out[1].is_nan());
        assert_eq!(&out[2..], &[2.0, 3.0, 4.0]);
    }

    #[test]
    fn refuses_period_below_two() {
        assert!(matches!(sma(&[1.0], 1), Err(TaError::InvalidPeriod { .. })));
        assert!(Sma::new(0).is_err());
    }

    #[test]
    fn nan_leaves_the_window() {
        let out = sma(&[1.0, f64::NAN, 3.0, 4.0, 5.0], 2).unwrap();
        assert!(out[1].is_nan() && out[2].is_nan());
        assert_eq!(&out[3..], &[3.5, 4.5]);
    }
}
