//! optifire-venues: where orders go and market data comes from, behind core's traits.
//!
//! `sim` is the deterministic simulated exchange that backtest and paper trading use; the
//! Alpaca adapter and file replay live beside it.

#[cfg(feature = "alpaca")]
pub mod alpaca;
pub mod sim;

pub use sim::{SessionInfo, SimConfig, SimError, SimExchange};
