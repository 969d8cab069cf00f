//! Average directional index, TA-Lib `ADX`: Wilder's trend-strength measure; lookback
//! `2 * period - 1`.
//!
//! Seeding as TA-Lib: +DM, -DM and TR are summed over the first `period - 1` bar pairs, then
//! Wilder-smoothed (x * ((period - 1) / period) + new); DX is averaged over the next `period`
//! bars for the first ADX, then ADX = ADX * ((period - 1) / period) + DX * (1 / period). TA-Lib
//! divides by `period` inside each recursion (x - x / period, (ADX * (period - 1) + DX) /
//! period); taking the divisions out of the dependency chains changes only rounding. DX is
//! 100 * |+DM - -DM| / (+DM + -DM), TA-Lib's |+DI - -DI| / (+DI + -DI) with the common factor
//! 100 / TR cancelled (one division instead of three). Where TR or +DM + -DM is 0, TA-Lib skips
//! that bar's DX (the ADX is carried unchanged); so does this. Recursive: a NaN or infinity
//! makes every later value NaN until `reset`.

use crate::average::output::{with_lookback, CHUNK_SLOTS};
use crate::average::wilder::Wilder;
use crate::average::{check_lengths, check_period, TaError};
use crate::volatility::trange::talib_true_range;
use multiversion::multiversion;

/// TA-Lib's directional movements of a bar pair: (+DM, -DM), at most one of them non-zero.
#[inline(always)]
fn directional_movement(high: f64, low: f64, prev_high: f64, prev_low: f64) -> (f64, f64) {
    let diff_p = high - prev_high;
    let diff_m = prev_low - low;
    if diff_m > 0.0 && diff_p < diff_m {
        (0.0, diff_m)
    } else if diff_p > 0.0 && diff_p > diff_m {
        (diff_p, 0.0)
    } else {
        (0.0, 0.0)
    }
}

/// DX from the smoothed movements and range; `None` where TA-Lib skips the bar.
#[inline(always)]
fn dx(plus_dm: f64, minus_dm: f64, tr: f64) -> Option<f64> {
    let sum = minus_dm + plus_dm;
    (tr != 0.0 && sum != 0.0).then(|| 100.0 * ((minus_dm - plus_dm).abs() / sum))
}

/// Streaming ADX; `update` returns `None` until `2 * period` bars have been seen.
#[derive(Debug, Clone)]
pub struct Adx {
    period: usize,
    bars: usize,
    prev: Option<(f64, f64, f64)>,
    plus_dm: f64,
    minus_dm: f64,
    tr: f64,
    sum_dx: f64,
    adx: f64,
    poisoned: bool,
    wilder: Wilder,
}

impl Adx {
    /// `period` must be at least 2 (TA-Lib's range; its default is 14).
    pub fn new(period: usize) -> Result<Self, TaError> {
        check_period("ADX", "period", period, 2)?;
        Ok(Self {
            period,
            bars: 0,
            prev: None,
            plus_dm: 0.0,
            minus_dm: 0.0,
            tr: 0.0,
            sum_dx: 0.0,
            adx: 0.0,
            poisoned: false,
            wilder: Wilder::new(period),
        })
    }

    /// Feeds one bar; the ADX once `2 * period` bars have been seen.
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> Option<f64> {
        if !(high.is_finite() && low.is_finite() && close.is_finite()) {
            self.poisoned = true;
        }
        self.bars += 1;
        let (prev_high, prev_low, prev_close) = self.prev.replace((high, low, close))?;
        let (plus, minus) = directional_movement(high, low, prev_high, prev_low);
        let tr = talib_true_range(high, low, prev_close);
        // Bar pairs seen so far, counting this one: 1 ..
        let pair = self.bars - 1;
        if pair < self.period {
            self.plus_dm += plus;
            self.minus_dm += minus;
            self.tr += tr;
            return None;
        }
        self.plus_dm = self.plus_dm * self.wilder.keep + plus;
        self.minus_dm = self.minus_dm * self.wilder.keep + minus;
        self.tr = self.tr * self.wilder.keep + tr;
        let dx = dx(self.plus_dm, self.minus_dm, self.tr);
        let last_seed_pair = 2 * self.period - 1;
        if pair < last_seed_pair {
            self.sum_dx += dx.unwrap_or(0.0);
            return None;
        }
        if pair == last_seed_pair {
            self.sum_dx += dx.unwrap_or(0.0);
            self.adx = self.sum_dx / self.period as f64;
        } else if let Some(dx) = dx {
            self.adx = self.wilder.step(self.adx, dx);
        }
        Some(if self.poisoned { f64::NAN } else { self.adx })
    }

    /// True once `update` returns values.
    pub fn is_ready(&self) -> bool {
        self.bars >= 2 * self.period
    }

    /// Forgets all bars seen.
    pub fn reset(&mut self) {
        if let Ok(fresh) = Self::new(self.period) {
            *self = fresh;
        }
    }
}

/// ADX over whole series (equal lengths): same length as the inputs, the first
/// `2 * period - 1` entries NaN.
pub fn adx(high: &[f64], low: &[f64], close: &[f64], period: usize) -> Result<Vec<f64>, TaError> {
    check_lengths(
        "ADX",
        &[
            ("high", high.len()),
            ("low", low.len()),
            ("close", close.len()),
        ],
    )?;
    check_period("ADX", "period", period, 2)?;
    Ok(adx_with(Bars { high, low, close }, period, adx_chunk))
}

/// A chunk after the seed (`adx_chunk_body`'s signature).
type ChunkFn = fn(&Wilder, &mut Smoothed, Bars<'_>, &mut Moves, &mut [f64]) -> bool;

/// `adx` (checked inputs) with the chunk loop given: `adx_chunk`, or in the test of the builds
/// the baseline body.
#[inline(always)]
fn adx_with(Bars { high, low, close }: Bars<'_>, period: usize, chunk_fn: ChunkFn) -> Vec<f64> {
    let n = close.len();
    let lookback = 2 * period - 1;
    let mut out = with_lookback(n, lookback);
    if n <= lookback {
        return out;
    }
    // The batch twin of `Adx::update`: the same seeds and steps. The seed phases (2 * period
    // bars) run as plain loops; the rest in chunks (`adx_chunk`).
    let wilder = Wilder::new(period);
    let bar = |i: usize| {
        let (plus, minus) = directional_movement(high[i], low[i], high[i - 1], low[i - 1]);
        (plus, minus, talib_true_range(high[i], low[i], close[i - 1]))
    };
    let mut s = Smoothed::default();
    for i in 1..period {
        let (p, m, t) = bar(i);
        s.plus += p;
        s.minus += m;
        s.tr += t;
    }
    let mut sum_dx = 0.0;
    for i in period..=lookback {
        let (p, m, t) = bar(i);
        s.plus = s.plus * wilder.keep + p;
        s.minus = s.minus * wilder.keep + m;
        s.tr = s.tr * wilder.keep + t;
        sum_dx += dx(s.plus, s.minus, s.tr).unwrap_or(0.0);
    }
    s.adx = sum_dx / period as f64;
    out.push(s.adx);
    // A NaN or infinity anywhere so far poisons every later value (as in `Adx::update`).
    let mut seed_bars = high[..=lookback]
        .iter()
        .zip(&low[..=lookback])
        .zip(&close[..=lookback]);
    let mut first_bad =
        seed_bars.position(|((h, l), c)| !(h.is_finite() && l.is_finite() && c.is_finite()));
    let mut moves = Moves::default();
    let mut start = lookback + 1;
    while start < n {
        let end = (start + CHUNK_SLOTS).min(n);
        // Zeroing the chunk's slots brings them into cache for the writes that follow.
        out.resize(end, 0.0);
        let bars = Bars {
            high: &high[start - 1..end],
            low: &low[start - 1..end],
            close: &close[start - 1..end],
        };
        let finite = chunk_fn(&wilder, &mut s, bars, &mut moves, &mut out[start..end]);
        if !finite && first_bad.is_none() {
            first_bad = (start..end)
                .find(|&i| !(high[i].is_finite() && low[i].is_finite() && close[i].is_finite()));
        }
        start = end;
    }
    if let Some(bad) = first_bad {
        for v in &mut out[lookback.max(bad)..] {
            *v = f64::NAN;
        }
    }
    out
}

/// The running values of the batch form: smoothed +DM, -DM and TR, and the ADX.
#[derive(Debug, Clone, Copy, Default)]
struct Smoothed {
    plus: f64,
    minus: f64,
    tr: f64,
    adx: f64,
}

/// One chunk of bars, each slice one longer than the chunk: the bar before it first.
#[derive(Debug, Clone, Copy)]
struct Bars<'a> {
    high: &'a [f64],
    low: &'a [f64],
    close: &'a [f64],
}

/// Per-bar scratch of `adx_chunk`: +DM, -DM and TR of each bar of a chunk.
#[derive(Debug)]
struct Moves {
    plus: [f64; CHUNK_SLOTS],
    minus: [f64; CHUNK_SLOTS],
    tr: [f64; CHUNK_SLOTS],
}

impl Default for Moves {
    fn default() -> Self {
        Self {
            plus: [0.0; CHUNK_SLOTS],
            minus: [0.0; CHUNK_SLOTS],
            tr: [0.0; CHUNK_SLOTS],
        }
    }
}

/// The ADX of one chunk of bars after the seed, written to `out` (as long as the chunk), from
/// the running values `s`; returns whether every bar of the chunk was finite.
///
/// First the bars' movements and true ranges in a loop of selects without a branch (the
/// direction of a bar is a coin flip on real prices: as branches, mispredicted on about every
/// other bar), which vectorises; then the recursions in a loop of their own, where a bar whose
/// DX TA-Lib skips becomes ADX * 1.0 + 0.0, exactly the ADX carried unchanged, so no branch
/// either. The same operations on the same values as `Adx::update`, so the same numbers. Kept
/// out of line (built for the CPU at hand, `crate::simd`: the same numbers either way) and
/// free of calls, so the running values stay in registers.
#[multiversion(targets("x86_64+avx2"))]
fn adx_chunk<'a>(
    w: &Wilder,
    s: &mut Smoothed,
    bars: Bars<'a>,
    m: &mut Moves,
    out: &mut [f64],
) -> bool {
    adx_chunk_body(w, s, bars, m, out)
}

/// `adx_chunk` for the build it is inlined into.
#[inline(always)]
fn adx_chunk_body(
    w: &Wilder,
    s: &mut Smoothed,
    bars: Bars<'_>,
    m: &mut Moves,
    out: &mut [f64],
) -> bool {
    let len = out.len();
    let mut finite = true;
    let cur = bars.high[1..]
        .iter()
        .zip(&bars.low[1..])
        .zip(&bars.close[1..]);
    let prev = bars.high.iter().zip(bars.low).zip(bars.close);
    let slots = m.plus[..len]
        .iter_mut()
        .zip(&mut m.minus[..len])
        .zip(&mut m.tr[..len]);
    for (((p, q), t), (((&h, &l), &c), ((&ph, &pl), &pc))) in slots.zip(cur.zip(prev)) {
        finite &= h.abs() <= f64::MAX && l.abs() <= f64::MAX && c.abs() <= f64::MAX;
        let diff_p = h - ph;
        let diff_m = pl - l;
        // `directional_movement` as selects: the two conditions exclude each other.
        *p = if diff_p > 0.0 && diff_p > diff_m {
            diff_p
        } else {
            0.0
        };
        *q = if diff_m > 0.0 && diff_p < diff_m {
            diff_m
        } else {
            0.0
        };
        *t = talib_true_range(h, l, pc);
    }
    let mut v = *s;
    let moves = m.plus[..len].iter().zip(&m.minus[..len]).zip(&m.tr[..len]);
    for (o, ((&p, &q), &t)) in out.iter_mut().zip(moves) {
        v.plus = v.plus * w.keep + p;
        v.minus = v.minus * w.keep + q;
        v.tr = v.tr * w.keep + t;
        let sum = v.minus + v.plus;
        let dx = 100.0 * ((v.minus - v.plus).abs() / sum);
        let counts = v.tr != 0.0 && sum != 0.0;
        let keep = if counts { w.keep } else { 1.0 };
        let new = if counts { dx * w.take } else { 0.0 };
        v.adx = v.adx * keep + new;
        *o = v.adx;
    }
    *s = v;
    finite
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instruction_sets_agree_bit_for_bit() {
        for s in crate::simd::real_series() {
            let bars = Bars {
                high: &s.high,
                low: &s.low,
                close: &s.close,
            };
            for period in [2, 14, 30] {
                let base = adx_with(bars, period, adx_chunk_body);
                let dispatched = adx_with(bars, period, adx_chunk);
                crate::simd::assert_bits_eq("ADX", &base, &dispatched);
            }
        }
    }

    #[test]
    fn lookback_and_pure_uptrend() {
        // Every bar higher by 1 with range 1: -DM = 0, so DX = 100 throughout and ADX = 100.
        let high: Vec<f64> = (0..10).map(|i| i as f64 + 1.0).collect();
        let low: Vec<f64> = (0..10).map(|i| i as f64).collect();
        let close = high.clone();
        let out = adx(&high, &low, &close, 3).unwrap();
        assert!(out[..5].iter().all(|v| v.is_nan()));
        assert!(
            out[5..].iter().all(|&v| (v - 100.0).abs() < 1e-12),
            "{out:?}"
        );
    }

    #[test]
    fn refuses_mismatched_lengths() {
        assert!(matches!(
            adx(&[1.0, 2.0], &[1.0], &[1.0, 2.0], 2),
            Err(TaError::LengthMismatch { .. })
        ));
    }
}
