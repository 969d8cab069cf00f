//! Bollinger bands, TA-Lib `BBANDS` with its default SMA middle band: middle = SMA(period),
//! upper/lower = middle ± nbdev * population standard deviation; lookback `period - 1`.
//!
//! The middle band is exactly `SMA` and the deviation exactly `STDDEV` (same arithmetic). Only
//! the SMA middle
//! band (TA-Lib matype 0, its default) is offered. A NaN or infinity makes every window
//! containing it NaN.

use super::stddev::{stddev_unchecked, talib_stddev};
use crate::average::output::CHUNK_SLOTS;
use crate::average::sma::sma_unchecked;
use crate::average::window::Window;
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
    // The batch twin of `Bbands::update`: the middle band is SMA's and the deviation STDDEV's,
    // computed the same way.
    let middle = sma_unchecked(values, period);
    let sd = stddev_unchecked(values, period, 1.0);
    let (mut upper, mut lower) = (Vec::with_capacity(sd.len()), Vec::with_capacity(sd.len()));
    push_bands(
        &middle,
        &sd,
        (nbdev_up, -nbdev_down),
        &mut upper,
        &mut lower,
    );
    Ok(BbandsSeries {
        upper,
        lower,
        middle,
    })
}

/// Appends `middle + k * sd` for both bands' `k`, built for the CPU at hand (`crate::simd`: the
/// same numbers either way). Both bands in one pass over the middle band and the deviation, a
/// chunk at a time so each chunk is read from cache for the second band (a pass per band read
/// both 8 MB vectors twice on 1M bars).
#[multiversion(targets("x86_64+avx2"))]
fn push_bands(
    middle: &[f64],
    sd: &[f64],
    k: (f64, f64),
    upper: &mut Vec<f64>,
    lower: &mut Vec<f64>,
) {
    push_bands_body(middle, sd, k, upper, lower)
}

/// `push_bands` for the build it is inlined into.
#[inline(always)]
fn push_bands_body(
    middle: &[f64],
    sd: &[f64],
    (up, down): (f64, f64),
    upper: &mut Vec<f64>,
    lower: &mut Vec<f64>,
) {
    for (m, s) in middle.chunks(CHUNK_SLOTS).zip(sd.chunks(CHUNK_SLOTS)) {
        upper.extend(m.iter().zip(s).map(|(&m, &s)| m + up * s));
        lower.extend(m.iter().zip(s).map(|(&m, &s)| m + down * s));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instruction_sets_agree_bit_for_bit() {
        for s in crate::simd::real_series() {
            let middle = sma_unchecked(&s.close, 20);
            let sd = stddev_unchecked(&s.close, 20, 1.0);
            let (mut bu, mut bl, mut du, mut dl) = (vec![], vec![], vec![], vec![]);
            push_bands_body(&middle, &sd, (2.0, -1.5), &mut bu, &mut bl);
            push_bands(&middle, &sd, (2.0, -1.5), &mut du, &mut dl);
            crate::simd::assert_bits_eq("BBANDS upper", &bu, &du);
            crate::simd::assert_bits_eq("BBANDS lower", &bl, &dl);
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
