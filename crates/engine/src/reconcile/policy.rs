//! What reconciliation may do on its own: resend or retire orders that never left, and whether
//! a difference nobody can explain stops new risk.

use optifire_core::domain::Money;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// What to do with an intent journaled as `pending_new` that the broker has never seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "mode")]
pub enum PendingPolicy {
    /// Store it as `rejected` ("never reached the broker"). The default: the next cycle plans
    /// from targets and the book again, so a still-wanted trade is re-decided at today's prices
    /// instead of replaying an old decision.
    MarkNotSent,
    /// Hand it back for the executor to send again under the same client id (safe: a copy the
    /// broker already has is refused as a duplicate and adopted), if the intent is at most
    /// `max_age_secs` old at reconciliation; older intents are marked not sent.
    Resend { max_age_secs: i64 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconcilePolicy {
    /// A difference nothing explains (a position off by more than the fills we lack, a live
    /// order the broker has lost, a conflicting fill, unexplained cash), or a store error that
    /// left the reconciliation incomplete, halts new risk until an operator acknowledges it.
    pub halt_on_unexplained: bool,
    pub pending: PendingPolicy,
    /// Cash differences up to this much are ignored (brokers round fees to the cent).
    pub cash_tolerance: Money,
}

impl Default for ReconcilePolicy {
    /// Halt on the unexplained, retire orders that never left, tolerate one cent of cash.
    fn default() -> Self {
        ReconcilePolicy {
            halt_on_unexplained: true,
            pending: PendingPolicy::MarkNotSent,
            cash_tolerance: Money(Decimal::new(1, 2)),
        }
    }
}
