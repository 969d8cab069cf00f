//! Bollinger bands, TA-Lib `BBANDS` with its default SMA middle band: middle = SMA(period),
//! upper/lower = middle ± nbdev * population standard deviation; lookback `period - 1`.
//!
//! The middle band is exactly `SMA` and the deviation exactly `STDDEV` (same arithmetic). Only
//! the SMA middle
//! band (TA-Lib matype 0, its default) is offered. A NaN or infinity makes every window
//! containing it NaN.

use super::stddev::talib_stddev;
use crate::average::output::{with_lookback, CHUNK_SLOTS};
use crate::average::window::{ShiftedSums, Window, MEAN, VARIANCE};
use crate::average::{check_finite, check_period, TaError};
use multiversion::multiversion;

/// One reading of the bands.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BbandsOutput {
    /// middle + nbdev_up * sd.
    pub upper: f64,
    /// SMA.
    pub middle: f64,
    /// middle - nbdev_down * sd.
    pub lower: f64,
}

/// BBANDS over a whole series; each vector has the input's length.
#[derive(Debug, Clone, PartialEq)]
pub struct BbandsSeries {
    /// Upper band.
    pub upper: Vec<f64>,
    /// Middle band (SMA).
    pub middle: Vec<f64>,
    /// Lower band.
    pub lower: Vec<f64>,
}

/// Streaming BBANDS; `update` returns `None` until `period` values have been seen.
#[derive(Debug, Clone)]
pub struct Bbands {
    nbdev_up: f64,
    nbdev_down: f64,
    /// Two windows of the same values, so the middle band reads its sums exactly as SMA does
    /// and the deviation exactly as STDDEV does (each recomputes on its own schedule).
    window: Window,
    deviation: Window,
}

impl Bbands {
    /// `period` at least 2, deviations finite (TA-Lib's ranges; its defaults are 5, 2.0, 2.0).
    pub fn new(period: usize, nbdev_up: f64, nbdev_down: f64) -> Result<Self, TaError> {
        check_period("BBANDS", "period", period, 2)?;
        check_finite("BBANDS", "nbdev_up", nbdev_up)?;
        check_finite("BBANDS", "nbdev_down", nbdev_down)?;
        Ok(Self {
            nbdev_up,
            nbdev_down,
            window: Window::new(period),
            deviation: Window::new(period),
        })
    }

    /// Feeds one value; the three bands once the window is full.
    pub fn update(&mut self, value: f64) -> Option<BbandsOutput> {
        self.window.push(value);
        self.deviation.push(value);
        if !self.window.is_full() {
            return None;
        }
        if self.window.has_gap() {
            return Some(BbandsOutput {
                upper: f64::NAN,
                middle: f64::NAN,
                lower: f64::NAN,
            });
        }
        let sd = talib_stddev(self.deviation.variance());
        let middle = self.window.mean();
        Some(BbandsOutput {
            upper: middle + self.nbdev_up * sd,
            middle,
            lower: middle - self.nbdev_down * sd,
        })
    }

    /// True once `update` returns values.
    pub fn is_ready(&self) -> bool {
        self.window.is_full()
    }

    /// Forgets all values seen.
    pub fn reset(&mut self) {
        self.window.clear();
        self.deviation.clear();
    }
}

/// BBANDS over a whole series: each output has the input's length, the first `period - 1`
/// entries NaN.
pub fn bbands(
    values: &[f64],
    period: usize,
    nbdev_up: f64,
    nbdev_down: f64,
) -> Result<BbandsSeries, TaError> {
    check_period("BBANDS", "period", period, 2)?;
    check_finite("BBANDS", "nbdev_up", nbdev_up)?;
    check_finite("BBANDS", "nbdev_down", nbdev_down)?;
    Ok(bands_with(
        values,
        period,
        (nbdev_up, -nbdev_down),
        bands_chunk,
    ))
}

/// A chunk of windows free of gaps (`bands_chunk_body`'s signature).
type ChunkFn = fn(&mut Sums, &[f64], usize, &mut [f64], &mut [f64], &mut [f64], (f64, f64)) -> bool;

/// The window sums of the middle band and of the deviation (two, as in `Bbands`).
#[derive(Debug, Clone, Copy)]
struct Sums {
    mean: ShiftedSums,
    variance: ShiftedSums,
}

/// The batch twin of `Bbands::update`: the middle band is SMA's and the deviation STDDEV's,
/// the same window sums read in the same order (`window_map`'s chunks and gap handling, for
/// both sums at once), then `middle + k * sd` for both bands' `k`. A chunk at a time: the
/// mean, the variances and both bands of a chunk while it is in cache, each output written
/// once (an SMA pass, a STDDEV pass and a bands pass wrote and read back two more 8 MB vectors
/// on 1M bars). `chunk_fn` runs a chunk free of gaps: `bands_chunk`, or in the test of the
/// builds the baseline body.
#[inline(always)]
fn bands_with(values: &[f64], period: usize, k: (f64, f64), chunk_fn: ChunkFn) -> BbandsSeries {
    let n = values.len();
    let len = period;
    let upper = with_lookback(n, len - 1);
    let middle = with_lookback(n, len - 1);
    let lower = with_lookback(n, len - 1);
    let series = |upper: Vec<f64>, middle: Vec<f64>, lower: Vec<f64>| BbandsSeries {
        upper,
        middle,
        lower,
    };
    if n < len {
        return series(upper, middle, lower);
    }
    let push = |out: &mut (Vec<f64>, Vec<f64>, Vec<f64>), m: f64, sd: f64| {
        out.0.push(m + k.0 * sd);
        out.1.push(m);
        out.2.push(m + k.1 * sd);
    };
    let mut out = (upper, middle, lower);
    let mut sums = Sums {
        mean: ShiftedSums::new(len),
        variance: ShiftedSums::new(len),
    };
    // The window ending at `i` is free of gaps once `i >= clean_from`.
    let mut clean_from = 0;
    for (i, x) in values[..len].iter().enumerate() {
        if !x.is_finite() {
            clean_from = i + len;
        }
    }
    let first = &values[..len];
    if len - 1 < clean_from {
        push(&mut out, f64::NAN, f64::NAN);
    } else {
        let m = sums.mean.mean(first);
        push(&mut out, m, talib_stddev(sums.variance.variance(first)));
    }
    let mut start = len;
    while start < n {
        let end = (start + CHUNK_SLOTS).min(n);
        let kept = sums;
        let span = &values[start - len..end];
        // Zeroing the chunk's slots first brings them into cache for the writes that follow.
        out.0.resize(end, 0.0);
        out.1.resize(end, 0.0);
        out.2.resize(end, 0.0);
        let (u, m, l) = (
            &mut out.0[start..],
            &mut out.1[start..],
            &mut out.2[start..],
        );
        if start >= clean_from && chunk_fn(&mut sums, span, len, u, m, l, k) {
            start = end;
            continue;
        }
        sums = kept;
        out.0.truncate(start);
        out.1.truncate(start);
        out.2.truncate(start);
        for i in start..end {
            let (x, old) = (values[i], values[i - len]);
            sums.mean.slide::<false, true>(x, old);
            sums.variance.slide::<true, true>(x, old);
            if !x.is_finite() {
                clean_from = i + len;
            }
            if i < clean_from {
                push(&mut out, f64::NAN, f64::NAN);
            } else {
                let w = &values[i + 1 - len..=i];
                let m = sums.mean.mean(w);
                push(&mut out, m, talib_stddev(sums.variance.variance(w)));
            }
        }
        start = end;
    }
    series(out.0, out.1, out.2)
}

/// `bands_chunk_body` built for the CPU at hand (`crate::simd`): the same numbers either way.
#[multiversion(targets("x86_64+avx2"))]
fn bands_chunk(
    sums: &mut Sums,
    span: &[f64],
    len: usize,
    upper: &mut [f64],
    middle: &mut [f64],
    lower: &mut [f64],
    k: (f64, f64),
) -> bool {
    bands_chunk_body(sums, span, len, upper, middle, lower, k)
}

/// A chunk of windows free of gaps: the running means (`ShiftedSums::run`, as SMA) into the
/// middle band, the running variances (as STDDEV) into a buffer in cache, then both bands in a
/// loop that vectorises (the square roots). False, with the sums to be restored, if a value
/// that entered was not finite.
#[inline(always)]
fn bands_chunk_body(
    sums: &mut Sums,
    span: &[f64],
    len: usize,
    upper: &mut [f64],
    middle: &mut [f64],
    lower: &mut [f64],
    (up, down): (f64, f64),
) -> bool {
    let m = middle.len();
    let mut variances = [0.0; CHUNK_SLOTS];
    let variances = &mut variances[..m];
    if !sums.mean.run::<MEAN>(span, len, middle)
        || !sums.variance.run::<VARIANCE>(span, len, variances)
    {
        return false;
    }
    let bands = upper[..m].iter_mut().zip(&mut lower[..m]);
    for ((u, l), (&mid, &var)) in bands.zip(middle.iter().zip(variances.iter())) {
        let sd = talib_stddev(var);
        *u = mid + up * sd;
        *l = mid + down * sd;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instruction_sets_agree_bit_for_bit() {
        for s in crate::simd::real_series() {
            for period in [2, 20, 200] {
                let base = bands_with(&s.close, period, (2.0, -1.5), bands_chunk_body);
                let dispatched = bands_with(&s.close, period, (2.0, -1.5), bands_chunk);
                crate::simd::assert_bits_eq("BBANDS upper", &base.upper, &dispatched.upper);
                crate::simd::assert_bits_eq("BBANDS middle", &base.middle, &dispatched.middle);
                crate::simd::assert_bits_eq("BBANDS lower", &base.lower, &dispatched.lower);
            }
        }
    }

    #[test]
    fn bands_around_sma() {
        // 1, 3: mean 2, population sd 1 -> 2 ± 2 (up) and 2 - 1 (down, nbdev 1).
        let out = bbands(&[1.0, 3.0], 2, 2.0, 1.0).unwrap();
        assert!(out.middle[0].is_nan());
        assert_eq!((out.upper[1], out.middle[1], out.lower[1]), (4.0, 2.0, 1.0));
    }
}
