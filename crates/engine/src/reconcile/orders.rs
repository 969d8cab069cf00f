//! Step 2 of reconciliation: every order either side knows of ends in a state both agree on.
//!
//! Keyed by client id, because that is the one name an order has on both sides, before and
//! after a crash.

use optifire_core::domain::{ClientOrderId, Fill, Order, OrderStatus, Symbol};
use optifire_core::store::Store;
use optifire_core::venue::Broker;
use optifire_core::Timestamp;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashSet};

use super::diff::{Action, Difference, DifferenceKind, Observed};
use super::policy::{PendingPolicy, ReconcilePolicy};
use super::resend::planned_from_request;
use super::ReconcileReport;

/// The reason stored on an intent the broker never received.
pub const NEVER_SENT_REASON: &str = "never reached the broker";

/// State shared by the steps of one reconciliation.
pub(super) struct Pass<'a> {
    pub store: &'a dyn Store,
    pub now: Timestamp,
    pub report: ReconcileReport,
    /// Per symbol: signed quantity the broker filled on adopted or external orders beyond the
    /// fills we hold. A position difference of exactly this much is explained.
    pub unaccounted: BTreeMap<Symbol, Decimal>,
    /// Some position difference was explained by fills we lack (so cash may differ too).
    pub explained_gap: bool,
}

impl<'a> Pass<'a> {
    pub fn new(store: &'a dyn Store, now: Timestamp) -> Self {
        Pass {
            store,
            now,
            report: ReconcileReport::new(now),
            unaccounted: BTreeMap::new(),
            explained_gap: false,
        }
    }

    pub fn push(&mut self, d: Difference) {
        self.report.differences.push(d);
    }

    fn upsert(&mut self, order: &Order) {
        if let Err(e) = self.store.upsert_order(order) {
            let id = &order.request.client_order_id;
            self.report.errors.push(format!("upsert order {id}: {e}"));
        }
    }
}

pub(super) fn observe(o: &Order) -> Observed {
    Observed::Order {
        status: o.status,
        filled_qty: o.filled_qty,
        avg_fill_price: o.avg_fill_price,
        broker_order_id: o.broker_order_id.as_deref().map(str::to_string),
    }
}

fn same_state(a: &Order, b: &Order) -> bool {
    a.status == b.status
        && a.filled_qty == b.filled_qty
        && a.avg_fill_price == b.avg_fill_price
        && a.broker_order_id == b.broker_order_id
}

/// Signed quantity of `fills` that belong to `id`.
fn signed_fills(fills: &[Fill], id: &ClientOrderId) -> Decimal {
    fills
        .iter()
        .filter(|f| &f.client_order_id == id)
        .map(|f| f.signed_qty().0)
        .sum()
}

/// Compares every order either side knows of (see `reconcile`, step 2).
pub(super) fn reconcile_orders(
    pass: &mut Pass<'_>,
    broker: &dyn Broker,
    drained_orders: &[Order],
    drained_fills: &[Fill],
    new_fills: &[Fill],
    policy: &ReconcilePolicy,
) {
    let stored_open = match pass.store.open_orders() {
        Ok(v) => v,
        Err(e) => {
            pass.report
                .errors
                .push(format!("read the store's open orders: {e}"));
            Vec::new()
        }
    };
    let mut last_drained: BTreeMap<&ClientOrderId, &Order> = BTreeMap::new();
    for o in drained_orders {
        last_drained.insert(&o.request.client_order_id, o);
    }
    let mut seen = HashSet::new();
    let ids: Vec<ClientOrderId> = stored_open
        .iter()
        .map(|o| o.request.client_order_id.clone())
        .chain(
            broker
                .open_orders()
                .into_iter()
                .map(|o| o.request.client_order_id),
        )
        .chain(
            drained_orders
                .iter()
                .map(|o| o.request.client_order_id.clone()),
        )
        .chain(drained_fills.iter().map(|f| f.client_order_id.clone()))
        .filter(|id| seen.insert(id.clone()))
        .collect();

    for id in ids {
        let local = match pass.store.order(&id) {
            Ok(o) => o,
            Err(e) => {
                pass.report.errors.push(format!("read order {id}: {e}"));
                continue;
            }
        };
        let remote = broker
            .order(&id)
            .or_else(|| last_drained.get(&id).map(|o| (*o).clone()));
        let new_qty = signed_fills(new_fills, &id);
        match (local, remote) {
            (None, None) => {}
            (Some(l), None) if l.status == OrderStatus::PendingNew => {
                never_sent(pass, l, policy);
            }
            (Some(l), None) if l.status.is_terminal() => {}
            (Some(l), None) => lost(pass, l),
            (Some(l), Some(r)) => {
                let sign = Decimal::from(r.request.side.sign());
                *pass
                    .unaccounted
                    .entry(r.request.symbol.clone())
                    .or_default() += sign * (r.filled_qty.0 - l.filled_qty.0) - new_qty;
                if !same_state(&l, &r) {
                    adopt(pass, l, r);
                }
            }
            (None, Some(r)) => {
                let sign = Decimal::from(r.request.side.sign());
                *pass
                    .unaccounted
                    .entry(r.request.symbol.clone())
                    .or_default() += sign * r.filled_qty.0 - new_qty;
                pass.upsert(&r);
                pass.push(Difference {
                    kind: DifferenceKind::ExternalOrder,
                    symbol: Some(r.request.symbol.clone()),
                    client_order_id: Some(id),
                    local: Observed::Absent,
                    broker: observe(&r),
                    action: Action::AdoptedOrder,
                    explanation: Some("placed outside this engine's journal".into()),
                });
            }
        }
    }
}

/// An intent the broker never saw: retire it, or queue it for a resend under its own id.
fn never_sent(pass: &mut Pass<'_>, local: Order, policy: &ReconcilePolicy) {
    let action = match policy.pending {
        PendingPolicy::MarkNotSent => Action::MarkedNotSent,
        PendingPolicy::Resend { max_age_secs } => {
            let age_ns = i128::from(pass.now.0) - i128::from(local.request.created_at.0);
            if age_ns > i128::from(max_age_secs) * 1_000_000_000 {
                Action::NotResendable {
                    why: format!(
                        "the intent is {} s old, over the {max_age_secs} s limit",
                        age_ns / 1_000_000_000
                    ),
                }
            } else {
                match planned_from_request(&local.request) {
                    Some(p) => {
                        pass.report.resend.push(p);
                        Action::QueuedForResend
                    }
                    None => Action::NotResendable {
                        why: "the client id is not one the executor derives".into(),
                    },
                }
            }
        }
    };
    if action != Action::QueuedForResend {
        let mut o = local.clone();
        o.status = OrderStatus::Rejected;
        o.reason = Some(NEVER_SENT_REASON.into());
        o.updated_at = pass.now;
        pass.upsert(&o);
    }
    pass.push(Difference {
        kind: DifferenceKind::NeverSent,
        symbol: Some(local.request.symbol.clone()),
        client_order_id: Some(local.request.client_order_id.clone()),
        local: observe(&local),
        broker: Observed::Absent,
        action,
        explanation: Some(
            "journaled, then the process stopped (or the send failed) before the broker got it"
                .into(),
        ),
    });
}

/// A live order the broker has no record of: nothing we know explains it.
fn lost(pass: &mut Pass<'_>, local: Order) {
    let mut o = local.clone();
    o.status = OrderStatus::Canceled;
    o.reason = Some("unknown to the broker at reconciliation".into());
    o.updated_at = pass.now;
    pass.upsert(&o);
    pass.push(Difference {
        kind: DifferenceKind::LostOrder,
        symbol: Some(local.request.symbol.clone()),
        client_order_id: Some(local.request.client_order_id.clone()),
        local: observe(&local),
        broker: Observed::Absent,
        action: Action::MarkedCanceled,
        explanation: None,
    });
}

/// The broker's state wins; a lagging store is the normal trace of a crash or a lost answer,
/// but a terminal state that changed is not.
fn adopt(pass: &mut Pass<'_>, local: Order, remote: Order) {
    let explanation = if local.status.is_terminal() {
        None
    } else if local.status == OrderStatus::PendingNew {
        Some("sent before the process stopped; the store missed the answer".into())
    } else {
        Some("the store lagged the broker's updates".into())
    };
    pass.upsert(&remote);
    pass.push(Difference {
        kind: DifferenceKind::OrderState,
        symbol: Some(remote.request.symbol.clone()),
        client_order_id: Some(remote.request.client_order_id.clone()),
        local: observe(&local),
        broker: observe(&remote),
        action: Action::AdoptedOrder,
        explanation,
    });
}
