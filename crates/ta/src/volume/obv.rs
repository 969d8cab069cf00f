//! On-balance volume, TA-Lib `OBV`: starts at the first bar's volume, then adds the volume on an
//! up close and subtracts it on a down close; lookback 0.
//!
//! Recursive: a NaN or infinity in close or volume makes every later value NaN until `reset`.

use crate::average::window::run;
use crate::average::{check_lengths, TaError};

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
            Some(prev) => {
                if close > prev {
                    self.value += volume;
                } else if close < prev {
                    self.value -= volume;
                }
            }
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
    let mut o = Obv::new();
    Ok(run(n, |i| o.update(close[i], volume[i]), |v| v))
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
