//! Stochastic oscillator, TA-Lib `STOCH` with its default SMA smoothing: fast %K over `fastk`
//! bars, slow %K = SMA(fast %K, `slowk`), %D = SMA(slow %K, `slowd`); lookback `fastk - 1 +
//! slowk - 1 + slowd - 1`, both outputs starting there as in TA-Lib.
//!
//! Fast %K = (close - lowest low) / ((highest high - lowest low) / 100), 0 where the range is
//! float noise, at most 1e-14 of |highest| + |lowest| (TA-Lib 0.8's form). Only SMA smoothing
//! (TA-Lib's default matype 0) is offered. Windowed: a NaN or infinity makes every output whose
//! windows contain it NaN, then it recovers.

use super::range::{
    double_both, finite_window_extremes, larger, smaller, window_ranges, SegmentExtremes,
    SegmentLoops,
};
use crate::average::ema::zero_or_nan;
use crate::average::output::with_lookback;
use crate::average::sma::sma_unchecked;
use crate::average::window::{within_dead_zone, Window};
use crate::average::{check_lengths, check_period, Sma, TaError};
use multiversion::multiversion;

/// TA-Lib 0.8's divisor (highest - lowest) / 100, and whether the range is float noise.
#[inline(always)]
fn fast_k_divisor(highest: f64, lowest: f64) -> (f64, bool) {
    (
        (highest - lowest) / 100.0,
        within_dead_zone(highest - lowest, highest.abs() + lowest.abs()),
    )
}

/// Fast %K from the window's extremes and the close, in TA-Lib 0.8's form.
#[inline(always)]
fn fast_k_value(highest: f64, lowest: f64, close: f64) -> f64 {
    let (diff, flat) = fast_k_divisor(highest, lowest);
    if !flat {
        (close - lowest) / diff
    } else {
        0.0
    }
}

/// One stochastic reading.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StochOutput {
    /// Slow %K.
    pub k: f64,
    /// %D (SMA of slow %K).
    pub d: f64,
}

/// STOCH over whole series; each vector has the input's length.
#[derive(Debug, Clone, PartialEq)]
pub struct StochSeries {
    /// Slow %K.
    pub k: Vec<f64>,
    /// %D.
    pub d: Vec<f64>,
}

/// Streaming STOCH; `update` returns `None` until the lookback has passed.
#[derive(Debug, Clone)]
pub struct Stoch {
    highs: Window,
    lows: Window,
    slow_k: Sma,
    slow_d: Sma,
}

impl Stoch {
    /// All periods at least 1 (TA-Lib's ranges; its defaults are 5, 3, 3).
    pub fn new(fastk: usize, slowk: usize, slowd: usize) -> Result<Self, TaError> {
        check_period("STOCH", "fastk", fastk, 1)?;
        check_period("STOCH", "slowk", slowk, 1)?;
        check_period("STOCH", "slowd", slowd, 1)?;
        Ok(Self {
            highs: Window::new(fastk),
            lows: Window::new(fastk),
            slow_k: Sma::new_unchecked(slowk),
            slow_d: Sma::new_unchecked(slowd),
        })
    }

    /// Feeds one bar; slow %K and %D once warm.
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> Option<StochOutput> {
        self.highs.push(high);
        self.lows.push(low);
        if !self.highs.is_full() {
            return None;
        }
        let fast_k = if self.highs.has_gap() || self.lows.has_gap() || !close.is_finite() {
            f64::NAN
        } else {
            let highest = self.highs.iter().fold(f64::NEG_INFINITY, f64::max);
            let lowest = self.lows.iter().fold(f64::INFINITY, f64::min);
            fast_k_value(highest, lowest, close)
        };
        let k = self.slow_k.update(fast_k)?;
        let d = self.slow_d.update(k)?;
        Some(StochOutput { k, d })
    }

    /// True once `update` returns values.
    pub fn is_ready(&self) -> bool {
        self.slow_d.is_ready()
    }

    /// Forgets all bars seen.
    pub fn reset(&mut self) {
        self.highs.clear();
        self.lows.clear();
        self.slow_k.reset();
        self.slow_d.reset();
    }
}

/// STOCH over whole series (equal lengths).
pub fn stoch(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    fastk: usize,
    slowk: usize,
    slowd: usize,
) -> Result<StochSeries, TaError> {
    check_lengths(
        "STOCH",
        &[
            ("high", high.len()),
            ("low", low.len()),
            ("close", close.len()),
        ],
    )?;
    check_period("STOCH", "fastk", fastk, 1)?;
    check_period("STOCH", "slowk", slowk, 1)?;
    check_period("STOCH", "slowd", slowd, 1)?;
    // The batch twin of `Stoch::update`: fast %K of every window, then the same two SMAs.
    let fast_k = fast_k_series((high, low, close), fastk, &DISPATCHED);
    let mut k = sma_unchecked(&fast_k, slowk);
    let d = sma_unchecked(&k, slowd);
    let lookback = fastk - 1 + slowk - 1 + slowd - 1;
    // Slow %K is defined from bar `fastk + slowk - 2` on; TA-Lib reports both from `lookback`.
    for v in k.iter_mut().take(lookback) {
        *v = f64::NAN;
    }
    let out = StochSeries { k, d };
    Ok(out)
}

const DISPATCHED: SegmentLoops = SegmentLoops {
    step: double_both,
    values: push_fast_k,
};

/// `push_fast_k_body` built for the CPU at hand.
#[multiversion(targets("x86_64+avx2"))]
fn push_fast_k<'a>(x: SegmentExtremes<'a>, close: &[f64], out: &mut Vec<f64>) {
    push_fast_k_body(x, close, out)
}

/// Appends the fast %K of a segment's windows (`close` from the first window's last bar on):
/// `fast_k_value`'s numbers, with the division done for every bar and the flat case a select,
/// so the loop vectorises; a close that is not finite gives NaN (`zero_or_nan`).
#[inline(always)]
fn push_fast_k_body(x: SegmentExtremes<'_>, close: &[f64], out: &mut Vec<f64>) {
    let ([h0, h1], [l0, l1]) = (x.high, x.low);
    let rows = h0.iter().zip(h1).zip(l0.iter().zip(l1)).zip(close);
    out.extend(rows.map(|(((&h0, &h1), (&l0, &l1)), &c)| {
        let (highest, lowest) = (larger(h0, h1), smaller(l0, l1));
        let (diff, flat) = fast_k_divisor(highest, lowest);
        let value = (c - lowest) / diff;
        (if flat { 0.0 } else { value }) - zero_or_nan(c)
    }));
}

/// Fast %K of every bar, NaN before the first full window: as long as the series, so that the
/// SMAs' outputs are the series' own (their windows holding a NaN are NaN and their first clean
/// window starts their sums afresh, as the SMAs of the full windows' values alone do: same
/// numbers), and no output is copied into place afterwards. Highs and lows free of NaN and
/// infinity (real prices) take the branch-free extremes (`finite_window_extremes`, as WILLR)
/// and a value loop that vectorises, each slot written once; the first gap sends the whole
/// series to the gap-aware path (TA-Lib's rescans, `window_ranges`).
#[inline(always)]
fn fast_k_series(
    (high, low, close): (&[f64], &[f64], &[f64]),
    fastk: usize,
    loops: &SegmentLoops,
) -> Vec<f64> {
    let n = close.len();
    let mut fast_k = with_lookback(n, fastk - 1);
    let emit = |end: usize, x: SegmentExtremes<'_>| (loops.values)(x, &close[end..], &mut fast_k);
    if finite_window_extremes(high, low, fastk, emit, loops.step) {
        return fast_k;
    }
    fast_k.truncate(fastk - 1);
    fast_k.resize(n, f64::NAN);
    // The divisor and the dead-zone test change only when an extreme does.
    let (mut last_hi, mut last_lo, mut diff, mut flat) = (f64::NAN, f64::NAN, f64::NAN, true);
    let slots = fast_k.get_mut(fastk - 1..).unwrap_or(&mut []);
    window_ranges(high, low, fastk, slots, |i, highest, lowest, gap| {
        let close = close[i];
        if gap || !close.is_finite() {
            return f64::NAN;
        }
        if highest.to_bits() != last_hi.to_bits() || lowest.to_bits() != last_lo.to_bits() {
            (last_hi, last_lo) = (highest, lowest);
            (diff, flat) = fast_k_divisor(highest, lowest);
        }
        if flat {
            0.0
        } else {
            (close - lowest) / diff
        }
    });
    fast_k
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::momentum::range::double_both_body;

    #[test]
    fn instruction_sets_agree_bit_for_bit() {
        let baseline = SegmentLoops {
            step: double_both_body,
            values: push_fast_k_body,
        };
        for s in crate::simd::real_series() {
            let bars = (&s.high[..], &s.low[..], &s.close[..]);
            for fastk in [1, 5, 14] {
                let base = fast_k_series(bars, fastk, &baseline);
                let dispatched = fast_k_series(bars, fastk, &DISPATCHED);
                crate::simd::assert_bits_eq("STOCH fast %K", &base, &dispatched);
            }
        }
    }

    #[test]
    fn unsmoothed_is_fast_k() {
        // fastk 2, no smoothing: bar 1 range 10..20, close 15 -> 50.
        let out = stoch(&[20.0, 18.0], &[10.0, 12.0], &[15.0, 15.0], 2, 1, 1).unwrap();
        assert!(out.k[0].is_nan());
        assert_eq!(out.k[1], 50.0);
        assert_eq!(out.d[1], 50.0);
        assert!(Stoch::new(0, 3, 3).is_err());
    }
}
