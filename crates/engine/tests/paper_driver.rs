//! The paper driver takes the backtest's path: on the same bars, config and exchange it makes
//! the same orders and gets the same fills (the reference is `run_backtest`, the driver that
//! issue 5's cross-checks against backtrader validate). And the command channel: manual orders
//! over the per-symbol and the gross caps are refused with the risk engine's rule and reason, a
//! risk-reducing one is sent, a working order is cancelled, a plugin runs on demand.

use chrono::NaiveDate;
use optifire_core::bus::Bus;
use optifire_core::clock::{Clock, SimulatedClock};
use optifire_core::config::ConfigSet;
use optifire_core::domain::{OrderStatus, OrderType, Quantity, Side, Symbol, TimeInForce};
use optifire_core::event::Event;
use optifire_core::store::{SqliteStore, Store};
use optifire_core::Timestamp;
use optifire_engine::backtest::{run_backtest, BacktestSpec};
use optifire_engine::cycle::ManualOrder;
use optifire_engine::drivers::{
    paper_replay, ControlError, DriverOptions, Pace, PaperSpec, RealWaiter, SimWaiter, StopReason,
};
use optifire_engine::exec::SubmitOutcome;
use rust_decimal::Decimal;
use std::path::PathBuf;
use std::sync::Arc;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

const FROM: &str = "2025-06-02";
const TO: &str = "2025-09-30";

fn backtest() -> optifire_engine::backtest::BacktestResult {
    let registry = optifire_plugins::registry();
    let set = ConfigSet::embedded(&registry).unwrap();
    let mut spec = BacktestSpec::new(
        set.config,
        set.features,
        registry,
        root().join("data/sample"),
    );
    spec.from = Some(date(FROM));
    spec.to = Some(date(TO));
    run_backtest(spec).unwrap()
}

/// A paper session over the backtest's window on a simulated clock, with the backtest's
/// engine options (no budget disabling, which depends on the machine).
fn paper(clock: SimulatedClock, store: Arc<dyn Store>, stop_when_finished: bool) -> PaperSpec {
    let registry = optifire_plugins::registry();
    let set = ConfigSet::embedded(&registry).unwrap();
    let options = BacktestSpec::new(
        set.config.clone(),
        set.features.clone(),
        optifire_plugins::registry(),
        PathBuf::new(),
    )
    .options;
    let mut spec = PaperSpec::new(
        set.config,
        set.features,
        registry,
        root().join("data/sample"),
        store,
        Bus::new(4096),
        Arc::new(clock.clone()),
        Box::new(SimWaiter { clock }),
    );
    spec.from = Some(date(FROM));
    spec.to = Some(date(TO));
    // One instant a (simulated) second: the clock moves, so periodic reconciliation runs too.
    spec.pace = Pace::BarsPerSecond(1.0);
    spec.options = options;
    spec.driver = DriverOptions {
        stop_when_finished,
        reconcile_every_secs: Some(20),
        ..DriverOptions::default()
    };
    spec
}

fn memory_store() -> Arc<dyn Store> {
    Arc::new(SqliteStore::open_in_memory().unwrap())
}

#[test]
fn paper_replay_makes_the_backtests_orders_and_fills() {
    let expected = backtest();
    assert!(
        expected.fills.len() >= 5,
        "the window must trade for the comparison to mean something: {} fills",
        expected.fills.len()
    );

    let clock = SimulatedClock::new(Timestamp::from_secs(1_700_000_000));
    let store = memory_store();
    let prepared = paper_replay(paper(clock.clone(), store.clone(), true)).unwrap();
    let handle = prepared.handle.clone();
    let out = prepared.driver.run();
    drop(handle);

    assert_eq!(out.stopped, StopReason::FeedFinished);
    assert_eq!(out.cycles as usize, expected.cycles);
    assert_eq!(out.engine.fills(), expected.fills.as_slice());
    assert_eq!(out.engine.equity().points(), expected.equity.as_slice());
    let mut orders = store.orders(None, 1_000_000).unwrap();
    orders.sort_by(|a, b| {
        (a.request.created_at, &a.request.client_order_id.0)
            .cmp(&(b.request.created_at, &b.request.client_order_id.0))
    });
    // The backtest's last orders are still working when its data ends; the paper session
    // cancels its simulated working orders when it stops. Everything else is identical.
    assert_eq!(orders.len(), expected.orders.len());
    for (p, b) in orders.iter().zip(&expected.orders) {
        assert_eq!(p.request, b.request);
        if b.status.is_terminal() {
            assert_eq!(p, b);
        } else {
            assert_eq!(p.status, OrderStatus::Canceled, "{:?}", p.request);
        }
    }
    // Paced: the instants were released one simulated second apart.
    assert!(
        clock.now().0 - 1_700_000_000_000_000_000 >= (expected.cycles as i64 - 1) * 1_000_000_000
    );
}

fn manual(symbol: &str, side: Side, qty: i64) -> ManualOrder {
    ManualOrder {
        symbol: Symbol::new(symbol),
        side,
        qty: Quantity(Decimal::from(qty)),
        order_type: OrderType::Market,
        tif: TimeInForce::Day,
    }
}

#[test]
fn commands_place_refuse_cancel_and_run_between_cycles() {
    let clock = SimulatedClock::new(Timestamp::from_secs(1_700_000_000));
    let store = memory_store();
    let mut spec = paper(clock.clone(), store.clone(), false);
    spec.pace = Pace::Unpaced;
    // A clock that does not move: the waiter blocks on the command channel, woken by commands.
    spec.waiter = Box::new(RealWaiter::new(Arc::new(clock.clone())));
    let prepared = paper_replay(spec).unwrap();
    let handle = prepared.handle.clone();
    let engine_thread = std::thread::spawn(move || prepared.driver.run());

    // Wait (bounded by commands, not time) until the replay is done.
    let mut status = handle.status().unwrap();
    while !status.feed_finished {
        status = handle.status().unwrap();
    }
    let last = status.now.expect("cycled");
    assert_eq!(last.ny_date(), date(TO));

    // AAPL closed 2025-09-30 near $255: 200 shares are about half of the $100,000 account,
    // far over the 10% per-symbol cap.
    let refused = handle
        .place_order(manual("AAPL", Side::Buy, 200))
        .unwrap_err();
    match &refused {
        ControlError::RiskRefused { rule, reason } => {
            assert_eq!(rule, "max_exposure_symbol");
            assert!(reason.contains("AAPL post-trade weight"), "{reason}");
            assert!(reason.contains("exceeds the limit"), "{reason}");
        }
        other => panic!("expected a risk refusal, got {other:?}"),
    }

    // The plugins keep the book at its 30% gross cap, so even two more AAPL shares would
    // breach it: the total limit is checked too.
    match handle
        .place_order(manual("AAPL", Side::Buy, 2))
        .unwrap_err()
    {
        ControlError::RiskRefused { rule, .. } => assert_eq!(rule, "max_exposure_total"),
        other => panic!("expected a risk refusal, got {other:?}"),
    }

    // Selling one share of a long position reduces risk: it passes, is journaled and sent to
    // the simulated exchange.
    let held = store
        .latest_positions()
        .unwrap()
        .into_iter()
        .find(|p| p.qty.0 >= Decimal::ONE)
        .expect("the replay leaves long positions");
    // The last cycle's rebalancing orders still wait for a next bar.
    let working = status.open_orders;
    let placed = handle
        .place_order(manual(held.symbol.as_str(), Side::Sell, 1))
        .unwrap();
    assert!(
        placed.decisions.iter().any(|d| d.rule == "risk_reducing"),
        "{:?}",
        placed.decisions
    );
    let SubmitOutcome::Accepted { order } = &placed.entry.outcome else {
        panic!("not accepted: {:?}", placed.entry.outcome);
    };
    assert!(
        placed.decisions.iter().all(|d| d.approved),
        "{:?}",
        placed.decisions
    );
    let id = order.request.client_order_id.clone();
    assert_eq!(order.request.created_at, last);
    assert_eq!(handle.status().unwrap().open_orders, working + 1);
    let stored = store.order(&id).unwrap().expect("journaled");
    assert!(!stored.status.is_terminal());

    // No bar follows, so the market order is still working: cancel it.
    let canceled = handle.cancel_order(id.clone()).unwrap();
    assert_eq!(canceled.status, OrderStatus::Canceled);
    assert_eq!(
        store.order(&id).unwrap().unwrap().status,
        OrderStatus::Canceled
    );
    assert_eq!(handle.status().unwrap().open_orders, working);
    assert!(matches!(
        handle.cancel_order(id),
        Err(ControlError::Broker(_)) | Err(ControlError::UnknownOrder(_))
    ));

    let run = handle.run_plugin("fe_kalman").unwrap();
    assert_eq!(run.plugin_id, "fe_kalman");
    assert_eq!(
        handle.run_plugin("no_such_plugin").unwrap_err(),
        ControlError::UnknownPlugin("no_such_plugin".into())
    );
    // The operator's losing-streak reset reaches the running engine (it answers the streak it
    // cleared; this session's trades are not five losses in a row).
    assert!(handle.reset_losing_streak("operator: test").unwrap() < 5);

    handle.stop();
    let out = engine_thread.join().unwrap();
    assert_eq!(out.stopped, StopReason::Asked);
    assert!(matches!(handle.status(), Err(ControlError::Stopped)));

    // The refusal is on record with its rule.
    let events = store.events_after(0, 100_000).unwrap();
    assert!(events.iter().any(|(_, e)| matches!(e,
        Event::Risk { decision, .. }
            if decision.rule == "max_exposure_symbol" && !decision.approved
    )));
}

#[test]
fn an_unexplained_difference_at_start_up_halts_new_risk_until_acknowledged() {
    use optifire_core::domain::{ClientOrderId, Order, OrderRequest};
    // An earlier session left an order working that this fresh simulated exchange has never
    // seen: reconciliation at start-up calls it lost, which nothing explains.
    let store = memory_store();
    let req = OrderRequest {
        client_order_id: ClientOrderId("of-earlier-session".into()),
        symbol: Symbol::new("SPY"),
        side: Side::Buy,
        qty: Quantity(Decimal::from(3)),
        order_type: OrderType::Market,
        tif: TimeInForce::Day,
        created_at: Timestamp::from_secs(1_600_000_000),
    };
    store.journal_intent(&req).unwrap();
    store
        .upsert_order(&Order {
            status: OrderStatus::New,
            broker_order_id: Some("sim-1".into()),
            ..Order::new(req.clone())
        })
        .unwrap();

    let clock = SimulatedClock::new(Timestamp::from_secs(1_700_000_000));
    let mut spec = paper(clock.clone(), store.clone(), false);
    spec.pace = Pace::Unpaced;
    spec.waiter = Box::new(RealWaiter::new(Arc::new(clock.clone())));
    let prepared = paper_replay(spec).unwrap();
    let handle = prepared.handle.clone();
    let engine_thread = std::thread::spawn(move || prepared.driver.run());

    let status = handle.status().unwrap();
    let halt = status.halt.expect("halted at start-up");
    assert!(
        halt.reason.contains("of-earlier-session"),
        "{}",
        halt.reason
    );
    assert_eq!(
        store.order(&req.client_order_id).unwrap().unwrap().status,
        OrderStatus::Canceled,
        "the broker's truth (no such order) is adopted"
    );

    // New risk is refused while halted: the halt is a failed required risk input.
    match handle
        .place_order(manual("AAPL", Side::Buy, 1))
        .unwrap_err()
    {
        ControlError::RiskRefused { rule, reason } => {
            assert_eq!(rule, "fail_closed");
            assert!(
                reason.contains("engine_reconcile: trading halted"),
                "{reason}"
            );
        }
        other => panic!("expected a risk refusal, got {other:?}"),
    }

    let lifted = handle.acknowledge_halt("checked by ops").unwrap();
    assert_eq!(lifted.map(|h| h.since), Some(halt.since));
    assert!(handle.status().unwrap().halt.is_none());

    handle.stop();
    assert_eq!(engine_thread.join().unwrap().stopped, StopReason::Asked);
}
