//! Standard deviation, TA-Lib `STDDEV`: population standard deviation (divide by `period`) of the
//! last `period` values times `nbdev`; lookback `period - 1`.
//!
//! The variance is taken about the window mean in two passes, so flat windows keep their digits
//! (TA-Lib 0.8 is accurate here too; older TA-Lib used E\[x²\] - mean² and zeroed variances below
//! 1e-8). A NaN or infinity makes every window containing it NaN.

use crate::average::window::{run, Window};
use crate::average::{check_finite, check_period, TaError};

/// Population variance of a window about `mean` (two-pass, in window order).
pub(crate) fn population_variance(window: &Window, mean: f64, period: usize) -> f64 {
    let mut sum = 0.0;
    for x in window.iter() {
        let d = x - mean;
        sum += d * d;
    }
    sum / period as f64
}

/// Population standard deviation of a full, gap-free window about `mean`.
pub(crate) fn talib_stddev(window: &Window, mean: f64, period: usize) -> f64 {
    let var = population_variance(window, mean, period);
    if var > 0.0 {
        var.sqrt()
    } else {
        0.0
    }
}

/// Streaming STDDEV; `update` returns `None` until `period` values have been seen.
#[derive(Debug, Clone)]
pub struct Stddev {
    period: usize,
    nbdev: f64,
    window: Window,
}

impl Stddev {
    /// `period` at least 2 and `nbdev` finite (TA-Lib's ranges; its defaults are 5 and 1.0).
    pub fn new(period: usize, nbdev: f64) -> Result<Self, TaError> {
        check_period("STDDEV", "period", period, 2)?;
        check_finite("STDDEV", "nbdev", nbdev)?;
        Ok(Self {
            period,
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
        let mean = self.window.sum() / self.period as f64;
        Some(talib_stddev(&self.window, mean, self.period) * self.nbdev)
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
    let mut s = Stddev::new(period, nbdev)?;
    Ok(run(values.len(), |i| s.update(values[i]), |v| v))
}

#[cfg(test)]
mod tests {
    use super::*;

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
