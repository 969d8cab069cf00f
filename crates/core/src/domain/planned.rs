//! Orders the executor intends to send, before they reach the broker.
//!
//! They live in core, not in the engine, because execution plugins (which cannot depend on the
//! engine) reshape them through `plugin::OrderShaper`: batching, netting, MOC, bid-ask filters.

use super::client_id::client_order_id;
use super::{
    ClientOrderId, Instrument, OrderRequest, OrderType, Quantity, Side, Symbol, TimeInForce,
};
use crate::Timestamp;
use serde::{Deserialize, Serialize};

/// Identifies one decision cycle: its decision instant and its sequence number. Part of every
/// client order id, so two cycles never share ids and a replay of one cycle always does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CycleId {
    pub ts: Timestamp,
    pub seq: u64,
}

/// What an order does to its position.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Leg {
    /// Changes the position without crossing zero (increase, reduce, or open from flat).
    Adjust,
    /// Brings the position to exactly zero, before an `Open` leg on the other side.
    Close,
    /// Opens the other side after a `Close` leg.
    Open,
}

impl Leg {
    pub fn as_str(self) -> &'static str {
        match self {
            Leg::Adjust => "adjust",
            Leg::Close => "close",
            Leg::Open => "open",
        }
    }
}

/// What the executor expects to pay, stored in the journal payload under `"expected"` and
/// handed to diagnostics with the fills (see the engine's `exec::slippage` for the model).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct CostEstimate {
    /// The reference price (quote mid, else the mark) the cost is measured from.
    pub mid: f64,
    /// Half spread plus impact, basis points of `mid`.
    pub cost_bps: f64,
    /// `mid × (1 + cost)` for buys, `mid × (1 − cost)` for sells; a limit order's limit.
    pub price: f64,
}

/// An order the executor intends to send. Shapers and the router may change it; its client
/// order id is always derived from its current fields, so a changed order gets a new id.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlannedOrder {
    pub cycle: CycleId,
    pub symbol: Symbol,
    pub side: Side,
    /// Positive; on the instrument's quantity grid.
    pub qty: Quantity,
    pub leg: Leg,
    pub instrument: Instrument,
    /// The mark the order was sized at; `None` only for a close of a position without a mark.
    pub reference_price: Option<f64>,
    /// `Market`/`Day` from the planner; the router may change both.
    pub order_type: OrderType,
    pub tif: TimeInForce,
    /// Expected cost and price, filled in before submission.
    pub expected: Option<CostEstimate>,
}

impl PlannedOrder {
    pub fn client_order_id(&self) -> ClientOrderId {
        client_order_id(self.cycle, &self.symbol, self.side, self.qty, self.leg)
    }

    /// The broker request. `created_at` is the cycle's instant, so a resend is byte-identical.
    pub fn to_request(&self) -> OrderRequest {
        OrderRequest {
            client_order_id: self.client_order_id(),
            symbol: self.symbol.clone(),
            side: self.side,
            qty: self.qty,
            order_type: self.order_type,
            tif: self.tif,
            created_at: self.cycle.ts,
        }
    }
}
