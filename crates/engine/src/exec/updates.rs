//! Broker updates into the store: order states and fills, each stored once.
//!
//! The broker is the source of truth for what happened; this folds its updates into the store
//! idempotently (fills by id) so a reconnect replay never double-counts, and hands new fills on
//! to the ledger.

use optifire_core::domain::{Fill, Order, OrderStatus};
use optifire_core::store::{JournalAction, StoreError};
use optifire_core::venue::VenueUpdate;
use optifire_core::Timestamp;
use serde_json::json;

use super::journal_submit::Executor;

/// What `apply_updates` did with the broker's updates.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AppliedUpdates {
    /// New fills for the portfolio, in broker order; a fill already stored is not repeated.
    pub fills: Vec<Fill>,
    /// Order states written to the store.
    pub orders: Vec<Order>,
    /// Store failures; a fill whose write failed is still in `fills` (the broker says it
    /// happened, so the ledger must see it) and reconciliation repairs the store.
    pub errors: Vec<String>,
}

impl Executor {
    /// Drains the broker's updates into the store and returns the new fills for the ledger.
    ///
    /// Fills are stored once by fill id (`insert_fill`); a fill already stored is not returned
    /// again, so replays after a reconnect cannot double-count. Order states are upserted; a
    /// status change is journaled (`ack`, `canceled`, `expired`, `replaced`, `reject`) and each
    /// new fill gets a `fill` row. An order the store has never seen is inserted and journaled
    /// as `reconciled` (event `unknown_order_seen`).
    pub fn apply_updates(&mut self, now: Timestamp) -> AppliedUpdates {
        let mut out = AppliedUpdates::default();
        for update in self.broker.drain_updates() {
            match update {
                VenueUpdate::Fill(fill) => match self.store.insert_fill(&fill) {
                    Ok(true) => {
                        let payload = json!(fill);
                        if let Err(e) = self.store.journal_append(
                            now,
                            &fill.client_order_id,
                            JournalAction::Fill,
                            &payload,
                        ) {
                            out.errors
                                .push(format!("journal fill {}: {e}", fill.fill_id));
                        }
                        out.fills.push(fill);
                    }
                    Ok(false) => {}
                    Err(e @ StoreError::FillConflict { .. }) => out.errors.push(e.to_string()),
                    Err(e) => {
                        out.errors.push(format!("store fill {}: {e}", fill.fill_id));
                        out.fills.push(fill);
                    }
                },
                VenueUpdate::Order(order) => self.apply_order(now, order, &mut out),
            }
        }
        out
    }

    fn apply_order(&mut self, now: Timestamp, order: Order, out: &mut AppliedUpdates) {
        let id = order.request.client_order_id.clone();
        let before = match self.store.order(&id) {
            Ok(o) => o.map(|o| o.status),
            Err(e) => {
                out.errors.push(format!("read order {id}: {e}"));
                None
            }
        };
        if let Err(e) = self.store.upsert_order(&order) {
            out.errors.push(format!("upsert order {id}: {e}"));
            return;
        }
        let action = match (before, order.status) {
            (None, _) => Some(JournalAction::Reconciled),
            (Some(b), s) if b == s => None,
            (_, OrderStatus::New | OrderStatus::Accepted) => Some(JournalAction::Ack),
            (_, OrderStatus::Canceled) => Some(JournalAction::Canceled),
            (_, OrderStatus::Expired) => Some(JournalAction::Expired),
            (_, OrderStatus::Replaced) => Some(JournalAction::Replaced),
            (_, OrderStatus::Rejected) => Some(JournalAction::Reject),
            // Fill rows carry the executions; pending states carry no news.
            _ => None,
        };
        if let Some(action) = action {
            let mut payload = json!({
                "status": order.status,
                "reason": order.reason,
                "filled_qty": order.filled_qty,
                "broker_order_id": order.broker_order_id,
            });
            if before.is_none() {
                payload["event"] = json!("unknown_order_seen");
            }
            if let Err(e) = self.store.journal_append(now, &id, action, &payload) {
                out.errors.push(format!("journal {action:?} {id}: {e}"));
            }
        }
        out.orders.push(order);
    }
}
