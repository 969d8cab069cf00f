//! Journal-first submission against the simulated exchange and the SQLite store: the intent is
//! durable before the broker sees the order, failures are retried with the same id, duplicates
//! are adopted, rejects and unknown outcomes are recorded, and fills land in the store once.

mod exec_support;

use exec_support::*;
use optifire_core::domain::{Bar, Instrument, Order, OrderStatus, Price, Quantity, Side, Symbol};
use optifire_core::store::{JournalAction, SqliteStore, Store};
use optifire_core::venue::{Broker, BrokerError, VenueUpdate};
use optifire_engine::exec::{
    estimate, Backoff, Executor, NoBackoff, PlannedOrder, RetryPolicy, SubmitOutcome,
};
use optifire_venues::SessionInfo;
use rust_decimal_macros::dec;
use std::sync::{Arc, Mutex};

/// Counts waits instead of sleeping.
#[derive(Debug, Clone, Default)]
struct CountingBackoff(Arc<Mutex<Vec<u32>>>);

impl Backoff for CountingBackoff {
    fn wait(&mut self, attempt: u32, _error: &BrokerError) {
        self.0.lock().unwrap().push(attempt);
    }
}

struct Rig {
    exec: Executor,
    store: Arc<dyn Store>,
    sim: Arc<Mutex<optifire_venues::SimExchange>>,
    seen: Arc<Mutex<Seen>>,
    waits: Arc<Mutex<Vec<u32>>>,
}

fn rig_with(store: Arc<dyn Store>, script: Vec<BrokerError>, max_attempts: u32) -> Rig {
    let sim = sim();
    sim.lock()
        .unwrap()
        .set_mark(&Symbol::new("AAPL"), Price(dec!(100)));
    let (mut broker, seen) = ScriptedBroker::new(sim.clone(), store.clone());
    broker.script = script.into();
    let backoff = CountingBackoff::default();
    let waits = backoff.0.clone();
    let exec = Executor::new(
        store.clone(),
        Box::new(broker),
        RetryPolicy { max_attempts },
        Box::new(backoff),
    );
    Rig {
        exec,
        store,
        sim,
        seen,
        waits,
    }
}

fn rig(script: Vec<BrokerError>) -> Rig {
    rig_with(memory_store(), script, 3)
}

fn buy_aapl(qty: rust_decimal::Decimal) -> PlannedOrder {
    planned("AAPL", Side::Buy, qty, cycle(1_000, 1))
}

fn actions(store: &Arc<dyn Store>, o: &PlannedOrder) -> Vec<JournalAction> {
    store
        .journal(&o.client_order_id())
        .unwrap()
        .iter()
        .map(|e| e.action)
        .collect()
}

#[test]
fn intent_is_journaled_before_the_broker_sees_the_order() {
    let mut r = rig(vec![]);
    let orders = vec![buy_aapl(dec!(10)), buy_aapl(dec!(3))];
    let report = r.exec.submit_all(ts_secs(1_001), orders.clone());
    assert_eq!(report.live().count(), 2);
    let seen = r.seen.lock().unwrap();
    assert_eq!(seen.submits.len(), 2);
    assert!(seen.submits.iter().all(|(_, journaled)| *journaled));
    for o in &orders {
        assert_eq!(
            actions(&r.store, o),
            vec![
                JournalAction::Intent,
                JournalAction::Submitted,
                JournalAction::Ack
            ]
        );
        let stored = r.store.order(&o.client_order_id()).unwrap().unwrap();
        assert_eq!(stored.status, OrderStatus::New);
        assert!(stored.broker_order_id.is_some());
    }
}

#[test]
fn a_failed_intent_is_never_sent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("optifire.db");
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).unwrap());
    // A second connection makes every order insert fail, as a full disk would.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "CREATE TRIGGER fail_orders BEFORE INSERT ON orders
         BEGIN SELECT RAISE(ABORT, 'disk full (test)'); END;",
    )
    .unwrap();
    let mut r = rig_with(store, vec![], 3);
    let o = buy_aapl(dec!(10));
    let report = r.exec.submit_all(ts_secs(1_001), vec![o.clone()]);
    match &report.entries[0].outcome {
        SubmitOutcome::NotSent { error } => assert!(error.contains("disk full"), "{error}"),
        other => panic!("expected NotSent, got {other:?}"),
    }
    assert_eq!(report.entries[0].attempts, 0);
    assert!(r.seen.lock().unwrap().submits.is_empty());
    assert!(r.sim.lock().unwrap().order(&o.client_order_id()).is_none());
}

#[test]
fn rate_limited_is_retried_with_the_same_id() {
    let limited = BrokerError::RateLimited {
        retry_after_secs: 1,
    };
    let mut r = rig(vec![limited.clone(), limited]);
    let o = buy_aapl(dec!(10));
    let report = r.exec.submit_all(ts_secs(1_001), vec![o.clone()]);
    let e = &report.entries[0];
    assert!(matches!(e.outcome, SubmitOutcome::Accepted { .. }), "{e:?}");
    assert_eq!(e.attempts, 3);
    assert_eq!(*r.waits.lock().unwrap(), vec![1, 2]);
    let seen = r.seen.lock().unwrap();
    assert!(seen
        .submits
        .iter()
        .all(|(id, _)| *id == o.client_order_id()));
    let submitted = &r.store.journal(&o.client_order_id()).unwrap()[1];
    assert_eq!(submitted.action, JournalAction::Submitted);
    assert_eq!(submitted.payload["attempts"], 3);
}

#[test]
fn transient_exhausted_is_reported_unknown_with_the_journal_intact() {
    let t = || BrokerError::Transient("connection reset".into());
    let mut r = rig(vec![t(), t(), t()]);
    let o = buy_aapl(dec!(10));
    let report = r.exec.submit_all(ts_secs(1_001), vec![o.clone()]);
    assert_eq!(report.unknown().count(), 1);
    assert_eq!(report.entries[0].attempts, 3);
    assert_eq!(*r.waits.lock().unwrap(), vec![1, 2]);
    assert_eq!(
        actions(&r.store, &o),
        vec![JournalAction::Intent, JournalAction::SendFailed]
    );
    let j = r.store.journal(&o.client_order_id()).unwrap();
    assert!(j[1].payload["error"]
        .as_str()
        .unwrap()
        .contains("connection reset"));
    let stored = r.store.order(&o.client_order_id()).unwrap().unwrap();
    assert_eq!(stored.status, OrderStatus::PendingNew);
    assert!(stored.reason.unwrap().starts_with("unknown: reconcile"));
    // Still open in the store: reconciliation will find it.
    assert_eq!(r.store.open_orders().unwrap().len(), 1);
}

#[test]
fn resend_after_a_crash_adopts_the_brokers_order() {
    let mut r = rig(vec![]);
    let o = buy_aapl(dec!(10));
    // The first run journaled and sent, then died before recording the answer.
    r.store.journal_intent(&o.to_request()).unwrap();
    r.sim.lock().unwrap().submit(o.to_request()).unwrap();
    // The restarted cycle plans the same order: same id.
    let again = buy_aapl(dec!(10));
    assert_eq!(again.client_order_id(), o.client_order_id());
    let report = r.exec.submit_all(ts_secs(1_005), vec![again]);
    let e = &report.entries[0];
    assert!(e.resend);
    match &e.outcome {
        SubmitOutcome::DuplicateAdopted { order } => {
            assert_eq!(order.broker_order_id.as_deref(), Some("sim-1"))
        }
        other => panic!("expected DuplicateAdopted, got {other:?}"),
    }
    let j = r.store.journal(&o.client_order_id()).unwrap();
    let last = j.last().unwrap();
    assert_eq!(last.action, JournalAction::Reconciled);
    assert_eq!(last.payload["event"], "duplicate_adopted");
    let stored = r.store.order(&o.client_order_id()).unwrap().unwrap();
    assert_eq!(stored.status, OrderStatus::New);
    assert_eq!(stored.broker_order_id.as_deref(), Some("sim-1"));
    // The exchange holds one order, not two.
    assert_eq!(r.sim.lock().unwrap().open_orders().len(), 1);
}

#[test]
fn a_retry_after_a_lost_answer_adopts_instead_of_trading_twice() {
    let store = memory_store();
    let sim = sim();
    sim.lock()
        .unwrap()
        .set_mark(&Symbol::new("AAPL"), Price(dec!(100)));
    let (mut broker, _seen) = ScriptedBroker::new(sim.clone(), store.clone());
    broker.lose_answers = 1;
    let mut exec = Executor::new(
        store.clone(),
        Box::new(broker),
        RetryPolicy { max_attempts: 3 },
        Box::new(NoBackoff),
    );
    let o = buy_aapl(dec!(10));
    let report = exec.submit_all(ts_secs(1_001), vec![o.clone()]);
    let e = &report.entries[0];
    assert!(
        matches!(e.outcome, SubmitOutcome::DuplicateAdopted { .. }),
        "{e:?}"
    );
    assert_eq!(e.attempts, 2);
    assert_eq!(sim.lock().unwrap().open_orders().len(), 1);
    assert_eq!(
        actions(&store, &o),
        vec![JournalAction::Intent, JournalAction::Reconciled]
    );
}

#[test]
fn an_order_past_pending_new_is_not_resent() {
    let mut r = rig(vec![]);
    let o = buy_aapl(dec!(10));
    r.exec.submit_all(ts_secs(1_001), vec![o.clone()]);
    let report = r.exec.submit_all(ts_secs(1_002), vec![o]);
    assert_eq!(
        report.entries[0].outcome,
        SubmitOutcome::AlreadyJournaled {
            status: OrderStatus::New
        }
    );
    assert_eq!(r.seen.lock().unwrap().submits.len(), 1);
}

#[test]
fn a_reject_is_recorded_with_its_reason() {
    let mut r = rig(vec![]);
    r.sim.lock().unwrap().add_instrument(Instrument {
        shortable: false,
        ..Instrument::infer(&"AAPL".into())
    });
    let o = planned("AAPL", Side::Sell, dec!(5), cycle(1_000, 1));
    let report = r.exec.submit_all(ts_secs(1_001), vec![o.clone()]);
    assert_eq!(
        report.entries[0].outcome,
        SubmitOutcome::Rejected {
            reason: "AAPL is not shortable".into()
        }
    );
    assert_eq!(
        actions(&r.store, &o),
        vec![JournalAction::Intent, JournalAction::Reject]
    );
    let stored = r.store.order(&o.client_order_id()).unwrap().unwrap();
    assert_eq!(stored.status, OrderStatus::Rejected);
    assert_eq!(stored.reason.as_deref(), Some("AAPL is not shortable"));
    assert!(r.store.open_orders().unwrap().is_empty());
}

#[test]
fn other_errors_are_unknown_without_retry() {
    let mut r = rig(vec![BrokerError::Other("HTTP 500".into())]);
    let o = buy_aapl(dec!(10));
    let report = r.exec.submit_all(ts_secs(1_001), vec![o]);
    assert_eq!(report.unknown().count(), 1);
    assert_eq!(report.entries[0].attempts, 1);
    assert!(r.waits.lock().unwrap().is_empty());
}

#[test]
fn fills_reach_the_store_once_and_expected_price_is_journaled() {
    let mut r = rig(vec![]);
    let mut o = buy_aapl(dec!(10));
    let cfg = optifire_core::config::SlippageModel {
        spread_bps: 1.0,
        impact_bps: 5.0,
    };
    // 10 shares of a 1,000-share bar is 1%: 1 + 5 = 6 bps over a 100.00 mid → 100.06.
    o.expected = Some(estimate(&cfg, Side::Buy, o.qty, 100.0, None, 1_000.0));
    r.exec.submit_all(ts_secs(1_001), vec![o.clone()]);
    let j = r.store.journal(&o.client_order_id()).unwrap();
    let exp = &j[1].payload["expected"];
    assert!(
        (exp["price"].as_f64().unwrap() - 100.06).abs() < 1e-9,
        "{exp}"
    );
    assert!((exp["cost_bps"].as_f64().unwrap() - 6.0).abs() < 1e-9);

    // Submission updates (the ack) carry no news: nothing journaled twice.
    let first = r.exec.apply_updates(ts_secs(1_002));
    assert!(first.fills.is_empty() && first.errors.is_empty());
    let bar = Bar {
        symbol: "AAPL".into(),
        ts: ts_secs(1_060),
        open: 101.0,
        high: 102.0,
        low: 100.0,
        close: 101.5,
        volume: 1_000.0,
    };
    r.sim
        .lock()
        .unwrap()
        .on_bar(&bar, SessionInfo::intraday())
        .unwrap();
    let applied = r.exec.apply_updates(ts_secs(1_061));
    assert!(applied.errors.is_empty(), "{:?}", applied.errors);
    assert_eq!(applied.fills.len(), 1);
    let f = &applied.fills[0];
    // No slippage configured at the exchange: the next bar's open.
    assert_eq!((f.qty, f.price), (Quantity(dec!(10)), Price(dec!(101))));
    let stored: Order = r.store.order(&o.client_order_id()).unwrap().unwrap();
    assert_eq!(stored.status, OrderStatus::Filled);
    assert_eq!(stored.filled_qty, Quantity(dec!(10)));
    assert_eq!(
        r.store.fills(ts_secs(0), ts_secs(10_000)).unwrap(),
        applied.fills
    );
    assert_eq!(
        actions(&r.store, &o),
        vec![
            JournalAction::Intent,
            JournalAction::Submitted,
            JournalAction::Ack,
            JournalAction::Fill
        ]
    );
    // A fill replayed by a reconnect is stored once and not handed to the ledger again; one
    // with the same id but other content is an error, never a second execution.
    r.seen.lock().unwrap().inject = vec![VenueUpdate::Fill(f.clone())];
    let again = r.exec.apply_updates(ts_secs(1_062));
    assert!(
        again.fills.is_empty() && again.errors.is_empty(),
        "{again:?}"
    );
    let mut changed = f.clone();
    changed.qty = Quantity(dec!(11));
    r.seen.lock().unwrap().inject = vec![VenueUpdate::Fill(changed)];
    let conflict = r.exec.apply_updates(ts_secs(1_063));
    assert!(conflict.fills.is_empty());
    assert_eq!(conflict.errors.len(), 1, "{:?}", conflict.errors);
    assert_eq!(r.store.fills(ts_secs(0), ts_secs(10_000)).unwrap().len(), 1);
}
