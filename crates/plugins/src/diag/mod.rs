//! Diagnostics plugins: reports on how the system trades, for the dashboard and the store.

pub mod slippage_report;
