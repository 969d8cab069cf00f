//! Standard deviation, TA-Lib `STDDEV`: population standard deviation (divide by `period`) of the
//! last `period` values times `nbdev`; lookback `period - 1`.
//!
//! The variance is taken about the window mean (from the running window sum) in a second pass
//! over the window, so flat windows keep their digits
//! (TA-Lib 0.8 is accurate here too; older TA-Lib used E\[x²\] - mean² and zeroed variances below
//! 1e-8). A NaN or infinity makes every window containing it NaN.

use crate::average::lanes;
use crate::average::window::{window_sums, Window};
use crate::average::{check_finite, check_period, TaError};

/// Population standard deviation of a full, gap-free window (oldest first) about `mean`: the
/// squared deviations summed in `lanes`' fixed order, so both forms get the same bits.
#[inline(always)]
pub(crate) fn talib_stddev(window: &[f64], mean: f64) -> f64 {
    let var = lanes::sum_sq_dev(window, mean) / window.len() as f64;
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
        Some(talib_stddev(self.window.as_slice(), mean) * self.nbdev)
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
    let p = period as f64;
    let mut out = Vec::with_capacity(values.len());
    out.resize(values.len().min(period - 1), f64::NAN);
    // The batch twin of `Stddev::update`: the same window sum for the mean, the same deviation
    // sum over the same (contiguous) window.
    window_sums(values, period, |i, sum, gap| {
        out.push(if gap {
            f64::NAN
        } else {
            talib_stddev(&values[i + 1 - period..=i], sum / p) * nbdev
        })
    });
    Ok(out)
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
