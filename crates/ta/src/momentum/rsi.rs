//! Relative strength index, TA-Lib `RSI`: Wilder-smoothed average gain and loss, lookback
//! `period`.
//!
//! Seeding as TA-Lib: the first averages are the plain means of the first `period` changes; then
//! Wilder's smoothing in blocks of four (`average::wilder::Smoother`): TA-Lib's
//! (avg * (period - 1) + change) / period rearranged so that a division and four chained steps
//! are off the recursion (the two agree to rounding, ~1e-16 relative). Where avg gain + avg loss
//! is 0 (a flat series) the value is 0, as in TA-Lib 0.8 (which dropped the absolute 1e-8 guard
//! of older TA-Lib).
//! Recursive: a NaN or infinity makes every later value NaN until `reset`.

use crate::average::ema::finite_or_nan;
use crate::average::output::{with_lookback, CHUNK_SLOTS};
use crate::average::wilder::{smooth_blocks, BlockWeights, Smoother};
use crate::average::{check_period, TaError};
use multiversion::multiversion;

/// A price change split into (gain, loss) as TA-Lib does; NaN counts as a gain, which then
/// poisons the average gain for good.
#[inline(always)]
fn split(change: f64) -> (f64, f64) {
    if change < 0.0 {
        (0.0, -change)
    } else {
        (change, 0.0)
    }
}

/// The RSI of the averages: 0 where both are 0 (a flat series), as TA-Lib 0.8.
#[inline(always)]
fn rsi_value(gain: f64, loss: f64) -> f64 {
    // A NaN total gives NaN through the division (written as a select: no branch).
    let total = gain + loss;
    if total == 0.0 {
        0.0
    } else {
        100.0 * (gain / total)
    }
}

/// Non-finite prices are NaN (so an infinity cannot cancel against another).
#[inline(always)]
fn clean(price: f64) -> f64 {
    finite_or_nan(price)
}

/// Streaming RSI; `update` returns `None` until `period + 1` prices have been seen.
#[derive(Debug, Clone)]
pub struct Rsi {
    period: usize,
    prev: Option<f64>,
    changes: usize,
    gain: f64,
    loss: f64,
    /// Wilder's smoothing of gains and losses from the seed on.
    smoothers: Option<(Smoother, Smoother)>,
}

impl Rsi {
    /// `period` must be at least 2 (TA-Lib's range).
    pub fn new(period: usize) -> Result<Self, TaError> {
        check_period("RSI", "period", period, 2)?;
        Ok(Self {
            period,
            prev: None,
            changes: 0,
            gain: 0.0,
            loss: 0.0,
            smoothers: None,
        })
    }

    /// Feeds one price; the RSI once `period` changes have been seen.
    pub fn update(&mut self, price: f64) -> Option<f64> {
        let price = clean(price);
        let prev = self.prev.replace(price)?;
        let (up, down) = split(price - prev);
        if self.changes < self.period {
            self.gain += up;
            self.loss += down;
            self.changes += 1;
            if self.changes < self.period {
                return None;
            }
            let p = self.period as f64;
            self.loss /= p;
            self.gain /= p;
            self.smoothers = Some((
                Smoother::new(self.period, self.gain),
                Smoother::new(self.period, self.loss),
            ));
        } else if let Some((gain, loss)) = self.smoothers.as_mut() {
            self.gain = gain.update(up);
            self.loss = loss.update(down);
        }
        Some(rsi_value(self.gain, self.loss))
    }

    /// True once `update` returns values.
    pub fn is_ready(&self) -> bool {
        self.changes >= self.period
    }

    /// Forgets all prices seen.
    pub fn reset(&mut self) {
        self.prev = None;
        self.changes = 0;
        self.gain = 0.0;
        self.loss = 0.0;
        self.smoothers = None;
    }
}

/// The RSI of one chunk of prices (`prices` one longer than `out`: the price before the chunk
/// first); returns the averages after the last whole block. Kept out of line (built for the CPU
/// at hand, `crate::simd`: the same numbers either way) and free of calls, so the averages stay
/// in registers.
#[multiversion(targets("x86_64+avx2"))]
fn rsi_chunk(
    w: &BlockWeights,
    averages: (f64, f64),
    prices: &[f64],
    out: &mut [f64],
) -> (f64, f64) {
    rsi_chunk_body(w, averages, prices, out)
}

/// `rsi_chunk` for the build it is inlined into.
#[inline(always)]
fn rsi_chunk_body(
    w: &BlockWeights,
    (mut gain, mut loss): (f64, f64),
    prices: &[f64],
    out: &mut [f64],
) -> (f64, f64) {
    const AHEAD: usize = 16;
    let (mut ups, mut downs) = ([0.0; AHEAD], [0.0; AHEAD]);
    for (c, o) in out.chunks_mut(AHEAD).enumerate() {
        let m = o.len();
        let p = &prices[c * AHEAD..=c * AHEAD + m];
        let steps = p
            .iter()
            .zip(&p[1..])
            .zip(ups.iter_mut().zip(downs.iter_mut()));
        for ((&prev, &now), (u, d)) in steps {
            (*u, *d) = split(clean(now) - clean(prev));
        }
        let mut g = [0.0; AHEAD];
        gain = smooth_blocks(w, gain, &ups[..m], &mut g[..m], |x| x);
        loss = smooth_blocks(w, loss, &downs[..m], o, |x| x);
        for (o, &g) in o.iter_mut().zip(&g[..m]) {
            *o = rsi_value(g, *o);
        }
    }
    (gain, loss)
}

/// RSI over a whole series: same length as `prices`, the first `period` entries NaN.
pub fn rsi(prices: &[f64], period: usize) -> Result<Vec<f64>, TaError> {
    check_period("RSI", "period", period, 2)?;
    Ok(rsi_with(prices, period, rsi_chunk))
}

/// One chunk after the seed (`rsi_chunk_body`'s signature).
type ChunkFn = fn(&BlockWeights, (f64, f64), &[f64], &mut [f64]) -> (f64, f64);

/// `rsi` (checked period) with the chunk loop given: `rsi_chunk`, or in the test of the builds
/// the baseline body.
#[inline(always)]
fn rsi_with(prices: &[f64], period: usize, chunk_fn: ChunkFn) -> Vec<f64> {
    let n = prices.len();
    let mut out = with_lookback(n, period);
    if n <= period {
        return out;
    }
    // The batch twin of `Rsi::update`: the same seed, then both smoothers' blocks side by side.
    let (mut gain, mut loss) = (0.0, 0.0);
    for w in prices[..=period].windows(2) {
        let (up, down) = split(clean(w[1]) - clean(w[0]));
        gain += up;
        loss += down;
    }
    let p = period as f64;
    loss /= p;
    gain /= p;
    out.push(rsi_value(gain, loss));
    // In chunks whose slots are zeroed first (bringing them into cache for the writes), the
    // changes and both smoothers' blocks side by side in one pass. Chunks are whole blocks of
    // four from the seed, so the blocks are the streaming form's.
    const CHUNK: usize = CHUNK_SLOTS;
    let w = BlockWeights::new(period);
    let mut start = period + 1;
    while start < n {
        let end = (start + CHUNK).min(n);
        out.resize(end, 0.0);
        (gain, loss) = chunk_fn(&w, (gain, loss), &prices[start - 1..end], &mut out[start..]);
        start = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instruction_sets_agree_bit_for_bit() {
        for s in crate::simd::real_series() {
            for period in [2, 14, 30] {
                let base = rsi_with(&s.close, period, rsi_chunk_body);
                let dispatched = rsi_with(&s.close, period, rsi_chunk);
                crate::simd::assert_bits_eq("RSI", &base, &dispatched);
            }
        }
    }

    #[test]
    fn hand_computed_wilder_values() {
        // period 2: changes +1, -1 -> gain 0.5, loss 0.5 -> 50; next +2:
        // gain (0.5 + 2) / 2 = 1.25, loss 0.25 -> 100 * 1.25 / 1.5.
        let out = rsi(&[1.0, 2.0, 1.0, 3.0], 2).unwrap();
        assert!(out[0].is_nan() && out[1].is_nan());
        assert_eq!(out[2], 50.0);
        assert!((out[3] - 100.0 * 1.25 / 1.5).abs() < 1e-12);
    }

    #[test]
    fn constant_series_is_zero_like_talib() {
        let out = rsi(&[5.0; 6], 3).unwrap();
        assert_eq!(&out[3..], &[0.0, 0.0, 0.0]);
    }

    #[test]
    fn nan_is_sticky() {
        let out = rsi(&[1.0, 2.0, 3.0, f64::NAN, 4.0, 5.0, 6.0], 2).unwrap();
        assert_eq!(out[2], 100.0);
        assert!(out[3..].iter().all(|v| v.is_nan()));
    }
}
