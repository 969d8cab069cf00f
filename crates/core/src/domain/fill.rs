//! Executions reported by the broker (or the simulated exchange).

use crate::domain::{ClientOrderId, Money, Price, Quantity, Side, Symbol};
use crate::Timestamp;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fill {
    /// Broker's execution id; unique, so a fill replayed by a reconnect is applied once. Shared
    /// text: both ledgers keep it in their applied-fill sets, and a copy is then a count.
    pub fill_id: Arc<str>,
    pub client_order_id: ClientOrderId,
    pub symbol: Symbol,
    pub side: Side,
    /// Positive quantity of this execution.
    pub qty: Quantity,
    pub price: Price,
    pub commission: Money,
    pub ts: Timestamp,
}

impl Fill {
    /// Signed position change: +qty for buys, -qty for sells.
    pub fn signed_qty(&self) -> Quantity {
        match self.side {
            Side::Buy => self.qty,
            Side::Sell => -self.qty,
        }
    }
    /// Traded value, positive.
    pub fn notional(&self) -> Money {
        self.qty * self.price
    }
}
