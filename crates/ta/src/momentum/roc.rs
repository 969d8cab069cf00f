//! Rate of change, TA-Lib `ROC`: ((price / price `period` bars earlier) - 1) * 100; lookback
//! `period`. Where the earlier price is 0 the value is 0, as in TA-Lib.
//!
//! Pointwise, so a NaN affects only the outputs whose two prices include it.

use crate::average::output::with_lookback;
use crate::average::window::Window;
use crate::average::{check_period, TaError};

/// Streaming ROC; `update` returns `None` until `period + 1` prices have been seen.
#[derive(Debug, Clone)]
pub struct Roc {
    window: Window,
}

impl Roc {
    /// `period` must be at least 1 (TA-Lib's range).
    pub fn new(period: usize) -> Result<Self, TaError> {
        check_period("ROC", "period", period, 1)?;
        Ok(Self {
            window: Window::new(period + 1),
        })
    }

    /// Feeds one price; the percentage change once `period + 1` prices have been seen.
    pub fn update(&mut self, price: f64) -> Option<f64> {
        self.window.push(price);
        if !self.window.is_full() {
            return None;
        }
        let earlier = self.window.oldest()?;
        Some(if earlier != 0.0 {
            ((price / earlier) - 1.0) * 100.0
        } else {
            0.0
        })
    }

    /// True once `update` returns values.
    pub fn is_ready(&self) -> bool {
        self.window.is_full()
    }

    /// Forgets all prices seen.
    pub fn reset(&mut self) {
        self.window.clear();
    }
}

/// ROC over a whole series: same length as `prices`, the first `period` entries NaN.
pub fn roc(prices: &[f64], period: usize) -> Result<Vec<f64>, TaError> {
    check_period("ROC", "period", period, 1)?;
    // Pointwise: the same arithmetic as `Roc::update` (equality is a property test).
    let mut out = with_lookback(prices.len(), period);
    if prices.len() > period {
        out.extend(prices[period..].iter().zip(prices).map(|(&x, &earlier)| {
            if earlier != 0.0 {
                ((x / earlier) - 1.0) * 100.0
            } else {
                0.0
            }
        }));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_change_and_zero_guard() {
        let out = roc(&[100.0, 110.0, 0.0, 5.0], 1).unwrap();
        assert!(out[0].is_nan());
        assert!((out[1] - 10.0).abs() < 1e-12);
        assert_eq!(out[2], -100.0);
        assert_eq!(out[3], 0.0);
    }
}
