//! Average true range, TA-Lib `ATR`: Wilder-smoothed true range; lookback `period`.
//!
//! Seeding as TA-Lib: the first ATR (bar `period`) is the mean of the true ranges of bars
//! 1..=period, then Wilder's smoothing of TR in blocks of four (`average::wilder::Smoother`;
//! TA-Lib's (ATR * (period - 1) + TR) / period to rounding); period 1 is the true range itself.
//! Recursive: a NaN or infinity makes every later value NaN until `reset`.

use super::trange::{true_range, true_range_or_nan};
use crate::average::output::{with_lookback, CHUNK_SLOTS};
use crate::average::wilder::{BlockWeights, Smoother, Wilder};
use crate::average::{check_lengths, check_period, TaError};
use multiversion::multiversion;

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

/// The bars of a chunk: high, low, and the close one bar behind.
type Bars<'a> = (&'a [f64], &'a [f64], &'a [f64]);

/// `atr_chunk_body` built for the CPU at hand (`crate::simd`): the same numbers either way.
/// Kept out of line and free of calls, so the running value stays in a register.
#[multiversion(targets("x86_64+avx2"))]
fn atr_chunk<'a>(w: &BlockWeights, value: f64, bars: Bars<'a>, out: &mut [f64]) -> f64 {
    atr_chunk_body(w, value, bars, out)
}

/// How many blocks ahead of the block being smoothed `atr_chunk_body` computes true ranges:
/// measured, 1 and 2 were slower (~15% and ~10% in cache), 4, 6, 8 and 12 alike (presumably the
/// ranges' vector stores must have drained before the block reads them back one by one).
const RANGES_AHEAD: usize = 4;

/// The smoothed true ranges of one chunk of bars (`prev_close` one bar behind; `true_range`
/// without a branch); returns the value after the last whole block.
///
/// One pass: each step computes the true ranges of the block `RANGES_AHEAD` blocks on (four
/// lanes of one vector, into their output slots) and smooths the current block from its slots.
/// Two passes (all the chunk's true ranges, then the smoothing) left the recursion's latency
/// idle beside the memory-bound true ranges: ~15% slower on 1M bars, ~20% in cache. The true
/// ranges go through the slots rather than straight into the weights because, consumed in the
/// same step, the compiler split them into mismatched pairs of lanes.
#[inline(always)]
fn atr_chunk_body(
    w: &BlockWeights,
    value: f64,
    (high, low, prev_close): Bars<'_>,
    out: &mut [f64],
) -> f64 {
    let n = out.len();
    // Equal lengths up front, so the compiler can drop the per-block bounds checks.
    let (high, low, prev_close) = (&high[..n], &low[..n], &prev_close[..n]);
    let ranges = |out: &mut [f64], from: usize, to: usize| {
        let bars = high[from..to]
            .iter()
            .zip(&low[from..to])
            .zip(&prev_close[from..to]);
        for (o, ((&h, &l), &p)) in out[from..to].iter_mut().zip(bars) {
            *o = true_range_or_nan(h, l, p);
        }
    };
    let blocks = n / 4;
    let mut v = value;
    if blocks > 0 {
        ranges(out, 0, 4 * (RANGES_AHEAD + 1).min(blocks));
        // The first block has no slot before it in the chunk for the value before it (see
        // `smooth_block`), so it writes its last value with the next block.
        let x = [out[0], out[1], out[2], out[3]];
        let next = w.value(4, &x, v);
        out[0] = w.value(1, &x, v);
        out[1] = w.value(2, &x, v);
        out[2] = w.value(3, &x, v);
        v = next;
        let ahead_until = blocks.saturating_sub(RANGES_AHEAD).max(1);
        for b in 1..ahead_until {
            let a = 4 * (b + RANGES_AHEAD);
            block_ranges(
                (&high[a..a + 4], &low[a..a + 4], &prev_close[a..a + 4]),
                &mut out[a..a + 4],
            );
            v = smooth_block(w, v, &mut out[4 * b - 1..4 * b + 4]);
        }
        for b in ahead_until..blocks {
            v = smooth_block(w, v, &mut out[4 * b - 1..4 * b + 4]);
        }
        out[4 * blocks - 1] = v;
    }
    // The last bars short of a block, from the value after the last whole block.
    let rest = 4 * blocks;
    ranges(out, rest, n);
    let mut x = [0.0; 4];
    for (j, o) in out[rest..].iter_mut().enumerate() {
        x[j] = *o;
        *o = w.value(j + 1, &x, v);
    }
    v
}

/// The true ranges of one block of four bars into its slots, in one vector where the lanes
/// allow it.
#[inline(always)]
fn block_ranges((high, low, prev_close): Bars<'_>, out: &mut [f64]) {
    let (h, l, p): (&[f64; 4], &[f64; 4], &[f64; 4]) = (
        high.try_into().expect("block of four"),
        low.try_into().expect("block of four"),
        prev_close.try_into().expect("block of four"),
    );
    let out: &mut [f64; 4] = out.try_into().expect("block of four");
    for j in 0..4 {
        out[j] = true_range_or_nan(h[j], l[j], p[j]);
    }
}

/// Smooths one block from its true ranges in `slots[1..5]`, given `v`, the value before it;
/// writes the block's first three values there and `v` into `slots[0]` (the previous block's
/// last slot), and returns the block's last value (`Smoother`'s blocks, so the numbers are the
/// streaming form's).
///
/// The recursion runs through the block's last value only (`v * keep^4 + inputs`); the first
/// three values hang off `v` without feeding back. Storing the returned value with the next
/// block keeps it out of the vector the compiler builds for the stored values: computed and
/// stored together, the compiler built all four in one vector and put extracting the last
/// lane on the recursion's chain.
#[inline(always)]
fn smooth_block(w: &BlockWeights, v: f64, slots: &mut [f64]) -> f64 {
    let slots: &mut [f64; 5] = slots.try_into().expect("block and the slot before it");
    let x = [slots[1], slots[2], slots[3], slots[4]];
    let next = w.value(4, &x, v);
    let first = [w.value(1, &x, v), w.value(2, &x, v), w.value(3, &x, v)];
    slots[0] = v;
    slots[1..4].copy_from_slice(&first);
    next
}

/// ATR over whole series (equal lengths): same length, the first `period` entries NaN.
pub fn atr(high: &[f64], low: &[f64], close: &[f64], period: usize) -> Result<Vec<f64>, TaError> {
    check_lengths(
        "ATR",
        &[
            ("high", high.len()),
            ("low", low.len()),
            ("close", close.len()),
        ],
    )?;
    check_period("ATR", "period", period, 1)?;
    Ok(atr_with((high, low, close), period, atr_chunk))
}

/// The smoothing of a chunk of bars (`atr_chunk_body`'s signature).
type ChunkFn = fn(&BlockWeights, f64, Bars<'_>, &mut [f64]) -> f64;

/// `atr` (checked inputs) with the chunk loop given: `atr_chunk`, or in the test of the builds
/// the baseline body.
#[inline(always)]
fn atr_with((high, low, close): Bars<'_>, period: usize, chunk_fn: ChunkFn) -> Vec<f64> {
    let n = close.len();
    let mut out = with_lookback(n, period);
    if n <= period {
        return out;
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
        // In chunks (`atr_chunk_body`: true ranges and smoothing in one pass, so the loads
        // overlap the recursion). Chunks are whole blocks of four from the seed, so the blocks
        // are the streaming form's.
        const CHUNK: usize = CHUNK_SLOTS;
        let w = BlockWeights::new(period);
        let mut start = period + 1;
        while start < n {
            let end = (start + CHUNK).min(n);
            // Zeroing the chunk's slots brings them into cache for the writes that follow.
            out.resize(end, 0.0);
            let bars = (
                &high[start..end],
                &low[start..end],
                &close[start - 1..end - 1],
            );
            value = chunk_fn(&w, value, bars, &mut out[start..end]);
            start = end;
        }
    } else {
        let wilder = Wilder::new(period);
        out.extend((period + 1..n).map(|i| {
            value = wilder.step(value, tr(i));
            value
        }));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instruction_sets_agree_bit_for_bit() {
        for s in crate::simd::real_series() {
            let bars = (&s.high[..], &s.low[..], &s.close[..]);
            for period in [2, 14, 30] {
                let base = atr_with(bars, period, atr_chunk_body);
                let dispatched = atr_with(bars, period, atr_chunk);
                crate::simd::assert_bits_eq("ATR", &base, &dispatched);
            }
        }
    }

    #[test]
    fn streaming_at_every_chunk_tail() {
        // Every length over the first chunks: last chunks of every size, including fewer blocks
        // than `RANGES_AHEAD` and bars short of a block, against the streaming form bit for bit.
        let s = &crate::simd::real_series()[0];
        for period in [2, 5, 14] {
            for n in 0..=3 * CHUNK_SLOTS + period {
                let (h, l, c) = (&s.high[..n], &s.low[..n], &s.close[..n]);
                let batch = atr(h, l, c, period).unwrap();
                let mut a = Atr::new(period).unwrap();
                for (i, b) in batch.iter().enumerate() {
                    let x = a.update(h[i], l[i], c[i]).unwrap_or(f64::NAN);
                    assert!(
                        x.to_bits() == b.to_bits() || (x.is_nan() && b.is_nan()),
                        "period {period}, n {n}, [{i}]: {b} vs {x}"
                    );
                }
            }
        }
    }

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
