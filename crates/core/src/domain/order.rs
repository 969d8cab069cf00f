//! Orders: what we ask the broker to do, and the state the broker says they are in.

use crate::domain::{Price, Quantity, Symbol};
use crate::Timestamp;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Buy,
    Sell,
}

impl Side {
    /// +1 for buys, -1 for sells: the sign of the position change.
    pub fn sign(self) -> i32 {
        match self {
            Side::Buy => 1,
            Side::Sell => -1,
        }
    }
    pub fn opposite(self) -> Side {
        match self {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Buy => "buy",
            Side::Sell => "sell",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum OrderType {
    Market,
    Limit {
        limit: Price,
    },
    Stop {
        stop: Price,
    },
    StopLimit {
        stop: Price,
        limit: Price,
    },
    /// Market-on-close: executes in the closing auction.
    MarketOnClose,
}

impl OrderType {
    pub fn name(&self) -> &'static str {
        match self {
            OrderType::Market => "market",
            OrderType::Limit { .. } => "limit",
            OrderType::Stop { .. } => "stop",
            OrderType::StopLimit { .. } => "stop_limit",
            OrderType::MarketOnClose => "moc",
        }
    }
}

/// Time in force, with Alpaca's names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeInForce {
    Day,
    Gtc,
    Ioc,
    Fok,
    /// At the opening auction.
    Opg,
    /// At the closing auction (with a market order this is MOC).
    Cls,
}

/// The id we give an order before it leaves the process. Derived deterministically by the
/// executor so a resend after a crash is recognised by the broker as a duplicate. Shared text:
/// every state of an order (each report of the exchange, the book's copy, its fills) carries
/// the id, and a copy is then a count rather than an allocation.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClientOrderId(pub Arc<str>);

impl ClientOrderId {
    pub fn new(id: impl Into<Arc<str>>) -> Self {
        ClientOrderId(id.into())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientOrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Lifecycle states, following Alpaca's order statuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Journaled locally, not yet acknowledged by the broker.
    PendingNew,
    New,
    Accepted,
    PartiallyFilled,
    Filled,
    PendingCancel,
    Canceled,
    Expired,
    Rejected,
    Replaced,
}

impl OrderStatus {
    /// No further fills can arrive.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            OrderStatus::Filled
                | OrderStatus::Canceled
                | OrderStatus::Expired
                | OrderStatus::Rejected
                | OrderStatus::Replaced
        )
    }
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::PendingNew => "pending_new",
            OrderStatus::New => "new",
            OrderStatus::Accepted => "accepted",
            OrderStatus::PartiallyFilled => "partially_filled",
            OrderStatus::Filled => "filled",
            OrderStatus::PendingCancel => "pending_cancel",
            OrderStatus::Canceled => "canceled",
            OrderStatus::Expired => "expired",
            OrderStatus::Rejected => "rejected",
            OrderStatus::Replaced => "replaced",
        }
    }
}

/// What the executor asks for: an order before the broker has seen it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderRequest {
    pub client_order_id: ClientOrderId,
    pub symbol: Symbol,
    pub side: Side,
    /// Always positive; the side carries the direction.
    pub qty: Quantity,
    pub order_type: OrderType,
    pub tif: TimeInForce,
    pub created_at: Timestamp,
}

/// An order with its current state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Order {
    pub request: OrderRequest,
    pub broker_order_id: Option<Arc<str>>,
    pub status: OrderStatus,
    pub filled_qty: Quantity,
    pub avg_fill_price: Option<Price>,
    pub updated_at: Timestamp,
    /// Why the order is in its state when that is not obvious (reject reason, cancel cause).
    pub reason: Option<String>,
}

impl Order {
    pub fn new(request: OrderRequest) -> Order {
        let ts = request.created_at;
        Order {
            request,
            broker_order_id: None,
            status: OrderStatus::PendingNew,
            filled_qty: Quantity::ZERO,
            avg_fill_price: None,
            updated_at: ts,
            reason: None,
        }
    }
    pub fn remaining_qty(&self) -> Quantity {
        self.request.qty - self.filled_qty
    }
}
