//! True range, TA-Lib `TRANGE`: the largest of high - low, |high - previous close| and
//! |low - previous close|; lookback 1 (the first bar has no previous close).
//!
//! Pointwise: a NaN affects only the bars whose inputs include it.

use crate::average::ema::zero_or_nan;
use crate::average::{check_lengths, TaError};
use multiversion::multiversion;

/// True range of one bar given the previous close, in TA-Lib's evaluation order.
#[inline]
pub fn true_range(high: f64, low: f64, prev_close: f64) -> f64 {
    if !(high.is_finite() && low.is_finite() && prev_close.is_finite()) {
        return f64::NAN;
    }
    talib_true_range(high, low, prev_close)
}

/// TA-Lib's comparisons, without the finiteness check (callers track gaps themselves).
#[inline(always)]
pub(crate) fn talib_true_range(high: f64, low: f64, prev_close: f64) -> f64 {
    let greatest = high - low;
    let up = (prev_close - high).abs();
    let greatest = if up > greatest { up } else { greatest };
    let down = (prev_close - low).abs();
    if down > greatest {
        down
    } else {
        greatest
    }
}

/// `true_range` without a branch (`zero_or_nan`): TA-Lib's comparisons give the true range, and
/// a NaN or infinity among the inputs gives NaN, as in `true_range`.
#[inline(always)]
pub(crate) fn true_range_or_nan(high: f64, low: f64, prev_close: f64) -> f64 {
    let gaps = zero_or_nan(high) + zero_or_nan(low) + zero_or_nan(prev_close);
    talib_true_range(high, low, prev_close) - gaps
}

/// Streaming true range; `update` returns `None` for the first bar.
#[derive(Debug, Clone, Default)]
pub struct Trange {
    prev_close: Option<f64>,
    ready: bool,
}

impl Trange {
    /// No parameters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one bar; its true range from the second bar on.
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> Option<f64> {
        let prev = self.prev_close.replace(close)?;
        self.ready = true;
        Some(true_range(high, low, prev))
    }

    /// True once `update` returns values.
    pub fn is_ready(&self) -> bool {
        self.ready
    }

    /// Forgets all bars seen.
    pub fn reset(&mut self) {
        *self = Self::default();
    }
}

/// True range over whole series (equal lengths): same length, the first entry NaN.
pub fn trange(high: &[f64], low: &[f64], close: &[f64]) -> Result<Vec<f64>, TaError> {
    let n = check_lengths(
        "TRANGE",
        &[
            ("high", high.len()),
            ("low", low.len()),
            ("close", close.len()),
        ],
    )?;
    // Pointwise: `Trange::update`'s function, written without a branch so the loop vectorises.
    let mut out = Vec::with_capacity(n);
    if n > 0 {
        out.push(f64::NAN);
        push_ranges(high, low, close, &mut out);
    }
    Ok(out)
}

/// Appends the true ranges of bars 1.. (equal lengths, at least one bar), built for the CPU
/// at hand (`crate::simd`): the same numbers either way.
#[multiversion(targets("x86_64+avx2"))]
fn push_ranges(high: &[f64], low: &[f64], close: &[f64], out: &mut Vec<f64>) {
    push_ranges_body(high, low, close, out)
}

/// `push_ranges` for the build it is inlined into.
#[inline(always)]
fn push_ranges_body(high: &[f64], low: &[f64], close: &[f64], out: &mut Vec<f64>) {
    let bars = high[1..].iter().zip(&low[1..]).zip(close);
    out.extend(bars.map(|((&h, &l), &prev)| true_range_or_nan(h, l, prev)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instruction_sets_agree_bit_for_bit() {
        for s in crate::simd::real_series() {
            let (mut base, mut dispatched) = (vec![], vec![]);
            push_ranges_body(&s.high, &s.low, &s.close, &mut base);
            push_ranges(&s.high, &s.low, &s.close, &mut dispatched);
            crate::simd::assert_bits_eq("TRANGE", &base, &dispatched);
        }
    }

    #[test]
    fn gap_up_uses_previous_close() {
        assert_eq!(true_range(12.0, 11.0, 10.0), 2.0);
        assert_eq!(true_range(12.0, 11.0, 13.0), 2.0);
        assert_eq!(true_range(12.0, 10.0, 11.0), 2.0);
        let out = trange(&[12.0, 12.0], &[10.0, 11.0], &[10.0, 11.0]).unwrap();
        assert!(out[0].is_nan());
        assert_eq!(out[1], 2.0);
    }
}
