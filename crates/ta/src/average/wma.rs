//! Linearly weighted moving average, TA-Lib `WMA`: weights 1..=period, newest heaviest, divided
//! by period * (period + 1) / 2; lookback `period - 1`.
//!
//! O(1) per bar like TA-Lib: weighted sum W and plain sum S of the window are updated as
//! W += period * x - S, S += x - oldest. TA-Lib never refreshes them, so its rounding errors pile
//! up over a long series; here both are recomputed afresh from the window every
//! `REFRESH * period` bars (and on the first window free of gaps), which bounds the error to a
//! few `REFRESH * period` ulps relative at any length (a recompute is a pass over the window:
//! every `period` bars, that made the batch form a fifth slower). A NaN or infinity makes every
//! window containing it NaN.

use super::output::with_lookback;
use super::window::Window;
use super::{check_period, TaError};

/// The sums are recomputed every `REFRESH` window lengths.
const REFRESH: usize = 4;
use multiversion::multiversion;

/// Weighted (1..=len) and plain sums of a window, oldest first: the afresh value both forms
/// re-anchor to. Four independent lanes by position, so the order (hence every bit) is fixed.
#[inline(never)]
fn window_sums(w: &[f64]) -> (f64, f64) {
    fresh_sums(w)
}

/// `window_sums`, inlined (into the batch loop's builds for each instruction set).
#[inline(always)]
fn fresh_sums(w: &[f64]) -> (f64, f64) {
    let mut weighted = [0.0f64; 4];
    let mut plain = [0.0f64; 4];
    // The weights 4c + lane + 1 counted in floats (exact: small whole numbers), which
    // vectorises where converting the index would not.
    let mut weight = [1.0, 2.0, 3.0, 4.0];
    let chunks = w.chunks_exact(4);
    let rest = chunks.remainder();
    for chunk in chunks {
        for lane in 0..4 {
            let x = chunk[lane];
            weighted[lane] += weight[lane] * x;
            plain[lane] += x;
            weight[lane] += 4.0;
        }
    }
    for (k, &x) in rest.iter().enumerate() {
        weighted[k] += weight[k] * x;
        plain[k] += x;
    }
    (
        (weighted[0] + weighted[1]) + (weighted[2] + weighted[3]),
        (plain[0] + plain[1]) + (plain[2] + plain[3]),
    )
}

/// The running sums and when they were last recomputed, shared by both forms.
#[derive(Debug, Clone, Copy)]
struct Sums {
    weighted: f64,
    plain: f64,
    /// Bars since the last recompute; `REFRESH * period` or more forces one.
    stale: usize,
}

impl Sums {
    /// Sums that will be recomputed at their first read.
    fn new(period: usize) -> Self {
        Self {
            weighted: 0.0,
            plain: 0.0,
            stale: REFRESH * period,
        }
    }

    /// Makes the next read recompute (after a gap).
    fn expire(&mut self, period: usize) {
        self.stale = REFRESH * period;
    }

    /// The O(1) update for `x` entering and `old` leaving.
    #[inline(always)]
    fn slide(&mut self, p: f64, x: f64, old: f64) {
        self.weighted += p * x - self.plain;
        self.plain += x - old;
        self.stale += 1;
    }

    /// The average of a gap-free `window`, recomputing the sums first when they are stale.
    #[inline(always)]
    fn value(&mut self, window: &[f64], divider: f64) -> f64 {
        if self.stale >= REFRESH * window.len() {
            (self.weighted, self.plain) = window_sums(window);
            self.stale = 0;
        }
        self.weighted / divider
    }
}

fn divider(period: usize) -> f64 {
    (period * (period + 1) / 2) as f64
}

/// Streaming WMA; `update` returns `None` until `period` values have been seen.
#[derive(Debug, Clone)]
pub struct Wma {
    period: usize,
    window: Window,
    sums: Sums,
}

impl Wma {
    /// `period` must be at least 2 (TA-Lib's range).
    pub fn new(period: usize) -> Result<Self, TaError> {
        check_period("WMA", "period", period, 2)?;
        Ok(Self {
            period,
            window: Window::new(period),
            sums: Sums::new(period),
        })
    }

    /// Feeds one value; the weighted average once the window is full.
    pub fn update(&mut self, value: f64) -> Option<f64> {
        let old = self.window.push(value);
        if !self.window.is_full() {
            return None;
        }
        if let Some(old) = old {
            self.sums.slide(self.period as f64, value, old);
        }
        if self.window.has_gap() {
            self.sums.expire(self.period);
            return Some(f64::NAN);
        }
        Some(
            self.sums
                .value(self.window.as_slice(), divider(self.period)),
        )
    }

    /// True once `update` returns values.
    pub fn is_ready(&self) -> bool {
        self.window.is_full()
    }

    /// Forgets all values seen.
    pub fn reset(&mut self) {
        self.window.clear();
        self.sums = Sums::new(self.period);
    }
}

/// WMA over a whole series: same length as `values`, the first `period - 1` entries NaN.
pub fn wma(values: &[f64], period: usize) -> Result<Vec<f64>, TaError> {
    check_period("WMA", "period", period, 2)?;
    if values.len() >= period {
        if let Some(out) = wma_finite(values, period) {
            return Ok(out);
        }
    }
    let mut out = vec![f64::NAN; values.len()];
    if values.len() >= period {
        wma_into::<true>(values, period, &mut out);
    }
    Ok(out)
}

/// The batch twin of `Wma::update` for a series free of gaps (`values.len() >= period`);
/// `None` if a value is NaN or infinite (the caller then runs the gap-aware loop).
///
/// In blocks of `REFRESH * period` bars, each starting at a recompute: the sums afresh, then
/// slides, exactly the bars where `Sums::value` recomputes and slides (the slide it makes on a
/// recompute bar is overwritten, so it is skipped here), so the same numbers. The running loop
/// writes the weighted sums and the block's divisions run after it in a loop of their own,
/// which vectorises: in the running loop they would bound it by the divider's throughput.
fn wma_finite(values: &[f64], period: usize) -> Option<Vec<f64>> {
    let mut out = with_lookback(values.len(), period - 1);
    wma_finite_run(values, period, &mut out).then_some(out)
}

/// `wma_finite_body` built for the CPU at hand (`crate::simd`): the same numbers either way.
#[multiversion(targets("x86_64+avx2"))]
fn wma_finite_run(values: &[f64], period: usize, out: &mut Vec<f64>) -> bool {
    wma_finite_body(values, period, out)
}

/// Appends the values of `wma_finite` to `out` (holding the lookback's NaNs); false if a value
/// is not finite.
#[inline(always)]
fn wma_finite_body(values: &[f64], period: usize, out: &mut Vec<f64>) -> bool {
    let n = values.len();
    let p = period as f64;
    let divider = divider(period);
    let finite = |w: &[f64]| w.iter().fold(true, |acc, x| acc & (x.abs() <= f64::MAX));
    if !finite(&values[..period]) {
        return false;
    }
    let mut r = period - 1;
    while r < n {
        let end = (r + REFRESH * period).min(n);
        // (For periods up to 63 a block's slots stay below the 2 KB from which zeroing them
        // gets slow, see `output::CHUNK_SLOTS`.)
        out.resize(end, 0.0);
        // The values entering are checked while the block runs (a pass of its own first made
        // WMA a tenth slower: its loads missed cache without arithmetic to overlap).
        if !(values[r].abs() <= f64::MAX && wma_block(values, r, period, p, &mut out[r..end])) {
            return false;
        }
        for o in &mut out[r..end] {
            *o /= divider;
        }
        r = end;
    }
    true
}

/// Weighted sums of the windows ending at `r ..` (`out`; the window ending at `r` full):
/// recomputed at `r`, then slid; whether every value that entered was finite.
#[inline(always)]
fn wma_block(values: &[f64], r: usize, period: usize, p: f64, out: &mut [f64]) -> bool {
    let (mut weighted, mut plain) = fresh_sums(&values[r + 1 - period..=r]);
    out[0] = weighted;
    let entering = &values[r + 1..r + out.len()];
    let leaving = &values[r + 1 - period..];
    let mut finite = true;
    for ((o, &x), &old) in out[1..].iter_mut().zip(entering).zip(leaving) {
        finite &= x.abs() <= f64::MAX;
        weighted += p * x - plain;
        plain += x - old;
        *o = weighted;
    }
    finite
}

/// The batch twin of `Wma::update` from the first full window on (`values.len() >= period`,
/// `out` as long as `values`).
fn wma_into<const GAPS: bool>(values: &[f64], period: usize, out: &mut [f64]) {
    let p = period as f64;
    let divider = divider(period);
    let mut sums = Sums::new(period);
    // The window ending at `i` is free of gaps once `i >= clean_from`.
    let mut clean_from = 0;
    if GAPS {
        for (i, x) in values[..period].iter().enumerate() {
            if !x.is_finite() {
                clean_from = i + period;
            }
        }
    }
    if period > clean_from {
        out[period - 1] = sums.value(&values[..period], divider);
    }
    for i in period..values.len() {
        let x = values[i];
        sums.slide(p, x, values[i - period]);
        if GAPS && !x.is_finite() {
            clean_from = i + period;
        }
        if GAPS && i < clean_from {
            sums.expire(period);
        } else {
            out[i] = sums.value(&values[i + 1 - period..=i], divider);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instruction_sets_agree_bit_for_bit() {
        for s in crate::simd::real_series() {
            let values = &s.close;
            for period in [2, 5, 30] {
                let mut base = with_lookback(values.len(), period - 1);
                let mut dispatched = base.clone();
                assert!(wma_finite_body(values, period, &mut base));
                assert!(wma_finite_run(values, period, &mut dispatched));
                crate::simd::assert_bits_eq("WMA", &base, &dispatched);
            }
        }
    }

    #[test]
    fn a_gap_anywhere_matches_the_streaming_form() {
        // An infinity at every position of a real series, block starts included (the finite
        // path must hand each to the gap-aware loop): batch == streaming, bit for bit.
        let close = &crate::simd::real_series()[0].close[..400];
        for at in 0..close.len() {
            let mut values = close.to_vec();
            values[at] = f64::INFINITY;
            let batch = wma(&values, 5).unwrap();
            let mut w = Wma::new(5).unwrap();
            for (i, &x) in values.iter().enumerate() {
                let s = w.update(x).unwrap_or(f64::NAN);
                assert!(
                    s.to_bits() == batch[i].to_bits() || (s.is_nan() && batch[i].is_nan()),
                    "gap at {at}, bar {i}: batch {}, streaming {s}",
                    batch[i]
                );
            }
        }
    }

    #[test]
    fn weights_newest_heaviest() {
        // (1*1 + 2*2 + 3*6) / 6 = 23/6
        let out = wma(&[1.0, 2.0, 6.0], 3).unwrap();
        assert!(out[1].is_nan());
        assert_eq!(out[2], 23.0 / 6.0);
    }
}
