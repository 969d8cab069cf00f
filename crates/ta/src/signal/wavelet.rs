//! Daubechies-4 ('db4', 8 taps) discrete wavelet transform, single and multilevel, with
//! PyWavelets' 'symmetric' boundary mode.
//!
//! Splitting a price or return series into scale bands is how the regime and denoising features
//! separate trend from noise; matching `pywt.wavedec`/`pywt.waverec` bit for bit (to roundoff)
//! lets features designed in Python be recomputed live.

use crate::stats::error::{ensure_finite, ensure_len};
use crate::stats::StatsError;

/// Number of taps of the db4 filters.
pub const DB4_LEN: usize = 8;

/// db4 decomposition low-pass filter, copied from PyWavelets 1.9.0 `pywt.Wavelet('db4').dec_lo`
/// (Daubechies, "Ten Lectures on Wavelets", 1992, table 6.1, normalised to unit l2 norm).
pub const DB4_DEC_LO: [f64; DB4_LEN] = [
    -0.010597401785069032,
    0.0328830116668852,
    0.030841381835560764,
    -0.18703481171909309,
    -0.027983769416859854,
    0.6308807679298589,
    0.7148465705529157,
    0.2303778133088965,
];

/// db4 decomposition high-pass filter (`pywt.Wavelet('db4').dec_hi`, the quadrature mirror of
/// `DB4_DEC_LO`: dec_hi[k] = (-1)^(k+1) dec_lo[7-k]).
pub const DB4_DEC_HI: [f64; DB4_LEN] = [
    -0.2303778133088965,
    0.7148465705529157,
    -0.6308807679298589,
    -0.027983769416859854,
    0.18703481171909309,
    0.030841381835560764,
    -0.0328830116668852,
    -0.010597401785069032,
];

/// db4 reconstruction low-pass filter (`pywt.Wavelet('db4').rec_lo`, `DB4_DEC_LO` reversed).
pub const DB4_REC_LO: [f64; DB4_LEN] = [
    0.2303778133088965,
    0.7148465705529157,
    0.6308807679298589,
    -0.027983769416859854,
    -0.18703481171909309,
    0.030841381835560764,
    0.0328830116668852,
    -0.010597401785069032,
];

/// db4 reconstruction high-pass filter (`pywt.Wavelet('db4').rec_hi`, `DB4_DEC_HI` reversed).
pub const DB4_REC_HI: [f64; DB4_LEN] = [
    -0.010597401785069032,
    -0.0328830116668852,
    0.030841381835560764,
    0.18703481171909309,
    -0.027983769416859854,
    -0.6308807679298589,
    0.7148465705529157,
    -0.2303778133088965,
];

/// Multilevel coefficients in PyWavelets' order: `approx` is cA_L, `details[0]` is the coarsest
/// cD_L and the last entry is the finest cD_1 (`pywt.wavedec` returns `[cA_L, cD_L, ..., cD_1]`).
#[derive(Debug, Clone, PartialEq)]
pub struct WaveletCoeffs {
    pub approx: Vec<f64>,
    pub details: Vec<Vec<f64>>,
}

impl WaveletCoeffs {
    /// Decomposition depth L.
    pub fn level(&self) -> usize {
        self.details.len()
    }

    /// Finest detail band cD_1 (the one the noise estimate uses); `None` for level 0.
    pub fn finest_detail(&self) -> Option<&[f64]> {
        self.details.last().map(Vec::as_slice)
    }
}

/// Deepest useful level for `n` samples, `pywt.dwt_max_level(n, 8)` = floor(log2(n / 7)): beyond
/// it every coefficient is dominated by the boundary extension. 0 when n < 14.
pub fn dwt_max_level(n: usize) -> usize {
    let mut level = 0;
    // Level l is useful while n >= 7 * 2^l, i.e. (n / 7) >= 2^l, evaluated in integers.
    while n >> (level + 1) >= DB4_LEN - 1 {
        level += 1;
    }
    level
}

/// Half-sample symmetric extension (`...x1 x0 | x0 x1 ... xn-1 | xn-1 xn-2...`), reflected
/// repeatedly so series shorter than the filter work as in PyWavelets.
fn symmetric_at(x: &[f64], i: isize) -> f64 {
    let n = x.len() as isize;
    let mut i = i;
    loop {
        if i < 0 {
            i = -i - 1;
        } else if i >= n {
            i = 2 * n - 1 - i;
        } else {
            return x[i as usize];
        }
    }
}

/// One level of the db4 DWT (`pywt.dwt(x, 'db4', mode='symmetric')`): returns (cA, cD), each of
/// length floor((n + 7) / 2). Any non-empty finite series works, even one shorter than the
/// filter (it is reflected as often as needed).
pub fn dwt(x: &[f64]) -> Result<(Vec<f64>, Vec<f64>), StatsError> {
    ensure_len(x, 1)?;
    ensure_finite(x)?;
    Ok(dwt_unchecked(x))
}

fn dwt_unchecked(x: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let out_len = (x.len() + DB4_LEN - 1) / 2;
    let mut approx = Vec::with_capacity(out_len);
    let mut detail = Vec::with_capacity(out_len);
    for k in 0..out_len {
        // Output k is the full convolution evaluated at 2k + 1 (PyWavelets' downsampling phase).
        let centre = 2 * k as isize + 1;
        let (mut a, mut d) = (0.0, 0.0);
        for j in 0..DB4_LEN {
            let v = symmetric_at(x, centre - j as isize);
            a += DB4_DEC_LO[j] * v;
            d += DB4_DEC_HI[j] * v;
        }
        approx.push(a);
        detail.push(d);
    }
    (approx, detail)
}

/// One level of the inverse transform (`pywt.idwt(cA, cD, 'db4', mode='symmetric')`): output
/// length 2N - 6 for N coefficients, so N must be at least 4.
pub fn idwt(approx: &[f64], detail: &[f64]) -> Result<Vec<f64>, StatsError> {
    if approx.len() != detail.len() {
        return Err(StatsError::LengthMismatch {
            left: approx.len(),
            right: detail.len(),
        });
    }
    ensure_len(approx, DB4_LEN / 2)?;
    ensure_finite(approx)?;
    ensure_finite(detail)?;
    Ok(idwt_unchecked(approx, detail))
}

fn idwt_unchecked(approx: &[f64], detail: &[f64]) -> Vec<f64> {
    let n = approx.len();
    let out_len = 2 * n + 2 - DB4_LEN;
    (0..out_len)
        .map(|o| {
            // Upsample by two, convolve with the reconstruction filters, keep the 'valid' part
            // that starts at index 6 of the full convolution.
            let t0 = o + DB4_LEN - 2;
            let k_min = (t0 + 2).saturating_sub(DB4_LEN) / 2;
            let k_max = (t0 / 2).min(n - 1);
            (k_min..=k_max)
                .filter(|k| t0 - 2 * k < DB4_LEN)
                .map(|k| {
                    let t = t0 - 2 * k;
                    approx[k] * DB4_REC_LO[t] + detail[k] * DB4_REC_HI[t]
                })
                .sum()
        })
        .collect()
}

/// Multilevel db4 decomposition, `pywt.wavedec(x, 'db4', mode='symmetric', level=level)`.
/// Refuses level 0 and levels above [`dwt_max_level`] (PyWavelets only warns there; such
/// coefficients describe the padding, not the data), so x needs at least 7 * 2^level values.
pub fn wavedec(x: &[f64], level: usize) -> Result<WaveletCoeffs, StatsError> {
    if level == 0 {
        return Err(StatsError::InvalidParameter {
            name: "level",
            reason: "must be at least 1".into(),
        });
    }
    ensure_len(x, (DB4_LEN - 1) << level)?;
    ensure_finite(x)?;
    let mut approx = x.to_vec();
    let mut details = Vec::with_capacity(level);
    for _ in 0..level {
        let (a, d) = dwt_unchecked(&approx);
        approx = a;
        details.push(d);
    }
    details.reverse();
    Ok(WaveletCoeffs { approx, details })
}

/// Multilevel reconstruction, `pywt.waverec(coeffs, 'db4', mode='symmetric')`. Like PyWavelets
/// the result has the next even length above the original when that was odd; slice it to the
/// original length. Between levels an approximation one longer than the next detail band is
/// trimmed, as PyWavelets does.
pub fn waverec(coeffs: &WaveletCoeffs) -> Result<Vec<f64>, StatsError> {
    let mut approx = coeffs.approx.clone();
    ensure_finite(&approx)?;
    for d in &coeffs.details {
        ensure_finite(d)?;
        if approx.len() == d.len() + 1 {
            approx.pop();
        } else if approx.len() != d.len() {
            return Err(StatsError::LengthMismatch {
                left: approx.len(),
                right: d.len(),
            });
        }
        ensure_len(d, DB4_LEN / 2)?;
        approx = idwt_unchecked(&approx, d);
    }
    Ok(approx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_orthonormal_and_mirrored() {
        // Independent properties of any orthogonal Daubechies filter: unit norm, sum sqrt(2),
        // orthogonal to its even shifts, and the QMF/time-reversal relations.
        let norm: f64 = DB4_DEC_LO.iter().map(|h| h * h).sum();
        assert!((norm - 1.0).abs() < 1e-14);
        let sum: f64 = DB4_DEC_LO.iter().sum();
        assert!((sum - std::f64::consts::SQRT_2).abs() < 1e-14);
        for shift in [2, 4, 6] {
            let dot: f64 = (0..DB4_LEN - shift)
                .map(|k| DB4_DEC_LO[k] * DB4_DEC_LO[k + shift])
                .sum();
            assert!(dot.abs() < 1e-14, "shift {shift}: {dot}");
        }
        for k in 0..DB4_LEN {
            let sign = if k % 2 == 0 { -1.0 } else { 1.0 };
            assert_eq!(DB4_DEC_HI[k], sign * DB4_DEC_LO[DB4_LEN - 1 - k]);
            assert_eq!(DB4_REC_LO[k], DB4_DEC_LO[DB4_LEN - 1 - k]);
            assert_eq!(DB4_REC_HI[k], DB4_DEC_HI[DB4_LEN - 1 - k]);
        }
    }

    #[test]
    fn max_level_matches_pywt_formula() {
        // pywt.dwt_max_level(n, 8) = floor(log2(n / 7)).
        for (n, want) in [
            (0, 0),
            (7, 0),
            (13, 0),
            (14, 1),
            (27, 1),
            (28, 2),
            (503, 6),
            (504, 6),
        ] {
            assert_eq!(dwt_max_level(n), want, "n = {n}");
        }
    }

    #[test]
    fn edge_cases() {
        assert!(matches!(dwt(&[]), Err(StatsError::TooShort { .. })));
        assert!(matches!(
            dwt(&[1.0, f64::NAN]),
            Err(StatsError::NonFinite { index: 1 })
        ));
        // A single value reflects to a constant: cA = sqrt(2) x, cD = 0 (to roundoff).
        let (a, d) = dwt(&[3.0]).unwrap();
        assert_eq!(a.len(), 4);
        for (av, dv) in a.iter().zip(&d) {
            assert!((av - 3.0 * std::f64::consts::SQRT_2).abs() < 1e-14);
            assert!(dv.abs() < 1e-14);
        }
        assert!(matches!(
            wavedec(&[1.0; 13], 1),
            Err(StatsError::TooShort { needed: 14, .. })
        ));
        assert!(wavedec(&[1.0; 14], 1).is_ok());
        assert!(matches!(
            wavedec(&[1.0; 100], 0),
            Err(StatsError::InvalidParameter { .. })
        ));
        assert!(matches!(
            idwt(&[1.0; 3], &[1.0; 3]),
            Err(StatsError::TooShort { .. })
        ));
        assert!(matches!(
            idwt(&[1.0; 4], &[1.0; 5]),
            Err(StatsError::LengthMismatch { .. })
        ));
    }

    #[test]
    fn constant_series_round_trips_with_zero_details() {
        let x = vec![2.5; 40];
        let c = wavedec(&x, 2).unwrap();
        for d in &c.details {
            assert!(d.iter().all(|v| v.abs() < 1e-13));
        }
        let r = waverec(&c).unwrap();
        assert_eq!(r.len(), 40);
        assert!(r.iter().all(|v| (v - 2.5).abs() < 1e-13));
    }
}
