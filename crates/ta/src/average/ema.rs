//! Exponential moving average, TA-Lib `EMA`: k = 2 / (period + 1), seeded with the SMA of the
//! first `period` values (TA-Lib's default compatibility mode), lookback `period - 1`.
//!
//! Recursive, so a NaN or infinity (also one inside the seed window) makes every later value NaN
//! until `reset`. The state itself is left as the arithmetic makes it (an infinity turns into NaN
//! at the next step by itself) and only the outputs are mapped to NaN, which keeps that check
//! off the recursion's dependency chain.

use super::{check_period, TaError};

/// Non-finite values as NaN: the one representation of "undefined" the indicators return.
#[inline(always)]
pub(crate) fn finite_or_nan(x: f64) -> f64 {
    if x.is_finite() {
        x
    } else {
        f64::NAN
    }
}

/// TA-Lib's EMA step: ((x - prev) * k) + prev.
#[inline(always)]
pub(crate) fn ema_step(prev: f64, x: f64, k: f64) -> f64 {
    (x - prev) * k + prev
}

/// TA-Lib's smoothing factor 2 / (period + 1).
pub(crate) fn ema_k(period: usize) -> f64 {
    2.0 / (period as f64 + 1.0)
}

/// The seed: values summed left to right from 0.0, then divided (as `Ema::update` does).
pub(crate) fn seed_mean(values: &[f64]) -> f64 {
    values.iter().fold(0.0, |acc, &x| acc + x) / values.len() as f64
}

/// Streaming EMA; `update` returns `None` until `period` values have been seen.
#[derive(Debug, Clone)]
pub struct Ema {
    period: usize,
    k: f64,
    seen: usize,
    seed_sum: f64,
    value: f64,
}

impl Ema {
    /// `period` must be at least 2 (TA-Lib's range).
    pub fn new(period: usize) -> Result<Self, TaError> {
        check_period("EMA", "period", period, 2)?;
        Ok(Self::new_unchecked(period))
    }

    /// Used by MACD, whose signal period may be 1.
    pub(crate) fn new_unchecked(period: usize) -> Self {
        Self {
            period,
            k: ema_k(period),
            seen: 0,
            seed_sum: 0.0,
            value: f64::NAN,
        }
    }

    /// Starts the recursion from an externally computed seed (MACD's fast EMA, which TA-Lib
    /// seeds at the slow EMA's first bar).
    pub(crate) fn seeded(period: usize, seed: f64) -> Self {
        let mut e = Self::new_unchecked(period);
        e.seen = period;
        e.value = seed;
        e
    }

    /// Feeds one value; the average once `period` values have been seen.
    pub fn update(&mut self, value: f64) -> Option<f64> {
        if self.seen < self.period {
            // TA-Lib sums the seed window left to right, then divides.
            self.seed_sum += value;
            self.seen += 1;
            if self.seen < self.period {
                return None;
            }
            self.value = self.seed_sum / self.period as f64;
        } else {
            self.value = ema_step(self.value, value, self.k);
        }
        Some(finite_or_nan(self.value))
    }

    /// True once `update` returns values.
    pub fn is_ready(&self) -> bool {
        self.seen >= self.period
    }

    /// Forgets all values seen.
    pub fn reset(&mut self) {
        *self = Self::new_unchecked(self.period);
    }
}

/// EMA over a whole series: same length as `values`, the first `period - 1` entries NaN.
pub fn ema(values: &[f64], period: usize) -> Result<Vec<f64>, TaError> {
    check_period("EMA", "period", period, 2)?;
    let n = values.len();
    let mut out = Vec::with_capacity(n);
    if n < period {
        out.resize(n, f64::NAN);
        return Ok(out);
    }
    out.resize(period - 1, f64::NAN);
    // The batch twin of `Ema::update`: the same seed and step, in one loop.
    let k = ema_k(period);
    let mut value = seed_mean(&values[..period]);
    out.push(finite_or_nan(value));
    out.extend(values[period..].iter().map(move |&x| {
        value = ema_step(value, x, k);
        finite_or_nan(value)
    }));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_with_sma_then_recursive() {
        // period 3, k = 0.5: seed (1+2+3)/3 = 2, then (4-2)*0.5+2 = 3, then (10-3)*0.5+3 = 6.5.
        let out = ema(&[1.0, 2.0, 3.0, 4.0, 10.0], 3).unwrap();
        assert!(out[0].is_nan() && out[1].is_nan());
        assert_eq!(&out[2..], &[2.0, 3.0, 6.5]);
    }

    #[test]
    fn nan_is_sticky_until_reset() {
        let mut e = Ema::new(2).unwrap();
        assert_eq!(e.update(1.0), None);
        assert_eq!(e.update(3.0), Some(2.0));
        assert!(e.update(f64::NAN).is_some_and(f64::is_nan));
        assert!(e.update(5.0).is_some_and(f64::is_nan));
        e.reset();
        assert!(!e.is_ready());
        assert_eq!(e.update(1.0), None);
        assert_eq!(e.update(3.0), Some(2.0));
    }
}
