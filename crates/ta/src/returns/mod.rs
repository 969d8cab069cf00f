//! Returns and their rolling and exponentially weighted statistics.
//!
//! Batch form everywhere: slice in, Vec of the same length out, NaN until a window is full and
//! for any window holding a NaN (pandas semantics), so outputs align with the input bars.
//! Edge cases: empty input gives an empty Vec; a window longer than the input gives all NaN;
//! window 0 (or 1 for a dispersion) is an `InvalidWindow` error; a constant window gives
//! std/vol 0 and correlation, beta and z-score NaN; one value gives NaN (or itself for a mean
//! of window 1). The EWM functions follow pandas, including its NaN handling.

pub mod correlation_matrix;
pub mod ewm;
pub mod realized_vol;
pub mod rolling;
pub mod rolling_pair;
pub mod simple;
mod window;

pub use correlation_matrix::correlation_matrix;
pub use ewm::{ewm_corr, ewm_cov, ewm_mean, ewm_std, ewm_var, EwmCov, EwmMean, EwmSpec};
pub use realized_vol::{realized_volatility, TRADING_DAYS_PER_YEAR};
pub use rolling::{rolling_mean, rolling_std, rolling_zscore};
pub use rolling_pair::{rolling_beta, rolling_correlation, rolling_covariance};
pub use simple::{log_returns, simple_returns};
