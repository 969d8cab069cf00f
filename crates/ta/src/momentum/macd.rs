//! MACD, TA-Lib `MACD`: fast EMA - slow EMA, its signal EMA and the histogram; lookback
//! `slow - 1 + signal - 1`, and all three outputs start there (as in TA-Lib).
//!
//! TA-Lib's alignment: the fast EMA is not started at bar `fast - 1` but seeded at the slow EMA's
//! first bar (`slow - 1`) with the SMA of the `fast` values ending there; the signal EMA is seeded
//! with the SMA of the first `signal` MACD values. If `slow < fast` the two are swapped, as in
//! TA-Lib. Recursive: a NaN or infinity makes every later value NaN until `reset`.

use crate::average::ema::{
    block_deviations, block_value, block_weights, ema_extend, ema_k, finite_or_nan, seed_mean,
    BlockWeights,
};
use crate::average::output::{with_lookback, CHUNK_SLOTS};
use crate::average::window::Window;
use crate::average::{check_period, Ema, TaError};
use multiversion::multiversion;

/// One MACD reading.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MacdOutput {
    /// Fast EMA minus slow EMA.
    pub macd: f64,
    /// EMA of `macd` over the signal period.
    pub signal: f64,
    /// `macd - signal`.
    pub hist: f64,
}

/// MACD over a whole series; each vector has the input's length.
#[derive(Debug, Clone, PartialEq)]
pub struct MacdSeries {
    /// Fast EMA minus slow EMA.
    pub macd: Vec<f64>,
    /// Signal line.
    pub signal: Vec<f64>,
    /// Histogram.
    pub hist: Vec<f64>,
}

/// Streaming MACD; `update` returns `None` until `slow + signal - 1` prices have been seen.
#[derive(Debug, Clone)]
pub struct Macd {
    fast_period: usize,
    slow_period: usize,
    signal_period: usize,
    recent: Window,
    fast: Option<Ema>,
    slow: Ema,
    signal: Ema,
}

impl Macd {
    /// `fast` and `slow` at least 2, `signal` at least 1 (TA-Lib's ranges; TA-Lib defaults are
    /// 12, 26, 9).
    pub fn new(fast: usize, slow: usize, signal: usize) -> Result<Self, TaError> {
        check_period("MACD", "fast", fast, 2)?;
        check_period("MACD", "slow", slow, 2)?;
        check_period("MACD", "signal", signal, 1)?;
        let (fast, slow) = if slow < fast {
            (slow, fast)
        } else {
            (fast, slow)
        };
        Ok(Self {
            fast_period: fast,
            slow_period: slow,
            signal_period: signal,
            recent: Window::new(fast),
            fast: None,
            slow: Ema::new_unchecked(slow),
            signal: Ema::new_unchecked(signal),
        })
    }

    /// Feeds one price; the MACD reading once the signal line is warm.
    pub fn update(&mut self, price: f64) -> Option<MacdOutput> {
        let slow = self.slow.update(price);
        let fast = match self.fast.as_mut() {
            Some(ema) => ema.update(price),
            None => {
                self.recent.push(price);
                if !self.slow.is_ready() {
                    return None;
                }
                // Seed the fast EMA on the slow EMA's first bar, summing left to right.
                let seed = seed_mean(self.recent.as_slice());
                self.fast = Some(Ema::seeded(self.fast_period, seed));
                Some(seed)
            }
        };
        let macd = fast? - slow?;
        let macd = if macd.is_finite() { macd } else { f64::NAN };
        let signal = self.signal.update(macd)?;
        Some(MacdOutput {
            macd,
            signal,
            hist: macd - signal,
        })
    }

    /// True once `update` returns values.
    pub fn is_ready(&self) -> bool {
        self.signal.is_ready()
    }

    /// Forgets all prices seen.
    pub fn reset(&mut self) {
        self.recent.clear();
        self.fast = None;
        self.slow.reset();
        self.signal.reset();
    }

    /// Number of leading bars without output.
    pub fn lookback(&self) -> usize {
        self.slow_period - 1 + self.signal_period - 1
    }
}

/// MACD over a whole series: each output has the input's length, the first
/// `max(fast, slow) + signal - 2` entries NaN.
pub fn macd(
    prices: &[f64],
    fast: usize,
    slow: usize,
    signal: usize,
) -> Result<MacdSeries, TaError> {
    let m = Macd::new(fast, slow, signal)?;
    let (fast, slow) = (m.fast_period, m.slow_period);
    let n = prices.len();
    let lookback = m.lookback();
    if n <= lookback {
        return Ok(MacdSeries {
            macd: vec![f64::NAN; n],
            signal: vec![f64::NAN; n],
            hist: vec![f64::NAN; n],
        });
    }
    // The batch twin of `Macd::update`: the same seeds and the same EMA blocks. Each output is
    // appended a chunk at a time (no NaN fill of whole vectors first).
    let slow_seed = seed_mean(&prices[..slow]);
    let fast_seed = seed_mean(&prices[slow - fast..slow]);
    let mut macd = with_lookback(n, slow - 1);
    macd.push(finite_or_nan(fast_seed - finite_or_nan(slow_seed)));
    // Fast and slow EMA blocks side by side (both start at bar `slow`), straight into the MACD
    // line, in chunks of whole blocks: the same values `Ema::update` gives.
    let w = (block_weights(ema_k(fast)), block_weights(ema_k(slow)));
    let mut v = (fast_seed, slow_seed);
    let mut start = slow;
    while start < n {
        let end = (start + CHUNK_SLOTS).min(n);
        // Zeroing the chunk's slots brings them into cache for the writes that follow.
        macd.resize(end, 0.0);
        v = line_chunk(&w, v, &prices[start..end], &mut macd[start..end]);
        start = end;
    }
    // Signal seed: the first `signal` MACD values, summed left to right from 0.0.
    let signal_seed = seed_mean(&macd[slow - 1..=lookback]);
    let mut signal_line = with_lookback(n, lookback);
    signal_line.push(finite_or_nan(signal_seed));
    ema_extend(
        &macd[lookback + 1..],
        signal_seed,
        ema_k(signal),
        &mut signal_line,
    );
    for v in &mut macd[slow - 1..lookback] {
        *v = f64::NAN;
    }
    let hist = macd
        .iter()
        .zip(&signal_line)
        .map(|(&m, &s)| m - s)
        .collect();
    Ok(MacdSeries {
        macd,
        signal: signal_line,
        hist,
    })
}

/// `line_chunk_body` built for the CPU at hand (`crate::simd`): the same numbers either way.
/// Kept out of line and free of calls, so the two running values stay in registers.
#[multiversion(targets("x86_64+avx2"))]
fn line_chunk(
    w: &(BlockWeights, BlockWeights),
    v: (f64, f64),
    prices: &[f64],
    out: &mut [f64],
) -> (f64, f64) {
    line_chunk_body(w, v, prices, out)
}

/// The MACD line over one chunk of at most `CHUNK_SLOTS` prices starting at a block boundary,
/// from the fast and slow EMAs `v` before it (weights `w`); returns both after the last whole
/// block. First the two recursions alone, through each block's last value (two independent
/// chains, so their latencies overlap), keeping every block's last values; then each block's
/// first three values from the values before it, a loop without a dependency from block to
/// block (computing all four in the recursion's loop, as before, put the first three on the
/// chain's critical path: the MACD took twice TA-Lib's time).
#[inline(always)]
fn line_chunk_body(
    (cf, cs): &(BlockWeights, BlockWeights),
    v: (f64, f64),
    prices: &[f64],
    out: &mut [f64],
) -> (f64, f64) {
    debug_assert!(
        prices.len() <= CHUNK_SLOTS,
        "a chunk of at most CHUNK_SLOTS prices"
    );
    let line = |f: f64, s: f64| finite_or_nan(finite_or_nan(f) - finite_or_nan(s));
    let out = &mut out[..prices.len()];
    let mut ends = [(0.0, 0.0); CHUNK_SLOTS / 4];
    let (mut vf, mut vs) = v;
    for (x, e) in prices.chunks_exact(4).zip(&mut ends) {
        let (r, d) = block_deviations(x);
        vf = block_value(4, &d, r, vf, cf);
        vs = block_value(4, &d, r, vs, cs);
        *e = (vf, vs);
    }
    let (mut bf, mut bs) = v;
    let blocks = prices.chunks_exact(4).zip(out.chunks_exact_mut(4));
    for ((x, o), &(ef, es)) in blocks.zip(&ends) {
        // Both EMAs take the same deviations (from the block's first price).
        let (r, d) = block_deviations(x);
        for (j, oj) in o.iter_mut().take(3).enumerate() {
            *oj = line(
                block_value(j + 1, &d, r, bf, cf),
                block_value(j + 1, &d, r, bs, cs),
            );
        }
        o[3] = line(ef, es);
        (bf, bs) = (ef, es);
    }
    let rest = prices.chunks_exact(4).remainder();
    let r = rest.first().copied().unwrap_or(0.0);
    let mut d = [0.0; 4];
    for (j, (&x, o)) in rest
        .iter()
        .zip(out.chunks_exact_mut(4).into_remainder())
        .enumerate()
    {
        d[j] = x - r;
        *o = line(
            block_value(j + 1, &d, r, vf, cf),
            block_value(j + 1, &d, r, vs, cs),
        );
    }
    (vf, vs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instruction_sets_agree_bit_for_bit() {
        for s in crate::simd::real_series() {
            let w = (block_weights(ema_k(12)), block_weights(ema_k(26)));
            let (mut base, mut dispatched) = (vec![0.0; 128], vec![0.0; 128]);
            let mut v = (s.close[0], s.close[1]);
            for chunk in s.close.chunks(125) {
                let a = line_chunk_body(&w, v, chunk, &mut base);
                let b = line_chunk(&w, v, chunk, &mut dispatched);
                crate::simd::assert_bits_eq("MACD line", &base, &dispatched);
                assert_eq!(a.0.to_bits(), b.0.to_bits());
                assert_eq!(a.1.to_bits(), b.1.to_bits());
                v = a;
            }
        }
    }

    #[test]
    fn fast_ema_is_seeded_at_the_slow_ema_first_bar() {
        // fast 2, slow 3, signal 1: at bar 2 slow = (1+2+4)/3, fast = (2+4)/2 (not an EMA
        // started at bar 1), so macd = 3 - 7/3.
        let out = macd(&[1.0, 2.0, 4.0], 2, 3, 1).unwrap();
        assert!(out.macd[1].is_nan());
        assert!((out.macd[2] - (3.0 - 7.0 / 3.0)).abs() < 1e-15);
        assert_eq!(out.signal[2], out.macd[2]);
        assert_eq!(out.hist[2], 0.0);
    }

    #[test]
    fn swaps_fast_and_slow_like_talib() {
        let a = macd(&[1.0, 3.0, 2.0, 5.0, 4.0, 6.0], 2, 3, 2).unwrap();
        let b = macd(&[1.0, 3.0, 2.0, 5.0, 4.0, 6.0], 3, 2, 2).unwrap();
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        assert!(Macd::new(12, 26, 0).is_err());
    }
}
