//! On-balance volume, TA-Lib `OBV`: starts at the first bar's volume, then adds the volume on an
//! up close and subtracts it on a down close; lookback 0.
//!
//! Recursive: a NaN or infinity in close or volume makes every later value NaN until `reset`.

use crate::average::{check_lengths, TaError};

/// What a bar adds: its volume on an up close, minus it on a down close, else 0. Adding
/// -volume is exactly TA-Lib's subtraction, and adding 0.0 keeps the value (only a -0.0 total
/// would become +0.0), so the recursion is one addition with the choice made off it.
/// Written as (+1, -1 or 0) * volume so that no branch (mispredicted on half the bars of a real
/// series) decides it; for a finite volume the product is exactly volume, -volume or ±0.
#[inline(always)]
fn step(close: f64, prev: f64, volume: f64) -> f64 {
    let sign = f64::from(u8::from(close > prev)) - f64::from(u8::from(close < prev));
    sign * volume
}

/// Streaming OBV; returns a value from the first bar on.
#[derive(Debug, Clone, Default)]
pub struct Obv {
    prev_close: Option<f64>,
    value: f64,
}

impl Obv {
    /// No parameters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one bar; the running OBV.
    pub fn update(&mut self, close: f64, volume: f64) -> Option<f64> {
        let gap = !(close.is_finite() && volume.is_finite());
        match self.prev_close.replace(if gap { f64::NAN } else { close }) {
            None => self.value = volume,
            Some(prev) => self.value += step(close, prev, volume),
        }
        if gap {
            self.value = f64::NAN;
        }
        Some(self.value)
    }

    /// True once a bar has been seen.
    pub fn is_ready(&self) -> bool {
        self.prev_close.is_some()
    }

    /// Forgets all bars seen.
    pub fn reset(&mut self) {
        *self = Self::default();
    }
}

/// OBV over whole series (equal lengths): same length, no leading NaN.
pub fn obv(close: &[f64], volume: &[f64]) -> Result<Vec<f64>, TaError> {
    let n = check_lengths("OBV", &[("close", close.len()), ("volume", volume.len())])?;
    let mut out = Vec::with_capacity(n);
    if n == 0 {
        return Ok(out);
    }
    // The batch twin of `Obv::update`.
    let gap = |c: f64, v: f64| !(c.is_finite() && v.is_finite());
    let mut prev = if gap(close[0], volume[0]) {
        f64::NAN
    } else {
        close[0]
    };
    let mut value = volume[0];
    if gap(close[0], volume[0]) {
        value = f64::NAN;
    }
    out.push(value);
    // Written into slots rather than pushed, so the running value stays in a register (a
    // push's grow path made the compiler keep it in memory, on the recursion).
    out.resize(n, 0.0);
    for ((o, &c), &v) in out[1..].iter_mut().zip(&close[1..]).zip(&volume[1..]) {
        value += step(c, prev, v);
        let g = gap(c, v);
        if g {
            value = f64::NAN;
        }
        prev = if g { f64::NAN } else { c };
        *o = value;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_on_up_subtracts_on_down() {
        let out = obv(&[10.0, 11.0, 11.0, 9.0], &[100.0, 20.0, 30.0, 50.0]).unwrap();
        assert_eq!(out, vec![100.0, 120.0, 120.0, 70.0]);
        let gap = obv(&[10.0, f64::NAN, 11.0], &[1.0, 1.0, 1.0]).unwrap();
        assert!(gap[1].is_nan() && gap[2].is_nan());
    }
}
