//! MACD, TA-Lib `MACD`: fast EMA - slow EMA, its signal EMA and the histogram; lookback
//! `slow - 1 + signal - 1`, and all three outputs start there (as in TA-Lib).
//!
//! TA-Lib's alignment: the fast EMA is not started at bar `fast - 1` but seeded at the slow EMA's
//! first bar (`slow - 1`) with the SMA of the `fast` values ending there; the signal EMA is seeded
//! with the SMA of the first `signal` MACD values. If `slow < fast` the two are swapped, as in
//! TA-Lib.
//!
//! Stride-4 form. The three EMAs do not use the plain EMA's blocks of four bars (`ema.rs`):
//! from the fourth bar after its seed on, each EMA's value is computed from its own value four
//! bars earlier, u_t = (1-k)^4 u_(t-4) + Σ_(m<4) k (1-k)^m x_(t-m) (TA-Lib's recursion applied
//! four times, multiplied out); the first three bars after a seed take one step each,
//! u_t = (1-k) u_(t-1) + k x_t. Four consecutive bars then never depend on each other, so the
//! batch form computes them side by side, one SIMD lane each: a lane's recursion costs one fused
//! multiply-add of latency per four bars, and everything else (the input terms Σ k (1-k)^m x,
//! the line, the histogram) is plain vector work. In blocks of four, each block's first three
//! values needed a pass of their own that vectorised poorly, and the MACD took 1.1-1.3x
//! TA-Lib's time; TA-Lib itself (0.6 and later) runs all three EMAs and the histogram in one
//! loop of fused multiply-adds, latency-bound at one subtraction and one FMA per bar.
//!
//! Arithmetic. The fast and slow EMAs run on deviations x - R from one reference price R (the
//! slow EMA's seed) and keep their values as deviations u = EMA - R, so the line is
//! u_fast - u_slow: a flat series gives deviations, line, signal and histogram of exactly 0 (as
//! TA-Lib does), and the line is never the difference of two rounded prices. The signal EMA runs
//! on the line values themselves. The steps use fused multiply-adds (`f64::mul_add`): one
//! rounding each, the same bits on every machine (hardware FMA in the AVX2+FMA build of the
//! batch loop, `crate::simd`; libm's correctly rounded `fma` in the baseline build and the
//! streaming form, which is why an update of the streaming form costs ~40 ns instead of ~32).
//! Streaming and batch forms take the same steps in the same order, so they give identical
//! numbers; against TA-Lib they agree to rounding, far inside the fixtures' 1e-9.
//!
//! Batch form. After the seeds and the first three bars of each EMA (the streaming form's own
//! steps), the prices go a chunk of `CHUNK_SLOTS` bars at a time: first each bar's input terms
//! (loops without a recursion, which vectorise), then the three recursions four lanes at a time
//! in one loop, so their latencies overlap; the signal follows one chunk behind, over line values
//! already written. Each output is appended once, eight values at a time (no NaN fill or zeroing
//! of whole vectors first: zeroing each chunk's slots before writing them took a quarter of the
//! time). Chunks of 256 or 512 bars measured 20-50% slower (their scratch and outputs no longer
//! fit the 32 KB L1 cache), 64 the same as 128.
//!
//! NaN and infinity. Recursive: a NaN or infinity makes every later value NaN until `reset`
//! (each lane reads the last four inputs, so a NaN reaches all four lanes). The recursions'
//! states are left as the arithmetic makes them and only the outputs are mapped to NaN. The
//! batch loop does not map every value: it sums each chunk's histogram values (a non-finite
//! line or signal value makes its histogram value non-finite) and only if the sum is not finite
//! maps that chunk's line and signal values and recomputes its histogram, which gives the
//! streaming form's values again (the signal may have read a line value of ±inf where the
//! streaming form read NaN, but either makes all its later values non-finite, so mapped NaN).

use crate::average::ema::{ema_k, finite_or_nan, seed_mean, zero_or_nan};
use crate::average::output::with_lookback;
use crate::average::window::Window;
use crate::average::{check_period, TaError};
use multiversion::multiversion;

/// Bars per chunk of the batch form (see the module doc).
const CHUNK_SLOTS: usize = 128;

/// Steps of four bars whose outputs the batch loop appends together (each append checks the
/// capacity and stores the length back).
const GROUP: usize = 2;

/// Room per scratch array: a chunk and spare room, so that the arrays do not lie a multiple of
/// 4 KB apart (where a load waits for an unrelated store with the same low address bits).
const SCRATCH_SLOTS: usize = CHUNK_SLOTS + 40;

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

/// Weights of an EMA in stride-4 form: `keep` = 1-k (one step), `keep4` = (1-k)^4 (four
/// steps) and `take[m]` = k (1-k)^m, the weight of the input m bars back.
#[derive(Debug, Clone, Copy)]
struct StrideWeights {
    keep: f64,
    keep4: f64,
    take: [f64; 4],
}

impl StrideWeights {
    fn new(period: usize) -> Self {
        let k = ema_k(period);
        let m = 1.0 - k;
        let m2 = m * m;
        let c1 = k * m;
        let c2 = c1 * m;
        Self {
            keep: m,
            keep4: m2 * m2,
            take: [k, c1, c2, c2 * m],
        }
    }
}

/// The value of an EMA in stride-4 form from its value four bars earlier, `back4`, and the
/// inputs `x[m]` of this bar (m = 0) and the three before. Batch lanes and streaming compute
/// exactly these operations, in this order.
#[inline(always)]
fn stride_value(back4: f64, x: [f64; 4], w: &StrideWeights) -> f64 {
    back4.mul_add(w.keep4, stride_terms(x, &w.take))
}

/// The input terms of `stride_value`, Σ c[m] x[m], in fused multiply-adds from the oldest.
#[inline(always)]
fn stride_terms(x: [f64; 4], c: &[f64; 4]) -> f64 {
    c[0].mul_add(x[0], c[1].mul_add(x[1], c[2].mul_add(x[2], c[3] * x[3])))
}

/// A streaming EMA in stride-4 form, from its seed on: its last four values and inputs, each in
/// slot (bars since the seed) % 4.
#[derive(Debug, Clone, Copy)]
struct StrideEma {
    values: [f64; 4],
    inputs: [f64; 4],
    steps: usize,
}

impl StrideEma {
    fn seeded(seed: f64) -> Self {
        Self {
            values: [seed, 0.0, 0.0, 0.0],
            inputs: [0.0; 4],
            steps: 0,
        }
    }

    /// The value of the latest bar.
    fn last(&self) -> f64 {
        self.values[self.steps % 4]
    }

    /// Takes the next bar's input; its value.
    fn update(&mut self, x: f64, w: &StrideWeights) -> f64 {
        self.steps += 1;
        let slot = self.steps % 4;
        self.inputs[slot] = x;
        let value = if self.steps < 4 {
            self.values[(slot + 3) % 4].mul_add(w.keep, w.take[0] * x)
        } else {
            let back = |m: usize| self.inputs[(slot + 4 - m) % 4];
            stride_value(self.values[slot], [x, back(1), back(2), back(3)], w)
        };
        self.values[slot] = value;
        value
    }
}

/// A MACD line value from the fast and slow EMAs' deviations, NaN unless finite.
#[inline(always)]
fn line_value(f: f64, s: f64) -> f64 {
    finite_or_nan(f - s)
}

/// The three EMAs' weights.
#[derive(Debug, Clone, Copy)]
struct Weights {
    fast: StrideWeights,
    slow: StrideWeights,
    signal: StrideWeights,
}

impl Weights {
    fn new(fast: usize, slow: usize, signal: usize) -> Self {
        Self {
            fast: StrideWeights::new(fast),
            slow: StrideWeights::new(slow),
            signal: StrideWeights::new(signal),
        }
    }
}

/// Streaming MACD; `update` returns `None` until `slow + signal - 1` prices have been seen.
#[derive(Debug, Clone)]
pub struct Macd {
    fast_period: usize,
    slow_period: usize,
    signal_period: usize,
    weights: Weights,
    /// The latest `fast` prices, for the fast EMA's seed.
    recent: Window,
    /// Prices seen while seeding (at most `slow`) and their sum.
    seen: usize,
    seed_sum: f64,
    /// The reference price R (the slow EMA's seed) and the two EMAs' deviations from it.
    reference: f64,
    fast: StrideEma,
    slow: StrideEma,
    /// MACD values seen while seeding the signal (at most `signal`) and their sum.
    lines: usize,
    line_sum: f64,
    signal: StrideEma,
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
        Ok(Self::with_periods(fast, slow, signal))
    }

    /// A fresh MACD with checked periods, `fast <= slow`.
    fn with_periods(fast: usize, slow: usize, signal: usize) -> Self {
        Self {
            fast_period: fast,
            slow_period: slow,
            signal_period: signal,
            weights: Weights::new(fast, slow, signal),
            recent: Window::new(fast),
            seen: 0,
            seed_sum: 0.0,
            reference: f64::NAN,
            fast: StrideEma::seeded(f64::NAN),
            slow: StrideEma::seeded(f64::NAN),
            lines: 0,
            line_sum: 0.0,
            signal: StrideEma::seeded(f64::NAN),
        }
    }

    /// Feeds one price; the MACD reading once the signal line is warm.
    pub fn update(&mut self, price: f64) -> Option<MacdOutput> {
        let w = &self.weights;
        let line = if self.seen < self.slow_period {
            self.recent.push(price);
            // TA-Lib sums the seed windows left to right, then divides.
            self.seed_sum += price;
            self.seen += 1;
            if self.seen < self.slow_period {
                return None;
            }
            // Both EMAs are seeded on the slow EMA's first bar, as deviations from the reference
            // price, the slow seed itself (so the slow EMA's is 0, or NaN if it is not finite).
            let slow_seed = self.seed_sum / self.slow_period as f64;
            let fast_seed = seed_mean(self.recent.as_slice());
            self.reference = slow_seed;
            self.fast = StrideEma::seeded(fast_seed - slow_seed);
            self.slow = StrideEma::seeded(zero_or_nan(slow_seed));
            line_value(self.fast.last(), self.slow.last())
        } else {
            let x = price - self.reference;
            line_value(self.fast.update(x, &w.fast), self.slow.update(x, &w.slow))
        };
        let signal = if self.lines < self.signal_period {
            self.line_sum += line;
            self.lines += 1;
            if self.lines < self.signal_period {
                return None;
            }
            let seed = self.line_sum / self.signal_period as f64;
            self.signal = StrideEma::seeded(seed);
            finite_or_nan(seed)
        } else {
            finite_or_nan(self.signal.update(line, &w.signal))
        };
        Some(MacdOutput {
            macd: line,
            signal,
            hist: line - signal,
        })
    }

    /// True once `update` returns values.
    pub fn is_ready(&self) -> bool {
        self.lines >= self.signal_period
    }

    /// Forgets all prices seen.
    pub fn reset(&mut self) {
        *self = Self::with_periods(self.fast_period, self.slow_period, self.signal_period);
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

/// The three EMAs' last four values before a chunk, lane l holding the bar ≡ l (mod 4) from
/// the chunk's first bar: the fast and slow EMAs' as deviations from the reference price.
#[derive(Debug, Clone, Copy)]
struct State {
    fast: [f64; 4],
    slow: [f64; 4],
    signal: [f64; 4],
}

/// One chunk of the batch MACD (`macd_chunk_body`'s signature).
type ChunkFn = fn(&Weights, f64, State, &[f64], usize, &mut MacdSeries, &mut Scratch) -> State;

/// Room for one chunk's intermediate values, kept across chunks (zeroing arrays on the stack
/// at every chunk cost a tenth of the time).
struct Scratch {
    /// The input terms of the three EMAs.
    fast: [f64; SCRATCH_SLOTS],
    slow: [f64; SCRATCH_SLOTS],
    signal: [f64; SCRATCH_SLOTS],
    /// The line values the signal reads.
    line: [f64; SCRATCH_SLOTS],
}

/// `macd` with the periods of `m` and the loop of a step given: `macd_chunk`, or in the test of
/// the builds the baseline body.
#[inline(always)]
fn macd_with(prices: &[f64], m: &Macd, chunk_fn: ChunkFn) -> MacdSeries {
    let (fast, slow) = (m.fast_period, m.slow_period);
    let n = prices.len();
    let lookback = m.lookback();
    if n <= lookback {
        return MacdSeries {
            macd: vec![f64::NAN; n],
            signal: vec![f64::NAN; n],
            hist: vec![f64::NAN; n],
        };
    }
    let w = &m.weights;
    // The batch twin of `Macd::update`: the same seeds, the first three bars after each seed by
    // the streaming form's own steps, then the stride-4 steps a chunk at a time. The signal
    // follows one chunk behind, over line values already written, in the same loop as the
    // line, so all three recursions' latencies overlap. Each output is written once, a chunk
    // at a time (no NaN fill of whole vectors first).
    let seed_bar = slow - 1;
    let slow_seed = seed_mean(&prices[..slow]);
    let fast_seed = seed_mean(&prices[slow - fast..slow]);
    let reference = slow_seed;
    let mut f = StrideEma::seeded(fast_seed - slow_seed);
    let mut s = StrideEma::seeded(zero_or_nan(slow_seed));
    let mut macd = with_lookback(n, seed_bar);
    macd.push(line_value(f.last(), s.last()));
    let head = (seed_bar + 4).min(n);
    for &p in &prices[slow..head] {
        let x = p - reference;
        macd.push(line_value(f.update(x, &w.fast), s.update(x, &w.slow)));
    }
    let mut state = State {
        fast: f.values,
        slow: s.values,
        signal: [f64::NAN; 4],
    };
    let mut out = MacdSeries {
        macd,
        signal: with_lookback(n, lookback),
        hist: with_lookback(n, lookback),
    };
    let mut scratch = Scratch {
        fast: [0.0; SCRATCH_SLOTS],
        slow: [0.0; SCRATCH_SLOTS],
        signal: [0.0; SCRATCH_SLOTS],
        line: [0.0; SCRATCH_SLOTS],
    };
    // The next line bar, and the next signal bar (once the signal is seeded).
    let mut start = head;
    let mut next = n;
    loop {
        if out.signal.len() == lookback && out.macd.len() >= (lookback + 4).min(n) {
            // The signal's seed, the first `signal` MACD values summed left to right from 0.0,
            // and its first three bars (the steps leave the line's values as the arithmetic
            // makes them until the signal's steps check them, see `macd_chunk_body`).
            let head = (lookback + 4).min(n);
            for v in &mut out.macd[seed_bar..head] {
                *v = finite_or_nan(*v);
            }
            let seed = seed_mean(&out.macd[seed_bar..=lookback]);
            let mut g = StrideEma::seeded(seed);
            out.signal.push(finite_or_nan(seed));
            out.hist.push(out.macd[lookback] - finite_or_nan(seed));
            next = (lookback + 4).min(n);
            for &line in &out.macd[lookback + 1..next] {
                let v = finite_or_nan(g.update(line, &w.signal));
                out.signal.push(v);
                out.hist.push(line - v);
            }
            state.signal = g.values;
        }
        if start >= n && next >= n {
            break;
        }
        // The line's chunk, and the signal's: whole steps of the line values written before
        // this chunk (all that remain once the line is done), at most a chunk of them.
        let end = (start + CHUNK_SLOTS).min(n);
        let sig_end = if next >= n {
            next
        } else if start < n {
            next + ((start - next) / 4 * 4).min(CHUNK_SLOTS)
        } else {
            (next + CHUNK_SLOTS).min(n)
        };
        // Each step reads the three prices before it (the chunks start at least four bars after
        // the seed).
        let prices_in = if start < end {
            &prices[start - 3..end]
        } else {
            &prices[..0]
        };
        // (No signal values until it is seeded.)
        let sig_to = if next >= n { out.signal.len() } else { sig_end };
        state = chunk_fn(
            w,
            reference,
            state,
            prices_in,
            sig_to,
            &mut out,
            &mut scratch,
        );
        start = end;
        next = sig_end;
    }
    for v in &mut out.macd[seed_bar..lookback] {
        *v = f64::NAN;
    }
    out
}

/// `macd_chunk_body` built for the CPU at hand (`crate::simd`): the same numbers either way.
/// Kept out of line, so the running values stay in registers.
#[multiversion(targets("x86_64+avx2+fma"))]
fn macd_chunk(
    w: &Weights,
    reference: f64,
    v: State,
    prices: &[f64],
    signal_end: usize,
    out: &mut MacdSeries,
    scratch: &mut Scratch,
) -> State {
    macd_chunk_body(w, reference, v, prices, signal_end, out, scratch)
}

/// Four consecutive values from the start of `x`.
#[inline(always)]
fn quad(x: &[f64]) -> [f64; 4] {
    [x[0], x[1], x[2], x[3]]
}

/// The input terms of `stride_value` of the signal EMA for each bar of `terms`, and a copy of
/// the bars' inputs into `copy`: `x` holds the bars' inputs after the three before them. A loop
/// without a recursion, which vectorises by itself (written into the recursion's loop, the
/// compiler vectorised each bar's four terms instead of four bars).
#[inline(always)]
fn signal_terms(x: &[f64], w: &StrideWeights, terms: &mut [f64], copy: &mut [f64]) {
    let n = terms.len();
    let copy = &mut copy[..n];
    let (x0, x1, x2, x3) = (&x[3..n + 3], &x[2..n + 2], &x[1..n + 1], &x[..n]);
    let c = &w.take;
    for i in 0..n {
        terms[i] = stride_terms([x0[i], x1[i], x2[i], x3[i]], c);
        copy[i] = x0[i];
    }
}

/// The input terms (as `signal_terms`) of the fast and slow EMAs, of the deviations of `prices`
/// from `reference`, in one loop.
#[inline(always)]
fn line_terms(prices: &[f64], reference: f64, w: &Weights, fast: &mut [f64], slow: &mut [f64]) {
    let n = fast.len();
    let slow = &mut slow[..n];
    let (x0, x1, x2, x3) = (
        &prices[3..n + 3],
        &prices[2..n + 2],
        &prices[1..n + 1],
        &prices[..n],
    );
    let (f, s) = (&w.fast.take, &w.slow.take);
    for i in 0..n {
        let d = [
            x0[i] - reference,
            x1[i] - reference,
            x2[i] - reference,
            x3[i] - reference,
        ];
        fast[i] = stride_terms(d, f);
        slow[i] = stride_terms(d, s);
    }
}

/// One chunk of the batch MACD, from the EMAs' last four values `v` (weights `w`, reference
/// price `reference`): appends the MACD line of the prices `prices[3..]` (a chunk of at most
/// `CHUNK_SLOTS`, after the three prices before it) to `out.macd`, and the signal EMA and the
/// histogram of the line values from `out.signal.len()` to `signal_end` (at most `CHUNK_SLOTS`,
/// written by earlier chunks) to `out.signal` and `out.hist`. Each chunk is whole steps of four
/// bars unless it is the series' last. Returns the EMAs' last four values.
///
/// First each bar's input terms, then the three recursions four lanes at a time, in one loop so
/// that their latencies overlap, appending the outputs as they are computed, then the check of
/// the histogram's sum (see the module doc).
#[inline(always)]
fn macd_chunk_body(
    w: &Weights,
    reference: f64,
    v: State,
    prices: &[f64],
    signal_end: usize,
    out: &mut MacdSeries,
    scratch: &mut Scratch,
) -> State {
    let lines = prices.len().saturating_sub(3);
    let sig_start = out.signal.len();
    let signals = signal_end.saturating_sub(sig_start);
    debug_assert!(lines <= CHUNK_SLOTS && signals <= CHUNK_SLOTS);
    // The input terms of both EMAs, from the prices' deviations from the reference price.
    let (tf, ts, tg, lx) = (
        &mut scratch.fast[..lines],
        &mut scratch.slow[..lines],
        &mut scratch.signal[..signals],
        &mut scratch.line[..signals],
    );
    if lines > 0 {
        line_terms(prices, reference, w, tf, ts);
    }
    if signals > 0 {
        // The signal's inputs, after the three before them (its chunks start at least four bars
        // after its seed), and a copy of them for the histogram.
        signal_terms(&out.macd[sig_start - 3..signal_end], &w.signal, tg, lx);
    }
    let (kf, ks, kg) = (w.fast.keep4, w.slow.keep4, w.signal.keep4);
    let State {
        fast: mut vf,
        slow: mut vs,
        signal: mut vg,
    } = v;
    let MacdSeries {
        macd: line,
        signal,
        hist,
    } = out;
    // `GROUP` steps at a time, appending their values of each output at once.
    const G: usize = 4 * GROUP;
    let mut check = [0.0; 4];
    let both = (lines / G).min(signals / G);
    let line_groups = tf.chunks_exact(G).zip(ts.chunks_exact(G));
    let signal_groups = tg.chunks_exact(G).zip(lx.chunks_exact(G));
    for ((f, s), (t, x)) in line_groups.zip(signal_groups).take(both) {
        let (mut lo, mut go, mut ho) = ([0.0; G], [0.0; G], [0.0; G]);
        for k in 0..GROUP {
            let q = |a: &[f64]| quad(&a[4 * k..]);
            let o = line_step(&mut vf, &mut vs, (kf, ks), (q(f), q(s)));
            let (g, h) = signal_step(&mut vg, kg, q(t), q(x), &mut check);
            lo[4 * k..4 * k + 4].copy_from_slice(&o);
            go[4 * k..4 * k + 4].copy_from_slice(&g);
            ho[4 * k..4 * k + 4].copy_from_slice(&h);
        }
        line.extend_from_slice(&lo);
        signal.extend_from_slice(&go);
        hist.extend_from_slice(&ho);
    }
    let (line_done, signal_done) = (both * G, both * G);
    let line_steps = tf[line_done..]
        .chunks_exact(4)
        .zip(ts[line_done..].chunks_exact(4));
    for (f, s) in line_steps {
        line.extend_from_slice(&line_step(&mut vf, &mut vs, (kf, ks), (quad(f), quad(s))));
    }
    let signal_steps = tg[signal_done..]
        .chunks_exact(4)
        .zip(lx[signal_done..].chunks_exact(4));
    for (t, x) in signal_steps {
        let (g, h) = signal_step(&mut vg, kg, quad(t), quad(x), &mut check);
        signal.extend_from_slice(&g);
        hist.extend_from_slice(&h);
    }
    // The series' last bars, fewer than a step: the first lanes of one.
    let done = lines / 4 * 4;
    for l in 0..lines - done {
        vf[l] = vf[l].mul_add(kf, tf[done + l]);
        vs[l] = vs[l].mul_add(ks, ts[done + l]);
        line.push(line_value(vf[l], vs[l]));
    }
    let done = signals / 4 * 4;
    for l in 0..signals - done {
        vg[l] = vg[l].mul_add(kg, tg[done + l]);
        signal.push(vg[l]);
        hist.push(lx[done + l] - vg[l]);
        check[l] += lx[done + l] - vg[l];
    }
    if !((check[0] + check[1]) + (check[2] + check[3])).is_finite() {
        // A non-finite line value, signal value or histogram among the signal's bars (a
        // non-finite operand makes the histogram non-finite too), or only a sum that overflowed:
        // the values as the streaming form gives them.
        let range = sig_start..signal_end;
        let outs = line[range.clone()]
            .iter_mut()
            .zip(&mut signal[range.clone()]);
        for ((l, g), h) in outs.zip(&mut hist[range]) {
            *l = finite_or_nan(*l);
            *g = finite_or_nan(*g);
            *h = *l - *g;
        }
    }
    State {
        fast: vf,
        slow: vs,
        signal: vg,
    }
}

/// One stride-4 step of the MACD line: the fast and slow EMAs' next four values from their
/// values four bars before (`keep4` weights `k`) and input terms `t`; the line values.
#[inline(always)]
fn line_step(
    vf: &mut [f64; 4],
    vs: &mut [f64; 4],
    k: (f64, f64),
    t: ([f64; 4], [f64; 4]),
) -> [f64; 4] {
    let mut o = [0.0; 4];
    for l in 0..4 {
        vf[l] = vf[l].mul_add(k.0, t.0[l]);
        vs[l] = vs[l].mul_add(k.1, t.1[l]);
        o[l] = vf[l] - vs[l];
    }
    o
}

/// One stride-4 step of the signal EMA (`keep4` weight `k`, input terms `t`) over the line
/// values `x`; the signal values and the histogram, as the arithmetic makes them, the latter
/// also summed into `check`.
#[inline(always)]
fn signal_step(
    vg: &mut [f64; 4],
    k: f64,
    t: [f64; 4],
    x: [f64; 4],
    check: &mut [f64; 4],
) -> ([f64; 4], [f64; 4]) {
    let (mut o, mut h) = ([0.0; 4], [0.0; 4]);
    for l in 0..4 {
        vg[l] = vg[l].mul_add(k, t[l]);
        o[l] = vg[l];
        h[l] = x[l] - o[l];
        check[l] += h[l];
    }
    (o, h)
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

    /// Batch against streaming, value by value (NaN equal to NaN, whatever its sign bit).
    fn assert_batch_is_streaming(prices: &[f64], fast: usize, slow: usize, signal: usize) {
        let batch = macd(prices, fast, slow, signal).unwrap();
        let mut m = Macd::new(fast, slow, signal).unwrap();
        let same = |a: f64, b: f64| a.to_bits() == b.to_bits() || a.is_nan() && b.is_nan();
        for (i, &p) in prices.iter().enumerate() {
            let (l, s, h) = match m.update(p) {
                Some(o) => (o.macd, o.signal, o.hist),
                None => (f64::NAN, f64::NAN, f64::NAN),
            };
            let at = format!("{fast} {slow} {signal} n {} i {i}", prices.len());
            assert!(same(batch.macd[i], l), "line {at}: {} {l}", batch.macd[i]);
            assert!(
                same(batch.signal[i], s),
                "signal {at}: {} {s}",
                batch.signal[i]
            );
            assert!(same(batch.hist[i], h), "hist {at}: {} {h}", batch.hist[i]);
        }
    }

    #[test]
    fn batch_is_streaming_through_nan_infinity_and_overflow() {
        // Far enough into the series that the batch form's vector steps and their check of the
        // outputs (not only the first bars' streaming steps) meet each case.
        let wave: Vec<f64> = (0..1500).map(|i| 100.0 + (i as f64 * 0.3).sin()).collect();
        let cases: [(usize, f64); 6] = [
            (700, f64::NAN),
            (701, f64::INFINITY),
            (702, f64::NEG_INFINITY),
            (703, 1e308),
            (704, -1e308),
            (705, f64::MAX),
        ];
        for (at, x) in cases {
            for offset in [0, 1, 2, 3, 130] {
                let mut prices = wave.clone();
                prices[at + offset] = x;
                for (fast, slow, signal) in [(12, 26, 9), (3, 6, 4), (2, 3, 1)] {
                    assert_batch_is_streaming(&prices, fast, slow, signal);
                }
            }
        }
        // A step from 0 to near the top of the range: line, signal and histogram stay finite
        // but a chunk's histograms sum past the range (the check then redoes nothing), and
        // prices swinging by their own size, whose seeds already overflow.
        let step: Vec<f64> = (0..900)
            .map(|i| if i < 400 { 0.0 } else { 1e308 })
            .collect();
        let out = macd(&step, 2, 200, 150).unwrap();
        assert!(out.hist[400..].iter().all(|h| h.is_finite()));
        assert!(out.hist[400..528].iter().sum::<f64>().is_infinite());
        let swing: Vec<f64> = (0..800)
            .map(|i| if i % 50 < 25 { 1e308 } else { -1e308 })
            .collect();
        for prices in [&step, &swing] {
            assert_batch_is_streaming(prices, 2, 3, 2);
            assert_batch_is_streaming(prices, 12, 26, 9);
            assert_batch_is_streaming(prices, 2, 200, 150);
        }
    }

    #[test]
    fn a_flat_series_gives_exact_zeros() {
        let out = macd(&[7.25; 700], 12, 26, 9).unwrap();
        for v in [&out.macd, &out.signal, &out.hist] {
            assert!(v[33..].iter().all(|&x| x == 0.0));
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
