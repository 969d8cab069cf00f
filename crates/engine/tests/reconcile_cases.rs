//! Reconciliation case by case: each difference kind, how it is explained (or not), what is
//! written to the journal and the event log, and when trading halts.

mod reconcile_support;

use optifire_core::domain::{
    ClientOrderId, Fill, Money, Order, OrderStatus, Portfolio, Price, Quantity, Side, Symbol,
};
use optifire_core::event::{Event, Severity};
use optifire_core::store::{JournalAction, Store};
use optifire_core::venue::{Broker, VenueUpdate};
use optifire_core::Timestamp;
use optifire_engine::exec::{Executor, NoBackoff, RetryPolicy};
use optifire_engine::reconcile::{
    reconcile, Action, DifferenceKind, Observed, PendingPolicy, ReconcilePolicy, Reconciler,
    ALERT_SOURCE,
};
use reconcile_support::*;
use rust_decimal_macros::dec;
use std::sync::Arc;

struct Rig {
    store: Arc<dyn Store>,
    venue: TestBroker,
    exec: Executor,
    portfolio: Portfolio,
}

fn rig() -> Rig {
    let store = memory_store();
    let venue = TestBroker::memory();
    venue.on_bar(bar("SPY", 1_000, 100.0, 100.0));
    let exec = Executor::new(
        store.clone(),
        Box::new(venue.clone()),
        RetryPolicy::default(),
        Box::new(NoBackoff),
    );
    Rig {
        store,
        venue,
        exec,
        portfolio: fresh_portfolio(),
    }
}

fn ts(s: i64) -> Timestamp {
    Timestamp::from_secs(s)
}

/// Buys 10 SPY and fills it at 101 on the next bar, without draining the venue's updates.
fn buy_and_fill(r: &mut Rig) -> ClientOrderId {
    let o = planned("SPY", Side::Buy, dec!(10), cycle(2_000, 1));
    r.exec.submit_all(ts(2_000), vec![o.clone()]);
    r.venue.on_bar(bar("SPY", 4_000, 101.0, 101.0));
    o.client_order_id()
}

fn alerts(store: &dyn Store) -> Vec<(Severity, String)> {
    store
        .events_after(0, 1_000)
        .unwrap()
        .into_iter()
        .filter_map(|(_, e)| match e {
            Event::Alert {
                source,
                severity,
                message,
                ..
            } if source == ALERT_SOURCE => Some((severity, message)),
            _ => None,
        })
        .collect()
}

#[test]
fn fills_reported_while_not_listening_are_stored_journaled_and_applied() {
    let mut r = rig();
    let id = buy_and_fill(&mut r);
    let rep = reconcile(
        r.store.as_ref(),
        r.exec.broker_mut(),
        &mut r.portfolio,
        &ReconcilePolicy::default(),
        ts(5_000),
    );
    let kinds: Vec<_> = rep.differences.iter().map(|d| d.kind).collect();
    assert_eq!(
        kinds,
        [DifferenceKind::OrderState, DifferenceKind::MissingFill]
    );
    assert!(rep.unexplained().next().is_none());
    assert_eq!(rep.fills.len(), 1);
    assert_eq!(rep.fills[0].price, Price(dec!(101)));
    // The fill explains the position: no position or cash difference.
    assert_eq!(r.portfolio.qty(&Symbol::new("SPY")), Quantity(dec!(10)));
    assert_eq!(r.portfolio.cash, Money(dec!(98990)));
    assert_eq!(r.store.fills(ts(0), ts(10_000)).unwrap().len(), 1);
    assert_eq!(
        r.store.order(&id).unwrap().unwrap().status,
        OrderStatus::Filled
    );
    let actions: Vec<_> = r
        .store
        .journal(&id)
        .unwrap()
        .iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        [
            JournalAction::Intent,
            JournalAction::Submitted,
            JournalAction::Ack,
            JournalAction::Fill,
            JournalAction::Reconciled,
            JournalAction::Reconciled,
        ]
    );
    let a = alerts(r.store.as_ref());
    assert_eq!(a.len(), 2);
    assert_eq!(a[0].0, Severity::Warning);
    assert_eq!(a[1].0, Severity::Info);
    assert_eq!(rep.events.len(), 2);
    // A second pass finds nothing.
    let again = reconcile(
        r.store.as_ref(),
        r.exec.broker_mut(),
        &mut r.portfolio,
        &ReconcilePolicy::default(),
        ts(5_001),
    );
    assert!(again.is_clean(), "{:#?}", again.differences);
}

#[test]
fn a_live_order_the_broker_lost_is_canceled_and_halts_trading() {
    let mut r = rig();
    let o = planned("SPY", Side::Buy, dec!(10), cycle(2_000, 1));
    let req = o.to_request();
    r.store.journal_intent(&req).unwrap();
    let mut acked = Order::new(req.clone());
    acked.status = OrderStatus::New;
    acked.broker_order_id = Some("sim-77".into());
    r.store.upsert_order(&acked).unwrap();

    let mut rec = Reconciler::new(ReconcilePolicy::default());
    let rep = rec.run(
        r.store.as_ref(),
        r.exec.broker_mut(),
        &mut r.portfolio,
        ts(3_000),
    );
    assert_eq!(rep.differences.len(), 1);
    let d = &rep.differences[0];
    assert_eq!(d.kind, DifferenceKind::LostOrder);
    assert_eq!(d.action, Action::MarkedCanceled);
    assert_eq!(d.broker, Observed::Absent);
    assert!(!d.is_explained());
    let stored = r.store.order(&req.client_order_id).unwrap().unwrap();
    assert_eq!(stored.status, OrderStatus::Canceled);
    let last = r.store.journal(&req.client_order_id).unwrap();
    let last = last.last().unwrap();
    assert_eq!(last.action, JournalAction::Reconciled);
    assert_eq!(last.payload["event"], "lost_order");
    assert_eq!(last.payload["local"]["status"], "new");
    assert!(last.payload["explanation"].is_null());

    let halt = rec.trading_halted().expect("halted").clone();
    assert_eq!(halt.since, ts(3_000));
    assert!(halt.reason.starts_with("1 unexplained difference(s)"));
    let a = alerts(r.store.as_ref());
    assert_eq!(a.len(), 2, "one per difference plus the halt");
    assert!(a.iter().all(|(s, _)| *s == Severity::Critical));
    assert!(a[1].1.starts_with("trading halted"));
    assert_eq!(rep.events.len(), 2);

    // A later unexplained difference does not replace the halt in force.
    r.venue.drift("SPY", dec!(1));
    rec.run(
        r.store.as_ref(),
        r.exec.broker_mut(),
        &mut r.portfolio,
        ts(3_500),
    );
    assert_eq!(rec.trading_halted(), Some(&halt));
}

#[test]
fn without_halt_on_unexplained_the_difference_is_only_reported() {
    let mut r = rig();
    r.venue.drift("SPY", dec!(2));
    let policy = ReconcilePolicy {
        halt_on_unexplained: false,
        ..ReconcilePolicy::default()
    };
    let mut rec = Reconciler::new(policy);
    let rep = rec.run(
        r.store.as_ref(),
        r.exec.broker_mut(),
        &mut r.portfolio,
        ts(3_000),
    );
    assert_eq!(rep.unexplained().count(), 1);
    assert!(rec.allows_new_risk());
    assert_eq!(r.portfolio.qty(&Symbol::new("SPY")), Quantity(dec!(2)));
}

#[test]
fn a_position_gap_beyond_the_missing_fills_is_unexplained() {
    let mut r = rig();
    let id = buy_and_fill(&mut r);
    r.exec.broker_mut().drain_updates(); // the stream lost the fill
    r.venue.drift("SPY", dec!(2)); // and two more shares appeared
    let rep = reconcile(
        r.store.as_ref(),
        r.exec.broker_mut(),
        &mut r.portfolio,
        &ReconcilePolicy::default(),
        ts(5_000),
    );
    let kinds: Vec<_> = rep
        .differences
        .iter()
        .map(|d| (d.kind, d.is_explained()))
        .collect();
    assert_eq!(
        kinds,
        [
            (DifferenceKind::OrderState, true),
            (DifferenceKind::Position, false),
            // No position gap was explained, so nothing explains the cash either.
            (DifferenceKind::Cash, false),
        ]
    );
    assert_eq!(rep.differences[0].client_order_id, Some(id));
    assert_eq!(
        rep.differences[1].broker,
        Observed::Position {
            qty: Quantity(dec!(12)),
            avg_price: Price(dec!(101)),
        }
    );
    assert_eq!(r.portfolio.qty(&Symbol::new("SPY")), Quantity(dec!(12)));
    assert_eq!(r.portfolio.cash, Money(dec!(98990)));
    // The adopted ledger is snapshotted, so a restart starts from it.
    let snap = r.store.latest_position_snapshot().unwrap().unwrap();
    assert_eq!(snap.ts, ts(5_000));
    assert_eq!(snap.cash, Money(dec!(98990)));
}

#[test]
fn a_fill_reported_twice_with_different_content_is_kept_and_unexplained() {
    let mut r = rig();
    let id = buy_and_fill(&mut r);
    let applied = r.exec.apply_updates(ts(4_000));
    let stored = applied.fills[0].clone();
    for f in &applied.fills {
        r.portfolio.apply_fill(f).unwrap();
    }
    let forged = Fill {
        price: Price(dec!(99)),
        ..stored.clone()
    };
    r.venue.inject(VenueUpdate::Fill(forged.clone()));
    let rep = reconcile(
        r.store.as_ref(),
        r.exec.broker_mut(),
        &mut r.portfolio,
        &ReconcilePolicy::default(),
        ts(5_000),
    );
    assert_eq!(rep.differences.len(), 1, "{:#?}", rep.differences);
    let d = &rep.differences[0];
    assert_eq!(d.kind, DifferenceKind::ConflictingFill);
    assert_eq!(d.action, Action::KeptStored);
    assert_eq!(d.client_order_id, Some(id));
    assert_eq!(
        d.local,
        Observed::Fill {
            fill_id: stored.fill_id.to_string(),
            qty: Quantity(dec!(10)),
            price: Price(dec!(101)),
        }
    );
    assert!(!d.is_explained());
    assert_eq!(r.store.fills(ts(0), ts(10_000)).unwrap(), vec![stored]);
    assert_eq!(r.portfolio.cash, Money(dec!(98990)));
}

#[test]
fn old_or_foreign_intents_are_retired_not_resent() {
    let mut r = rig();
    let ours = planned("SPY", Side::Buy, dec!(1), cycle(2_000, 1)).to_request();
    let mut foreign = planned("SPY", Side::Buy, dec!(2), cycle(2_950, 1)).to_request();
    foreign.client_order_id = ClientOrderId("manual-7".into());
    r.store.journal_intent(&ours).unwrap();
    r.store.journal_intent(&foreign).unwrap();
    let policy = ReconcilePolicy {
        pending: PendingPolicy::Resend { max_age_secs: 60 },
        ..ReconcilePolicy::default()
    };
    let rep = reconcile(
        r.store.as_ref(),
        r.exec.broker_mut(),
        &mut r.portfolio,
        &policy,
        ts(3_000),
    );
    assert!(rep.resend.is_empty());
    let actions: Vec<_> = rep.differences.iter().map(|d| d.action.clone()).collect();
    assert_eq!(
        actions,
        [
            Action::NotResendable {
                why: "the intent is 1000 s old, over the 60 s limit".into()
            },
            Action::NotResendable {
                why: "the client id is not one the executor derives".into()
            },
        ]
    );
    for id in [&ours.client_order_id, &foreign.client_order_id] {
        assert_eq!(
            r.store.order(id).unwrap().unwrap().status,
            OrderStatus::Rejected
        );
    }
    assert!(r.venue.attempts(&ours.client_order_id).is_empty());
}

#[test]
fn cash_within_the_tolerance_is_left_alone() {
    let mut r = rig();
    r.portfolio.cash = Money(dec!(100000.01));
    let policy = ReconcilePolicy::default();
    let rep = reconcile(
        r.store.as_ref(),
        r.exec.broker_mut(),
        &mut r.portfolio,
        &policy,
        ts(3_000),
    );
    assert!(rep.is_clean());
    assert_eq!(r.portfolio.cash, Money(dec!(100000.01)));
    r.portfolio.cash = Money(dec!(100000.02));
    let rep = reconcile(
        r.store.as_ref(),
        r.exec.broker_mut(),
        &mut r.portfolio,
        &policy,
        ts(3_001),
    );
    assert_eq!(rep.differences.len(), 1);
    assert_eq!(rep.differences[0].kind, DifferenceKind::Cash);
    assert!(!rep.differences[0].is_explained());
    assert_eq!(r.portfolio.cash, Money(dec!(100000)));
    assert_eq!(r.venue.account().cash, Money(dec!(100000)));
}
