//! The broker abstraction every driver trades through.
//!
//! Backtest and paper use the simulated exchange, live uses Alpaca; the executor only sees this
//! trait, so nothing above it can tell which venue it talks to.

use crate::domain::{ClientOrderId, Fill, Money, Order, OrderRequest, Position};
use serde::{Deserialize, Serialize};

/// Balances as the broker reports them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub cash: Money,
    /// Cash plus positions at the venue's marks.
    pub equity: Money,
    /// What a new opening order may still spend (after open orders' reservations).
    pub buying_power: Money,
}

/// What happened at the venue since the last drain, in the order it happened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "data")]
pub enum VenueUpdate {
    /// An order changed state (acknowledged, partially filled, filled, canceled, expired).
    Order(Order),
    /// One execution.
    Fill(Fill),
}

/// Why a broker call failed. Each variant tells the caller what to do next: fix the order,
/// treat the resend as already done, retry later, or give up.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BrokerError {
    #[error("order rejected: {reason}")]
    Rejected { reason: String },
    /// The client order id was used before (Alpaca answers 422): a resend after a crash.
    #[error("client order id already used")]
    DuplicateClientOrderId,
    #[error("unknown order")]
    UnknownOrder,
    #[error("rate limited; retry after {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("transient broker error (retry): {0}")]
    Transient(String),
    #[error("broker error: {0}")]
    Other(String),
}

/// A place orders go and fills come from. Object-safe so drivers hold a `Box<dyn Broker>`.
pub trait Broker: Send {
    /// Sends an order; the returned order carries the venue's acknowledgement state.
    fn submit(&mut self, req: OrderRequest) -> Result<Order, BrokerError>;
    /// Asks to cancel a working order; canceling a finished order is `Rejected`.
    fn cancel(&mut self, id: &ClientOrderId) -> Result<Order, BrokerError>;
    fn order(&self, id: &ClientOrderId) -> Option<Order>;
    /// Orders that can still fill, in submission order.
    fn open_orders(&self) -> Vec<Order>;
    /// Non-flat positions in symbol order.
    fn positions(&self) -> Vec<Position>;
    fn account(&self) -> Account;
    /// Every order state change and every fill since the last call, oldest first.
    fn drain_updates(&mut self) -> Vec<VenueUpdate>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_is_object_safe_and_errors_say_why() {
        fn takes(_: Option<&dyn Broker>) {}
        takes(None);
        let e = BrokerError::Rejected {
            reason: "not easy to borrow".into(),
        };
        assert_eq!(e.to_string(), "order rejected: not easy to borrow");
    }
}
