//! Differences between our books and the broker's, each with what reconciliation did about it.
//!
//! A difference is data, not a log line: the report, the journal row and the alert are all built
//! from one `Difference`, so what an operator reads is exactly what the engine decided.

use optifire_core::domain::{ClientOrderId, Money, OrderStatus, Price, Quantity, Symbol};
use serde::{Deserialize, Serialize};
use std::fmt;

/// What disagreed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DifferenceKind {
    /// Journaled as `pending_new` but unknown to the broker: the order never left.
    NeverSent,
    /// The broker's status, filled quantity, average price or venue id differ from the store's.
    OrderState,
    /// The store holds the order as live, but the broker has no record of it.
    LostOrder,
    /// The broker has an order the journal never wrote (placed by hand, or by another process).
    ExternalOrder,
    /// The broker reported a fill the store lacked.
    MissingFill,
    /// The broker reported a fill whose id is stored with different content.
    ConflictingFill,
    /// Local and broker positions in a symbol differ after every known fill was applied.
    Position,
    /// Local and broker cash differ by more than the policy's tolerance.
    Cash,
}

impl DifferenceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DifferenceKind::NeverSent => "never_sent",
            DifferenceKind::OrderState => "order_state",
            DifferenceKind::LostOrder => "lost_order",
            DifferenceKind::ExternalOrder => "external_order",
            DifferenceKind::MissingFill => "missing_fill",
            DifferenceKind::ConflictingFill => "conflicting_fill",
            DifferenceKind::Position => "position",
            DifferenceKind::Cash => "cash",
        }
    }
}

/// One side's view of the disputed thing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Observed {
    /// This side has no record of it.
    Absent,
    Order {
        status: OrderStatus,
        filled_qty: Quantity,
        avg_fill_price: Option<Price>,
        broker_order_id: Option<String>,
    },
    Fill {
        fill_id: String,
        qty: Quantity,
        price: Price,
    },
    /// A signed position quantity and its average price.
    Position {
        qty: Quantity,
        avg_price: Price,
    },
    Cash {
        cash: Money,
    },
}

impl fmt::Display for Observed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Observed::Absent => f.write_str("absent"),
            Observed::Order {
                status, filled_qty, ..
            } => write!(f, "{} (filled {filled_qty})", status.as_str()),
            Observed::Fill {
                fill_id,
                qty,
                price,
                ..
            } => write!(f, "fill {fill_id} {qty} @ {price}"),
            Observed::Position { qty, avg_price } => write!(f, "{qty} @ {avg_price}"),
            Observed::Cash { cash } => write!(f, "cash {cash}"),
        }
    }
}

/// What reconciliation did about a difference.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum Action {
    /// Stored as `rejected` with the reason "never reached the broker".
    MarkedNotSent,
    /// Left `pending_new` and handed back in `ReconcileReport::resend` for the executor to send
    /// again under the same client id.
    QueuedForResend,
    /// A pending intent too old to resend (`PendingPolicy::Resend::max_age_secs`) or that cannot
    /// be rebuilt into the executor's order (not one of our ids): stored as `rejected` with the
    /// reason "never reached the broker" instead of resent.
    NotResendable { why: String },
    /// The broker's order state was written to the store.
    AdoptedOrder,
    /// The live order the broker does not know was stored as `canceled`.
    MarkedCanceled,
    /// The fill was stored and applied to the portfolio.
    InsertedFill,
    /// Nothing was written: the stored fill is kept and the difference is raised.
    KeptStored,
    /// The portfolio's position was set to the broker's quantity and average price.
    AdoptedPosition,
    /// The portfolio's cash was set to the broker's.
    AdoptedCash,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::MarkedNotSent => f.write_str("marked rejected: never reached the broker"),
            Action::QueuedForResend => f.write_str("queued for resend with the same client id"),
            Action::NotResendable { why } => write!(f, "marked rejected: cannot resend ({why})"),
            Action::AdoptedOrder => f.write_str("adopted the broker's order state"),
            Action::MarkedCanceled => f.write_str("marked canceled: unknown to the broker"),
            Action::InsertedFill => f.write_str("stored the fill and applied it to the ledger"),
            Action::KeptStored => f.write_str("kept the stored fill"),
            Action::AdoptedPosition => f.write_str("adopted the broker's position"),
            Action::AdoptedCash => f.write_str("adopted the broker's cash"),
        }
    }
}

/// One disagreement between the store/ledger and the broker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Difference {
    pub kind: DifferenceKind,
    pub symbol: Option<Symbol>,
    pub client_order_id: Option<ClientOrderId>,
    pub local: Observed,
    pub broker: Observed,
    pub action: Action,
    /// Why the difference is expected (a crash gap, an external order, missing fills), or
    /// `None` when nothing we know explains it: such a difference can halt trading.
    pub explanation: Option<String>,
}

impl Difference {
    pub fn is_explained(&self) -> bool {
        self.explanation.is_some()
    }
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind.as_str())?;
        if let Some(s) = &self.symbol {
            write!(f, " {s}")?;
        }
        if let Some(id) = &self.client_order_id {
            write!(f, " order {id}")?;
        }
        write!(
            f,
            ": local {}, broker {}; {}",
            self.local, self.broker, self.action
        )?;
        match &self.explanation {
            Some(e) => write!(f, " ({e})"),
            None => f.write_str(" (UNEXPLAINED)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn display_names_both_sides_the_action_and_whether_it_is_explained() {
        let d = Difference {
            kind: DifferenceKind::Position,
            symbol: Some("SPY".into()),
            client_order_id: None,
            local: Observed::Position {
                qty: Quantity(dec!(10)),
                avg_price: Price(dec!(400)),
            },
            broker: Observed::Position {
                qty: Quantity(dec!(12)),
                avg_price: Price(dec!(401)),
            },
            action: Action::AdoptedPosition,
            explanation: None,
        };
        assert_eq!(
            d.to_string(),
            "position SPY: local 10 @ 400, broker 12 @ 401; adopted the broker's position \
             (UNEXPLAINED)"
        );
        assert!(!d.is_explained());
    }
}
