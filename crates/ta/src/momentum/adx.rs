//! Average directional index, TA-Lib `ADX`: Wilder's trend-strength measure; lookback
//! `2 * period - 1`.
//!
//! Seeding as TA-Lib: +DM, -DM and TR are summed over the first `period - 1` bar pairs, then
//! Wilder-smoothed (x - x / period + new); DX is averaged over the next `period` bars for the
//! first ADX, then ADX = (ADX * (period - 1) + DX) / period. Where TR or +DI + -DI is 0, TA-Lib
//! skips that bar's DX (the ADX is carried unchanged); so does this. Recursive: a
//! NaN or infinity makes every later value NaN until `reset`.

use crate::average::window::run;
use crate::average::{check_lengths, check_period, TaError};

/// Streaming ADX; `update` returns `None` until `2 * period` bars have been seen.
#[derive(Debug, Clone)]
pub struct Adx {
    period: usize,
    bars: usize,
    prev: Option<(f64, f64, f64)>,
    plus_dm: f64,
    minus_dm: f64,
    tr: f64,
    sum_dx: f64,
    adx: f64,
    poisoned: bool,
}

impl Adx {
    /// `period` must be at least 2 (TA-Lib's range; its default is 14).
    pub fn new(period: usize) -> Result<Self, TaError> {
        check_period("ADX", "period", period, 2)?;
        Ok(Self {
            period,
            bars: 0,
            prev: None,
            plus_dm: 0.0,
            minus_dm: 0.0,
            tr: 0.0,
            sum_dx: 0.0,
            adx: 0.0,
            poisoned: false,
        })
    }

    /// Feeds one bar; the ADX once `2 * period` bars have been seen.
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> Option<f64> {
        if !(high.is_finite() && low.is_finite() && close.is_finite()) {
            self.poisoned = true;
        }
        self.bars += 1;
        let (prev_high, prev_low, prev_close) = self.prev.replace((high, low, close))?;
        let p = self.period as f64;
        let diff_p = high - prev_high;
        let diff_m = prev_low - low;
        // Bar pairs seen so far, counting this one: 1 ..
        let pair = self.bars - 1;
        if pair >= self.period {
            self.minus_dm -= self.minus_dm / p;
            self.plus_dm -= self.plus_dm / p;
        }
        if diff_m > 0.0 && diff_p < diff_m {
            self.minus_dm += diff_m;
        } else if diff_p > 0.0 && diff_p > diff_m {
            self.plus_dm += diff_p;
        }
        let tr = crate::volatility::trange::talib_true_range(high, low, prev_close);
        if pair < self.period {
            self.tr += tr;
            return None;
        }
        self.tr = self.tr - self.tr / p + tr;
        let dx = if self.tr == 0.0 {
            None
        } else {
            let minus_di = 100.0 * (self.minus_dm / self.tr);
            let plus_di = 100.0 * (self.plus_dm / self.tr);
            let sum = minus_di + plus_di;
            (sum != 0.0).then(|| 100.0 * ((minus_di - plus_di).abs() / sum))
        };
        let last_seed_pair = 2 * self.period - 1;
        if pair < last_seed_pair {
            self.sum_dx += dx.unwrap_or(0.0);
            return None;
        }
        if pair == last_seed_pair {
            self.sum_dx += dx.unwrap_or(0.0);
            self.adx = self.sum_dx / p;
        } else if let Some(dx) = dx {
            self.adx = (self.adx * (p - 1.0) + dx) / p;
        }
        Some(if self.poisoned { f64::NAN } else { self.adx })
    }

    /// True once `update` returns values.
    pub fn is_ready(&self) -> bool {
        self.bars >= 2 * self.period
    }

    /// Forgets all bars seen.
    pub fn reset(&mut self) {
        if let Ok(fresh) = Self::new(self.period) {
            *self = fresh;
        }
    }
}

/// ADX over whole series (equal lengths): same length as the inputs, the first
/// `2 * period - 1` entries NaN.
pub fn adx(high: &[f64], low: &[f64], close: &[f64], period: usize) -> Result<Vec<f64>, TaError> {
    let n = check_lengths(
        "ADX",
        &[
            ("high", high.len()),
            ("low", low.len()),
            ("close", close.len()),
        ],
    )?;
    let mut a = Adx::new(period)?;
    Ok(run(n, |i| a.update(high[i], low[i], close[i]), |v| v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookback_and_pure_uptrend() {
        // Every bar higher by 1 with range 1: -DM = 0, so DX = 100 throughout and ADX = 100.
        let high: Vec<f64> = (0..10).map(|i| i as f64 + 1.0).collect();
        let low: Vec<f64> = (0..10).map(|i| i as f64).collect();
        let close = high.clone();
        let out = adx(&high, &low, &close, 3).unwrap();
        assert!(out[..5].iter().all(|v| v.is_nan()));
        assert!(
            out[5..].iter().all(|&v| (v - 100.0).abs() < 1e-12),
            "{out:?}"
        );
    }

    #[test]
    fn refuses_mismatched_lengths() {
        assert!(matches!(
            adx(&[1.0, 2.0], &[1.0], &[1.0, 2.0], 2),
            Err(TaError::LengthMismatch { .. })
        ));
    }
}
