//! Williams %R, TA-Lib `WILLR`: -100 * (highest high - close) / (highest high - lowest low)
//! over `period` bars; lookback `period - 1`. Where the range is float noise (at most 1e-14 of
//! |highest| + |lowest|) the value is 0, as in TA-Lib 0.8.
//!
//! A NaN or infinity makes every window containing it NaN.

use super::range::{
    double_both, finite_window_extremes, larger, smaller, window_ranges, SegmentExtremes,
    SegmentLoops,
};
use crate::average::ema::zero_or_nan;
use crate::average::output::with_lookback;
use crate::average::window::{within_dead_zone, Window};
use crate::average::{check_lengths, check_period, TaError};
use multiversion::multiversion;

/// %R from the window's extremes and the close. TA-Lib divides twice, (highest - close) /
/// ((highest - lowest) / -100); one division and a multiplication differ from that by rounding
/// (~1e-16 relative) and halve the divisions, which bound the batch loop's speed.
#[inline(always)]
fn willr_value(highest: f64, lowest: f64, close: f64) -> f64 {
    let range = highest - lowest;
    let value = (highest - close) / range * -100.0;
    if within_dead_zone(range, highest.abs() + lowest.abs()) {
        0.0
    } else {
        value
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
    check_lengths(
        "WILLR",
        &[
            ("high", high.len()),
            ("low", low.len()),
            ("close", close.len()),
        ],
    )?;
    check_period("WILLR", "period", period, 2)?;
    Ok(willr_with((high, low, close), period, &DISPATCHED))
}

const DISPATCHED: SegmentLoops = SegmentLoops {
    step: double_both,
    values: push_values,
};

/// `push_values_body` built for the CPU at hand.
#[multiversion(targets("x86_64+avx2"))]
fn push_values<'a>(x: SegmentExtremes<'a>, close: &[f64], out: &mut Vec<f64>) {
    push_values_body(x, close, out)
}

/// Appends the WILLR of a segment's windows (`close` from the first window's last bar on).
#[inline(always)]
fn push_values_body(x: SegmentExtremes<'_>, close: &[f64], out: &mut Vec<f64>) {
    let ([h0, h1], [l0, l1]) = (x.high, x.low);
    let rows = h0.iter().zip(h1).zip(l0.iter().zip(l1)).zip(close);
    out.extend(rows.map(|(((&h0, &h1), (&l0, &l1)), &c)| {
        willr_value(larger(h0, h1), smaller(l0, l1), c) - zero_or_nan(c)
    }));
}

/// `willr` (checked inputs) with the segment loops given.
#[inline(always)]
fn willr_with(
    (high, low, close): (&[f64], &[f64], &[f64]),
    period: usize,
    loops: &SegmentLoops,
) -> Vec<f64> {
    let n = close.len();
    let mut out = with_lookback(n, period - 1);
    // The batch twin of `Willr::update`: the same extremes (exact, however found) and formula.
    // Bars free of NaN and infinity (real prices) take the branch-free extremes; the first gap
    // among highs and lows sends the whole series to the gap-aware path. A close that is not
    // finite spoils only its own bar (`zero_or_nan`).
    let emit = |end: usize, x: SegmentExtremes<'_>| (loops.values)(x, &close[end..], &mut out);
    if finite_window_extremes(high, low, period, emit, loops.step) {
        return out;
    }
    out.truncate(period - 1);
    out.resize(n, 0.0);
    window_ranges(
        high,
        low,
        period,
        out.get_mut(period - 1..).unwrap_or(&mut []),
        |i, highest, lowest, gap| {
            let close = close[i];
            if gap || !close.is_finite() {
                f64::NAN
            } else {
                willr_value(highest, lowest, close)
            }
        },
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::momentum::range::double_both_body;

    #[test]
    fn instruction_sets_agree_bit_for_bit() {
        let baseline = SegmentLoops {
            step: double_both_body,
            values: push_values_body,
        };
        for s in crate::simd::real_series() {
            let bars = (&s.high[..], &s.low[..], &s.close[..]);
            for period in [2, 14, 30] {
                let base = willr_with(bars, period, &baseline);
                let dispatched = willr_with(bars, period, &DISPATCHED);
                crate::simd::assert_bits_eq("WILLR", &base, &dispatched);
            }
        }
    }

    #[test]
    fn position_in_range() {
        // Range 10..20, close 12.5: -100 * (20 - 12.5) / 10 = -75.
        let out = willr(&[20.0, 15.0], &[10.0, 11.0], &[15.0, 12.5], 2).unwrap();
        assert!(out[0].is_nan());
        assert_eq!(out[1], -75.0);
    }
}
