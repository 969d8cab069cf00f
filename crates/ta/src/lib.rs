//! optifire-ta: pure numeric kernels (indicators, statistics, filters, risk math).
//!
//! No I/O, no async, no engine types: every function takes slices and returns numbers, so the
//! same code serves the backtester, the live engine and the reference-fixture tests.

pub mod average;
pub mod features;
pub mod filters;
pub mod momentum;
pub mod returns;
pub mod risk;
pub mod signal;
mod simd;
pub mod stats;
pub mod timeseries;
pub mod volatility;
pub mod volume;

pub use average::TaError;
