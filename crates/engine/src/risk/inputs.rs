//! Everything the risk engine looks at in one cycle, borrowed from the caller.
//!
//! The engine never reads the clock or a store itself: the driver passes `now`, the ledger, the
//! marks and the plugin results, so a backtest and live trading decide from the same inputs.

use optifire_core::calendar::NyseCalendar;
use optifire_core::domain::{EquityHistory, Portfolio, Symbol};
use optifire_core::plugin::PluginOutput;
use optifire_core::Timestamp;
use std::collections::BTreeMap;

/// The latest price of a symbol and when it was observed (for the staleness check).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mark {
    pub price: f64,
    pub ts: Timestamp,
}

/// Trade statistics for the optional Kelly scaling (see `kelly.rs`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KellyInput {
    /// Fraction of closed trades that won, in (0, 1).
    pub win_rate: f64,
    /// Average win divided by average loss (> 0).
    pub payoff: f64,
}

/// The inputs of one risk evaluation.
#[derive(Clone, Copy, Debug)]
pub struct RiskInputs<'a> {
    pub now: Timestamp,
    pub portfolio: &'a Portfolio,
    pub equity: &'a EquityHistory,
    pub marks: &'a BTreeMap<Symbol, Mark>,
    /// Daily simple returns per symbol, oldest first, all ending on the same (latest) day. The
    /// last `var_lookback_days` of them feed the VaR and the beta.
    pub returns: &'a BTreeMap<Symbol, Vec<f64>>,
    /// This cycle's outputs of the risk plugins (multipliers, blocks, flattens).
    pub plugin_outputs: &'a [PluginOutput],
    /// Ids of required risk plugins whose last run failed or is stale.
    pub failed_required: &'a [String],
    pub calendar: &'a NyseCalendar,
    /// PnL of every closed trade, oldest first (append-only), for the losing streak.
    pub closed_trade_pnls: &'a [f64],
    /// Win rate and payoff of the strategy; when given, targets are scaled by `kelly_size`.
    pub kelly: Option<KellyInput>,
}
