//! Time-series statistics: unit-root and cointegration tests, GARCH(1,1), fractional
//! differencing.
//!
//! Pair and mean-reversion strategies need to know whether a series is stationary, how fast a
//! spread reverts and how volatile returns will be; each routine matches a reference library
//! (statsmodels, arch) or a published algorithm, recorded by tools/reference/ts_fixtures.py.
//!
//! Conventions shared by the module: series are slices, oldest first; failures are
//! [`crate::stats::StatsError`] values, never NaN results: non-finite input (`NonFinite`),
//! too few observations for the regression (`TooShort`), a constant series or a parameter
//! out of range (`InvalidParameter`), collinear regressors (`Singular`). The exceptions are
//! documented where they are: the Engle-Granger statistic is -inf for perfectly collinear
//! pairs (as statsmodels), a half-life is +inf without reversion and NaN for b <= -1, and
//! `Garch11Fit::converged` reports an optimizer that stopped early.

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
