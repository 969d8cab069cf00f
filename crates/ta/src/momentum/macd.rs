//! MACD, TA-Lib `MACD`: fast EMA - slow EMA, its signal EMA and the histogram; lookback
//! `slow - 1 + signal - 1`, and all three outputs start there (as in TA-Lib).
//!
//! TA-Lib's alignment: the fast EMA is not started at bar `fast - 1` but seeded at the slow EMA's
//! first bar (`slow - 1`) with the SMA of the `fast` values ending there; the signal EMA is seeded
//! with the SMA of the first `signal` MACD values. If `slow < fast` the two are swapped, as in
//! TA-Lib. Recursive: a NaN or infinity makes every later value NaN until `reset`.

use crate::average::ema::{
    block_deviations, block_value, block_weights, ema_k, finite_or_nan, seed_mean, BlockWeights,
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
    Ok(macd_with(prices, &m, macd_chunk))
}

/// One step of the batch MACD (`macd_chunk_body`'s signature).
type ChunkFn = fn(&Weights, State, &[f64], &mut [f64], &[f64], &mut [f64], &mut [f64]) -> State;

/// `macd` with the periods of `m` and the loop of a step given: `macd_chunk`, or in the test of
/// the builds the baseline body.
#[inline(always)]
fn macd_with(prices: &[f64], m: &Macd, chunk_fn: ChunkFn) -> MacdSeries {
    let (fast, slow, signal) = (m.fast_period, m.slow_period, m.signal_period);
    let n = prices.len();
    let lookback = m.lookback();
    if n <= lookback {
        return MacdSeries {
            macd: vec![f64::NAN; n],
            signal: vec![f64::NAN; n],
            hist: vec![f64::NAN; n],
        };
    }
    // The batch twin of `Macd::update`: the same seeds and the same EMA blocks. The line goes
    // a chunk of whole blocks at a time; the signal EMA follows one chunk behind, over line
    // values already written, in the same loop as the line's two recursions, so all three
    // chains' latencies overlap (in a pass of its own the signal cost as much as the line).
    // Each output is written once, a chunk at a time (no NaN fill of whole vectors first).
    let slow_seed = seed_mean(&prices[..slow]);
    let fast_seed = seed_mean(&prices[slow - fast..slow]);
    let mut macd = with_lookback(n, slow - 1);
    macd.push(finite_or_nan(fast_seed - finite_or_nan(slow_seed)));
    let mut signal_line = with_lookback(n, lookback);
    let mut hist = with_lookback(n, lookback);
    let w = Weights {
        fast: block_weights(ema_k(fast)),
        slow: block_weights(ema_k(slow)),
        signal: block_weights(ema_k(signal)),
    };
    let mut state = State {
        fast: fast_seed,
        slow: slow_seed,
        signal: f64::NAN,
    };
    // The next line value the signal EMA reads (after its seed, at `lookback`).
    let mut next = lookback + 1;
    let mut start = slow;
    // (Until seeded too: with `signal` 1 and `n` = `slow` the seed is the only signal value.)
    while start < n || next < n || signal_line.len() <= lookback {
        // The line's chunk, and the signal's: whole blocks of the line values written before
        // this chunk (all that remain once the line is done), at most a chunk of them.
        let end = (start + CHUNK_SLOTS).min(n);
        let sig_end = if signal_line.len() <= lookback {
            // Not seeded yet.
            next
        } else if start < n {
            next + ((start - next) / 4 * 4).min(CHUNK_SLOTS)
        } else {
            (next + CHUNK_SLOTS).min(n)
        };
        // Zeroing the chunk's slots brings them into cache for the writes that follow.
        macd.resize(end, 0.0);
        // (Empty until seeded, when `next` may lie past the line written so far.)
        let sig = if sig_end > next { next..sig_end } else { 0..0 };
        signal_line.resize(signal_line.len().max(sig.end), 0.0);
        hist.resize(hist.len().max(sig.end), 0.0);
        let (done, line_out) = macd.split_at_mut(start);
        state = chunk_fn(
            &w,
            state,
            &prices[start..end],
            line_out,
            &done[sig.clone()],
            &mut signal_line[sig.clone()],
            &mut hist[sig.clone()],
        );
        start = end;
        next = sig_end;
        if signal_line.len() == lookback && macd.len() > lookback {
            // The signal's seed: the first `signal` MACD values, summed left to right from 0.0.
            let seed = seed_mean(&macd[slow - 1..=lookback]);
            state.signal = seed;
            signal_line.push(finite_or_nan(seed));
            hist.push(macd[lookback] - finite_or_nan(seed));
        }
    }
    for v in &mut macd[slow - 1..lookback] {
        *v = f64::NAN;
    }
    MacdSeries {
        macd,
        signal: signal_line,
        hist,
    }
}

/// The block weights of the three EMAs.
struct Weights {
    fast: BlockWeights,
    slow: BlockWeights,
    signal: BlockWeights,
}

/// The three EMAs' values after the last whole block each has taken.
#[derive(Debug, Clone, Copy)]
struct State {
    fast: f64,
    slow: f64,
    signal: f64,
}

/// The value after a whole block `x` of an EMA whose value before it is `v` (weights `w`).
#[inline(always)]
fn block_end(x: &[f64], v: f64, w: &BlockWeights) -> f64 {
    let (r, d) = block_deviations(x);
    block_value(4, &d, r, v, w)
}

/// A MACD line value from the fast and slow EMAs, NaN unless finite: the streaming form's
/// `finite_or_nan(f) - finite_or_nan(s)` mapped to NaN unless finite, in one mapping (a
/// non-finite EMA makes the difference non-finite too, so the two give the same value for every
/// input, NaN for NaN: only the sign bit of a NaN may differ, which nothing reads).
#[inline(always)]
fn line_value(f: f64, s: f64) -> f64 {
    finite_or_nan(f - s)
}

/// `macd_chunk_body` built for the CPU at hand (`crate::simd`): the same numbers either way.
/// Kept out of line and free of calls, so the three running values stay in registers.
#[multiversion(targets("x86_64+avx2"))]
fn macd_chunk(
    w: &Weights,
    v: State,
    prices: &[f64],
    line_out: &mut [f64],
    line_in: &[f64],
    signal_out: &mut [f64],
    hist_out: &mut [f64],
) -> State {
    macd_chunk_body(w, v, prices, line_out, line_in, signal_out, hist_out)
}

/// One step of the batch MACD, from the EMAs `v` before it (weights `w`): the MACD line of a
/// chunk of at most `CHUNK_SLOTS` prices starting at a block boundary of the line (into
/// `line_out`), and the signal EMA of the line values `line_in` (written by earlier steps,
/// starting at a block boundary of the signal; whole blocks unless the last) with the
/// histogram. Returns the EMAs after their last whole blocks.
///
/// First the three recursions alone, through each block's last value (three independent
/// chains, so their latencies overlap), keeping every block's last values; then each block's
/// first three values from the values before it, loops without a dependency from block to
/// block (computing all four in the recursion's loop put the first three on the chain's
/// critical path: the MACD took twice TA-Lib's time).
#[inline(always)]
fn macd_chunk_body(
    w: &Weights,
    v: State,
    prices: &[f64],
    line_out: &mut [f64],
    line_in: &[f64],
    signal_out: &mut [f64],
    hist_out: &mut [f64],
) -> State {
    debug_assert!(
        prices.len() <= CHUNK_SLOTS && line_in.len() <= CHUNK_SLOTS,
        "chunks of at most CHUNK_SLOTS values"
    );
    let (cf, cs, cg) = (&w.fast, &w.slow, &w.signal);
    let line_out = &mut line_out[..prices.len()];
    let (signal_out, hist_out) = (
        &mut signal_out[..line_in.len()],
        &mut hist_out[..line_in.len()],
    );
    let mut line_ends = [(0.0, 0.0); CHUNK_SLOTS / 4];
    let mut signal_ends = [0.0; CHUNK_SLOTS / 4];
    let State {
        fast: mut vf,
        slow: mut vs,
        signal: mut vg,
    } = v;
    let both = (prices.len() / 4).min(line_in.len() / 4);
    // `take` on both sides: a zip that ran out on one side would drop the other's next block.
    let mut line_blocks = prices.chunks_exact(4).zip(line_ends.iter_mut());
    let mut signal_blocks = line_in.chunks_exact(4).zip(signal_ends.iter_mut());
    let pairs = line_blocks
        .by_ref()
        .take(both)
        .zip(signal_blocks.by_ref().take(both));
    for ((x, e), (y, g)) in pairs {
        (vf, vs) = (block_end(x, vf, cf), block_end(x, vs, cs));
        *e = (vf, vs);
        vg = block_end(y, vg, cg);
        *g = vg;
    }
    for (x, e) in line_blocks {
        (vf, vs) = (block_end(x, vf, cf), block_end(x, vs, cs));
        *e = (vf, vs);
    }
    for (y, g) in signal_blocks {
        vg = block_end(y, vg, cg);
        *g = vg;
    }

    let (mut bf, mut bs) = (v.fast, v.slow);
    let blocks = prices.chunks_exact(4).zip(line_out.chunks_exact_mut(4));
    for ((x, o), &(ef, es)) in blocks.zip(&line_ends) {
        // Both EMAs take the same deviations (from the block's first price).
        let (r, d) = block_deviations(x);
        for (j, oj) in o.iter_mut().take(3).enumerate() {
            *oj = line_value(
                block_value(j + 1, &d, r, bf, cf),
                block_value(j + 1, &d, r, bs, cs),
            );
        }
        o[3] = line_value(ef, es);
        (bf, bs) = (ef, es);
    }
    let rest = prices.chunks_exact(4).remainder();
    let r = rest.first().copied().unwrap_or(0.0);
    let mut d = [0.0; 4];
    for (j, (&x, o)) in rest
        .iter()
        .zip(line_out.chunks_exact_mut(4).into_remainder())
        .enumerate()
    {
        d[j] = x - r;
        *o = line_value(
            block_value(j + 1, &d, r, vf, cf),
            block_value(j + 1, &d, r, vs, cs),
        );
    }

    let mut before = v.signal;
    let blocks = line_in.chunks_exact(4).zip(signal_out.chunks_exact_mut(4));
    for (((x, o), h), &e) in blocks.zip(hist_out.chunks_exact_mut(4)).zip(&signal_ends) {
        let (r, d) = block_deviations(x);
        for (j, oj) in o.iter_mut().take(3).enumerate() {
            *oj = finite_or_nan(block_value(j + 1, &d, r, before, cg));
        }
        o[3] = finite_or_nan(e);
        for j in 0..4 {
            h[j] = x[j] - o[j];
        }
        before = e;
    }
    let rest = line_in.chunks_exact(4).remainder();
    let r = rest.first().copied().unwrap_or(0.0);
    let mut d = [0.0; 4];
    let outs = signal_out
        .chunks_exact_mut(4)
        .into_remainder()
        .iter_mut()
        .zip(hist_out.chunks_exact_mut(4).into_remainder());
    for (j, (&x, (o, h))) in rest.iter().zip(outs).enumerate() {
        d[j] = x - r;
        *o = finite_or_nan(block_value(j + 1, &d, r, vg, cg));
        *h = x - *o;
    }
    State {
        fast: vf,
        slow: vs,
        signal: vg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instruction_sets_agree_bit_for_bit() {
        for s in crate::simd::real_series() {
            for (fast, slow, signal) in [(12, 26, 9), (3, 6, 4), (5, 35, 200)] {
                let m = Macd::new(fast, slow, signal).unwrap();
                let base = macd_with(&s.close, &m, macd_chunk_body);
                let dispatched = macd_with(&s.close, &m, macd_chunk);
                crate::simd::assert_bits_eq("MACD line", &base.macd, &dispatched.macd);
                crate::simd::assert_bits_eq("MACD signal", &base.signal, &dispatched.signal);
                crate::simd::assert_bits_eq("MACD hist", &base.hist, &dispatched.hist);
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
    fn batch_is_streaming_on_every_short_length() {
        // Every length around the lookback and the first chunks, so the signal's seed falls
        // before, in and after each of the line's first chunks.
        let prices: Vec<f64> = (0..300).map(|i| 100.0 + (i as f64 * 0.7).sin()).collect();
        for (fast, slow, signal) in [(2, 3, 1), (2, 2, 1), (3, 6, 4), (12, 26, 9), (5, 9, 140)] {
            for n in (0..60).chain(150..170).chain([300]) {
                let batch = macd(&prices[..n], fast, slow, signal).unwrap();
                let mut m = Macd::new(fast, slow, signal).unwrap();
                for (i, &p) in prices[..n].iter().enumerate() {
                    let (l, s, h) = match m.update(p) {
                        Some(o) => (o.macd, o.signal, o.hist),
                        None => (f64::NAN, f64::NAN, f64::NAN),
                    };
                    let same =
                        |a: f64, b: f64| a.to_bits() == b.to_bits() || a.is_nan() && b.is_nan();
                    assert!(same(batch.macd[i], l), "{fast} {slow} {signal} n {n} i {i}");
                    assert!(
                        same(batch.signal[i], s),
                        "{fast} {slow} {signal} n {n} i {i}"
                    );
                    assert!(same(batch.hist[i], h), "{fast} {slow} {signal} n {n} i {i}");
                }
                assert_eq!(batch.macd.len(), n);
                assert_eq!((batch.signal.len(), batch.hist.len()), (n, n));
            }
        }
    }

    #[test]
    fn swaps_fast_and_slow_like_talib() {
        let a = macd(&[1.0, 3.0, 2.0, 5.0, 4.0, 6.0], 2, 3, 2).unwrap();
        let b = macd(&[1.0, 3.0, 2.0, 5.0, 4.0, 6.0], 3, 2, 2).unwrap();
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        assert!(Macd::new(12, 26, 0).is_err());
    }
}
