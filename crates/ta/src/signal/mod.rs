//! Signal decomposition and similarity kernels: db4 wavelets and denoising, PCA (batch and
//! incremental), entropy measures, dynamic time warping and isotonic regression.
//!
//! Each kernel reproduces a named reference implementation (PyWavelets, scikit-learn, antropy,
//! dtaidistance) so features computed here match the research notebooks they were designed in.
//! Errors reuse the crate's `StatsError`: empty or too-short input, NaN/inf and bad parameters
//! are refused with a reason, never silently skipped.
//!
//! Edge cases, all tested: empty input is `TooShort` and any NaN/inf is `NonFinite` everywhere.
//! Wavelets: `wavedec`/`wavelet_denoise` need 7 * 2^level values (shorter series, including any
//! shorter than the 8-tap filter, are `TooShort`); single-level `dwt` accepts any length >= 1;
//! a constant series has zero details and denoises to itself. PCA: needs 2 rows; all-constant
//! columns are refused. Entropy: a single value or constant series has Shannon entropy 0 and
//! ApEn 0; SampEn of a constant series (r = 0) is undefined and refused. DTW: a single value
//! on each side gives |a - b|. Isotonic: a single or constant series is returned unchanged.

pub mod denoise;
pub mod dtw;
pub mod entropy;
pub mod incremental_pca;
pub mod isotonic;
pub mod pca;
pub mod wavelet;

pub use denoise::{wavelet_denoise, Denoised};
pub use dtw::dtw_distance;
pub use entropy::{
    approximate_entropy, histogram_counts, sample_entropy, shannon_entropy, EntropyUnit,
};
pub use incremental_pca::IncrementalPca;
pub use isotonic::{isotonic_fit, isotonic_regression};
pub use pca::Pca;
pub use wavelet::{dwt, dwt_max_level, idwt, wavedec, waverec, WaveletCoeffs};

/// Median with numpy's convention (mean of the two middle values for an even count); the
/// caller guarantees a non-empty, finite slice.
pub(crate) fn median_unchecked(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}
