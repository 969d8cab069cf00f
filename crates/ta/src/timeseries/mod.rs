//! Time-series statistics: unit-root and cointegration tests, GARCH(1,1), fractional
//! differencing.
//!
//! Pair and mean-reversion strategies need to know whether a series is stationary, how fast a
//! spread reverts and how volatile returns will be; each routine matches a reference library
//! (statsmodels, arch) or a published algorithm, recorded by tools/reference/ts_fixtures.py.

pub mod adf;
pub mod coint;
pub mod fracdiff;
pub mod garch;
pub mod mackinnon;

pub use adf::{adf, AdfOptions, AdfResult, InfoCriterion};
pub use coint::{engle_granger, half_life, CointOptions, CointResult, HalfLife};
pub use fracdiff::{ffd_weights, frac_diff_ffd, min_d_stationary, MinD, MinDRow};
pub use garch::{
    fit_garch11, garch11_log_likelihood, garch_backcast, Garch11, Garch11Fit, GarchMean,
};
pub use mackinnon::{mackinnon_crit, mackinnon_p, CriticalValues, Regression};
