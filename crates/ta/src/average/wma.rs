//! Linearly weighted moving average, TA-Lib `WMA`: weights 1..=period, newest heaviest, divided
//! by period * (period + 1) / 2; lookback `period - 1`.
//!
//! Each value is summed afresh from the window (O(period)), so nothing drifts; TA-Lib's running
//! form agrees to rounding. A NaN or infinity makes every window containing it NaN.

use super::window::{run, Window};
use super::{check_period, TaError};

/// Streaming WMA; `update` returns `None` until `period` values have been seen.
#[derive(Debug, Clone)]
pub struct Wma {
    period: usize,
    window: Window,
}

impl Wma {
    /// `period` must be at least 2 (TA-Lib's range).
    pub fn new(period: usize) -> Result<Self, TaError> {
        check_period("WMA", "period", period, 2)?;
        Ok(Self {
            period,
            window: Window::new(period),
        })
    }

    /// Feeds one value; the weighted average once the window is full.
    pub fn update(&mut self, value: f64) -> Option<f64> {
        self.window.push(value);
        if !self.window.is_full() {
            return None;
        }
        if self.window.has_gap() {
            return Some(f64::NAN);
        }
        let weighted: f64 = self
            .window
            .iter()
            .enumerate()
            .map(|(i, x)| (i + 1) as f64 * x)
            .sum();
        let divider = (self.period * (self.period + 1) / 2) as f64;
        Some(weighted / divider)
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

/// WMA over a whole series: same length as `values`, the first `period - 1` entries NaN.
pub fn wma(values: &[f64], period: usize) -> Result<Vec<f64>, TaError> {
    let mut w = Wma::new(period)?;
    Ok(run(values.len(), |i| w.update(values[i]), |v| v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_newest_heaviest() {
        // (1*1 + 2*2 + 3*6) / 6 = 23/6
        let out = wma(&[1.0, 2.0, 6.0], 3).unwrap();
        assert!(out[1].is_nan());
        assert_eq!(out[2], 23.0 / 6.0);
    }
}
