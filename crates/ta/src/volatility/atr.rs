//! Average true range, TA-Lib `ATR`: Wilder-smoothed true range; lookback `period`.
//!
//! Seeding as TA-Lib: the first ATR (bar `period`) is the mean of the true ranges of bars
//! 1..=period, then Wilder's smoothing of TR in blocks of four (`average::wilder::Smoother`;
//! TA-Lib's (ATR * (period - 1) + TR) / period to rounding); period 1 is the true range itself.
//! Recursive: a NaN or infinity makes every later value NaN until `reset`.

use super::trange::true_range;
use crate::average::output::with_lookback;
use crate::average::wilder::{smooth_into, Smoother, Wilder};
use crate::average::{check_lengths, check_period, TaError};

/// Streaming ATR; `update` returns `None` until `period + 1` bars have been seen.
#[derive(Debug, Clone)]
pub struct Atr {
    period: usize,
    prev_close: Option<f64>,
    ranges: usize,
    value: f64,
    wilder: Wilder,
    /// Wilder's smoothing from the seed on (period 2 and up; period 1 is the true range).
    smoother: Option<Smoother>,
}

impl Atr {
    /// `period` must be at least 1 (TA-Lib's range; its default is 14).
    pub fn new(period: usize) -> Result<Self, TaError> {
        check_period("ATR", "period", period, 1)?;
        Ok(Self {
            period,
            prev_close: None,
            ranges: 0,
            value: 0.0,
            wilder: Wilder::new(period),
            smoother: None,
        })
    }

    /// Feeds one bar; the ATR once `period` true ranges have been seen.
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> Option<f64> {
        let prev = self.prev_close.replace(close)?;
        let tr = true_range(high, low, prev);
        let p = self.period as f64;
        if self.ranges < self.period {
            self.value += tr;
            self.ranges += 1;
            if self.ranges < self.period {
                return None;
            }
            self.value /= p;
            if self.period > 1 {
                self.smoother = Some(Smoother::new(self.period, self.value));
            }
        } else if let Some(smoother) = self.smoother.as_mut() {
            self.value = smoother.update(tr);
        } else {
            self.value = self.wilder.step(self.value, tr);
        }
        Some(self.value)
    }

    /// True once `update` returns values.
    pub fn is_ready(&self) -> bool {
        self.ranges >= self.period
    }

    /// Forgets all bars seen.
    pub fn reset(&mut self) {
        self.prev_close = None;
        self.ranges = 0;
        self.value = 0.0;
        self.smoother = None;
    }
}

/// ATR over whole series (equal lengths): same length, the first `period` entries NaN.
pub fn atr(high: &[f64], low: &[f64], close: &[f64], period: usize) -> Result<Vec<f64>, TaError> {
    let n = check_lengths(
        "ATR",
        &[
            ("high", high.len()),
            ("low", low.len()),
            ("close", close.len()),
        ],
    )?;
    check_period("ATR", "period", period, 1)?;
    let mut out = with_lookback(n, period);
    if n <= period {
        return Ok(out);
    }
    // The batch twin of `Atr::update`: the same seed and smoothing steps in one loop.
    let tr = |i: usize| true_range(high[i], low[i], close[i - 1]);
    let mut value = 0.0;
    for i in 1..=period {
        value += tr(i);
    }
    value /= period as f64;
    out.push(value);
    if period > 1 {
        out.resize(n, 0.0);
        smooth_into(
            period,
            value,
            |j| tr(period + 1 + j),
            |v| v,
            &mut out[period + 1..],
        );
    } else {
        let wilder = Wilder::new(period);
        out.extend((period + 1..n).map(|i| {
            value = wilder.step(value, tr(i));
            value
        }));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_with_mean_then_wilder() {
        // True ranges 2, 4 -> seed 3; next TR max(6, |12-20|, |12-14|) = 8 -> (3 + 8) / 2 = 5.5.
        let high = [10.0, 12.0, 14.0, 20.0];
        let low = [10.0, 10.0, 10.0, 14.0];
        let close = [10.0, 11.0, 12.0, 15.0];
        let out = atr(&high, &low, &close, 2).unwrap();
        assert!(out[0].is_nan() && out[1].is_nan());
        assert_eq!(&out[2..], &[3.0, 5.5]);
    }

    #[test]
    fn nan_is_sticky() {
        let mut a = Atr::new(1).unwrap();
        a.update(2.0, 1.0, 1.5);
        assert_eq!(a.update(2.0, 1.0, 1.5), Some(1.0));
        assert!(a.update(f64::NAN, 1.0, 1.5).is_some_and(f64::is_nan));
        assert!(a.update(2.0, 1.0, 1.5).is_some_and(f64::is_nan));
    }
}
