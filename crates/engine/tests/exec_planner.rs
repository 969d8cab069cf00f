//! The planner against hand-worked targets: rounding toward zero, fractional grids, closing of
//! dropped symbols, long/short splits, dust, and deterministic client ids. Expected quantities
//! were computed independently with Python's `decimal` module (40 digits).

mod exec_support;

use exec_support::*;
use optifire_core::domain::{Instrument, Quantity, Side, Symbol};
use optifire_engine::exec::{plan_orders, working_qty, CycleId, Leg, Plan, PlanConfig, PlanNote};
use rust_decimal_macros::dec;
use std::collections::BTreeMap;

fn targets(t: &[(&str, f64)]) -> BTreeMap<Symbol, f64> {
    t.iter().map(|(s, w)| (Symbol::new(s), *w)).collect()
}

fn plan(
    t: &[(&str, f64)],
    held: &[(&str, rust_decimal::Decimal, rust_decimal::Decimal)],
    marks: &[(&str, f64)],
    instruments: &dyn Fn(&Symbol) -> Instrument,
    c: CycleId,
) -> Plan {
    let marks: BTreeMap<Symbol, f64> = marks.iter().map(|(s, m)| (Symbol::new(s), *m)).collect();
    plan_orders(
        &targets(t),
        &portfolio(held),
        &BTreeMap::new(),
        &marks,
        100_000.0,
        instruments,
        c,
        &PlanConfig::default(),
    )
}

#[test]
fn whole_shares_round_toward_zero_with_a_note() {
    // 0.1 × 100,000 / 190 = 52.631578947368421052631578947… → 52 shares.
    let p = plan(
        &[("AAPL", 0.1)],
        &[],
        &[("AAPL", 190.0)],
        &Instrument::infer,
        cycle(1, 1),
    );
    assert_eq!(p.orders.len(), 1);
    let o = &p.orders[0];
    assert_eq!(
        (o.side, o.qty, o.leg),
        (Side::Buy, Quantity(dec!(52)), Leg::Adjust)
    );
    assert!(p.notes.iter().any(|n| matches!(n,
        PlanNote::Rounded { exact, rounded, .. }
            if *rounded == dec!(52) && exact.round_dp(20) == dec!(52.63157894736842105263))));
    // Short side rounds toward zero too: −52.63… → sell 52.
    let p = plan(
        &[("AAPL", -0.1)],
        &[],
        &[("AAPL", 190.0)],
        &Instrument::infer,
        cycle(1, 1),
    );
    assert_eq!(
        (p.orders[0].side, p.orders[0].qty),
        (Side::Sell, Quantity(dec!(52)))
    );
}

#[test]
fn fractionable_rounds_to_nine_decimals() {
    // 0.05 × 100,000 / 43,210 = 0.115713955102985420041657… → 0.115713955.
    let p = plan(
        &[("BTC-USD", 0.05)],
        &[],
        &[("BTC-USD", 43_210.0)],
        &Instrument::infer,
        cycle(1, 1),
    );
    assert_eq!(p.orders[0].qty, Quantity(dec!(0.115713955)));
    assert_eq!(p.orders[0].side, Side::Buy);
}

#[test]
fn delta_is_against_the_current_position() {
    // Target 0.2 × 100,000 / 400 = 50; holding 30 → buy 20. Target 10 while holding 30 → sell 20.
    let p = plan(
        &[("SPY", 0.2)],
        &[("SPY", dec!(30), dec!(400))],
        &[("SPY", 400.0)],
        &Instrument::infer,
        cycle(1, 1),
    );
    assert_eq!(
        (p.orders[0].side, p.orders[0].qty),
        (Side::Buy, Quantity(dec!(20)))
    );
    let p = plan(
        &[("SPY", 0.04)],
        &[("SPY", dec!(30), dec!(400))],
        &[("SPY", 400.0)],
        &Instrument::infer,
        cycle(1, 1),
    );
    assert_eq!(
        (p.orders[0].side, p.orders[0].qty),
        (Side::Sell, Quantity(dec!(20)))
    );
    // Already at target: no order, a note.
    let p = plan(
        &[("SPY", 0.12)],
        &[("SPY", dec!(30), dec!(400))],
        &[("SPY", 400.0)],
        &Instrument::infer,
        cycle(1, 1),
    );
    assert!(p.orders.is_empty());
    assert!(p.notes.contains(&PlanNote::NoChange {
        symbol: "SPY".into()
    }));
}

#[test]
fn held_symbols_absent_from_targets_are_closed() {
    let p = plan(
        &[],
        &[("MSFT", dec!(5), dec!(300)), ("TSLA", dec!(-3), dec!(200))],
        &[],
        &Instrument::infer,
        cycle(1, 1),
    );
    let got: Vec<_> = p
        .orders
        .iter()
        .map(|o| (o.symbol.as_str(), o.side, o.qty))
        .collect();
    assert_eq!(
        got,
        vec![
            ("MSFT", Side::Sell, Quantity(dec!(5))),
            ("TSLA", Side::Buy, Quantity(dec!(3)))
        ]
    );
    assert!(p.notes.contains(&PlanNote::ClosedAbsent {
        symbol: "MSFT".into()
    }));
    // Without a mark the close still goes out, and the missing mark is noted.
    assert!(p.notes.contains(&PlanNote::NoMark {
        symbol: "MSFT".into()
    }));
}

#[test]
fn long_to_short_splits_into_close_and_open() {
    // Long 10 at 500; target −0.05 × 100,000 / 500 = −10 → sell 10 (close), sell 10 (open).
    let p = plan(
        &[("SPY", -0.05)],
        &[("SPY", dec!(10), dec!(500))],
        &[("SPY", 500.0)],
        &Instrument::infer,
        cycle(1, 1),
    );
    let legs: Vec<_> = p.orders.iter().map(|o| (o.leg, o.side, o.qty)).collect();
    assert_eq!(
        legs,
        vec![
            (Leg::Close, Side::Sell, Quantity(dec!(10))),
            (Leg::Open, Side::Sell, Quantity(dec!(10)))
        ]
    );
    // Same symbol, side and size: the leg keeps the ids apart.
    assert_ne!(p.orders[0].client_order_id(), p.orders[1].client_order_id());
}

#[test]
fn long_to_short_without_shortability_only_closes() {
    let no_short = |s: &Symbol| Instrument {
        shortable: false,
        ..Instrument::infer(s)
    };
    let p = plan(
        &[("XYZ", -0.05)],
        &[("XYZ", dec!(10), dec!(500))],
        &[("XYZ", 500.0)],
        &no_short,
        cycle(1, 1),
    );
    assert_eq!(p.orders.len(), 1);
    assert_eq!(
        (p.orders[0].leg, p.orders[0].qty),
        (Leg::Close, Quantity(dec!(10)))
    );
    assert!(p.notes.iter().any(|n| matches!(n,
        PlanNote::ShortNotAllowed { reason, .. } if reason == "XYZ is not shortable")));
    // From flat: nothing at all, with the reason.
    let p = plan(
        &[("XYZ", -0.05)],
        &[],
        &[("XYZ", 500.0)],
        &no_short,
        cycle(1, 1),
    );
    assert!(p.orders.is_empty());
    assert!(p
        .notes
        .iter()
        .any(|n| matches!(n, PlanNote::ShortNotAllowed { .. })));
}

#[test]
fn short_to_long_also_splits() {
    let p = plan(
        &[("SPY", 0.05)],
        &[("SPY", dec!(-4), dec!(500))],
        &[("SPY", 500.0)],
        &Instrument::infer,
        cycle(1, 1),
    );
    let legs: Vec<_> = p.orders.iter().map(|o| (o.leg, o.side, o.qty)).collect();
    assert_eq!(
        legs,
        vec![
            (Leg::Close, Side::Buy, Quantity(dec!(4))),
            (Leg::Open, Side::Buy, Quantity(dec!(10)))
        ]
    );
}

#[test]
fn dust_below_min_notional_is_skipped_with_a_reason() {
    // 0.000005 × 100,000 = $0.50 of BTC: below $1.
    let p = plan(
        &[("BTC-USD", 0.000005)],
        &[],
        &[("BTC-USD", 50_000.0)],
        &Instrument::infer,
        cycle(1, 1),
    );
    assert!(p.orders.is_empty());
    assert!(p.notes.iter().any(|n| matches!(n,
        PlanNote::BelowMinNotional { notional, min_notional, .. }
            if (*notional - 0.5).abs() < 1e-9 && *min_notional == 1.0)));
}

#[test]
fn untradable_missing_marks_and_nan_weights_are_noted() {
    let p = plan(
        &[("VIX", 0.1), ("AAPL", 0.1), ("MSFT", f64::NAN)],
        &[],
        &[("VIX", 20.0), ("MSFT", 300.0)],
        &Instrument::infer,
        cycle(1, 1),
    );
    assert!(p.orders.is_empty());
    assert!(p.notes.contains(&PlanNote::NotTradable {
        symbol: "VIX".into()
    }));
    assert!(p.notes.contains(&PlanNote::NoMark {
        symbol: "AAPL".into()
    }));
    assert!(p
        .notes
        .iter()
        .any(|n| matches!(n, PlanNote::BadInput { symbol, .. } if symbol.as_str() == "MSFT")));
}

#[test]
fn ids_are_deterministic_per_cycle() {
    let t = [("AAPL", 0.1), ("SPY", -0.05)];
    let m = [("AAPL", 190.0), ("SPY", 500.0)];
    let ids = |c| -> Vec<String> {
        plan(&t, &[], &m, &Instrument::infer, c)
            .orders
            .iter()
            .map(|o| o.client_order_id().0.to_string())
            .collect()
    };
    let a = ids(cycle(1_764_000_000, 7));
    assert_eq!(a, ids(cycle(1_764_000_000, 7)));
    assert_eq!(a.len(), 2);
    assert!(a[0].starts_with("of-1764000000-7-AAPL-b-"), "{}", a[0]);
    assert!(a[1].starts_with("of-1764000000-7-SPY-s-"), "{}", a[1]);
    let b = ids(cycle(1_764_000_000, 8));
    let c = ids(cycle(1_764_000_060, 7));
    for x in &a {
        assert!(!b.contains(x) && !c.contains(x));
    }
}

#[test]
fn working_orders_count_as_if_filled() {
    use optifire_core::domain::{
        ClientOrderId, Order, OrderRequest, OrderStatus, OrderType, TimeInForce,
    };
    let order = |id: &str, side, qty, filled, status| {
        let mut o = Order::new(OrderRequest {
            client_order_id: ClientOrderId(id.into()),
            symbol: "SPY".into(),
            side,
            qty: Quantity(qty),
            order_type: OrderType::Market,
            tif: TimeInForce::Day,
            created_at: optifire_core::Timestamp(0),
        });
        o.filled_qty = Quantity(filled);
        o.status = status;
        o
    };
    // Buy 30 with 10 filled (20 left), sell 5 working, a filled buy that no longer counts.
    let open = vec![
        order(
            "a",
            Side::Buy,
            dec!(30),
            dec!(10),
            OrderStatus::PartiallyFilled,
        ),
        order("b", Side::Sell, dec!(5), dec!(0), OrderStatus::New),
        order("c", Side::Buy, dec!(7), dec!(7), OrderStatus::Filled),
    ];
    let w = working_qty(&open);
    assert_eq!(w.get(&Symbol::new("SPY")), Some(&Quantity(dec!(15))));
    // Holding 10 (the filled part), 15 more on the way; target 0.2 × 100,000 / 400 = 50 → buy 25.
    let marks: BTreeMap<Symbol, f64> = [(Symbol::new("SPY"), 400.0)].into_iter().collect();
    let p = plan_orders(
        &targets(&[("SPY", 0.2)]),
        &portfolio(&[("SPY", dec!(10), dec!(400))]),
        &w,
        &marks,
        100_000.0,
        &Instrument::infer,
        cycle(1, 1),
        &PlanConfig::default(),
    );
    assert_eq!(
        (p.orders[0].side, p.orders[0].qty),
        (Side::Buy, Quantity(dec!(25)))
    );
    assert!(p.notes.contains(&PlanNote::CountsWorking {
        symbol: "SPY".into(),
        qty: Quantity(dec!(15))
    }));
}

#[test]
fn non_positive_equity_sizes_nothing_but_still_closes() {
    let marks: BTreeMap<Symbol, f64> = [(Symbol::new("SPY"), 400.0)].into_iter().collect();
    let p = plan_orders(
        &targets(&[("SPY", 0.1)]),
        &portfolio(&[("MSFT", dec!(2), dec!(300))]),
        &BTreeMap::new(),
        &marks,
        -5_000.0,
        &Instrument::infer,
        cycle(1, 1),
        &PlanConfig::default(),
    );
    // SPY is not bought with a negative equity; MSFT (absent) is still closed.
    let got: Vec<_> = p
        .orders
        .iter()
        .map(|o| (o.symbol.as_str(), o.side, o.qty))
        .collect();
    assert_eq!(got, vec![("MSFT", Side::Sell, Quantity(dec!(2)))]);
    assert!(p.notes.iter().any(|n| matches!(n,
        PlanNote::BadInput { symbol, detail } if symbol.as_str() == "SPY" && detail.contains("-5000"))));
}
