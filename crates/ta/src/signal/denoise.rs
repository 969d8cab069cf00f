//! Wavelet denoising: soft-threshold the db4 detail bands with the universal threshold.
//!
//! Used to smooth price/return series for regime and trend features without the lag of a moving
//! average. The recipe is the usual PyWavelets one (Donoho & Johnstone 1994, "Ideal spatial
//! adaptation by wavelet shrinkage"), written out in tools/reference/signal_fixtures.py.

use super::median_unchecked;
use super::wavelet::{wavedec, waverec};
use crate::stats::StatsError;

/// Scale of the noise estimate: MAD / 0.6745 estimates a Gaussian sigma (0.6745 is the
/// standard normal's 75 % quantile, rounded as in the PyWavelets recipe).
pub const MAD_TO_SIGMA: f64 = 0.6745;

/// A denoised series with the numbers that produced it, so a caller can report them.
#[derive(Debug, Clone, PartialEq)]
pub struct Denoised {
    /// The reconstruction, cut to the input's length.
    pub signal: Vec<f64>,
    /// Noise scale sigma = median(|cD_1|) / 0.6745.
    pub sigma: f64,
    /// Universal threshold sigma * sqrt(2 ln n), n = input length.
    pub threshold: f64,
}

/// Denoises `x`:
/// `c = wavedec(x, 'db4', 'symmetric', level)`, sigma = median(|cD_1|) / 0.6745,
/// t = sigma sqrt(2 ln n), every detail band (not the approximation) soft-thresholded
/// (`pywt.threshold(d, t, 'soft')` = sign(d) max(|d| - t, 0)), then
/// `waverec(c)[:n]`. A constant series has sigma = 0 and comes back unchanged (to roundoff).
/// Errors as [`wavedec`]: x needs at least 7 * 2^level finite values.
pub fn wavelet_denoise(x: &[f64], level: usize) -> Result<Denoised, StatsError> {
    let mut coeffs = wavedec(x, level)?;
    let finest = coeffs.finest_detail().unwrap_or(&[]);
    let abs: Vec<f64> = finest.iter().map(|d| d.abs()).collect();
    let sigma = median_unchecked(&abs) / MAD_TO_SIGMA;
    let threshold = sigma * (2.0 * (x.len() as f64).ln()).sqrt();
    for band in &mut coeffs.details {
        for d in band.iter_mut() {
            *d = soft_threshold(*d, threshold);
        }
    }
    let mut signal = waverec(&coeffs)?;
    signal.truncate(x.len());
    Ok(Denoised {
        signal,
        sigma,
        threshold,
    })
}

/// sign(d) * max(|d| - t, 0), PyWavelets' 'soft' mode.
fn soft_threshold(d: f64, t: f64) -> f64 {
    let shrunk = d.abs() - t;
    if shrunk > 0.0 {
        shrunk.copysign(d)
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soft_threshold_shrinks_towards_zero() {
        assert_eq!(soft_threshold(3.0, 1.0), 2.0);
        assert_eq!(soft_threshold(-3.0, 1.0), -2.0);
        assert_eq!(soft_threshold(0.5, 1.0), 0.0);
        assert_eq!(soft_threshold(-1.0, 1.0), 0.0);
        assert_eq!(soft_threshold(2.0, 0.0), 2.0);
    }

    #[test]
    fn edge_cases() {
        assert!(matches!(
            wavelet_denoise(&[], 1),
            Err(StatsError::TooShort { .. })
        ));
        assert!(matches!(
            wavelet_denoise(&[1.0; 10], 1),
            Err(StatsError::TooShort { needed: 14, .. })
        ));
        let mut x = vec![1.0; 30];
        x[4] = f64::INFINITY;
        assert!(matches!(
            wavelet_denoise(&x, 1),
            Err(StatsError::NonFinite { index: 4 })
        ));
        let c = wavelet_denoise(&[7.0; 31], 2).unwrap();
        assert_eq!(c.signal.len(), 31);
        assert!(c.sigma.abs() < 1e-13);
        assert!(c.signal.iter().all(|v| (v - 7.0).abs() < 1e-12));
    }
}
