//! optifire-core: the shared vocabulary of OptiFIRE.
//!
//! Domain model, clock, events and bus, configuration, market calendar and scheduler, the
//! embedded store, the plugin contract and its runtime, and market-data input. Everything here
//! is driver-agnostic: backtest, paper and live use exactly these types.

pub mod bus;
pub mod calendar;
pub mod clock;
pub mod config;
pub mod data;
pub mod domain;
pub mod event;
pub mod fixed;
pub mod plugin;
pub mod prefault;
pub mod schedule;
pub mod store;
pub mod time;
pub mod venue;

pub use time::Timestamp;
