//! The halt reaches the risk engine: its `gate_reason` handed over as a failed required input
//! lets only risk-reducing targets through, and an acknowledged halt lets new risk through
//! again. Also: a reconciliation that could not write its records halts (fail closed).

mod reconcile_support;
#[path = "risk_support/mod.rs"]
mod risk_support;

use optifire_core::domain::Side;
use optifire_core::Timestamp;
use optifire_engine::exec::{Executor, NoBackoff, RetryPolicy};
use optifire_engine::reconcile::{DifferenceKind, ReconcilePolicy, Reconciler, HALT_STATE_ID};
use optifire_engine::risk::RiskEngine;
use reconcile_support::{bar, cycle, file_store, fresh_portfolio, planned, TestBroker};
use risk_support::{cfg, close, get, targets, Fixture};
use rust_decimal_macros::dec;

#[test]
fn a_halt_closes_the_risk_gate_until_acknowledged() {
    let store = reconcile_support::memory_store();
    let venue = TestBroker::memory();
    venue.drift("AAPL", dec!(5));
    let mut broker = venue.clone();
    let mut portfolio = fresh_portfolio();
    let mut rec = Reconciler::new(ReconcilePolicy::default());
    rec.run(
        store.as_ref(),
        &mut broker,
        &mut portfolio,
        Timestamp::from_secs(3_000),
    );
    let halt = rec.trading_halted().expect("halted").clone();

    // The risk fixture holds 50 AAPL at 100: weight 0.05 of 100,000.
    let mut f = Fixture::new();
    f.trade("AAPL", 50, 100);
    f.failed = vec![halt.gate_reason()];
    let mut risk = RiskEngine::new(cfg());
    let want = targets(&[("AAPL", 0.08), ("MSFT", 0.05)]);
    let out = risk.apply_targets(&want, &f.inputs());
    assert!(close(get(&out.targets, "AAPL"), 0.05), "held, not grown");
    assert_eq!(get(&out.targets, "MSFT"), 0.0, "nothing new opened");
    assert!(out
        .decisions
        .iter()
        .any(|d| d.rule == "fail_closed" && d.reason.contains("engine_reconcile: trading halted")));
    let reduce = risk.apply_targets(&targets(&[("AAPL", 0.02)]), &f.inputs());
    assert!(close(get(&reduce.targets, "AAPL"), 0.02), "reducing passes");

    rec.acknowledge(store.as_ref(), Timestamp::from_secs(3_100), "ops")
        .unwrap();
    f.failed = rec
        .trading_halted()
        .map(|h| vec![h.gate_reason()])
        .unwrap_or_default();
    let out = RiskEngine::new(cfg()).apply_targets(&want, &f.inputs());
    assert!(close(get(&out.targets, "AAPL"), 0.08));
    assert!(close(get(&out.targets, "MSFT"), 0.05));
}

#[test]
fn records_that_cannot_be_written_halt_trading() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    let store = file_store(&db);
    let venue = TestBroker::memory();
    venue.on_bar(bar("SPY", 1_000, 100.0, 100.0));
    let order = planned("SPY", Side::Buy, dec!(1), cycle(2_000, 1));
    store.journal_intent(&order.to_request()).unwrap();
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch(
        "CREATE TRIGGER inject_fault BEFORE INSERT ON order_journal
         WHEN NEW.action = 'reconciled'
         BEGIN SELECT RAISE(ABORT, 'injected journal failure'); END;",
    )
    .unwrap();
    let mut exec = Executor::new(
        store.clone(),
        Box::new(venue),
        RetryPolicy::default(),
        Box::new(NoBackoff),
    );
    let mut rec = Reconciler::new(ReconcilePolicy::default());
    let mut portfolio = fresh_portfolio();
    let r = rec.run(
        store.as_ref(),
        exec.broker_mut(),
        &mut portfolio,
        Timestamp::from_secs(3_000),
    );
    assert_eq!(r.differences.len(), 1);
    assert_eq!(r.differences[0].kind, DifferenceKind::NeverSent);
    assert!(r.differences[0].is_explained());
    assert_eq!(r.errors.len(), 1, "{:?}", r.errors);
    assert!(r.errors[0].contains("injected journal failure"));
    let halt = rec.trading_halted().expect("halted");
    assert!(
        halt.reason
            .starts_with("reconciliation incomplete, 1 store error(s)"),
        "{}",
        halt.reason
    );
    let state = store
        .plugin_states()
        .unwrap()
        .into_iter()
        .find(|s| s.plugin_id == HALT_STATE_ID)
        .unwrap();
    assert!(state.disabled);
    assert_eq!(state.breaches, 1);
}
