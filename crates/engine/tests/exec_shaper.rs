//! Shaping through the engine's contract with the default exec plugin: opposite orders of one
//! symbol in a batch are netted.

mod exec_support;

use exec_support::*;
use optifire_core::domain::{Quantity, Side};
use optifire_engine::exec::{apply_shapers, Leg, OrderShaper};
use optifire_plugins::exec::batch_orders::BatchOrders;
use rust_decimal_macros::dec;

#[test]
fn buy_ten_sell_four_nets_to_buy_six() {
    let c = cycle(100, 1);
    let orders = vec![
        planned("AAPL", Side::Buy, dec!(10), c),
        planned("AAPL", Side::Sell, dec!(4), c),
        planned("MSFT", Side::Sell, dec!(3), c),
    ];
    let r = BatchOrders::default().shape(ts_secs(100), &orders);
    let got: Vec<_> = r
        .orders
        .iter()
        .map(|o| (o.symbol.as_str(), o.side, o.qty))
        .collect();
    assert_eq!(
        got,
        vec![
            ("AAPL", Side::Buy, Quantity(dec!(6))),
            ("MSFT", Side::Sell, Quantity(dec!(3)))
        ]
    );
    assert_eq!(r.notes.len(), 1);
    assert_eq!(r.notes[0].message, "buy 10 and sell 4 netted to buy 6");
    // The netted order is a different decision: it gets its own id.
    assert_ne!(
        r.orders[0].client_order_id(),
        planned("AAPL", Side::Buy, dec!(10), c).client_order_id()
    );
}

#[test]
fn equal_and_opposite_nets_to_nothing_with_a_note() {
    let c = cycle(100, 1);
    let orders = vec![
        planned("AAPL", Side::Buy, dec!(5), c),
        planned("AAPL", Side::Sell, dec!(5), c),
    ];
    let mut shapers: Vec<Box<dyn OrderShaper>> = vec![Box::new(BatchOrders::default())];
    let r = apply_shapers(&mut shapers, ts_secs(100), orders);
    assert!(r.orders.is_empty());
    assert_eq!(r.notes[0].shaper, "exec_batch_orders");
    assert!(
        r.notes[0].message.contains("netted to zero"),
        "{}",
        r.notes[0].message
    );
}

#[test]
fn the_open_leg_shrinks_before_the_close_leg() {
    // Close 10 + open 5 (sells) against a buy of 7: open loses 5, close loses 2 → close sell 8.
    let c = cycle(100, 1);
    let mut close = planned("SPY", Side::Sell, dec!(10), c);
    close.leg = Leg::Close;
    let mut open = planned("SPY", Side::Sell, dec!(5), c);
    open.leg = Leg::Open;
    let r = BatchOrders::default().shape(
        ts_secs(100),
        &[close, open, planned("SPY", Side::Buy, dec!(7), c)],
    );
    let got: Vec<_> = r.orders.iter().map(|o| (o.leg, o.side, o.qty)).collect();
    assert_eq!(got, vec![(Leg::Close, Side::Sell, Quantity(dec!(8)))]);
}
