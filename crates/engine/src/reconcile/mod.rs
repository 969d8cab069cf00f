//! Reconciliation: after a restart or a disconnect, make the store and the ledger agree with
//! the broker, and say what differed and why.
//!
//! The broker is the truth about what happened to orders, fills, positions and cash; the
//! journal is the truth about what we meant to do. `reconcile` compares the two, adopts the
//! broker's view, records every difference (journal row `reconciled` for an order, an
//! `Event::Alert` for all) and, through `Reconciler`, halts new risk when a difference has no
//! explanation. Run it only while no submit is in flight (at start-up, or between cycles).

mod diff;
mod halt;
mod ledger;
mod orders;
mod policy;
mod record;
mod resend;

pub use diff::{Action, Difference, DifferenceKind, Observed};
pub use halt::{Reconciler, TradingHalt, HALT_STATE_ID};
pub use orders::NEVER_SENT_REASON;
pub use policy::{PendingPolicy, ReconcilePolicy};
pub use record::ALERT_SOURCE;
pub use resend::planned_from_request;

use optifire_core::domain::{Fill, Portfolio};
use optifire_core::event::Event;
use optifire_core::store::Store;
use optifire_core::venue::{Broker, VenueUpdate};
use optifire_core::Timestamp;
use serde::{Deserialize, Serialize};

use crate::exec::PlannedOrder;

/// What one reconciliation found and did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReconcileReport {
    pub ts: Timestamp,
    /// Every difference, in the order found: conflicting fills, orders, new fills, positions,
    /// cash.
    pub differences: Vec<Difference>,
    /// Fills new to the store, already applied to the portfolio (for the caller's bus).
    pub fills: Vec<Fill>,
    /// Intents never sent, to resend through `Executor::submit_all` (`PendingPolicy::Resend`).
    pub resend: Vec<PlannedOrder>,
    /// The alerts written to the store, one per difference, to publish on the bus.
    pub events: Vec<Event>,
    /// Store writes or reads that failed; the differences are still reported.
    pub errors: Vec<String>,
}

impl ReconcileReport {
    pub fn new(ts: Timestamp) -> Self {
        ReconcileReport {
            ts,
            differences: Vec::new(),
            fills: Vec::new(),
            resend: Vec::new(),
            events: Vec::new(),
            errors: Vec::new(),
        }
    }
    pub fn unexplained(&self) -> impl Iterator<Item = &Difference> {
        self.differences.iter().filter(|d| !d.is_explained())
    }
    /// Nothing differed and nothing failed.
    pub fn is_clean(&self) -> bool {
        self.differences.is_empty() && self.errors.is_empty()
    }
}

/// Brings `store` and `portfolio` in line with `broker`, in four steps:
///
/// 1. **Fills.** The broker's pending updates are drained; each fill the store lacks is stored
///    (`MissingFill`), journaled as `fill` and applied to `portfolio`. A fill id stored with
///    other content is `ConflictingFill` (unexplained) and changes nothing.
/// 2. **Orders**, by client id, over the store's open orders, the broker's open orders and every
///    order the drained updates mention:
///    * `pending_new` here, unknown there → `NeverSent`: stored `rejected` with the reason
///      "never reached the broker", or queued in `resend` (see `PendingPolicy`);
///    * live here (past `pending_new`), unknown there → `LostOrder`: stored `canceled`,
///      unexplained;
///    * known to both with another status, filled quantity, average price or venue id →
///      `OrderState`: the broker's state is stored (unexplained if ours was terminal);
///    * unknown here → `ExternalOrder`: stored as the broker reports it.
/// 3. **Positions**, per symbol: a difference is adopted (quantity and average price) and is
///    explained only when it equals exactly the signed quantity the broker filled on adopted or
///    external orders beyond the fills we hold.
/// 4. **Cash**: a difference above `cash_tolerance` is adopted; it is explained only when some
///    position difference was explained by fills we lack.
///
/// After an adoption in steps 3-4 the ledger is snapshotted at `now`. Every difference is
/// journaled (when it concerns an order) and written as an `Event::Alert`.
pub fn reconcile(
    store: &dyn Store,
    broker: &mut dyn Broker,
    portfolio: &mut Portfolio,
    policy: &ReconcilePolicy,
    now: Timestamp,
) -> ReconcileReport {
    let mut pass = orders::Pass::new(store, now);
    let mut drained_orders = Vec::new();
    let mut drained_fills = Vec::new();
    for u in broker.drain_updates() {
        match u {
            VenueUpdate::Order(o) => drained_orders.push(o),
            VenueUpdate::Fill(f) => drained_fills.push(f),
        }
    }
    let new_fills = ledger::store_fills(&mut pass, &drained_fills);
    orders::reconcile_orders(
        &mut pass,
        &*broker,
        &drained_orders,
        &drained_fills,
        &new_fills,
        policy,
    );
    ledger::journal_and_apply_fills(&mut pass, portfolio, new_fills);
    let adopted = ledger::reconcile_positions(&mut pass, &*broker, portfolio)
        | ledger::reconcile_cash(&mut pass, &*broker, portfolio, policy);
    if adopted {
        if let Err(e) = store.snapshot_positions(now, portfolio) {
            pass.report
                .errors
                .push(format!("snapshot the reconciled ledger: {e}"));
        }
    }
    record::record_all(&mut pass);
    pass.report
}
