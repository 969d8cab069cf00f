//! On-balance volume, TA-Lib `OBV`: starts at the first bar's volume, then adds the volume on an
//! up close and subtracts it on a down close; lookback 0.
//!
//! Recursive: a NaN or infinity in close or volume makes every later value NaN until `reset`.

use crate::average::ema::zero_or_nan;
use crate::average::output::CHUNK_SLOTS;
use crate::average::{check_lengths, TaError};
use multiversion::multiversion;

/// What a bar adds: its volume on an up close, minus it on a down close, else 0. Written as
/// two selects so that no branch (mispredicted on half the bars of a real series) decides it
/// and the batch loop vectorises; adding -volume is exactly TA-Lib's subtraction.
#[inline(always)]
fn step(close: f64, prev: f64, volume: f64) -> f64 {
    let up = if close > prev { volume } else { 0.0 };
    let down = if close < prev { volume } else { 0.0 };
    up - down
}

/// A bar's step, NaN if its close or volume is not finite (`zero_or_nan`).
#[inline(always)]
fn step_or_nan(close: f64, prev: f64, volume: f64) -> f64 {
    step(close, prev, volume) - (zero_or_nan(close) + zero_or_nan(volume))
}

/// The running total advances two bars at a time: the first bar of a pair is base + s1, the
/// second base + (s1 + s2), which becomes the next base. TA-Lib adds one step at a time; on
/// volumes (whole numbers far below 2^53) every sum is exact either way, and the pairs halve
/// the additions on the recursion's chain.
#[derive(Debug, Clone, Copy, Default)]
struct Pairs {
    base: f64,
    first: Option<f64>,
}

impl Pairs {
    #[inline(always)]
    fn add(&mut self, s: f64) -> f64 {
        match self.first.take() {
            None => {
                self.first = Some(s);
                self.base + s
            }
            Some(first) => {
                self.base += first + s;
                self.base
            }
        }
    }
}

/// Streaming OBV; returns a value from the first bar on.
#[derive(Debug, Clone, Default)]
pub struct Obv {
    prev_close: Option<f64>,
    total: Pairs,
}

impl Obv {
    /// No parameters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one bar; the running OBV.
    pub fn update(&mut self, close: f64, volume: f64) -> Option<f64> {
        let gap = !(close.is_finite() && volume.is_finite());
        Some(
            match self.prev_close.replace(if gap { f64::NAN } else { close }) {
                None => {
                    self.total.base = if gap { f64::NAN } else { volume };
                    self.total.base
                }
                Some(prev) => self.total.add(step_or_nan(close, prev, volume)),
            },
        )
    }

    /// True once a bar has been seen.
    pub fn is_ready(&self) -> bool {
        self.prev_close.is_some()
    }

    /// Forgets all bars seen.
    pub fn reset(&mut self) {
        *self = Self::default();
    }
}

/// OBV over whole series (equal lengths): same length, no leading NaN.
pub fn obv(close: &[f64], volume: &[f64]) -> Result<Vec<f64>, TaError> {
    check_lengths("OBV", &[("close", close.len()), ("volume", volume.len())])?;
    Ok(obv_with(close, volume, obv_chunk))
}

/// The steps of a chunk, then its totals (`obv_chunk_body`'s signature).
type ChunkFn = fn(f64, (&[f64], &[f64]), &mut Vec<f64>) -> f64;

/// `obv` (equal lengths) with the chunk loop given: `obv_chunk`, or in the test of the builds
/// the baseline body.
#[inline(always)]
fn obv_with(close: &[f64], volume: &[f64], chunk_fn: ChunkFn) -> Vec<f64> {
    let n = close.len();
    let mut out = Vec::with_capacity(n);
    if n == 0 {
        return out;
    }
    // The batch twin of `Obv::update`: the same steps and pairs. (After a gap the streaming
    // form compares with NaN instead of the previous close; the total is NaN by then anyway.)
    let first_gap = !(close[0].is_finite() && volume[0].is_finite());
    let mut base = if first_gap { f64::NAN } else { volume[0] };
    out.push(base);
    // In chunks computed by an out-of-line loop that calls nothing (so the total stays in a
    // register), written straight into the output. Chunks are whole pairs.
    let mut i = 1;
    while i < n {
        let m = CHUNK_SLOTS.min(n - i);
        let chunk = (&close[i - 1..i + m], &volume[i..i + m]);
        base = chunk_fn(base, chunk, &mut out);
        i += m;
    }
    out
}

/// `obv_chunk_body` built for the CPU at hand (`crate::simd`): the same numbers either way.
#[multiversion(targets("x86_64+avx2"))]
fn obv_chunk(base: f64, bars: (&[f64], &[f64]), out: &mut Vec<f64>) -> f64 {
    obv_chunk_body(base, bars, out)
}

/// The totals of one chunk of bars (`close` one longer: the close before the chunk first) from
/// `base` at a pair boundary; returns the base after the last whole pair. The steps are
/// appended to the output first (their writes are the slots' first), then turned into the
/// totals in place (through a buffer of its own, the chunk took twice as long; zeroing the
/// slots first was a pass of its own).
#[inline(always)]
fn obv_chunk_body(mut base: f64, (close, volume): (&[f64], &[f64]), out: &mut Vec<f64>) -> f64 {
    let start = out.len();
    let steps = close[1..].iter().zip(close).zip(volume);
    out.extend(steps.map(|((&c, &prev), &v)| step_or_nan(c, prev, v)));
    let mut pairs = out[start..].chunks_exact_mut(2);
    for o in &mut pairs {
        let (s0, s1) = (o[0], o[1]);
        o[0] = base + s0;
        base += s0 + s1;
        o[1] = base;
    }
    if let Some(o) = pairs.into_remainder().first_mut() {
        // (x + base is base + x exactly: IEEE addition commutes.)
        *o += base;
    }
    base
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instruction_sets_agree_bit_for_bit() {
        for s in crate::simd::real_series() {
            let base = obv_with(&s.close, &s.volume, obv_chunk_body);
            let dispatched = obv_with(&s.close, &s.volume, obv_chunk);
            crate::simd::assert_bits_eq("OBV", &base, &dispatched);
        }
    }

    #[test]
    fn adds_on_up_subtracts_on_down() {
        let out = obv(&[10.0, 11.0, 11.0, 9.0], &[100.0, 20.0, 30.0, 50.0]).unwrap();
        assert_eq!(out, vec![100.0, 120.0, 120.0, 70.0]);
        let gap = obv(&[10.0, f64::NAN, 11.0], &[1.0, 1.0, 1.0]).unwrap();
        assert!(gap[1].is_nan() && gap[2].is_nan());
    }
}
