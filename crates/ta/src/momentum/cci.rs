//! Commodity channel index, TA-Lib `CCI`: (typical price - its SMA) / (0.015 * mean absolute
//! deviation), typical price (high + low + close) / 3; lookback `period - 1`.
//!
//! Mean and deviation are summed afresh per bar in TA-Lib's circular-buffer order. Where the
//! numerator is within 1e-14 of the average's magnitude (float noise) or the deviation is 0, the
//! value is 0, as in TA-Lib 0.8 (boundary probed at four price scales). A NaN or infinity makes
//! every window containing it NaN.

use crate::average::window::{run, within_dead_zone, Window};
use crate::average::{check_lengths, check_period, TaError};

/// Streaming CCI; `update` returns `None` until `period` bars have been seen.
#[derive(Debug, Clone)]
pub struct Cci {
    period: usize,
    typical: Window,
}

impl Cci {
    /// `period` must be at least 2 (TA-Lib's range; its default is 14).
    pub fn new(period: usize) -> Result<Self, TaError> {
        check_period("CCI", "period", period, 2)?;
        Ok(Self {
            period,
            typical: Window::new(period),
        })
    }

    /// Feeds one bar; the CCI once the window is full.
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> Option<f64> {
        let last = (high + low + close) / 3.0;
        self.typical.push(last);
        if !self.typical.is_full() {
            return None;
        }
        if self.typical.has_gap() {
            return Some(f64::NAN);
        }
        let p = self.period as f64;
        let values = self.typical.raw();
        let mut average = 0.0;
        for &v in values {
            average += v;
        }
        average /= p;
        let mut deviation = 0.0;
        for &v in values {
            deviation += (v - average).abs();
        }
        let numerator = last - average;
        Some(
            if !within_dead_zone(numerator, average.abs()) && deviation != 0.0 {
                numerator / (0.015 * (deviation / p))
            } else {
                0.0
            },
        )
    }

    /// True once `update` returns values.
    pub fn is_ready(&self) -> bool {
        self.typical.is_full()
    }

    /// Forgets all bars seen.
    pub fn reset(&mut self) {
        self.typical.clear();
    }
}

/// CCI over whole series (equal lengths): same length as the inputs, the first `period - 1`
/// entries NaN.
pub fn cci(high: &[f64], low: &[f64], close: &[f64], period: usize) -> Result<Vec<f64>, TaError> {
    let n = check_lengths(
        "CCI",
        &[
            ("high", high.len()),
            ("low", low.len()),
            ("close", close.len()),
        ],
    )?;
    let mut c = Cci::new(period)?;
    Ok(run(n, |i| c.update(high[i], low[i], close[i]), |v| v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_value() {
        // Typical prices 1, 2, 6: mean 3, mean abs deviation (2+1+3)/3 = 2,
        // CCI = (6 - 3) / (0.015 * 2) = 100.
        let tp = [1.0, 2.0, 6.0];
        let out = cci(&tp, &tp, &tp, 3).unwrap();
        assert!(out[1].is_nan());
        assert!((out[2] - 100.0).abs() < 1e-12);
    }
}
