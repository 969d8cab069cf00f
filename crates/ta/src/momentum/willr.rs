//! Williams %R, TA-Lib `WILLR`: -100 * (highest high - close) / (highest high - lowest low)
//! over `period` bars; lookback `period - 1`. Where the range is float noise (at most 1e-14 of
//! |highest| + |lowest|) the value is 0, as in TA-Lib 0.8.
//!
//! A NaN or infinity makes every window containing it NaN.

use super::range::window_ranges;
use crate::average::output::with_lookback;
use crate::average::window::{within_dead_zone, Window};
use crate::average::{check_lengths, check_period, TaError};

/// TA-Lib's divisor (highest - lowest) / -100, and whether the range is float noise.
#[inline(always)]
fn willr_divisor(highest: f64, lowest: f64) -> (f64, bool) {
    (
        (highest - lowest) / -100.0,
        within_dead_zone(highest - lowest, highest.abs() + lowest.abs()),
    )
}

/// %R from the window's extremes and the close, in TA-Lib's exact form.
#[inline(always)]
fn willr_value(highest: f64, lowest: f64, close: f64) -> f64 {
    let (diff, flat) = willr_divisor(highest, lowest);
    if !flat {
        (highest - close) / diff
    } else {
        0.0
    }
}

/// Streaming WILLR; `update` returns `None` until `period` bars have been seen.
#[derive(Debug, Clone)]
pub struct Willr {
    highs: Window,
    lows: Window,
}

impl Willr {
    /// `period` must be at least 2 (TA-Lib's range; its default is 14).
    pub fn new(period: usize) -> Result<Self, TaError> {
        check_period("WILLR", "period", period, 2)?;
        Ok(Self {
            highs: Window::new(period),
            lows: Window::new(period),
        })
    }

    /// Feeds one bar; %R once the window is full.
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> Option<f64> {
        self.highs.push(high);
        self.lows.push(low);
        if !self.highs.is_full() {
            return None;
        }
        if self.highs.has_gap() || self.lows.has_gap() || !close.is_finite() {
            return Some(f64::NAN);
        }
        let highest = self.highs.iter().fold(f64::NEG_INFINITY, f64::max);
        let lowest = self.lows.iter().fold(f64::INFINITY, f64::min);
        Some(willr_value(highest, lowest, close))
    }

    /// True once `update` returns values.
    pub fn is_ready(&self) -> bool {
        self.highs.is_full()
    }

    /// Forgets all bars seen.
    pub fn reset(&mut self) {
        self.highs.clear();
        self.lows.clear();
    }
}

/// WILLR over whole series (equal lengths): same length as the inputs, the first `period - 1`
/// entries NaN.
pub fn willr(high: &[f64], low: &[f64], close: &[f64], period: usize) -> Result<Vec<f64>, TaError> {
    let n = check_lengths(
        "WILLR",
        &[
            ("high", high.len()),
            ("low", low.len()),
            ("close", close.len()),
        ],
    )?;
    check_period("WILLR", "period", period, 2)?;
    let mut out = with_lookback(n, period - 1);
    out.resize(n, 0.0);
    // The batch twin of `Willr::update`: the same extremes (found incrementally) and formula.
    // The extremes stay the same for several bars in a row, and so does TA-Lib's divisor
    // (highest - lowest) / -100 and the dead-zone test: they are recomputed only when an extreme
    // changes (the same function of the same two numbers, so the same bits).
    let (mut last_hi, mut last_lo, mut diff, mut flat) = (f64::NAN, f64::NAN, f64::NAN, true);
    window_ranges(
        high,
        low,
        period,
        out.get_mut(period - 1..).unwrap_or(&mut []),
        |i, highest, lowest, gap| {
            let close = close[i];
            if gap || !close.is_finite() {
                return f64::NAN;
            }
            if highest.to_bits() != last_hi.to_bits() || lowest.to_bits() != last_lo.to_bits() {
                (last_hi, last_lo) = (highest, lowest);
                (diff, flat) = willr_divisor(highest, lowest);
            }
            if flat {
                0.0
            } else {
                (highest - close) / diff
            }
        },
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn position_in_range() {
        // Range 10..20, close 12.5: -100 * (20 - 12.5) / 10 = -75.
        let out = willr(&[20.0, 15.0], &[10.0, 11.0], &[15.0, 12.5], 2).unwrap();
        assert!(out[0].is_nan());
        assert_eq!(out[1], -75.0);
    }
}
