//! Relative strength index, TA-Lib `RSI`: Wilder-smoothed average gain and loss, lookback
//! `period`.
//!
//! Seeding as TA-Lib: the first averages are the plain means of the first `period` changes; then
//! avg = (avg * (period - 1) + change) / period. Where avg gain + avg loss is 0 (a flat series)
//! the value is 0, as in TA-Lib 0.8 (which dropped the absolute 1e-8 guard of older TA-Lib).
//! Recursive: a NaN or infinity makes every later value NaN until `reset`.

use crate::average::window::run;
use crate::average::{check_period, TaError};

/// Streaming RSI; `update` returns `None` until `period + 1` prices have been seen.
#[derive(Debug, Clone)]
pub struct Rsi {
    period: usize,
    prev: Option<f64>,
    changes: usize,
    gain: f64,
    loss: f64,
}

impl Rsi {
    /// `period` must be at least 2 (TA-Lib's range).
    pub fn new(period: usize) -> Result<Self, TaError> {
        check_period("RSI", "period", period, 2)?;
        Ok(Self {
            period,
            prev: None,
            changes: 0,
            gain: 0.0,
            loss: 0.0,
        })
    }

    /// Feeds one price; the RSI once `period` changes have been seen.
    pub fn update(&mut self, price: f64) -> Option<f64> {
        let price = if price.is_finite() { price } else { f64::NAN };
        let prev = self.prev.replace(price)?;
        let change = price - prev;
        let p = self.period as f64;
        if self.changes < self.period {
            if change < 0.0 {
                self.loss -= change;
            } else {
                // Also takes NaN, which then poisons the gain for good.
                self.gain += change;
            }
            self.changes += 1;
            if self.changes < self.period {
                return None;
            }
            self.loss /= p;
            self.gain /= p;
        } else {
            self.loss *= p - 1.0;
            self.gain *= p - 1.0;
            if change < 0.0 {
                self.loss -= change;
            } else {
                self.gain += change;
            }
            self.loss /= p;
            self.gain /= p;
        }
        let total = self.gain + self.loss;
        if total.is_nan() {
            return Some(f64::NAN);
        }
        Some(if total == 0.0 {
            0.0
        } else {
            100.0 * (self.gain / total)
        })
    }

    /// True once `update` returns values.
    pub fn is_ready(&self) -> bool {
        self.changes >= self.period
    }

    /// Forgets all prices seen.
    pub fn reset(&mut self) {
        self.prev = None;
        self.changes = 0;
        self.gain = 0.0;
        self.loss = 0.0;
    }
}

/// RSI over a whole series: same length as `prices`, the first `period` entries NaN.
pub fn rsi(prices: &[f64], period: usize) -> Result<Vec<f64>, TaError> {
    let mut r = Rsi::new(period)?;
    Ok(run(prices.len(), |i| r.update(prices[i]), |v| v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_wilder_values() {
        // period 2: changes +1, -1 -> gain 0.5, loss 0.5 -> 50; next +2:
        // gain (0.5 + 2) / 2 = 1.25, loss 0.25 -> 100 * 1.25 / 1.5.
        let out = rsi(&[1.0, 2.0, 1.0, 3.0], 2).unwrap();
        assert!(out[0].is_nan() && out[1].is_nan());
        assert_eq!(out[2], 50.0);
        assert!((out[3] - 100.0 * 1.25 / 1.5).abs() < 1e-12);
    }

    #[test]
    fn constant_series_is_zero_like_talib() {
        let out = rsi(&[5.0; 6], 3).unwrap();
        assert_eq!(&out[3..], &[0.0, 0.0, 0.0]);
    }

    #[test]
    fn nan_is_sticky() {
        let out = rsi(&[1.0, 2.0, 3.0, f64::NAN, 4.0, 5.0, 6.0], 2).unwrap();
        assert_eq!(out[2], 100.0);
        assert!(out[3..].iter().all(|v| v.is_nan()));
    }
}
