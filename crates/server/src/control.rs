//! The server's handle on a running engine: place a manual order through the risk engine,
//! cancel an order, run a plugin now, and lift the two gates only a person may lift (the
//! reconciliation halt and the losing-streak pause).
//!
//! The server defines the trait and the engine side implements it (`optifire run` attaches one
//! with `AppState::attach_engine`), so the server crate needs no engine internals. Without one
//! (`optifire serve` over an existing store) these routes answer 409.

use optifire_core::domain::{
    ClientOrderId, OrderStatus, OrderType, Quantity, Side, Symbol, TimeInForce,
};
use optifire_core::event::PluginRunRecord;
use optifire_core::Timestamp;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A manual order as the user asked for it. The engine gives it a client order id, runs it
/// through the risk engine (same limits as any other order) and journals it before sending.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManualOrder {
    /// Upper-cased, trimmed by the server before the engine sees it.
    pub symbol: Symbol,
    pub side: Side,
    /// Positive; the side gives the direction.
    pub qty: Quantity,
    /// `{"type": "market"}` (default) or `{"type": "limit", "limit": "101.5"}`, ...
    #[serde(default = "market")]
    pub order_type: OrderType,
    #[serde(default = "day")]
    pub tif: TimeInForce,
}

fn market() -> OrderType {
    OrderType::Market
}

fn day() -> TimeInForce {
    TimeInForce::Day
}

/// What the engine did with a placed or cancelled order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderAck {
    pub client_order_id: ClientOrderId,
    pub status: OrderStatus,
    /// Anything the user should read (a clipped quantity, a pending cancel).
    pub message: Option<String>,
}

/// The reconciliation halt in force: new risk stops until a person acknowledges it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HaltInfo {
    pub since: Timestamp,
    /// What reconciliation found that it could not explain.
    pub reason: String,
}

/// The risk gates of a running engine that stay closed until an operator lifts them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EngineGates {
    /// The engine's present (replay time in a replay); `None` before its first cycle.
    pub now: Option<Timestamp>,
    pub halt: Option<HaltInfo>,
    /// Losing trades in a row since the last reset.
    pub losing_streak: u32,
    /// At this streak new risk pauses until a winning trade or an operator's reset.
    pub max_losing_streak: u32,
}

impl EngineGates {
    pub fn streak_paused(&self) -> bool {
        self.losing_streak >= self.max_losing_streak
    }
}

/// Why the engine did not do what was asked. Each maps to one HTTP status.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum ControlError {
    /// The risk engine refused the order: which rule, and why (shown to the user as is).
    #[error("refused by risk rule {rule}: {reason}")]
    Refused { rule: String, reason: String },
    /// No such order or plugin.
    #[error("not found: {what}")]
    NotFound { what: String },
    /// The request cannot be carried out as asked (an order already filled, a plugin that is
    /// not implemented, a symbol the venue does not trade).
    #[error("{reason}")]
    Invalid { reason: String },
    /// The engine cannot act now (stopping, halted by reconciliation, broker unreachable).
    #[error("engine unavailable: {reason}")]
    Unavailable { reason: String },
}

/// Implemented by the engine's control handle. Methods may block (they wait for the engine's
/// cycle to take the request); the server calls them from a blocking thread, never on the
/// async executor. Every refusal carries its reason.
pub trait EngineControl: Send + Sync + fmt::Debug {
    /// Places a manual order through the risk engine and the executor.
    fn place_order(&self, order: ManualOrder) -> Result<OrderAck, ControlError>;
    /// Requests cancellation of an open order by client order id.
    fn cancel_order(&self, client_order_id: &ClientOrderId) -> Result<OrderAck, ControlError>;
    /// Runs one plugin now, outside its schedule, and returns the run as the runtime measured it.
    fn run_plugin(&self, plugin_id: &str) -> Result<PluginRunRecord, ControlError>;
    /// The operator-lifted gates as they stand.
    fn gates(&self) -> Result<EngineGates, ControlError>;
    /// Lifts the reconciliation halt; `note` (who and why) is stored with the decision.
    /// Answers the halt lifted, `None` if none was in force.
    fn acknowledge_halt(&self, note: &str) -> Result<Option<HaltInfo>, ControlError>;
    /// Clears the losing streak (losses closed so far stop counting); `note` is stored with
    /// the decision. Answers the streak cleared.
    fn reset_losing_streak(&self, note: &str) -> Result<u32, ControlError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_order_defaults_to_a_day_market_order() {
        let o: ManualOrder =
            serde_json::from_str(r#"{"symbol": "SPY", "side": "buy", "qty": "3"}"#).unwrap();
        assert_eq!(o.order_type, OrderType::Market);
        assert_eq!(o.tif, TimeInForce::Day);
        assert_eq!(o.qty.to_f64(), 3.0);
        let l: ManualOrder = serde_json::from_str(
            r#"{"symbol": "SPY", "side": "sell", "qty": 2, "order_type": {"type": "limit", "limit": "410.5"}}"#,
        )
        .unwrap();
        assert_eq!(l.order_type.name(), "limit");
        assert!(serde_json::from_str::<ManualOrder>(
            r#"{"symbol":"X","side":"buy","qty":"1","x":1}"#
        )
        .is_err());
    }
}
