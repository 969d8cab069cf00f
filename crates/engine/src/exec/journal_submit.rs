//! Journal first, then send: the only path by which an order leaves the process.
//!
//! The intent is durable in the store before the broker hears of the order, and every answer
//! (ack, reject, duplicate, failure) is journaled after, so after a crash the journal alone says
//! which orders may be live. Client ids are deterministic, so a resend is idempotent at the
//! broker: a duplicate answer means "already there", and the executor adopts the broker's state.

use optifire_core::domain::{ClientOrderId, Order, OrderStatus, Quantity, Side, Symbol};
use optifire_core::store::{JournalAction, Store, StoreError};
use optifire_core::venue::{Broker, BrokerError};
use optifire_core::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::fmt;
use std::sync::Arc;

use super::planner::PlannedOrder;

/// How often a rate-limited or transient failure is tried in total (first attempt included).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryPolicy {
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { max_attempts: 3 }
    }
}

/// Waits between attempts. Injected so tests count waits instead of sleeping.
pub trait Backoff: Send {
    /// Called after failed attempt number `attempt` (1-based), before the next one.
    fn wait(&mut self, attempt: u32, error: &BrokerError);
}

/// Retries at once: for the simulated exchange and tests.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoBackoff;

impl Backoff for NoBackoff {
    fn wait(&mut self, _attempt: u32, _error: &BrokerError) {}
}

/// Blocks the thread: the broker's `retry_after` when rate limited, else `base_ms × 2^(n−1)`
/// capped at `max_ms`. For live brokers only; never used in tests.
#[derive(Clone, Copy, Debug)]
pub struct SleepBackoff {
    pub base_ms: u64,
    pub max_ms: u64,
}

impl Backoff for SleepBackoff {
    fn wait(&mut self, attempt: u32, error: &BrokerError) {
        let ms = match error {
            BrokerError::RateLimited { retry_after_secs } => retry_after_secs.saturating_mul(1000),
            _ => self
                .base_ms
                .saturating_mul(1u64 << attempt.saturating_sub(1).min(20)),
        };
        std::thread::sleep(std::time::Duration::from_millis(ms.min(self.max_ms)));
    }
}

/// What became of one order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum SubmitOutcome {
    /// The broker took the order.
    Accepted { order: Order },
    /// The broker already had this client id (a resend): its state was adopted.
    DuplicateAdopted { order: Order },
    /// The broker refused the order; it is stored as rejected with the reason.
    Rejected { reason: String },
    /// Journaling the intent failed, so the order was not sent.
    NotSent { error: String },
    /// The store already had this order past `pending_new`: it was sent before; not resent.
    AlreadyJournaled { status: OrderStatus },
    /// Sending failed and the broker's state is unknown: the order stays `pending_new` in the
    /// journal and reconciliation must ask the broker.
    Unknown { error: String },
}

/// One order's line in the report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SubmitEntry {
    pub client_order_id: ClientOrderId,
    pub symbol: Symbol,
    pub side: Side,
    pub qty: Quantity,
    /// Broker calls made for this order.
    pub attempts: u32,
    /// The intent was already journaled as `pending_new` (a resend after a crash).
    pub resend: bool,
    pub outcome: SubmitOutcome,
    /// Store writes that failed after the broker answered: the store lags the broker until
    /// reconciliation, but the order is accounted for.
    pub store_errors: Vec<String>,
}

/// Every order given to `submit_all`, each with its outcome: nothing is unaccounted for.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SubmitReport {
    pub entries: Vec<SubmitEntry>,
}

impl SubmitReport {
    /// Orders whose fate at the broker is unknown ("unknown: reconcile").
    pub fn unknown(&self) -> impl Iterator<Item = &SubmitEntry> {
        self.entries
            .iter()
            .filter(|e| matches!(e.outcome, SubmitOutcome::Unknown { .. }))
    }
    /// Orders that are live at the broker (accepted or adopted).
    pub fn live(&self) -> impl Iterator<Item = &SubmitEntry> {
        self.entries.iter().filter(|e| {
            matches!(
                e.outcome,
                SubmitOutcome::Accepted { .. } | SubmitOutcome::DuplicateAdopted { .. }
            )
        })
    }
}

/// Sends orders journal-first and folds broker updates into the store.
pub struct Executor {
    pub(super) store: Arc<dyn Store>,
    pub(super) broker: Box<dyn Broker>,
    retry: RetryPolicy,
    backoff: Box<dyn Backoff>,
}

impl fmt::Debug for Executor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Executor")
            .field("store", &self.store)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl Executor {
    pub fn new(
        store: Arc<dyn Store>,
        broker: Box<dyn Broker>,
        retry: RetryPolicy,
        backoff: Box<dyn Backoff>,
    ) -> Executor {
        Executor {
            store,
            broker,
            retry,
            backoff,
        }
    }

    pub fn broker(&self) -> &dyn Broker {
        self.broker.as_ref()
    }

    pub fn broker_mut(&mut self) -> &mut dyn Broker {
        self.broker.as_mut()
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Submits each order in turn; journal rows are stamped `now`.
    ///
    /// Per order: `journal_intent` must succeed before `broker.submit` (else `NotSent`; an
    /// intent already stored as `pending_new` is a crash resend and is sent again, anything
    /// further along is `AlreadyJournaled`). Then: accepted → `submitted` and `ack` rows and the
    /// broker's state; duplicate id → the broker's order is adopted (`reconciled` row, event
    /// `duplicate_adopted`); rate limited or transient → retried up to
    /// `RetryPolicy::max_attempts` with the same id; rejected → `reject` row and status
    /// `rejected` with the reason; anything else, or retries exhausted → `send_failed` row,
    /// status stays `pending_new` with the error as reason, outcome `Unknown`.
    ///
    /// Every row written after the send carries `"expected"` (the `CostEstimate`, or null) so
    /// realized slippage can be measured against it.
    pub fn submit_all(&mut self, now: Timestamp, orders: Vec<PlannedOrder>) -> SubmitReport {
        let mut report = SubmitReport::default();
        for o in orders {
            report.entries.push(self.submit_one(now, &o));
        }
        report
    }

    fn submit_one(&mut self, now: Timestamp, planned: &PlannedOrder) -> SubmitEntry {
        let req = planned.to_request();
        let id = req.client_order_id.clone();
        let mut entry = SubmitEntry {
            client_order_id: id.clone(),
            symbol: req.symbol.clone(),
            side: req.side,
            qty: req.qty,
            attempts: 0,
            resend: false,
            outcome: SubmitOutcome::NotSent {
                error: String::new(),
            },
            store_errors: Vec::new(),
        };
        match self.store.journal_intent(&req) {
            Ok(()) => {}
            Err(StoreError::DuplicateOrder(_)) => match self.store.order(&id) {
                Ok(Some(stored)) if stored.status == OrderStatus::PendingNew => {
                    entry.resend = true;
                }
                Ok(Some(stored)) => {
                    entry.outcome = SubmitOutcome::AlreadyJournaled {
                        status: stored.status,
                    };
                    return entry;
                }
                Ok(None) => {
                    entry.outcome = SubmitOutcome::NotSent {
                        error: format!("store refused {id} as a duplicate but has no such order"),
                    };
                    return entry;
                }
                Err(e) => {
                    entry.outcome = SubmitOutcome::NotSent {
                        error: format!("intent of {id} exists; reading it failed: {e}"),
                    };
                    return entry;
                }
            },
            Err(e) => {
                entry.outcome = SubmitOutcome::NotSent {
                    error: e.to_string(),
                };
                return entry;
            }
        }

        let expected = json!(planned.expected);
        let result = loop {
            entry.attempts += 1;
            match self.broker.submit(req.clone()) {
                Err(e @ (BrokerError::RateLimited { .. } | BrokerError::Transient(_)))
                    if entry.attempts < self.retry.max_attempts =>
                {
                    self.backoff.wait(entry.attempts, &e);
                }
                r => break r,
            }
        };
        let attempts = entry.attempts;
        let journal =
            |action: JournalAction, payload: serde_json::Value, errs: &mut Vec<String>| {
                if let Err(e) = self.store.journal_append(now, &id, action, &payload) {
                    errs.push(format!("journal {action:?}: {e}"));
                }
            };
        let mut errs = Vec::new();
        let (outcome, order) = match result {
            Ok(order) => {
                journal(
                    JournalAction::Submitted,
                    json!({
                        "attempts": attempts,
                        "resend": entry.resend,
                        "order_type": req.order_type,
                        "tif": req.tif,
                        "expected": expected,
                    }),
                    &mut errs,
                );
                journal(
                    JournalAction::Ack,
                    json!({"broker_order_id": order.broker_order_id, "status": order.status}),
                    &mut errs,
                );
                (
                    SubmitOutcome::Accepted {
                        order: order.clone(),
                    },
                    Some(order),
                )
            }
            Err(BrokerError::DuplicateClientOrderId) => match self.broker.order(&id) {
                Some(order) => {
                    journal(
                        JournalAction::Reconciled,
                        json!({
                            "event": "duplicate_adopted",
                            "attempts": attempts,
                            "broker_order_id": order.broker_order_id,
                            "status": order.status,
                            "filled_qty": order.filled_qty,
                            "expected": expected,
                        }),
                        &mut errs,
                    );
                    (
                        SubmitOutcome::DuplicateAdopted {
                            order: order.clone(),
                        },
                        Some(order),
                    )
                }
                None => {
                    let error = "broker reports the client id as a duplicate but has no such order"
                        .to_string();
                    self.record_unknown(now, &req, attempts, &error, &expected, &mut errs)
                }
            },
            Err(BrokerError::Rejected { reason }) => {
                journal(
                    JournalAction::Reject,
                    json!({"reason": reason, "attempts": attempts, "expected": expected}),
                    &mut errs,
                );
                let mut order = Order::new(req.clone());
                order.status = OrderStatus::Rejected;
                order.reason = Some(reason.clone());
                order.updated_at = now;
                (SubmitOutcome::Rejected { reason }, Some(order))
            }
            Err(e) => {
                let error = e.to_string();
                self.record_unknown(now, &req, attempts, &error, &expected, &mut errs)
            }
        };
        if let Some(order) = order {
            if let Err(e) = self.store.upsert_order(&order) {
                errs.push(format!("upsert order: {e}"));
            }
        }
        entry.outcome = outcome;
        entry.store_errors = errs;
        entry
    }

    /// Journals a send whose outcome is unknown; the stored order stays `pending_new` with the
    /// error as its reason.
    fn record_unknown(
        &self,
        now: Timestamp,
        req: &optifire_core::domain::OrderRequest,
        attempts: u32,
        error: &str,
        expected: &serde_json::Value,
        errs: &mut Vec<String>,
    ) -> (SubmitOutcome, Option<Order>) {
        let payload = json!({"error": error, "attempts": attempts, "expected": expected});
        if let Err(e) = self.store.journal_append(
            now,
            &req.client_order_id,
            JournalAction::SendFailed,
            &payload,
        ) {
            errs.push(format!("journal SendFailed: {e}"));
        }
        let mut order = Order::new(req.clone());
        order.reason = Some(format!("unknown: reconcile ({error})"));
        order.updated_at = now;
        (
            SubmitOutcome::Unknown {
                error: error.to_string(),
            },
            Some(order),
        )
    }
}
