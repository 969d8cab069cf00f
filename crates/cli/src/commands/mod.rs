//! One module per subcommand.

pub mod backtest;
pub mod backtest_progress;
pub mod bench;
pub mod calendar;
pub mod config;
pub mod data;
pub mod features;
pub mod plugins;
pub mod run;
mod run_control;
pub mod serve;
pub mod sweep;
pub mod user;
