//! Exponential moving average, TA-Lib `EMA`: k = 2 / (period + 1), seeded with the SMA of the
//! first `period` values (TA-Lib's default compatibility mode), lookback `period - 1`.
//!
//! After the seed the recursion runs in blocks of four bars from the value v before the block,
//! relative to the block's first input r: the j-th value of a block is
//! r + ((v - r) (1-k)^j + Σ_{1≤i<j} k (1-k)^(j-1-i) (x_i - r)), which is TA-Lib's
//! ((x - prev) * k) + prev applied j times, multiplied out, so that the four values depend on v
//! through one subtraction, one multiplication and two additions (12 cycles of latency for four
//! bars; TA-Lib's form costs three dependent operations per bar, and with them the batch form
//! could not be faster than TA-Lib). Deviations from an input rather than from v keep the
//! subtraction the only step before the multiplication on that chain. The two agree to rounding
//! (~1e-16 relative), a constant series still gives exactly its value (every deviation is 0), and
//! both forms use the same blocks, so they give identical numbers.
//!
//! Recursive, so a NaN or infinity (also one inside the seed window) makes every later value NaN
//! until `reset`. The state itself is left as the arithmetic makes it (an infinity turns into NaN
//! at the next step by itself) and only the outputs are mapped to NaN, which keeps that check
//! off the recursion's dependency chain.

use super::output::{with_lookback, CHUNK_SLOTS};
use super::{check_period, TaError};
use multiversion::multiversion;

/// +0.0 for a finite `x`, NaN for NaN and the infinities: subtracting it leaves a finite value
/// exactly as it is (-0.0 included) and turns any other into NaN, in two arithmetic operations
/// that vectorise (a select costs five).
#[inline(always)]
#[allow(clippy::eq_op)]
pub(crate) fn zero_or_nan(x: f64) -> f64 {
    x - x
}

/// Non-finite values as NaN: the one representation of "undefined" the indicators return.
#[inline(always)]
pub(crate) fn finite_or_nan(x: f64) -> f64 {
    x - zero_or_nan(x)
}

/// Weights of a block: `keep[j]` = (1-k)^(j+1), the weight of v - r in the block's value j + 1,
/// and `take[i]` = k (1-k)^i, of the deviations.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BlockWeights {
    keep: [f64; 4],
    take: [f64; 4],
}

pub(crate) fn block_weights(k: f64) -> BlockWeights {
    let m = 1.0 - k;
    let c1 = k * m;
    let c2 = c1 * m;
    let m2 = m * m;
    let m3 = m2 * m;
    BlockWeights {
        keep: [m, m2, m3, m3 * m],
        take: [k, c1, c2, c2 * m],
    }
}

/// The `j`-th value (1..=4) of a block starting from `v`, whose first input is `r`, given the
/// deviations `d[i]` = x_i - r so far (`d[0]`, always 0, is not read).
#[inline(always)]
pub(crate) fn block_value(j: usize, d: &[f64; 4], r: f64, v: f64, w: &BlockWeights) -> f64 {
    let c = &w.take;
    let from_v = (v - r) * w.keep[j - 1];
    r + match j {
        1 => from_v,
        2 => from_v + c[0] * d[1],
        3 => from_v + (c[1] * d[1] + c[0] * d[2]),
        _ => from_v + ((c[2] * d[1] + c[1] * d[2]) + c[0] * d[3]),
    }
}

/// A block's first input and the deviations of its inputs from it.
#[inline(always)]
pub(crate) fn block_deviations(x: &[f64]) -> (f64, [f64; 4]) {
    let r = x[0];
    (r, [0.0, x[1] - r, x[2] - r, x[3] - r])
}

/// `ema_blocks` with the weights given; returns the value after the last whole block.
#[inline(always)]
fn ema_blocks_from(inputs: &[f64], start: f64, w: &BlockWeights, out: &mut [f64]) -> f64 {
    // The recursion runs through the last value of each block only; then each block's first
    // three values from the value before it (kept in the block's last slot until then), a loop
    // without a dependency from block to block. (Computing all four together, the compiler
    // built them in one vector and put extracting the last one on the recursion's chain.)
    let mut v = start;
    for (x, o) in inputs.chunks_exact(4).zip(out.chunks_exact_mut(4)) {
        let (r, d) = block_deviations(x);
        v = block_value(4, &d, r, v, w);
        o[3] = v;
    }
    let mut before = start;
    for (x, o) in inputs.chunks_exact(4).zip(out.chunks_exact_mut(4)) {
        let (r, d) = block_deviations(x);
        o[0] = finite_or_nan(block_value(1, &d, r, before, w));
        o[1] = finite_or_nan(block_value(2, &d, r, before, w));
        o[2] = finite_or_nan(block_value(3, &d, r, before, w));
        before = o[3];
        o[3] = finite_or_nan(before);
    }
    let rest = inputs.chunks_exact(4).remainder();
    let r = rest.first().copied().unwrap_or(0.0);
    let mut d = [0.0; 4];
    for (j, (&x, o)) in rest
        .iter()
        .zip(out.chunks_exact_mut(4).into_remainder())
        .enumerate()
    {
        d[j] = x - r;
        *o = finite_or_nan(block_value(j + 1, &d, r, v, w));
    }
    v
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
    seen: usize,
    seed_sum: f64,
    /// The value before the current block (the seed, then every fourth value).
    value: f64,
    weights: BlockWeights,
    /// The first input of the current block, the deviations x_i - first of its inputs, and how
    /// many there are.
    first: f64,
    block: [f64; 4],
    in_block: usize,
}

impl Ema {
    /// `period` must be at least 2 (TA-Lib's range).
    pub fn new(period: usize) -> Result<Self, TaError> {
        check_period("EMA", "period", period, 2)?;
        Ok(Self::new_unchecked(period))
    }

    /// A fresh EMA of a checked period.
    fn new_unchecked(period: usize) -> Self {
        Self {
            period,
            seen: 0,
            seed_sum: 0.0,
            value: f64::NAN,
            weights: block_weights(ema_k(period)),
            first: 0.0,
            block: [0.0; 4],
            in_block: 0,
        }
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
            return Some(finite_or_nan(self.value));
        }
        if self.in_block == 0 {
            self.first = value;
        }
        self.block[self.in_block] = value - self.first;
        self.in_block += 1;
        let out = block_value(
            self.in_block,
            &self.block,
            self.first,
            self.value,
            &self.weights,
        );
        if self.in_block == 4 {
            self.value = out;
            self.in_block = 0;
        }
        Some(finite_or_nan(out))
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
    Ok(ema_with(values, period, ema_chunk))
}

/// One chunk of the recursion (`ema_blocks_from`'s signature).
type ChunkFn = fn(&[f64], f64, &BlockWeights, &mut [f64]) -> f64;

/// `ema` (checked period) with the chunk loop given: `ema_chunk`, or in the test of the builds
/// the baseline body.
#[inline(always)]
fn ema_with(values: &[f64], period: usize, chunk_fn: ChunkFn) -> Vec<f64> {
    let n = values.len();
    let mut out = with_lookback(n, period - 1);
    if n < period {
        return out;
    }
    // The batch twin of `Ema::update`: the same seed and blocks, in chunks computed into a
    // buffer in cache by an out-of-line loop that calls nothing (so the running value stays in
    // a register), then appended: each output value is written once (a NaN fill of the whole
    // output up front was a pass over memory of its own, and libc's memset or memmove of a
    // chunk cost more than a plain copy loop). Chunks are whole blocks of four from the seed,
    // so the blocks are the streaming form's.
    let seed = seed_mean(&values[..period]);
    out.push(finite_or_nan(seed));
    const CHUNK: usize = CHUNK_SLOTS;
    let c = block_weights(ema_k(period));
    let mut buf = [0.0; CHUNK];
    let mut v = seed;
    for chunk in values[period..].chunks(CHUNK) {
        let buf = &mut buf[..chunk.len()];
        v = chunk_fn(chunk, v, &c, buf);
        out.extend(buf.iter().copied());
    }
    out
}

/// `ema_blocks` of one chunk, kept out of line and built for the CPU at hand (`crate::simd`:
/// the same numbers either way); returns the value after the last whole block.
#[multiversion(targets("x86_64+avx2"))]
fn ema_chunk(inputs: &[f64], start: f64, w: &BlockWeights, out: &mut [f64]) -> f64 {
    ema_blocks_from(inputs, start, w, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instruction_sets_agree_bit_for_bit() {
        for s in crate::simd::real_series() {
            for period in [2, 12, 30] {
                let base = ema_with(&s.close, period, ema_blocks_from);
                let dispatched = ema_with(&s.close, period, ema_chunk);
                crate::simd::assert_bits_eq("EMA", &base, &dispatched);
            }
        }
    }

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
