//! Descriptive statistics and regression used by the risk and feature code.
//!
//! Holds the crate's `StatsError` (shared by returns/, risk/ and filters/), sample moments in
//! the named conventions the formulas need, autocorrelations, the normal distribution, OLS, the two-sample KS test, PSI and z-scores.

pub mod autocorrelation;
pub mod error;
pub mod ks_two_sample;
pub mod moments;
pub mod normal;
pub mod ols;
pub mod psi;
pub mod zscore;

pub use autocorrelation::autocorrelations;
pub use error::StatsError;
pub use ks_two_sample::{ks_two_sample, KsTest, KS_EXACT_MAX_N};
pub use moments::{
    excess_kurtosis_unbiased, kurtosis_biased, mean, skewness_biased, skewness_unbiased, std_dev,
    variance,
};
pub use ols::{ols, OlsFit};
pub use psi::{population_stability_index, population_stability_index_of, psi_bin_fractions};
pub use zscore::zscore;
