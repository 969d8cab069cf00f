//! One cycle end to end: targets → plan → shapers → router → expected cost → journal-first
//! submission → the simulated exchange's closing auction → fills in the store and the ledger.
//! Cash is worked by hand: no commission, no slippage at the exchange, MOC fills at the close.

mod exec_support;

use chrono::{NaiveTime, TimeZone, Utc};
use exec_support::*;
use optifire_core::domain::{
    Bar, Instrument, Money, OrderType, Price, Quantity, Symbol, TimeInForce,
};
use optifire_core::store::JournalAction;
use optifire_core::Timestamp;
use optifire_engine::exec::{
    apply_shapers, estimate_for_order, plan_orders, CycleId, Executor, NoBackoff, OrderShaper,
    PlanConfig, RetryPolicy, RouteDecision, Router, RouterConfig,
};
use optifire_venues::SessionInfo;
use rust_decimal_macros::dec;
use std::collections::BTreeMap;

fn utc(h: u32, m: u32) -> Timestamp {
    Timestamp::from(Utc.with_ymd_and_hms(2026, 11, 24, h, m, 0).unwrap())
}

#[test]
fn a_cycle_from_targets_to_the_ledger() {
    let store = memory_store();
    let sim = sim();
    let aapl = Symbol::new("AAPL");
    let spy = Symbol::new("SPY");
    {
        let mut x = sim.lock().unwrap();
        x.set_mark(&aapl, Price(dec!(190)));
        x.set_mark(&spy, Price(dec!(500)));
    }
    let (broker, _seen) = ScriptedBroker::new(sim.clone(), store.clone());
    let mut exec = Executor::new(
        store.clone(),
        Box::new(broker),
        RetryPolicy::default(),
        Box::new(NoBackoff),
    );
    let mut ledger = portfolio(&[]);

    // 15:45 EST: inside the MOC window before the 15:50 cutoff.
    let now = utc(20, 45);
    let cycle = CycleId { ts: now, seq: 1 };
    let targets: BTreeMap<Symbol, f64> = [(aapl.clone(), 0.1), (spy.clone(), -0.05)].into();
    let marks: BTreeMap<Symbol, f64> = [(aapl.clone(), 190.0), (spy.clone(), 500.0)].into();
    let plan = plan_orders(
        &targets,
        &ledger,
        &BTreeMap::new(),
        &marks,
        100_000.0,
        &Instrument::infer,
        cycle,
        &PlanConfig::default(),
    );
    let mut shapers: Vec<Box<dyn OrderShaper>> = vec![Box::new(
        optifire_plugins::exec::batch_orders::BatchOrders::default(),
    )];
    let mut orders = apply_shapers(&mut shapers, now, plan.orders).orders;
    let router = Router::new(RouterConfig {
        use_limits: false,
        limit_offset_bps: 5.0,
        use_moc: true,
        moc_cutoff: NaiveTime::from_hms_opt(15, 50, 0).unwrap(),
        moc_window_mins: 30,
        price_decimals: 2,
    });
    let slip = optifire_core::config::SlippageModel {
        spread_bps: 1.0,
        impact_bps: 5.0,
    };
    for o in &mut orders {
        let d = router.route(now, o, None);
        assert!(matches!(d, RouteDecision::MarketOnClose { .. }));
        let mid = o.reference_price.unwrap();
        o.expected = Some(estimate_for_order(
            &slip,
            &o.order_type,
            o.side,
            o.qty,
            mid,
            None,
            1e6,
        ));
    }
    let report = exec.submit_all(now, orders.clone());
    assert_eq!(report.live().count(), 2, "{report:?}");
    for o in &orders {
        let stored = store.order(&o.client_order_id()).unwrap().unwrap();
        assert_eq!(stored.request.order_type, OrderType::MarketOnClose);
        assert_eq!(stored.request.tif, TimeInForce::Cls);
    }

    // The 16:00 EST closing bars: AAPL closes 191, SPY 499.
    for (sym, close) in [("AAPL", 191.0), ("SPY", 499.0)] {
        let bar = Bar {
            symbol: sym.into(),
            ts: utc(21, 0),
            open: close,
            high: close,
            low: close,
            close,
            volume: 1e6,
        };
        sim.lock()
            .unwrap()
            .on_bar(&bar, SessionInfo::close())
            .unwrap();
    }
    let applied = exec.apply_updates(utc(21, 1));
    assert!(applied.errors.is_empty(), "{:?}", applied.errors);
    for f in &applied.fills {
        ledger.apply_fill(f).unwrap();
    }
    // Buy 52 AAPL @ 191 = 9,932; sell 10 SPY @ 499 = 4,990: 100,000 − 9,932 + 4,990 = 95,058.
    assert_eq!(ledger.qty(&aapl), Quantity(dec!(52)));
    assert_eq!(ledger.qty(&spy), Quantity(dec!(-10)));
    assert_eq!(ledger.cash, Money(dec!(95058)));
    assert_eq!(&ledger, sim.lock().unwrap().portfolio());
    for o in &orders {
        let j = store.journal(&o.client_order_id()).unwrap();
        assert_eq!(j.last().unwrap().action, JournalAction::Fill);
        assert!(j[1].payload["expected"]["price"].as_f64().is_some());
    }
    assert!(store.open_orders().unwrap().is_empty());
}
