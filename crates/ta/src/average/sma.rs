//! Simple moving average, TA-Lib `SMA`: the mean of the last `period` values.
//!
//! Lookback `period - 1`. O(1) per bar with a running sum that is recomputed afresh every
//! `period` bars (`average::window`), so long series do not drift (TA-Lib's never refreshed
//! running sum agrees to ~1e-14 relative). A NaN or infinity makes every window containing
//! it NaN; the average recovers once the value has left the window.

use super::window::{window_map, ShiftedSums, Window, MEAN};
use super::{check_period, TaError};
use multiversion::multiversion;

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
    sma_with(values, period, sma_chunk)
}

/// A chunk of windows free of gaps (`ShiftedSums::run::<MEAN>`'s form).
type ChunkFn = fn(&mut ShiftedSums, &[f64], usize, &mut [f64]) -> bool;

/// `sma_unchecked` with the loop of a chunk free of gaps given: `sma_chunk`, or in the test of
/// the builds the baseline body.
#[inline(always)]
fn sma_with(values: &[f64], period: usize, chunk_fn: ChunkFn) -> Vec<f64> {
    window_map::<MEAN>(values, period, |mean| mean, chunk_fn)
}

/// The running means of a chunk of windows (`ShiftedSums::run`), built for the CPU at hand
/// (`crate::simd`): the same numbers either way.
#[multiversion(targets("x86_64+avx2"))]
fn sma_chunk(sums: &mut ShiftedSums, span: &[f64], len: usize, out: &mut [f64]) -> bool {
    sma_chunk_body(sums, span, len, out)
}

/// `sma_chunk` for the build it is inlined into.
#[inline(always)]
fn sma_chunk_body(sums: &mut ShiftedSums, span: &[f64], len: usize, out: &mut [f64]) -> bool {
    sums.run::<MEAN>(span, len, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instruction_sets_agree_bit_for_bit() {
        for s in crate::simd::real_series() {
            for period in [2, 30, 200] {
                let base = sma_with(&s.close, period, sma_chunk_body);
                let dispatched = sma_with(&s.close, period, sma_chunk);
                crate::simd::assert_bits_eq("SMA", &base, &dispatched);
            }
        }
    }

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
