//! Kalman filters: local level, local linear trend and dynamic (hedge-ratio) regression.
//!
//! Each has a streaming filter (`update` one observation, for live use) and a batch function
//! that runs the same filter over a slice, so backtest and live produce identical numbers.

mod check;
pub mod dynamic_regression;
pub mod local_level;
pub mod local_trend;

pub use dynamic_regression::{
    dynamic_regression, DynamicRegressionFilter, DynamicRegressionParams, RegressionEstimate,
};
pub use local_level::{local_level, LevelEstimate, LocalLevelFilter, LocalLevelParams};
pub use local_trend::{local_trend, LocalTrendFilter, LocalTrendParams, TrendEstimate};
