//! Crash safety across a real process death: a child process submits a cycle's orders through
//! the executor with a file-backed SQLite store and a file-backed broker, and dies (abort or
//! SIGKILL) either after an intent is durable but before the broker call, or after the broker
//! accepted but before the store recorded the answer. The parent then restarts from the files
//! and recovers; it must lose no order, send none twice, and end with books equal to the
//! broker's.
//!
//! The child is this same test binary, re-run with `OPTIFIRE_CRASH_ROLE` set so that only
//! `child_process_entry` does anything.

mod reconcile_support;

use optifire_core::domain::{ClientOrderId, OrderStatus, Quantity, Side, Symbol};
use optifire_core::store::{JournalAction, Store};
use optifire_core::Timestamp;
use optifire_engine::exec::{Executor, NoBackoff, PlannedOrder, RetryPolicy, SubmitOutcome};
use optifire_engine::reconcile::{
    Action, DifferenceKind, PendingPolicy, ReconcilePolicy, Reconciler, NEVER_SENT_REASON,
};
use reconcile_support::*;
use rust_decimal_macros::dec;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

const ROLE: &str = "OPTIFIRE_CRASH_ROLE";
const DIR: &str = "OPTIFIRE_CRASH_DIR";
const DECIDED: i64 = 2_000;
const RESTART: i64 = 3_000;

/// The cycle the child was sending when it died.
fn plan() -> Vec<PlannedOrder> {
    let c = cycle(DECIDED, 1);
    vec![
        planned("SPY", Side::Buy, dec!(10), c),
        planned("QQQ", Side::Buy, dec!(5), c),
        planned("IWM", Side::Buy, dec!(7), c),
    ]
}

fn ids() -> Vec<ClientOrderId> {
    plan().iter().map(PlannedOrder::client_order_id).collect()
}

fn paths(dir: &Path) -> (PathBuf, PathBuf) {
    (dir.join("store.db"), dir.join("venue.jsonl"))
}

fn executor(store: &Arc<dyn Store>, broker: &TestBroker) -> Executor {
    Executor::new(
        store.clone(),
        Box::new(broker.clone()),
        RetryPolicy::default(),
        Box::new(NoBackoff),
    )
}

/// Not a test of its own: the child's body, inert unless the parent set `OPTIFIRE_CRASH_ROLE`.
#[test]
fn child_process_entry() {
    let Ok(role) = std::env::var(ROLE) else {
        return;
    };
    let dir = PathBuf::from(std::env::var(DIR).expect("crash dir"));
    let (db, log) = paths(&dir);
    let store = file_store(&db);
    let broker = TestBroker::open(&log);
    match role.as_str() {
        "before_send" => broker.set_crash(CrashPoint::BeforeSend(2), Death::Abort),
        "after_ack" => broker.set_crash(CrashPoint::AfterAck(2), Death::SigKill),
        other => panic!("unknown role {other}"),
    }
    let mut exec = executor(&store, &broker);
    exec.submit_all(Timestamp::from_secs(DECIDED), plan());
    // Reaching this line means the crash point was never hit.
    std::process::exit(3);
}

/// Prepares the venue (marks for the buying-power check), runs the child until it dies and
/// checks the state it left: order 1 acknowledged, order 2 journaled only, order 3 never
/// decided; at the broker order 2 is absent (before send) or accepted (after ack).
fn crash_child(role: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let (db, log) = paths(dir.path());
    {
        let venue = TestBroker::open(&log);
        for (s, px) in [("SPY", 100.0), ("QQQ", 200.0), ("IWM", 50.0)] {
            venue.on_bar(bar(s, 1_000, px, px));
        }
    }
    let status = Command::new(std::env::current_exe().unwrap())
        .args([
            "child_process_entry",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ROLE, role)
        .env(DIR, dir.path())
        .status()
        .unwrap();
    let expected_signal = if role == "before_send" { 6 } else { 9 };
    assert_eq!(
        status.signal(),
        Some(expected_signal),
        "child must die by signal {expected_signal}, got {status:?}"
    );

    let store = file_store(&db);
    let venue = TestBroker::open(&log);
    let [a, b, c] = <[ClientOrderId; 3]>::try_from(ids()).unwrap();
    let actions = |id: &ClientOrderId| -> Vec<JournalAction> {
        store
            .journal(id)
            .unwrap()
            .iter()
            .map(|e| e.action)
            .collect()
    };
    assert_eq!(store.order(&a).unwrap().unwrap().status, OrderStatus::New);
    assert_eq!(
        actions(&a),
        [
            JournalAction::Intent,
            JournalAction::Submitted,
            JournalAction::Ack
        ]
    );
    assert_eq!(
        store.order(&b).unwrap().unwrap().status,
        OrderStatus::PendingNew
    );
    assert_eq!(actions(&b), [JournalAction::Intent]);
    assert!(store.order(&c).unwrap().is_none());
    assert_eq!(venue.attempts(&a), ["accepted"]);
    let at_broker: &[&str] = if role == "before_send" {
        &[]
    } else {
        &["accepted"]
    };
    assert_eq!(venue.attempts(&b), at_broker);
    assert!(venue.attempts(&c).is_empty());
    dir
}

/// Fills every working order at the next bar's open and folds the fills into store and ledger.
fn fill_all(
    exec: &mut Executor,
    venue: &TestBroker,
    portfolio: &mut optifire_core::domain::Portfolio,
) {
    for (s, open) in [("SPY", 101.0), ("QQQ", 202.0), ("IWM", 55.0)] {
        venue.on_bar(bar(s, 4_000, open, open));
    }
    let applied = exec.apply_updates(Timestamp::from_secs(4_000));
    assert!(applied.errors.is_empty(), "{:?}", applied.errors);
    for f in &applied.fills {
        portfolio.apply_fill(f).unwrap();
    }
}

fn qty(p: &optifire_core::domain::Portfolio, s: &str) -> Quantity {
    p.qty(&Symbol::new(s))
}

/// Restart, replay the interrupted cycle (same deterministic ids), then reconcile.
fn recover_by_replaying_the_cycle(role: &str) {
    let dir = crash_child(role);
    let (db, log) = paths(dir.path());
    let store = file_store(&db);
    let venue = TestBroker::open(&log);
    let mut exec = executor(&store, &venue);
    let mut portfolio = fresh_portfolio();
    let mut rec = Reconciler::restore(store.as_ref(), ReconcilePolicy::default()).unwrap();
    let now = Timestamp::from_secs(RESTART);
    let [a, b, c] = <[ClientOrderId; 3]>::try_from(ids()).unwrap();

    let report = exec.submit_all(now, plan());
    let outcome = |i: usize| &report.entries[i].outcome;
    assert_eq!(
        *outcome(0),
        SubmitOutcome::AlreadyJournaled {
            status: OrderStatus::New
        }
    );
    assert!(report.entries[1].resend);
    match role {
        "before_send" => assert!(matches!(outcome(1), SubmitOutcome::Accepted { .. })),
        _ => assert!(
            matches!(outcome(1), SubmitOutcome::DuplicateAdopted { .. }),
            "{:?}",
            outcome(1)
        ),
    }
    assert!(matches!(outcome(2), SubmitOutcome::Accepted { .. }));

    let r = rec.run(store.as_ref(), exec.broker_mut(), &mut portfolio, now);
    assert!(r.is_clean(), "{:#?}", r.differences);

    fill_all(&mut exec, &venue, &mut portfolio);
    let r = rec.run(
        store.as_ref(),
        exec.broker_mut(),
        &mut portfolio,
        Timestamp::from_secs(4_001),
    );
    assert!(r.is_clean(), "{:#?}", r.differences);
    assert!(rec.allows_new_risk());

    // Nothing lost: every decided order ended filled, each at its own size.
    for id in [&a, &b, &c] {
        assert_eq!(
            store.order(id).unwrap().unwrap().status,
            OrderStatus::Filled
        );
    }
    assert_eq!(qty(&portfolio, "SPY"), Quantity(dec!(10)));
    assert_eq!(qty(&portfolio, "QQQ"), Quantity(dec!(5)));
    assert_eq!(qty(&portfolio, "IWM"), Quantity(dec!(7)));
    // 100,000 − 10 × 101 − 5 × 202 − 7 × 55 (no commission, no slippage).
    assert_eq!(portfolio.cash, money(dec!(97595)));
    // Nothing sent twice: one acceptance per id; the resend after the ack was a duplicate.
    assert_eq!(venue.attempts(&a), ["accepted"]);
    let b_attempts: &[&str] = if role == "before_send" {
        &["accepted"]
    } else {
        &["accepted", "duplicate"]
    };
    assert_eq!(venue.attempts(&b), b_attempts);
    assert_eq!(venue.attempts(&c), ["accepted"]);
}

#[test]
fn abort_before_send_then_replay_sends_the_lost_order_once() {
    recover_by_replaying_the_cycle("before_send");
}

#[test]
fn sigkill_after_ack_then_replay_adopts_the_duplicate() {
    recover_by_replaying_the_cycle("after_ack");
}

/// Restart and reconcile first: reconciliation alone settles order 2 (queued for resend, or
/// adopted from the broker); order 3 was never decided durably, so nothing of it exists.
fn recover_by_reconciling(role: &str, pending: PendingPolicy) {
    let dir = crash_child(role);
    let (db, log) = paths(dir.path());
    let store = file_store(&db);
    let venue = TestBroker::open(&log);
    let mut exec = executor(&store, &venue);
    let mut portfolio = fresh_portfolio();
    let policy = ReconcilePolicy {
        pending,
        ..ReconcilePolicy::default()
    };
    let mut rec = Reconciler::restore(store.as_ref(), policy).unwrap();
    let now = Timestamp::from_secs(RESTART);
    let [a, b, c] = <[ClientOrderId; 3]>::try_from(ids()).unwrap();

    let r = rec.run(store.as_ref(), exec.broker_mut(), &mut portfolio, now);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(r.differences.len(), 1, "{:#?}", r.differences);
    let d = &r.differences[0];
    assert_eq!(d.client_order_id.as_ref(), Some(&b));
    assert!(d.is_explained());
    assert!(rec.allows_new_risk());
    let last = store.journal(&b).unwrap().last().unwrap().clone();
    assert_eq!(last.action, JournalAction::Reconciled);
    assert_eq!(last.payload["event"], d.kind.as_str());

    let mut b_final = OrderStatus::Filled;
    let mut b_attempts: Vec<&str> = vec!["accepted"];
    match (role, pending) {
        ("before_send", PendingPolicy::Resend { .. }) => {
            assert_eq!(d.kind, DifferenceKind::NeverSent);
            assert_eq!(d.action, Action::QueuedForResend);
            assert_eq!(r.resend.len(), 1);
            assert_eq!(r.resend[0].to_request(), plan()[1].to_request());
            let sent = exec.submit_all(now, r.resend.clone());
            assert!(sent.entries[0].resend);
            assert!(matches!(
                sent.entries[0].outcome,
                SubmitOutcome::Accepted { .. }
            ));
        }
        ("before_send", PendingPolicy::MarkNotSent) => {
            assert_eq!(d.kind, DifferenceKind::NeverSent);
            assert_eq!(d.action, Action::MarkedNotSent);
            assert!(r.resend.is_empty());
            let o = store.order(&b).unwrap().unwrap();
            assert_eq!(o.reason.as_deref(), Some(NEVER_SENT_REASON));
            b_final = OrderStatus::Rejected;
            b_attempts.clear();
        }
        ("after_ack", _) => {
            assert_eq!(d.kind, DifferenceKind::OrderState);
            assert_eq!(d.action, Action::AdoptedOrder);
            assert!(r.resend.is_empty());
            assert_eq!(store.order(&b).unwrap().unwrap().status, OrderStatus::New);
        }
        _ => unreachable!(),
    }

    fill_all(&mut exec, &venue, &mut portfolio);
    let r = rec.run(
        store.as_ref(),
        exec.broker_mut(),
        &mut portfolio,
        Timestamp::from_secs(4_001),
    );
    assert!(r.is_clean(), "{:#?}", r.differences);
    assert_eq!(
        store.order(&a).unwrap().unwrap().status,
        OrderStatus::Filled
    );
    assert_eq!(store.order(&b).unwrap().unwrap().status, b_final);
    assert!(store.order(&c).unwrap().is_none());
    assert!(venue.attempts(&c).is_empty());
    assert_eq!(venue.attempts(&a), ["accepted"]);
    assert_eq!(venue.attempts(&b), b_attempts);
    let qqq = if b_final == OrderStatus::Filled {
        dec!(5)
    } else {
        dec!(0)
    };
    assert_eq!(qty(&portfolio, "SPY"), Quantity(dec!(10)));
    assert_eq!(qty(&portfolio, "QQQ"), Quantity(qqq));
    assert_eq!(qty(&portfolio, "IWM"), Quantity::ZERO);
    assert_eq!(
        portfolio.cash,
        money(dec!(100000) - dec!(10) * dec!(101) - qqq * dec!(202))
    );
}

const RESEND_WITHIN_AN_HOUR: PendingPolicy = PendingPolicy::Resend {
    max_age_secs: 3_600,
};

#[test]
fn abort_before_send_then_reconcile_resends_under_the_same_id() {
    recover_by_reconciling("before_send", RESEND_WITHIN_AN_HOUR);
}

#[test]
fn abort_before_send_then_reconcile_retires_the_order_by_default() {
    recover_by_reconciling("before_send", PendingPolicy::MarkNotSent);
}

#[test]
fn sigkill_after_ack_then_reconcile_adopts_the_broker_state() {
    recover_by_reconciling("after_ack", RESEND_WITHIN_AN_HOUR);
}
