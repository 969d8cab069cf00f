//! Money flow index, TA-Lib `MFI`: 100 * positive flow / (positive + negative flow) over `period`
//! bars, where a bar's flow is typical price (H + L + C) / 3 times volume, positive when the
//! typical price rose and negative when it fell; lookback `period`. A change of at most 1e-14 of
//! the two typical prices is float noise and counts as no change (TA-Lib 0.8's dead zone).
//!
//! Where total flow is below 1.0 the value is 0, as in TA-Lib (e.g. zero volume). Flow sums are
//! running window sums recomputed every `period` bars (`average::window`), so they do not drift.
//! A NaN or infinity spoils the flows of its bar and the next; every window containing those is
//! NaN, then it recovers.

use crate::average::output::with_lookback;
use crate::average::window::{run_sums_pairs, within_dead_zone, Pair, ShiftedSums, Window};
use crate::average::{check_lengths, check_period, TaError};
use multiversion::multiversion;

/// Typical price (high + low + close) / 3.
#[inline(always)]
fn typical(high: f64, low: f64, close: f64) -> f64 {
    (high + low + close) / 3.0
}

/// A bar's (positive, negative) money flow given the previous typical price. Written as
/// selects of values all computed up front, so the batch loop runs without a branch (the
/// direction of the typical price is a coin flip on real prices).
#[inline(always)]
fn flows(typical: f64, prev: f64, volume: f64) -> (f64, f64) {
    let flow = typical * volume;
    let gap = !(flow.is_finite() && prev.is_finite());
    let flat = within_dead_zone(typical - prev, typical.abs() + prev.abs());
    let down = typical < prev;
    let pos = if flat || down { 0.0 } else { flow };
    let neg = if !flat && down { flow } else { 0.0 };
    if gap {
        (f64::NAN, f64::NAN)
    } else {
        (pos, neg)
    }
}

/// MFI from the window's flow sums: 0 where the total is below 1.0, as in TA-Lib.
#[inline(always)]
fn mfi_value(positive: f64, negative: f64) -> f64 {
    let total = positive + negative;
    if total < 1.0 {
        0.0
    } else {
        100.0 * (positive / total)
    }
}

/// Streaming MFI; `update` returns `None` until `period + 1` bars have been seen.
#[derive(Debug, Clone)]
pub struct Mfi {
    prev_typical: Option<f64>,
    positive: Window,
    negative: Window,
}

impl Mfi {
    /// `period` must be at least 2 (TA-Lib's range; its default is 14).
    pub fn new(period: usize) -> Result<Self, TaError> {
        check_period("MFI", "period", period, 2)?;
        Ok(Self {
            prev_typical: None,
            positive: Window::new(period),
            negative: Window::new(period),
        })
    }

    /// Feeds one bar; the MFI once `period` flows have been seen.
    pub fn update(&mut self, high: f64, low: f64, close: f64, volume: f64) -> Option<f64> {
        let typical = typical(high, low, close);
        let prev = self.prev_typical.replace(typical)?;
        let (pos, neg) = flows(typical, prev, volume);
        self.positive.push(pos);
        self.negative.push(neg);
        if !self.positive.is_full() {
            return None;
        }
        if self.positive.has_gap() {
            return Some(f64::NAN);
        }
        Some(mfi_value(self.positive.sum(), self.negative.sum()))
    }

    /// True once `update` returns values.
    pub fn is_ready(&self) -> bool {
        self.positive.is_full()
    }

    /// Forgets all bars seen.
    pub fn reset(&mut self) {
        self.prev_typical = None;
        self.positive.clear();
        self.negative.clear();
    }
}

/// MFI over whole series (equal lengths): same length, the first `period` entries NaN.
pub fn mfi(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    volume: &[f64],
    period: usize,
) -> Result<Vec<f64>, TaError> {
    check_lengths(
        "MFI",
        &[
            ("high", high.len()),
            ("low", low.len()),
            ("close", close.len()),
            ("volume", volume.len()),
        ],
    )?;
    check_period("MFI", "period", period, 2)?;
    Ok(mfi_with((high, low, close, volume), period, &DISPATCHED))
}

/// The bars of a chunk: high, low, close and volume.
type Bars<'a> = (&'a [f64], &'a [f64], &'a [f64], &'a [f64]);

/// `run_sums_pairs`' signature: two running sums of two interleaved series.
type SumsFn = fn((&mut ShiftedSums, &mut ShiftedSums), &[Pair], usize, &mut [Pair]) -> bool;

/// The loops of a chunk that `mfi` builds for the CPU at hand (`crate::simd`), or in the test
/// of the builds their baseline bodies.
struct Loops {
    flows: fn(Bars<'_>, &mut [f64], &mut [Pair]),
    sums: SumsFn,
    values: fn(&[Pair], &mut Vec<f64>),
}

const DISPATCHED: Loops = Loops {
    flows: chunk_flows,
    sums: run_sums_pairs,
    values: push_values,
};

/// `chunk_flows_body` built for the CPU at hand.
#[multiversion(targets("x86_64+avx2"))]
fn chunk_flows<'a>(bars: Bars<'a>, typ: &mut [f64], flow: &mut [Pair]) {
    chunk_flows_body(bars, typ, flow)
}

/// The typical prices of a chunk's bars (`typ`, one longer than `flow`: the bar before the chunk
/// first) and the (positive, negative) flows of all but the first (`flow`, interleaved for the
/// sums' two-lane loop), each in a loop of its own that vectorises.
#[inline(always)]
fn chunk_flows_body((high, low, close, volume): Bars<'_>, typ: &mut [f64], flow: &mut [Pair]) {
    let len = flow.len();
    let rows = high.iter().zip(low).zip(close);
    for (t, ((&h, &l), &c)) in typ[..=len].iter_mut().zip(rows) {
        *t = typical(h, l, c);
    }
    let now = typ[1..=len].iter().zip(&typ[..len]).zip(&volume[1..=len]);
    for (f, ((&t, &prev), &v)) in flow.iter_mut().zip(now) {
        let (p, q) = flows(t, prev, v);
        *f = [p, q];
    }
}

/// `push_values_body` built for the CPU at hand.
#[multiversion(targets("x86_64+avx2"))]
fn push_values(sums: &[Pair], out: &mut Vec<f64>) {
    push_values_body(sums, out)
}

/// Appends the MFI of each pair of window sums.
#[inline(always)]
fn push_values_body(sums: &[Pair], out: &mut Vec<f64>) {
    out.extend(sums.iter().map(|&[p, q]| mfi_value(p, q)));
}

/// `mfi` (checked inputs) with the chunk loops given.
#[inline(always)]
fn mfi_with((high, low, close, volume): Bars<'_>, period: usize, loops: &Loops) -> Vec<f64> {
    let n = close.len();
    let mut out = with_lookback(n, period);
    if n <= period {
        return out;
    }
    // The batch twin of `Mfi::update`: the same flows, then the same window sums read in the same
    // order. Flow j belongs to bar j + 1. One pass in chunks of bars: the chunk's typical prices,
    // flows, window sums and values each in a loop of its own (the first, second and last
    // vectorise; only the sums carry a dependency from bar to bar), all in cache.
    const CHUNK: usize = 512;
    // Slots `period..` hold the chunk's flows, the `period` before them the previous ones.
    let mut flow = vec![[0.0; 2]; period + CHUNK];
    let mut typ = vec![0.0; CHUNK + 1];
    let mut sum = vec![[0.0; 2]; CHUNK];
    let (mut pos_sums, mut neg_sums) = (ShiftedSums::new(period), ShiftedSums::new(period));
    // The window of flows ending at `j` is free of gaps once `j >= clean_from`.
    let mut clean_from = 0;
    let flows_total = n - 1;
    let mut base = 0;
    while base < flows_total {
        let len = CHUNK.min(flows_total - base);
        // Typical prices of bars base ..= base + len, and flows base .. base + len.
        let bars = base..base + len + 1;
        let chunk = (
            &high[bars.clone()],
            &low[bars.clone()],
            &close[bars.clone()],
            &volume[bars],
        );
        (loops.flows)(chunk, &mut typ, &mut flow[period..period + len]);
        let first = period - 1;
        let slots = &flow[..period + len];
        // A chunk whose windows are all full and free of gaps (the usual case) takes the sums'
        // batch run; otherwise (or if a flow turns out not to be finite) the per-bar gap
        // bookkeeping. Either way the sums are the same numbers (`ShiftedSums::slide`).
        let kept = (pos_sums, neg_sums);
        let clean = base >= period
            && base >= clean_from
            && (loops.sums)(
                (&mut pos_sums, &mut neg_sums),
                slots,
                period,
                &mut sum[..len],
            );
        if !clean {
            (pos_sums, neg_sums) = kept;
            let state = (clean_from, pos_sums, neg_sums);
            (clean_from, pos_sums, neg_sums) =
                window_sums(slots, period, base, state, &mut sum[..len]);
        }
        // Values of the windows ending at flows max(base, period - 1) ..
        let skip = first.saturating_sub(base).min(len);
        (loops.values)(&sum[skip..len], &mut out);
        flow.copy_within(len..period + len, 0);
        base += len;
    }
    out
}

/// The running window sums of one chunk of flows (`flow`: the `period` flows before the chunk,
/// then its flows, the first being flow `base`): writes the sums of the window ending at each
/// flow from `period - 1` on to `sums` (NaN for windows with a gap, which `mfi_value` turns
/// into NaN). The state (gap bookkeeping and the two running sums) comes in and goes out by
/// value. (The rare path: it takes the two series apart into vectors of their own, as the
/// recomputes read each window as one slice.)
fn window_sums(
    flow: &[Pair],
    period: usize,
    base: usize,
    (mut clean_from, mut pos_sums, mut neg_sums): (usize, ShiftedSums, ShiftedSums),
    sums: &mut [Pair],
) -> (usize, ShiftedSums, ShiftedSums) {
    let pos: Vec<f64> = flow.iter().map(|f| f[0]).collect();
    let neg: Vec<f64> = flow.iter().map(|f| f[1]).collect();
    for (k, s) in sums.iter_mut().enumerate() {
        let j = base + k;
        // Flow j sits in slot period + k; its window in slots k + 1 ..= period + k.
        let (x, y) = (pos[period + k], neg[period + k]);
        if j >= period {
            pos_sums.slide::<false, true>(x, pos[k]);
            neg_sums.slide::<false, true>(y, neg[k]);
        }
        if !x.is_finite() {
            clean_from = j + period;
        }
        if j + 1 >= period {
            let w = k + 1..=period + k;
            *s = if j < clean_from {
                [f64::NAN; 2]
            } else {
                [pos_sums.sum(&pos[w.clone()]), neg_sums.sum(&neg[w])]
            };
        }
    }
    (clean_from, pos_sums, neg_sums)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::average::window::run_sums_pairs_body;

    #[test]
    fn instruction_sets_agree_bit_for_bit() {
        let baseline = Loops {
            flows: chunk_flows_body,
            sums: run_sums_pairs_body,
            values: push_values_body,
        };
        for s in crate::simd::real_series() {
            let bars = (&s.high[..], &s.low[..], &s.close[..], &s.volume[..]);
            for period in [2, 14, 30] {
                let base = mfi_with(bars, period, &baseline);
                let dispatched = mfi_with(bars, period, &DISPATCHED);
                crate::simd::assert_bits_eq("MFI", &base, &dispatched);
            }
        }
    }

    #[test]
    fn ratio_of_positive_flow() {
        // Typical prices 10, 11, 10.5 with volumes 1, 2, 4: flows +22, -42 -> 100 * 22 / 64.
        let tp = [10.0, 11.0, 10.5];
        let out = mfi(&tp, &tp, &tp, &[1.0, 2.0, 4.0], 2).unwrap();
        assert!(out[1].is_nan());
        assert!((out[2] - 100.0 * 22.0 / 64.0).abs() < 1e-12);
    }
}
