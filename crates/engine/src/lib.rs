//! optifire-engine: the trading cycle, risk engine, executor and drivers.
//!
//! One engine serves backtest, paper and live: the drivers feed it time and data, it runs the
//! plugins, passes their targets through the fail-closed risk engine and hands orders to a venue.

pub mod backtest;
pub mod combiner;
pub mod cycle;
pub mod drivers;
pub mod exec;
pub mod reconcile;
pub mod risk;
