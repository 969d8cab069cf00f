//! Descriptive statistics and regression used by the risk and feature code.
//!
//! Holds the crate's `StatsError` (shared by returns/, risk/ and filters/), sample moments in
//! the named conventions the formulas need, autocorrelations, the normal distribution and OLS.

pub mod autocorrelation;
pub mod error;
pub mod moments;
pub mod normal;
pub mod ols;

pub use autocorrelation::autocorrelations;
pub use error::StatsError;
pub use moments::{
    excess_kurtosis_unbiased, kurtosis_biased, mean, skewness_biased, skewness_unbiased, std_dev,
    variance,
};
pub use ols::{ols, OlsFit};
