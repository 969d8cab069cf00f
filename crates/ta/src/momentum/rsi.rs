//! Relative strength index, TA-Lib `RSI`: Wilder-smoothed average gain and loss, lookback
//! `period`.
//!
//! Seeding as TA-Lib: the first averages are the plain means of the first `period` changes; then
//! avg = avg * ((period - 1) / period) + change * (1 / period): TA-Lib's (avg * (period - 1) +
//! change) / period with the division taken out of the recursion (a division's latency on every
//! step would make the loop three times slower; the two agree to rounding, ~1e-16 relative). Where avg gain + avg loss is 0 (a flat series)
//! the value is 0, as in TA-Lib 0.8 (which dropped the absolute 1e-8 guard of older TA-Lib).
//! Recursive: a NaN or infinity makes every later value NaN until `reset`.

use crate::average::wilder::Wilder;
use crate::average::{check_period, TaError};

/// A price change split into (gain, loss) as TA-Lib does; NaN counts as a gain, which then
/// poisons the average gain for good.
#[inline(always)]
fn split(change: f64) -> (f64, f64) {
    if change < 0.0 {
        (0.0, -change)
    } else {
        (change, 0.0)
    }
}

/// The RSI of the averages: 0 where both are 0 (a flat series), as TA-Lib 0.8.
#[inline(always)]
fn rsi_value(gain: f64, loss: f64) -> f64 {
    let total = gain + loss;
    if total.is_nan() {
        f64::NAN
    } else if total == 0.0 {
        0.0
    } else {
        100.0 * (gain / total)
    }
}

/// Non-finite prices are NaN (so an infinity cannot cancel against another).
#[inline(always)]
fn clean(price: f64) -> f64 {
    if price.is_finite() {
        price
    } else {
        f64::NAN
    }
}

/// Streaming RSI; `update` returns `None` until `period + 1` prices have been seen.
#[derive(Debug, Clone)]
pub struct Rsi {
    period: usize,
    prev: Option<f64>,
    changes: usize,
    gain: f64,
    loss: f64,
    wilder: Wilder,
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
            wilder: Wilder::new(period),
        })
    }

    /// Feeds one price; the RSI once `period` changes have been seen.
    pub fn update(&mut self, price: f64) -> Option<f64> {
        let price = clean(price);
        let prev = self.prev.replace(price)?;
        let (up, down) = split(price - prev);
        if self.changes < self.period {
            self.gain += up;
            self.loss += down;
            self.changes += 1;
            if self.changes < self.period {
                return None;
            }
            let p = self.period as f64;
            self.loss /= p;
            self.gain /= p;
        } else {
            self.gain = self.wilder.step(self.gain, up);
            self.loss = self.wilder.step(self.loss, down);
        }
        Some(rsi_value(self.gain, self.loss))
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
    check_period("RSI", "period", period, 2)?;
    let n = prices.len();
    let mut out = vec![f64::NAN; n];
    if n <= period {
        return Ok(out);
    }
    // The batch twin of `Rsi::update`: the same seed and Wilder steps in one loop.
    let (mut gain, mut loss) = (0.0, 0.0);
    for w in prices[..=period].windows(2) {
        let (up, down) = split(clean(w[1]) - clean(w[0]));
        gain += up;
        loss += down;
    }
    let p = period as f64;
    loss /= p;
    gain /= p;
    out[period] = rsi_value(gain, loss);
    let wilder = Wilder::new(period);
    for (o, w) in out[period + 1..]
        .iter_mut()
        .zip(prices[period..].windows(2))
    {
        let (up, down) = split(clean(w[1]) - clean(w[0]));
        gain = wilder.step(gain, up);
        loss = wilder.step(loss, down);
        *o = rsi_value(gain, loss);
    }
    Ok(out)
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
