//! Commodity channel index, TA-Lib `CCI`: (typical price - its SMA) / (0.015 * mean absolute
//! deviation), typical price (high + low + close) / 3; lookback `period - 1`.
//!
//! Mean and deviation are summed afresh per bar (O(period), as in TA-Lib) over the window oldest
//! first, in four fixed lanes (`average::lanes`), so both forms give the same bits. Where the
//! numerator is within 1e-14 of the average's magnitude (float noise) or the deviation is 0, the
//! value is 0, as in TA-Lib 0.8 (boundary probed at four price scales). A NaN or infinity makes
//! every window containing it NaN.

use crate::average::lanes;
use crate::average::window::{all_finite, within_dead_zone, Window};
use crate::average::{check_lengths, check_period, TaError};

/// Typical price (high + low + close) / 3.
#[inline(always)]
fn typical(high: f64, low: f64, close: f64) -> f64 {
    (high + low + close) / 3.0
}

/// The CCI of a full, gap-free window of typical prices (oldest first).
#[inline(always)]
fn cci_value(window: &[f64]) -> f64 {
    let p = window.len() as f64;
    let average = lanes::sum(window) / p;
    let deviation = lanes::sum_abs_dev(window, average);
    let numerator = window[window.len() - 1] - average;
    if !within_dead_zone(numerator, average.abs()) && deviation != 0.0 {
        numerator / (0.015 * (deviation / p))
    } else {
        0.0
    }
}

/// Streaming CCI; `update` returns `None` until `period` bars have been seen.
#[derive(Debug, Clone)]
pub struct Cci {
    typical: Window,
}

impl Cci {
    /// `period` must be at least 2 (TA-Lib's range; its default is 14).
    pub fn new(period: usize) -> Result<Self, TaError> {
        check_period("CCI", "period", period, 2)?;
        Ok(Self {
            typical: Window::new(period),
        })
    }

    /// Feeds one bar; the CCI once the window is full.
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> Option<f64> {
        self.typical.push(typical(high, low, close));
        if !self.typical.is_full() {
            return None;
        }
        if self.typical.has_gap() {
            return Some(f64::NAN);
        }
        Some(cci_value(self.typical.as_slice()))
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
    check_period("CCI", "period", period, 2)?;
    // The batch twin of `Cci::update`: typical prices first, then the same per-window value.
    let tp: Vec<f64> = high
        .iter()
        .zip(low)
        .zip(close)
        .map(|((&h, &l), &c)| typical(h, l, c))
        .collect();
    let mut out = Vec::with_capacity(n);
    out.resize(n.min(period - 1), f64::NAN);
    if n < period {
        return Ok(out);
    }
    if all_finite(&tp) {
        out.extend(tp.windows(period).map(cci_value));
    } else {
        // The window ending at `i` is free of gaps once `i >= clean_from`.
        let mut clean_from = 0;
        for (i, x) in tp[..period - 1].iter().enumerate() {
            if !x.is_finite() {
                clean_from = i + period;
            }
        }
        for (w, i) in tp.windows(period).zip(period - 1..) {
            if !w[period - 1].is_finite() {
                clean_from = i + period;
            }
            out.push(if i < clean_from {
                f64::NAN
            } else {
                cci_value(w)
            });
        }
    }
    Ok(out)
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
