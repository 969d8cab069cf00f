//! Order shaping: the hook execution plugins use to change a batch between planning and sending.
//!
//! A plugin offers a shaper through `Plugin::shaper`; the engine hands it the orders the planner
//! made (after the plugins of the cycle ran), and the runner measures, contains and records that
//! call like a run. A shaper must say what it changed (`notes`), so a netted or dropped order is
//! always explained.

use crate::domain::{PlannedOrder, Side, Symbol};
use crate::Timestamp;
use serde::{Deserialize, Serialize};

/// A shaper's output: the orders to pass on and what was done to them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ShapeResult {
    pub orders: Vec<PlannedOrder>,
    pub notes: Vec<ShapeNote>,
}

/// One change a shaper made, attributed to it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShapeNote {
    pub shaper: String,
    pub symbol: Option<Symbol>,
    pub message: String,
}

/// A step between planning and submission (batching, netting, MOC, bid-ask filters).
///
/// `shape` borrows the batch: if it fails or panics, the engine still has the orders it gave.
pub trait OrderShaper: Send {
    fn id(&self) -> &str;
    fn shape(&mut self, now: Timestamp, orders: &[PlannedOrder]) -> ShapeResult;
}

/// One order as recorded in a shaping report: enough to see what went in and what came out.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderSummary {
    pub symbol: Symbol,
    pub side: Side,
    /// Decimal text, exact.
    pub qty: String,
    pub leg: String,
    pub client_order_id: String,
}

impl OrderSummary {
    pub fn of(o: &PlannedOrder) -> Self {
        OrderSummary {
            symbol: o.symbol.clone(),
            side: o.side,
            qty: o.qty.0.normalize().to_string(),
            leg: o.leg.as_str().to_string(),
            client_order_id: o.client_order_id().0.to_string(),
        }
    }
}

/// The stored record of one shaping call: the orders before and after and every note. It is
/// the body of the `Output::Report { name: "order_shaping" }` the runner emits for the call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShapingReport {
    pub orders_in: Vec<OrderSummary>,
    pub orders_out: Vec<OrderSummary>,
    pub notes: Vec<ShapeNote>,
    /// True when the orders out differ from the orders in (a decision was changed).
    pub changed: bool,
}

impl ShapingReport {
    pub fn new(orders_in: &[PlannedOrder], result: &ShapeResult) -> Self {
        let orders_in: Vec<OrderSummary> = orders_in.iter().map(OrderSummary::of).collect();
        let orders_out: Vec<OrderSummary> = result.orders.iter().map(OrderSummary::of).collect();
        ShapingReport {
            changed: orders_in != orders_out,
            orders_in,
            orders_out,
            notes: result.notes.clone(),
        }
    }
}

/// The report name of a shaping call's output.
pub const SHAPING_REPORT: &str = "order_shaping";
