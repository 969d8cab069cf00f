//! A strategy that asks for orders directly (a share count) instead of target weights.
//!
//! Reference strategies (the SMA cross that cross-checks the backtester against an independent
//! replay) trade fixed share counts, which weights cannot express exactly. They run inside the
//! same cycle as plugins, against the same point-in-time `Context`, and their orders go through
//! the same shapers, executor and broker: only the combiner and the weight-based risk sizing are
//! bypassed, and the cycle says so in its report.

use optifire_core::domain::{Quantity, Side, Symbol};
use optifire_core::plugin::{Context, PluginError};

/// One order a strategy wants sent now, as a market order for the day.
#[derive(Clone, Debug, PartialEq)]
pub struct OrderIntent {
    pub symbol: Symbol,
    pub side: Side,
    /// Positive.
    pub qty: Quantity,
    /// Why, for the cycle report.
    pub reason: String,
}

/// A strategy run once per cycle after the plugins.
pub trait Strategy: Send {
    fn id(&self) -> &str;
    fn decide(&mut self, ctx: &Context<'_>) -> Result<Vec<OrderIntent>, PluginError>;
}
