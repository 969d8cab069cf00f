//! Standard deviation, TA-Lib `STDDEV`: population standard deviation (divide by `period`) of the
//! last `period` values times `nbdev`; lookback `period - 1`.
//!
//! O(1) per bar: the variance comes from running sums of deviations from a value of the window,
//! recomputed afresh every `period` bars and whenever cancellation would cost digits
//! (`average::window`), so flat windows give exactly 0 and nearly flat ones keep their digits
//! (TA-Lib 0.8 is accurate here too; older TA-Lib used E\[x²\] - mean² and zeroed variances below
//! 1e-8). A NaN or infinity makes every window containing it NaN.

use crate::average::window::{window_map, ShiftedSums, Window, VARIANCE};
use crate::average::{check_finite, check_period, TaError};
use multiversion::multiversion;

/// Standard deviation from a population variance: 0 where rounding left it at or below 0.
#[inline(always)]
pub(crate) fn talib_stddev(variance: f64) -> f64 {
    if variance > 0.0 {
        variance.sqrt()
    } else {
        0.0
    }
}

/// Streaming STDDEV; `update` returns `None` until `period` values have been seen.
#[derive(Debug, Clone)]
pub struct Stddev {
    nbdev: f64,
    window: Window,
}

impl Stddev {
    /// `period` at least 2 and `nbdev` finite (TA-Lib's ranges; its defaults are 5 and 1.0).
    pub fn new(period: usize, nbdev: f64) -> Result<Self, TaError> {
        check_period("STDDEV", "period", period, 2)?;
        check_finite("STDDEV", "nbdev", nbdev)?;
        Ok(Self {
            nbdev,
            window: Window::new(period),
        })
    }

    /// Feeds one value; `nbdev` standard deviations once the window is full.
    pub fn update(&mut self, value: f64) -> Option<f64> {
        self.window.push(value);
        if !self.window.is_full() {
            return None;
        }
        if self.window.has_gap() {
            return Some(f64::NAN);
        }
        Some(talib_stddev(self.window.variance()) * self.nbdev)
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

/// STDDEV over a whole series: same length as `values`, the first `period - 1` entries NaN.
pub fn stddev(values: &[f64], period: usize, nbdev: f64) -> Result<Vec<f64>, TaError> {
    check_period("STDDEV", "period", period, 2)?;
    check_finite("STDDEV", "nbdev", nbdev)?;
    Ok(stddev_unchecked(values, period, nbdev))
}

/// The batch twin of `Stddev::update`: the same window sums read in the same order (also the
/// deviation of BBANDS).
pub(crate) fn stddev_unchecked(values: &[f64], period: usize, nbdev: f64) -> Vec<f64> {
    stddev_with(values, period, nbdev, stddev_chunk)
}

/// A chunk of windows free of gaps (`stddev_chunk_body`'s signature).
type ChunkFn = fn(&mut ShiftedSums, &[f64], usize, &mut [f64], f64) -> bool;

/// `stddev_unchecked` with the loop of a chunk free of gaps given: `stddev_chunk`, or in the
/// test of the builds the baseline body.
#[inline(always)]
fn stddev_with(values: &[f64], period: usize, nbdev: f64, chunk_fn: ChunkFn) -> Vec<f64> {
    window_map::<VARIANCE>(
        values,
        period,
        |var| talib_stddev(var) * nbdev,
        |sums, span, len, out| chunk_fn(sums, span, len, out, nbdev),
    )
}

/// `stddev_chunk_body` built for the CPU at hand (`crate::simd`): the same numbers either way.
#[multiversion(targets("x86_64+avx2"))]
fn stddev_chunk(
    sums: &mut ShiftedSums,
    span: &[f64],
    len: usize,
    out: &mut [f64],
    nbdev: f64,
) -> bool {
    stddev_chunk_body(sums, span, len, out, nbdev)
}

/// The running variances of a chunk of windows (`ShiftedSums::run`), then their deviations in
/// a loop of their own, which vectorises (the square roots).
#[inline(always)]
fn stddev_chunk_body(
    sums: &mut ShiftedSums,
    span: &[f64],
    len: usize,
    out: &mut [f64],
    nbdev: f64,
) -> bool {
    let finite = sums.run::<VARIANCE>(span, len, out);
    if finite {
        for o in out.iter_mut() {
            *o = talib_stddev(*o) * nbdev;
        }
    }
    finite
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instruction_sets_agree_bit_for_bit() {
        for s in crate::simd::real_series() {
            for period in [2, 20, 30] {
                let base = stddev_with(&s.close, period, 2.0, stddev_chunk_body);
                let dispatched = stddev_with(&s.close, period, 2.0, stddev_chunk);
                crate::simd::assert_bits_eq("STDDEV", &base, &dispatched);
            }
        }
    }

    #[test]
    fn population_not_sample() {
        // 2, 4, 4, 4, 5, 5, 7, 9: population sd exactly 2 (sample sd would be 2.138...).
        let x = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        let out = stddev(&x, 8, 1.0).unwrap();
        assert_eq!(out[7], 2.0);
        assert_eq!(stddev(&x, 8, 2.0).unwrap()[7], 4.0);
        assert!(Stddev::new(5, f64::NAN).is_err());
    }

    #[test]
    fn flat_window_is_exactly_zero() {
        let out = stddev(&[0.1; 6], 5, 1.0).unwrap();
        assert_eq!(&out[4..], &[0.0, 0.0]);
    }
}
