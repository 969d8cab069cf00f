//! Relative strength index, TA-Lib `RSI`: Wilder-smoothed average gain and loss, lookback
//! `period`.
//!
//! Seeding as TA-Lib: the first averages are the plain means of the first `period` changes; then
//! Wilder's smoothing in blocks of four (`average::wilder::Smoother`): TA-Lib's
//! (avg * (period - 1) + change) / period rearranged so that a division and four chained steps
//! are off the recursion (the two agree to rounding, ~1e-16 relative). Where avg gain + avg loss
//! is 0 (a flat series) the value is 0, as in TA-Lib 0.8 (which dropped the absolute 1e-8 guard
//! of older TA-Lib).
//! Recursive: a NaN or infinity makes every later value NaN until `reset`.

use crate::average::ema::{block_value, block_weights};
use crate::average::output::with_lookback;
use crate::average::wilder::Smoother;
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
    /// Wilder's smoothing of gains and losses from the seed on.
    smoothers: Option<(Smoother, Smoother)>,
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
            smoothers: None,
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
            self.smoothers = Some((
                Smoother::new(self.period, self.gain),
                Smoother::new(self.period, self.loss),
            ));
        } else if let Some((gain, loss)) = self.smoothers.as_mut() {
            self.gain = gain.update(up);
            self.loss = loss.update(down);
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
        self.smoothers = None;
    }
}

/// RSI over a whole series: same length as `prices`, the first `period` entries NaN.
pub fn rsi(prices: &[f64], period: usize) -> Result<Vec<f64>, TaError> {
    check_period("RSI", "period", period, 2)?;
    let n = prices.len();
    let mut out = with_lookback(n, period);
    if n <= period {
        return Ok(out);
    }
    // The batch twin of `Rsi::update`: the same seed, then both smoothers' blocks side by side.
    let (mut gain, mut loss) = (0.0, 0.0);
    for w in prices[..=period].windows(2) {
        let (up, down) = split(clean(w[1]) - clean(w[0]));
        gain += up;
        loss += down;
    }
    let p = period as f64;
    loss /= p;
    gain /= p;
    out.push(rsi_value(gain, loss));
    // Written into slots rather than pushed, so the averages stay in registers (see
    // `wilder::smooth_into`).
    out.resize(n, 0.0);
    let c = block_weights(1.0 / p);
    let change = |i: usize| split(clean(prices[i]) - clean(prices[i - 1]));
    let (mut dg, mut dl) = ([0.0; 4], [0.0; 4]);
    let mut blocks = out[period + 1..].chunks_exact_mut(4);
    let mut i = period + 1;
    for o in &mut blocks {
        for k in 0..4 {
            let (up, down) = change(i + k);
            dg[k] = up - gain;
            dl[k] = down - loss;
        }
        for j in 1..4 {
            o[j - 1] = rsi_value(block_value(j, &dg, gain, &c), block_value(j, &dl, loss, &c));
        }
        gain = block_value(4, &dg, gain, &c);
        loss = block_value(4, &dl, loss, &c);
        o[3] = rsi_value(gain, loss);
        i += 4;
    }
    for (k, o) in blocks.into_remainder().iter_mut().enumerate() {
        let (up, down) = change(i + k);
        dg[k] = up - gain;
        dl[k] = down - loss;
        *o = rsi_value(
            block_value(k + 1, &dg, gain, &c),
            block_value(k + 1, &dl, loss, &c),
        );
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
